"""Which encoder a model name loads: registered encoders first, then model folders.

A model name is usually a catalog name, a Hugging Face repo id or a folder, and
loads an :class:`~imgsearch.models.embedder.Embedder` (ONNX towers). Other encoders
register under a name — in code with :func:`register_encoder`, or from an
installed package through the ``imgsearch.encoders`` entry-point group
(``name = "package.module:factory"``), or from modules the CLI and the server import
at start because ``IMGSEARCH_PLUGINS`` names them — and a factory receives the
:class:`~imgsearch.models.settings.ModelSettings` asked for. The tests register a
deterministic fake encoder this way, so the CLI, the server and the indexer load
it through the same path as a real model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points

from imgsearch.errors import ModelError
from imgsearch.models.encoder import Encoder
from imgsearch.models.settings import ModelSettings

EncoderFactory = Callable[[ModelSettings], Encoder]
ENTRY_POINT_GROUP = "imgsearch.encoders"

_registered: dict[str, EncoderFactory] = {}
_lock = threading.Lock()


def register_encoder(name: str, factory: EncoderFactory) -> None:
    """Make ``name`` (as a model name: ``--model NAME``) load ``factory(settings)``."""
    with _lock:
        _registered[name] = factory


def unregister_encoder(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def registered_encoders() -> list[str]:
    """Names registered in code or by installed packages."""
    with _lock:
        names = set(_registered)
    return sorted(names | {point.name for point in entry_points(group=ENTRY_POINT_GROUP)})


def load_encoder(settings: ModelSettings) -> Encoder:
    """The encoder ``settings.name`` names: a registered one, else an ONNX model."""
    factory = _factory(settings.name)
    if factory is not None:
        return factory(settings)
    from imgsearch.models.embedder import Embedder

    return Embedder.from_settings(settings)


def _factory(name: str | None) -> EncoderFactory | None:
    if name is None:
        return None
    with _lock:
        factory = _registered.get(name)
    if factory is not None:
        return factory
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            loaded = point.load()
        except Exception as exc:  # a broken plugin is a model problem, not a crash
            raise ModelError(
                f"the encoder {name!r} from {point.value} cannot be loaded: {exc}",
                hint="reinstall the package that provides it",
            ) from None
        if not callable(loaded):
            raise ModelError(f"the encoder entry point {point.value} is not callable")
        return loaded  # type: ignore[no-any-return]
    return None


def load_plugins(modules: str | None) -> None:
    """Import the comma-separated ``modules`` (``IMGSEARCH_PLUGINS``), which register
    encoders on import; an import that fails is a :class:`ModelError`."""
    import importlib

    for module in (part.strip() for part in (modules or "").split(",")):
        if not module:
            continue
        try:
            importlib.import_module(module)
        except Exception as exc:
            raise ModelError(
                f"the plugin module {module!r} cannot be imported: {exc}",
                hint="fix IMGSEARCH_PLUGINS, or install the module",
            ) from None
