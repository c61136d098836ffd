"""Tests of planner.repairs: hand-computed instances and brute force on small random ones."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse as sp

import planner.repairs as repairs
from planner.errors import InputError
from planner.repairs import relocation_gains, residents_only_here, schedule_repairs

# --------------------------------------------------------------------------------------------
# Independent references (dense boolean matrices, no code shared with the module)
# --------------------------------------------------------------------------------------------


def covered(dense: np.ndarray, pop: np.ndarray, open_mask: np.ndarray) -> float:
    """Residents within the limit of at least one open station."""
    return float(pop[dense[open_mask].any(axis=0)].sum())


def batch_loss(dense: np.ndarray, pop: np.ndarray, work: np.ndarray, batch: list[int]) -> float:
    """Residents covered now but by no working station outside the batch."""
    during = work.copy()
    during[batch] = False
    return covered(dense, pop, work) - covered(dense, pop, during)


def partitions(items: list[int], k: int, size: int) -> Iterator[list[list[int]]]:
    """All partitions of ``items`` into exactly ``k`` non-empty blocks of at most ``size``."""
    if not items:
        if k == 0:
            yield []
        return
    head, rest = items[0], items[1:]
    for part in partitions(rest, k, size):
        for i, block in enumerate(part):
            if len(block) < size:
                yield [*part[:i], [head, *block], *part[i + 1 :]]
    for part in partitions(rest, k - 1, size):
        yield [[head], *part]


def brute_schedule(
    dense: np.ndarray, pop: np.ndarray, work: np.ndarray, rep: list[int], size: int
) -> tuple[float, float]:
    """(smallest worst batch, smallest total among schedules with that worst batch)."""
    k = math.ceil(len(rep) / size)
    keys = []
    for part in partitions(rep, k, size):
        losses = [batch_loss(dense, pop, work, block) for block in part]
        keys.append((max(losses), sum(losses)))
    worst = min(w for w, _ in keys)
    return worst, min(t for w, t in keys if w <= worst + 1e-9)


def random_instance(
    rng: np.random.Generator, n_st: int, n_dem: int, density: float
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    dense = rng.random((n_st, n_dem)) < density
    pop = rng.integers(0, 40, n_dem).astype(float)
    pop[0] += 1  # never all zero
    # metres as values, with an explicit 0.0 (a building at the door) that must still count
    metres = np.where(dense, rng.uniform(0, 800, dense.shape), 0.0)
    rows, cols = np.nonzero(dense)
    values = metres[rows, cols]
    if values.size:
        values[0] = 0.0
    return sp.csr_array((values, (rows, cols)), shape=dense.shape), pop, dense


def check_schedule(
    r: repairs.RepairSchedule,
    dense: np.ndarray,
    pop: np.ndarray,
    work: np.ndarray,
    rep: list[int],
    size: int,
) -> None:
    """The schedule is valid and its reported losses match an independent recomputation."""
    k = math.ceil(len(rep) / size)
    assert r.n_batches == k == len(r.batches)
    assert sorted(int(s) for b in r.batches for s in b) == sorted(rep)
    assert all(1 <= len(b) <= size for b in r.batches)
    assert all(b.tolist() == sorted(b.tolist()) for b in r.batches)
    expected = [batch_loss(dense, pop, work, b.tolist()) for b in r.batches]
    assert r.loss_per_batch.tolist() == pytest.approx(expected)
    assert r.loss_per_batch.tolist() == sorted(r.loss_per_batch.tolist())
    assert r.worst_batch_residents == pytest.approx(max(expected))
    assert r.total_residents_batches == pytest.approx(sum(expected))
    assert r.lower_bound <= r.worst_batch_residents + 1e-9
    assert r.proven_optimal == (r.gap <= repairs.OPTIMAL_REL_TOL)


# --------------------------------------------------------------------------------------------
# residents_only_here
# --------------------------------------------------------------------------------------------
#
#   building:    0   1   2   3        residents 10, 20, 30, 40
#   station 0:   x   x   .   .
#   station 1:   .   x   x   .        (fully overlapped by stations 0 and 2)
#   station 2:   .   .   x   .
#   station 3:   x   .   .   x        (not working in the first case)
#
# Working 0-2: building 0 only station 0 reaches -> [10, 0, 0, 0]; station 3 gets 0 and does
# not count as "another station" for building 0.
# All working: building 0 is also station 3's -> station 0 has 0; station 3 alone has 3 -> 40.

HAND_ROWS = [0, 0, 1, 1, 2, 3, 3]
HAND_COLS = [0, 1, 1, 2, 2, 0, 3]
HAND_POP = np.array([10.0, 20.0, 30.0, 40.0])


def hand_matrix() -> sp.csr_array:
    return sp.csr_array((np.ones(7), (HAND_ROWS, HAND_COLS)), shape=(4, 4))


def test_only_here_hand_example() -> None:
    working = np.array([True, True, True, False])
    assert residents_only_here(hand_matrix(), HAND_POP, working=working).tolist() == [
        10.0,
        0.0,
        0.0,
        0.0,
    ]
    assert residents_only_here(hand_matrix(), HAND_POP).tolist() == [0.0, 0.0, 0.0, 40.0]


def test_only_here_fully_overlapped_station_is_zero() -> None:
    # station 1 covers buildings 1 and 2, which stations 0 and 2 both also cover
    assert residents_only_here(hand_matrix(), HAND_POP)[1] == 0.0


@pytest.mark.parametrize("seed", range(20))
def test_only_here_is_the_drop_in_coverage(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, pop, dense = random_instance(rng, int(rng.integers(1, 8)), int(rng.integers(1, 15)), 0.35)
    work = rng.random(m.shape[0]) < 0.75
    got = residents_only_here(m, pop, working=work)
    for s in range(m.shape[0]):
        without = work.copy()
        without[s] = False
        drop = covered(dense, pop, work) - covered(dense, pop, without)
        assert got[s] == pytest.approx(drop)
        if not work[s]:
            assert got[s] == 0.0


def test_only_here_lists_every_problem() -> None:
    with pytest.raises(InputError) as err:
        residents_only_here(hand_matrix().toarray(), [1.0, -2.0], working=[True])
    problems = err.value.problems
    assert any(p.startswith("S is a ndarray") for p in problems)
    assert any("negative" in p for p in problems)
    assert isinstance(err.value, ValueError)


def test_only_here_rejects_a_bad_working_mask() -> None:
    with pytest.raises(InputError) as err:
        residents_only_here(hand_matrix(), HAND_POP, working=[True, False])
    assert "working has shape (2,)" in err.value.problems[0]
    with pytest.raises(InputError, match="boolean mask"):
        residents_only_here(hand_matrix(), HAND_POP, working=["a", "b", "c", "d"])


# --------------------------------------------------------------------------------------------
# schedule_repairs: hand example
# --------------------------------------------------------------------------------------------
#
#   building:    0     1     2          residents 100, 10, 5
#   station 0:   x     .     x
#   station 1:   x     .     .          stations 0 and 1 share building 0, nobody else has it
#   station 2:   .     x     .          building 1 only station 2 reaches
#   station 3:   .     .     x          not under repair: keeps building 2 covered
#
# Under repair 0, 1, 2 with batches of 2 (ceil(3/2) = 2 batches):
#   {0,1} {2}: 100 and 10 -> worst 100
#   {0,2} {1}: 10 and 0   -> worst 10, total 10
#   {1,2} {0}: 10 and 0   -> worst 10, total 10
# The optimum never closes 0 and 1 together. Lower bound: station 2 alone loses 10 -> proven.
# One batch of all three: 100 + 10 = 110. Batches of 1: 0, 0, 10.

SCHED_ROWS = [0, 0, 1, 2, 3]
SCHED_COLS = [0, 2, 0, 1, 2]
SCHED_POP = np.array([100.0, 10.0, 5.0])


def sched_matrix() -> sp.csr_array:
    return sp.csr_array((np.ones(5), (SCHED_ROWS, SCHED_COLS)), shape=(4, 3))


@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_schedule_hand_example(method: str) -> None:
    r = schedule_repairs(sched_matrix(), SCHED_POP, [0, 1, 2], batch_size=2, method=method)
    assert r.n_batches == 2
    together = [set(b.tolist()) for b in r.batches]
    assert not any({0, 1} <= b for b in together)
    assert r.loss_per_batch.tolist() == [0.0, 10.0]
    assert r.worst_batch_residents == 10.0
    assert r.total_residents_batches == 10.0
    assert r.lower_bound == 10.0
    assert r.proven_optimal and r.gap == 0.0
    assert r.residents_at_risk == 110.0  # building 2 keeps station 3


def test_schedule_one_batch_when_batch_size_covers_all() -> None:
    for size in (3, 10):
        r = schedule_repairs(sched_matrix(), SCHED_POP, [2, 0, 1], batch_size=size)
        assert [b.tolist() for b in r.batches] == [[0, 1, 2]]
        assert r.loss_per_batch.tolist() == [110.0]
        assert r.worst_batch_residents == 110.0
        assert r.proven_optimal


def test_schedule_batches_of_one() -> None:
    r = schedule_repairs(sched_matrix(), SCHED_POP, [2, 0, 1], batch_size=1)
    assert [b.tolist() for b in r.batches] == [[0], [1], [2]]  # ascending loss, then index
    assert r.loss_per_batch.tolist() == [0.0, 0.0, 10.0]


def test_schedule_respects_working_mask() -> None:
    # with station 3 closed for good, building 2 depends on station 0 alone: {0,2},{1} now
    # loses 15 in one batch, {1,2},{0} loses 10 and 5
    work = np.array([True, True, True, False])
    r = schedule_repairs(sched_matrix(), SCHED_POP, [0, 1, 2], batch_size=2, working=work)
    assert [b.tolist() for b in r.batches] == [[0], [1, 2]]
    assert r.loss_per_batch.tolist() == [5.0, 10.0]
    assert r.residents_at_risk == 115.0


def test_schedule_nothing_to_repair() -> None:
    r = schedule_repairs(sched_matrix(), SCHED_POP, [], batch_size=2)
    assert r.batches == () and r.n_batches == 0
    assert r.worst_batch_residents == 0.0 and r.proven_optimal


def test_schedule_minimax_hand_example() -> None:
    #   building 0 (1 resident): stations 0, 1     building 2 (5): station 0 only
    #   building 1 (1 resident): stations 2, 3     building 3 (5): station 2 only
    # Two batches of two: {0,1},{2,3}: 6 and 6; {0,2},{1,3}: 10 and 0; {0,3},{1,2}: 5 and 5.
    m = sp.csr_array((np.ones(6), ([0, 1, 2, 3, 0, 2], [0, 0, 1, 1, 2, 3])), shape=(4, 4))
    r = schedule_repairs(m, np.array([1.0, 1.0, 5.0, 5.0]), [0, 1, 2, 3], batch_size=2)
    assert [b.tolist() for b in r.batches] == [[0, 3], [1, 2]]
    assert r.loss_per_batch.tolist() == [5.0, 5.0]
    assert r.proven_optimal


def test_schedule_second_aim_is_the_total() -> None:
    #   building:  0 (10): station 0     1 (10): station 2
    #              2 (3): stations 0, 1  3 (3): stations 0, 3  4 (3): stations 1, 2
    # Two batches of two:
    #   {0,1},{2,3}: 10 + 3 = 13 and 10       -> worst 13, total 23
    #   {0,2},{1,3}: 10 + 10 = 20 and 0       -> worst 20
    #   {0,3},{1,2}: 10 + 3 = 13 and 10 + 3   -> worst 13, total 26
    # Equal worst batch; the smaller total decides: {2,3} (10) then {0,1} (13).
    m = sp.csr_array(
        (np.ones(8), ([0, 2, 0, 1, 0, 3, 1, 2], [0, 1, 2, 2, 3, 3, 4, 4])), shape=(4, 5)
    )
    pop = np.array([10.0, 10.0, 3.0, 3.0, 3.0])
    for method in ("exact", "greedy"):
        r = schedule_repairs(m, pop, [0, 1, 2, 3], batch_size=2, method=method)
        assert [b.tolist() for b in r.batches] == [[2, 3], [0, 1]]
        assert r.loss_per_batch.tolist() == [10.0, 13.0]
        assert r.worst_batch_residents == 13.0
        assert r.total_residents_batches == 23.0
    # the simple bound is 10 (a single station), so only the MILP proves the 13
    assert r.lower_bound == 10.0 and not r.proven_optimal
    exact = schedule_repairs(m, pop, [0, 1, 2, 3], batch_size=2)
    assert exact.lower_bound == pytest.approx(13.0)
    assert exact.proven_optimal and exact.total_proven_minimal


# --------------------------------------------------------------------------------------------
# schedule_repairs: brute force
# --------------------------------------------------------------------------------------------


def random_schedule_case(
    seed: int,
) -> tuple[sp.csr_array, np.ndarray, np.ndarray, np.ndarray, list[int], int]:
    rng = np.random.default_rng(seed)
    n_st = int(rng.integers(3, 9))
    m, pop, dense = random_instance(rng, n_st, int(rng.integers(2, 16)), rng.uniform(0.2, 0.6))
    work = rng.random(n_st) < 0.85
    work[: min(3, n_st)] = True
    working = np.flatnonzero(work)
    n_rep = int(rng.integers(2, min(7, working.size) + 1))
    rep = sorted(int(s) for s in rng.choice(working, n_rep, replace=False))
    size = int(rng.integers(1, n_rep + 1))
    return m, pop, dense, work, rep, size


@pytest.mark.parametrize("seed", range(60))
def test_schedule_matches_brute_force(seed: int) -> None:
    m, pop, dense, work, rep, size = random_schedule_case(seed)
    worst, total = brute_schedule(dense, pop, work, rep, size)
    exact = schedule_repairs(m, pop, rep, batch_size=size, working=work)
    check_schedule(exact, dense, pop, work, rep, size)
    assert exact.worst_batch_residents == pytest.approx(worst)
    assert exact.total_residents_batches == pytest.approx(total)
    assert exact.proven_optimal and exact.total_proven_minimal
    assert exact.lower_bound == pytest.approx(worst)
    greedy = schedule_repairs(m, pop, rep, batch_size=size, working=work, method="greedy")
    check_schedule(greedy, dense, pop, work, rep, size)
    assert greedy.worst_batch_residents >= worst - 1e-9
    assert greedy.lower_bound <= worst + 1e-9
    # the input order of under_repair does not matter
    again = schedule_repairs(m, pop, rep[::-1], batch_size=size, working=work)
    assert [b.tolist() for b in again.batches] == [b.tolist() for b in exact.batches]


def hard_case(seed: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray, list[int], int]:
    """Buildings reached by 2-3 neighbouring stations on a ring: local search alone struggles."""
    rng = np.random.default_rng(seed)
    n, n_dem = 7, 30
    rows, cols = [], []
    for j in range(n_dem):
        k = int(rng.integers(1, 4))
        start = int(rng.integers(n))
        for s in (start + rng.choice(4, k, replace=False)) % n:
            rows.append(int(s))
            cols.append(j)
    dense = np.zeros((n, n_dem), dtype=bool)
    dense[rows, cols] = True
    m = sp.csr_array(dense.astype(float))
    pop = rng.integers(1, 50, n_dem).astype(float)
    return m, pop, dense, list(range(n)), int(rng.integers(2, 4))


@pytest.mark.parametrize("seed", range(12))
def test_schedule_milp_alone_matches_brute_force(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A deliberately poor heuristic (positions filled batch by batch): the MILP must find the
    # optimum and prove it by itself.
    def poor(inst: repairs._Batching, *, lower: float, clock: object) -> np.ndarray:
        return np.arange(inst.n) // inst.batch_size

    monkeypatch.setattr(repairs, "_heuristic", poor)
    m, pop, dense, rep, size = hard_case(seed)
    work = np.ones(m.shape[0], dtype=bool)
    worst, total = brute_schedule(dense, pop, work, rep, size)
    r = schedule_repairs(m, pop, rep, batch_size=size)
    check_schedule(r, dense, pop, work, rep, size)
    assert r.worst_batch_residents == pytest.approx(worst)
    assert r.total_residents_batches == pytest.approx(total)
    assert r.proven_optimal and r.total_proven_minimal


def test_poor_heuristic_is_really_poor() -> None:
    # guards the test above: on these instances the batch-by-batch schedule is often not optimal,
    # so the MILP is what finds the optimum there
    worse = 0
    for seed in range(12):
        m, pop, dense, rep, size = hard_case(seed)
        work = np.ones(m.shape[0], dtype=bool)
        k = math.ceil(len(rep) / size)
        blocks = [rep[b * size : (b + 1) * size] for b in range(k)]
        poor = max(batch_loss(dense, pop, work, b) for b in blocks)
        worse += poor > brute_schedule(dense, pop, work, rep, size)[0] + 1e-9
    assert worse >= 6


@pytest.mark.parametrize("seed", range(12))
def test_schedule_without_milp_reports_valid_bounds(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repairs, "SCHEDULE_MILP_MAX_VARS", 0)
    m, pop, dense, rep, size = hard_case(seed)
    work = np.ones(m.shape[0], dtype=bool)
    worst, _ = brute_schedule(dense, pop, work, rep, size)
    r = schedule_repairs(m, pop, rep, batch_size=size)
    check_schedule(r, dense, pop, work, rep, size)
    assert r.worst_batch_residents >= worst - 1e-9
    assert r.lower_bound <= worst + 1e-9
    if r.lower_bound < r.worst_batch_residents - 1e-9:
        assert "MILP skipped" in r.status and "MILP" in r.message
        assert not r.proven_optimal


def test_schedule_lists_every_problem() -> None:
    with pytest.raises(InputError) as err:
        schedule_repairs(
            sched_matrix(),
            SCHED_POP,
            [0, 0, 3, 7],
            batch_size=0,
            working=[True, True, True, False],
            method="fast",
            time_limit_s=-1,
        )
    text = "\n".join(err.value.problems)
    assert "outside 0..3" in text  # 7
    assert "batch_size=0" in text
    assert "method='fast'" in text
    assert "time_limit_s=-1" in text
    with pytest.raises(InputError) as err:
        schedule_repairs(sched_matrix(), SCHED_POP, [0, 0, 3], batch_size=2, working=[1, 1, 1, 0])
    text = "\n".join(err.value.problems)
    assert "[0] more than once" in text
    assert "[3] that are not working" in text
    with pytest.raises(InputError, match=r"batch_size=1\.5"):
        schedule_repairs(sched_matrix(), SCHED_POP, [0], batch_size=1.5)


# --------------------------------------------------------------------------------------------
# relocation_gains
# --------------------------------------------------------------------------------------------
#
#   building:       0   1   2   3       residents 10, 20, 30, 40
#   station 0:      x   x   .   .
#   station 1:      .   x   x   .       covered now: 0, 1, 2 -> 60
#   candidate 0:    .   .   x   x
#   candidate 1:    x   x   .   x
#   candidate 2:    .   .   .   .
#
# Moving station 0 (alone left: station 1 -> {1, 2} = 50):
#   to c0 -> {1,2,3} = 90, gain +30; to c1 -> {0,1,2,3} = 100, gain +40; to c2 -> 50, gain -10.
# Moving station 1 (left: station 0 -> {0, 1} = 30), allowed c0 and c2:
#   to c0 -> 100, gain +40; to c2 -> 30, gain -30.


def reloc_matrices() -> tuple[sp.csr_array, sp.csr_array]:
    stations = sp.csr_array((np.ones(4), ([0, 0, 1, 1], [0, 1, 1, 2])), shape=(2, 4))
    cands = sp.csr_array((np.ones(5), ([0, 0, 1, 1, 1], [2, 3, 0, 1, 3])), shape=(3, 4))
    return cands, stations


def test_relocation_hand_example() -> None:
    cands, stations = reloc_matrices()
    best, gain = relocation_gains(
        cands, stations, HAND_POP, [0, 1, 0, 1], [[0, 1, 2], [2, 0], [2], []]
    )
    assert best.tolist() == [1, 0, 2, -1]
    assert gain[:3].tolist() == [40.0, 40.0, -10.0]
    assert np.isnan(gain[3])


def test_relocation_of_a_closed_station_is_opening_the_site() -> None:
    # station 1 closed: covered now {0, 1} = 30; "moving" it to c0 adds {2, 3}: +70
    cands, stations = reloc_matrices()
    best, gain = relocation_gains(
        cands, stations, HAND_POP, [1], [[0, 2]], working=np.array([True, False])
    )
    assert best.tolist() == [0] and gain.tolist() == [70.0]


def test_relocation_ties_go_to_the_lowest_candidate() -> None:
    stations = sp.csr_array((np.ones(1), ([0], [0])), shape=(1, 2))
    cands = sp.csr_array((np.ones(3), ([0, 1, 2], [1, 1, 0])), shape=(3, 2))
    best, gain = relocation_gains(cands, stations, np.array([5.0, 5.0]), [0], [[2, 1, 0]])
    # c2 keeps building 0 (gain 0), c0 and c1 trade building 0 for building 1 (gain 0)
    assert best.tolist() == [0] and gain.tolist() == [0.0]


@pytest.mark.parametrize("seed", range(25))
def test_relocation_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n_st, n_c, n_dem = int(rng.integers(1, 7)), int(rng.integers(1, 8)), int(rng.integers(1, 14))
    stations, pop, dense = random_instance(rng, n_st, n_dem, 0.35)
    cand_dense = rng.random((n_c, n_dem)) < 0.35
    cands = sp.csr_array(cand_dense.astype(float))
    work = rng.random(n_st) < 0.8
    rows = rng.integers(0, n_st, int(rng.integers(1, 6)))
    lists = [rng.choice(n_c, int(rng.integers(0, n_c + 1)), replace=False) for _ in rows]
    best, gain = relocation_gains(cands, stations, pop, rows, lists, working=work)
    now = covered(dense, pop, work)
    for i, (s, allowed) in enumerate(zip(rows, lists, strict=True)):
        if allowed.size == 0:
            assert best[i] == -1 and np.isnan(gain[i])
            continue
        without = work.copy()
        without[s] = False
        gains = {
            int(c): float(pop[dense[without].any(axis=0) | cand_dense[c]].sum()) - now
            for c in allowed
        }
        top = max(gains.values())
        assert gain[i] == pytest.approx(top)
        assert best[i] == min(c for c, g in gains.items() if g >= top - 1e-9)


def test_relocation_lists_every_problem() -> None:
    cands, stations = reloc_matrices()
    with pytest.raises(InputError) as err:
        relocation_gains(cands[:, :3], stations, HAND_POP, [0, 5], [[0], [9], [1]])
    text = "\n".join(err.value.problems)
    assert "S_candidates has 3 demand columns" in text
    assert "station_rows holds indices outside 0..1" in text
    assert "candidate_rows_per_station has 3 entries but station_rows has 2" in text
    with pytest.raises(InputError) as err:
        relocation_gains(cands, stations, HAND_POP, [0, 1], [[0], [9]])
    assert "candidate_rows_per_station[1] holds indices outside 0..2" in err.value.problems[0]
    with pytest.raises(InputError, match="S_stations is a ndarray"):
        relocation_gains(cands, stations.toarray(), HAND_POP, [0], [[0]])
