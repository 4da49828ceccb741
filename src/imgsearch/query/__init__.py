"""The query side: what a query is (text, example images, regions, weighted mixes) and
how it meets an index.

- :mod:`~imgsearch.query.expression`: the query's parts, its parsing from one string, its
  vector, and the documented relevance of a hit;
- :mod:`~imgsearch.query.matching`: a query vector against whole images and the regions
  inside them;
- :mod:`~imgsearch.query.ranking`: those matches, with metadata and read text, as a page
  of hits;
- :mod:`~imgsearch.query.confidence`: how likely a hit is a real match, comparable across
  queries.

What an item's parts are (a video's frames, a PDF's pages) and how they match is its
kind's: :mod:`imgsearch.kinds`.
"""
