"""Reading user point tables: every row kept, problems named by file, row, column and value.

All files are synthetic, written into ``tmp_path``. Positions are in Almaty (about 76.95 E,
43.25 N; UTM zone 43N, EPSG:32643).
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner._tables import mark_unusable, read_point_table
from planner.errors import InputError

UTM43 = "EPSG:32643"
ALMATY = (76.7, 43.1, 77.2, 43.4)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def utm(lon: float, lat: float) -> tuple[float, float]:
    """Independent projection with pyproj, to check the reader's output."""
    x, y = pyproj.Transformer.from_crs(4326, 32643, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def test_good_csv_rows_numbered_as_in_a_spreadsheet(tmp_path):
    path = write(tmp_path / "stations.csv", "name,lat,lon\nУПП №1,43.25,76.95\nОПП 2,43.26,76.90\n")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert list(table["row"]) == [2, 3]  # header is row 1
    assert list(table["name"]) == ["УПП №1", "ОПП 2"]
    assert table["usable"].all()
    assert list(table["problem"]) == ["", ""]
    assert table.crs == pyproj.CRS.from_epsg(32643)
    x, y = utm(76.95, 43.25)
    assert table.geometry.iloc[0].x == pytest.approx(x, abs=1e-6)
    assert table.geometry.iloc[0].y == pytest.approx(y, abs=1e-6)
    assert list(table["lat"]) == [43.25, 43.26]


def test_bad_rows_are_kept_and_each_problem_named(tmp_path, caplog):
    text = (
        "name,Latitude,Longitude\n"
        "ok,43.25,76.95\n"  # row 2
        "swapped,76.95,43.25\n"  # row 3: far from the others, among them when exchanged
        "text,abc,76.9\n"  # row 4
        "missing,,76.9\n"  # row 5
        "far east,43.2,200\n"  # row 6
        "duplicate,43.250005,76.95\n"  # row 7: 0.56 m north of row 2
        "null island,0,0\n"  # row 8
        "near,43.25002,76.95\n"  # row 9: 2.2 m north of row 2, kept
    )
    path = write(tmp_path / "stations.csv", text)
    with caplog.at_level(logging.WARNING):
        table = read_point_table(path, what="stations", crs=UTM43)
    assert list(table["row"]) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert list(table["usable"]) == [True, False, False, False, False, False, False, True]
    problem = dict(zip(table["row"], table["problem"], strict=True))
    assert problem[3] == (
        "columns 'Latitude'/'Longitude': latitude 76.95, longitude 43.25 is far from the other "
        "rows (around latitude 43.25, longitude 76.95) but would be among them with the two "
        "exchanged; are the latitude and longitude columns swapped?"
    )
    assert problem[4] == "column 'Latitude': latitude 'abc' is not a number"
    assert problem[5] == "column 'Latitude': latitude is missing"
    assert problem[6] == "column 'Longitude': longitude 200 is outside -180..180"
    assert "0.56 m from row 2" in problem[7] and "duplicate" in problem[7]
    assert "placeholder" in problem[8]
    assert table.geometry.iloc[1] is None
    assert "stations.csv" in caplog.text and "6 of 8 rows" in caplog.text
    assert "row 4: column 'Latitude': latitude 'abc' is not a number" in caplog.text


def test_swapped_relative_to_study_area(tmp_path):
    # Both orders are valid degrees in Almaty; only the study area tells them apart.
    path = write(tmp_path / "s.csv", "lat,lon\n43.25,76.95\n76.95,43.25\n43.25,10.0\n")
    table = read_point_table(path, what="stations", crs=UTM43, area_lonlat_bounds=ALMATY)
    assert list(table["usable"]) == [True, False, False]
    assert "would be inside with the two exchanged" in table["problem"].iloc[1]
    assert "row" not in table["problem"].iloc[1]  # the row is in the 'row' column
    assert (
        table["problem"]
        .iloc[2]
        .endswith("is outside the study area (lon 76.7..77.2, lat 43.1..43.4)")
    )


def test_whole_file_unusable_raises_with_every_problem(tmp_path):
    # Longitudes above 90 (eastern Kazakhstan is below 90, so use Vladivostok, 131.9 E).
    path = write(tmp_path / "stations.csv", "lat,lon\n131.9,43.1\n131.8,43.2\nx,y\n")
    with pytest.raises(InputError) as info:
        read_point_table(path, what="stations", crs=UTM43)
    error = info.value
    assert error.what == "stations file stations.csv: none of the 3 rows is usable"
    assert error.problems[0] == (
        "row 2: column 'lat': latitude 131.9 is outside -90..90 but longitude 43.1 would fit; "
        "are the latitude and longitude columns swapped?"
    )
    assert error.problems[1].startswith("row 3: column 'lat': latitude 131.8 is outside")
    assert error.problems[2] == (
        "row 4: column 'lat': latitude 'x' is not a number; "
        "column 'lon': longitude 'y' is not a number"
    )
    assert "header line as row 1" in error.hint
    assert isinstance(error, ValueError)


def test_missing_empty_and_header_only_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_point_table(tmp_path / "nope.csv", what="stations", crs=UTM43)
    with pytest.raises(InputError, match=r"stations file empty\.csv is empty"):
        read_point_table(write(tmp_path / "empty.csv", ""), what="stations", crs=UTM43)
    with pytest.raises(InputError, match="header line but no data rows"):
        read_point_table(write(tmp_path / "h.csv", "lat,lon\n\n"), what="stations", crs=UTM43)
    with pytest.raises(InputError, match=r"unsupported file type '\.ods'"):
        read_point_table(write(tmp_path / "s.ods", "x"), what="stations", crs=UTM43)
    with pytest.raises(InputError, match=r"s\.xlsx cannot be read as an Excel workbook"):
        read_point_table(write(tmp_path / "s.xlsx", "x"), what="stations", crs=UTM43)


def test_no_coordinate_columns_lists_what_it_saw_and_looks_for(tmp_path):
    path = write(tmp_path / "s.csv", "name,address\nУПП,Абая 1\n")
    with pytest.raises(InputError) as info:
        read_point_table(path, what="stations", crs=UTM43)
    message = str(info.value)
    assert "stations file s.csv: required columns are missing" in message
    assert "the file has columns ['name', 'address']" in message
    assert "широта" in message and "longitude" in message


def test_geographic_target_crs_is_refused(tmp_path):
    path = write(tmp_path / "s.csv", "lat,lon\n43.25,76.95\n")
    with pytest.raises(InputError, match="not metres"):
        read_point_table(path, what="stations", crs="EPSG:4326")


def test_russian_excel_export_semicolon_decimal_comma_cp1251(tmp_path):
    text = "Название;Широта;Долгота\nУПП №51;43,25;76,95\n"
    path = write(tmp_path / "участки.csv", text, encoding="cp1251")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["name"].iloc[0] == "УПП №51"
    assert (table["lat"].iloc[0], table["lon"].iloc[0]) == (43.25, 76.95)


def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    path = write(tmp_path / "s.csv", "lat,lon\n43.25,76.95\n\n43.26,bad\n")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert list(table["row"]) == [2, 4]
    assert table["problem"].iloc[1] == "column 'lon': longitude 'bad' is not a number"


def test_single_coordinates_column_lat_lon_order(tmp_path):
    path = write(tmp_path / "s.csv", 'title,coordinates\nA,"43.25, 76.95"\nB,43.26\n')
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["name"].iloc[0] == "A"
    assert (table["lat"].iloc[0], table["lon"].iloc[0]) == (43.25, 76.95)
    assert table["problem"].iloc[1] == "column 'coordinates': longitude is missing"


def test_value_columns_checked_and_required(tmp_path):
    path = write(tmp_path / "p.csv", "lat,lon,Population\n43.25,76.95,120\n43.26,76.95,many\n")
    table = read_point_table(
        path, what="population points", crs=UTM43, value_columns=("population",)
    )
    assert table["population"].iloc[0] == 120.0
    assert np.isnan(table["population"].iloc[1])
    assert table["problem"].iloc[1] == "column 'Population': 'many' is not a number"
    with pytest.raises(InputError, match="column 'residents' not found"):
        read_point_table(path, what="population points", crs=UTM43, value_columns=("residents",))


def test_other_columns_are_kept_and_clashes_renamed(tmp_path):
    path = write(tmp_path / "s.csv", "lat,lon,phone,usable\n43.25,76.95,102,no\n")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["phone"].iloc[0] == "102"
    assert table["input_usable"].iloc[0] == "no"
    assert bool(table["usable"].iloc[0]) is True


def test_geojson_points_polygons_and_bad_geometries(tmp_path):
    square = [[76.95, 43.25], [76.951, 43.25], [76.951, 43.251], [76.95, 43.251], [76.95, 43.25]]
    features = [
        {
            "type": "Feature",
            "properties": {"name": "point"},
            "geometry": {"type": "Point", "coordinates": [76.95, 43.25]},
        },
        {
            "type": "Feature",
            "properties": {"name": "building"},
            "geometry": {"type": "Polygon", "coordinates": [square]},
        },
        {
            "type": "Feature",
            "properties": {"name": "road"},
            "geometry": {"type": "LineString", "coordinates": [[76.9, 43.2], [76.91, 43.2]]},
        },
        {"type": "Feature", "properties": {"name": "nothing"}, "geometry": None},
        {
            "type": "Feature",
            "properties": {"name": "swapped"},
            "geometry": {"type": "Point", "coordinates": [43.25, 76.95]},
        },
    ]
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    table = read_point_table(path, what="stations", crs=UTM43, area_lonlat_bounds=ALMATY)
    assert list(table["row"]) == [1, 2, 3, 4, 5]  # features numbered from 1
    assert list(table["usable"]) == [True, True, False, False, False]
    inside = shapely.Polygon(utm(lon, lat) for lon, lat in square)
    assert inside.contains(table.geometry.iloc[1])  # a point inside the footprint
    assert table["problem"].iloc[2].startswith("column 'geometry': a LineString is not a point")
    assert table["problem"].iloc[3] == "column 'geometry': the feature has no geometry"
    assert "swapped" in table["problem"].iloc[4]


def test_geopackage_in_another_crs_is_reprojected(tmp_path):
    x, y = utm(76.95, 43.25)
    frame = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.Point(76.95, 43.25)], crs=4326)
    path = tmp_path / "s.gpkg"
    frame.to_crs(3857).to_file(path, layer="stations")
    table = read_point_table(path, what="stations", crs=UTM43, layer="stations")
    assert table.geometry.iloc[0].x == pytest.approx(x, abs=1e-3)
    assert table.geometry.iloc[0].y == pytest.approx(y, abs=1e-3)
    assert table["lat"].iloc[0] == pytest.approx(43.25)


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow present")
def test_parquet_without_pyarrow_says_how_to_fix(tmp_path):
    path = write(tmp_path / "s.parquet", "PAR1")
    with pytest.raises(InputError, match="pyarrow"):
        read_point_table(path, what="stations", crs=UTM43)


