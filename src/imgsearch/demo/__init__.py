"""The offline demo: a generated collection of shape images and a small model trained on it.

``shapes`` samples and draws scenes and writes their captions; ``collection``
writes a collection to disk with COCO-style labels; ``evaluate`` measures
retrieval precision of any model on such a collection; ``train`` (needs the
``export`` extra) trains the shipped ``demo-shapes`` dual encoder; ``run`` is
``imgsearch demo``. Nothing here is a special path of the engine: the demo
model is an ordinary model folder in imgsearch's layout, indexed and searched
by the normal code.
"""
