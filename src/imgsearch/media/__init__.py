"""Turning image files and in-memory images into RGB pixels the models can use.

Nothing is imported here: ``imgsearch.media.memory`` and ``imgsearch.media.quiet`` are
used by every command-line call and must not pull in Pillow and NumPy (see
:mod:`imgsearch.media.decode` for decoding).
"""
