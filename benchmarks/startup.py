"""How long the command takes to start: ``import planner.cli`` and ``planner --help`` (issue 19).

Target: ``planner --help`` under 0.5 s, which needs the command's parser to import no numpy,
geopandas or other heavy library (they are imported when a command actually runs).

Example (from the repository root)::

    python benchmarks/startup.py                  # prints the numbers
    python benchmarks/startup.py --update-md      # ... and rewrites its BENCHMARKS.md section

Each measurement is a fresh interpreter (``python -X importtime -c "import planner.cli"`` and
``python -m planner.cli --help``), run ``--repeat`` times; the median wall time is reported, with
the heavy libraries found in ``sys.modules`` afterwards. The machine is shared, so expect noise.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from typing import Any

from _common import BENCHMARKS_MD, REPO, RESULTS_DIR, machine, replace_section, write_json

HEAVY = ("numpy", "pandas", "scipy", "geopandas", "shapely", "pyproj", "folium", "dask")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _importtime() -> tuple[float, list[str]]:
    """Cumulative microseconds of ``planner.cli`` as ``-X importtime`` reports it, heavy modules."""
    code = (
        "import sys, planner.cli; "
        "print(','.join(sorted(set(m.split('.')[0] for m in sys.modules))))"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        check=True, cwd=REPO, env=_env(), capture_output=True, text=True,
    )
    cumulative = 0
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*planner\.cli$", line)
        if m:
            cumulative = int(m.group(1))
    loaded = set(done.stdout.strip().split(","))
    return cumulative / 1e6, [h for h in HEAVY if h in loaded]


def measure(repeat: int) -> dict[str, Any]:
    imports = [_importtime() for _ in range(repeat)]
    helps = [_wall([sys.executable, "-m", "planner.cli", "--help"]) for _ in range(repeat)]
    bare = [_wall([sys.executable, "-c", "pass"]) for _ in range(repeat)]
    return {
        "importtime_cli_s": statistics.median(t for t, _ in imports),
        "heavy_after_import": imports[0][1],
        "help_wall_s": statistics.median(helps),
        "python_bare_s": statistics.median(bare),
        "repeat": repeat,
    }


def render(result: dict[str, Any]) -> str:
    rows = ["| state | `import planner.cli` (importtime, cumulative) | `planner --help` (wall) | "
            "bare `python -c pass` | heavy modules loaded by the import |",
            "| --- | ---: | ---: | ---: | --- |"]
    for label, r in result["runs"].items():
        heavy = ", ".join(r["heavy_after_import"]) or "none"
        rows.append(
            f"| {label} | {r['importtime_cli_s']:.2f} s | {r['help_wall_s']:.2f} s | "
            f"{r['python_bare_s']:.2f} s | {heavy} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label", default="now", help="row name (e.g. before, after)")
    parser.add_argument("--update-md", action="store_true")
    args = parser.parse_args()
    path = RESULTS_DIR / "startup.json"
    result: dict[str, Any] = {"runs": {}}
    if path.exists():
        import json

        result = json.loads(path.read_text())
    result["runs"][args.label] = measure(args.repeat)
    result["machine"] = machine()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    write_json(path, result)
    print(render(result))
    if args.update_md:
        text = BENCHMARKS_MD.read_text()
        BENCHMARKS_MD.write_text(replace_section(text, "startup", render(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
