"""``evaluate`` on an index whose answers are known: planted matches among random images."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from imgsearch import Index
from imgsearch.evaluation import evaluate
from imgsearch.evaluation.judge import Judged, judge
from imgsearch.evaluation.queries import LabelledQuery, Relevance, read_queries
from imgsearch.evaluation.summary import refit
from imgsearch.models.settings import ModelSettings
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.query.calibration import PRIOR, Calibration, Evidence, Lead, Platt
from imgsearch.query.expression import QueryPart
from imgsearch.store import ImageWrite, IndexSettings, SqliteStore, WriteBatch
from tests.fakes import DIM, HashEncoder, _word_vector
from tests.store.conftest import facts

PLANTED = 20
RANDOM = 600


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    """Images /c/planted-N.jpg close to the fake model's vector for "alpha", the rest
    random under /c/random-N.jpg."""
    rng = np.random.default_rng(4)
    alpha = _unit(_word_vector("alpha"))
    vectors = np.concatenate(
        [
            _unit(alpha + 0.08 * rng.standard_normal((PLANTED, DIM))),
            _unit(rng.standard_normal((RANDOM, DIM))),
        ]
    )
    paths = [f"/c/planted-{i}.jpg" for i in range(PLANTED)]
    paths += [f"/c/random-{i}.jpg" for i in range(RANDOM)]
    store = SqliteStore(tmp_path / "index")
    encoder = HashEncoder(ModelSettings())
    store.bind(IndexSettings(encoder.model_id, DIM))
    store.write(
        WriteBatch(images=[ImageWrite(facts(p), v) for p, v in zip(paths, vectors, strict=True)])
    )
    return Index(store, encoder=encoder)


def _file(tmp_path: Path, lines: list[dict[str, object]]) -> Path:
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return path


def test_known_answers_give_the_numbers_they_should(index: Index, tmp_path: Path) -> None:
    file = _file(
        tmp_path,
        [
            {"id": "found", "text": "alpha", "relevant": ["/c/planted-*.jpg"]},
            # the same images, but only the first five count: the rest are irrelevant
            {"text": "alpha", "relevant": [f"/c/planted-{i}.jpg" for i in range(5)]},
            {"id": "absent", "text": "zebra quokka", "relevant": []},
        ],
    )
    result = evaluate(index, file, metadata_weight=0.0)
    assert result.problems == ()
    found = result.by_kind["text"]
    assert (found.queries, found.no_match) == (2, 1)
    # query 1: all 20 planted images rank first
    judged, _ = judge(index, read_queries(file).queries, metadata_weight=0.0)
    first = judged[0]
    assert first.ranked[:PLANTED].all() and not first.ranked[PLANTED:].any()
    assert first.unranked_relevant == 0 and len(first.ranked) == PLANTED + RANDOM
    assert result.overall.recall_at_10 == pytest.approx(
        (10 / 20 + judged[1].ranked[:10].sum() / 5) / 2
    )
    assert result.overall.mrr is not None and result.overall.mrr > 0.2
    assert result.overall.auc_confidence is not None and result.overall.auc_confidence > 0.9
    # the unrelated query keeps nothing at the cut-off; the planted images are kept
    assert result.overall.no_match_empty == 1.0
    assert result.overall.recall_at_cut is not None and result.overall.recall_at_cut > 0.5
    assert sum(b.count for b in result.bins) == 3 * (PLANTED + RANDOM)
    assert "<svg" in result.diagram() and "ECE" in result.diagram()


def test_depth_counts_the_images_it_did_not_reach(index: Index, tmp_path: Path) -> None:
    file = _file(tmp_path, [{"text": "alpha", "relevant": ["/c/planted-*.jpg"]}])
    judged, _ = judge(index, read_queries(file).queries, depth=8, metadata_weight=0.0)
    (one,) = judged
    assert len(one.ranked) == 8 and one.ranked.all()
    assert one.unranked_relevant == PLANTED - 8
    assert one.unranked_irrelevant == RANDOM
    shallow = evaluate(index, file, depth=8, metadata_weight=0.0)
    deep = evaluate(index, file, metadata_weight=0.0)
    assert shallow.overall.recall_at_5 == deep.overall.recall_at_5 == 5 / PLANTED
    assert shallow.overall.map == pytest.approx(8 / PLANTED)  # the 12 unreached add 0


def test_queries_that_cannot_run_are_reported_and_the_rest_measured(
    index: Index, tmp_path: Path
) -> None:
    file = _file(
        tmp_path,
        [
            {"text": "alpha", "relevant": ["/c/planted-*.jpg"]},
            {"text": "alpha", "relevant": ["/elsewhere/*.jpg"]},
        ],
    )
    with file.open("a") as out:
        out.write("not json\n")
    result = evaluate(index, file, metadata_weight=0.0)
    assert [(p.line, p.message) for p in result.problems] == [
        (2, "none of its relevant images is in the index"),
        (3, "not JSON: Expecting value (column 1)"),
    ]
    assert result.overall.queries == 1


def test_fitting_stores_the_calibration_with_the_index(index: Index, tmp_path: Path) -> None:
    file = _file(
        tmp_path,
        [{"text": word, "relevant": ["/c/planted-*.jpg"] if word == "alpha" else []}
         for word in ("alpha", "beta", "gamma", "delta")],
    )  # fmt: skip
    shipped = index.calibration
    result = evaluate(index, file, metadata_weight=0.0, fit=True)
    assert result.calibration == shipped and result.fitted is not None
    assert index.calibration == result.fitted
    assert result.fitted_overall is not None and result.fitted_overall.ece is not None
    assert result.overall.ece is not None
    assert result.fitted_overall.ece <= result.overall.ece + 1e-9
    assert index.store.documents.get("calibration")["model_id"] == "fake-hash"
    # a calibration fitted for another model is not used; None goes back to the shipped one
    index.store.documents.put(
        "calibration", {**result.fitted.as_dict(), "model_id": "another-model"}
    )
    assert index.calibration == shipped
    index.set_calibration(None)
    assert index.calibration == shipped
    by_hand = Calibration(Platt({"excess": 2.0}, -1.0), "by hand")
    index.set_calibration(by_hand)
    again = Index(index.store)
    assert again.calibration == by_hand
    assert again.confidence is not None and again.confidence.calibration == by_hand


def test_a_query_the_model_cannot_read_is_reported_not_measured(
    index: Index, tmp_path: Path
) -> None:
    index.encoder.vocabulary = Vocabulary.of(["a photo of alpha"], filler=("a", "photo", "of"))  # type: ignore[misc]
    file = _file(
        tmp_path,
        [
            {"text": "alpha", "relevant": ["/c/planted-*.jpg"]},
            {"text": "a photo of a forest", "relevant": []},
        ],
    )
    result = evaluate(index, file, metadata_weight=0.0)
    assert [(p.line, p.message) for p in result.problems] == [
        (2, "fake-hash cannot read its text (words it never saw: forest): its search gives "
         "every hit confidence 0, which measures nothing"),
    ]  # fmt: skip
    assert result.overall.queries == 1


def _judged(rng: np.random.Generator, line: int, present: bool, lead: float) -> Judged:
    """A text query's 200 judged hits: where its concept is present, a cosine over 0.55
    is right; where it is absent, its best hits still reach cosines as high (a model that
    confuses it with a neighbour)."""
    cosine = np.sort(rng.uniform(0.3, 0.7, 200))[::-1].astype(np.float32)
    ranked = (cosine > 0.55) if present else np.zeros(200, bool)
    query = LabelledQuery(line, f"q{line}", "text", (QueryPart(text="x"),), Relevance(("/x",)))
    return Judged(query, int(ranked.sum()), ranked, cosine, np.zeros(200), 0, lead=Lead(lead, 1000))


def test_a_refit_gives_absent_concepts_to_the_presence_not_to_the_hits_weights() -> None:
    rng = np.random.default_rng(4)
    present = [_judged(rng, n, True, rng.uniform(0.12, 0.2)) for n in range(30)]
    absent = [_judged(rng, 30 + n, False, rng.uniform(-0.05, 0.06)) for n in range(12)]
    fitted = refit([*present, *absent], "mine", PRIOR)
    assert fitted.presence is not None
    assert fitted.presence.probability(Lead(0.16, 1000)) > 0.9
    assert fitted.presence.probability(Lead(0.0, 1000)) < 0.1
    # the hit's weights are P(match | present): a cosine of 0.65 is a match there
    sure = fitted.probability("text", Evidence.of([0.0], [0.65]))[0]
    assert sure > 0.9
    # without leads the absent queries' high cosines stay with the hit's weights
    unled = [replace(j, lead=None) for j in [*present, *absent]]
    assert refit(unled, "mine", PRIOR).probability("text", Evidence.of([0.0], [0.65]))[0] < sure
