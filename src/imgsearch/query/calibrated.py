"""An index's confidences: its sample, and the calibration fitted for it or shipped for its
model's family (see :mod:`imgsearch.query.confidence` for what a confidence is).

One per :class:`~imgsearch.Index`: the calibration lives in the store's documents, so one
fitted by another process (``imgsearch evaluate --fit-calibration`` while a server runs) is
read again with the sample.
"""

from __future__ import annotations

from imgsearch.errors import NotIndexed
from imgsearch.query.calibration import Calibration, calibration_for
from imgsearch.query.confidence import Confidence
from imgsearch.store import Store


class IndexConfidence:
    """Confidences for the hits of ``store``; ``model`` names the model family to take a
    shipped calibration from while nothing is indexed (the index's own model otherwise)."""

    def __init__(self, store: Store, model: str) -> None:
        self._store = store
        self._model = model
        self._confidence: Confidence | None = None

    @property
    def confidence(self) -> Confidence | None:
        """The sample and calibration hits are scored with (``None`` while the index is
        empty)."""
        if self._confidence is None:
            if self._store.settings() is None:
                return None
            self._confidence = Confidence(self.calibration, recalibrate=lambda: self.calibration)
        return self._confidence

    @property
    def calibration(self) -> Calibration:
        """Fitted for this index (:meth:`set_calibration`), else shipped for its model's
        family, else a prior."""
        settings = self._store.settings()
        model_id = settings.model_id if settings else self._model
        return calibration_for(model_id, self._store.documents.get("calibration"))

    def set_calibration(self, calibration: Calibration | None) -> None:
        """Use ``calibration`` from now on (``None``: the shipped one again); stored for the
        index's current model only."""
        settings = self._store.settings()
        if settings is None:
            raise NotIndexed(f"the index at {self._store.location} is empty: nothing to calibrate")
        document = {} if calibration is None else calibration.as_dict()
        self._store.documents.put(
            "calibration", {**document, "model_id": settings.model_id} if document else {}
        )
        if self._confidence is not None:
            self._confidence.calibration = self.calibration

    def changed(self) -> None:
        """The index was written: the next query reads the sample again."""
        if self._confidence is not None:
            self._confidence.invalidate()
