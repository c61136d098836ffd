"""Reading OSM files: the tiny hand-made file, the bundled cities, and bad input."""

from __future__ import annotations

import bz2
import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from planner.errors import InputError
from planner.osm import read_osm
from tests.conftest import ALMATY, BISHKEK, TINY, TINY_CRS


def test_tiny_layers(tiny_osm):
    # ways 10..21 are the 12 highway ways of the file
    assert len(tiny_osm.highways.tags) == 12
    # way 17 references node 999, which is not in the file
    assert tiny_osm.clipped_ways == 1
    assert tiny_osm.cut_ways == 0
    # buildings: 20x30 apartments, 10x10 house, 20x20 building=yes
    areas = dict(zip(tiny_osm.buildings["osm_id"], tiny_osm.buildings.area, strict=True))
    assert areas == pytest.approx({30: 600.0, 31: 100.0, 32: 400.0}, abs=1e-6)
    apartments = tiny_osm.buildings.set_index("osm_id").loc[30]
    assert apartments["building"] == "apartments"
    assert apartments["building:levels"] == "5"
    assert apartments["addr:housenumber"] == "1"
    # the police node at (60 m, 60 m), with its Cyrillic name
    assert len(tiny_osm.police) == 1
    police = tiny_osm.police.iloc[0]
    assert police["name"] == "Участковый пункт полиции №1"
    assert (police.geometry.x, police.geometry.y) == pytest.approx((60.0, 60.0), abs=1e-6)
    assert len(tiny_osm.residential_areas) == 1
    assert tiny_osm.residential_areas.area.iloc[0] == pytest.approx(80 * 80, abs=1e-6)
    assert tiny_osm.crs.coordinate_operation.method_name.startswith("Equidistant Cylindrical")


