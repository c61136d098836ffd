"""The maps and the national run speak Russian and Kazakh (issue 21).

- A city map written in ru and kk, opened in headless Chromium offline (as in
  test_map_browser.py): the visible text of its legend, layer control, "Try sites" panel and a
  station's and a site's popup holds no English word of the catalog's texts of the map (names
  of the data, numbers and units aside).
- national.md in Russian has the same numbers as in English (read back: spaced thousands,
  decimal comma), and Russian plural forms (1 единица, 2 единицы, 5 единиц, 21 единица).
- Units keep their Russian and Kazakh names (``name:ru``/``name:kk`` of an OSM boundary, or
  columns of a units file) and the national map and national.md show them in that language.

Data is SYNTHETIC (test_maps.py's layers; the national summary below is made up), except the
OSM boundaries of Malta's local councils (data/malta_2018.osm.pbf, some tagged ``name:ru``).
Expected texts are written by hand.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from test_maps import synthetic_layers, synthetic_try_sites

from planner import i18n
from planner.errors import InputError
from planner.maps import coverage_map, national_map, save_map
from planner.maps._leaflet import _static_messages
from planner.national.report import national_markdown
from planner.national.units import read_units

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "data" / "malta_2018.osm.pbf"


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


# --------------------------------------------------------------------------- the words


def _catalog_words() -> set[str]:
    """English words (3 letters or more) of the texts the city map shows: the messages of
    planner/maps/city.py and _leaflet.py (as pybabel extracts them) and of try_sites.js."""
    from babel.messages.extract import extract_python

    texts: list[str] = []
    for name in ("city.py", "_leaflet.py"):
        source = (ROOT / "planner" / "maps" / name).read_bytes()
        for _line, _function, message, _comments in extract_python(
            io.BytesIO(source), ["gettext", "ngettext", "N_"], [], {}
        ):
            if isinstance(message, str):
                texts.append(message)
            elif message is not None:  # gettext(CONST): the constant's N_ is found instead
                texts += [m for m in message if isinstance(m, str)]
    for message in _static_messages("try_sites.js"):
        texts += [message] if isinstance(message, str) else list(message)
    words = set()
    for text in texts:
        words |= set(re.findall(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", " ", text)))
    # not English words a translation should replace: code, file formats, acronyms
    return words - {
        "OSM", "CRS", "GeoDataFrame", "TrySites", "crs", "set", "planner", "maps", "help",
        "streets", "stations", "coverage", "map", "rank", "proposed", "sites", "scenario",
        "layers", "relocation", "radius", "max", "building", "polygons", "candidate",
        "candidates", "plannerTrySites", "pipeline", "evaluate", "EvaluationResult", "save",
        "html", "leaflet", "Leaflet", "folium", "Icon", "Popup", "numeric", "pd", "to", "CSV",
    }  # fmt: skip


#: Names in the synthetic data (test_maps.py), shown as they are in every language.
DATA_NAMES = (
    "Almaty (synthetic)", "Station Medeu", "Old post", "building demolished",
    "Akimat site <A&B>", "Abay <avenue>", "Dostyk", "outside boundary", "near river",
)  # fmt: skip


def english_left(text: str, words: set[str]) -> list[str]:
    for name in DATA_NAMES:
        text = text.replace(name, " ")
    return sorted({w for w in re.findall(r"[A-Za-z]{3,}", text) if w in words})


def test_the_words_are_the_maps_english() -> None:
    words = _catalog_words()
    assert {"Residents", "Covered", "Walking", "Existing", "police", "Uncovered"} <= words
    assert {"Try", "plan", "Clear"} <= words  # the panel's
    assert english_left("Existing police stations (2, 1 unusable)", words) == [
        "Existing", "police", "unusable"
    ]  # fmt: skip


# --------------------------------------------------------------------------- the city map


def _city_layers() -> dict[str, Any]:
    layers = synthetic_layers()
    stations = layers["stations"]
    stations["status"] = ["repair", "open"]
    stations["inspectors_needed"] = [2.0, float("nan")]
    stations["inspectors_now"] = [1.0, float("nan")]
    stations["inspector_gap"] = [1.0, float("nan")]
    layers["summary"] = copy.deepcopy(layers["summary"])
    return layers


def unescaped(page: str) -> str:
    """A page with the ``\\uXXXX`` escapes of its scripts' strings read back."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def test_city_map_texts_in_russian_before_the_browser() -> None:
    with i18n.using_language("ru"):
        page = unescaped(coverage_map(**_city_layers()).get_root().render())
    assert '"Существующие участковые пункты полиции (2, 1 непригоден)"' in page
    assert '"Зона обслуживания: 10 мин пешком (800 м)"' in page
    assert "Охват полицией — Almaty (synthetic)" in page
    assert "1 234 (17,6 %)" in page  # the legend's numbers in Russian
    english = coverage_map(**_city_layers()).get_root().render()
    assert '"Existing police stations (2, 1 unusable)"' in english
    assert "1 234 (17.6%)" in english


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
    from test_map_browser import ARGS, CHROMIUM, sync_api

    if CHROMIUM is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set PLANNER_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline(browser: Any) -> Iterator[Any]:
    from test_map_browser import OfflinePage

    page = OfflinePage(browser)
    yield page
    page.context.close()


