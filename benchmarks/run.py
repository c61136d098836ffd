"""Benchmark harness: one instance through the project and through the OSMnx/spopt peer path.

Examples (from the repository root)::

    python benchmarks/run.py --instance almaty                 # project + peer, ~1 min
    python benchmarks/run.py --instance malta                  # project + peer, ~4 min
    python benchmarks/run.py --instance malta --no-peer        # project only, ~30 s
    python benchmarks/run.py --instance synthetic --sizes 10000,100000,300000,1000000
    python benchmarks/run.py --instance almaty --update-md     # also rewrite BENCHMARKS.md

Each path runs in its own subprocess (``project_path.py``, ``peer_path.py``, ``synthetic.py``)
so that their peak memory does not mix. Results go to ``benchmarks/_results/<instance>.json``;
the table goes to stdout. The peer path needs the ``bench`` extra (spopt, PuLP with CBC,
matplotlib for the chart): ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time

from _common import BENCH_DIR, INSTANCES, RESULTS_DIR, machine, write_json


def _child(script: str, *args: str) -> dict | None:
    """Run one side in a fresh interpreter; its JSON result, or None if it wrote none."""
    out = RESULTS_DIR / f"_part_{script.removesuffix('.py')}_{int(time.time() * 1000)}.json"
    cmd = [sys.executable, str(BENCH_DIR / script), *args, "--out", str(out)]
    print("$", " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=BENCH_DIR.parent)
    if not out.exists():
        print(f"{script} exited {proc.returncode} without results", file=sys.stderr)
        return None
    result = json.loads(out.read_text())
    out.unlink()
    result["process_wall_s"] = time.perf_counter() - start
    result["exit_code"] = proc.returncode
    return result


def run_instance(args: argparse.Namespace, command: str) -> dict:
    name = args.instance
    extra = ["--candidates", str(args.candidates)] if args.candidates else []
    project = _child(
        "project_path.py", "--instance", name, "--time-limit", str(args.time_limit), *extra
    )
    peer = None
    previous = RESULTS_DIR / f"{name}.json"
    if args.keep_peer and previous.exists():
        old = json.loads(previous.read_text())
        peer = old.get("peer")
        if peer is not None:
            peer.setdefault("reused_from", old.get("timestamp"))
    elif args.peer and project is not None:
        peer = _child("peer_path.py", "--instance", name, "--time-limit", str(args.peer_time_limit))
    result = {
        "instance": name,
        "command": command,
        "timestamp": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "source": str(INSTANCES[name].pbf),
        "project": project,
        "peer": peer,
    }
    write_json(RESULTS_DIR / f"{name}.json", result)
    return result


def run_synthetic(args: argparse.Namespace, command: str) -> dict:
    path = RESULTS_DIR / "synthetic.json"
    previous = json.loads(path.read_text()) if path.exists() else {"runs": []}
    runs = {r["info"].get("nodes_requested"): r for r in previous.get("runs", [])}
    for size in args.sizes:
        extra = ["--candidates", str(args.candidates)] if args.candidates else []
        res = _child(
            "synthetic.py", "--nodes", str(size), "--time-limit", str(args.time_limit), *extra
        )
        if res is not None:
            res["info"]["nodes_requested"] = size
            runs[size] = res
    result = {
        "instance": "synthetic",
        "command": command,
        "timestamp": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "runs": [runs[k] for k in sorted(runs, key=lambda k: k or 0)],
    }
    write_json(path, result)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument("--instance", required=True, choices=[*sorted(INSTANCES), "synthetic"])
    parser.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the OSMnx + networkx + spopt/CBC path (default: yes)",
    )
    parser.add_argument(
        "--keep-peer",
        action="store_true",
        help="run the project only and keep the peer results of the previous run (the peer "
        "path does not change when the project does; the details say when it was measured)",
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000,300000,1000000",
        help="synthetic city sizes in walk-network nodes, comma separated",
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="candidate sites (default: 2,000 Almaty, 5,000 Malta and synthetic)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="time limit of the project's exact siting, s"
    )
    parser.add_argument(
        "--peer-time-limit",
        type=float,
        default=1800.0,
        help="time limit given to CBC on the peer path, s",
    )
    parser.add_argument(
        "--update-md", action="store_true", help="rewrite the instance's section of BENCHMARKS.md"
    )
    args = parser.parse_args()
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    command = "python benchmarks/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    import report

    if args.instance == "synthetic":
        result = run_synthetic(args, command)
        print(report.growth_table(result))
    else:
        result = run_instance(args, command)
        print(report.instance_table(result))
        print()
        print(report.instance_details(result))
    if args.update_md:
        report.update_markdown([args.instance])
        print(f"rewrote {report.BENCHMARKS_MD}", file=sys.stderr)
    failed = result.get("project") is None if args.instance != "synthetic" else not result["runs"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
