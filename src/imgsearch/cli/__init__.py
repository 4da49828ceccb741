"""The ``imgsearch`` command line: a thin layer over the library."""
