"""The command line: outputs, exit codes, clear messages, files left intact after a failure."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from planner import _cli_parser, cli
from planner.errors import FetchError
from planner.output_set import read_run_ids
from tests.conftest import BISHKEK, TINY


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    code = cli.main(
        [
            "plan",
            "--osm",
            str(BISHKEK),
            "--n-sites",
            "2",
            "--spacing-m",
            "200",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    return out


def test_plan_writes_every_file(plan_dir: Path):
    assert sorted(p.name for p in plan_dir.iterdir()) == [
        "manifest.json",
        "map.html",
        "plan.gpkg",
        "summary.json",
        "summary.md",
    ]
    layers = {name for name, _ in pyogrio.list_layers(plan_dir / "plan.gpkg")}
    assert layers == {
        "stations",
        "service_areas",
        "station_areas",
        "buildings",
        "proposed_sites",
        "candidates",
        "run",  # the run id, as in summary.json: a mixed set of files is detectable
    }
    sites = pyogrio.read_dataframe(plan_dir / "plan.gpkg", layer="proposed_sites")
    assert sites["rank"].tolist() == [1, 2]
    stations = pyogrio.read_dataframe(plan_dir / "plan.gpkg", layer="stations")
    assert (~stations["usable"]).sum() == 2  # the traffic police, listed with the reason
    assert stations.loc[~stations["usable"], "problem"].str.contains("traffic").all()
    summary = json.loads((plan_dir / "summary.json").read_text())
    run_ids = read_run_ids(plan_dir)
    assert set(run_ids) == {"manifest.json", "plan.gpkg", "summary.json", "summary.md", "map.html"}
    assert set(run_ids.values()) == {summary["run_id"]}
    assert summary["data"]["data_date"] == "2025-04-10T04:51:30Z"
    assert (
        summary["data"]["sha256"]
        == "2726cc78f7abe701db4e555c50543d4534fe46a4f6e5e421b87cf01c5c521059"
    )
    assert summary["plan"]["n_sites"] == 2
    assert summary["parameters"]["max_walk_m"] == 800.0
    assert summary["coverage"]["residents_covered"] <= summary["plan"]["residents_covered_after"]
    memo = (plan_dir / "summary.md").read_text()
    assert "800" in memo
    assert "Optimisation: exact solver" in memo
    assert "50th percentile" in memo
    # the memo's site rows carry the numbers of summary.json (none "not recorded")
    site_rows = [line for line in memo.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(site_rows) == 2
    assert all("not recorded" not in row for row in site_rows)
    first = summary["plan"]["sites"][0]
    assert f"{first['marginal_population']:,.0f}".replace(",", " ") in site_rows[0]
    html = (plan_dir / "map.html").read_text()
    assert "<script src=" not in html  # everything inlined: works offline


def test_summary_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    code, out, err = run(["coverage", "--osm", str(BISHKEK), "--out", str(tmp_path)], capsys)
    assert code == 0
    assert "within 800 m (10 min at 4.8 km/h)" in out
    assert "walking distances" in err  # progress goes to stderr
    # the library's warnings come after their step's line, as notes, not inside it
    assert "note: only 312 of 4691 'building=yes' footprints" in err
    assert "WARNING" not in err


def test_missing_file_exit_2_no_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    code, _, err = run(
        ["coverage", "--osm", str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2
    assert "nope.osm.pbf: file not found" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_failed_run_leaves_previous_outputs_intact(
    plan_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    before = {p.name: p.read_bytes() for p in plan_dir.iterdir()}
    stations = tmp_path / "stations.csv"
    stations.write_text("name,lat,lon\nA,abc,74.6\nB,,74.6\n")
    code, _, err = run(
        [
            "plan",
            "--osm",
            str(BISHKEK),
            "--stations",
            str(stations),
            "--n-sites",
            "2",
            "--out",
            str(plan_dir),
        ],
        capsys,
    )
    assert code == 2
    assert "row 2" in err and "row 3" in err  # both bad rows named, CSV rows as a spreadsheet shows
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in plan_dir.iterdir()} == before


def test_bad_bbox_is_an_argument_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        cli.main(["coverage", "--osm", str(BISHKEK), "--bbox", "1,2,3"])
    assert info.value.code == 2
    assert "west,south,east,north" in capsys.readouterr().err


def test_bbox_outside_the_data(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    code, _, err = run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--bbox",
            "76.85,43.20,76.98,43.30",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 2
    assert "no streets inside the requested bbox" in err


def test_fetch_failure_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    def offline(*args: object, **kwargs: object) -> None:
        raise FetchError("could not reach the Overpass API", "This needs the internet.")

    monkeypatch.setattr("planner.fetch.fetch_osm", offline)
    code, _, err = run(
        ["fetch", "--bbox", "74.6,42.8,74.7,42.9", "--out", str(tmp_path / "a.osm")], capsys
    )
    assert code == 3
    assert "needs the internet" in err


def test_help_shows_examples():
    for command in ("demo", "coverage", "plan", "evaluate", "fetch"):
        result = subprocess.run(
            [sys.executable, "-m", "planner.cli", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "examples:" in result.stdout


def test_evaluate_command(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    proposals = tmp_path / "akimat.csv"
    # illustrative proposals (made up for the test): one on Chui avenue near ГОМ №6, one far away
    proposals.write_text("name,lat,lon\nCentre,42.8745,74.6120\nMountains,42.60,74.60\n")
    code, out, err = run(
        [
            "evaluate",
            "--osm",
            str(BISHKEK),
            "--proposals",
            str(proposals),
            "--spacing-m",
            "300",
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 0, err
    # 27 km south of the extract: outside the study area (it used to be only "off the network")
    assert (
        "! Mountains: unusable: columns 'lat'/'lon': latitude 42.6, longitude 74.6 is outside "
        "the study area" in out
    )
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "o" / "plan.gpkg")}
    assert {"proposals", "best_sites_same_size"} <= layers
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["evaluation"]["proposals"] == 2
    # provenance: the proposals file with its checksum, and every option as given
    assert {
        "role": "proposals",
        "path": str(proposals),
        "sha256": hashlib.sha256(proposals.read_bytes()).hexdigest(),
        "illustrative": False,
    } in summary["data"]["inputs"]
    assert summary["command"]["options"]["spacing_m"] == 300.0
    assert summary["command"]["argv"][:2] == ["evaluate", "--osm"]


def test_prefer_shorter_walks_keeps_the_coverage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    base = ["plan", "--osm", str(BISHKEK), "--n-sites", "2", "--spacing-m", "300", "-q"]
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*base, "--prefer-shorter-walks", "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    a = json.loads((tmp_path / "a" / "summary.json").read_text())["plan"]
    b = json.loads((tmp_path / "b" / "summary.json").read_text())["plan"]
    assert b["residents_covered_after"] == pytest.approx(a["residents_covered_after"])
    # the flag reached the solver: a second, distance-minimising stage ran and its total walk
    # is reported (its value is checked against an independent recomputation in test_pipeline)
    assert "tie-break: optimal" in b["solver_status"]
    assert "tie-break" not in a["solver_status"] and "population_walk_m" not in a
    assert b["population_walk_m"] > 0
    memo = (tmp_path / "b" / "summary.md").read_text()
    assert f"({b['population_walk_m'] / 1000:,.0f} resident-km".replace(",", " ") in memo


def test_districts_file_gives_a_table_and_a_layer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    import geopandas as gpd
    import shapely

    # SYNTHETIC districts: central Bishkek cut in two at longitude 74.636, named in Russian
    west = shapely.box(74.60, 42.83, 74.636, 42.89)
    east = shapely.box(74.636, 42.83, 74.67, 42.89)
    path = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"название": ["Запад", "Восток"]}, geometry=[west, east], crs=4326).to_file(
        path
    )
    code, _, err = run(
        ["coverage", "--osm", str(BISHKEK), "--districts", str(path), "--out", str(tmp_path / "o")],
        capsys,
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    rows = {r["district"]: r for r in summary["coverage_by_district"]}
    assert set(rows) <= {"Запад", "Восток", "(outside)"}
    assert sum(r["residents_total"] for r in rows.values()) == pytest.approx(
        summary["coverage"]["residents_total"]
    )
    layer = pyogrio.read_dataframe(tmp_path / "o" / "plan.gpkg", layer="districts")
    assert sorted(layer["name"]) == ["Восток", "Запад"]
    assert "residents_beyond" in layer.columns


def test_missing_inputs_are_listed_together_before_reading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    code, _, err = run(
        [
            "coverage",
            "--osm",
            str(BISHKEK),
            "--stations",
            str(tmp_path / "s.csv"),
            "--districts",
            str(tmp_path / "d.gpkg"),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 2
    assert "stations file" in err and "districts file" in err
    assert "Traceback" not in err


def test_districts_without_names(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    import geopandas as gpd
    import shapely

    path = tmp_path / "districts.geojson"
    gpd.GeoDataFrame(
        {"code": [1]}, geometry=[shapely.box(74.6, 42.8, 74.7, 42.9)], crs=4326
    ).to_file(path)
    code, _, err = run(
        ["coverage", "--osm", str(BISHKEK), "--districts", str(path), "--out", str(tmp_path / "o")],
        capsys,
    )
    assert code == 2
    assert "no name column" in err and "['code']" in err


def test_demo_runs_end_to_end(tmp_path, capsys):
    """The README's first command: the whole job on the bundled Almaty data."""
    from planner.cli import main

    out = tmp_path / "demo"
    code = main(["demo", "--n-sites", "2", "--time-limit-s", "5", "--out", str(out), "-q"])
    printed, err = capsys.readouterr()
    assert code == 0
    assert "warning" not in err  # none about options the demo chose itself (--spacing-m 100)
    assert "with 2 new sites" in printed and "inspectors" in printed
    assert {p.name for p in out.iterdir()} == {
        "manifest.json",
        "plan.gpkg",
        "summary.json",
        "summary.md",
        "map.html",
    }
    # the bundled districts of 2024 by default, said to be of 2024 over a map of 2012
    summary = json.loads((out / "summary.json").read_text())
    rows = {r["district"]: r for r in summary["coverage_by_district"]}
    assert set(rows) - {"(outside)"} == {
        "Alatau",
        "Almaly",
        "Auezov",
        "Bostandyk",
        "Medeu",
        "Nauryzbay",
        "Turksib",
        "Zhetysu",
    }
    assert sum(r["residents_total"] for r in rows.values()) == pytest.approx(
        summary["coverage"]["residents_total"]
    )
    assert sum(r["residents_covered_after"] for r in rows.values()) == pytest.approx(
        summary["plan"]["residents_covered_after"]
    )
    assert "2024" in summary["districts"]["note"] and "2012" in summary["districts"]["note"]
    assert summary["districts"]["calibrated"] is False  # only with --district-population-column
    site_districts = [s["district"] for s in summary["plan"]["sites"]]
    assert len(site_districts) == 2 and set(site_districts) <= set(rows)
    assert "by district" in printed and "Nauryzbay" in printed
    assert "2012" in printed
    layer = pyogrio.read_dataframe(out / "plan.gpkg", layer="districts")
    assert len(layer) == 8 and "share_covered_after" in layer.columns
    sites = pyogrio.read_dataframe(out / "plan.gpkg", layer="proposed_sites")
    assert sites["district"].tolist() == site_districts
    memo = (out / "summary.md").read_text()
    assert "## Coverage by district" in memo and "| Nauryzbay |" in memo

    # the map with its Try sites panel stays small enough to mail and open (issue 12: < 8 MB)
    assert (out / "map.html").stat().st_size < 8_000_000
    payload = try_sites_payload(out / "map.html")
    assert payload is not None and len(payload["ids"]) > 3000


