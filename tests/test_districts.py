"""Districts: which district a resident lives in, per-district calibration, district tables.

The small cases are SYNTHETIC (boxes in UTM 43N with hand-made populations; every expected
number is computed by hand in a comment). The Almaty cases use the bundled real data: the 2012
OSM extract under the real 2024 districts with their official populations.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from planner.coverage import coverage_by_district
from planner.districts import (
    BUNDLED_ALMATY_DISTRICTS,
    BUNDLED_ALMATY_OSM_SHA256,
    calibrate_by_district,
    calibration_factors,
    district_index,
    district_names,
    districts_note,
    no_resident_warning,
)
from planner.errors import InputError
from planner.pipeline import read_districts
from tests.conftest import ALMATY

UTM = "EPSG:32643"


def five_districts() -> gpd.GeoDataFrame:
    # five 100 m squares in a row: A, B, C, D, E; official populations (E unknown)
    return gpd.GeoDataFrame(
        {"name": list("ABCDE"), "population": [200.0, 50.0, 1000.0, 500.0, np.nan]},
        geometry=[box(100 * i, 0, 100 * (i + 1), 100) for i in range(5)],
        crs=UTM,
    )


def residents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"population": [60.0, 40.0, 100.0, 10.0, 7.0, 5.0]},
        geometry=[
            box(10, 10, 20, 20),  # A
            box(50, 50, 60, 60),  # A
            box(150, 50, 160, 60),  # B
            box(250, 50, 260, 60),  # C
            box(450, 50, 460, 60),  # E
            box(1000, 1000, 1010, 1010),  # outside every district
        ],  # D has no building at all
        crs=UTM,
    )


def test_district_index_takes_the_smallest_containing_district():
    polygons = np.array([box(0, 0, 100, 100), box(0, 0, 20, 20), box(100, 0, 200, 100)])
    geoms = np.array(
        [
            box(5, 5, 10, 10),  # in the first and the second: the smaller (1)
            box(50, 50, 60, 60),  # only the first (0)
            shapely.Point(150, 50),  # the third (2)
            box(500, 500, 510, 510),  # none (-1)
        ]
    )
    assert district_index(geoms, polygons).tolist() == [1, 0, 2, -1]
    assert district_index(np.array([], dtype=object), polygons).tolist() == []


def test_calibration_factors_by_hand():
    estimate, factor = calibration_factors(
        np.array([0, 0, 1, 2, -1]),
        np.array([60.0, 40.0, 100.0, np.nan, 5.0]),
        np.array([200.0, 50.0, 30.0, np.nan, 0.0]),
    )
    # district 0: 60 + 40 = 100, 200 / 100 = 2; district 1: 50 / 100 = 0.5; district 2: its only
    # resident has no number, so nobody is estimated: 30 / 0 = inf; district 3: unknown official;
    # district 4: 0 official and 0 estimated: 1 (nothing to scale); -1 is outside: not counted
    assert estimate.tolist() == [100.0, 100.0, 0.0, 0.0, 0.0]
    assert factor[:3].tolist() == [2.0, 0.5, np.inf]
    assert np.isnan(factor[3])
    assert factor[4] == 1.0


def test_calibrate_by_district_by_hand(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="planner.districts"):
        result = calibrate_by_district(residents(), five_districts())
    # A: 100 estimated, 200 official, factor 2: 60 -> 120, 40 -> 80 (the 3:2 split is kept)
    # B: 100 -> 50 (factor 0.5); C: 10 -> 1000 (factor 100: extreme); D: no building, cannot be
    # scaled; E: no official figure, 7 stays 7; outside: 5 stays 5
    assert result.residents["population"].tolist() == [120.0, 80.0, 50.0, 1000.0, 7.0, 5.0]
    table = result.table.set_index("district")
    assert table.index.tolist() == ["A", "B", "C", "D", "E", "(outside)"]
    assert table["estimated_residents"].tolist() == [100.0, 100.0, 10.0, 0.0, 7.0, 5.0]
    assert table["residents"].tolist() == [200.0, 50.0, 1000.0, 0.0, 7.0, 5.0]
    assert table.loc[["A", "B", "C"], "calibration_factor"].tolist() == [2.0, 0.5, 100.0]
    assert table.loc[["D", "E", "(outside)"], "calibration_factor"].isna().all()
    assert table["reliable"].tolist() == [True, True, False, False, False, False]
    assert result.unreliable == ["C", "D", "E"]
    assert "100.00" in table.loc["C", "note"] and "population raster" in table.loc["C", "note"]
    assert "500 residents are missing" in table.loc["D", "note"]
    assert "no official figure" in table.loc["E", "note"]
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "district C" in warned and "district D" in warned
    assert "district A" not in warned and "district E" not in warned
    # the input is not modified
    assert residents()["population"].tolist() == [60.0, 40.0, 100.0, 10.0, 7.0, 5.0]


def test_factors_on_the_limits_are_plausible_and_the_limit_can_change():
    districts = five_districts().iloc[:2].copy()
    districts["population"] = [300.0, 100.0 / 3.0]  # A: 300 / 100 = 3; B: 33.3 / 100 = 1/3
    result = calibrate_by_district(residents(), districts)
    assert result.table["reliable"].tolist()[:2] == [True, True]
    stricter = calibrate_by_district(residents(), districts, max_factor=2.0)
    assert stricter.unreliable == ["A", "B"]
    with pytest.raises(InputError, match="max_factor=1"):
        calibrate_by_district(residents(), districts, max_factor=1)
    with pytest.raises(InputError, match="no column 'official'"):
        calibrate_by_district(residents(), districts, population_column="official")


def test_coverage_by_district_lists_empty_districts_and_the_plan():
    frame = residents()
    frame["walk_m"] = [100.0, 900.0, 100.0, np.inf, 900.0, 100.0]
    frame["covered_after"] = [True, True, True, False, True, True]
    out = coverage_by_district(
        frame, five_districts(), max_walk_m=800, covered_after_column="covered_after"
    ).set_index("district")
    # A: 60 of 100 covered now (0.6), all 100 after; D has no resident but still a row
    assert out.loc["A", ["residents_total", "residents_covered", "residents_beyond"]].tolist() == [
        100.0,
        60.0,
        40.0,
    ]
    assert out.loc["A", "share_covered"] == pytest.approx(0.6)
    assert out.loc["A", "share_covered_after"] == 1.0
    assert out.loc["C", "residents_covered_after"] == 0.0
    assert out.loc["D"].residents_total == 0 and out.loc["D"].share_covered == 0
    assert out.loc["E", "share_covered_after"] == 1.0
    assert out.index[0] == "A"  # most residents beyond (40), then C (10) and E (7)
    assert list(out.index[:3]) == ["A", "C", "E"]


def test_district_names_in_any_crs():
    sites = gpd.GeoDataFrame(geometry=[shapely.Point(150, 50), shapely.Point(-50, 50)], crs=UTM)
    names = district_names(sites.to_crs(4326), five_districts())
    assert names.tolist() == ["B", "(outside)"]


def test_read_districts_reports_every_bad_population(tmp_path: Path):
    path = tmp_path / "districts.geojson"
    frame = five_districts().to_crs(4326)
    frame["population"] = ["200", "about 50", "1000", "-5", None]
    frame.to_file(path)
    with pytest.raises(InputError) as info:
        read_districts(path, crs=UTM, population_column="population")
    problems = info.value.problems
    assert len(problems) == 2
    assert "row 2 (B)" in problems[0] and "'about 50'" in problems[0]
    assert "row 4 (D)" in problems[1] and "'-5'" in problems[1]
    with pytest.raises(InputError, match="--district-population-column pop: no such column"):
        read_districts(path, crs=UTM, population_column="pop")
    frame["population"] = [200, 50, 1000, 500, None]
    frame.to_file(path)
    out = read_districts(path, crs=UTM, population_column="population")
    assert out.columns.tolist() == ["name", "population", "geometry"]
    assert out["population"].tolist()[:4] == [200.0, 50.0, 1000.0, 500.0]
    assert np.isnan(out["population"].iloc[4])


def test_conflicting_population_options_are_refused_before_reading(tmp_path: Path):
    from planner.pipeline import load_city

    with pytest.raises(InputError) as info:
        load_city(
            tmp_path / "never_read.osm.pbf",
            total_population=1000,
            district_population_column="population",
        )
    assert len(info.value.problems) == 2  # no --districts, and two totals


# --- the bundled real data -------------------------------------------------------------------


def test_bundled_districts_are_almatys_eight_with_official_populations():
    frame = gpd.read_file(BUNDLED_ALMATY_DISTRICTS)
    assert len(frame) == 8 and frame.crs.to_epsg() == 4326
    assert sorted(frame["name"]) == [
        "Alatau",
        "Almaly",
        "Auezov",
        "Bostandyk",
        "Medeu",
        "Nauryzbay",
        "Turksib",
        "Zhetysu",
    ]
    # the figures of /work/shared/data/boundaries/kz_district_population.csv (gov.kz pages)
    official = dict(zip(frame["name"], frame["population"], strict=True))
    assert official["Nauryzbay"] == 220187 and official["Zhetysu"] == 173972
    assert sum(official.values()) == 2_165_759
    assert frame["population_source_url"].str.startswith("https://www.gov.kz/").all()
    assert frame["boundary_source"].str.contains("CC BY 4.0").all()
    assert frame.geometry.is_valid.all()
    note = districts_note(BUNDLED_ALMATY_DISTRICTS, osm_sha256=BUNDLED_ALMATY_OSM_SHA256)
    assert "over the bundled OSM streets and buildings of 2012" in note
    assert "2024" in note


def test_the_2012_note_only_over_the_bundled_2012_data():
    import hashlib

    assert hashlib.sha256(ALMATY.read_bytes()).hexdigest() == BUNDLED_ALMATY_OSM_SHA256
    bishkek_sha = "2726cc78f7abe701db4e555c50543d4534fe46a4f6e5e421b87cf01c5c521059"
    for sha in (bishkek_sha, None):
        note = districts_note(BUNDLED_ALMATY_DISTRICTS, osm_sha256=sha)
        assert note == (
            "District boundaries of 2024 (geokz, A. Rodionov, CC BY 4.0): check that their "
            "date matches the OSM data's (buildings missing from an older map make a district "
            "look emptier than it is)."
        )
    assert districts_note(None, osm_sha256=BUNDLED_ALMATY_OSM_SHA256) is None


def test_no_resident_in_any_district_is_a_warning_with_both_extents():
    # districts around Almaty, residents in central Bishkek: no overlap at all
    districts = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(76.8, 43.2, 76.9, 43.3), box(76.9, 43.2, 77.0, 43.3)],
        crs="EPSG:4326",
    )
    people = gpd.GeoDataFrame(
        {"population": [10.0, 20.0]},
        geometry=[shapely.Point(74.62, 42.84), shapely.Point(74.65, 42.87)],
        crs="EPSG:4326",
    )
    assert no_resident_warning(people, districts, name="d.geojson") == (
        "no resident lies in any of the 2 districts of d.geojson: the districts (longitude "
        "76.80..77.00, latitude 43.20..43.30) do not cover the residents of the OSM data "
        "(longitude 74.62..74.65, latitude 42.84..42.87); is it the districts file of another "
        "area? Every resident is counted as (outside)."
    )
    # one resident inside a district (in another CRS): no warning
    inside = gpd.GeoDataFrame(
        {"population": [1.0]}, geometry=[shapely.Point(76.85, 43.25)], crs="EPSG:4326"
    )
    assert no_resident_warning(inside.to_crs(UTM), districts, name="d.geojson") is None


@pytest.fixture(scope="module")
def almaty_calibrated():
    from planner.demand import PopulationSettings, demand_from_buildings
    from planner.osm import read_osm

    osm = read_osm(ALMATY)
    # the demo's estimate: building=yes counted as homes (residential land use is barely mapped)
    estimate = demand_from_buildings(
        osm.buildings,
        osm.residential_areas,
        settings=PopulationSettings(yes_outside_residential_landuse=True),
    )
    districts = read_districts(
        BUNDLED_ALMATY_DISTRICTS, crs=estimate.crs, population_column="population"
    )
    return estimate, districts, calibrate_by_district(estimate, districts)


def test_almaty_2012_under_the_2024_districts_flags_the_suburbs(almaty_calibrated):
    _estimate, districts, result = almaty_calibrated
    table = result.table.set_index("district")
    # the suburban and outer districts, enlarged since 2012 or thinly mapped then, are flagged
    assert set(result.unreliable) == {"Alatau", "Nauryzbay", "Turksib", "Zhetysu"}
    assert table.loc["Nauryzbay", "calibration_factor"] > 100  # a few hundred estimated
    assert table.loc["Alatau", "calibration_factor"] > 10
    # the central districts are within 1/3..3
    for name in ("Almaly", "Auezov", "Bostandyk", "Medeu"):
        assert 1 / 3 <= table.loc[name, "calibration_factor"] <= 3, name
    # every district now adds up to its official figure; residents outside stay as estimated
    official = districts.set_index("name")["population"]
    for name, value in official.items():
        assert table.loc[name, "residents"] == pytest.approx(value)
    outside = table.loc["(outside)", "residents"]
    total = result.residents["population"].sum()
    assert total == pytest.approx(official.sum() + outside)


def test_almaty_estimates_per_district_match_a_spatial_join(almaty_calibrated):
    """Cross-check with geopandas' own spatial join (the Almaty districts do not nest)."""
    estimate, districts, result = almaty_calibrated
    points = gpd.GeoDataFrame(
        {"population": estimate["population"].to_numpy()},
        geometry=estimate.geometry.representative_point().to_numpy(),
        crs=estimate.crs,
    )
    joined = gpd.sjoin(points, districts[["name", "geometry"]], predicate="within", how="left")
    expected = joined.groupby("name")["population"].sum()
    table = result.table.set_index("district")
    for name, value in expected.items():
        assert table.loc[name, "estimated_residents"] == pytest.approx(value)
    assert table.loc["(outside)", "estimated_residents"] == pytest.approx(
        joined.loc[joined["name"].isna(), "population"].sum()
    )
    # within a district the distribution is kept: every building scaled by the same factor
    scaled = result.residents["population"].to_numpy() / estimate["population"].to_numpy()
    names = district_names(estimate, districts)
    for name in ("Almaly", "Nauryzbay"):
        inside = scaled[names == name]
        assert np.allclose(inside, table.loc[name, "calibration_factor"])
    assert pd.Series(scaled[names == "(outside)"]).eq(1.0).all()


