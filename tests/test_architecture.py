"""Fitness checks of the package's shape (issue 19), read from the source, not from a run.

- the import graph of ``planner`` has no cycle: every ``import`` counts, at module level or
  inside a function (only imports under ``if TYPE_CHECKING:`` are left out, as they never run);
- imports point down the layers of docs/architecture.md (a numeric core never imports the
  pipeline, the pipeline never the report, ...);
- the numeric cores import no geometry, map or Dask library, not even through a sibling;
- no module imports a ``_private`` name from a public sibling (shared private helpers live in
  ``_private`` modules and are called by module);
- every name of ``planner.__all__`` imports, and the lazy table of ``planner/__init__.py``
  agrees with its ``TYPE_CHECKING`` imports;
- ``planner --help`` needs none of the heavy libraries.

Each check is written as a function of a module table so the tests below can show it failing on
a table with one bad import added.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"

#: The numeric cores: arrays and sparse matrices in, arrays out.
NUMERIC_CORES = (
    "planner.siting",
    "planner._solvers",
    "planner._instance",
    "planner.allocation",
    "planner.repairs",
    "planner.capacitated",
    "planner.redistribution",
    "planner.vehicle_allocation",
)
#: Libraries a numeric core must not import, directly or through a sibling.
GEOMETRY_LIBRARIES = ("geopandas", "shapely", "folium", "branca", "dask", "distributed", "pyproj")
#: The layers of docs/architecture.md, bottom up: a module may import its own layer and those
#: below, never one above. A new module gets a layer here and in the picture there.
LAYERS: dict[str, tuple[str, ...]] = {
    "shared facts": (
        "defaults", "settings", "errors", "_types", "_format", "_files", "_crs", "_tables",
        "_version", "i18n", "_terms",
    ),
    "numeric cores": (
        "siting", "repairs", "capacitated", "allocation", "redistribution", "vehicle_allocation",
        "_instance",
        "_solvers",
    ),
    "the flow": (
        "osm", "network", "demand", "stations", "districts", "snapping", "access", "distances",
        "isochrones", "coverage", "candidates", "covering", "drive", "fetch", "synthetic",
    ),
    "results": ("results",),
    "orchestration": ("pipeline", "station_review", "inspector_moves", "vehicles"),
    "outputs": (
        "report", "output_set", "outputs", "try_sites", "vehicle_outputs",
        "maps", "maps.city", "maps.national", "maps._leaflet",
    ),
    "national": (
        "national", "national.run", "national.report", "national.results", "national.units",
        "units", "_dask_worker",
    ),
    "command line": ("cli", "_cli_parser", "_cli_inputs", "_cli_print", "qgis_plugin"),
    "public API": ("",),
}  # fmt: skip
HEAVY_FOR_HELP = ("numpy", "pandas", "scipy", "geopandas", "shapely", "pyproj", "folium", "dask")


@dataclass(frozen=True)
class Import:
    """One import statement's target as seen from the module that holds it."""

    module: str  # the module imported ("planner.outputs", "numpy", ...)
    names: tuple[str, ...]  # names taken from it with ``from ... import`` (empty for ``import``)
    line: int


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(source: str, name: str, *, is_package: bool) -> list[Import]:
    """Every import of a module's source (module level and in functions), targets resolved."""
    tree = ast.parse(source)
    skip = _type_checking_lines(tree)
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, (), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(Import(target, tuple(a.name for a in node.names), node.lineno))
    return found


def package_sources(root: Path = PACKAGE) -> dict[str, tuple[str, bool]]:
    """``{module name: (source, is_package)}`` for every module of the package."""
    return {
        module_name(path, root): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted(root.rglob("*.py"))
    }


def import_graph(sources: Mapping[str, tuple[str, bool]]) -> dict[str, dict[str, int]]:
    """``{module: {imported planner module: line}}``; ``from pkg import sub`` points at ``sub``."""
    graph: dict[str, dict[str, int]] = {}
    for name, (source, is_package) in sources.items():
        edges: dict[str, int] = {}
        for imp in imports_of(source, name, is_package=is_package):
            if imp.module.split(".")[0] != "planner":
                continue
            targets = [f"{imp.module}.{n}" for n in imp.names if f"{imp.module}.{n}" in sources]
            if len(targets) < len(imp.names) or not imp.names:
                targets.append(imp.module)  # names defined in the module itself
            for target in targets:
                if target != name and target in sources:
                    edges.setdefault(target, imp.line)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> int | None:
    """The index of ``module``'s layer in :data:`LAYERS` (0 = bottom), or None."""
    short = module.removeprefix("planner").removeprefix(".")
    for i, members in enumerate(LAYERS.values()):
        if short in members:
            return i
    return None


