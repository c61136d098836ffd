"""The corpus of awkward and bad inputs (tests/data/bad_inputs, synthetic, see its README):
each through the command line, with its exit code, its message and the --out folder untouched.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from planner import cli
from planner._cli_inputs import (
    check_options,
    for_cli,
    heartbeat,
    library_noise_off,
    size_warnings,
)
from tests.conftest import BISHKEK

CORPUS = Path(__file__).resolve().parent / "data" / "bad_inputs"


def _out_with_previous_run(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"previous": "run"}')
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


REJECTED = [
    (
        "stations_binary.csv",
        ["coverage", "--stations", "{f}"],
        ["stations file stations_binary.csv is not a text table"],
    ),
    (
        "stations_decimal_comma_unquoted.csv",
        ["coverage", "--stations", "{f}"],
        [
            "the columns are shifted: numbers written with a decimal comma",
            "row 2: 5 values for 3 columns",
            "';' as the separator",
        ],
    ),
    (
        "stations_decimal_comma_quoted.csv",
        ["coverage", "--stations", "{f}"],
        [
            "none of the 2 rows is usable",
            "latitude '42,8700' is not a number (a decimal comma? in a comma-separated file "
            "write 42.8700",
        ],
    ),
    (
        "stations_two_point_layers.gpkg",
        ["coverage", "--stations", "{f}"],
        [
            "3 layers and 2 of them hold points",
            "layer 'stations_2024': Point",
            "layer 'stations_2019': Point",
            "Name the layer with --stations-layer NAME",
        ],
    ),
    (
        "stations_inspectors_not_counts.csv",
        ["coverage", "--stations", "{f}"],
        [
            "stations_inspectors_not_counts.csv: no usable station left",
            "row 2: column 'inspectors': 'inf' is not a number of inspectors",
            "row 3: column 'inspectors': '1e3' is not a number of inspectors",
            "row 4: column 'inspectors': '2.5' is not a number of inspectors",
            "whole number >= 0",
        ],
    ),
    (
        "boundary.csv",
        ["coverage", "--boundary", "{f}"],
        ["boundary file boundary.csv: boundary must be polygons; a .csv table holds none"],
    ),
    *(
        (
            "districts_metres_no_crs.geojson",
            [*command, flag, "{f}"],
            [
                f"{what} file districts_metres_no_crs.geojson: coordinates x 8306000..8311000, "
                "y 5287000..5294000 are read as degrees",
                "lie outside longitude -180..180, latitude -90..90: these look like metres, "
                "not degrees",
            ],
        )
        for command, flag, what in (
            (["coverage"], "--districts", "districts"),
            (["coverage"], "--boundary", "boundary"),
            (["national"], "--units", "units"),
        )
    ),
    (
        "candidates_swapped.csv",
        ["plan", "--n-sites", "1", "--candidates", "{f}"],
        [
            "candidate sites file candidates_swapped.csv (--candidates): none of the 2 rows is "
            "usable",
            "row 2: columns 'lat'/'lon': latitude 74.63, longitude 42.87 is outside the study area",
            "are the latitude and longitude columns swapped?",
        ],
    ),
    (
        "proposals_far_away.csv",
        ["evaluate", "--proposals", "{f}"],
        [
            "proposals file proposals_far_away.csv (--proposals): none of the 2 rows is usable",
            "row 2: columns 'lat'/'lon': latitude 43.25, longitude 76.95 is outside the study area",
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "expected"), REJECTED, ids=[f"{c[0]}-{c[1][-2]}" for c in REJECTED]
)
def test_rejected_inputs_exit_2_with_one_message_and_out_untouched(
    name: str,
    args: list[str],
    expected: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    out, before = _out_with_previous_run(tmp_path)
    argv = [a.format(f=CORPUS / name) for a in args]
    code, printed, err = _run([*argv, "--osm", str(BISHKEK), "--out", str(out), "-q"], capsys)
    assert code == 2
    assert "Traceback" not in err
    message = err[err.index("planner: ") :]
    for text in expected:
        assert text in message
    assert printed == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


ACCEPTED = [
    ("stations_unicode_text.txt", []),
    ("stations_dms.csv", []),
    ("stations_kazakh_headers.csv", []),
    ("stations_two_sheets.xlsx", []),
    ("stations_two_point_layers.gpkg", ["--stations-layer", "stations_2024"]),
]


@pytest.mark.parametrize(("name", "extra"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_awkward_but_readable_station_files(
    name: str, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import pyogrio

    code, printed, err = _run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--stations",
            str(CORPUS / name),
            *extra,
            "--out",
            str(tmp_path / "o"),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    assert "stations        2 usable of 2" in printed
    stations = pyogrio.read_dataframe(tmp_path / "o" / "plan.gpkg", layer="stations")
    assert sorted(stations["name"]) == ["synthetic post 1", "synthetic post 2"] or sorted(
        stations["name"]
    ) == ["синтетикалық бекет 1", "синтетикалық бекет 2"]
    # both positions as written in the file: 42.87 N 74.63 E and 42.86 N 74.64 E
    lonlat = stations.to_crs(4326).sort_values("name")
    assert np.allclose(lonlat.geometry.y, [42.87, 42.86], atol=1e-9)
    assert np.allclose(lonlat.geometry.x, [74.63, 74.64], atol=1e-9)


def test_unreadable_osm_and_stations_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    # chmod 000 does not stop root (the test machine), so the denial is simulated
    osm = tmp_path / "city.osm.gz"
    osm.write_bytes(BISHKEK.read_bytes())
    stations = tmp_path / "stations.csv"
    stations.write_text("name,lat,lon\nsynthetic post,42.87,74.63\n")
    denied = {osm, stations}
    real_open = Path.open

    def open_(self, *args, **kwargs):
        if self in denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run(
        ["coverage", "--osm", str(osm), "--stations", str(stations), "--out", str(out)], capsys
    )
    assert code == 2 and "Traceback" not in err
    assert f"stations file {stations} cannot be read (Permission denied)" in err
    denied.discard(stations)
    code, _, err = _run(["coverage", "--osm", str(osm), "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{osm}: cannot be read (Permission denied)" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["coverage", "--walk-m", "-5"], "--walk-m -5: must be a number > 0 (metres, e.g. 800)"),
        (["coverage", "--walk-min", "0"], "--walk-min 0: must be a number > 0"),
        (["plan", "--n-sites", "-1"], "--n-sites -1: must be 0 or more"),
        (
            ["plan", "--target-share", "90"],
            "--target-share 90: must be a share in (0, 1], e.g. 0.9",
        ),
        (["plan", "--n-sites", "2", "--spacing-m", "0"], "--spacing-m 0: must be a number > 0"),
        (
            ["coverage", "--floor-area-per-resident-m2", "-1"],
            "--floor-area-per-resident-m2 -1: must be a number > 0",
        ),
        (["coverage", "--total-population", "-1"], "--total-population -1: must be a number > 0"),
    ],
)
def test_bad_options_are_named_by_their_flag_before_reading(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run([*args, "--osm", str(BISHKEK), "--out", str(out)], capsys)
    assert code == 2
    assert expected in err
    assert "reading" not in err  # refused before the OSM file is read
    for api in (
        "max_walk_m",
        "WalkSettings",
        "PopulationSettings",
        "forced",
        "n_sites",
        "calibrate",
    ):
        assert api not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_west_east_exchanged_bbox_is_refused_before_going_online(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as info:
        cli.main(["fetch", "--bbox", "76.98,43.20,76.85,43.30", "--out", str(tmp_path / "a.osm")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "west=76.98 is not west of east=76.85; are west and east exchanged?" in err
    assert not (tmp_path / "a.osm").exists()


# --- the pieces -------------------------------------------------------------------------------


def test_library_messages_are_translated_to_flags():
    message = (
        "invalid walking settings\n"
        "  - max_walk_m=-5.0 must be greater than 0\n"
        "Use a walking limit in metres (e.g. 800) or build the settings with "
        "WalkSettings.from_minutes(10, speed_kmh=4.8)."
    )
    assert for_cli(message) == "invalid walking settings\n  - --walk-m -5.0 must be greater than 0"
    solver = (
        "maximize_coverage: 2 problem(s) with the input\n"
        "  - n_sites=-1 must be a whole number >= 0\n"
        "  - forced has 0 sites but n_sites=-1; raise n_sites\n"
        "Each line names the argument and what it must be; fix them all and call again."
    )
    assert for_cli(solver) == (
        "maximize_coverage: 2 problem(s) with the input\n"
        "  - --n-sites -1 must be a whole number >= 0"
    )
    note = (
        "residential land use looks sparsely mapped. Consider PopulationSettings("
        "yes_outside_residential_landuse=True, total_population=...) or a population raster "
        "(demand_from_raster)."
    )
    assert for_cli(note) == (
        "residential land use looks sparsely mapped. Consider --untyped-buildings-residential "
        "with --total-population or a population raster (--population-raster)."
    )
    layers = "candidate sites file p.gpkg has 2 layers\nName the layer with layer='<layer name>'."
    assert for_cli(layers, command="evaluate").endswith("with --proposals-layer NAME.")
    assert for_cli(layers, command="plan").endswith("with --candidates-layer NAME.")
    # prose and OSM tags stay as they are
    assert for_cli("no streets inside the requested bbox") == "no streets inside the requested bbox"
    assert for_cli("tagged boundary=administrative") == "tagged boundary=administrative"


def test_check_options_collects_every_problem():
    args = argparse.Namespace(
        walk_m=-1.0,
        walk_min=None,
        speed_kmh=0.0,
        max_snap_m=250.0,
        total_population=None,
        floor_area_per_resident_m2=None,
        residents_per_inspector=3000.0,
        relocation_radius_m=1000.0,
        spacing_m=100.0,
        time_limit_s=60.0,
        capacity_inspectors=2.0,
        repair_batch=0,
        n_sites=None,
        target_share=1.5,
        stations=None,
        stations_layer="a",
    )
    assert check_options(args) == [
        "--walk-m -1: must be a number > 0 (metres, e.g. 800)",
        "--speed-kmh 0: must be a number > 0 (km/h, e.g. 4.8)",
        "--repair-batch 0: must be 1 or more",
        "--target-share 1.5: must be a share in (0, 1], e.g. 0.015 for 1.5 %",
        "--capacity-inspectors works with --n-sites (the number of new sites)",
        "--stations-layer names a layer of the --stations file, but no --stations is given",
    ]


def test_size_warnings_give_the_expected_size_up_front():
    # 150 km of street: 150,000 sites at 1 m, 1,500 at the default 100 m
    city = SimpleNamespace(
        network=SimpleNamespace(edge_length_m=np.full(150, 1000.0)),
        stations=pd.DataFrame({"usable": np.ones(10_000, dtype=bool)}),
    )
    args = argparse.Namespace(command="plan", spacing_m=1.0)
    stations, spacing = size_warnings(args, city)
    assert stations.startswith("10,000 usable stations")
    assert spacing.startswith(
        "--spacing-m 1: up to about 150,000 candidate sites along 150 km of walkable street "
        "(about 1,500 at the default 100 m)"
    )
    quiet_city = SimpleNamespace(
        network=city.network, stations=pd.DataFrame({"usable": np.ones(50, dtype=bool)})
    )
    assert size_warnings(argparse.Namespace(command="plan", spacing_m=100.0), quiet_city) == []
    assert size_warnings(argparse.Namespace(command="coverage"), quiet_city) == []


def test_library_noise_stays_off_the_terminal(capfd: pytest.CaptureFixture[str]):
    print("before", flush=True)
    with library_noise_off():
        os.write(1, b"HighsMipSolverData debug line\n")  # C code writing to the stdout
        warnings.warn("geopandas: Geometry is in a geographic CRS", UserWarning, stacklevel=1)
        print("progress line", file=sys.stderr, flush=True)
    print("after", flush=True)
    out, err = capfd.readouterr()
    assert out == "before\nafter\n"
    assert err == "progress line\n"


def test_heartbeat_shows_a_long_step_is_alive(capsys: pytest.CaptureFixture[str]):
    import time

    with heartbeat(every_s=0.05):
        time.sleep(0.18)
    err = capsys.readouterr().err
    assert err.count(" s ...") >= 2
    with heartbeat(every_s=0.05, quiet=True):
        time.sleep(0.12)
    assert capsys.readouterr().err == ""


def test_thousands_of_bad_rows_are_summarised_and_written_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # 3000 rows, each with its latitude written as text (synthetic)
    stations = tmp_path / "stations.csv"
    stations.write_text(
        "name,lat,lon\n" + "".join(f"synthetic post {i},n/a,74.63\n" for i in range(3000))
    )
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run(
        ["coverage", "--osm", str(BISHKEK), "--stations", str(stations), "--out", str(out)],
        capsys,
    )
    assert code == 2
    message = err[err.index("planner: ") :]
    assert len(message) < 8000  # not one enormous message
    (line,) = [x for x in message.splitlines() if x.startswith("  ... and 2950 more")]
    listed = Path(line.split(" listed in ")[1].rstrip(")"))
    try:
        rows = listed.read_text(encoding="utf-8").splitlines()
        assert rows[0] == "stations file stations.csv: none of the 3000 rows is usable"
        assert len(rows) == 3001
        assert rows[-1] == "row 3001: column 'lat': latitude 'n/a' is not a number"
    finally:
        listed.unlink()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_headline_of_a_message_is_never_dropped():
    text = "load_city(bbox=...) failed: forced has 0 sites\n  - n_sites=-1 must be >= 0"
    assert for_cli(text).splitlines() == [
        "load_city(bbox=...) failed: forced has 0 sites",
        "  - --n-sites -1 must be >= 0",
    ]


def test_districts_of_another_city_are_a_warning_not_a_silent_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # Almaty's districts (data/, 76.74..77.17 E) over central Bishkek (74.62..74.65 E)
    from planner.districts import BUNDLED_ALMATY_DISTRICTS

    out = tmp_path / "o"
    code, printed, err = _run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--districts",
            str(BUNDLED_ALMATY_DISTRICTS),
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    warning = "no resident lies in any of the 8 districts of almaty_districts_2024.geojson"
    assert warning in err  # said when the districts are read
    assert f"Warning: {warning}" in printed  # and above the district table
    memo = (out / "summary.md").read_text(encoding="utf-8")
    assert f"Warning: {warning}" in memo
    for text in (printed, memo):
        assert "2012" not in text  # the bundled 2012 map is not the data here


def test_bbox_written_latitude_first_is_named_with_the_right_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--bbox",
            "42.84,74.62,42.88,74.66",
            "--out",
            str(out),
            "-q",
        ],
        capsys,
    )
    assert code == 2 and "Traceback" not in err
    message = err[err.index("planner: ") :]
    # the file's streets: 74.6240..74.6494 E, 42.8423..42.8748 N (data/README.md)
    assert message == (
        "planner: --bbox 42.84,74.62,42.88,74.66 holds none of the file's streets (they span "
        "longitude 74.6240..74.6494 and latitude 42.8423..42.8748), but 74.62,42.84,74.66,42.88 "
        "would: latitude and longitude look exchanged\n"
        "The order is west,south,east,north (longitude first): give 74.62,42.84,74.66,42.88.\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_option_values_starting_with_minus_are_read_as_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # argparse alone says "expected one argument" for each of these
    code, _, err = _run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--bbox",
            "-180,-90,180,90",
            "--out",
            str(tmp_path / "o"),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    assert "expected one argument" not in err
    import json

    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    bbox = [i for i in summary["data"]["inputs"] if i["role"] == "bbox"]
    assert [b["value"] for b in bbox] == [[-180.0, -90.0, 180.0, 90.0]]
    # a box west of Greenwich (Lisbon), away from the Bishkek file: the box is read and checked
    code, _, err = _run(
        ["coverage", "--osm", str(BISHKEK), "--bbox", "-9.5,38.6,-9.0,39.0", "-q"], capsys
    )
    assert code == 2
    assert "no streets inside the requested bbox (-9.5, 38.6, -9.0, 39.0)" in err
    # a negative number in exponent form reaches the option check
    code, _, err = _run(["coverage", "--walk-m", "-5e3", "--osm", str(BISHKEK)], capsys)
    assert code == 2
    assert "--walk-m -5000: must be a number > 0" in err


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("p.csv", None, "proposals file {f} (--proposals) does not exist"),
        ("p.csv", b"", "proposals file p.csv (--proposals) is empty"),
        ("p.csv", b"name,lat,lon\n", "proposals file p.csv (--proposals) has a header line but no"),
        (
            "p.csv",
            b"\x00\x01\x02\xff" * 64,
            "proposals file p.csv (--proposals) is not a text table",
        ),
        (
            "p.csv",
            b"name,x\na,1\n",
            "proposals file p.csv (--proposals): required columns are missing",
        ),
        (
            "p.xls",
            b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
            "proposals file p.xls (--proposals) is an old Excel",
        ),
        (
            "p.csv",
            b"name,lat,lon\nsynthetic,n/a,74.63\n",
            "proposals file p.csv (--proposals): none of the 1 rows is usable",
        ),
        (
            "stations_two_point_layers.gpkg",
            "corpus",
            "proposals file stations_two_point_layers.gpkg (--proposals) has 3 layers and 2 of "
            "them hold points: which one holds the proposals?",
        ),
    ],
    ids=[
        "missing",
        "empty",
        "header-only",
        "binary",
        "no-columns",
        "xls",
        "no-usable-row",
        "layers",
    ],
)
def test_every_problem_of_the_proposals_file_names_it_and_its_flag(
    name: str,
    content: bytes | str | None,
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    path = CORPUS / name if content == "corpus" else tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    code, _, err = _run(
        ["evaluate", "--osm", str(BISHKEK), "--proposals", str(path), "--out", str(tmp_path / "o")],
        capsys,
    )
    assert code == 2 and "Traceback" not in err
    message = err[err.index("planner: ") :]
    assert expected.format(f=path) in message
    assert "candidate sites" not in message
    if name.endswith(".gpkg"):
        assert "Name the layer with --proposals-layer NAME." in message


def test_barriers_none_cannot_be_combined(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        cli.main(["coverage", "--osm", str(BISHKEK), "--barriers", "none,railway"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert (
        "argument --barriers: 'none,railway': 'none' (no barriers at all) cannot be combined "
        "with other kinds; give either --barriers none or the kinds alone, --barriers railway"
    ) in err
    assert "unknown barrier kind" not in err


def test_a_compressed_file_that_is_not_osm_is_quoted_decompressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = CORPUS / "stations_as_osm.osm.gz"
    code, _, err = _run(["coverage", "--osm", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "Traceback" not in err
    assert (
        f"{path}: not an OpenStreetMap file (a gzip file whose content starts with "
        "b'name,lat,lon\\nsyn')"
    ) in err
    assert "\\x1f\\x8b" not in err  # not the gzip header


def test_no_size_warning_for_the_default_spacing_or_the_demo():
    # 3,000 km of street (a city the size of Almaty): 30,000 sites at 100 m if every street got
    # them, but sites are only placed near residents not yet covered: the demo's 7 s run was
    # told "--spacing-m 100 ... minutes rather than seconds", an option the user never typed
    city = SimpleNamespace(
        network=SimpleNamespace(edge_length_m=np.full(3000, 1000.0)),
        stations=pd.DataFrame({"usable": np.ones(10, dtype=bool)}),
    )
    assert size_warnings(argparse.Namespace(command="plan", spacing_m=100.0), city) == []
    assert size_warnings(argparse.Namespace(command="evaluate", spacing_m=250.0), city) == []
    demo = argparse.Namespace(command="plan", spacing_m=50.0, demo=True)
    assert size_warnings(demo, city) == []
    (tight,) = size_warnings(argparse.Namespace(command="plan", spacing_m=50.0), city)
    assert tight.startswith(
        "--spacing-m 50: up to about 60,000 candidate sites along 3,000 km of walkable street "
        "(about 30,000 at the default 100 m), 2 times as many"
    )
    assert "minutes" not in tight


def test_manifest_with_a_header_and_no_rows_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run(
        ["national", "-q", "--manifest", str(CORPUS / "manifest_no_rows.csv"), "--out", str(out)],
        capsys,
    )
    assert code == 2, err
    assert "Traceback" not in err and "AttributeError" not in err
    assert "manifest file manifest_no_rows.csv has a header line but no data rows" in err
    assert "header: 'name,osm,population'" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_manifest_in_windows_1251_with_semicolons_and_decimal_commas_is_read():
    from planner.units import read_manifest

    table = read_manifest(CORPUS / "manifest_cp1251.csv")
    assert list(table["name"]) == ["Бишкек, центр (synthetic)"]
    assert list(table["row"]) == ["row 2"]  # the header is row 1, as the spreadsheet shows
    assert Path(table["osm"].iloc[0]).resolve() == BISHKEK.resolve()
    assert table["population"].iloc[0] == 1234.5  # "1 234,5"
    assert table["max_new"].iloc[0] == 2 and table["min_new"].iloc[0] == 0


def test_manifest_as_an_excel_workbook_is_read_from_the_sheet_with_its_columns():
    from planner.units import read_manifest

    # sheet "README" holds a note; sheet "units" has a title line and a blank line above the
    # header "Name | OSM | Population | min_new" (row 3) and one unit in row 4
    table = read_manifest(CORPUS / "manifest_two_sheets.xlsx")
    assert list(table["name"]) == ["Бишкек центр (synthetic)"]
    assert list(table["row"]) == ["row 4"]
    assert Path(table["osm"].iloc[0]).resolve() == BISHKEK.resolve()
    assert table["population"].iloc[0] == 1234.5
    assert table["min_new"].iloc[0] == 1 and np.isnan(table["max_new"].iloc[0])


def test_manifest_workbook_keeps_its_own_column_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "file"])
    book.active.append(["synthetic town", "town.osm.pbf"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    out, before = _out_with_previous_run(tmp_path)
    code, _, err = _run(["national", "-q", "--manifest", str(path), "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "the manifest cannot be used" in err
    assert "no 'osm' column (columns: ['name', 'file'])" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
