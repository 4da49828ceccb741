"""What every store does the same way, whatever its database: one core, thin dialects.

The embedded and the PostgreSQL store differ in SQL dialect, connections and vector
search; the guards, the decisions and the shapes of what they return are here, once,
so that a feature added to the contract is written once too.
"""

from __future__ import annotations

from collections.abc import Sequence

from imgsearch.errors import ModelMismatch
from imgsearch.store.records import IndexSettings, Vector


def check_binding(
    location: str, current: str | None, dim: int, wanted: IndexSettings, *, reembed: bool
) -> bool:
    """Whether binding ``wanted`` to an index bound to ``current`` (``dim``-d) must drop
    the stored vectors first; raises :class:`ModelMismatch` when it may not.

    Returns False when the index is unbound or already bound to ``wanted``."""
    if current is None or (current == wanted.model_id and dim == wanted.dim):
        return False
    if not reembed:
        raise ModelMismatch(
            f"the index at {location} holds {dim}-d vectors of {current}, "
            f"not {wanted.dim}-d vectors of {wanted.model_id}",
            hint=f"use the index's own model ({current}), or re-embed every image with "
            f"{wanted.model_id}",
            indexed=current,
            requested=wanted.model_id,
        )
    return True


def check_dimensions(vectors: Sequence[Vector], dim: int) -> None:
    """Refuse vectors whose length is not the index's ``dim`` (0: not bound yet)."""
    wrong = next((v.shape[-1] for v in vectors if dim and v.shape[-1] != dim), None)
    if wrong is not None:
        raise ModelMismatch(
            f"cannot store a {wrong}-d vector in an index of {dim}-d vectors",
            hint="embed with the index's own model, or re-embed the index",
        )
