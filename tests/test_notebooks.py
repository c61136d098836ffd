"""Run every notebook in notebooks/ against the bundled data; a failing cell fails the build.

The notebooks execute in a fresh ``python3`` kernel started with this interpreter (the one
where ``planner`` and the test extras are installed), whatever kernels the machine has
registered: the test writes its own ``python3`` kernel spec to a temporary folder and puts it
first on ``JUPYTER_PATH``. Python warnings inside the kernel do not reach pytest's
``filterwarnings = ["error"]``, so the test fails on any warning printed by a cell instead.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: Seconds one cell may take (the slowest, exact siting, takes about 15 s).
CELL_TIMEOUT_S = 600
#: A Python warning as the warnings module prints it: "file.py:12: FutureWarning: text".
WARNING_LINE = re.compile(r"\b\w*Warning: ")


def test_notebooks_exist() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 2, f"expected at least two notebooks in {NOTEBOOKS_DIR}, found {names}"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``python3`` kernel spec that runs this interpreter, ahead of any installed one."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (precinct-planner tests)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        old = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        mp.setenv("JUPYTER_PATH", os.pathsep.join([str(jupyter_dir), *old]))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no path-migration DeprecationWarning
        # the kernel picks matplotlib's inline backend itself (figures as PNG outputs); an
        # inherited MPLBACKEND=Agg would make every plt.show() warn instead
        mp.delenv("MPLBACKEND", raising=False)
        yield "python3"


def _warnings_in(nb: object) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):  # type: ignore[attr-defined]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and WARNING_LINE.search(output["text"]):
                found.append(f"cell {index}: {output['text'].strip()[:500]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_name: str) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed\n{exc}", pytrace=False)
    elapsed = time.perf_counter() - start
    warnings = _warnings_in(nb)
    assert not warnings, f"{path.name} printed warnings:\n" + "\n".join(warnings)
    print(f"{path.name}: {elapsed:.1f} s")
