"""Where the study area is cut must not change the answer (issue 22, found on Malta).

Real OSM data: the bundled Malta 2018 extract. The island is scanned once per module; the tests
cut it to a few councils so they stay cheap.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from planner.cli import main
from planner.demand import demand_from_buildings
from planner.national.results import NationalOptions
from planner.national.run import _outside_note, plan_nation
from planner.national.units import prepare_units, residents_outside_units, units_from_osm
from planner.osm import buffered_area, scan_osm
from planner.pipeline import assess_coverage, city_from_osm, load_city
from planner.settings import WalkSettings
from planner.snapping import door_points
from planner.stations import working

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "data" / "malta_2018.osm.pbf"

pytestmark = pytest.mark.skipif(not MALTA.is_file(), reason="bundled Malta extract not present")


@pytest.fixture(scope="module")
def scan():
    return scan_osm(MALTA)


@pytest.fixture(scope="module")
def councils(scan):
    return units_from_osm(scan, admin_level=8)


def _residents_in(osm, area) -> float:
    residents = demand_from_buildings(osm.buildings, osm.residential_areas)
    doors = door_points(residents.to_crs(4326))
    return float(
        residents.loc[shapely.contains_xy(area, doors[:, 0], doors[:, 1]), "population"].sum()
    )


def test_a_home_does_not_depend_on_where_the_area_is_cut(scan, councils):
    """L-Imsida with 600 m walks: landuse way 516835103 reaches into its buffer, but its interior
    point lies 1,056 m away, beyond the 900 m buffer. Its buildings=yes inside the council are
    homes on the whole island, so they must be homes in the unit's cut too."""
    settings = WalkSettings(max_walk_m=600)
    units = {u.name: u for u in prepare_units(councils, settings=settings)[0]}
    unit = units["L-Imsida"]
    cut = scan.cut(unit.buffered, whole_ways=True)
    assert 516835103 in set(cut.residential_areas["osm_id"])
    whole = scan.cut(None)
    island = _residents_in(whole, unit.area)
    assert island == pytest.approx(3666.8, abs=0.05)  # the whole-island figure
    assert _residents_in(cut, unit.area) == pytest.approx(island)


def test_a_council_alone_with_boundary_equals_its_national_unit(scan, councils, tmp_path):
    """Tal-Pietà run alone with its council polygon as --boundary: residents counted inside
    the boundary, but the streets and stations of its walking buffer serve it, as in the
    national run (where its unit has 2,568.6 residents, 841.4 covered by 4 stations in
    neighbouring councils). Cut at the boundary it had 294 residents and 0 stations."""
    settings = WalkSettings()
    units = {u.name: u for u in prepare_units(councils, settings=settings)[0]}
    unit = units["Tal-Pietà"]
    national = assess_coverage(
        city_from_osm(scan.cut(unit.buffered, whole_ways=True), name="unit", area=unit.area),
        settings=settings,
    ).summary
    assert national.residents_total == pytest.approx(2568.6, abs=0.05)
    assert national.residents_covered == pytest.approx(841.4, abs=0.05)
    path = tmp_path / "tal_pieta.geojson"
    councils[councils["name"] == "Tal-Pietà"][["name", "geometry"]].to_file(path)
    alone = load_city(MALTA, boundary=path)  # default walk settings
    coverage = assess_coverage(alone, settings=settings)
    assert coverage.summary.residents_total == pytest.approx(national.residents_total)
    assert coverage.summary.residents_covered == pytest.approx(national.residents_covered)
    assert coverage.summary.buildings_total == national.buildings_total
    assert int(working(alone.stations).sum()) == 4
    # the buffer follows the walk settings: 400 m walks need 400 + 250 + 50 m of it
    short = WalkSettings(max_walk_m=400)
    cut = load_city(MALTA, boundary=path, settings=short).osm
    polygon = councils.geometry[councils["name"] == "Tal-Pietà"].iloc[0]
    expected = scan.cut(buffered_area(polygon, settings=short), whole_ways=True)
    assert len(cut.buildings) == len(expected.buildings) < len(alone.osm.buildings)


