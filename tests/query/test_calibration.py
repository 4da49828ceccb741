"""Calibration: evidence (excess, cosine, object boxes) to a probability, fitted and shipped."""

from __future__ import annotations

import numpy as np
import pytest

from imgsearch.query.calibration import (
    PRIOR,
    Calibration,
    Evidence,
    Lead,
    Platt,
    Presence,
    calibration_for,
    fit_calibration,
    fit_platt,
    fit_presence,
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


def test_presence_weighs_every_hit_of_a_query_by_its_lead() -> None:
    presence = Presence(100.0, 0.0, -10.0)  # even odds at a lead of 0.1
    calibration = Calibration(Platt({"excess": 1.0}, 0.0), "by hand", presence=presence)
    evidence = Evidence.of([0.0, 2.0], [0.5, 0.5])
    plain = calibration.probability("text", evidence)
    # a query without a lead (no rivals) is judged as present
    assert calibration.probability("text", evidence, lead=None) == pytest.approx(plain)
    assert calibration.probability("text", evidence, lead=Lead(0.1, 500)) == pytest.approx(
        plain / 2
    )
    nowhere = calibration.probability("text", evidence, lead=Lead(0.0, 500))
    assert nowhere == pytest.approx(plain / (1 + np.exp(10)))
    assert calibration.probability("text", evidence, region=True, lead=Lead(0.0, 500)).max() < 1e-4
    assert Calibration.from_dict(calibration.as_dict()) == calibration
    assert "100·lead − 10" in " ".join(calibration.describe())
    # the same lead tells less in a bigger collection (more near misses to lead by chance)
    sized = Presence(100.0, -2.0, -10.0 + 2 * np.log(1000))
    assert sized.probability(Lead(0.1, 1000)) == pytest.approx(0.5)
    assert sized.probability(Lead(0.1, 100)) > 0.9 > 0.1 > sized.probability(Lead(0.1, 10_000))
    assert "2·ln(pictures)" in sized.describe()
    # past the largest collection it was fitted on, a collection counts as that big
    capped = Presence(100.0, -2.0, -10.0 + 2 * np.log(1000), up_to=5000)
    assert capped.probability(Lead(0.12, 50_000)) == capped.probability(Lead(0.12, 5000))
    assert capped.probability(Lead(0.12, 5000)) < capped.probability(Lead(0.12, 1000))
    assert Presence.from_dict(capped.as_dict()) == capped
    assert "2·ln(pictures, at most 5,000)" in capped.describe()
    with pytest.raises(ValueError, match="lead weight ≥ 0"):
        Presence(-1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="size weight ≤ 0"):
        Presence(1.0, 0.5, 0.0)


def test_presence_is_fitted_from_queries_present_and_absent_at_several_sizes() -> None:
    rng = np.random.default_rng(8)
    count = 400
    present = np.arange(count) < 250
    pictures = rng.choice([150, 300, 600, 1500], count)
    # the best near miss (and the best true picture) lead by more in a bigger collection
    value = 0.02 * np.log(pictures) + np.where(present, 0.06, 0.0) + rng.normal(0, 0.012, count)
    leads = [Lead(float(v), int(n)) for v, n in zip(value, pictures, strict=True)]
    fitted = fit_presence(leads, present)
    assert fitted is not None and fitted.size < 0 and fitted.up_to == 1500
    judged = np.array([fitted.probability(lead) for lead in leads])
    assert judged[present].mean() > 0.9 and judged[~present].mean() < 0.1
    middle = 0.02 * np.log(600) + 0.03
    assert fitted.probability(Lead(middle, 150)) > fitted.probability(Lead(middle, 1500))
    one_size = [Lead(v, 600) for v in value]
    assert fit_presence(one_size, present).size == 0  # type: ignore[union-attr]
    assert fit_presence(leads[:10], present[:10]) is None  # too few queries
    assert fit_presence(leads, np.ones(count, bool)) is None  # nothing absent to tell from
    backwards = [Lead(-lead.value, lead.pictures) for lead in leads]
    assert fit_presence(backwards, present) is None  # a higher lead would mean less presence
    pairs = {"text/image": _sampled(rng, Platt({"excess": 2.0}, -1.0), 500)}
    base = Calibration(PRIOR.fallback, "base", presence=Presence(5.0, 0.0, -1.0))
    assert fit_calibration(pairs, "fitted", base).presence == base.presence
    assert fit_calibration(pairs, "fitted", base, (leads, present)).presence == fitted
    unfit = fit_calibration(pairs, "fitted", base, (leads[:5], present[:5]))
    assert unfit.presence == base.presence


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
