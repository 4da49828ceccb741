"""Our token ids equal the transformers tokenizers' for the same texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import InvalidText
from imgsearch.models.layout import detect_layout
from imgsearch.models.tokenizer import TextTokenizer

pytestmark = pytest.mark.model  # compares with transformers' tokenizers

transformers = pytest.importorskip("transformers")

TEXTS = [
    "a red circle",
    "A Golden Retriever swimming in the POOL!",
    "  extra   spaces\tand\nnewlines  ",
    "ünïcödé café naïve Ein Hund läuft",
    "emoji 🐶 and numbers 1234.5",
    "a very long description " * 30,
]


def ours(model_dir: Path) -> TextTokenizer:
    files = detect_layout(model_dir)
    return TextTokenizer(files.tokenizer, files.text_config)


def test_clip_ids_and_mask_match(clip_checkpoint: Path, clip_model_dir: Path) -> None:
    reference = transformers.AutoTokenizer.from_pretrained(clip_checkpoint)
    expected = reference(TEXTS, padding=True, truncation=True, max_length=77, return_tensors="np")
    batch = ours(clip_model_dir)(TEXTS)
    np.testing.assert_array_equal(batch.input_ids, expected["input_ids"])
    np.testing.assert_array_equal(batch.attention_mask, expected["attention_mask"])


def test_siglip_ids_match_max_length_padding(
    siglip_checkpoint: Path, siglip_model_dir: Path
) -> None:
    reference = transformers.AutoTokenizer.from_pretrained(siglip_checkpoint)
    expected = reference(
        TEXTS, padding="max_length", truncation=True, max_length=16, return_tensors="np"
    )
    batch = ours(siglip_model_dir)(TEXTS)
    assert batch.input_ids.shape == (len(TEXTS), 16)
    np.testing.assert_array_equal(batch.input_ids, expected["input_ids"])


def test_truncation_is_flagged(clip_model_dir: Path) -> None:
    batch = ours(clip_model_dir)(["short", "word " * 200])
    assert batch.truncated == (False, True)
    assert batch.input_ids.shape[1] == 77


@pytest.mark.parametrize("bad", ["", "   ", 42, None])
def test_empty_or_non_string_text_is_refused(clip_model_dir: Path, bad: object) -> None:
    with pytest.raises(InvalidText, match="text #1"):
        ours(clip_model_dir)(["fine", bad])  # type: ignore[list-item]