def test_residents_in_no_level_8_unit_are_counted_and_named(scan, councils):
    """Ħal Tarxien is tagged admin_level=7 in this extract: --admin-level 8 has 67 councils and
    its 40 buildings (1,945.69 residents) lie in none of them."""
    units, _ = prepare_units(councils, settings=WalkSettings())
    assert len(units) == 67
    outside = residents_outside_units(scan, units, admin_level=8)
    assert len(outside) == 40
    assert outside["population"].sum() == pytest.approx(1945.69, abs=0.005)
    assert set(outside["other_level_area"]) == {"Ħal Tarxien (level 7)"}
    assert _outside_note(outside, 8, None).startswith(
        "40 buildings, 1,946 residents lie in no level-8 unit; boundaries of level 7 "
        "(Ħal Tarxien) cover them. They count in no unit's numbers"
    )


def test_a_national_run_reports_the_residents_in_no_unit(scan, councils, tmp_path):
    """Three councils as units: every other home of the island lies in no unit, and the run
    says so (national.json, national.md, a layer) instead of dropping them silently."""
    names = ["Tal-Pietà", "Il-Gżira", "Ta' Xbiex"]
    three = councils[councils["name"].isin(names)][["name", "geometry"]]
    assert len(three) == 3
    path = tmp_path / "three.geojson"
    three.to_file(path)
    whole = scan.cut(None)
    island = _residents_in(whole, shapely.box(-180, -90, 180, 90))
    inside = sum(_residents_in(whole, g) for g in three.geometry)
    out = tmp_path / "out"
    plan_nation(
        osm_path=MALTA,
        units_path=path,
        options=NationalOptions(new_stations=1, time_limit_s=20),
        out_dir=out,
        workers=1,
    )
    s = json.loads((out / "national.json").read_text())
    assert s["residents"] == pytest.approx(inside)
    homes = s["outside_units"]
    assert homes["residents"] == pytest.approx(island - inside)
    assert homes["share_of_all_residents"] == pytest.approx((island - inside) / island)
    assert homes["other_level_areas"] == []  # --units: no other levels to name
    assert any(n.startswith(f"{homes['buildings']:,} buildings, ") for n in s["notes"])
    assert "lie in no unit**" in (out / "national.md").read_text()
    layer = gpd.read_file(out / "national.gpkg", layer="residents_outside_units")
    assert len(layer) == homes["buildings"]
    assert layer["population"].sum() == pytest.approx(island - inside)


def test_coverage_boundary_on_the_command_line_equals_the_national_unit(scan, councils, tmp_path):
    """The issue's case end to end: `planner coverage --boundary` with L-Imsida's polygon and
    `--walk-m 600` gives its national unit's numbers (3,666.8 residents; it gave 3,425.0 in a
    national run and a different cut alone)."""
    settings = WalkSettings(max_walk_m=600)
    unit = {u.name: u for u in prepare_units(councils, settings=settings)[0]}["L-Imsida"]
    national = assess_coverage(
        city_from_osm(scan.cut(unit.buffered, whole_ways=True), name="unit", area=unit.area),
        settings=settings,
    ).summary
    path = tmp_path / "imsida.geojson"
    councils[councils["name"] == "L-Imsida"][["name", "geometry"]].to_file(path)
    out = tmp_path / "out"
    code = main(
        ["coverage", "-q", "--osm", str(MALTA), "--boundary", str(path), "--walk-m", "600",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    s = json.loads((out / "summary.json").read_text())["coverage"]
    assert s["residents_total"] == pytest.approx(3666.8, abs=0.05)
    assert s["residents_total"] == pytest.approx(national.residents_total)
    assert s["residents_covered"] == pytest.approx(national.residents_covered)