def test_compressed_and_misnamed_files_read_the_same(tmp_path):
    raw = TINY.read_bytes()
    (tmp_path / "a.osm.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "b.osm.bz2").write_bytes(bz2.compress(raw))
    (tmp_path / "c.xml").write_bytes(raw)  # named wrongly: the content decides
    for name in ("a.osm.gz", "b.osm.bz2", "c.xml"):
        data = read_osm(tmp_path / name, crs=TINY_CRS)
        assert len(data.highways.tags) == 12
        assert len(data.buildings) == 3


def test_bbox_restricts_and_counts_cut_ways(tiny_osm):
    # degrees = metres * 9e-6; keep x in [-10, 150] m, y in [-10, 160] m
    k = 9e-6
    data = read_osm(TINY, bbox=(-10 * k, -10 * k, 150 * k, 160 * k), crs=TINY_CRS)
    # inside: nodes 1 2 4 5 9 11; ways crossing the edge: 10 (node 3), 11 (node 6),
    # 16 (node 8), 17 (nodes 12, 13), 21 (nodes 17? no: 17 is at (0,-100)) -> 21 too
    assert data.cut_ways == 5
    # building 32 (150..170 m) has its representative point outside
    assert sorted(data.buildings["osm_id"]) == [30, 31]
    assert len(data.police) == 1


def test_boundary_polygon_restricts(tmp_path):
    k = 9e-6
    polygon = shapely.box(-10 * k, -10 * k, 150 * k, 160 * k)
    data = read_osm(TINY, boundary=polygon, crs=TINY_CRS)
    assert sorted(data.buildings["osm_id"]) == [30, 31]


def test_default_crs_is_local_utm(almaty_osm, bishkek_osm):
    assert almaty_osm.crs.to_epsg() == 32643  # Almaty 76.9 E: UTM zone 43 N
    assert bishkek_osm.crs.to_epsg() == 32643  # Bishkek 74.6 E: zone 43 N too


def test_almaty_counts(almaty_osm):
    # SOURCE.md (counted with pyosmium): 4,279 highway ways, 40 police features, ~8,200 buildings
    assert len(almaty_osm.highways.tags) == 4279
    assert len(almaty_osm.police) == 40
    assert 8150 <= len(almaty_osm.buildings) <= 8250
    assert 50 <= len(almaty_osm.residential_areas) <= 95
    assert almaty_osm.clipped_ways == 20
    assert almaty_osm.data_date.startswith("2012-03-13")
    names = set(almaty_osm.police["name"].dropna())
    assert "участок полиции №51" in names


def test_bishkek_counts(bishkek_osm):
    assert len(bishkek_osm.highways.tags) == 877
    # SOURCE.md: 379 ways cross the bbox edge, 128 of them highways
    assert bishkek_osm.clipped_ways == 128
    assert len(bishkek_osm.police) == 4
    assert {"ГОМ №19", "ГОМ №6"} <= set(bishkek_osm.police["name"])
    assert 5050 <= len(bishkek_osm.buildings) <= 5300
    assert bishkek_osm.data_date == "2025-04-10T04:51:30Z"  # Overpass osm_base
    # 84.1% of the node references of highway ways are in the file (the rest lie past the bbox)
    assert 0.80 < np.isfinite(bishkek_osm.highways.x).mean() < 0.90


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.osm\.pbf: file not found"):
        read_osm(tmp_path / "nowhere.osm.pbf")


def test_not_osm_file_is_clear(tmp_path):
    path = tmp_path / "stations.csv"
    path.write_text("name,lat,lon\nA,43.2,76.9\n")
    with pytest.raises(InputError, match="not an OpenStreetMap file"):
        read_osm(path)


def test_empty_file_is_clear(tmp_path):
    path = tmp_path / "empty.osm"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_osm(path)


def test_truncated_pbf_is_clear(tmp_path):
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(ALMATY.read_bytes()[:50_000])
    with pytest.raises(InputError, match="could not be read as OpenStreetMap data"):
        read_osm(path)


def test_bbox_outside_the_data_says_where_the_data_is():
    with pytest.raises(InputError) as info:
        read_osm(BISHKEK, bbox=(76.85, 43.20, 76.98, 43.30))  # Almaty's box on Bishkek's file
    message = str(info.value)
    assert "no streets inside the requested bbox" in message
    assert "longitude 74.6240..74.6494" in message


def test_invalid_bbox_lists_every_problem():
    with pytest.raises(InputError) as info:
        read_osm(BISHKEK, bbox=(74.7, 95.0, 74.6, 42.8))
    assert len(info.value.problems) == 2


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_osm(tmp_path)


def test_reading_does_not_touch_the_input(tmp_path):
    copy = tmp_path / Path(BISHKEK).name
    shutil.copy(BISHKEK, copy)
    before = copy.read_bytes()
    read_osm(copy)
    assert copy.read_bytes() == before


# --- the scan's columnar layers (issue 22, goal 4: a country's buildings in little memory) ------


def _independent_buildings(path: Path) -> dict[tuple[str, int], tuple[str | None, str | None]]:
    """Every building area of the file, read by pyosmium alone: (type, id) -> (building, levels)."""
    import osmium

    found = {}
    for obj in osmium.FileProcessor(str(path)).with_areas():
        if obj.is_area() and "building" in obj.tags and obj.tags.get("building") != "no":
            kind = "way" if obj.from_way() else "relation"
            found[(kind, obj.orig_id())] = (
                obj.tags.get("building"),
                obj.tags.get("building:levels"),
            )
    return found


def test_scan_layers_hold_every_building_with_its_tags_and_shape():
    from planner.osm import scan_osm

    scan = scan_osm(BISHKEK)
    buildings, _ = scan.homes_layers()
    truth = _independent_buildings(BISHKEK)
    columns = [buildings[c] for c in ("osm_type", "osm_id", "building", "building:levels")]
    mine = {
        (t, i): (b, None if pd.isna(lv) else lv)  # a missing tag reads as None or NaN
        for t, i, b, lv in zip(*columns, strict=True)
    }
    assert len(mine) == len(buildings) > 1_000
    assert mine == {k: v for k, v in truth.items() if k in mine}
    assert len(truth) - len(mine) <= 0.01 * len(truth)  # broken rings only
    assert buildings.geometry.is_valid.mean() > 0.99
    layer = scan.layers["buildings"]  # columns, no Python object per building
    assert layer.wkb.dtype == np.uint8 and layer.codes.dtype == np.int32
    assert layer.bounds.shape == (len(layer), 4)


def _middle(scan) -> shapely.Polygon:
    """The middle ninth of the file's extent."""
    west, south, east, north = scan.bounds_lonlat
    dx, dy = (east - west) / 3, (north - south) / 3
    return shapely.box(west + dx, south + dy, east - dx, north - dy)


def test_scan_layers_are_the_same_whatever_the_batch_size(monkeypatch):
    import planner.osm as osm

    whole = osm.scan_osm(BISHKEK)
    monkeypatch.setattr(osm, "_WKB_BATCH", 97)  # many batches, the last one partial
    batched = osm.scan_osm(BISHKEK)
    for kind in ("buildings", "police", "residential", "barriers", "walk_areas"):
        a, b = whole.layers[kind], batched.layers[kind]
        np.testing.assert_array_equal(a.wkb, b.wkb)
        np.testing.assert_array_equal(a.wkb_offsets, b.wkb_offsets)
        np.testing.assert_array_equal(a.bounds, b.bounds)
        np.testing.assert_array_equal(a.codes, b.codes)
    area = _middle(whole)
    pairs = zip(whole.homes_layers(area), batched.homes_layers(area), strict=True)
    for one, other in pairs:
        assert one.geometry.geom_equals(other.geometry).all()
        assert one.drop(columns="geometry").equals(other.drop(columns="geometry"))


def test_homes_outside_an_area_are_the_buildings_not_wholly_inside_it(monkeypatch):
    import planner.osm as osm

    monkeypatch.setattr(osm, "_WKB_BATCH", 500)
    scan = osm.scan_osm(BISHKEK)
    everything, _ = scan.homes_layers()
    area = _middle(scan)
    outside, _ = scan.homes_layers(skip_inside=area)
    expected = everything[~shapely.contains_properly(area, everything.geometry.to_numpy())]
    assert 0 < len(outside) < len(everything)
    assert list(outside["osm_id"]) == list(expected["osm_id"])
    assert outside.geometry.geom_equals(expected.reset_index(drop=True).geometry).all()