def test_the_bundled_pair_keeps_the_2012_note_in_a_run():
    from planner.demand import PopulationSettings
    from planner.pipeline import load_city

    city = load_city(
        ALMATY,
        bbox=(76.88, 43.22, 76.97, 43.28),  # central Almaty: Almaly, Bostandyk, Medeu
        districts_path=BUNDLED_ALMATY_DISTRICTS,
        population_settings=PopulationSettings(yes_outside_residential_landuse=True),
    )
    assert city.districts_note is not None
    assert city.districts_note.startswith(
        "District boundaries of 2024 (geokz, A. Rodionov, CC BY 4.0) over the bundled OSM "
        "streets and buildings of 2012"
    )


def test_two_districts_with_one_name_stay_two(tmp_path: Path):
    """Malta has two councils called Ir-Rabat: a districts file holding both must give two
    rows, told apart by their id (or row), not one merged district."""
    path = tmp_path / "districts.geojson"
    frame = five_districts().to_crs(4326)
    frame["name"] = ["Ir-Rabat", "B", "Ir-Rabat", "D", "D"]
    frame["osm_id"] = [7510565, 2, 7508583, None, None]
    frame.to_file(path)
    out = read_districts(path, crs=UTM)
    assert out["name"].tolist() == [
        "Ir-Rabat (osm_id 7510565)",
        "B",
        "Ir-Rabat (osm_id 7508583)",
        "D (row 4)",
        "D (row 5)",
    ]
    homes = residents().assign(walk_m=[100.0, 900.0, 100.0, 100.0, 100.0, 100.0])
    table = coverage_by_district(homes, out, max_walk_m=500).set_index("district")
    assert len(table) == 6  # five districts and "(outside)"
    assert table.loc["Ir-Rabat (osm_id 7510565)", "residents_total"] == 100.0  # 60 + 40 in A
    assert table.loc["Ir-Rabat (osm_id 7510565)", "residents_covered"] == 60.0
    assert table.loc["Ir-Rabat (osm_id 7508583)", "residents_total"] == 10.0  # C


