"""Same inputs, same plan (issue 22, goal 2): no answer may depend on the machine's speed or load.

Every exact solve stops on work the solver counts itself (HiGHS branch-and-bound nodes,
``--node-limit``); the wall-clock ``--time-limit-s`` is only a safety net, off by default, and
when it does stop a solve every output says so (``time_limit_hit``).

The slow-machine tests replace ``time.perf_counter`` by a clock that advances 1,000 s at every
reading: the machine is then slower than any time limit, and the answer must not change. With
the former wall-clock default (60 s per solve) these curves fell back to greedy.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

import planner._solvers as solvers
from planner import outputs
from planner._format import TIME_LIMIT_LINE
from planner.capacitated import maximize_capacitated_coverage
from planner.cli import main
from planner.repairs import schedule_repairs
from planner.siting import coverage_curve, maximize_coverage, minimize_sites
from planner.synthetic import synthetic_country

# The classic instance where greedy is strictly suboptimal (as in test_siting.py):
#
#   demand point:      0  1  2  3  4  5      (population 1 each, total 6)
#   candidate 0:       x  x  x  x  .  .      covers 4
#   candidate 1:       x  x  .  .  x  .      covers 3
#   candidate 2:       .  .  x  x  .  x      covers 3
#
# Best plans: k = 1: {0} covers 4; k = 2: {1, 2} covers all 6 (greedy: {0, 1}, 5); k = 3: 6.
CLASSIC = sp.csr_array(
    (np.ones(10), ([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2, 3, 0, 1, 4, 2, 3, 5])), shape=(3, 6)
)


@pytest.fixture
def slow_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine on which every reading of the clock is 1,000 s after the last one."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))


def _curve_record(curve: Any) -> tuple[Any, ...]:
    return (
        curve.newly_covered.tolist(),
        curve.upper_bound.tolist(),
        [s.tolist() for s in curve.sites],
        curve.status,
    )


def test_curve_by_hand_is_the_same_on_a_slow_machine(slow_machine: None) -> None:
    curve = coverage_curve(CLASSIC, np.ones(6), max_sites=3)
    assert curve.newly_covered.tolist() == [0.0, 4.0, 6.0, 6.0]
    assert [s.tolist() for s in curve.sites][:3] == [[], [0], [1, 2]]
    assert curve.proven_optimal.all()
    assert not curve.time_limit_hit


@pytest.mark.parametrize("seed", range(3))
def test_curves_do_not_depend_on_the_clock(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # random instances whose Lagrangian bound is kept weak, so HiGHS has to branch
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", 1)
    rng = np.random.default_rng(seed)
    pattern = sp.csr_array((rng.random((25, 120)) < 0.12).astype(np.float64))
    population = np.round(rng.lognormal(1.5, 1.0, 120), 1)
    fast = coverage_curve(pattern, population, max_sites=8)
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))
    slow = coverage_curve(pattern, population, max_sites=8)
    assert _curve_record(slow) == _curve_record(fast)
    assert not fast.time_limit_hit and not slow.time_limit_hit


def test_other_solves_do_not_depend_on_the_clock(slow_machine: None) -> None:
    plan = maximize_coverage(CLASSIC, np.ones(6), n_sites=2)
    assert plan.sites.tolist() == [1, 2] and plan.newly_covered_population == 6.0
    fewest = minimize_sites(CLASSIC, np.ones(6), target_share=1.0)
    assert fewest.n_sites == 2 and fewest.proven_optimal and not fewest.time_limit_hit
    # capacity 3 per site: {1, 2} serves all 6; {0, x} serves 3 + 2 at most
    cap = maximize_capacitated_coverage(
        sp.csr_array((0, 6)), CLASSIC, np.ones(6), n_sites=2,
        capacity_existing=3.0, capacity_new=3.0,
    )  # fmt: skip
    assert cap.sites.tolist() == [1, 2] and cap.assigned_population == pytest.approx(6.0)
    assert not cap.time_limit_hit
    # stations 0 and 1 both reach resident 0, stations 2 and 3 resident 1: closing them in
    # the batches {0, 2} and {1, 3} leaves everybody a station, nobody loses access
    both = sp.csr_array(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float64))
    repair = schedule_repairs(both, np.ones(2), [0, 1, 2, 3], batch_size=2)
    assert repair.worst_batch_residents == 0.0 and repair.proven_optimal
    assert sorted(b.tolist() for b in repair.batches) == [[0, 2], [1, 3]]
    assert not repair.time_limit_hit


# --- (b) the proof claim on a long curve ---------------------------------------------------------


def _milp_best(pattern: np.ndarray, weights: np.ndarray, k: int) -> float:
    """An independent max-coverage MILP (dense, both x and y binary, HiGHS defaults)."""
    n_c, n_g = pattern.shape
    A = np.zeros((n_g + 1, n_c + n_g))
    A[:n_g, :n_c] = -pattern.T
    A[:n_g, n_c:] = np.eye(n_g)
    A[n_g, :n_c] = 1.0
    res = milp(
        np.r_[np.zeros(n_c), -weights],
        integrality=np.ones(n_c + n_g),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(A, -np.inf, np.r_[np.zeros(n_g), k]),
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0
    return -float(res.fun)


def test_long_curve_is_proven_point_by_point() -> None:
    # 40 candidates with few, overlapping reaches: the curve runs to k = 25 and the DP may use
    # any of its points; each must be the optimum (an independent MILP) and proven so
    rng = np.random.default_rng(22)
    dense = rng.random((40, 150)) < 0.05
    population = np.round(rng.lognormal(1.5, 1.0, 150), 1)
    curve = coverage_curve(sp.csr_array(dense.astype(np.float64)), population, max_sites=25)
    assert curve.k_max == 25
    assert curve.proven_optimal.all()
    assert not curve.time_limit_hit
    reached = dense.any(axis=0)
    for k in range(curve.k_max + 1):
        best = _milp_best(dense.astype(np.float64), population, k) if k else 0.0
        assert curve.newly_covered[k] == pytest.approx(best, rel=1e-9), k
        assert curve.upper_bound[k] >= best - 1e-6
        chosen = curve.sites[k]
        assert population[dense[chosen].any(axis=0) & reached].sum() == pytest.approx(best)
    for k in (1, 2):  # brute force where it is cheap
        brute = max(
            population[dense[list(s)].any(axis=0)].sum()
            for s in itertools.combinations(range(40), k)
        )
        assert curve.newly_covered[k] == pytest.approx(brute)


# --- (c) a work limit reached: "not proven", never "exact" ----------------------------------------


def _hard_instance() -> tuple[sp.csr_array, np.ndarray]:
    rng = np.random.default_rng(1)
    pattern = sp.random(60, 400, density=0.08, random_state=rng, format="csr")
    pattern.data[:] = 1.0
    return sp.csr_array(pattern), rng.random(400) * 10


def _plan_dict(r: Any) -> dict[str, Any]:
    """The summary.json fields the memo and the CLI read (report.plan_dict's names)."""
    return {
        "method": r.method,
        "solver_status": r.solver_status,
        "n_sites": int(r.sites.size),
        "newly_covered": r.newly_covered_population,
        "upper_bound": r.upper_bound,
        "gap": r.gap,
        "at_most_more": r.gap / (1 - r.gap),
        "time_limit_hit": r.time_limit_hit,
    }


def test_node_limit_reached_is_said_not_proven(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", 1)
    pattern, population = _hard_instance()
    full = maximize_coverage(pattern, population, n_sites=8)
    assert full.proven_optimal and full.solver_status == "optimal"
    cut = maximize_coverage(pattern, population, n_sites=8, node_limit=1)
    assert cut.solver_status == "node limit"
    assert not cut.proven_optimal and cut.gap > 0
    assert not cut.time_limit_hit  # a work limit: the same answer on any machine
    assert "node limit of 1 reached" in cut.message
    again = maximize_coverage(pattern, population, n_sites=8, node_limit=1)
    assert again.sites.tolist() == cut.sites.tolist() and again.gap == cut.gap
    lines = outputs.optimisation_lines(_plan_dict(cut))
    assert lines[0] == (
        "Optimisation: not proven optimal; the exact solver stopped at its limit (node limit)."
    )
    assert "exact solver, node limit" not in " ".join(lines)
    assert TIME_LIMIT_LINE not in lines
    assert lines[-1].startswith("Coverage: optimality gap")


# --- (d) the wall-clock safety net hit: every output says so --------------------------------------


def test_time_limit_hit_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", 1)
    pattern, population = _hard_instance()
    r = maximize_coverage(pattern, population, n_sites=8, time_limit_s=1e-9)
    assert r.time_limit_hit
    assert "time limit of 1e-09 s reached" in r.message
    assert TIME_LIMIT_LINE in outputs.optimisation_lines(_plan_dict(r))
    curve = coverage_curve(pattern, population, max_sites=3, time_limit_s=1e-9)
    assert curve.time_limit_hit
    assert all("time limit" in s for s in curve.status[1:])


BISHKEK = Path(__file__).resolve().parents[1] / "data" / "bishkek_2025_center.osm.gz"


@pytest.mark.skipif(not BISHKEK.is_file(), reason="bundled Bishkek extract not present")
def test_time_limit_hit_in_every_city_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the Lagrangian bound kept weak, so the plan needs more than greedy's bound
    monkeypatch.setattr(solvers, "_LAGRANGE_ITERATIONS", 1)
    out = tmp_path / "out"
    code = main(
        ["plan", "--osm", str(BISHKEK), "--n-sites", "3", "--time-limit-s", "1e-9",
         "--node-limit", "500", "--no-try-sites", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["plan"]["time_limit_hit"] is True
    assert summary["time_limit_hit"] is True
    assert summary["parameters"]["time_limit_s"] == 1e-9
    assert summary["parameters"]["node_limit"] == 500
    assert TIME_LIMIT_LINE in (out / "summary.md").read_text()
    assert TIME_LIMIT_LINE in printed


# --- (a) the national run: 1 and 2 workers, a busy CPU, byte-identical results --------------------


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """4 SYNTHETIC grid cities with few stations, so every curve has work to do."""
    return synthetic_country(
        tmp_path_factory.mktemp("country"), n_cities=4, residents=24_000, stations=4, seed=22
    )


def _national(country: Any, out: Path, *extra: str) -> dict[str, Any]:
    code = main(
        ["national", "-q", "--osm", str(country.osm_path), "--units", str(country.units_path),
         "--stations", str(country.stations_path), "--new-stations", "8", "--out", str(out),
         *extra]
    )  # fmt: skip
    assert code == 0
    return json.loads((out / "national.json").read_text())


def _without_timings(record: Any) -> Any:
    """national.json without what may differ between two runs of the same inputs: the run's
    id, clock and machine (``run``, ``created``, ``seconds``), its command line (output
    folder, ``--workers``) and the software record."""
    if isinstance(record, dict):
        return {
            k: _without_timings(v)
            for k, v in record.items()
            if k not in ("run", "run_id", "created", "seconds", "command", "software")
        }
    if isinstance(record, list):
        return [_without_timings(v) for v in record]
    return record


def _burn_cpu() -> subprocess.Popen[bytes]:
    """Another CPU-heavy process on the same machine (killed by the caller)."""
    return subprocess.Popen(
        [sys.executable, "-c", "while True: sum(i * i for i in range(10_000))"],
        env={**os.environ, "PYTHONPATH": ""},
    )


def test_national_is_byte_identical_across_workers_and_load(country: Any, tmp_path: Path) -> None:
    one = _national(country, tmp_path / "one", "--workers", "1")
    burner = _burn_cpu()
    try:
        two = _national(country, tmp_path / "two", "--workers", "2")
    finally:
        burner.kill()
        burner.wait()
    assert one["time_limit_hit"] is False and two["time_limit_hit"] is False
    assert one["parameters"]["node_limit"] == two["parameters"]["node_limit"] == 20_000
    assert one["parameters"]["time_limit_s_per_unit"] is None
    # byte-identical: the same JSON text, allocations, curves and every unit's sites
    assert json.dumps(_without_timings(one), sort_keys=True) == json.dumps(
        _without_timings(two), sort_keys=True
    )
    assert sum(len(u["curve"]) for u in one["units"]) > 2 * len(one["units"])
    for u in one["units"]:
        if u["folder"] is None:
            continue
        a = json.loads((tmp_path / "one" / u["folder"] / "summary.json").read_text())["plan"]
        b = json.loads((tmp_path / "two" / u["folder"] / "summary.json").read_text())["plan"]
        assert json.dumps(_without_timings(a), sort_keys=True) == json.dumps(
            _without_timings(b), sort_keys=True
        )


def test_national_time_limit_hit_is_said_everywhere(
    country: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["national", "--osm", str(country.osm_path), "--units", str(country.units_path),
         "--stations", str(country.stations_path), "--new-stations", "8", "--out", str(out),
         "--workers", "1", "--time-limit-s", "1e-9"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    record = json.loads((out / "national.json").read_text())
    assert record["time_limit_hit"] is True
    assert any(u["time_limit_hit"] for u in record["units"])
    assert record["parameters"]["time_limit_s_per_unit"] == 1e-9
    assert TIME_LIMIT_LINE in (out / "national.md").read_text()
    assert TIME_LIMIT_LINE in printed