def test_district_calibration_by_hand_on_bishkek(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    import geopandas as gpd
    import shapely

    # SYNTHETIC districts over central Bishkek, with made-up official populations: the west
    # half 2 times what the buildings give (a plausible factor), the east 50 times (implausible)
    west = shapely.box(74.60, 42.83, 74.636, 42.89)
    east = shapely.box(74.636, 42.83, 74.67, 42.89)
    base = ["coverage", "--osm", str(BISHKEK), "-q"]
    plain = tmp_path / "plain"
    districts = gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=[west, east], crs=4326)
    districts.to_file(tmp_path / "d.geojson")
    code, _, err = run(
        [*base, "--districts", str(tmp_path / "d.geojson"), "--out", str(plain)], capsys
    )
    assert code == 0, err
    before = {
        r["district"]: r["residents_total"]
        for r in json.loads((plain / "summary.json").read_text())["coverage_by_district"]
    }
    districts["official"] = [round(2 * before["West"]), round(50 * before["East"])]
    districts.to_file(tmp_path / "d.geojson")
    out = tmp_path / "cal"
    code, printed, err = run(
        [
            *base,
            "--districts",
            str(tmp_path / "d.geojson"),
            "--district-population-column",
            "official",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    rows = {r["district"]: r for r in summary["coverage_by_district"]}
    assert rows["West"]["residents_total"] == pytest.approx(round(2 * before["West"]))
    assert rows["West"]["calibration_factor"] == pytest.approx(
        round(2 * before["West"]) / before["West"]
    )
    assert rows["East"]["residents_total"] == pytest.approx(round(50 * before["East"]))
    assert rows["East"]["calibration_factor"] == pytest.approx(
        round(50 * before["East"]) / before["East"]
    )
    # the share covered within a district does not change: every building scaled alike
    shares = json.loads((plain / "summary.json").read_text())["coverage_by_district"]
    for r in shares:
        if r["district"] in rows:
            assert rows[r["district"]]["share_covered"] == pytest.approx(r["share_covered"])
    # a factor of 2 is plausible, 50 is not: East's numbers are flagged everywhere
    assert rows["West"]["reliable"] is True and rows["East"]["reliable"] is False
    assert summary["districts"]["calibrated"] is True
    assert summary["districts"]["unreliable"] == ["East"]
    assert "numbers not reliable for East" in printed
    assert "NOT RELIABLE" in printed
    assert "**Not reliable: East**" in (out / "summary.md").read_text()


def test_district_population_problems_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    import geopandas as gpd
    import shapely

    path = tmp_path / "d.geojson"
    gpd.GeoDataFrame(
        {"name": ["A", "B"], "pop": ["12 000", "-3"]},
        geometry=[
            shapely.box(74.60, 42.83, 74.636, 42.89),
            shapely.box(74.636, 42.83, 74.67, 42.89),
        ],
        crs=4326,
    ).to_file(path)
    base = ["coverage", "--osm", str(BISHKEK), "--out", str(tmp_path / "o"), "-q"]
    code, _, err = run([*base, "--district-population-column", "pop"], capsys)
    assert code == 2 and "needs --districts FILE" in err and "Traceback" not in err
    code, _, err = run(
        [*base, "--districts", str(path), "--district-population-column", "pop"], capsys
    )
    assert code == 2 and "Traceback" not in err
    assert "row 1 (A), column 'pop': '12 000'" in err and "row 2 (B)" in err
    code, _, err = run(
        [
            *base,
            "--districts",
            str(path),
            "--district-population-column",
            "pop",
            "--total-population",
            "5000",
        ],
        capsys,
    )
    assert code == 2 and "give one" in err


def test_population_raster_keeps_everybody(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """A SYNTHETIC raster over central Bishkek: 7 x 5 cells of 0.006 degrees, 100 residents
    each (3 500 in all); the 3 western columns lie west of the extract (74.624 E), so their
    15 cells have no building and become demand points of their own."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import shapely
    from affine import Affine

    west, north, size = 74.606, 42.875, 0.006
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=7,
        height=5,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(size, 0, west, 0, -size, north),
    ) as dst:
        dst.write(np.full((1, 5, 7), 100.0, dtype="float32"))
    out = tmp_path / "o"
    code, printed, err = run(
        ["coverage", "--osm", str(BISHKEK), "--population-raster", str(path), "--out", str(out)],
        capsys,
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["coverage"]["residents_total"] == pytest.approx(3500.0)  # nobody dropped
    demand = summary["demand"]
    # independent count of the cells holding no residential building's representative point
    layer = pyogrio.read_dataframe(out / "plan.gpkg", layer="buildings")
    cells = layer[layer["demand_kind"] != "building"]
    buildings = layer[layer["demand_kind"] == "building"]
    grid = gpd.GeoDataFrame(
        geometry=[
            shapely.box(
                west + c * size, north - (r + 1) * size, west + (c + 1) * size, north - r * size
            )
            for r in range(5)
            for c in range(7)
        ],
        crs=4326,
    )
    hit = gpd.sjoin(
        grid, buildings.set_geometry(buildings.representative_point()), predicate="contains"
    )
    empty = len(grid) - hit.index.nunique()
    assert empty >= 15
    assert demand["raster_cells_without_buildings"] == len(cells) == empty
    assert demand["residents_in_raster_cells_without_buildings"] == pytest.approx(100.0 * empty)
    assert demand["buildings"] == len(buildings)
    assert buildings["building"].notna().all() and cells["building"].isna().all()
    assert f"{len(cells)} raster cells without mapped buildings" in printed
    assert (
        "population-raster cells with residents but no mapped residential building"
        in (out / "summary.md").read_text()
    )


def try_sites_payload(map_html: Path) -> dict | None:
    """The data of map.html's "Try sites" panel, or None without the panel."""
    import re

    found = re.search(r"plannerTrySites\(map_\w+, (\{.*?\})\);\n", map_html.read_text())
    return json.loads(found.group(1)) if found else None


def test_map_has_the_try_sites_panel(plan_dir: Path, tmp_path: Path):
    from itertools import chain

    from planner.try_sites import DEFAULT_MAX_CANDIDATES

    assert cli.DEFAULT_TRY_SITES == DEFAULT_MAX_CANDIDATES
    summary = json.loads((plan_dir / "summary.json").read_text())
    payload = try_sites_payload(plan_dir / "map.html")
    assert payload is not None and payload["context"] == "plan"
    sites = [s["candidate_id"] for s in summary["plan"]["sites"]]
    assert [payload["kinds"][payload["ids"].index(s)] for s in sites] == ["site", "site"]
    assert payload["defaultSize"] == 2
    assert sorted(payload["ids"][r] for r in payload["best"][2]) == sorted(sites)
    # --try-sites 5: five candidates besides those of the plan and of the best plans
    out = tmp_path / "five"
    args = ["plan", "--osm", str(BISHKEK), "--n-sites", "2", "--spacing-m", "200", "-q"]
    assert cli.main([*args, "--try-sites", "5", "--out", str(out)]) == 0
    five = try_sites_payload(out / "map.html")
    assert five is not None
    assert len(five["ids"]) == 5 + len(set(chain(*five["best"])))
    assert cli.main([*args, "--no-try-sites", "--out", str(tmp_path / "none")]) == 0
    assert try_sites_payload(tmp_path / "none" / "map.html") is None


def test_negative_try_sites_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    out = tmp_path / "o"
    args = ["plan", "--osm", str(BISHKEK), "--n-sites", "2", "--try-sites", "-1"]
    code, _, err = run([*args, "--out", str(out)], capsys)
    assert code == 2
    assert "--try-sites -1: give 0 or more clickable candidate sites" in err
    assert "--no-try-sites" in err and "Traceback" not in err
    assert not out.exists()


# --- the output folder: checked first, replaced whole; provenance ------------------------------

TINY_PLAN = ["plan", "--osm", str(TINY), "--n-sites", "1", "--walk-m", "30", "--spacing-m", "10"]


@pytest.mark.parametrize("case", ["a file", "below a file", "foreign files"])
def test_unusable_out_is_refused_before_reading(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    a_file = tmp_path / "report.docx"
    a_file.write_text("mine")
    out, expected = {
        "a file": (a_file, f"--out {a_file}: is a file, not a folder"),
        "below a file": (a_file / "out", f"{a_file} is a file, so no folder can be made below"),
        "foreign files": (tmp_path, f"{tmp_path} holds report.docx, which planner did not write"),
    }[case]
    code, _, err = run([*TINY_PLAN, "--out", str(out)], capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err and "reading tiny_walk.osm" not in err  # nothing computed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx"]


def test_empty_out_is_refused(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        cli.main([*TINY_PLAN, "--out", ""])
    assert info.value.code == 2
    assert "argument --out: an empty folder name" in capsys.readouterr().err


def test_help_documents_the_exit_codes():
    text = _cli_parser.build_parser().format_help()
    assert "5 the outputs could not be written (disk full" in " ".join(text.split())
    plan_help = subprocess.run(
        [sys.executable, "-m", "planner.cli", "plan", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "5 the outputs could not be written" in " ".join(plan_help.split())


def test_summary_records_the_study_area_and_every_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    candidates = tmp_path / "sites.csv"
    candidates.write_text("name,lat,lon\nCorner (illustrative),0.0009,0.0018\n")
    boundary = tmp_path / "area.geojson"
    boundary.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[-0.001, -0.002], [0.004, -0.002], '
        "[0.004, 0.004], [-0.001, 0.004], [-0.001, -0.002]]]}}]}"
    )
    code, _, err = run(
        [*TINY_PLAN, "--candidates", str(candidates), "--boundary", str(boundary),
         "--out", str(tmp_path / "a"), "-q"], capsys,
    )  # fmt: skip
    assert code == 0, err
    inputs = json.loads((tmp_path / "a" / "summary.json").read_text())["data"]["inputs"]
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (candidates, boundary)}
    assert {
        "role": "boundary",
        "path": str(boundary),
        "sha256": sha[boundary],
        "illustrative": False,
    } in inputs
    assert {
        "role": "candidates",
        "path": str(candidates),
        "sha256": sha[candidates],
        "illustrative": False,
    } in inputs
    code, _, err = run(
        [*TINY_PLAN, "--bbox=-0.001,-0.002,0.004,0.004", "--out", str(tmp_path / "b"), "-q"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert {"role": "bbox", "path": None, "value": [-0.001, -0.002, 0.004, 0.004]} in summary[
        "data"
    ]["inputs"]
    assert summary["command"]["options"]["bbox"] == [-0.001, -0.002, 0.004, 0.004]
    memo = (tmp_path / "b" / "summary.md").read_text()
    assert "- bbox: [-0.001, -0.002, 0.004, 0.004]" in memo
    assert memo.rstrip().endswith(
        f"Run id: `{summary['run_id']}` (the same in every file this run wrote)."
    )


def test_a_national_stations_list_is_counted_not_listed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """Stations beyond walking reach of the area: a note, a count in summary.json, a memo
    line; a file with nothing within reach: exit 2 with the reason, no traceback."""
    near = "B,0.0009,0.0036\n"  # 100 m beyond the tiny network's streets: kept
    far = "".join(f"far {i},{40 + i * 0.01:.2f},{60 + i * 0.01:.2f}\n" for i in range(3))
    stations = tmp_path / "national.csv"
    stations.write_text("name,lat,lon\n" + far + near, encoding="utf-8")
    base = ["coverage", "--osm", str(TINY), "--walk-m", "300"]
    code, out, err = run([*base, "--stations", str(stations), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    line = "3 stations of the file lie beyond walking reach of this area and were left out"
    assert f"note: {line}" in err
    assert line in out and "1 usable of 1" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["stations"]["beyond_reach"] == 3
    assert summary["stations"]["total"] == 1 and summary["stations"]["unusable"] == []
    assert f"{line}." in (tmp_path / "o" / "summary.md").read_text(encoding="utf-8")

    stations.write_text("name,lat,lon\n" + far, encoding="utf-8")
    code, out, err = run([*base, "--stations", str(stations), "--out", str(tmp_path / "p")], capsys)
    assert code == 2
    assert "all 3 rows lie beyond walking reach of this area" in err
    assert "Traceback" not in err
    assert not (tmp_path / "p").exists()


def test_illustrative_inputs_are_labelled_in_every_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    stations = tmp_path / "stations.csv"
    stations.write_text(
        "# SYNTHETIC stations for a demonstration\nname,lat,lon\nA,0.0009,0.0009\n",
        encoding="utf-8",
    )
    code, out, err = run(
        ["coverage", "--osm", str(TINY), "--walk-m", "300", "--stations", str(stations),
         "--out", str(tmp_path / "o")], capsys,
    )  # fmt: skip
    assert code == 0, err
    label = (
        "ILLUSTRATIVE DATA, NOT REAL: the stations file stations.csv says it is illustrative or "
        "synthetic (comment line: SYNTHETIC stations for a demonstration); every number built "
        "from it is illustrative too."
    )
    assert f"  ! {label}" in out.splitlines()
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    record = next(i for i in summary["data"]["inputs"] if i["role"] == "stations")
    assert record["illustrative"] is True
    assert record["illustrative_note"] == "comment line: SYNTHETIC stations for a demonstration"
    assert next(i for i in summary["data"]["inputs"] if i["role"] == "osm")["illustrative"] is False
    memo = (tmp_path / "o" / "summary.md").read_text().splitlines()
    assert memo[2] == f"> **{label}**"  # right below the title
    html = (tmp_path / "o" / "map.html").read_text()
    assert "planner-illustrative" in html and "SYNTHETIC stations for a demonstration" in html


# --- a signal after the outputs are in place ----------------------------------------------------


def test_ctrl_c_after_the_files_are_listed_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Ctrl+C while the summary is printed (just after "files:"): the set was swapped in, so
    the run succeeded: exit 0, a note, no traceback."""
    real = cli.print_summary

    def then_ctrl_c(*a, **k):
        real(*a, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "print_summary", then_ctrl_c)
    out = tmp_path / "out"
    code, printed, err = run([*TINY_PLAN, "--out", str(out), "-q"], capsys)
    assert code == 0, err
    assert "files:" in printed
    said = "interrupted after the run was complete; the outputs were already complete"
    assert f"{said}: {out} holds this run's files" in err
    assert len(set(read_run_ids(out).values())) == 1


def test_ctrl_c_while_the_sigterm_handler_is_put_back_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The reported traceback: KeyboardInterrupt raised at cli.py's
    ``signal.signal(signal.SIGTERM, previous)`` after a complete run."""
    import signal

    real = signal.signal
    original = signal.getsignal(signal.SIGTERM)
    put_back = []

    def signal_(signum, handler):
        previous = real(signum, handler)
        if signum == signal.SIGTERM and handler is original and not put_back:
            put_back.append(handler)  # main() putting back the handler it found: Ctrl+C now
            raise KeyboardInterrupt
        return previous

    monkeypatch.setattr(signal, "signal", signal_)
    out = tmp_path / "out"
    code, printed, err = run([*TINY_PLAN, "--out", str(out), "-q"], capsys)
    assert code == 0, err
    assert "files:" in printed and "Traceback" not in err
    assert "interrupted after the run was complete" in err
    assert put_back and signal.getsignal(signal.SIGTERM) is original  # put back all the same


def test_demo_prints_each_note_once_under_its_step(tmp_path):
    """The walk from each new site (after the optimisation step) snaps the buildings again: its
    warnings were printed raw between the steps, a second time. Each note once, indented."""
    import subprocess
    import sys

    out = tmp_path / "demo"
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "demo", "--n-sites", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PLANNER_LANG": "en"},
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert all(line.startswith("  ") for line in lines), lines
    notes = [line for line in lines if line.lstrip().startswith("note:")]
    assert notes and len(notes) == len(set(notes)), notes
