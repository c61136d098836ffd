"""Residents from building footprints, a population raster and point tables.

Every building, landuse polygon and raster here is synthetic and small enough to check on
paper. Coordinates are metres in UTM zone 43N (EPSG:32643, Almaty) unless said otherwise.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

from planner.demand import (
    RASTER_CELL_KIND,
    PopulationSettings,
    calibrate,
    classify_buildings,
    demand_from_buildings,
    demand_from_points,
    demand_from_raster,
    parse_levels,
    spread_over_cells,
)
from planner.errors import InputError

UTM43 = "EPSG:32643"
X0, Y0 = 630_000.0, 4_790_000.0


def box(x: float, y: float, width: float, height: float) -> shapely.Polygon:
    """A footprint with its lower left corner at (X0 + x, Y0 + y)."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + width, Y0 + y + height)


def buildings_frame(
    rows: list[tuple[str | None, str | None, shapely.Geometry]],
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osm_id": np.arange(101, 101 + len(rows)),
            "osm_type": "way",
            "building": [r[0] for r in rows],
            "building:levels": [r[1] for r in rows],
            "name": None,
        },
        geometry=[r[2] for r in rows],
        crs=UTM43,
        index=pd.Index([f"b{i}" for i in range(len(rows))], name="key"),
    )


def test_apartment_block_20_by_30_with_5_levels_houses_100():
    # 20 m x 30 m = 600 m² footprint, x 5 storeys = 3000 m², / 30 m² per resident = 100
    buildings = buildings_frame([("apartments", "5", box(0, 0, 20, 30))])
    demand = demand_from_buildings(buildings)
    assert demand["population"].tolist() == [100.0]
    row = demand.iloc[0]
    assert (row["footprint_m2"], row["levels"], row["floor_area_m2"]) == (600.0, 5.0, 3000.0)
    assert row["demand_id"] == "osm:way/101"
    assert row["source"] == "osm_footprint" and row["levels_source"] == "tag"
    assert bool(row["usable"]) and row["problem"] == ""
    assert demand.geometry.iloc[0].equals(box(0, 0, 20, 30))


def residential_case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    landuse = gpd.GeoDataFrame(
        {"landuse": ["residential"]}, geometry=[box(0, 0, 200, 200)], crs=UTM43
    )
    buildings = buildings_frame(
        [
            ("apartments", "5", box(300, 0, 20, 30)),  # b0: typed, outside landuse: 100
            ("yes", None, box(10, 10, 10, 10)),  # b1: 100 m² in landuse, small: 1 storey
            ("yes", None, box(50, 50, 20, 20)),  # b2: 400 m² in landuse, large: 5 storeys
            ("yes", None, box(300, 100, 12, 12)),  # b3: outside landuse: excluded
            ("school", "3", box(100, 100, 30, 30)),  # b4: not residential
            ("yes", None, box(150, 10, 4, 5)),  # b5: 20 m² shed: excluded
            ("house", "2", box(10, 150, 10, 12)),  # b6: 120 m² x 2
            ("residential", None, box(400, 0, 15, 20)),  # b7: 300 m², size rule: 5 storeys
            ("House", "junk", box(10, 100, 10, 10)),  # b8: tag case, junk levels -> 1
        ]
    )
    return buildings, landuse


def test_residential_rule_on_hand_made_buildings():
    buildings, landuse = residential_case()
    before = buildings.copy()
    classified = classify_buildings(buildings, landuse)
    pd.testing.assert_frame_equal(buildings, before)
    assert list(classified.index) == list(buildings.index)
    assert classified["residential"].tolist() == [
        True, True, True, False, False, False, True, True, True,
    ]  # fmt: skip
    reason = classified["reason"]
    assert reason["b0"] == "residential type 'building=apartments'"
    assert reason["b1"] == "'building=yes' inside landuse=residential"
    assert reason["b3"] == "'building=yes' outside any landuse=residential area"
    assert reason["b4"] == "'building=school' is not a residential type"
    assert reason["b5"] == "footprint 20 m² is below min_footprint_m2=30 (shed or garage)"

    demand = demand_from_buildings(buildings, landuse)
    assert list(demand.index) == ["b0", "b1", "b2", "b6", "b7", "b8"]
    expected = {
        "b0": 600 * 5 / 30,  # 100
        "b1": 100 * 1 / 30,  # small building=yes: house default, 1 storey
        "b2": 400 * 5 / 30,  # large building=yes: apartments default, 5 storeys
        "b6": 120 * 2 / 30,  # 8
        "b7": 300 * 5 / 30,  # 50: 300 m² reaches large_footprint_m2
        "b8": 100 * 1 / 30,  # unreadable levels: the house default
    }
    assert demand["population"].to_dict() == pytest.approx(expected)
    assert demand["levels_source"].to_dict() == {
        "b0": "tag", "b1": "default_missing", "b2": "default_missing", "b6": "tag",
        "b7": "default_missing", "b8": "default_unparsable",
    }  # fmt: skip
    assert demand.loc["b8", "building"] == "house"
    assert demand.crs == buildings.crs