def test_district_names_in_the_run_language(tmp_path) -> None:
    """Issue 21: the bundled Almaty districts read in Russian and Kazakh from their name_ru /
    name_kk columns (geokz 2024); OSM's name:ru wins over name_ru, an empty cell falls back."""
    from planner import i18n
    from planner.districts import read_districts

    bundled = Path(__file__).resolve().parents[1] / "data" / "almaty_districts_2024.geojson"
    with i18n.using_language("ru"):
        ru = list(read_districts(bundled, crs="EPSG:32643")["name"])
    with i18n.using_language("kk"):
        kk = list(read_districts(bundled, crs="EPSG:32643")["name"])
    en = list(read_districts(bundled, crs="EPSG:32643")["name"])
    assert en[:3] == ["Almaly", "Alatau", "Auezov"]
    assert ru[:3] == ["Алмалинский", "Алатауский", "Ауэзовский"]
    assert kk[:3] == ["Алмалы", "Алатау", "Әуезов"]

    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        {
            "name": ["North", "South", "East"],
            "name_ru": ["Северный", "", "Восточный"],
            "name:ru": [None, None, "Восточный район"],
        },
        geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    path = tmp_path / "synthetic_districts.gpkg"
    frame.to_file(path)
    with i18n.using_language("ru"):
        names = list(read_districts(path, crs="EPSG:3857")["name"])
    assert names == ["Северный", "South", "Восточный район"]
    with i18n.using_language("kk"):  # no Kazakh column: the names as they are
        assert list(read_districts(path, crs="EPSG:3857")["name"]) == ["North", "South", "East"]


def test_osm_districts_in_the_run_language() -> None:
    """OSM admin areas with name:ru read in Russian (synthetic areas, not real data)."""
    from shapely.geometry import Point, box

    from planner import i18n
    from planner.districts import osm_districts

    areas = gpd.GeoDataFrame(
        {"name": ["North", "South"], "name:ru": ["Северный", None]},
        geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2)],
        crs="EPSG:4326",
    )
    residents = gpd.GeoDataFrame(
        {"population": [10.0, 10.0]}, geometry=[Point(0.5, 0.5), Point(0.5, 1.5)], crs="EPSG:4326"
    )
    with i18n.using_language("ru"):
        districts = osm_districts(areas, residents)
    assert districts is not None and list(districts["name"]) == ["Северный", "South"]
    assert list(osm_districts(areas, residents)["name"]) == ["North", "South"]