def test_mark_unusable_appends_reason_and_never_mutates(tmp_path):
    path = write(tmp_path / "s.csv", "lat,lon\n43.25,76.95\n43.26,76.95\n43.27,bad\n")
    table = read_point_table(path, what="stations", crs=UTM43)
    before = table.copy()
    mask = pd.Series([False, True, True], index=table.index)
    marked = mark_unusable(table, mask, "400 m from the nearest walkable street (limit 250 m)")
    pd.testing.assert_frame_equal(table, before)
    assert list(marked["usable"]) == [True, False, False]
    assert marked["problem"].iloc[1] == "400 m from the nearest walkable street (limit 250 m)"
    assert marked["problem"].iloc[2] == (
        "column 'lon': longitude 'bad' is not a number; "
        "400 m from the nearest walkable street (limit 250 m)"
    )
    with pytest.raises(InputError, match="3 True/False values"):
        mark_unusable(table, [True], "x")
    with pytest.raises(InputError, match="non-empty"):
        mark_unusable(table, [True, False, False], " ")


# --- tables as they are exported in Kazakhstan (issue 13) -----------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_read_directly_with_excel_row_numbers(tmp_path):
    # a title line and a blank line above the header, a blank row inside: rows as Excel shows
    path = _workbook(
        tmp_path / "участки.xlsx",
        {
            "Лист1": [
                ["Участковые пункты полиции (synthetic)"],
                [],
                ["Название", "Широта", "Долгота"],
                ["УПП №1", 43.25, 76.95],
                [],
                ["УПП №2", "43,26", "bad"],
            ]
        },
    )
    table = read_point_table(path, what="stations", crs=UTM43)
    assert list(table["row"]) == [4, 6]
    assert table["name"].tolist() == ["УПП №1", "УПП №2"]
    assert (table["lat"].iloc[0], table["lon"].iloc[0]) == (43.25, 76.95)
    assert table["geometry"].iloc[0].x == pytest.approx(utm(76.95, 43.25)[0], abs=1e-6)
    assert "column 'Долгота': longitude 'bad' is not a number" in table["problem"].iloc[1]