def test_building_yes_everywhere_when_landuse_is_sparse(caplog):
    buildings, landuse = residential_case()
    settings = PopulationSettings(yes_outside_residential_landuse=True)
    demand = demand_from_buildings(buildings, landuse, settings=settings)
    assert list(demand.index) == ["b0", "b1", "b2", "b3", "b6", "b7", "b8"]
    assert demand.loc["b3", "population"] == pytest.approx(144 * 1 / 30)  # 12 x 12 m house
    # 20 building=yes footprints, none in residential land use: a warning says so
    sparse = buildings_frame([("yes", None, box(300 + 20 * i, 300, 10, 10)) for i in range(20)])
    classify_buildings(sparse, landuse)
    assert "only 0 of 20 'building=yes' footprints (0%) lie in landuse=residential" in caplog.text


def test_untyped_giants_are_not_homes():
    # building=yes 100 m x 60 m = 6,000 m² (a mall, above the 5,000 m² cap) is left out; the
    # same footprint tagged apartments counts (typed homes are never capped): 6,000 m² x 5
    # storeys / 30 m² = 1,000 residents; a 70 m x 70 m = 4,900 m² yes-building (under the cap,
    # large, so 5 storeys) counts: 4,900 x 5 / 30 = 816.67
    frame = buildings_frame(
        [
            ("yes", None, box(0, 0, 100, 60)),
            ("apartments", None, box(200, 0, 100, 60)),
            ("yes", None, box(400, 0, 70, 70)),
        ]
    )
    settings = PopulationSettings(yes_outside_residential_landuse=True)
    demand = demand_from_buildings(frame, None, settings=settings)
    assert list(demand.index) == ["b1", "b2"]
    assert demand["population"].tolist() == pytest.approx([1000.0, 4900 * 5 / 30])
    reason = classify_buildings(frame, None, settings=settings).loc["b0", "reason"]
    assert "6000 m² is above max_untyped_footprint_m2=5000" in reason
    raised = PopulationSettings(yes_outside_residential_landuse=True, max_untyped_footprint_m2=1e4)
    assert len(demand_from_buildings(frame, None, settings=raised)) == 3


def test_without_landuse_only_typed_buildings_count():
    buildings, _ = residential_case()
    demand = demand_from_buildings(buildings)
    assert list(demand.index) == ["b0", "b6", "b7", "b8"]


@pytest.mark.parametrize(
    ("value", "levels", "status"),
    [
        ("5", 5.0, "tag"),
        ("5;9", 7.0, "tag"),
        ("5,9", 7.0, "tag"),
        ("3.5", 3.5, "tag"),
        ("9-12", 10.5, "tag"),
        ("5+1", 6.0, "tag"),
        ("5 этажей", 5.0, "tag"),
        (" 12 ", 12.0, "tag"),
        (4, 4.0, "tag"),
        (9.0, 9.0, "tag"),
        ("abc", np.nan, "unparsable"),
        ("5;x", np.nan, "unparsable"),
        ("", np.nan, "missing"),
        (None, np.nan, "missing"),
        (np.nan, np.nan, "missing"),
        ("0", np.nan, "out_of_range"),
        ("150", np.nan, "out_of_range"),
    ],
)
def test_parse_levels(value, levels, status):
    parsed, statuses = parse_levels([value])
    np.testing.assert_equal(parsed[0], levels)
    assert statuses[0] == status


