"""The map's script speaks the run's language from the catalogs (issue 21).

- :func:`planner.i18n.js_script` embeds, per map, the translations of the texts the page's
  script (``planner/static/try_sites.js``) passes to ``gettext``/``ngettext``, the catalog's
  plural rule and the language's number formats; the page's ``plannerI18n`` uses them.
- The plural rule of the Russian catalog, run by a real headless Chromium (offline, as in
  test_map_browser.py), picks 1 место / 2 места / 5 мест; Kazakh has two forms.
- A map written in Russian answers in Russian in its "Try sites" panel, with Russian numbers
  (``26,7 %``); the English map is unchanged (test_map_browser.py).
- The messages of _leaflet, try_sites and output_set read in Russian with their values.

Expected texts are written by hand. Data is SYNTHETIC (see test_maps.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_maps import synthetic_layers, synthetic_try_sites

from planner import i18n
from planner.errors import InputError
from planner.maps import coverage_map, save_map
from planner.maps._leaflet import _static_messages, _static_text

ROOT = Path(__file__).resolve().parents[1]
PLURALS = ("{n} site", "{n} sites")  # not a message: the table falls back to English for it


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def embedded_catalog(page: str) -> dict[str, Any]:
    """The table ``plannerI18n.catalog`` of a page (the last one if it has several)."""
    found = re.findall(r"I\.catalog = Object\.assign\(I\.catalog \|\| \{\}, (\{.*?\})\);\n", page)
    assert found, "no embedded catalog"
    return json.loads(found[-1])


# --------------------------------------------------------------------------- the table


def test_every_gettext_call_of_the_script_is_found() -> None:
    """Babel's JavaScript extractor stops silently where its lexer loses track (a regex
    literal after ``return``): every call of the script must be among its messages."""
    source = _static_text("try_sites.js")
    calls = re.findall(r"\b(n?gettext)\(", source)
    messages = _static_messages("try_sites.js")
    assert len(messages) == len(calls) == 37
    assert sum(isinstance(m, tuple) for m in messages) == calls.count("ngettext") == 6


def test_the_scripts_messages_are_in_the_template_and_translated() -> None:
    from babel.messages.pofile import read_po

    with (ROOT / "planner" / "locale" / "planner.pot").open("rb") as fh:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    messages = _static_messages("try_sites.js")
    keys = {m if isinstance(m, str) else m[0] for m in messages}
    assert keys <= template, "run python /work/i18n/catalogs.py"
    for lang, forms in (("ru", 3), ("kk", 2)):
        with i18n.using_language(lang):
            table = i18n.js_catalog(messages)
        assert set(table) == keys
        for message in messages:
            if isinstance(message, tuple):
                assert len(table[message[0]]) == forms and all(table[message[0]])
            else:
                assert table[message] != message, (lang, message)


def test_russian_table_plural_rule_and_numbers() -> None:
    with i18n.using_language("ru"):
        table = i18n.js_catalog(["Try sites", ("Best plan of {n} site", "Best plan of {n} sites"),
                                 PLURALS])  # fmt: skip
        script = i18n.js_script(["Try sites"])
    assert table == {
        "Try sites": "Подбор мест",
        "Best plan of {n} site": [
            "Лучший план из {n} места", "Лучший план из {n} мест", "Лучший план из {n} мест"
        ],
    }  # fmt: skip
    assert "n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4" in script
    assert 'I.lang = "ru";' in script
    assert '"decimal":","' in script and '"percent":" %"' in script
    assert i18n.js_plural() == "(n != 1)"  # English, back outside the block
    with i18n.using_language("kk"):
        assert i18n.js_plural() == "(n != 1)"
        assert i18n.js_catalog(["Try sites"]) == {"Try sites": "Орындарды іріктеу"}


def test_english_table_is_the_english_text() -> None:
    messages = _static_messages("try_sites.js")
    table = i18n.js_catalog(messages)
    assert table["Try sites"] == "Try sites"
    assert table["Best plan of {n} site"] == ["Best plan of {n} site", "Best plan of {n} sites"]
    assert i18n.js_numbers() == {"group": " ", "decimal": ".", "percent": "%",
                                 "groupShares": False}  # fmt: skip


def test_a_plural_rule_that_is_not_an_expression_is_not_embedded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        plural_expr = "alert(1)"

    monkeypatch.setattr(i18n, "_po", lambda lang: Broken())
    with i18n.using_language("ru"):
        assert i18n.js_plural() == "(n != 1)"


def test_the_russian_map_embeds_the_russian_table() -> None:
    with i18n.using_language("ru"):
        m = coverage_map(**synthetic_layers(), try_sites=synthetic_try_sites())
    page = m.get_root().render()  # rendered in English: the table was fixed when it was built
    table = embedded_catalog(page)
    assert table["Try sites"] == "Подбор мест"
    assert table["Covered with my plan"] == "Охват с моим планом"
    assert table["Only {n} sites add anybody; more would not help."] == [
        "Новых жителей добавляет только {n} место; больше мест не помогут.",
        "Новых жителей добавляют только {n} места; больше мест не помогут.",
        "Новых жителей добавляют только {n} мест; больше мест не помогут.",
    ]
    assert "var plannerI18n" in page and "function plannerTrySites(map, data)" in page
    english = coverage_map(**synthetic_layers(), try_sites=synthetic_try_sites())
    assert embedded_catalog(english.get_root().render())["Try sites"] == "Try sites"


# --------------------------------------------------------------------------- Python messages


def test_map_input_problems_read_in_russian() -> None:
    layers = synthetic_layers()
    areas = layers["service_areas"].assign(limit_m="800")
    with i18n.using_language("ru"), pytest.raises(InputError) as err:
        coverage_map(
            buildings=layers["buildings"].drop(columns="population"),
            proposed_sites=layers["proposed_sites"].set_crs(None, allow_override=True),
            service_areas=areas,
        )
    message = str(err.value)
    assert "в buildings нет столбца 'population' (есть: " in message
    assert (
        "у proposed_sites нет системы координат (CRS); задайте её: proposed_sites.set_crs(...)"
        in message
    )
    assert (
        f"service_areas['limit_m'] содержит значения типа {areas['limit_m'].dtype}, например "
        "'800', а не числа; "
        "преобразуйте его: pd.to_numeric(service_areas['limit_m'])"
    ) in message


def test_try_sites_ids_read_in_russian() -> None:
    ts = synthetic_try_sites()
    with i18n.using_language("ru"), pytest.raises(InputError) as err:
        ts.rows(["c0", "x1", "x2"])
    assert str(err.value).startswith(
        "TrySites: 2 идентификатора не являются местами, которые можно выбрать на этой карте"
    )
    assert "'x1'" in str(err.value)


def test_output_folder_refusals_read_in_russian(tmp_path: Path) -> None:
    from planner.output_set import check_out_dir, verify_file

    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    with i18n.using_language("ru"), pytest.raises(InputError) as err:
        check_out_dir(afile)
    assert str(err.value).startswith(f"--out {afile}: это файл, а не папка")
    assert "Укажите имя папки (planner записывает в неё несколько файлов)." in str(err.value)

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.docx").write_text("mine")
    with i18n.using_language("ru"), pytest.raises(InputError) as err:
        check_out_dir(folder)
    text = str(err.value)
    assert text.startswith(f"--out {folder}: туда нельзя записать результаты")
    assert f"в {folder} есть notes.docx, который planner не записывал" in text
    assert "Перенесите эти файлы в другое место или выберите другой --out." in text

    page = tmp_path / "map.html"
    page.write_text("<html><body>", encoding="utf-8")
    with i18n.using_language("ru"):
        assert verify_file(page) == ["map.html: не заканчивается на </html> (обрезан)"]
    assert verify_file(page) == ["map.html: does not end with </html> (cut short)"]


# --------------------------------------------------------------------------- in a browser


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


@pytest.mark.browser
def test_plural_rule_and_numbers_run_in_the_browser(offline: Any, tmp_path: Path) -> None:
    messages = _static_messages("try_sites.js")
    scripts = {}
    for lang in ("en", "ru", "kk"):
        with i18n.using_language(lang):
            scripts[lang] = i18n.js_script(messages)
    counts = [1, 2, 5, 11, 21, 22, 25]
    best = ("Best plan of {n} site", "Best plan of {n} sites")
    found = {}
    for lang, script in scripts.items():
        path = tmp_path / f"{lang}.html"
        path.write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><script>{script}</script>'
            "</head><body></body></html>",
            encoding="utf-8",
        )
        offline.page.goto(path.resolve().as_uri())
        found[lang] = offline.page.evaluate(
            """([counts, best]) => ({
                plural: counts.map(plannerI18n.plural),
                best: counts.map(n => plannerI18n.format(
                    plannerI18n.ngettext(best[0], best[1], n), {n: n})),
                title: plannerI18n.gettext("Try sites"),
                missing: plannerI18n.ngettext("{n} site", "{n} sites", 2),
                numbers: [plannerI18n.fmtInt(1234567.4), plannerI18n.fmtShare(0.18912),
                          plannerI18n.fmtShare(1), plannerI18n.fmtDecimal(1234.25, 1)]
            })""",
            [counts, list(best)],
        )
    ru = found["ru"]
    assert ru["plural"] == [0, 1, 2, 2, 0, 1, 2]
    assert ru["best"] == [
        "Лучший план из 1 места",
        "Лучший план из 2 мест",
        "Лучший план из 5 мест",
        "Лучший план из 11 мест",
        "Лучший план из 21 места",
        "Лучший план из 22 мест",
        "Лучший план из 25 мест",
    ]
    assert ru["title"] == "Подбор мест"
    assert ru["missing"] == "{n} sites"  # not in the table: English
    assert ru["numbers"] == ["1 234 567", "18,9 %", "100,0 %", "1 234,3"]
    assert found["kk"]["plural"] == [0, 1, 1, 1, 1, 1, 1]
    assert found["kk"]["title"] == "Орындарды іріктеу"
    en = found["en"]
    assert en["plural"] == [0, 1, 1, 1, 1, 1, 1]
    assert en["best"][:2] == ["Best plan of 1 site", "Best plan of 2 sites"]
    assert en["numbers"] == ["1 234 567", "18.9%", "100.0%", "1 234.3"]
    assert offline.errors == [] and offline.blocked == []


#: Words of the panel's English texts; none may be left in the Russian panel.
ENGLISH_WORDS = re.compile(
    r"\b(Try|sites?|Sites?|plan|Residents?|residents|newly|Covered|covered|Clear|Save|alone|"
    r"marginal|Best|proven|Added|Removed|clickable|click|Nothing|within|Remove|Add)\b"
)


@pytest.mark.browser
def test_the_try_sites_panel_answers_in_russian(offline: Any, tmp_path: Path) -> None:
    from test_map_browser import centre_on, panel

    ts = synthetic_try_sites()
    with i18n.using_language("ru"):
        m = coverage_map(**synthetic_layers(), try_sites=ts)
    path = save_map(m, tmp_path / "map.html")
    page = offline.page
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.plannerTrySites !== undefined")

    assert panel(page, "title") == "Подбор мест"
    assert page.locator('.planner-try [data-try="title"]').get_attribute("title") == (
        "нажмите, чтобы свернуть или развернуть"
    )
    assert panel(page, "before") == "40 (26,7 %)"  # 40 of 150
    assert panel(page, "best") == "Лучший план из 2 мест"
    body = page.locator(".planner-try").inner_text()
    assert "возможные места на карте (3)" in body
    assert "Нажмите на место или на улицу (ближайшее место в пределах 100 м)" in body
    assert "Новые жители в пределах 800 м" in body
    assert "Охвачено сейчас" in body and "Охват с моим планом" in body

    # a click on site c0: 30 residents newly covered, 70 of 150
    page.mouse.click(*centre_on(page, ts.lat[0], ts.lon[0]))
    assert page.evaluate("plannerTrySites.selection()") == ["c0"]
    assert panel(page, "after") == "70 (46,7 %)"
    assert panel(page, "best") == "Лучший план из 1 места"
    # a click on the street ~17 m east of c1 picks it
    x, y = centre_on(page, ts.lat[1], ts.lon[1])
    page.mouse.click(x + 40, y)
    assert re.fullmatch(r"Добавлено: c1 \(1[78] м от места нажатия\)\.", panel(page, "msg"))
    assert panel(page, "after") == "100 (66,7 %)"
    page.mouse.click(x + 300, y)  # no site within 100 m
    assert panel(page, "msg").startswith(
        "В пределах 100 м от этой точки нет места, которое можно выбрать (ближайшее — в 13"
    )
    assert panel(page, "msg").endswith(
        "Места расположены вдоль улиц рядом с жителями без участкового пункта полиции."
    )
    headers = page.locator(".planner-try-sites th").all_inner_texts()
    assert headers[:3] == ["Место", "само", "только оно"]
    # the plan's site 1 hides c1: its popup has the button, in Russian
    page.evaluate("plannerTrySites.map.closePopup()")
    page.locator(".planner-rank", has_text=re.compile(r"^1$")).click()
    assert page.locator('.leaflet-popup [data-try="popup"]').inner_text() == (
        "Убрать из моего плана (Подбор мест)"
    )
    page.evaluate("plannerTrySites.map.closePopup()")

    page.locator('.planner-try [data-try="clear"]').click()
    page.locator('.planner-try [data-try="save"]').click()
    assert panel(page, "msg") == "Нечего сохранять: сначала добавьте места в мой план."
    page.locator('.planner-try [data-try="best"]').click()  # c1 + c2: 100, proven
    assert panel(page, "after") == "140 (93,3 %)"
    assert panel(page, "msg") == (
        "Лучший план из 2 мест: новых жителей в охвате — 100; доказано, что больше не охватят "
        "никакие 2 места."
    )
    # the site's tooltip
    tooltip = page.evaluate(
        """() => {
            var layer = null;
            plannerTrySites.map.eachLayer(function (l) {
                if (l._plannerRow === 0) { layer = l; }
            });
            return layer.getTooltip()._content(layer);
        }"""
    )
    assert "место из плана" in tooltip and "Новые жители в охвате (только это место)" in tooltip
    assert "нажмите, чтобы добавить в мой план" in tooltip

    text = page.locator(".planner-try").inner_text()
    text = text.replace("Abay <avenue>", "").replace("Dostyk", "")  # names of the data
    assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.search(text)
    assert not ENGLISH_WORDS.search(re.sub(r"<[^>]+>", " ", tooltip))
    assert offline.errors == [] and offline.blocked == []
