"""What a user does with many items at once, chosen by id: export them (CSV, JSON lines,
a COCO subset with their boxes), name them inside one folder (for an archive or a
dataset), and tag or caption them together. Only through :class:`~imgsearch.Index`'s
public methods: the command line, the server and a Python program share it."""

from imgsearch.selection.export import (
    EXPORT_FORMATS,
    MAX_SELECTED,
    Selection,
    export_coco,
    export_csv,
    export_json_lines,
    item_as_dict,
    select,
)
from imgsearch.selection.tagging import TagChange, annotate_many

__all__ = [
    "EXPORT_FORMATS",
    "MAX_SELECTED",
    "Selection",
    "TagChange",
    "annotate_many",
    "export_coco",
    "export_csv",
    "export_json_lines",
    "item_as_dict",
    "select",
]