def test_settings_defaults_overrides_and_validation():
    settings = PopulationSettings(default_levels={"apartments": 9})
    assert settings.default_levels["apartments"] == 9.0
    assert settings.default_levels["house"] == 1.0  # the other defaults stay
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.floor_area_per_resident_m2 = 20  # type: ignore[misc]
    with pytest.raises(InputError) as info:
        PopulationSettings(
            floor_area_per_resident_m2=-1,
            default_levels={"apartment": 5},
            residential_types={"apartments", "ger"},
        )
    problems = info.value.problems
    assert "floor_area_per_resident_m2=-1 must be greater than 0" in problems
    assert any(p.startswith("default_levels['apartment']: 'apartment' is not") for p in problems)
    assert any("['ger'] have no default storeys" in p for p in problems)
    with pytest.raises(InputError, match="not a finite number"):
        PopulationSettings(min_footprint_m2=30, floor_area_per_resident_m2=float("nan"))


def test_settings_change_the_estimate():
    buildings = buildings_frame([("apartments", None, box(0, 0, 20, 30))])
    settings = PopulationSettings(floor_area_per_resident_m2=40, default_levels={"apartments": 9})
    demand = demand_from_buildings(buildings, settings=settings)
    assert demand["population"].tolist() == [600 * 9 / 40]  # 135


def test_calibration_scales_to_the_known_total():
    # 100 + 8 = 108 estimated residents; the city says 216: every building doubles.
    buildings = buildings_frame(
        [("apartments", "5", box(0, 0, 20, 30)), ("house", "2", box(100, 0, 10, 12))]
    )
    demand = demand_from_buildings(buildings, settings=PopulationSettings(total_population=216))
    assert demand["population"].tolist() == pytest.approx([200.0, 16.0])
    assert demand.attrs["calibration_factor"] == pytest.approx(2.0)
    again = calibrate(demand, total_population=108)
    assert again["population"].tolist() == pytest.approx([100.0, 8.0])
    with pytest.raises(InputError, match="adds up to 0"):
        calibrate(demand.assign(population=0.0), total_population=10)


def test_buildings_in_degrees_are_refused():
    buildings = buildings_frame([("apartments", "5", box(0, 0, 20, 30))]).to_crs(4326)
    with pytest.raises(InputError, match="not metres"):
        demand_from_buildings(buildings)


def test_spread_over_cells_numeric_core():
    # cells: 0 has items 0 and 1 (weights 2, 1); 1 has none; 2 has item 2; item 3 in no cell
    population, orphan = spread_over_cells(
        np.array([0, 0, 2, -1]), np.array([2.0, 1.0, 5.0, 1.0]), np.array([90.0, 40.0, 0.0])
    )
    assert population.tolist() == [60.0, 30.0, 0.0, 0.0]
    assert orphan.tolist() == [1]


def north_up(west: float, north: float, size: float) -> Affine:
    """Transform of a north-up grid of square cells (rasterio's from_origin warns on affine 3)."""
    return Affine(size, 0.0, west, 0.0, -size, north)


def write_raster(path: Path, values: np.ndarray, *, crs: str | None, transform) -> Path:
    """Write a synthetic single-band GeoTIFF (nodata -99999, as WorldPop declares it)."""
    with rasterio.open(
        path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=-99999,
    ) as dst:  # fmt: skip
        dst.write(values.astype("float32"), 1)
    return path


def raster_case(tmp_path: Path) -> tuple[Path, gpd.GeoDataFrame]:
    # Synthetic 2 x 2 raster of 100 m cells; top left corner at (X0, Y0 + 200).
    #   row 0: [90, 40]       row 1: [nodata, 0]
    values = np.array([[90.0, 40.0], [-99999.0, 0.0]])
    path = write_raster(
        tmp_path / "synthetic_pop.tif", values, crs=UTM43,
        transform=north_up(X0, Y0 + 200, 100),
    )  # fmt: skip
    buildings = buildings_frame(
        [
            ("apartments", "5", box(10, 110, 20, 30)),  # A: cell (0, 0), floor area 3000
            ("apartments", "5", box(50, 150, 10, 30)),  # B: cell (0, 0), floor area 1500
            ("apartments", "5", box(10, 10, 20, 30)),  # C: cell (1, 0), nodata
            ("apartments", "5", box(110, 10, 20, 30)),  # D: cell (1, 1), 0 residents
            ("apartments", "5", box(500, 500, 20, 30)),  # E: outside the raster
        ]
    )
    return path, demand_from_buildings(buildings)


