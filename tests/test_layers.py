"""The package's shape, read from its imports: each part imports only from the parts
below it, nothing imports in a circle, and the top of ``src/imgsearch`` holds only the
base and the facade.

Why a test: the layers are what lets the library run without the CLI or the server, the
fast tier run without torch, and a maintainer find a concept by its package name. They
drifted once (twenty loose modules, a registry that imported upward); this keeps them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import imgsearch

PACKAGE = Path(imgsearch.__file__).parent

# Bottom to top. A part may import from its own rank and below, never above; parts of one
# rank may not import each other in a circle (checked below).
LAYERS: list[set[str]] = [
    {"errors", "types", "config", "lazy", "json_input", "pipeline", "metrics"},  # the base
    {"media", "store", "ocr"},  # pixels and text from files; where things are kept
    {"models"},  # the model seam: encoders, their registry, the catalog
    {"kinds"},  # kinds of items: how each is read, expanded into parts and shown
    {"query", "duplicates"},  # what a query is and how it meets an index
    {"regions", "tags"},  # boxes inside images; zero-shot tags from stored vectors
    {"indexer"},  # a folder into an index
    {"index", "index_regions", "index_browsing", "index_tags"},  # the facade (imgsearch.Index)
    {"evaluation", "demo", "selection"},  # built on the facade
    {"server"},  # the HTTP edge
    {"cli"},  # the command line (it starts the server)
    {"__init__"},  # the public API, re-exported
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every imgsearch module ``name`` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "imgsearch")
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([target] if target else []))
            if target.split(".")[0] != "imgsearch":
                continue
            submodules = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            yield from submodules or [target]


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {t for t in imports_of(name, path, known) if t in known and t != name}
        for name, path in known.items()
    }


def test_every_part_has_a_layer() -> None:
    assert {part_of(m) for m in modules()} == set(RANK)


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in targets
        if RANK[part_of(target)] > RANK[part_of(source)]
    )
    assert upward == []


def test_parts_do_not_import_each_other_in_a_circle() -> None:
    between: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph().items():
        between[part_of(source)] |= {part_of(t) for t in targets} - {part_of(source)}
    assert _cycles(between) == []


def test_modules_do_not_import_each_other_in_a_circle() -> None:
    assert _cycles(graph()) == []


def test_the_model_seam_and_its_registry_live_together() -> None:
    edges = graph()
    assert "imgsearch.models.encoder" in edges and "imgsearch.models.registry" in edges
    outside = {t for t in edges["imgsearch.models.registry"] if RANK[part_of(t)] >= RANK["models"]}
    assert {part_of(t) for t in outside} <= {"models"}


def test_the_top_of_the_package_holds_only_the_base_and_the_facade() -> None:
    loose = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert loose == sorted(LAYERS[0] | LAYERS[RANK["index"]] | {"__init__"})


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_no_class_declares_its_needs_as_stubs() -> None:
    """Five half-classes declared what their host must provide as bare NotImplementedError
    stubs and reached into its private state (issue 35). They became components their
    host owns (the stores' documents, read text and regions; the PostgreSQL vector
    graphs), or — the facade's region side — a mixin whose needs are a Protocol its methods
    take as ``self``, checked by mypy. None may come back."""
    stubbed = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(inner, ast.Raise)
                and isinstance(inner.exc, ast.Name)
                and inner.exc.id == "NotImplementedError"
                for inner in ast.walk(node)
            ):
                stubbed.add(f"{name}.{node.name}")
    assert stubbed == set()


def test_the_edges_go_through_the_facade_not_around_it() -> None:
    """The CLI and the server use the index through :class:`imgsearch.Index`, never its
    store: what they need is a method of the facade, so the Python API can do it too."""
    around = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for edge in ("cli", "server")
        for path in sorted((PACKAGE / edge).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "store"
    ]
    assert around == []