def test_xlsx_sheet_chosen_by_its_columns_or_by_name(tmp_path):
    path = _workbook(
        tmp_path / "book.xlsx",
        {
            "Notes": [["prepared by the akimat (synthetic)"]],
            "Stations": [["name", "lat", "lon"], ["A", 43.25, 76.95]],
        },
    )
    assert read_point_table(path, what="stations", crs=UTM43)["name"].tolist() == ["A"]
    _workbook(
        path,
        {
            "2023": [["name", "lat", "lon"], ["A", 43.25, 76.95]],
            "2024": [["name", "lat", "lon"], ["B", 43.26, 76.96], ["C", 43.27, 76.97]],
        },
    )
    with pytest.raises(InputError) as info:
        read_point_table(path, what="stations", crs=UTM43)
    message = str(info.value)
    assert "2 sheets with data and 2 of them with latitude/longitude columns" in message
    assert "sheet '2023': 1 rows" in message and "sheet '2024': 2 rows" in message
    assert "layer='<sheet name>'" in message
    chosen = read_point_table(path, what="stations", crs=UTM43, layer="2024")
    assert chosen["name"].tolist() == ["B", "C"]
    with pytest.raises(InputError, match="has no sheet '2025'"):
        read_point_table(path, what="stations", crs=UTM43, layer="2025")


