"""Calibration: evidence (excess, cosine, object boxes) to a probability, fitted and shipped."""

from __future__ import annotations

import numpy as np
import pytest

from imgsearch.query.calibration import (
    PRIOR,
    Calibration,
    Evidence,
    Platt,
    calibration_for,
    fit_calibration,
    fit_platt,
    shipped_calibration,
)


def _sampled(rng: np.random.Generator, truth: Platt, count: int) -> tuple[Evidence, np.ndarray]:
    evidence = Evidence.of(rng.normal(-2, 1.5, count), rng.normal(0.5, 0.08, count))
    logit = truth.logit(evidence)
    return evidence, rng.random(count) < 1 / (1 + np.exp(-logit))


def test_fitting_recovers_known_weights() -> None:
    rng = np.random.default_rng(5)
    truth = Platt({"excess": 2.0, "cosine": 30.0}, -14.0)
    evidence, relevant = _sampled(rng, truth, 60_000)
    fitted = fit_platt(evidence, relevant, ("excess", "cosine"))
    assert fitted.weights["excess"] == pytest.approx(2.0, rel=0.1)
    assert fitted.weights["cosine"] == pytest.approx(30.0, rel=0.1)
    assert fitted.intercept == pytest.approx(-14.0, rel=0.1)
    with pytest.raises(ValueError, match="both relevant and irrelevant"):
        fit_platt(evidence.subset(np.arange(60_000) < 10), np.zeros(10, bool))


def test_a_feature_that_would_lower_confidence_as_it_rises_is_left_out() -> None:
    rng = np.random.default_rng(6)
    excess, cosine = rng.normal(0, 1, 20_000), rng.normal(0.5, 0.05, 20_000)
    # matches get rarer as the cosine rises: a weight no calibration may have
    relevant = rng.random(20_000) < 1 / (1 + np.exp(-(3 * excess - 40 * (cosine - 0.5))))
    fitted = fit_platt(Evidence.of(excess, cosine), relevant, ("excess", "cosine"))
    assert set(fitted.weights) == {"excess"} and fitted.weights["excess"] > 0
    with pytest.raises(ValueError, match="≥ 0"):
        Platt({"cosine": -1.0}, 0.0)


def test_pictures_with_object_boxes_regions_and_other_kinds_use_their_own_weights() -> None:
    calibration = Calibration(
        Platt({"excess": 1.0}, 0.0),
        "by hand",
        {
            "text/image": Platt({"cosine": 10.0}, -5.0),
            "text/objects": Platt({"cosine": 1.0, "objects": 20.0}, -10.0),
            "text/region": Platt({"cosine": 4.0}, -2.0),
        },
    )
    evidence = Evidence.of([3.0, 3.0], [0.5, 0.5], [np.nan, 0.4])
    whole, boxed = calibration.probability("text", evidence)
    assert whole == pytest.approx(0.5) and boxed == pytest.approx(1 / (1 + np.exp(1.5)))
    assert calibration.probability("text", evidence, region=True) == pytest.approx([0.5, 0.5])
    # a kind of query without weights of its own gets the fallback: sigmoid(excess)
    assert calibration.probability("image", evidence)[0] == pytest.approx(1 / (1 + np.exp(-3)))
    assert calibration.uses_objects("text") and not calibration.uses_objects("image")


def test_calibrations_round_trip_and_old_stored_ones_still_read() -> None:
    calibration = Calibration(
        Platt({"excess": 2.5}, 1.0),
        "mine",
        {"image/objects": Platt({"excess": 1.0, "cosine": 3.0, "objects": 4.0}, -2.0)},
    )
    assert Calibration.from_dict(calibration.as_dict()) == calibration
    old = Calibration.from_dict({"slope": 14.5, "intercept": 25.8, "fitted_on": "before"})
    assert old == Calibration(Platt({"excess": 14.5}, 25.8), "before")
    assert "2.5·excess + 1" in " ".join(calibration.describe())


def test_fitting_groups_keeps_what_too_few_pairs_cannot_tell() -> None:
    rng = np.random.default_rng(7)
    truth = Platt({"excess": 2.0, "cosine": 30.0}, -14.0)
    many, few = _sampled(rng, truth, 5_000), _sampled(rng, truth, 50)
    base = Calibration(PRIOR.fallback, "base", {"text/region": Platt({"excess": 9.0}, 0.0)})
    fitted = fit_calibration({"text/image": many, "text/region": few}, "fitted", base)
    assert fitted.models["text/image"].weights["cosine"] == pytest.approx(30.0, rel=0.25)
    assert fitted.models["text/region"] == base.models["text/region"]  # 50 pairs: kept
    assert set(fitted.fallback.weights) == {"excess"}  # every pair, the excess alone


def test_calibrations_ship_with_the_catalog_per_model_family() -> None:
    demo = shipped_calibration("demo-shapes")
    assert demo.fitted_on.startswith("demo-shapes") and demo is not PRIOR
    assert shipped_calibration("demo-shapes:int8") == demo
    clip = shipped_calibration("openai/clip-vit-base-patch32")  # the hub name of the same model
    assert clip == shipped_calibration("clip-vit-b-32")
    assert clip.models["text/image"].weights["cosine"] > 0  # anchored on text-to-image cosines
    assert "image/image" not in clip.models  # image-to-image: relative only
    assert shipped_calibration("someone/unknown-model") is PRIOR
    stored = {**Calibration(Platt({"excess": 1.0}, 0.0), "mine").as_dict(), "model_id": "m"}
    assert calibration_for("m", stored).fitted_on == "mine"
    assert calibration_for("other", stored) is PRIOR  # fitted for another model: not used
