"""Shared fixtures: tiny real-architecture models exported by our own exporter, and images."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

# Tests never touch the home folder of whoever runs them: every default under it (the
# index, thumbnails, the demo, model caches) lands in this session's own, removed at its
# end, and no variable of the user's points elsewhere. CI also runs the suite with HOME
# pointed at an empty folder and fails if anything appears there (.ci/run).
TEST_HOME = Path(tempfile.mkdtemp(prefix="imgsearch-test-home-"))
os.environ["HOME"] = str(TEST_HOME)
for _variable in (
    "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "HF_HOME",
    "HF_HUB_CACHE", "IMGSEARCH_INDEX", "IMGSEARCH_CONFIG", "IMGSEARCH_CACHE", "IMGSEARCH_MODEL",
):  # fmt: skip
    os.environ.pop(_variable, None)

from imgsearch.models.embedder import Embedder  # noqa: E402  (after HOME: defaults read it)
from tests.fakes import register as register_fakes  # noqa: E402

register_fakes()  # fake-hash and fake-hash-b, through the registry a plugin would use

NEEDS_TORCH = {"clip_checkpoint", "siglip_checkpoint", "clip_model_dir", "siglip_model_dir"}
NEEDS_TORCH |= {"clip_embedder", "resnet_checkpoint", "dinov2_checkpoint"}
NEEDS_TORCH |= {"resnet_model_dir", "dinov2_model_dir"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that build models with torch are the ``model`` tier; the rest run without it."""
    for item in items:
        if NEEDS_TORCH & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL 16 with pgvector (pgserver), run as an unprivileged user when root."""
    from imgsearch.store.postgres.local_server import start_server

    server = start_server(tmp_path_factory.mktemp("postgres") / "data")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def citus_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Citus cluster: a coordinator and two workers, each its own PostgreSQL 15 with
    Citus and pgvector (built by ../shared/postgres/install-extensions.sh). Skipped where
    they are not installed, unless ``IMGSEARCH_REQUIRE_CITUS=1`` (set by CI) — then a
    failure."""
    from imgsearch.errors import StoreError
    from imgsearch.store.postgres.local_cluster import postgres_bin, start_cluster

    try:
        postgres_bin()
    except StoreError as exc:
        if os.environ.get("IMGSEARCH_REQUIRE_CITUS") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    cluster = start_cluster(tmp_path_factory.mktemp("citus") / "cluster", workers=2)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def clip_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.scaffold.checkpoints import build_clip_checkpoint

    return build_clip_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-clip")


@pytest.fixture(scope="session")
def siglip_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.scaffold.checkpoints import build_siglip_checkpoint

    return build_siglip_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-siglip")


@pytest.fixture(scope="session")
def clip_model_dir(clip_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CLIP, exported by ``imgsearch.models.export`` with int8 graphs too."""
    from imgsearch.models.export import export_checkpoint

    out = tmp_path_factory.mktemp("models") / "tiny-clip"
    export_checkpoint(clip_checkpoint, out, model_id="tiny-clip", int8=True)
    return out


@pytest.fixture(scope="session")
def siglip_model_dir(siglip_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from imgsearch.models.export import export_checkpoint

    out = tmp_path_factory.mktemp("models") / "tiny-siglip"
    export_checkpoint(siglip_checkpoint, out, model_id="tiny-siglip")
    return out


@pytest.fixture(scope="session")
def resnet_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.scaffold.checkpoints import build_resnet_checkpoint

    return build_resnet_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-resnet")


@pytest.fixture(scope="session")
def dinov2_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.scaffold.checkpoints import build_dinov2_checkpoint

    return build_dinov2_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-dinov2")


@pytest.fixture(scope="session")
def resnet_model_dir(resnet_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny ResNet, exported image-only (no text tower) by our exporter."""
    from imgsearch.models.export import export_checkpoint

    out = tmp_path_factory.mktemp("models") / "tiny-resnet"
    export_checkpoint(resnet_checkpoint, out, model_id="tiny-resnet")
    return out


@pytest.fixture(scope="session")
def dinov2_model_dir(dinov2_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from imgsearch.models.export import export_checkpoint

    out = tmp_path_factory.mktemp("models") / "tiny-dinov2"
    export_checkpoint(dinov2_checkpoint, out, model_id="tiny-dinov2")
    return out


@pytest.fixture(scope="session")
def clip_embedder(clip_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(clip_model_dir, cache_dir=tmp_path_factory.mktemp("cache"))


def photo(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """A smooth, photo-like RGB test image (gradients plus a few shapes), not white noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, phase = [*rng.uniform(0.5, 4, 2).tolist(), rng.uniform(0, 6.28)]
        channels.append(127 + 120 * np.sin(x / width * fx * 3.14 + y / height * fy * 3.14 + phase))
    array = np.stack(channels, axis=-1)
    for _ in range(4):
        cx, cy = rng.integers(0, width), rng.integers(0, height)
        r = rng.integers(5, max(6, min(width, height) // 4))
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        array[mask] = rng.integers(0, 255, 3)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


@pytest.fixture
def sample_photo() -> Image.Image:
    return photo()


def hub_cache(root: Path, repo_id: str, files: Path) -> Path:
    """Lay ``files`` out the way huggingface_hub caches a downloaded snapshot."""
    repo_dir = root / f"models--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(files, repo_dir / "snapshots" / commit)
    (repo_dir / "refs").mkdir(parents=True)
    (repo_dir / "refs" / "main").write_text(commit)
    return root


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In the fast tier, a module marked ``model`` as a whole is not even imported (its
    imports would load torch before its tests are deselected)."""
    fast = "not model" in (config.getoption("markexpr") or "")
    module = collection_path.suffix == ".py" and collection_path.name.startswith("test_")
    if not (fast and module):
        return None
    return "pytestmark = pytest.mark.model" in collection_path.read_text(encoding="utf-8") or None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast tier (``-m "not model ..."``) must not have imported torch at all; the
    session's home folder goes."""
    import sys

    shutil.rmtree(TEST_HOME, ignore_errors=True)

    if "not model" in (session.config.getoption("markexpr") or "") and "torch" in sys.modules:
        session.config.get_terminal_writer().line(
            "the fast tier imported torch: a test without the model marker needs it", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def copy_graph(source: Path, target: Path) -> None:
    """Copy an exported ONNX graph as one self-contained file (its external weights
    inlined), the way other tools publish theirs."""
    import onnx

    onnx.save(onnx.load(str(source)), str(target))


def exiftool_command() -> str:
    """Debian's exiftool (``libimage-exiftool-perl``), the real tool the XMP tests write and
    read metadata with: required where ``IMGSEARCH_REQUIRE_EXIFTOOL`` is set (CI), else the
    test is skipped."""
    found = shutil.which("exiftool")
    if found is None:
        if os.environ.get("IMGSEARCH_REQUIRE_EXIFTOOL"):
            pytest.fail("exiftool is required here (apt-get install libimage-exiftool-perl)")
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    return found
