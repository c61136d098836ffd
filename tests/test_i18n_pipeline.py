"""The city pipeline's messages in Russian and Kazakh, with their values (issue 21).

Real messages of :mod:`planner.pipeline`, raised or written through its public functions: the
input files :func:`load_city` finds missing (before it reads the OSM file), the proposals list
:func:`evaluate_sites` cannot use, and the flags it gives proposals (shown in the memo, the map
and the command line). Expectations are written out by hand; English stays as it always was.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from planner import i18n
from planner.candidates import read_candidates
from planner.errors import InputError
from planner.pipeline import assess_coverage, evaluate_sites, load_city, plan_sites
from tests.conftest import BISHKEK


@pytest.fixture(scope="module")
def city():
    logging.disable(logging.WARNING)
    try:
        return load_city(BISHKEK)
    finally:
        logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def coverage(city):
    return assess_coverage(city)


@pytest.fixture(scope="module")
def proposals(city, coverage, tmp_path_factory):
    """An unnamed proposal at the best new site, a named one 1.6 m east of it (the same
    coverage), one at an existing station, one 27 km south of the streets, one bad row."""
    best = plan_sites(city, coverage, n_sites=1, spacing_m=200, prefix_gaps=False)
    site = best.sites.to_crs(4326).geometry.iloc[0]
    usable = coverage.stations["usable"].to_numpy(dtype=bool)
    station = coverage.stations[usable].to_crs(4326).geometry.iloc[0]
    rows = [
        ("", site.y, site.x),
        ("Again", site.y, site.x + 0.00002),
        ("Station", station.y, station.x),
        ("Mountains", 42.60, 74.60),
        ("Bad", "abc", 74.6),
    ]
    path = tmp_path_factory.mktemp("proposals") / "proposals.csv"
    pd.DataFrame(rows, columns=["name", "lat", "lon"]).to_csv(path, index=False)
    logging.disable(logging.WARNING)
    try:
        # area_lonlat_bounds left out: the mountains row is read, then found off the network
        return read_candidates(path, crs=city.network.crs, what="proposals")
    finally:
        logging.disable(logging.NOTSET)


def _missing_files(tmp_path: Path) -> str:
    stations, districts = tmp_path / "no" / "stations.csv", tmp_path / "no" / "districts.geojson"
    with pytest.raises(InputError) as info:
        load_city(tmp_path / "city.osm.pbf", stations_path=stations, districts_path=districts)
    return str(info.value)


def test_missing_input_files_in_russian_and_kazakh(tmp_path):
    s, d, cwd = tmp_path / "no" / "stations.csv", tmp_path / "no" / "districts.geojson", Path.cwd()
    with i18n.using_language("ru"):
        assert _missing_files(tmp_path) == (
            "входные файлы отсутствуют\n"
            f"  - участковые пункты полиции: файл {s} не существует\n"
            f"  - районы: файл {d} не существует\n"
            f"Проверьте пути (относительные пути отсчитываются от {cwd})."
        )
    with i18n.using_language("kk"):
        assert _missing_files(tmp_path) == (
            "кіріс файлдары жоқ\n"
            f"  - учаскелік полиция пункттері: {s} файлы жоқ\n"
            f"  - аудандар: {d} файлы жоқ\n"
            f"Жолдарды тексеріңіз (салыстырмалы жолдар {cwd} қалтасынан басталады)."
        )
    assert i18n.language() == "en"
    assert _missing_files(tmp_path) == (
        "input files are missing\n"
        f"  - stations file {s} does not exist\n"
        f"  - districts file {d} does not exist\n"
        f"Check the paths (relative paths start in {cwd})."
    )


def _empty_list(city, coverage, proposals) -> str:
    with pytest.raises(InputError) as info:
        evaluate_sites(city, coverage, proposals.iloc[:0], spacing_m=None)
    return str(info.value)


def test_an_empty_proposals_list_in_russian_and_kazakh(city, coverage, proposals):
    call = "proposals = read_candidates(path, crs=city.network.crs, what='proposals')"
    given = "candidate_id ('proposal:<row>'), source ('proposal'), name, row, usable, problem"
    with i18n.using_language("ru"):
        assert _empty_list(city, coverage, proposals) == (
            "evaluate_sites: proposals нельзя использовать\n"
            "  - в proposals нет строк: нет мест для оценки\n"
            f"Прочитайте файл с помощью {call}: он даёт {given} и точки."
        )
    with i18n.using_language("kk"):
        assert _empty_list(city, coverage, proposals) == (
            "evaluate_sites: proposals пайдалану мүмкін емес\n"
            "  - proposals ішінде жол жоқ: бағалайтын орын жоқ\n"
            f"Файлды {call} арқылы оқыңыз: ол {given} бағандарын және нүктелерді береді."
        )
    assert _empty_list(city, coverage, proposals) == (
        "evaluate_sites: proposals cannot be used\n"
        "  - proposals has no rows: there is no site to evaluate\n"
        f"Read the file with {call}, which gives {given} and the points."
    )


def _flags(city, coverage, proposals) -> list[str]:
    result = evaluate_sites(city, coverage, proposals, spacing_m=None)
    return list(result.proposals["flags"])


def test_proposal_flags_in_russian_and_kazakh(city, coverage, proposals):
    problem = proposals["problem"].iloc[4]  # the reader's words, read in English
    assert problem == "column 'lat': latitude 'abc' is not a number"
    with i18n.using_language("ru"):
        assert _flags(city, coverage, proposals) == [
            "",
            "дублирует охват: строка 2",
            "не охватывает новых жителей: у жителей его зоны уже есть пункт",
            "вне сети: нет пешеходной улицы в пределах 250 м",
            f"непригодно: {problem}",
        ]
    with i18n.using_language("kk"):
        assert _flags(city, coverage, proposals) == [
            "",
            "қамтуы мынаны қайталайды: 2-жол",
            "жаңа тұрғындарды қамтымайды: оның аймағындағы тұрғындардың пункті бар",
            "желіден тыс: 250 м шегінде жаяу жүретін көше жоқ",
            f"пайдалануға жарамсыз: {problem}",
        ]
    assert _flags(city, coverage, proposals) == [
        "",
        "duplicates the coverage of row 2",
        "covers nobody new: its residents already have a station",
        "off the network: no walkable street within 250 m",
        f"unusable: {problem}",
    ]
