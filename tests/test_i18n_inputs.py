"""The input readers' messages in Russian and Kazakh (issue 21): hand-written expectations.

A stations file with bad rows read through :func:`planner.stations.read_stations` must name
the file, the row, the column and the value in the language of the run; counts take the
Russian plural forms (1 строка, 2 строки, 5 строк). English stays byte-for-byte as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import i18n
from planner.districts import read_districts
from planner.errors import InputError
from planner.stations import beyond_reach_text, read_stations

UTM43 = "EPSG:32643"


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def bad_stations(tmp_path: Path) -> Path:
    """Two stations, neither usable: a latitude out of range, a latitude that is a word."""
    path = tmp_path / "stations.csv"
    path.write_text("name,lat,lon\nUPP 1,95.5,76.9\nUPP 2,abc,76.95\n", encoding="utf-8")
    return path


def read_error(path: Path, lang: str) -> str:
    with i18n.using_language(lang), pytest.raises(InputError) as info:
        read_stations(path, crs=UTM43)
    return str(info.value)


def test_bad_rows_in_english_as_before(tmp_path: Path) -> None:
    assert read_error(bad_stations(tmp_path), "en") == (
        "stations file stations.csv: none of the 2 rows is usable\n"
        "  - row 2: column 'lat': latitude 95.5 is outside -90..90 but longitude 76.9 would "
        "fit; are the latitude and longitude columns swapped?\n"
        "  - row 3: column 'lat': latitude 'abc' is not a number\n"
        "Row numbers count the header line as row 1, as a spreadsheet shows them. "
        "Fix the rows above and run again."
    )


def test_bad_rows_in_russian_name_file_row_column_and_value(tmp_path: Path) -> None:
    assert read_error(bad_stations(tmp_path), "ru") == (
        "участковые пункты полиции: файл stations.csv: ни одна из 2 строк не пригодна\n"
        "  - строка 2: столбец 'lat': широта 95.5 вне -90..90, а долгота 76.9 подошла бы; "
        "не перепутаны ли столбцы широты и долготы?\n"
        "  - строка 3: столбец 'lat': широта 'abc' — не число\n"
        "Строки нумеруются так, как их показывает электронная таблица: строка заголовка — "
        "строка 1. Исправьте строки выше и запустите снова."
    )
    assert i18n.language() == "en"  # restored after the block


def test_bad_row_in_kazakh(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    path.write_text("name,lat,lon\nUPP 1,abc,76.95\n", encoding="utf-8")
    assert read_error(path, "kk") == (
        "учаскелік полиция пункттері: stations.csv файлы: 1 жолдың бірі де жарамсыз\n"
        "  - 2-жол: 'lat' бағаны: 'abc' ендігі сан емес\n"
        "Жолдар электрондық кестедегідей нөмірленеді: тақырып жолы — 1-жол. "
        "Жоғарыдағы жолдарды түзетіп, қайта іске қосыңыз."
    )


def test_a_decimal_comma_hint_in_russian(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    path.write_text('name,lat,lon\nUPP 1,"43,25",76.95\n', encoding="utf-8")
    message = read_error(path, "ru")
    assert (
        "  - строка 2: столбец 'lat': широта '43,25' — не число (десятичная запятая? в файле "
        "с разделителем-запятой пишите 43.25 или сохраните файл с разделителем ';')"
    ) in message.splitlines()


def test_a_missing_file_in_russian(tmp_path: Path) -> None:
    with i18n.using_language("ru"), pytest.raises(InputError) as info:
        read_stations(tmp_path / "нет.csv", crs=UTM43)
    missing = tmp_path / "нет.csv"
    assert info.value.what == f"участковые пункты полиции: файл {missing} не существует"


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (1, "1 участковый пункт полиции из файла лежит вне пешей досягаемости этой территории "
            "и не учтён"),
        (2, "2 участковых пункта полиции из файла лежат вне пешей досягаемости этой "
            "территории и не учтены"),
        (5, "5 участковых пунктов полиции из файла лежат вне пешей досягаемости этой "
            "территории и не учтены"),
    ],
)  # fmt: skip
def test_russian_plurals_of_stations_beyond_reach(n: int, russian: str) -> None:
    with i18n.using_language("ru"):
        assert beyond_reach_text(n) == russian
    assert beyond_reach_text(1) == (
        "1 station of the file lies beyond walking reach of this area and was left out"
    )
    assert beyond_reach_text(2) == (
        "2 stations of the file lie beyond walking reach of this area and were left out"
    )


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (1, "stations.csv: не учтена 1 строка с неизвестным статусом (строки 3)"),
        (2, "stations.csv: не учтены 2 строки с неизвестным статусом (строки 3, 4)"),
        (5, "stations.csv: не учтено 5 строк с неизвестным статусом (строки 3, 4, 5, 6, 7)"),
    ],
)
def test_russian_plurals_of_unusable_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, n: int, russian: str
) -> None:
    """N rows with an unknown status: 1 строка, 2 строки, 5 строк."""
    lines = ["name,lat,lon,status", "UPP 0,43.25,76.90,open"]
    lines += [f"UPP {k},43.25,{76.91 + k / 100:.2f},maybe" for k in range(1, n + 1)]
    path = tmp_path / "stations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with i18n.using_language("ru"), caplog.at_level(logging.WARNING, "planner.stations"):
        stations = read_stations(path, crs=UTM43)
    assert [r.getMessage() for r in caplog.records] == [russian]
    assert list(stations["problem"])[1] == (
        "столбец 'status': статус 'maybe' — не один из open, planned, repair, closed (или "
        "открыт/ашық, планируется/жоспарланған, ремонт/жөндеуде, закрыт/жабық)"
    )


def test_districts_file_problems_in_russian(tmp_path: Path) -> None:
    path = tmp_path / "districts.csv"
    path.write_text("name,lat,lon\nA,43.2,76.9\n", encoding="utf-8")
    with i18n.using_language("ru"), pytest.raises(InputError) as info:
        read_districts(path, crs=UTM43)
    assert info.value.what == (
        "районы: файл districts.csv: нужны полигоны (районы); в таблице .csv их нет"
    )