def upward_imports(graph: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Imports of a module from a higher layer, and modules without a layer."""
    bad: list[str] = []
    names = list(LAYERS)
    for module, edges in sorted(graph.items()):
        mine = layer_of(module)
        if mine is None:
            bad.append(f"{module} has no layer: add it to LAYERS and docs/architecture.md")
            continue
        for target, line in edges.items():
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                bad.append(
                    f"{module}:{line} ({names[mine]}) imports {target} ({names[theirs]}), "
                    "a layer above it"
                )
    return bad


def _closure(graph: Mapping[str, Mapping[str, int]], start: str) -> Iterator[str]:
    seen = {start}
    todo = [start]
    while todo:
        v = todo.pop()
        yield v
        for w in graph.get(v, {}):
            if w not in seen:
                seen.add(w)
                todo.append(w)


def geometry_imports(sources: Mapping[str, tuple[str, bool]], core: str) -> list[str]:
    """Where ``core`` or a planner module it imports (transitively) imports a geometry library."""
    graph = import_graph(sources)
    bad: list[str] = []
    for name in _closure(graph, core):
        source, is_package = sources[name]
        for imp in imports_of(source, name, is_package=is_package):
            if imp.module.split(".")[0] in GEOMETRY_LIBRARIES:
                bad.append(f"{name}:{imp.line} imports {imp.module}")
    return bad


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def private_imports(sources: Mapping[str, tuple[str, bool]]) -> list[str]:
    """``from <public planner module> import _name`` anywhere in the package."""
    bad: list[str] = []
    for name, (source, is_package) in sources.items():
        for imp in imports_of(source, name, is_package=is_package):
            if imp.module.split(".")[0] != "planner" or _is_private(imp.module):
                continue
            for n in imp.names:
                if n.startswith("_") and f"{imp.module}.{n}" not in sources:
                    bad.append(f"{name}:{imp.line} imports {n} from {imp.module}")
    return bad


# --- the checks on the package as it is ---------------------------------------------------------


def test_no_import_cycle() -> None:
    assert cycles(import_graph(package_sources())) == []


def test_imports_point_down_the_layers() -> None:
    assert upward_imports(import_graph(package_sources())) == []


@pytest.mark.parametrize("core", NUMERIC_CORES)
def test_numeric_cores_import_no_geometry(core: str) -> None:
    sources = package_sources()
    assert core in sources, f"{core} is not a module of planner any more: update NUMERIC_CORES"
    assert geometry_imports(sources, core) == []


def test_no_private_name_from_a_public_module() -> None:
    assert private_imports(package_sources()) == []


def test_every_public_name_imports() -> None:
    code = (
        "import planner\n"
        "missing = [n for n in planner.__all__ if getattr(planner, n, None) is None]\n"
        "assert not missing, missing\n"
        "ns = {}\n"
        "exec('from planner import *', ns)\n"
        "assert set(planner.__all__) <= set(ns), set(planner.__all__) - set(ns)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)


def test_lazy_table_matches_type_checking_imports() -> None:
    """``planner/__init__.py`` names each public name twice (for mypy and for the lazy import)."""
    source, _ = package_sources()["planner"]
    static: set[tuple[str, str]] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.body:
                assert isinstance(child, ast.ImportFrom), ast.unparse(child)
                static.update((child.module or "", a.name) for a in child.names)
    sys.path.insert(0, str(PACKAGE.parent))
    try:
        import planner
    finally:
        sys.path.pop(0)
    lazy = {(module, n) for n, module in planner._EXPORTS.items()}
    assert static == lazy
    assert set(planner._EXPORTS) | {"__version__"} == set(planner.__all__)


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from planner.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = [m for m in {HEAVY_FOR_HELP!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=PACKAGE.parent, stdout=subprocess.DEVNULL
    )


# --- each check can fail -----------------------------------------------------------------------


def _with(sources: Mapping[str, tuple[str, bool]], name: str, extra: str) -> dict:
    changed = dict(sources)
    source, is_package = changed[name]
    changed[name] = (source + "\n" + extra + "\n", is_package)
    return changed


def test_a_function_level_import_back_makes_a_cycle() -> None:
    sources = package_sources()
    bad = _with(
        sources, "planner.errors", "def f():\n    from planner.settings import WalkSettings"
    )
    # settings reaches errors through planner.i18n too, so the cycle may hold i18n as well
    found = cycles(import_graph(bad))
    assert any({"planner.errors", "planner.settings"} <= set(c) for c in found), found


def test_an_import_of_the_orchestration_from_a_core_is_an_upward_import() -> None:
    sources = package_sources()
    bad = _with(sources, "planner.siting", "def f():\n    from planner.pipeline import plan_sites")
    line = sources["planner.siting"][0].count("\n") + 3
    assert upward_imports(import_graph(bad)) == [
        f"planner.siting:{line} (numeric cores) imports planner.pipeline (orchestration), "
        "a layer above it"
    ]


def test_a_geometry_import_in_a_sibling_of_a_core_is_found() -> None:
    sources = package_sources()
    bad = _with(sources, "planner.errors", "def f():\n    import shapely")
    assert "planner.errors" in import_graph(sources)["planner.siting"]
    assert any("planner.errors" in line for line in geometry_imports(bad, "planner.siting"))


def test_a_private_name_from_a_public_module_is_found() -> None:
    sources = package_sources()
    bad = _with(sources, "planner.settings", "from planner.errors import _joined")
    line = sources["planner.settings"][0].count("\n") + 2
    new = set(private_imports(bad)) - set(private_imports(sources))
    assert new == {f"planner.settings:{line} imports _joined from planner.errors"}
