"""The memo (summary.md) of a real run in Russian and Kazakh (issue 21).

The Bishkek extract is planned (3 sites) and its stations reviewed; the memo of that summary is
written in English, Russian and Kazakh, and

- the numbers read back from the Russian and Kazakh memos (a space between thousands, a decimal
  comma) are the English memo's, in the same order;
- no English sentence of the English memo is left in the translations (its words, but for the
  names the data brings: streets, stations, solver statuses, files);
- a count line takes the Russian plural forms (1, 2, 5, 11, 21, 22, 25), written out here.
"""

from __future__ import annotations

import logging
import re

import pytest

from planner import i18n
from planner.outputs import optimisation_lines, redistribution_headline, summary_markdown
from planner.pipeline import assess_coverage, load_city, plan_sites
from planner.report import review_dict, summary_dict
from planner.station_review import review_stations
from tests.conftest import BISHKEK

#: A number as the memo writes it: English ``1 234.5``, Russian and Kazakh ``1 234,5``.
NUMBER = {
    "en": re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})*(?:\.\d+)?(?![\d])"),
    "ru": re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})*(?:,\d+)?(?![\d])"),
}
NUMBER["kk"] = NUMBER["ru"]
#: The memo's record (parameters, data, software) echoes values as the run stored them.
RECORD = {"en": "## Parameters", "ru": "## Параметры", "kk": "## Параметрлер"}


@pytest.fixture(scope="module")
def memos() -> dict[str, str]:
    logging.disable(logging.WARNING)
    try:
        city = load_city(BISHKEK)
        coverage = assess_coverage(city)
        plan = plan_sites(city, coverage, n_sites=3, spacing_m=100)
        review = review_stations(city, coverage)
    finally:
        logging.disable(logging.NOTSET)
    summary = summary_dict(city, coverage, plan=plan)
    summary["stations_review"] = review_dict(review)
    out = {}
    for lang in i18n.LANGUAGES:
        with i18n.using_language(lang):
            out[lang] = summary_markdown(summary)
    assert i18n.language() == "en"
    return out


#: Written as recorded, in every language: the run's time and the planner's version.
STAMPS = re.compile(r"\d{4}-\d\d-\d\dT[\d:]+Z|\d+\.\d+\.\d+")


def numbers(text: str, lang: str) -> list[float]:
    body = STAMPS.sub("", text.split(RECORD[lang])[0])
    found = []
    for match in NUMBER[lang].findall(body):
        found.append(float(match.replace(" ", "").replace(",", ".")))
    return found


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_translated_memo_has_the_english_numbers_in_order(
    memos: dict[str, str], lang: str
) -> None:
    english = numbers(memos["en"], "en")
    assert len(english) > 40  # the memo of a real run: coverage, plan, sites, review
    assert numbers(memos[lang], lang) == english
    # and the formats are the language's: a decimal comma and a space before the percent sign
    assert re.search(r"\d,\d %", memos[lang])
    assert not re.search(r"\d\.\d%", memos[lang].split(RECORD[lang])[0])


def english_words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


def data_words(memo: str) -> set[str]:
    """Words the data brings in every language: the cells of names, ids and reasons, the
    solver's status, the record of the run (files, parameters, software)."""
    body, _, record = memo.partition(RECORD["en"])
    words = english_words(record)
    for line in body.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            # the station/site columns of the tables (rank, name, id, reason): data
            words |= english_words(" ".join(cells[1:2] + cells[2:4] if len(cells) > 3 else []))
    for status in re.findall(r"\(([^()]*\([^()]*\)[^()]*|[^()]*)\)", body):
        if "bound" in status or "optimal" in status:
            words |= english_words(status)
    return words


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_translated_memo_leaves_no_english_sentence(memos: dict[str, str], lang: str) -> None:
    english = memos["en"].split(RECORD["en"])[0]
    translated = memos[lang].split(RECORD[lang])[0]
    # no line of the English memo's prose is left as it was
    prose = [line for line in english.splitlines() if len(line.split()) > 3 and "|" not in line]
    assert prose
    assert not [line for line in prose if line in translated]
    # no English word but for those the data brings (street and station names, ids, reasons of
    # another module, the solver's status) and the flags and file names
    allowed = data_words(memos["en"]) | {"osm", "node", "way", "precinct", "planner", "bishkek"}
    allowed |= {"center", "lagrangian", "bound", "optimal", "unnamed", "footway"}
    allowed |= english_words(" ".join(re.findall(r"--[a-z-]+", translated)))  # the flags
    leftover = english_words(translated) - allowed
    assert not leftover, sorted(leftover)
    # the headings are all translated
    headings = [line for line in translated.splitlines() if line.startswith("#")]
    assert headings and not any(line in english for line in headings)


def test_the_russian_memo_reads_as_written() -> None:
    """A few lines of a real memo, by hand: the headline table and a district's words."""
    summary = {
        "city": "Алматы",
        "coverage": {"residents_total": 1124910, "residents_covered": 212345.0},
        "parameters": {"max_walk_m": 800.0, "max_walk_min": 10.0},
        "plan": {"n_sites": 21, "residents_covered_after": 450123, "share_covered_after": 0.40},
    }
    with i18n.using_language("ru"):
        text = summary_markdown(summary)
    assert "# План охвата участковыми пунктами полиции — Алматы" in text
    assert "| Жители в зоне анализа | 1 124 910 | 100,0 % |" in text
    assert "| В пределах 800 м (10 мин) от действующего пункта | 212 345 | 18,9 % |" in text
    assert "| В пределах 800 м (10 мин) после 21 предложенного пункта | 450 123 | 40,0 % |" in text
    with i18n.using_language("kk"):
        text = summary_markdown(summary)
    assert "| Талдау аймағындағы тұрғындар | 1 124 910 | 100,0 % |" in text
    assert i18n.language() == "en"


def block(moves: int) -> dict[str, object]:
    return {"covered": 12, "shortfall": 1500, "to_hire": 1488, "moves": moves,
            "total_distance_m": 23456.0}  # fmt: skip


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "1 перемещение"),
        (2, "2 перемещения"),
        (5, "5 перемещений"),
        (11, "11 перемещений"),
        (21, "21 перемещение"),
        (22, "22 перемещения"),
        (25, "25 перемещений"),
    ],
)
def test_russian_plural_forms_of_a_count(n: int, words: str) -> None:
    with i18n.using_language("ru"):
        line = redistribution_headline(block(n))
        stations = optimisation_lines({"gap": 0.0, "solver_status": "optimal", "n_sites": n})
    assert line == (
        f"перераспределение закрывает 12 из нехватки в 1 500; нанять нужно 1 488 ({words}, "
        "всего 23,5 км, с учётом каждого инспектора)"
    )
    instrumental = {1: "новым пунктом", 21: "новым пунктом"}.get(n, "новыми пунктами")
    assert (
        f"Охват: доказано, что это лучший из всех планов с {n} {instrumental} из этих "
        "площадок-кандидатов." in stations
    )
    with i18n.using_language("kk"):  # Kazakh: the noun stays singular after a number
        assert f"({n} ауыстыру, барлығы 23,5 км" in redistribution_headline(block(n))
    # English is unchanged: "1 move", "2 moves"
    assert f"({n} move{'' if n == 1 else 's'}, 23.5 km in all" in redistribution_headline(block(n))