def test_workbook_saved_under_a_csv_name_is_read_as_a_workbook(tmp_path):
    path = _workbook(tmp_path / "s.xlsx", {"S": [["lat", "lon"], [43.25, 76.95]]})
    renamed = path.rename(tmp_path / "s.csv")
    assert read_point_table(renamed, what="stations", crs=UTM43)["lat"].tolist() == [43.25]


def test_binary_file_named_csv_is_not_text(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"s\.csv is not a text table"):
        read_point_table(path, what="stations", crs=UTM43)


def test_unreadable_file_is_an_input_error(tmp_path, monkeypatch):
    path = write(tmp_path / "s.csv", "lat,lon\n43.25,76.95\n")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputError, match=r"s\.csv cannot be read \(Permission denied\)"):
        read_point_table(path, what="stations", crs=UTM43)


def test_utf16_unicode_text_export_is_read(tmp_path):
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated
    text = "Название\tШирота\tДолгота\r\nУПП №1\t43,25\t76,95\r\n"
    path = write(tmp_path / "s.txt", text, encoding="utf-16")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["name"].tolist() == ["УПП №1"]
    assert (table["lat"].iloc[0], table["lon"].iloc[0]) == (43.25, 76.95)
    no_bom = write(tmp_path / "n.txt", text, encoding="utf-16-le")
    assert read_point_table(no_bom, what="stations", crs=UTM43)["lat"].tolist() == [43.25]


def test_quoted_decimal_comma_in_a_comma_separated_file_gets_a_hint(tmp_path):
    path = write(tmp_path / "s.csv", 'name,lat,lon\nA,"43,25",76.95\nB,43.26,76.96\n')
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["problem"].iloc[0] == (
        "column 'lat': latitude '43,25' is not a number (a decimal comma? in a comma-separated "
        "file write 43.25, or save the file with ';' as the separator)"
    )
    assert table["usable"].tolist() == [False, True]


def test_unquoted_decimal_commas_shift_the_columns_and_say_so(tmp_path):
    # before: "43,25" split into 43 | 25, read as latitude 25... and blamed on metres
    path = write(tmp_path / "s.csv", "name,lat,lon\nA,43,25,76,95\nB,43,26,76,96\n")
    with pytest.raises(InputError) as info:
        read_point_table(path, what="stations", crs=UTM43)
    message = str(info.value)
    assert "the columns are shifted" in message and "decimal comma" in message
    assert "row 2: 5 values for 3 columns: 'A,43,25,76,95'" in message
    assert "row 3: 5 values for 3 columns" in message
    assert "';' as the separator" in message
    assert "metres" not in message
    other = write(tmp_path / "o.csv", "name,lat,lon\nA, Almaty,43.25,76.95\n")
    with pytest.raises(InputError, match="more values than the header line has columns"):
        read_point_table(other, what="stations", crs=UTM43)


