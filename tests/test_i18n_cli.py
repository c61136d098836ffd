"""The command line in Russian and Kazakh (issue 21): --lang, PLANNER_LANG, argparse's own
texts, errors, the run's summary and the language handed to the national run's workers.

Most tests run the command as a real process (``python -m planner.cli``), as a user does.
"""

from __future__ import annotations

import argparse
import gettext as stdlib_gettext
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import _cli_parser, i18n
from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY_OSM = ROOT / "tests" / "data" / "tiny_walk.osm"
COMMANDS = ("demo", "coverage", "plan", "evaluate", "national", "fetch")

#: Words that stay English in every language: commands, option values, formats, column names,
#: place names of the examples, product names.
KEPT = {
    "planner", "demo", "coverage", "plan", "evaluate", "national", "fetch", "exact", "greedy",
    "none", "railway", "water", "motorway", "tram", "stream", "wall", "name", "lat", "lon",
    "population", "status", "inspectors", "quota", "osm", "highs", "milp", "dask", "geojson",
    "geopackage", "csv", "excel", "shapefile", "openstreetmap", "worldpop", "geotiff", "amenity",
    "police", "building", "yes", "west", "south", "east", "north", "tcp", "almaty", "kazakhstan",
    "ru", "kk", "en", "all", "allocated",
}  # fmt: skip


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``planner ARGV`` as a process, with English unless ``env`` says otherwise."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PLANNER_LANG", "LC_ALL")}
    environ |= {"LANG": "C.UTF-8", "PYTHONPATH": str(ROOT), "COLUMNS": "100"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *argv],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
        timeout=600,
    )


def prose_words(text: str) -> set[str]:
    """The words of running text: tokens of letters only (not flags, paths, lists of values,
    metavars)."""
    text = re.sub(r"-\n\s*", "-", text)  # a flag the help wrapped at a hyphen
    tokens = (t.strip("()[]{}:;,.'\"«»|") for t in text.split())
    return {
        t.lower() for t in tokens if re.fullmatch(r"[A-Za-z]{3,}", t) and not t.isupper()
    } - KEPT


def english_left(translated: str, english: str) -> set[str]:
    """Words of the English help still in the translated one."""
    return prose_words(translated) & prose_words(english)


