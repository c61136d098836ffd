"""The synthetic country: deterministic, labelled, and read by the planner as generated."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import pytest
import shapely

from planner.errors import InputError
from planner.osm import read_osm
from planner.pipeline import load_city
from planner.synthetic import GENERATOR, NOTE, SyntheticCountry, main, synthetic_country

SMALL = {"n_cities": 4, "residents": 20_000, "stations": 12}


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCountry:
    return synthetic_country(tmp_path_factory.mktemp("synthetic"), **SMALL)


@pytest.fixture(scope="module")
def units(country: SyntheticCountry) -> gpd.GeoDataFrame:
    return gpd.read_file(country.units_path)


@pytest.fixture(scope="module")
def stations(country: SyntheticCountry) -> pd.DataFrame:
    return pd.read_csv(country.stations_path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(country: SyntheticCountry) -> list[Path]:
    return [country.osm_path, country.units_path, country.stations_path]


def test_same_seed_same_bytes_other_seed_differs(country, tmp_path):
    again = synthetic_country(tmp_path / "again", **SMALL)
    assert [_sha256(p) for p in _files(again)] == [_sha256(p) for p in _files(country)]
    other = synthetic_country(tmp_path / "other", **SMALL, seed=7)
    for mine, theirs in zip(_files(country), _files(other), strict=True):
        assert _sha256(mine) != _sha256(theirs)
    assert not list(tmp_path.rglob("*.part"))  # no temporary file left behind


def test_every_file_says_synthetic(country, units, stations):
    reader = osmium.io.Reader(str(country.osm_path))
    try:
        assert reader.header().get("generator") == GENERATOR
    finally:
        reader.close()
    assert "SYNTHETIC" in GENERATOR
    assert NOTE.startswith("SYNTHETIC")
    assert (units["note"] == NOTE).all()
    assert (stations["note"] == NOTE).all()
    assert list(units["name"]) == [f"Synthetic City {i:03d}" for i in range(1, 5)]
    assert list(stations.columns) == ["name", "latitude", "longitude", "unit", "note"]
    assert units.crs.to_epsg() == 4326
    assert {"name", "population", "note"} <= set(units.columns)


def test_totals(country, units, stations):
    assert country.n_cities == len(units) == 4
    assert country.n_stations == len(stations) == 12
    assert abs(country.residents - 20_000) <= 0.01 * 20_000
    assert country.residents == units["population"].sum()
    assert units["population"].dtype.kind == "i"
    assert country.buildings == units["buildings"].sum()
    assert (
        stations.groupby("unit").size().reindex(units["name"], fill_value=0)
        == units["stations"].to_numpy()
    ).all()
    assert 0 < country.osm_police < country.n_stations


def test_default_size_totals_without_writing_the_big_file(tmp_path):
    # sizes and station shares of a 30-city country (small enough to write in a second)
    big = synthetic_country(tmp_path, n_cities=30, residents=200_000, stations=250, seed=3)
    units = gpd.read_file(big.units_path)
    assert abs(big.residents - 200_000) <= 2_000
    assert big.n_stations == 250
    # heavy tail: the biggest city is several times the median; station density varies
    assert units["population"].max() > 4 * units["population"].median()
    density = units["stations"] / units["population"]
    assert density.max() > 3 * density.min()
    assert (units["stations"] >= 1).all()


def test_pbf_is_sorted_nodes_before_ways_ids_increasing(country):
    kinds: list[str] = []
    ids: dict[str, list[int]] = {"n": [], "w": []}
    levels: list[int] = []
    highway: list[str] = []
    for obj in osmium.FileProcessor(str(country.osm_path)):
        kind = "n" if obj.is_node() else "w"
        kinds.append(kind)
        ids[kind].append(obj.id)
        if "building" in obj.tags:
            assert obj.tags["building"] == "apartments"
            levels.append(int(obj.tags["building:levels"]))
        if "highway" in obj.tags:
            highway.append(obj.tags["highway"])
    assert kinds == sorted(kinds)  # every node before every way
    for values in ids.values():
        assert values == sorted(set(values))  # unique and increasing
    assert len(levels) == country.buildings
    assert min(levels) >= 2
    assert max(levels) <= 9
    assert {"residential", "footway"} == set(highway)


def test_planner_reads_each_unit_as_generated(country, units, stations):
    zones = set()
    for _, unit in units.iterrows():
        osm = read_osm(country.osm_path, boundary=unit.geometry)
        zones.add(osm.crs.to_epsg())
        assert len(osm.highways.tags) > 0
        assert len(osm.buildings) == unit["buildings"]
        assert set(osm.buildings["building"]) == {"apartments"}
        city = load_city(
            country.osm_path, boundary=unit.geometry, stations_path=country.stations_path
        )
        assert len(city.residents) == unit["buildings"]
        estimate = city.residents["population"].sum()
        assert estimate == pytest.approx(unit["population"], rel=0.005)
        assert abs(estimate - unit["population"]) <= 0.5  # the same rule, rounded
        # the unit's own stations are among the usable ones
        names = set(city.stations.loc[city.stations["usable"], "name"])
        assert set(stations.loc[stations["unit"] == unit["name"], "name"]) <= names
    assert all(32641 <= z <= 32644 for z in zones)  # UTM zones 41..44 north


def test_buildings_do_not_overlap_each_other_or_the_streets(country, units):
    unit = units.loc[units["population"].idxmax()]
    osm = read_osm(country.osm_path, boundary=unit.geometry)
    footprints = np.asarray(osm.buildings.geometry.values, dtype=object)
    left, right = shapely.STRtree(footprints).query(footprints, predicate="intersects")
    assert (left == right).all()
    area = shapely.area(footprints)
    assert area.min() >= 15 * 10 - 1
    assert area.max() <= 40 * 20 + 1
    ways = osm.highways
    present = ways.present
    lines = [  # the unit's ways (other cities' ways are in the frame without coordinates)
        shapely.LineString(np.column_stack([ways.x[a:b], ways.y[a:b]]))
        for a, b in itertools.pairwise(ways.offsets)
        if present[a:b].all()
    ]
    assert len(lines) > 10
    streets = shapely.union_all(lines)
    assert shapely.distance(streets, footprints).min() >= 5 - 0.05  # set back 5 m or more


def test_stations_lie_in_their_unit_near_a_street(country, units, stations):
    points = gpd.GeoSeries(
        gpd.points_from_xy(stations["longitude"], stations["latitude"]), crs=4326
    )
    by_name = units.set_index("name").geometry
    inside = [by_name[u].contains(p) for u, p in zip(stations["unit"], points, strict=True)]
    assert all(inside)
    osm = read_osm(country.osm_path)
    police = osm.police
    assert 0 < len(police) < len(stations)
    assert set(police["name"]) <= set(stations["name"])


def test_units_do_not_touch_and_are_10_km_apart(units):
    geoms = list(units.geometry)
    for a, b in itertools.combinations(geoms, 2):
        centre = a.centroid
        local = pyproj.CRS.from_proj4(f"+proj=aeqd +lon_0={centre.x} +lat_0={centre.y}")
        pair = gpd.GeoSeries([a, b], crs=4326).to_crs(local)
        assert pair.iloc[0].distance(pair.iloc[1]) >= 10_000


def test_bad_arguments_are_reported_together(tmp_path):
    with pytest.raises(InputError) as info:
        synthetic_country(tmp_path, n_cities=0, residents=500, stations=-1, name="a/b")
    text = str(info.value)
    for part in ("n_cities=0", "stations=-1", "name='a/b'"):
        assert part in text
    assert not list(tmp_path.iterdir())


def test_command_line(tmp_path, capsys):
    code = main(["--out", str(tmp_path), "--cities", "2", "--residents", "4000", "--stations", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed
    for name in ("synthetic.osm.pbf", "synthetic_units.geojson", "synthetic_stations.csv"):
        assert (tmp_path / name).is_file()
        assert name in printed
    assert main(["--out", str(tmp_path), "--cities", "0"]) == 2
    assert "n_cities=0" in capsys.readouterr().err


# --- a real extract's density (issue 22, goal 4): houses, shape nodes, countryside, big cities

DENSE = {
    "n_cities": 12,
    "residents": 300_000,
    "stations": 60,
    "seed": 3,
    "big_cities": (100_000, 60_000),
    "houses_share": 0.5,
    "street_node_m": 25.0,
    "countryside_nodes": 200_000,
}


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCountry:
    return synthetic_country(tmp_path_factory.mktemp("dense"), **DENSE)


def test_dense_country_counts_what_it_wrote(dense):
    units = gpd.read_file(dense.units_path)
    # the big cities are cities 001 and 002, of the asked size (to half a house); the others
    # stay below 30 % of the smallest big one (to half a building)
    assert np.abs(units["population"][:2] - [100_000, 60_000]).max() <= 5
    assert units["population"][2:].max() <= 0.3 * 60_000 + 10
    assert abs(dense.residents - 300_000) <= 300
    # what the file holds, counted independently of the generator
    counts = {"nodes": 0, "ways": 0, "house": 0, "apartments": 0, "track": 0, "farmland": 0}
    for obj in osmium.FileProcessor(str(dense.osm_path)):
        if obj.is_node():
            counts["nodes"] += 1
        elif obj.is_way():
            counts["ways"] += 1
            tags = obj.tags
            for key in ("building", "highway", "landuse"):
                if tags.get(key) in counts:
                    counts[tags.get(key)] += 1
    assert counts["nodes"] == dense.nodes
    assert counts["ways"] == dense.ways
    assert counts["house"] == dense.houses
    assert counts["house"] + counts["apartments"] == dense.buildings == units["buildings"].sum()
    assert counts["track"] > 0 and counts["farmland"] > 0
    # about half the residents in houses: houses are most of the buildings
    assert dense.houses / dense.buildings > 0.8


def test_dense_units_read_as_generated_houses_clear_of_each_other_and_the_streets(dense):
    units = gpd.read_file(dense.units_path)
    stations = pd.read_csv(dense.stations_path)
    for _, unit in units.iloc[[0, 5]].iterrows():  # the biggest city and a small one
        osm = read_osm(dense.osm_path, boundary=unit.geometry)
        assert len(osm.buildings) == unit["buildings"]
        assert set(osm.buildings["building"]) == {"apartments", "house"}
        houses = osm.buildings[osm.buildings["building"] == "house"]
        assert {len(g.exterior.coords) for g in houses.geometry} == {7}  # an L: 6 corners
        city = load_city(dense.osm_path, boundary=unit.geometry, stations_path=dense.stations_path)
        estimate = city.residents["population"].sum()
        assert abs(estimate - unit["population"]) <= 0.5
        footprints = np.asarray(osm.buildings.geometry.values, dtype=object)
        left, right = shapely.STRtree(footprints).query(
            footprints, predicate="dwithin", distance=2.99
        )
        assert (left == right).all()  # 3 m or more between any two buildings
        ways = osm.highways
        inside = ways.tags["highway"] != "track"
        lines = [
            shapely.LineString(np.column_stack([ways.x[a:b], ways.y[a:b]]))
            for k, (a, b) in enumerate(itertools.pairwise(ways.offsets))
            if inside[k] and ways.present[a:b].all()
        ]
        streets = shapely.union_all(lines)
        # shape nodes wobble up to 0.8 m: buildings stay 4 m or more from the street
        assert shapely.distance(streets, footprints).min() >= 4.0
        # streets have shape nodes: about one every 25 m, not only at the 90-110 m junctions
        assert ways.node_id.size / sum(line.length for line in lines) > 1 / 30
        names = set(city.stations.loc[city.stations["usable"], "name"])
        assert set(stations.loc[stations["unit"] == unit["name"], "name"]) <= names


def test_dense_countryside_stays_away_from_every_unit(dense):
    units = gpd.read_file(dense.units_path)
    local = units.estimate_utm_crs()
    keep_out = units.to_crs(local).buffer(2_900).union_all()
    rural = []
    for obj in osmium.FileProcessor(str(dense.osm_path)).with_locations():
        if obj.is_way() and (
            obj.tags.get("highway") == "track" or obj.tags.get("landuse") == "farmland"
        ):
            rural.append(shapely.LineString([(n.lon, n.lat) for n in obj.nodes]))
    rural_m = gpd.GeoSeries(rural, crs=4326).to_crs(local)
    assert not rural_m.intersects(keep_out).any()


def test_dense_defaults_leave_the_plain_country_unchanged(country, tmp_path):
    again = synthetic_country(
        tmp_path, **SMALL, big_cities=(), houses_share=0.0, street_node_m=None, countryside_nodes=0
    )
    assert [_sha256(p) for p in _files(again)] == [_sha256(p) for p in _files(country)]
    assert again.houses == 0


def test_dense_bad_arguments_are_reported_together(tmp_path):
    with pytest.raises(InputError) as info:
        synthetic_country(
            tmp_path,
            n_cities=3,
            residents=100_000,
            stations=10,
            big_cities=(5_000,),
            houses_share=1.5,
            street_node_m=1.0,
            countryside_nodes=-1,
        )
    text = str(info.value)
    for part in ("big_cities", "houses_share=1.5", "street_node_m=1.0", "countryside_nodes=-1"):
        assert part in text