@pytest.mark.parametrize(
    ("lat_text", "lon_text", "lat", "lon"),
    [
        # 43 + 15/60 + 7.2/3600 = 43.252; 76 + 57/60 + 3.6/3600 = 76.951
        ("43°15'07.2\"N", "76°57'03.6\"E", 43.252, 76.951),
        ("43° 15.12' N", "76° 57.06' E", 43.252, 76.951),  # degrees and decimal minutes
        ("N 43 15 7.2", "E 76 57 3.6", 43.252, 76.951),
        ("43°15′07.2″ с.ш.", "76°57′03.6″ в.д.", 43.252, 76.951),
        ("-43°15'07.2\"", "76°57'03.6\"W", -43.252, -76.951),
    ],
)
def test_degrees_minutes_seconds_are_converted(tmp_path, lat_text, lon_text, lat, lon):
    path = tmp_path / "s.csv"
    pd.DataFrame({"name": ["A"], "lat": [lat_text], "lon": [lon_text]}).to_csv(path, index=False)
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["lat"].iloc[0] == pytest.approx(lat, abs=1e-9)
    assert table["lon"].iloc[0] == pytest.approx(lon, abs=1e-9)


def test_unreadable_degrees_say_how_to_write_them(tmp_path):
    path = write(tmp_path / "s.csv", "lat,lon\n43°75'N,76.95\n43.25,76.95\n")  # 75 minutes
    table = read_point_table(path, what="stations", crs=UTM43)
    assert "is not a number (degrees-minutes-seconds could not be read" in table["problem"].iloc[0]


def test_kazakh_headers(tmp_path):
    path = write(tmp_path / "s.csv", "Атауы;Ендік;Бойлық\nУПП №1;43,25;76,95\n")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["name"].tolist() == ["УПП №1"]
    assert (table["lat"].iloc[0], table["lon"].iloc[0]) == (43.25, 76.95)
    pair = write(tmp_path / "p.csv", 'атауы,координаттар\nА,"43.25, 76.95"\n')
    assert read_point_table(pair, what="stations", crs=UTM43)["lon"].tolist() == [76.95]


def test_geopackage_layer_chosen_by_geometry_or_required(tmp_path):
    path = tmp_path / "m.gpkg"
    districts = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[shapely.box(76.9, 43.2, 77.0, 43.3)], crs=4326
    )
    stations = gpd.GeoDataFrame({"name": ["S"]}, geometry=[shapely.Point(76.95, 43.25)], crs=4326)
    districts.to_file(path, layer="districts")  # the first layer: the one used before
    stations.to_file(path, layer="stations")
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["name"].tolist() == ["S"]
    stations.assign(name=["old"]).to_file(path, layer="stations_2020")
    with pytest.raises(InputError) as info:
        read_point_table(path, what="stations", crs=UTM43)
    message = str(info.value)
    assert "3 layers and 2 of them hold points" in message
    assert "layer 'districts': Polygon" in message and "layer 'stations_2020': Point" in message
    assert "layer='<layer name>'" in message
    chosen = read_point_table(path, what="stations", crs=UTM43, layer="stations_2020")
    assert chosen["name"].tolist() == ["old"]
    with pytest.raises(InputError, match="has no layer 'x'"):
        read_point_table(path, what="stations", crs=UTM43, layer="x")


def test_polygon_files_refuse_tables_and_choose_the_polygon_layer(tmp_path):
    from planner._tables import read_polygons

    table = write(tmp_path / "districts.csv", "name,lat,lon\nD,43.25,76.95\n")
    with pytest.raises(InputError, match=r"districts must be polygons; a \.csv table holds none"):
        read_polygons(table, what="districts")
    path = tmp_path / "area.gpkg"
    area = gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[shapely.box(76.9, 43.2, 77.0, 43.3)], crs=4326
    )
    gpd.GeoDataFrame({"name": ["S"]}, geometry=[shapely.Point(76.95, 43.25)], crs=4326).to_file(
        path, layer="stations"
    )
    area.to_file(path, layer="city")
    frame = read_polygons(path, what="boundary")  # not the first layer: the polygon one
    assert frame["name"].tolist() == ["A"]
    area.to_file(path, layer="city_2010")
    with pytest.raises(InputError) as info:
        read_polygons(path, what="boundary")
    assert "3 layers and 2 of them hold polygons" in str(info.value)
    assert "layer 'city_2010': Polygon" in str(info.value)