@pytest.mark.parametrize(
    ("argv", "lang", "usage"),
    [
        (("--lang", "ru", "plan", "--help"), "ru", "использование: planner plan"),
        (("plan", "--lang", "kk", "--help"), "kk", "қолданылуы: planner plan"),
        (("--lang=ru", "--help"), "ru", "использование: planner"),
    ],
)
def test_help_is_in_the_chosen_language(argv: tuple[str, ...], lang: str, usage: str) -> None:
    english = run(*[a for a in argv if "--lang" not in a and a not in ("ru", "kk")])
    translated = run(*argv)
    assert english.returncode == translated.returncode == 0, translated.stderr
    assert translated.stdout.startswith(usage)
    assert english.stdout.startswith("usage: planner")
    assert len(prose_words(english.stdout)) > 30  # the comparison is not empty
    assert english_left(translated.stdout, english.stdout) == set()
    if "plan" in argv:
        assert ("параметры:" if lang == "ru" else "параметрлер:") in translated.stdout
        assert "show this help message and exit" not in translated.stdout
        assert "exit codes" not in translated.stdout
        assert "--osm OSM" in translated.stdout  # flags and metavars as typed


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_is_translated(command: str, lang: str) -> None:
    """Built and formatted in-process (argparse fills %-placeholders: a stray % would fail)."""
    english = _cli_parser.build_parser()
    english_help = _subparser(english, command).format_help()
    with i18n.using_language(lang):
        text = _subparser(_cli_parser.build_parser(), command).format_help()
    assert len(prose_words(english_help)) > 15  # the comparison is not empty
    assert english_left(text, english_help) == set()
    assert "--lang {ru,kk,en}" in text


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def test_planner_lang_variable_and_the_flag_over_it() -> None:
    assert run("plan", "--help", env={"PLANNER_LANG": "ru"}).stdout.startswith("использование:")
    assert run("plan", "--help", env={"LANG": "kk_KZ.UTF-8"}).stdout.startswith("қолданылуы:")
    both = run("plan", "--lang", "en", "--help", env={"PLANNER_LANG": "kk"})
    assert both.stdout.startswith("usage: planner plan")


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (("--lang", "xx", "plan", "--help"), {}, "--lang xx: the planner speaks en, ru, kk"),
        (("plan", "--lang=xx"), {}, "--lang xx: the planner speaks en, ru, kk"),
        (("plan", "--lang", ""), {}, "--lang '': the planner speaks en, ru, kk"),
        (("plan", "--help"), {"PLANNER_LANG": "xx"}, "PLANNER_LANG xx: the planner speaks"),
        # said in PLANNER_LANG's language when that one is right
        (("plan", "--lang", "fr"), {"PLANNER_LANG": "ru"}, "--lang fr: планировщик"),
    ],
)
def test_an_unknown_language_exits_2_with_a_clear_message(
    argv: tuple[str, ...], env: dict[str, str], said: str
) -> None:
    result = run(*argv, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("planner: " + said), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_argparse_errors_in_russian_and_argparse_put_back() -> None:
    result = run("plan", "--lang", "ru", "--n-sites", "abc")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last == "planner plan: ошибка: аргумент --n-sites: недопустимое значение int: 'abc'"
    missing = run("--lang", "kk", "plan", "--n-sites", "3")
    assert missing.stderr.strip().splitlines()[-1] == (
        "planner plan: қате: келесі аргументтер міндетті: --osm"
    )
    wrong = run("--lang", "ru", "plnn")
    assert "недопустимый вариант: 'plnn' (выберите из 'demo'" in wrong.stderr
    # in-process: the language and argparse's own texts are put back after the run
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--lang", "ru", "--osm", "x.osm"])
    assert exit_info.value.code == 2
    assert i18n.language() == "en"
    assert argparse._ is stdlib_gettext.gettext  # type: ignore[attr-defined]
    assert argparse.ngettext is stdlib_gettext.ngettext  # type: ignore[attr-defined]


def test_option_problems_in_russian(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["plan", "--lang", "ru", "--osm", str(TINY_OSM), "--n-sites", "-1",
                 "--walk-m", "-5", "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "planner: недопустимые параметры для 'planner plan'" in err
    assert "  - --walk-m -5: должно быть числом > 0 (метры, например 800)" in err
    assert "  - --n-sites -1: должно быть 0 или больше" in err
    assert i18n.language() == "en"


def test_a_bad_stations_row_in_russian(tmp_path: Path) -> None:
    """A stations file of the bundled layout with latitude 'abc': the file, row, column and
    value are named, in Russian; the command's own lines are Russian; exit code 2."""
    stations = tmp_path / "stations.csv"
    header = "name,latitude,longitude,status,inspectors,osm_id,note"
    stations.write_text(f"{header}\nУчасток 1,abc,0.0009,open,3,,\n", encoding="utf-8")
    result = run("coverage", "--lang", "ru", "--osm", str(TINY_OSM), "--stations",
                 str(stations), "--out", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 2, result.stderr
    err = result.stderr
    assert "Traceback" not in err
    assert "чтение tiny_walk.osm: улицы, здания, пункты" in err  # the CLI's step, translated
    assert "\nplanner: " in err  # the CLI's framing of an input error
    assert "stations.csv" in err
    # the row, column and value, in Russian (the file is named above)
    assert "строка 2: столбец 'latitude': широта 'abc' — не число" in err
    assert "is not a number" not in err


def test_the_demo_passes_the_language_to_its_plan() -> None:
    args = _cli_parser.parse_args(["demo", "--lang", "kk", "--out", "out/x"])
    plan_argv = _cli_parser.demo_argv(args)
    assert plan_argv[-2:] == ["--lang", "kk"]
    assert _cli_parser.parse_args(plan_argv).lang == "kk"
    args = _cli_parser.parse_args(["--lang", "ru", "demo"])
    assert args.lang == "ru"
    assert _cli_parser.parse_args(["demo"]).lang is None  # no --lang: no flag handed on


@pytest.mark.slow
def test_demo_in_russian(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run("demo", "--lang", "ru", "--out", str(out), "--no-try-sites")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Almaty (OSM 2012): данные OSM на " in text
    assert "  пешая сеть     узлов: " in text
    assert "  с 10 новыми площадками: жителей " in text
    assert "  ранг  новый охват" in text
    assert "\nфайлы:\n" in text
    assert re.search(r"\(\d+,\d %\)", text)  # decimal comma
    # lines of the CLI itself (the memo's lines it repeats are translated with the memo)
    for english in ("walk network", "new sites:", "(estimated)", "files:", "rank  newly"):
        assert english not in text
    err = result.stderr
    assert "  проверка папки результатов " in err
    assert "  площадки-кандидаты, матрица охвата, оптимизация ... " in err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["command"]["options"]["lang"] == "ru"
    memo = (out / "summary.md").read_text(encoding="utf-8")
    title = "Police station coverage plan"
    with i18n.using_language("ru"):
        memo_translated = i18n.gettext(title) != title
    if memo_translated:  # the memo's texts are in the catalogs (issue 21, memo)
        assert "План охвата участковыми пунктами полиции" in memo
    assert i18n.language() == "en"


def test_the_national_units_carry_the_language() -> None:
    """The unit task sets the run's language in its worker (a process of its own)."""
    from planner.national.run import UnitJob, unit_curve
    from planner.national.units import Unit

    unit = Unit(name="U", folder="u", row="row 2", area=None, buffered=None,
                osm_path=ROOT / "does-not-exist.osm")  # fmt: skip
    job = UnitJob(unit=unit, osm=None, stations=None, options=_options(), max_sites=1, lang="kk")
    outcome = unit_curve(job)
    assert outcome.status != "ok"  # the file is not there: a failure, reported for this unit
    assert i18n.language() == "kk"


def _options() -> object:
    from planner.national import NationalOptions

    return NationalOptions()


def test_the_national_jobs_take_the_language_in_use() -> None:
    from planner.national import NationalOptions
    from planner.national.run import _jobs
    from planner.national.units import Unit

    unit = Unit(name="U", folder="u", row="row 2", area=None, buffered=None,
                osm_path=ROOT / "x.osm")  # fmt: skip
    with i18n.using_language("ru"):
        jobs, failures = _jobs([unit], None, None, NationalOptions())
    assert [job.lang for job in jobs] == ["ru"]
    assert failures == {}