def _popup_text(page: Any) -> str:
    page.wait_for_function(
        "(() => { const p = document.querySelector('.leaflet-popup');"
        " return p !== null && getComputedStyle(p).opacity === '1'; })()"
    )
    return page.locator(".leaflet-popup-content").inner_text()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_city_map_has_no_english_ui_words(offline: Any, tmp_path: Path, lang: str) -> None:
    words = _catalog_words()
    with i18n.using_language(lang):
        m = coverage_map(**_city_layers(), try_sites=synthetic_try_sites())
    path = save_map(m, tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.plannerTrySites !== undefined")
    page.wait_for_selector(".planner-rank")

    texts = {
        "legend": "\n".join(page.locator(".planner-legend").all_inner_texts()),
        "layer control": page.locator(".leaflet-control-layers").inner_text(),
        "panel": page.locator(".planner-try").inner_text(),
    }
    # a station's popup (the one under repair, with the review's numbers)
    page.evaluate(
        f"""() => {m.get_name()}.eachLayer(function (l) {{
            if (l.feature && l.feature.properties.name === "Station Medeu") {{ l.openPopup(); }}
        }})"""
    )
    texts["station popup"] = _popup_text(page)
    page.evaluate(f"{m.get_name()}.closePopup()")
    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    texts["site popup"] = _popup_text(page)

    for where, text in texts.items():
        assert text.strip(), where
        assert english_left(text, words) == [], (lang, where, text)
    if lang == "ru":
        assert "Охват полицией — Almaty (synthetic)" in texts["legend"]
        assert "1 234 (17,6 %)" in texts["legend"]
        assert "Пункт требует ремонта (пока работает) (1)" in texts["legend"]
        assert "Существующие участковые пункты полиции (2, 1 непригоден)" in texts["layer control"]
        assert re.search(r"Нехватка инспекторов\s+не хватает: 1", texts["station popup"])
        assert "Предлагаемое место 1" in texts["site popup"]
        assert re.search(r"Доля жителей в охвате после этого\s+51,1 %", texts["site popup"])
    else:
        assert "Полиция қамтуы — Almaty (synthetic)" in texts["legend"]
        assert "Ұсынылған орын 1" in texts["site popup"]
    assert offline.errors == [] and offline.blocked == []


# --------------------------------------------------------------------------- national.md


def national_summary(**changes: Any) -> dict[str, Any]:
    """A made-up national summary (SYNTHETIC numbers) in the shape of national.json."""
    units = [
        {
            "name": "Tas-Sliema", "name_ru": "Слима", "status": "ok", "residents": 16854.0,
            "share_before": 0.873, "share_after": 0.9561, "new_stations": 3, "gap": 0.0012,
            "time_limit_hit": False,
        },
        {
            "name": "Il-Mellieħa", "name_ru": "Меллиха", "status": "ok", "residents": 10947.4,
            "share_before": 0.412, "share_after": 0.587, "new_stations": 2, "gap": 0.0,
            "time_limit_hit": True,
        },
        {
            "name": "Għajnsielem", "status": "no streets in the OSM file here", "residents": None,
            "share_before": None, "share_after": None, "new_stations": 0, "gap": None,
        },
    ]  # fmt: skip
    summary = {
        "created": "2024-05-01T10:00:00Z",
        "software": {"planner_version": "1"},
        "parameters": {
            "max_walk_m": 800.0, "max_walk_min": 10.0, "speed_kmh": 4.8,
            "walking_buffer_m": 1125.0,
        },
        "new_stations": 6, "new_stations_used": 5, "residents": 1234567.0,
        "covered_before": 1024567.0, "covered_after": 1139876.5, "share_before": 0.82991,
        "share_after": 0.92331, "upper_bound_covered": 1141234.0, "gap": 0.00119,
        "time_limit_hit": True,
        "allocation": {"unallocated": 1, "greedy_newly_covered": 113245.0,
                       "newly_covered": 115309.5},
        "inspectors": {"residents_per_inspector": 3000, "needed": 1412, "now": 1198,
                       "missing": 231},
        "target": {"target_share": 0.925, "reachable": False},
        "outside_units": {"buildings": 40, "residents": 1946.0, "share_of_all_residents": 0.00158},
        "units_ok": 2, "units_failed": 1, "units": units,
        "failed": [{"name": "Għajnsielem", "reason": "no streets in the OSM file here"}],
        "stations_not_assigned": [{"row": 12, "name": "Gozo", "reason": "outside every unit"}],
        "vehicles": {
            "vehicles": 4, "drive_min": 7.5, "placed": 3, "vehicle_gain": 12345.0,
            "upper_bound": 12400.0, "gap": 0.0044, "residents": 1234567.0,
            "share_served": 0.9334,
            "units": [{"name": "Tas-Sliema", "vehicles": 3, "vehicle_gain": 12345.0,
                       "stations": ["st-1", "st-4", "st-9"]}],
        },
        "notes": [],
        "inputs": [{"role": "osm", "path": "malta.osm.pbf", "sha256": "ab" * 32}],
        "run": {"workers": 4, "scheduler": "local",
                "seconds": {"reading_s": 1.5, "units_s": 20.25, "allocation_s": 0.01}},
    }  # fmt: skip
    summary.update(changes)
    return summary


def numbers(text: str, lang: str) -> list[float]:
    """The numbers of a memo as its language writes them: ``1 234 567``, ``18.9`` / ``18,9``."""
    mark = "." if lang == "en" else ","
    found = re.findall(rf"\d+(?: \d{{3}})*(?:{re.escape(mark)}\d+)?", text)
    return [float(n.replace(" ", "").replace(mark, ".")) for n in found]


def test_national_md_in_russian_has_the_numbers_of_the_english_one() -> None:
    english = national_markdown(national_summary())
    with i18n.using_language("ru"):
        russian = national_markdown(national_summary())
    assert "1 234 567" in english and "92.3 %" in english and "4.8 km/h" in english
    assert numbers(russian, "ru") == numbers(english, "en")
    assert len(numbers(english, "en")) > 60
    assert "# Национальный план: новые участковые пункты полиции в шаговой доступности" in russian
    assert (
        "- В шаговой доступности сейчас: 1 024 567 (83,0 %); после плана: "
        "**1 139 876 (92,3 %)**." in russian
    )  # fmt: skip
    assert "Предел пешей доступности 800 м (10 мин при 4,8 км/ч)." in russian
    assert "не более чем на **0,12 %**" in russian
    assert "| Слима | 3 | 16 854 | 87,3 % | 95,6 % | 0,12 % | готово |" in russian
    assert "| Tas-Sliema | 3 | 16 854 | 87.3 % | 95.6 % | 0.12 % | ok |" in english
    assert "Прервано: Меллиха." in russian and "Cut short: Il-Mellieħa." in english
    assert "| Слима | 3 | 12 345 | st-1, st-4, st-9 |" in russian  # the vehicles' table
    assert re.search(r"секунды: чтение 1,5, \w+ 20,25, распределение 0,01\.", russian)
    for line in russian.splitlines():  # every heading is in Russian
        if line.startswith("#"):
            assert not re.search(r"[A-Za-z]{3,}", line), line


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "- **1 единица с ошибкой** и не получила пунктов (причины ниже)."),
        (2, "- **2 единицы с ошибкой** и не получили пунктов (причины ниже)."),
        (5, "- **5 единиц с ошибкой** и не получили пунктов (причины ниже)."),
        (21, "- **21 единица с ошибкой** и не получила пунктов (причины ниже)."),
    ],
)
def test_russian_plural_of_failed_units(n: int, expected: str) -> None:
    with i18n.using_language("ru"):
        memo = national_markdown(national_summary(units_failed=n))
    assert expected in memo.splitlines()
    english = national_markdown(national_summary(units_failed=n))
    assert f"- **{n} unit(s) failed** and received no stations (reasons below)." in english


