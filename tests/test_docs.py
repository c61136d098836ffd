"""Numbers quoted in the docs come from a run: these tests re-run them on the bundled data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from planner.demand import PopulationSettings
from planner.pipeline import assess_coverage, load_city, plan_sites
from planner.siting import minimize_sites

ROOT = Path(__file__).resolve().parents[1]
ALMATY = ROOT / "data" / "almaty_2012.osm.pbf"


def test_method_md_fewest_stations_numbers_match_a_run() -> None:
    text = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    found = re.search(
        r"this proves that (\d+) new stations are needed for 40 % coverage and (\d+) for 50 %, "
        r'where the greedy bound alone could only say "at least (\d+)" and "at least (\d+)"',
        text,
    )
    assert found, "docs/method.md no longer states the Almaty fewest-stations numbers"
    need_40, need_50, greedy_40, greedy_50 = map(int, found.groups())
    # the documented command: --untyped-buildings-residential, default candidates
    city = load_city(
        ALMATY, population_settings=PopulationSettings(yes_outside_residential_landuse=True)
    )
    coverage = assess_coverage(city)
    population = coverage.buildings["population"].to_numpy(float)
    covered = coverage.buildings["covered"].to_numpy(bool)
    for target, need, greedy_says in ((0.4, need_40, greedy_40), (0.5, need_50, greedy_50)):
        plan = plan_sites(city, coverage, target_share=target, prefix_gaps=False)
        assert plan.siting.proven_optimal
        assert plan.siting.n_sites == need
        greedy = minimize_sites(
            plan.matrix.matrix,
            population,
            target_share=target,
            already_covered=covered,
            method="greedy",
        )
        assert greedy.lower_bound == greedy_says
        assert greedy.lower_bound < need  # the claim: greedy alone could not prove it
        assert plan.summary_after.share_covered == pytest.approx(
            plan.siting.covered_share, rel=1e-9
        )


def _method_text() -> str:
    return " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())


def test_method_md_barrier_numbers_match_a_run() -> None:
    text = _method_text()
    bishkek = re.search(
        r"central Bishkek \(with `--untyped-buildings-residential`\) has (\d+) buildings, "
        r"([\d,]+) residents, whose nearest street lies across the railway; (\d+) of them have a "
        r"street on their own side within 250 m \(one of them, `way/189418047`, now walks "
        r"([\d,]+) m to its station instead of ([\d,]+) m\), (\d+) have none",
        text,
    )
    almaty = re.search(
        r"In Almaty 2012, (\d+) buildings \(([\d,]+) residents: (\d+) across water, (\d+) across "
        r"a railway, (\d+) across a trunk road\), (\d+) of them left unconnected",
        text,
    )
    assert bishkek and almaty, "docs/method.md no longer states the barrier numbers"
    settings = PopulationSettings(yes_outside_residential_landuse=True)
    for city_file, found in (
        ("bishkek_2025_center.osm.gz", bishkek),
        ("almaty_2012.osm.pbf", almaty),
    ):
        city = load_city(ROOT / "data" / city_file, population_settings=settings)
        coverage = assess_coverage(city)
        crossed = coverage.building_snaps.barrier_crossed
        population = coverage.buildings["population"].to_numpy(float)
        across = crossed != ""
        stranded = across & ~coverage.building_snaps.reached
        n = [int(g.replace(",", "")) for g in found.groups()]
        assert n[0] == across.sum()
        assert n[1] == round(population[across].sum())
        if city_file.startswith("bishkek"):
            assert n[2] == across.sum() - stranded.sum() and n[5] == stranded.sum()
            b = coverage.buildings
            walk = b.loc[b["osm_id"].eq(189418047).to_numpy(), "walk_m"].iloc[0]
            assert n[3] == round(walk)
        else:
            assert n[2:5] == [(crossed == k).sum() for k in ("water", "railway", "motorway")]
            assert n[5] == stranded.sum()


def test_method_md_pedestrian_area_numbers_match_a_run() -> None:
    from planner.network import build_walk_network
    from planner.osm import read_osm

    found = re.search(
        r"The bundled Malta file has (\d+) such areas with something entering them "
        r"\(([\d,]+) crossings\)",
        _method_text(),
    )
    assert found
    net = build_walk_network(read_osm(ROOT / "data" / "malta_2018.osm.pbf"))
    crossing = net.edge_area_crossing
    assert int(found.group(2).replace(",", "")) == crossing.sum()
    assert int(found.group(1)) == np.unique(net.edge_way_id[crossing]).size


def test_method_md_capacitated_numbers_match_a_run() -> None:
    from planner.station_review import plan_with_capacity

    text = _method_text()
    found = re.search(
        r"On the bundled Bishkek centre \(`plan --n-sites 3`, (\d+) candidates, ([\d,]+) pairs; "
        r"([\d,]+) after the reduction with 2 inspectors, ([\d,]+) with 100\): with "
        r"`--capacity-inspectors 2` \(6,000 residents per station\) and with `100` \(not binding\) "
        r"the plan is proved optimal at ([\d,.]+) residents",
        text,
    )
    assert found, "docs/method.md no longer states the capacitated Bishkek numbers"
    city = load_city(ROOT / "data" / "bishkek_2025_center.osm.gz")
    coverage = assess_coverage(city)
    number = float(found.group(5).replace(",", ""))
    for inspectors, pairs in ((2, found.group(3)), (100, found.group(4))):
        cp = plan_with_capacity(city, coverage, n_sites=3, capacity_inspectors=inspectors)
        assert cp.n_candidates == int(found.group(1))
        assert cp.result.n_pairs == int(pairs.replace(",", ""))
        assert cp.result.proven_optimal
        assert round(cp.result.assigned_population, 1) == number
