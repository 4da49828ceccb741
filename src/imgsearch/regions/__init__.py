"""The region side: boxes inside images, each embedded like an image so a query can match
a small thing in a big picture.

Where regions come from: :mod:`~imgsearch.regions.annotations` (COCO, YOLO and Pascal VOC
boxes a user imports), :mod:`~imgsearch.regions.detector` (an object detector's boxes) and
:mod:`~imgsearch.regions.grid_windows` (fixed windows, with any model and no labels); one
:mod:`~imgsearch.regions.passes` runs any pixel-reading source over an index, resumably;
:mod:`~imgsearch.regions.policy` says which sources an index keeps by itself; and
:mod:`~imgsearch.regions.label_suspects` finds annotated boxes whose label the model
disagrees with.
"""
