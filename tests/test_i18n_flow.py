"""The walking-distance flow (OSM, network, snapping, distances, demand, fetch) speaks Russian
and Kazakh: real errors and warnings of its public functions, with their values, by hand."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from planner import i18n
from planner.demand import calibrate
from planner.errors import InputError
from planner.fetch import check_bbox
from planner.network import from_networkx
from planner.osm import read_osm
from tests.conftest import BISHKEK, TINY, TINY_CRS


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def _error(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value


def test_missing_osm_file(tmp_path):
    path = tmp_path / "nowhere.osm.pbf"
    with i18n.using_language("ru"):
        ru = _error(read_osm, path)
    with i18n.using_language("kk"):
        kk = _error(read_osm, path)
    assert ru.what == f"{path}: файл не найден"
    assert ru.hint == (
        "Проверьте путь; данные, поставляемые с проектом, лежат в папке data/ "
        "(например, data/almaty_2012.osm.pbf)."
    )
    assert kk.what == f"{path}: файл табылмады"
    assert kk.hint.startswith("Жолды тексеріңіз; жобамен бірге берілетін деректер data/")
    # English as before
    assert _error(read_osm, path).what == f"{path}: file not found"


def test_osm_file_without_streets(tmp_path):
    path = tmp_path / "one_node.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '  <node id="1" lat="43.2" lon="76.9"><tag k="amenity" v="police"/></node>\n</osm>\n'
    )
    with i18n.using_language("ru"):
        ru = _error(read_osm, path)
    with i18n.using_language("kk"):
        kk = _error(read_osm, path)
    assert ru.what == f"{path}: в файле нет улиц (нет линий highway с известными узлами)"
    assert ru.hint == "Проверьте, что это выгрузка города, а не отдельного объекта."
    assert kk.what == f"{path}: файлда көше жоқ (түйіндері белгілі highway сызықтары жоқ)"
    assert _error(read_osm, path).what == (
        f"{path}: the file has no streets (no highway ways with known nodes)"
    )


def test_area_with_no_streets_says_where_the_streets_are():
    box = (76.85, 43.20, 76.98, 43.30)  # Almaty's box on Bishkek's file
    with i18n.using_language("ru"):
        ru = _error(read_osm, BISHKEK, bbox=box)
    assert ru.what == f"{BISHKEK}: внутри запрошенной области нет улиц (bbox {box})"
    assert ru.hint.startswith("Улицы файла занимают долготу 74.6240..74.6494 и широту ")
    assert ru.hint.endswith(
        "; выберите территорию в этих пределах (bbox — это west,south,east,north)."
    )
    far = shapely.box(-1_000.0, -1_000.0, -900.0, -900.0)  # far west and south of the streets
    boundary = gpd.GeoSeries([far], crs=TINY_CRS).to_crs(4326).iloc[0]
    with i18n.using_language("kk"):
        kk = _error(read_osm, TINY, boundary=boundary, crs=TINY_CRS)
    assert kk.what == f"{TINY}: сұралған аумақ ішінде көше жоқ (шекара)"
    assert kk.hint.startswith("Файлдағы көшелер бойлық ")
    en = _error(read_osm, TINY, boundary=boundary, crs=TINY_CRS)
    assert en.what == f"{TINY}: no streets inside the requested boundary"


def test_exchanged_bbox_before_going_online():
    with i18n.using_language("ru"):
        ru = _error(check_bbox, (77.0, 43.2, 76.0, 43.3))
    with i18n.using_language("kk"):
        kk = _error(check_bbox, (77.0, 43.2, 76.0, 43.3))
    assert ru.what == (
        "bbox (77.0, 43.2, 76.0, 43.3) не является прямоугольником (west, south, east, north) "
        "в градусах"
    )
    assert ru.problems == ("west=77 не западнее east=76; не перепутаны ли west и east?",)
    assert ru.hint == "например bbox=(76.85, 43.20, 76.98, 43.30) для центра Алматы."
    assert kk.problems == (
        "west=77 east=76 мәнінен батыста емес; west пен east ауысып кеткен жоқ па?",
    )
    assert _error(check_bbox, (77.0, 43.2, 76.0, 43.3)).problems == (
        "west=77 is not west of east=76; are west and east exchanged?",
    )


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (1, "у 1 узла нет координат x/y, например узел 0"),
        (2, "у 2 узлов нет координат x/y, например узел 0"),
        (5, "у 5 узлов нет координат x/y, например узел 0"),
        (21, "у 21 узла нет координат x/y, например узел 0"),
    ],
)
def test_russian_plural_of_nodes_without_coordinates(n, russian):
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    with i18n.using_language("ru"):
        error = _error(from_networkx, graph)
    assert error.what == "from_networkx: граф не в формате OSMnx"
    assert error.problems == ('нет graph.graph["crs"]', russian)
    with i18n.using_language("kk"):
        error = _error(from_networkx, graph)
    assert error.problems[1] == f"{n} түйіннің x/y координаттары жоқ, мысалы 0 түйіні"
    english = _error(from_networkx, graph).problems
    assert english == (
        'graph.graph["crs"] is missing',
        f"{n} nodes lack x/y coordinates, e.g. node 0",
    )


def test_calibration_is_logged_in_the_language(caplog):
    demand = gpd.GeoDataFrame(
        {"population": [60.0, 40.0], "usable": [True, True]},
        geometry=gpd.points_from_xy([0.0, 1.0], [0.0, 1.0]),
        crs=TINY_CRS,
    )
    with caplog.at_level(logging.INFO, logger="planner.demand"):
        with i18n.using_language("ru"):
            calibrate(demand, total_population=250)
        with i18n.using_language("kk"):
            calibrate(demand, total_population=250)
        calibrate(demand, total_population=250)
    messages = [r.getMessage() for r in caplog.records if r.name == "planner.demand"]
    assert messages == [
        "население откалибровано: оценка 100 умножена на 2,500 до 250",
        "халық саны калибрленді: 100 бағасы 2,500 есе масштабталып, 250 болды",
        "population calibrated: estimate 100 scaled by 2.500 to 250",
    ]
    with i18n.using_language("ru"):
        error = _error(calibrate, demand.assign(population=0.0), total_population=250)
    assert error.what == (
        "calibrate: оценка в сумме даёт 0 жителей, поэтому её нельзя масштабировать"
    )
