"""Text tokenisation with the model's own ``tokenizer.json`` (the tokenizers library).

transformers' fast tokenizers are this same Rust library, so ids match them
exactly (tests/models/test_tokenizer_parity.py). Two padding policies exist:
CLIP-style models use a causal mask and pool at the end-of-text token, so a
batch is padded only to its longest text (cheaper); SigLIP and open_clip
exports pool at a fixed position and must always be padded to the full
context length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from imgsearch.errors import IncompleteModel, InvalidText

CHARS_PER_TOKEN_CAP = 32
"""Texts are cut to ``context_length × 32`` characters before tokenising (2,464 for CLIP's
77 tokens). Every token spans at least one character and no BPE piece of these
vocabularies is longer, so unless a text pads its words with long runs of whitespace
the cut leaves the tokens the model sees unchanged, while a 15 MB "query" no longer
costs 45 s of tokenising for 77 tokens of it."""


@dataclass(frozen=True)
class TextPreprocess:
    """What a model's text tower expects; stored in every model manifest."""

    context_length: int = 77
    pad_to_context: bool = False
    pad_token: str | None = None
    pad_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextPreprocess:
        return cls(
            context_length=int(data.get("context_length", 77)),
            pad_to_context=bool(data.get("pad_to_context", False)),
            pad_token=data.get("pad_token"),
            pad_id=None if data.get("pad_id") is None else int(data["pad_id"]),
        )


@dataclass(frozen=True)
class TokenBatch:
    """Token ids and attention mask, ``(n, length)`` int64, plus which texts were cut."""

    input_ids: NDArray[np.int64]
    attention_mask: NDArray[np.int64]
    truncated: tuple[bool, ...]


class TextTokenizer:
    """Tokenises batches of texts the way the model was trained to read them."""

    def __init__(self, path: Path, config: TextPreprocess) -> None:
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the tokenizers library raises bare Exceptions
            raise IncompleteModel(
                f"cannot read tokenizer {path}: {exc}",
                hint="re-download or re-export the model",
            ) from None
        self.config = config
        pad_id, pad_token = _pad_token(tokenizer, config)
        tokenizer.enable_truncation(max_length=config.context_length)
        if config.pad_to_context:
            tokenizer.enable_padding(
                pad_id=pad_id, pad_token=pad_token, length=config.context_length
            )
        else:
            tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        self._tokenizer = tokenizer

    @property
    def max_chars(self) -> int:
        """Characters of a text that can matter; the rest is cut before tokenising."""
        return self.config.context_length * CHARS_PER_TOKEN_CAP

    def __call__(self, texts: Sequence[str]) -> TokenBatch:
        limit = self.max_chars
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidText(
                    f"text #{i} is a {type(text).__name__}, not a string",
                    hint="pass text queries as str",
                )
            if not text.strip():
                raise InvalidText(f"text #{i} is empty", hint="give a non-empty description")
            if not _is_unicode(text[:limit]):
                raise InvalidText(
                    f"text #{i} is not valid Unicode (it holds a lone surrogate)",
                    hint="send the text as UTF-8",
                )
        cut = [text[:limit] for text in texts]
        encodings = self._tokenizer.encode_batch(cut)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        truncated = tuple(
            bool(e.overflowing) or len(text) > limit
            for e, text in zip(encodings, texts, strict=True)
        )
        return TokenBatch(ids, mask, truncated)


def _pad_token(tokenizer: Tokenizer, config: TextPreprocess) -> tuple[int, str]:
    """The configured pad token, else the tokenizer's own, else id 0 (open_clip's)."""
    if config.pad_token is not None:
        token_id = tokenizer.token_to_id(config.pad_token)
        if token_id is not None:
            return token_id, config.pad_token
    if config.pad_id is not None:
        return config.pad_id, tokenizer.id_to_token(config.pad_id) or "<pad>"
    padding = tokenizer.padding
    if padding:
        return int(padding["pad_id"]), str(padding["pad_token"])
    return 0, tokenizer.id_to_token(0) or "<pad>"


def _is_unicode(text: str) -> bool:
    """False for strings no UTF-8 encoder accepts (JSON's ``"\\ud800"`` decodes to one)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
