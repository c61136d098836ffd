"""Police stations from OSM and from user files (synthetic data in Almaty's UTM zone)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.errors import InputError
from planner.stations import mark_unusable, read_stations, station_kind, stations_from_osm

UTM43 = "EPSG:32643"
ALMATY = (76.7, 43.1, 77.2, 43.4)
X0, Y0 = 630_000.0, 4_790_000.0


def police_layer() -> gpd.GeoDataFrame:
    rows = [
        # osm_type, osm_id, name, police tag, geometry
        ("node", 1, "Участковый пункт полиции №51", None, shapely.Point(X0, Y0)),
        # the same station's building outline, its inside point 10 m east of the node
        (
            "way",
            2,
            "участковый  пункт полиции №51",
            None,
            shapely.box(X0 + 5, Y0 - 5, X0 + 15, Y0 + 5),
        ),
        ("node", 3, "РУВД Алмалинского района", None, shapely.Point(X0 + 500, Y0)),
        ("node", 4, "Пост ДПС", None, shapely.Point(X0 + 1000, Y0)),
        ("node", 5, None, "traffic_police", shapely.Point(X0 + 1500, Y0)),
        ("node", 6, "ОПП N69", None, shapely.Point(X0 + 2000, Y0)),
        ("node", 7, None, None, shapely.Point(X0 + 2500, Y0)),
        ("node", 8, "ИВС", "detention", shapely.Point(X0 + 3000, Y0)),
        # a different station 20 m from node 1: different name, so not a duplicate
        ("node", 9, "участок полиции №52", None, shapely.Point(X0, Y0 + 20)),
        # an unnamed node 5 m from "ОПП N69": the same station, the named one is kept
        ("node", 10, None, None, shapely.Point(X0 + 2000, Y0 + 5)),
    ]
    return gpd.GeoDataFrame(
        {
            "osm_type": [r[0] for r in rows],
            "osm_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "amenity": "police",
            "police": [r[3] for r in rows],
        },
        geometry=[r[4] for r in rows],
        crs=UTM43,
        index=pd.Index([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], name="feature"),
    )


@pytest.mark.parametrize(
    ("name", "tag", "kind"),
    [
        ("участок полиции №51", None, "district_post"),
        ("ОПП N69", None, "district_post"),
        ("УПП №3 Бостандыкского района", None, "district_post"),
        ("РУВД Алмалинского района", None, "department"),
        ("Управление полиции Медеуского района", None, "department"),
        ("ГОМ №19", None, "department"),  # Bishkek: городской отдел милиции
        ("ГАИ", None, "traffic"),
        ("ОблГАИ", None, "traffic"),
        ("УДП ДВД Алматинской области (сдача экзаменнов на права)", None, "traffic"),
        ("Дорожная полиция Карасайского р-она", None, "traffic"),
        ("Пост ДПС", None, "traffic"),
        ("Отдельный батальон дорожно-патрульной полиции", None, "traffic"),
        ("Traffic police", None, "traffic"),
        (None, "traffic_police", "traffic"),
        ("Штрафстоянка", None, "non_public"),
        (None, "barracks", "non_public"),
        ("Полиция", None, "other"),
        (None, None, "other"),
    ],
)
def test_station_kind(name, tag, kind):
    assert station_kind(name, tag) == kind


def test_stations_from_osm_keeps_all_and_marks_excluded_and_duplicates():
    police = police_layer()
    before = police.copy()
    stations = stations_from_osm(police)
    pd.testing.assert_frame_equal(police, before)  # input untouched
    assert list(stations.index) == list(police.index)
    assert stations.crs == police.crs
    assert list(stations["station_id"]) == [
        f"osm:{t}/{i}" for t, i in zip(police.osm_type, police.osm_id, strict=True)
    ]
    assert list(stations["kind"]) == [
        "district_post",
        "district_post",
        "department",
        "traffic",
        "traffic",
        "district_post",
        "other",
        "non_public",
        "district_post",
        "other",
    ]
    assert list(stations["usable"]) == [
        True, False, True, False, False, True, True, False, True, False,
    ]  # fmt: skip
    problem = dict(zip(stations["station_id"], stations["problem"], strict=True))
    assert problem["osm:way/2"] == (
        "duplicate of osm:node/1 (10 m away): the same station mapped twice"
    )
    assert problem["osm:node/10"] == (
        "duplicate of osm:node/6 (5 m away): the same station mapped twice"
    )
    assert problem["osm:node/4"] == "excluded: traffic police (serves drivers, not residents)"
    assert problem["osm:node/8"] == "excluded: police facility closed to the public"
    assert problem["osm:node/1"] == ""
    # the polygon became a point inside it
    assert stations.geometry.iloc[1].equals(shapely.Point(X0 + 10, Y0))
    assert (stations["source"] == "osm").all()


def test_stations_from_osm_options():
    police = police_layer()
    everything = stations_from_osm(police, exclude_kinds=(), merge_within_m=None)
    assert everything["usable"].all()
    posts_only = stations_from_osm(
        police, exclude_kinds=("traffic", "non_public", "department", "other")
    )
    assert set(posts_only.loc[posts_only["usable"], "kind"]) == {"district_post"}
    with pytest.raises(InputError, match="unknown station kinds"):
        stations_from_osm(police, exclude_kinds=("gai",))


def test_stations_from_osm_refuses_degrees_and_missing_columns():
    police = police_layer()
    with pytest.raises(InputError, match="not metres"):
        stations_from_osm(police.to_crs(4326))
    with pytest.raises(InputError, match=r"no column\(s\) \['osm_id'\]"):
        stations_from_osm(police.drop(columns=["osm_id"]))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_stations_good_and_bad_rows(tmp_path):
    path = write(
        tmp_path / "stations.csv",
        "name,lat,lon\n"
        "УПП №51,43.25,76.95\n"  # row 2
        "ОПП N69,76.93,43.24\n"  # row 3: swapped
        "РУВД,43.2x,76.9\n"  # row 4: text
        "ГАИ,43.26,76.91\n",  # row 5: kept, a user's list is deliberate
    )
    stations = read_stations(path, crs=UTM43, area_lonlat_bounds=ALMATY)
    assert list(stations.columns[:7]) == [
        "station_id",
        "name",
        "source",
        "kind",
        "usable",
        "problem",
        "geometry",
    ]
    assert list(stations["station_id"]) == [
        "stations.csv:2",
        "stations.csv:3",
        "stations.csv:4",
        "stations.csv:5",
    ]
    assert list(stations["usable"]) == [True, False, False, True]
    assert "are the latitude and longitude columns swapped?" in stations["problem"].iloc[1]
    assert stations["problem"].iloc[2] == "column 'lat': latitude '43.2x' is not a number"
    assert list(stations["row"]) == [2, 3, 4, 5]
    assert (stations["source"] == "file").all()
    excluded = read_stations(path, crs=UTM43, exclude_kinds=("traffic",))
    assert excluded["problem"].iloc[3].startswith("excluded: traffic police")


def test_read_stations_whole_file_errors(tmp_path):
    with pytest.raises(InputError, match=r"stations file .*missing\.csv does not exist"):
        read_stations(tmp_path / "missing.csv", crs=UTM43)
    with pytest.raises(InputError, match="is empty"):
        read_stations(write(tmp_path / "empty.csv", ""), crs=UTM43)
    with pytest.raises(InputError) as info:
        read_stations(write(tmp_path / "cols.csv", "name,address\nУПП,Абая 1\n"), crs=UTM43)
    assert "the file has columns ['name', 'address']" in str(info.value)
    with pytest.raises(InputError) as info:
        read_stations(write(tmp_path / "all_bad.csv", "lat,lon\nabc,76.9\n,76.9\n"), crs=UTM43)
    assert info.value.problems == (
        "row 2: column 'lat': latitude 'abc' is not a number",
        "row 3: column 'lat': latitude is missing",
    )


def test_read_stations_id_column(tmp_path):
    path = write(tmp_path / "s.csv", "id,lat,lon\nA1,43.25,76.95\nA1,43.26,76.95\n,43.27,76.95\n")
    stations = read_stations(path, crs=UTM43, id_column="ID")
    assert list(stations["station_id"]) == ["A1", "A1", "s.csv:4"]
    assert list(stations["usable"]) == [True, False, True]
    assert stations["problem"].iloc[1] == "column 'ID': id used by an earlier row"


def test_mark_unusable_on_stations():
    stations = stations_from_osm(police_layer())
    far = pd.Series(False, index=stations.index)
    far.loc[[12, 13]] = True
    marked = mark_unusable(stations, far, "310 m from the nearest walkable street (limit 250 m)")
    assert marked.loc[12, "problem"] == "310 m from the nearest walkable street (limit 250 m)"
    assert marked.loc[13, "problem"] == (
        "excluded: traffic police (serves drivers, not residents); "
        "310 m from the nearest walkable street (limit 250 m)"
    )
    assert not marked.loc[12, "usable"]
    assert stations.loc[12, "usable"]  # the original is untouched


# --- a national list read for one city: stations beyond walking reach are set aside ----------
# The tiny network's CRS (tests.conftest.TINY_CRS) has 1 m = 9e-6 degrees exactly, so the bounds
# below are checked on paper: streets x 0..300 m, y 0..100 m, widened by 1000 m.


def test_walking_reach_bounds_on_paper():
    from planner.stations import walking_reach_lonlat_bounds
    from tests.conftest import TINY_CRS

    lon0, lat0, lon1, lat1 = walking_reach_lonlat_bounds(
        (0.0, 0.0, 300.0, 100.0), crs=TINY_CRS, reach_m=1000.0
    )
    assert (lon0, lat0, lon1, lat1) == pytest.approx(
        (-1000 * 9e-6, -1000 * 9e-6, 1300 * 9e-6, 1100 * 9e-6), abs=1e-12
    )


def _reach_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text(
        "name,lat,lon\n" + "".join(f"{n},{la},{lo}\n" for n, la, lo in rows), encoding="utf-8"
    )
    return path


def test_stations_beyond_walking_reach_are_set_aside_and_counted(tmp_path: Path):
    from tests.conftest import TINY_CRS

    reach = (-0.009, -0.009, 0.0117, 0.0099)  # the bounds of the test above
    path = _reach_csv(
        tmp_path / "national.csv",
        [
            ("A", "0.00054", "0.00054"),  # row 2: among the streets
            ("Almaty", "43.25", "76.95"),  # row 3: another city: set aside
            ("swapped", "0.0100", "0.005"),  # row 4: inside once exchanged: kept, reported
            ("no position", "", "0.001"),  # row 5: kept, reported as missing
            ("C", "0.0009", "0.0135"),  # row 6: 1500 m east, 1200 m beyond the streets
            ("B", "0.0009", "0.0108"),  # row 7: 1200 m east, 900 m beyond: within reach
        ],
    )
    stations = read_stations(
        path, crs=TINY_CRS, area_lonlat_bounds=reach, reach_lonlat_bounds=reach
    )
    assert stations.attrs["beyond_reach"] == 2
    assert stations["row"].tolist() == [2, 4, 5, 7]
    assert stations["station_id"].tolist() == [
        "national.csv:2",
        "national.csv:4",
        "national.csv:5",
        "national.csv:7",
    ]
    assert list(stations.index) == [0, 1, 2, 3]
    assert stations["usable"].tolist() == [True, False, False, True]
    assert "swapped" in stations["problem"].iloc[1]
    assert stations.geometry.iloc[3].x == pytest.approx(1200.0)

    # Without a reach nothing is set aside (and the far rows are "outside the study area").
    every = read_stations(path, crs=TINY_CRS, area_lonlat_bounds=reach)
    assert every.attrs["beyond_reach"] == 0 and len(every) == 6


def test_a_file_with_every_station_beyond_reach_says_so(tmp_path: Path):
    from tests.conftest import TINY_CRS

    path = _reach_csv(
        tmp_path / "kz.csv", [("Almaty", "43.25", "76.95"), ("Astana", "51.17", "71.45")]
    )
    with pytest.raises(InputError) as err:
        read_stations(path, crs=TINY_CRS, reach_lonlat_bounds=(-0.009, -0.009, 0.0117, 0.0099))
    message = str(err.value)
    assert "all 2 rows lie beyond walking reach of this area" in message
    assert "around latitude 47.21, longitude 74.20" in message  # the medians


def test_mark_unusable_with_one_reason_per_row():
    frame = gpd.GeoDataFrame(
        {"usable": [True, True, False], "problem": ["", "", "duplicate"]},
        geometry=[shapely.Point(0, 0)] * 3,
        crs=UTM43,
    )
    out = mark_unusable(frame, [False, True, True], ["unused", "300 m off", "closed"])
    assert out["usable"].tolist() == [True, False, False]
    assert out["problem"].tolist() == ["", "300 m off", "duplicate; closed"]
    with pytest.raises(InputError, match="reason for row 1 is empty"):
        mark_unusable(frame, [False, True, False], ["x", " ", "y"])


def test_no_usable_station_within_reach_counts_the_far_ones(tmp_path: Path):
    from tests.conftest import TINY_CRS

    path = _reach_csv(
        tmp_path / "kz.csv",
        [("Almaty", "43.25", "76.95"), ("no position", "", "0.001"), ("Astana", "51.17", "71.45")],
    )
    with pytest.raises(InputError) as err:
        read_stations(path, crs=TINY_CRS, reach_lonlat_bounds=(-0.009, -0.009, 0.0117, 0.0099))
    message = str(err.value)
    assert "none of the 1 rows is usable (and 2 more lie beyond walking reach" in message
    assert "row 3:" in message