# --------------------------------------------------------------------------- place names


def _units_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Tas-Sliema", "Il-Mellieħa"],
            "name_ru": ["Слима", None],
            "name_kk": ["Слиема", None],
            "status": ["ok", "failed to read"],
            "residents": [16854.0, None],
            "covered_after": [16114.0, None],
            "new_stations": [3, 0],
        },
        geometry=[box(14.49, 35.90, 14.51, 35.92), box(14.33, 35.95, 14.37, 35.99)],
        crs=4326,
    )


def test_the_national_map_names_units_in_the_language() -> None:
    with i18n.using_language("ru"):
        page = unescaped(national_map(_units_frame()).get_root().render())
    assert '"name":"Слима"' in page
    assert '"name":"Il-Mellie' in page  # no Russian name: the name as given
    assert "открыть карту единицы" in page
    assert '"status":"ошибка: failed to read"' in page
    assert "Единицы, окрашены по охвату с планом (2, 1 с ошибкой)" in page
    with i18n.using_language("kk"):
        kk = unescaped(national_map(_units_frame()).get_root().render())
    assert '"name":"Слиема"' in kk
    english = national_map(_units_frame()).get_root().render()
    assert '"name":"Tas-Sliema"' in english and "open the unit&#39;s map" in english


def test_a_units_file_keeps_its_russian_and_kazakh_names(tmp_path: Path) -> None:
    """A SYNTHETIC units file with name:ru / name_kk columns."""
    frame = _units_frame()[["name", "name_ru", "name_kk", "geometry"]].rename(
        columns={"name_ru": "name:ru"}
    )
    path = tmp_path / "units_synthetic.geojson"
    frame.to_file(path, driver="GeoJSON")
    units = read_units(path)
    assert list(units["name"]) == ["Tas-Sliema", "Il-Mellieħa"]
    assert units["name_ru"][0] == "Слима" and pd.isna(units["name_ru"][1])
    assert units["name_kk"][0] == "Слиема" and pd.isna(units["name_kk"][1])

    from planner.national.units import prepare_units
    from planner.settings import WalkSettings

    specs, _ = prepare_units(units, settings=WalkSettings())
    assert (specs[0].name_ru, specs[0].name_kk, specs[1].name_ru) == ("Слима", "Слиема", None)
    assert specs[0].display_name("ru") == "Слима" and specs[1].display_name("ru") == "Il-Mellieħa"
    assert specs[0].display_name("en") == "Tas-Sliema"