def test_raster_spread_by_floor_area_with_an_empty_cell(tmp_path):
    path, residential = raster_case(tmp_path)
    demand = demand_from_raster(path, residential)
    # cell (0, 0): 90 residents shared 3000 : 1500 -> 60 and 30
    # cell (0, 1): 40 residents, no building -> a point at the cell centre
    assert demand["demand_id"].tolist() == ["osm:way/101", "osm:way/102", "raster:0/1"]
    assert demand["population"].tolist() == pytest.approx([60.0, 30.0, 40.0])
    assert demand["raster_cell"].tolist() == ["0/0", "0/0", "0/1"]
    assert (demand["source"] == "raster").all()
    # the cell point is a demand point of its own, not called a building
    assert demand["demand_kind"].tolist() == ["building", "building", RASTER_CELL_KIND]
    assert demand.geometry.iloc[2].equals(shapely.Point(X0 + 150, Y0 + 150))
    assert demand.geometry.iloc[0].equals(box(10, 110, 20, 30))
    assert demand["building"].tolist()[:2] == ["apartments", "apartments"]
    assert pd.isna(demand["building"].iloc[2])  # pandas 3 str columns hold NaN for missing
    assert np.isnan(demand["floor_area_m2"].iloc[2])
    assert demand.crs == residential.crs


def test_raster_spread_equally_and_limited_to_an_area(tmp_path):
    path, residential = raster_case(tmp_path)
    equal = demand_from_raster(path, residential, weight="equal")
    assert equal["population"].tolist() == pytest.approx([45.0, 45.0, 40.0])
    # the study area covers the left column of cells only: cell (0, 1) is left out
    area = box(0, 0, 100, 200)
    left = demand_from_raster(path, residential, area=area)
    assert left["population"].tolist() == pytest.approx([60.0, 30.0])


def test_raster_in_degrees_is_met_by_projecting_the_buildings(tmp_path):
    # Synthetic raster in EPSG:4326: one row of two 0.01° cells, 10 and 20 residents.
    path = write_raster(
        tmp_path / "synthetic_wgs84.tif", np.array([[10.0, 20.0]]), crs="EPSG:4326",
        transform=north_up(76.90, 43.26, 0.01),
    )  # fmt: skip
    to_utm = pyproj.Transformer.from_crs(4326, 32643, always_xy=True)
    xa, ya = to_utm.transform(76.905, 43.255)  # centre of cell 0
    xb, yb = to_utm.transform(76.915, 43.255)  # centre of cell 1
    residential = demand_from_buildings(
        gpd.GeoDataFrame(
            {"building": ["house", "house", "house"], "building:levels": ["1", "1", "1"]},
            geometry=[
                shapely.box(xa - 5, ya - 5, xa + 5, ya + 5),
                shapely.box(xb - 5, yb - 5, xb + 5, yb + 5),
                shapely.box(xb + 20, yb - 5, xb + 30, yb + 5),
            ],
            crs=UTM43,
        )
    )
    demand = demand_from_raster(path, residential)
    # cell 0 -> its one house; cell 1 -> two houses of equal floor area, 10 each
    assert demand["population"].tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert demand["demand_id"].tolist() == ["building:0", "building:1", "building:2"]


def test_raster_problems(tmp_path):
    _, residential = raster_case(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        demand_from_raster(tmp_path / "none.tif", residential)
    no_crs = write_raster(
        tmp_path / "no_crs.tif", np.ones((2, 2)), crs=None,
        transform=north_up(X0, Y0 + 200, 100),
    )  # fmt: skip
    with pytest.raises(InputError, match="has no CRS"):
        demand_from_raster(no_crs, residential)
    with pytest.raises(InputError, match="weight='volume'"):
        demand_from_raster(no_crs, residential, weight="volume")  # type: ignore[arg-type]


def test_demand_from_points_keeps_bad_rows_and_duplicates(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "lat,lon,Residents\n43.25,76.95,120\n43.25,76.95,80\n43.26,76.95,lots\n43.27,76.95,-5\n",
        encoding="utf-8",
    )
    demand = demand_from_points(path, crs=UTM43, population_column="residents")
    assert demand["demand_id"].tolist() == [
        "people.csv:2", "people.csv:3", "people.csv:4", "people.csv:5",
    ]  # fmt: skip
    assert demand["usable"].tolist() == [True, True, False, False]
    assert demand["population"].tolist()[:2] == [120.0, 80.0]  # same position: both kept
    assert np.isnan(demand["population"].iloc[2])
    assert demand["problem"].iloc[2] == "column 'Residents': 'lots' is not a number"
    assert demand["problem"].iloc[3] == "column 'Residents': -5 is negative"
    assert (demand["source"] == "points").all()
    assert demand.crs == pyproj.CRS.from_epsg(32643)
