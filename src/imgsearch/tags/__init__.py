"""Zero-shot tags: every picture described by the phrases of a vocabulary that a search for
them would call it a match of, with that search's calibrated confidence.

- :mod:`imgsearch.tags.vocabulary` — the phrases, their template and threshold, defaults;
- :mod:`imgsearch.tags.scoring` — a picture's confidence for a phrase, from stored vectors;
- :mod:`imgsearch.tags.tagging` — tagging the pictures not tagged yet, a chunk at a time.
"""

from imgsearch.tags.tagging import TagReport
from imgsearch.tags.vocabulary import TagVocabulary, default_vocabulary

__all__ = ["TagReport", "TagVocabulary", "default_vocabulary"]
