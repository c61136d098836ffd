"""Languages: catalogs complete, glossary kept, Russian plurals and number formats by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import _terms, i18n
from planner.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_message_has_a_translation(lang: str) -> None:
    assert i18n.missing_translations(lang) == []


def test_the_template_holds_every_marked_message() -> None:
    """planner.pot is up to date with the code (re-extracted here and compared)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    found = {
        (m[2] if isinstance(m[2], str) else m[2][0])
        for m in extract_from_dir(
            str(ROOT / "planner"),
            method_map=[("**.py", "python"), ("static/**.js", "javascript")],
            keywords={"N_": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    with (ROOT / "planner" / "locale" / "planner.pot").open("rb") as fh:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert found - template == set(), "run pybabel extract (docs/glossary.md says how)"


def glossary() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] and not set(cells[0]) <= {"-"} and cells[1] != "Русский":
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_the_catalogs_use_the_glossary() -> None:
    table = glossary()
    assert set(table) == set(_terms.GLOSSARY)  # every term of the code is in the glossary
    for english, (russian, kazakh) in table.items():
        i18n.set_language("ru")
        assert _terms.term(english) == russian
        i18n.set_language("kk")
        assert _terms.term(english) == kazakh
        i18n.set_language("en")
        assert _terms.term(english) == english


@pytest.mark.parametrize(
    ("n", "residents", "stations"),
    [
        (1, "1 житель", "1 станция"),
        (2, "2 жителя", "2 станции"),
        (5, "5 жителей", "5 станций"),
        (11, "11 жителей", "11 станций"),
        (21, "21 житель", "21 станция"),
        (22, "22 жителя", "22 станции"),
        (25, "25 жителей", "25 станций"),
        (112, "112 жителей", "112 станций"),
        (1_124_910, "1 124 910 жителей", "1 124 910 станций"),
    ],
)
def test_russian_plurals_by_hand(n: int, residents: str, stations: str) -> None:
    i18n.set_language("ru")
    assert _terms.residents(n) == residents
    assert _terms.stations(n) == stations


def test_kazakh_and_english_plurals() -> None:
    i18n.set_language("kk")
    assert [_terms.residents(n) for n in (1, 2, 5)] == ["1 тұрғын", "2 тұрғын", "5 тұрғын"]
    i18n.set_language("en")
    assert [_terms.residents(n) for n in (1, 2, 1.4)] == ["1 resident", "2 residents", "1 resident"]
    assert _terms.inspectors(1_076) == "1 076 inspectors"


def test_numbers_by_hand() -> None:
    i18n.set_language("ru")
    assert i18n.fmt_int(1_124_910) == "1 124 910"
    assert i18n.fmt_int(1_124_909.6) == "1 124 910"
    assert i18n.fmt_share(0.189) == "18,9 %"
    assert i18n.fmt_share(0.18949) == "18,9 %"
    assert i18n.fmt_decimal(1234.56, digits=2) == "1 234,56"
    assert i18n.fmt_int(float("nan")) == "не указано"
    i18n.set_language("kk")
    assert (i18n.fmt_int(1_124_910), i18n.fmt_share(0.189)) == ("1 124 910", "18,9 %")
    i18n.set_language("en")  # the English formats the planner has always printed
    assert (i18n.fmt_int(1_124_910), i18n.fmt_share(0.189)) == ("1 124 910", "18.9%")
    assert i18n.fmt_decimal(1234.56, digits=2) == "1 234.56"


def test_no_break_spaces_are_plain_spaces() -> None:
    """CLDR separates thousands with U+00A0; a copied number must read back in a spreadsheet."""
    i18n.set_language("ru")
    assert not re.search("[\u00a0\u202f]", i18n.fmt_int(10**9) + i18n.fmt_share(12.3456))


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "ru_RU.UTF-8"}, "ru"),
        (None, {"LANG": "kk_KZ.UTF-8"}, "kk"),
        (None, {"LANG": "de_DE.UTF-8"}, "en"),
        (None, {"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "en"),  # LC_ALL decides first
        (None, {"PLANNER_LANG": "kk", "LANG": "ru_RU.UTF-8"}, "kk"),
        ("ru", {"PLANNER_LANG": "kk"}, "ru"),
        ("RU", {}, "ru"),
        ("kk-KZ", {}, "kk"),
    ],
)
def test_which_language(flag: str | None, env: dict[str, str], expected: str) -> None:
    assert i18n.resolve_language(flag, environ=env) == expected


def test_an_unknown_language_names_the_flag_or_variable() -> None:
    with pytest.raises(InputError, match=r"^--lang de: the planner speaks en, ru, kk"):
        i18n.resolve_language("de", environ={})
    with pytest.raises(InputError, match=r"^PLANNER_LANG fr: the planner speaks en, ru, kk"):
        i18n.resolve_language(None, environ={"PLANNER_LANG": "fr"})


def test_js_catalog_and_temporary_language() -> None:
    with i18n.using_language("ru"):
        assert i18n.js_catalog(["residents", "no such message"]) == {
            "residents": "жители", "no such message": "no such message"
        }  # fmt: skip
    assert i18n.language() == "en"


def test_residents_in_no_district_are_named_in_the_language() -> None:
    """The key "(outside)" stays in summary.json; the memo, CLI and map show it translated."""
    from planner._format import district_text
    from planner.districts import OUTSIDE

    assert district_text(OUTSIDE) == "(outside)" and district_text("Almaly") == "Almaly"
    with i18n.using_language("ru"):
        assert district_text(OUTSIDE) == "(вне районов)"
        assert district_text("Алмалинский") == "Алмалинский"
    with i18n.using_language("kk"):
        assert district_text(OUTSIDE) == "(аудандардан тыс)"
