"""Benchmark of the map's "Try sites" panel on the bundled Almaty demo (issue 12).

Targets: the demo's ``map.html`` stays under 8 MB, and a click in the panel answers in under
100 ms in this machine's headless Chromium, offline.

Example (from the repository root)::

    python benchmarks/try_sites.py                 # ~1-2 min: the demo, then 12 clicks
    python benchmarks/try_sites.py --update-md     # ... and rewrite its BENCHMARKS.md section

It runs ``planner demo`` (Almaty 2012, 10 new sites, the default panel of 3,000 clickable
sites) into a temporary folder, opens its ``map.html`` in headless Chromium with networking
off and every non-``file:`` request blocked, and clicks ``--clicks`` clickable sites one after
the other (each centred on screen first, as a user would zoom to it). For each click it reads
the page's own ``plannerTrySites.timing``: ``lastClickMs`` (from the click event to the panel's
numbers and highlighted homes updated) and ``lastPaintMs`` (until the next frame could be
painted). It also records the panel's start-up (``initMs``), the file size, and the time of
loading the best plan of the selection's size (the panel's button). Results go to
``benchmarks/_results/try_sites.json``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, RESULTS_DIR, machine, write_json

MAX_BYTES = 8_000_000
MAX_CLICK_MS = 100.0
MARK_START = "<!-- bench:try_sites:start -->"
MARK_END = "<!-- bench:try_sites:end -->"


def _chromium() -> str:
    for path in (os.environ.get("PLANNER_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if path and Path(path).exists():
            return path
    raise SystemExit("Chromium not found: bash .ci/install-browser.sh, or set PLANNER_CHROMIUM")


def _demo(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "planner.cli", "demo", "--out", str(out), "-q"],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _measure(map_path: Path, clicks: int) -> dict[str, Any]:
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        context.set_offline(True)
        blocked: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(("file://", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(map_path.resolve().as_uri())
        page.wait_for_function("window.plannerTrySites !== undefined")
        load_s = time.perf_counter() - t0
        init_ms = page.evaluate("plannerTrySites.timing.initMs")
        sites = page.evaluate("plannerTrySites.candidates()")
        # the plan's own sites carry a numbered marker (their popup has the add button)
        plain = [s for s in sites if s["kind"] == "candidate"]
        step = max(1, len(plain) // clicks)
        click_ms, paint_ms, highlighted = [], [], []
        for site in plain[::step][:clicks]:
            page.evaluate(
                "([lat, lon]) => {"
                " plannerTrySites.map.setView([lat, lon], 18, {animate: false}); }",
                [site["lat"], site["lon"]],
            )
            page.wait_for_timeout(150)
            x, y = page.evaluate(
                "([lat, lon]) => { var m = plannerTrySites.map;"
                " var q = m.latLngToContainerPoint([lat, lon]);"
                " var r = m.getContainer().getBoundingClientRect();"
                " return [r.left + q.x, r.top + q.y]; }",
                [site["lat"], site["lon"]],
            )
            page.mouse.click(x, y)
            page.wait_for_timeout(100)
            click_ms.append(page.evaluate("plannerTrySites.timing.lastClickMs"))
            paint_ms.append(page.evaluate("plannerTrySites.timing.lastPaintMs"))
            highlighted.append(page.evaluate("plannerTrySites.highlighted()"))
        selected = len(page.evaluate("plannerTrySites.selection()"))
        # the best plan of 10 sites (the button), from a selection of 10
        page.evaluate("(ids) => { plannerTrySites.select(ids); }", [s["id"] for s in plain[:10]])
        best_ms = page.evaluate(
            "() => { var t = performance.now(); plannerTrySites.loadBest();"
            " return performance.now() - t; }"
        )
        best_size = len(page.evaluate("plannerTrySites.selection()"))
        browser.close()
    return {
        "page_load_s": load_s,
        "init_ms": init_ms,
        "clickable_sites": len(sites),
        "clicks": len(click_ms),
        "selected_after_clicks": selected,
        "click_ms": click_ms,
        "paint_ms": paint_ms,
        "highlighted_homes": highlighted,
        "load_best_ms": best_ms,
        "load_best_size": best_size,
        "blocked_requests": blocked,
    }


def _render(r: dict[str, Any]) -> str:
    size, clicks = r["map_bytes"], r["click_ms"]
    worst = max(clicks)
    size_verdict = "met" if size < MAX_BYTES else f"**missed by {size - MAX_BYTES:,} bytes**"
    click_verdict = (
        "met" if worst < MAX_CLICK_MS else f"**missed by {worst - MAX_CLICK_MS:.0f} ms**"
    )
    median = statistics.median(clicks)
    rows = [
        "| target | limit | measured | verdict |",
        "| --- | --- | --- | --- |",
        f"| Almaty demo `map.html` with the Try sites panel | < 8 MB | {size:,} bytes "
        f"| {size_verdict} ({100 * size / MAX_BYTES:.0f} % of the limit) |",
        f"| a click in the panel, headless Chromium, offline | < 100 ms "
        f"| worst {worst:.1f} ms of {len(clicks)} clicks (median {median:.1f} ms) "
        f"| {click_verdict} |",
    ]
    detail = (
        f"{r['clickable_sites']:,} clickable sites; clicks took "
        + ", ".join(f"{c:.1f}" for c in clicks)
        + " ms from the click to the panel and highlighted homes updated (painted within "
        f"{max(r['paint_ms']):.0f} ms), ending with {r['selected_after_clicks']} sites selected "
        f"and {r['highlighted_homes'][-1]:,} homes highlighted. The panel starts in "
        f"{r['init_ms']:.0f} ms; the page loads in {r['page_load_s']:.1f} s; loading the best "
        f"plan of {r['load_best_size']} sites (the button) takes {r['load_best_ms']:.0f} ms. "
        f"Blocked network requests: {len(r['blocked_requests'])}. `planner demo` took "
        f"{r['demo_s']:.0f} s. Measured {r['measured']} at commit "
        f"{r['machine'].get('commit', '?')}; `python benchmarks/try_sites.py --update-md`."
    )
    return "\n".join([MARK_START, *rows, "", detail, MARK_END])


def _update_md(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    md = path.read_text(encoding="utf-8")
    if MARK_START in md:
        md = re.sub(
            re.escape(MARK_START) + ".*?" + re.escape(MARK_END), lambda _: text, md, flags=re.S
        )
    else:
        md = md.rstrip("\n") + '\n\n## The map\'s "Try sites" panel (issue 12)\n\n' + text + "\n"
    path.write_text(md, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clicks", type=int, default=12)
    ap.add_argument("--update-md", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        demo_s = _demo(out)
        map_path = out / "map.html"
        result = {"map_bytes": map_path.stat().st_size, "demo_s": demo_s}
        result |= _measure(map_path, args.clicks)
    result["measured"] = time.strftime("%Y-%m-%d %H:%M")
    result["machine"] = machine()
    write_json(RESULTS_DIR / "try_sites.json", result)
    text = _render(result)
    print(text)
    if args.update_md:
        _update_md(text)


if __name__ == "__main__":
    main()
