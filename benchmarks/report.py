"""Tables and the growth chart from the results in ``benchmarks/_results/``.

``python benchmarks/report.py`` prints the tables and rewrites the generated sections of
BENCHMARKS.md (between ``<!-- bench:NAME:start -->`` and ``<!-- bench:NAME:end -->``) and the
growth chart ``benchmarks/growth.png``. Only instances with a results file are rewritten.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, BENCHMARKS_MD, RESULTS_DIR, machine_text, replace_section

GROWTH_PNG = BENCH_DIR / "growth.png"

PHASES = ("load", "candidates", "service_areas", "coverage_matrix", "kernel", "siting")
LABELS = {
    "load": "read OSM -> walk network, stations, demand",
    "candidates": "candidate sites",
    "service_areas": "walking distances, coverage, service areas",
    "coverage_matrix": "coverage matrix (candidates x buildings)",
    "kernel": "bare kernel: scipy dijkstra alone",
    "siting": "siting (project: exact MILP; peer: spopt MCLP + CBC)",
    "plan": "whole `planner plan` run",
}


def _phase(side: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not side:
        return None
    return next((p for p in side.get("phases", []) if p["phase"] == name), None)


def _s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _time(p: dict[str, Any] | None) -> str:
    if not p:
        return "–"
    text = _s(p["wall_s"])
    return f"{text} ({_s(p['cpu_s'])})" if p.get("cpu_s") is not None else text


def _covered(p: dict[str, Any] | None) -> str:
    if not p:
        return "–"
    parts = []
    if p.get("residents_covered") is not None:
        parts.append(f"{p['residents_covered']:,.0f} res.")
    if p.get("buildings_covered") is not None:
        parts.append(f"{p['buildings_covered']:,} bldg")
    if p.get("gap") is not None:
        parts.append(f"gap {100 * p['gap']:.2g}%")
    if p.get("status") and p["phase"] == "siting":
        parts.append(str(p["status"]))
    return ", ".join(parts) or "–"


def instance_table(result: dict[str, Any]) -> str:
    """Markdown table: the phases of one instance, project vs peer."""
    project, peer = result.get("project"), result.get("peer")
    lines = [
        "| phase | project s wall (cpu) | peer s wall (cpu) | peer / project wall (cpu) "
        "| project peak MiB | peer peak MiB | project covered | peer covered |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    names = [n for n in (*PHASES, "plan") if _phase(project, n) or _phase(peer, n)]
    for name in names:
        a, b = _phase(project, name), _phase(peer, name)
        ratio = "–"
        if a and b:
            ratio = f"{b['wall_s'] / a['wall_s']:.1f}x"
            if a.get("cpu_s") and b.get("cpu_s"):
                ratio += f" ({b['cpu_s'] / a['cpu_s']:.1f}x)"
        mem_a = f"{a['peak_rss_mb']:.0f}" if a else "–"
        mem_b = f"{b['peak_rss_mb']:.0f}" if b else "–"
        lines.append(
            f"| {LABELS.get(name, name)} | {_time(a)} | {_time(b)} | {ratio} | {mem_a} | {mem_b} "
            f"| {_covered(a)} | {_covered(b)} |"
        )
    cm, kernel = _phase(project, "coverage_matrix"), _phase(project, "kernel")
    if cm and kernel:
        lines.append("")
        lines.append(
            f"Coverage matrix / bare kernel: {cm['wall_s']:.2f} s / {kernel['wall_s']:.2f} s "
            f"= {cm['wall_s'] / kernel['wall_s']:.1f}x ({kernel.get('n_sources')} sources, "
            f"{kernel.get('access_nodes'):,} access-graph nodes, blocks of "
            f"{kernel.get('block_rows')} rows)."
        )
    return "\n".join(lines)


def instance_details(result: dict[str, Any]) -> str:
    """The inputs both paths used and the sub-phase timings, as a short list."""
    project, peer = result.get("project") or {}, result.get("peer") or {}
    load = _phase(project, "load") or {}
    info = project.get("info", {})
    out = [
        f"- Run {result.get('timestamp', '?')}, commit {result.get('machine', {}).get('commit')}"
        f"; command `{result.get('command', '')}`.",
        f"- Walk network: {load.get('nodes', '?'):,} nodes, {load.get('edges', '?'):,} edges; "
        f"{load.get('stations', '?')} stations; {load.get('demand_buildings', '?'):,} demand "
        f"buildings of {load.get('buildings_in_file', '?'):,}, "
        f"{load.get('residents', 0):,.0f} residents.",
        f"- Stations: {info.get('stations')}. Demand: {info.get('demand')}. "
        f"Candidates: {info.get('candidates')}.",
    ]
    if load:
        out.append(
            "- Project load: "
            + ", ".join(
                f"{k.removesuffix('_s')} {v:.2f} s"
                for k, v in load.items()
                if k.endswith("_s") and k not in ("wall_s", "cpu_s")
            )
            + "."
        )
    sa = _phase(project, "service_areas") or {}
    if sa:
        out.append(
            "- Project service areas: "
            + ", ".join(
                f"{k.removesuffix('_s')} {v:.2f} s"
                for k, v in sa.items()
                if k.endswith("_s") and k not in ("wall_s", "cpu_s")
            )
            + (f"; **{sa['service_areas_error']}**" if sa.get("service_areas_error") else "")
            + "."
        )
    plan = _phase(project, "plan") or {}
    if plan:
        steps = "; ".join(f"{k} {v:.1f} s" for k, v in plan.get("steps", {}).items())
        out.append(
            f"- `{plan.get('command')}` (exit {plan.get('exit_code')}): {steps or 'no steps'}; "
            "wall time includes interpreter start-up and imports; peak memory is the child "
            "process's."
        )
        if plan.get("error"):
            out.append(f"- `planner plan` failed: {plan['error'][-300:]}")
    if peer.get("reused_from"):
        out.append(f"- Peer path measured {peer['reused_from']} (reused with --keep-peer).")
    pl = _phase(peer, "load") or {}
    if pl:
        pinfo = peer.get("info", {})
        out.append(
            f"- Peer load: graph_from_xml {pl.get('graph_from_xml_s', 0):.1f} s "
            f"({pl.get('osmnx_nodes', 0):,} nodes, {pl.get('osmnx_edges', 0):,} directed "
            f"edges), features_from_xml {pl.get('features_from_xml_s', 0):.1f} s, projection "
            f"{pl.get('project_s', 0):.1f} s; XML made once beforehand "
            f"({pinfo.get('dropped_highway_ways', 0)} clipped highway ways dropped, "
            f"{pinfo.get('convert_s', 0):.1f} s, not timed)."
        )
    ps = _phase(peer, "siting") or {}
    if ps:
        out.append(
            f"- Peer siting: model build {ps.get('build_s', 0):.1f} s, CBC solve "
            f"{ps.get('solve_s', 0):.1f} s ({ps.get('demand_rows')} demand rows not already "
            f"covered, status {ps.get('status')})."
        )
    if peer.get("info", {}).get("error"):
        out.append(f"- Peer path stopped: {peer['info']['error']}")
    if info.get("error"):
        out.append(f"- Project path stopped: {info['error']}")
    return "\n".join(out)


# --- synthetic growth ------------------------------------------------------------------------

GROWTH_PHASES = ("load", "candidates", "service_areas", "coverage_matrix", "kernel", "siting")


def growth_table(result: dict[str, Any]) -> str:
    lines = [
        "| nodes | edges | buildings | stations | build network s wall (cpu) | candidates s "
        "| walking distances + service areas s | coverage matrix s | bare kernel s | siting s "
        "| siting gap | peak MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in sorted(result.get("runs", []), key=lambda r: r["info"].get("nodes", 0)):
        info = run["info"]
        cells = []
        for name in GROWTH_PHASES:
            p = _phase(run, name)
            cells.append(_time(p))
        siting = _phase(run, "siting") or {}
        gap = f"{100 * siting['gap']:.2g}%" if siting.get("gap") is not None else "–"
        lines.append(
            f"| {info.get('nodes', 0):,} | {info.get('edges', 0):,} | "
            f"{info.get('buildings', 0):,} | {info.get('stations', 0):,} | "
            + " | ".join(cells)
            + f" | {gap} | {run.get('peak_rss_mb', 0):.0f} |"
        )
        if info.get("error"):
            lines[-1] += f" stopped: {info['error']}"
    return "\n".join(lines)


def growth_chart(result: dict[str, Any], path: Path = GROWTH_PNG) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted(result.get("runs", []), key=lambda r: r["info"].get("nodes", 0))
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    labels = {**LABELS, "load": "generate grid city, build walk network"}
    for name in GROWTH_PHASES:
        pts = [(r["info"]["nodes"], p["wall_s"]) for r in runs if (p := _phase(r, name))]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, marker="o", label=labels.get(name, name).split(" (")[0])
    cm = [(r["info"]["nodes"], p["wall_s"]) for r in runs if (p := _phase(r, "coverage_matrix"))]
    if cm:  # a line of slope 1 through the first coverage-matrix point: linear growth
        n0, t0 = cm[0]
        n1 = runs[-1]["info"]["nodes"]
        ax.plot([n0, n1], [t0, t0 * n1 / n0], ls=":", color="grey", label="linear growth")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("walk network nodes (synthetic grid city)")
    ax.set_ylabel("wall time, s")
    ax.set_title("precinct-planner: time vs network size (2-core machine)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# --- BENCHMARKS.md ---------------------------------------------------------------------------


def load_result(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def update_markdown(names: list[str], path: Path = BENCHMARKS_MD) -> None:
    text = path.read_text()
    for name in names:
        result = load_result(name)
        if result is None:
            continue
        if name == "synthetic":
            growth_chart(result)
            body = growth_table(result)
        elif name == "national":  # benchmarks/national.py renders its own section
            from national import render

            body = render(result)
        else:
            body = instance_table(result) + "\n\n" + instance_details(result)
        text = replace_section(text, name, body)
        text = replace_section(text, f"{name}-machine", machine_text(result))
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["almaty", "malta", "synthetic"])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    for name in args.names:
        result = load_result(name)
        if result is None:
            print(f"{name}: no results in {RESULTS_DIR}")
            continue
        print(f"## {name}\n")
        if name == "national":
            from national import render

            print(render(result))
        else:
            print(growth_table(result) if name == "synthetic" else instance_table(result))
        print()
    if not args.no_write:
        update_markdown(args.names)
        print(f"rewrote {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