@pytest.mark.skipif(not MALTA.is_file(), reason="bundled Malta extract not present")
def test_maltas_councils_keep_their_russian_names() -> None:
    from planner.national.units import units_from_osm
    from planner.osm import scan_osm

    units = units_from_osm(scan_osm(MALTA), admin_level=8)
    names = dict(zip(units["name"], units["name_ru"], strict=True))
    assert names["Tas-Sliema"] == "Слима"
    assert names["Il-Mellieħa"] == "Меллиха"
    assert sum(isinstance(v, str) for v in names.values()) == 7  # as tagged in the 2018 extract
    assert "name_kk" not in units.columns  # no council has a Kazakh name there


def test_unit_problems_read_in_russian(tmp_path: Path) -> None:
    frame = _units_frame()[["name", "geometry"]].assign(min_new=["2", "-1"], max_new=[1, None])
    path = tmp_path / "units_synthetic.geojson"
    frame.to_file(path, driver="GeoJSON")
    with i18n.using_language("ru"), pytest.raises(InputError) as err:
        read_units(path)
    text = str(err.value)
    assert f"{path}: файл единиц нельзя использовать" in text
    assert "строка 2: min_new '-1' должно быть целым числом >= 0" in text
    assert "строка 1: max_new 1 меньше min_new 2" in text
    with pytest.raises(InputError) as err:
        read_units(path)
    assert "row 2: min_new '-1' must be a whole number >= 0" in str(err.value)
