"""Where a bench script finds its imports; imported first (``import _paths``) by the
scripts that need it.

- This folder last: ``bench/http.py`` and ``bench/pgvector.py`` carry the names their
  issues give them, which would shadow the standard library's ``http`` and the pgvector
  package for every import made by a script run from here.
- The repository's root first: the tests' scaffolding (``tests/scaffold``: random-init
  checkpoints, generated objects, variants and pictures of words) and fixtures are not
  part of the installed package.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = (
    [str(ROOT)]
    + [p for p in sys.path if not p or Path(p).resolve() not in (HERE, ROOT)]
    + [str(HERE)]
)