def test_a_non_path_is_a_type_error_naming_the_public_reader():
    from planner.candidates import read_candidates
    from planner.errors import ArgumentTypeError
    from planner.stations import read_stations

    with pytest.raises(ArgumentTypeError) as info:
        read_stations(None, crs=UTM43)
    assert str(info.value).splitlines()[0] == (
        "read_stations: path must be the path of a stations file (CSV, Excel, GeoJSON, "
        "GeoPackage), not None"
    )
    with pytest.raises(TypeError, match="read_candidates: path must be"):
        read_candidates(pd.DataFrame({"lat": [43.25], "lon": [76.95]}), crs=UTM43)


def test_hemisphere_letters_must_fit_their_column(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({"lat": ["76°57'03.6\"E", "43.252N"], "lon": ["43°15'07.2\"N", "76.951E"]}).to_csv(
        path, index=False
    )
    table = read_point_table(path, what="stations", crs=UTM43)
    assert table["problem"].iloc[0] == (
        "column 'lat': latitude '76°57\\'03.6\"E' is not a number (E marks a longitude, not a "
        "latitude: are the latitude and longitude columns swapped?); column 'lon': longitude "
        "'43°15\\'07.2\"N' is not a number (N marks a latitude, not a longitude: are the "
        "latitude and longitude columns swapped?)"
    )
    # decimal degrees with a hemisphere letter and no degree sign
    assert (table["lat"].iloc[1], table["lon"].iloc[1]) == (43.252, 76.951)


# --- inputs that say they are made up ------------------------------------------------------------


def test_a_note_column_or_comment_line_declares_a_file_illustrative(tmp_path: Path):
    from planner.synthetic import NOTE

    crs = "EPSG:32643"
    real = tmp_path / "real.csv"
    real.write_text("name,lat,lon,note\nA,43.25,76.95,opened 2019\n", encoding="utf-8")
    assert read_point_table(real, what="stations", crs=crs).attrs["illustrative"] is None
    synthetic = tmp_path / "synthetic.csv"  # what planner.synthetic writes
    synthetic.write_text(f'name,lat,lon,note\nA,43.25,76.95,"{NOTE}"\n', encoding="utf-8")
    table = read_point_table(synthetic, what="stations", crs=crs)
    assert table.attrs["illustrative"] == f"note column: {NOTE}"
    russian = tmp_path / "ru.csv"
    russian.write_text("name;lat;lon;Примечание\nА;43,25;76,95;Иллюстративные данные\n")
    assert (
        read_point_table(russian, what="stations", crs=crs).attrs["illustrative"]
        == "Примечание column: Иллюстративные данные"
    )
    # a comment line above the header; rows keep the numbers a text editor shows
    commented = tmp_path / "commented.csv"
    commented.write_text(
        "# Made-up stations for a training session, not real\n"
        "name,lat,lon\nA,43.25,76.95\nB,95,76.95\n",
        encoding="utf-8",
    )
    table = read_point_table(commented, what="stations", crs=crs)
    assert table.attrs["illustrative"] == (
        "comment line: Made-up stations for a training session, not real"
    )
    assert table["row"].tolist() == [3, 4]  # the header is line 2
    assert table["problem"].iloc[1].startswith("column 'lat'")
    # '#' as a column name is a header, not a comment
    numbered = tmp_path / "numbered.csv"
    numbered.write_text("#,name,lat,lon\n1,A,43.25,76.95\n", encoding="utf-8")
    table = read_point_table(numbered, what="stations", crs=crs)
    assert table["row"].tolist() == [2] and table["#"].tolist() == ["1"]
    assert table.attrs["illustrative"] is None


def test_the_bundled_illustrative_stations_file_says_so():
    from planner.stations import read_stations
    from tests.conftest import DATA

    table = read_stations(DATA / "almaty_stations_illustrative.csv", crs="EPSG:32643")
    assert table.attrs["illustrative"].startswith("note column: ILLUSTRATIVE, not real")
