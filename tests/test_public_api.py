from __future__ import annotations

import imgsearch


def test_everything_in_all_is_importable() -> None:
    for name in imgsearch.__all__:
        assert getattr(imgsearch, name) is not None, name


def test_export_model_is_the_exporter() -> None:
    from imgsearch.models.export import export_checkpoint

    assert imgsearch.export_model is export_checkpoint
