"""Where the study area is cut must not change the answer (issue 22, found on Malta).

Real OSM data: the bundled Malta 2018 extract. The island is scanned once per module; the tests
cut it to a few councils so they stay cheap.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from planner.demand import demand_from_buildings
from planner.osm import scan_osm
from planner.pipeline import assess_coverage, city_from_osm, load_city
from planner.settings import WalkSettings
from planner.snapping import door_points
from planner.stations import working
from planner.units import buffered_area, prepare_units, units_from_osm

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
