"""The numeric cores' messages in Russian and Kazakh (issue 21), with their values.

Each test triggers a real error or note through a public function and compares it with a
hand-written translation; English stays as it was (the other test files check it in detail).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from planner import i18n
from planner.allocation import allocate
from planner.errors import ArgumentTypeError, InputError
from planner.settings import WalkSettings
from planner.siting import maximize_coverage


def _coverage(n_demand: int = 4) -> sp.csr_array:
    """Two candidates over ``n_demand`` buildings: the first covers 0 and 1, the second 2."""
    rows, cols = [0, 0, 1], [0, 1, 2]
    return sp.csr_array((np.ones(3, dtype=bool), (rows, cols)), shape=(2, n_demand))


def _error_of_maximize(**kwargs: object) -> str:
    args = {"coverage": _coverage(), "population": [10.0, 20.0, 30.0, 40.0], "n_sites": 1}
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        maximize_coverage(**args)  # type: ignore[arg-type]
    return str(info.value)


def test_a_negative_number_of_sites_in_russian_and_kazakh() -> None:
    with i18n.using_language("ru"):
        ru = _error_of_maximize(n_sites=-2)
    with i18n.using_language("kk"):
        kk = _error_of_maximize(n_sites=-2)
    # (a negative n_sites is also reported as smaller than the 0 forced sites: two problems)
    assert ru.splitlines()[:2] == [
        "maximize_coverage: 2 проблемы с входными данными",
        "  - n_sites=-2 должно быть целым числом >= 0",
    ]
    assert ru.splitlines()[-1] == (
        "Каждая строка называет аргумент и каким он должен быть; исправьте всё и вызовите снова."
    )
    assert kk.splitlines()[:2] == [
        "maximize_coverage: кіріс деректерінде 2 мәселе",
        "  - n_sites=-2 бүтін сан >= 0 болуы керек",
    ]
    assert kk.splitlines()[-1] == (
        "Әр жол аргументті және оның қандай болуы керектігін атайды; бәрін түзетіп, қайта "
        "шақырыңыз."
    )
    assert i18n.language() == "en"
    assert _error_of_maximize(n_sites=-2).splitlines()[:2] == [
        "maximize_coverage: 2 problem(s) with the input",
        "  - n_sites=-2 must be a whole number >= 0",
    ]


def test_mismatched_array_sizes_in_russian_and_kazakh() -> None:
    population = [10.0, 20.0, 30.0]  # three buildings, the matrix has four
    with i18n.using_language("ru"):
        ru = _error_of_maximize(population=population, method="fastest").splitlines()
    with i18n.using_language("kk"):
        kk = _error_of_maximize(population=population, method="fastest").splitlines()
    assert ru[:3] == [
        "maximize_coverage: 2 проблемы с входными данными",
        "  - число значений population — 3, а число столбцов спроса в coverage — 4; они должны "
        "описывать одни и те же здания в одном и том же порядке",
        "  - method='fastest' не входит в 'exact', 'greedy'",
    ]
    assert kk[:3] == [
        "maximize_coverage: кіріс деректерінде 2 мәселе",
        "  - population мәндерінің саны — 3, ал coverage сұраныс бағандарының саны — 4; олар бір "
        "ғимараттарды бір ретпен сипаттауы керек",
        "  - method='fastest' 'exact', 'greedy' мәндерінің бірі емес",
    ]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "allocate: 1 проблема с входными данными"),
        (2, "allocate: 2 проблемы с входными данными"),
        (5, "allocate: 5 проблем с входными данными"),
        (11, "allocate: 11 проблем с входными данными"),
        (21, "allocate: 21 проблема с входными данными"),
        (22, "allocate: 22 проблемы с входными данными"),
        (25, "allocate: 25 проблем с входными данными"),
    ],
)
def test_the_russian_count_of_problems_takes_its_plural_form(n: int, expected: str) -> None:
    curves = [np.array([0.0, np.nan])] * n  # one problem per unit
    with i18n.using_language("ru"), pytest.raises(InputError) as info:
        allocate(curves, 1)
    lines = str(info.value).splitlines()
    assert lines[0] == expected
    assert lines[1] == (
        "  - территория 0: кривая содержит NaN или бесконечные значения при k = 1; каждое "
        "значение должно быть конечным числом жителей"
    )


def test_more_than_fifty_problems_end_with_a_count_of_the_rest() -> None:
    curves = [np.array([0.0, -1.0])] * 53
    with i18n.using_language("kk"), pytest.raises(InputError) as info:
        allocate(curves, 1, names=[f"u{i}" for i in range(53)])
    lines = str(info.value).splitlines()
    assert lines[0] == "allocate: кіріс деректерінде 53 мәселе"
    assert lines[1] == (
        "  - аумақ 'u0': қисық k = 1 кезінде теріс; тұрғындар 0-ден аз болуы мүмкін емес"
    )
    assert lines[-2] == "  ... және тағы 3"
    with pytest.raises(InputError) as info:
        allocate(curves, 1)
    assert str(info.value).splitlines()[-2] == "  ... and 3 more"


def test_walking_settings_in_kazakh() -> None:
    with i18n.using_language("kk"), pytest.raises(InputError) as info:
        WalkSettings(max_walk_m=-5)
    assert str(info.value).splitlines()[:2] == [
        "жаяу қолжетімділік баптаулары жарамсыз",
        "  - max_walk_m=-5 0-ден үлкен болуы керек",
    ]


def test_the_wrong_kind_of_argument_in_russian() -> None:
    with i18n.using_language("ru"):
        error = ArgumentTypeError("summarize", "result", "a PlanResult", None)
    assert str(error) == "summarize: result должен быть a PlanResult, а не None"
    assert str(ArgumentTypeError("summarize", "result", "a PlanResult", None)) == (
        "summarize: result must be a PlanResult, not None"
    )


def test_a_node_limited_plan_says_how_close_to_the_best_in_russian() -> None:
    rng = np.random.default_rng(7)
    dense = rng.random((60, 300)) < 0.05
    coverage = sp.csr_array(dense)
    population = rng.integers(1, 100, size=300).astype(float)
    with i18n.using_language("ru"):
        result = maximize_coverage(coverage, population, n_sites=8, node_limit=1)
    if "node limit" not in result.solver_status:
        pytest.skip("HiGHS closed the gap without branching on this instance")
    assert result.message.startswith(
        "достигнут предел числа узлов (1); план отстаёт от оптимума не более чем на "
    )
    assert result.message.endswith(" %")  # the share in Russian style: "1,23 %"
