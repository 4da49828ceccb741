"""Exact and near-duplicate pictures of an index (see ``docs/duplicates.md``)."""
