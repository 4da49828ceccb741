"""How to load and run a model: one typed value built at the edges and passed down.

The CLI builds it from flags and ``IMGSEARCH_*`` variables, the server from its
settings; the library below never reads the environment. Every field has the
default a user gets when they say nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from imgsearch.media.decode import DecodeOptions

DEFAULT_IMAGE_BATCH = 16


@dataclass(frozen=True)
class ModelSettings:
    """``name``: a catalog name, Hugging Face repo id, local folder or registered encoder
    (``None``: the index's own model, else the catalog default); ``precision``: fp32 or
    int8 (``None``: as the name says, else fp32); ``providers``: onnxruntime execution
    providers in order of preference (``None``: the best available); ``threads`` /
    ``text_threads``: onnxruntime intra-op threads (``None``: onnxruntime's choice);
    ``batch_size`` images per model call; ``decode_workers`` threads decoding ahead of the
    model (``None``: one per CPU); ``max_concurrent_decodes`` across all threads
    (``None``: no bound beyond the workers); ``decode``: decoding limits; ``cache_dir``
    for derived files such as int8 copies (``None``: ``~/.cache/imgsearch``);
    ``hub_cache_dir`` for downloads (``None``: Hugging Face's); ``offline``: never
    download, use only the cache.
    """

    name: str | None = None
    precision: str | None = None
    providers: tuple[str, ...] | None = None
    threads: int | None = None
    text_threads: int | None = None
    batch_size: int = DEFAULT_IMAGE_BATCH
    decode_workers: int | None = None
    max_concurrent_decodes: int | None = None
    decode: DecodeOptions = field(default_factory=DecodeOptions)
    cache_dir: Path | None = None
    hub_cache_dir: Path | None = None
    offline: bool = False
    prepack: bool = True
    """Let onnxruntime repack the weights for its kernels when a session starts: faster
    repeated runs (a server, an indexer), a slower start. A one-shot command line call
    (``imgsearch search``, ``vectorize``) turns it off."""

    def named(self, name: str | None) -> ModelSettings:
        """These settings for another model (``None`` keeps this one's name)."""
        return self if name is None else replace(self, name=name)
