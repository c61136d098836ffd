"""Which candidate site covers which residential building within the walking limit.

The coverage matrix is sparse: row ``i`` holds the buildings a station at candidate ``i`` would
bring within ``max_walk_m`` (door to door, along the network), with the walking distance as the
value. It is built from one bounded Dijkstra per candidate on the access graph (run in blocks
of rows, so memory stays bounded), and only the pairs within the limit are kept: memory is
proportional to those pairs, never to buildings x candidates.

Stored values are distances in metres and can be exactly 0 (a site inside a building's own
door point); the matrix keeps such entries explicitly, so use its sparsity structure, not
``value > 0``, to read coverage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from planner.access import build_access_graph
from planner.distances import sites_inside_buildings, source_distances
from planner.errors import InputError
from planner.i18n import gettext
from planner.network import WalkNetwork
from planner.settings import WalkSettings
from planner.snapping import Snaps, door_points, snap_points

__all__ = ["CoverageMatrix", "coverage_matrix", "pairs_to_csr"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CoverageMatrix:
    """Sparse candidates x buildings coverage within ``max_walk_m``.

    Attributes
    ----------
    matrix
        ``scipy.sparse.csr_array`` of shape (n_candidates, n_buildings): walking distance in
        metres of each covered pair (explicit zeros possible).
    max_walk_m
        The walking limit.
    candidate_snap_m
        Straight distance from each candidate to the street (NaN when it did not snap).
    candidate_reached
        Whether each candidate reached the network within the snap limit.
    """

    matrix: sp.csr_array
    max_walk_m: float
    candidate_snap_m: np.ndarray
    candidate_reached: np.ndarray

    @property
    def n_pairs(self) -> int:
        return int(self.matrix.nnz)


def pairs_to_csr(
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    shape: tuple[int, int],
    *,
    presorted: bool = False,
) -> sp.csr_array:
    """A CSR array from unique (row, col) pairs, keeping explicit zero values.

    ``presorted``: the pairs are sorted by row, then column already (as :func:`_merge_pairs`
    leaves them), so no sort and no copy is made (a city's matrix holds tens of millions).
    """
    if not presorted:
        order = np.lexsort((cols, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        del order
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return sp.csr_array(
        (values.astype(float, copy=False), cols.astype(np.int64, copy=False), indptr),
        shape=shape,
    )


def _merge_pairs(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate (row, col, value) pairs, keeping the smallest value of a repeated pair;
    sorted by row, then column. ``parts`` is emptied as it is read (the caller keeps no other
    reference), so the pairs are held about twice at most, not four times."""

    def column(j: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[j] for p in parts]).astype(dtype, copy=False)

    rows, cols, values = column(0, np.int64), column(1, np.int64), column(2, float)
    parts.clear()
    order = np.lexsort((values, cols, rows))
    rows = rows[order]
    cols = cols[order]
    values = values[order]
    del order
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    if first.all():
        return rows, cols, values
    return rows[first], cols[first], values[first]


def coverage_matrix(
    network: WalkNetwork,
    buildings: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    settings: WalkSettings | None = None,
    building_snaps: Snaps | None = None,
    block_bytes: int = 64 * 2**20,
) -> CoverageMatrix:
    """Which candidates cover which buildings within ``settings.max_walk_m``, door to door.

    Parameters
    ----------
    network
        The walk network (metric CRS).
    buildings
        Residential buildings in the network's CRS (rows are the matrix's columns, in order).
    candidates
        Candidate sites (rows of the matrix, in order).
    settings
        Walking limit and snapping limit.
    building_snaps
        The buildings already snapped with ``settings.max_snap_m`` (e.g. ``WalkResult.
        building_snaps``), to skip snapping them again.
    block_bytes
        Memory for one block of distance rows during the searches.

    Returns
    -------
    CoverageMatrix
    """
    settings = settings or WalkSettings()
    for frame, what in ((buildings, "buildings"), (candidates, "candidates")):
        if frame.crs != network.crs:
            raise InputError(
                gettext(
                    "coverage_matrix: the {what} are in {crs}, the network in {network_crs}"
                ).format(what=what, crs=frame.crs, network_crs=network.crs),
                hint=gettext("Project them first: {example}.").format(
                    example=f"{what}.to_crs(network.crs)"
                ),
            )
    b_snaps = building_snaps
    if b_snaps is None or len(b_snaps) != len(buildings):
        b_snaps = snap_points(network, door_points(buildings), max_snap_m=settings.max_snap_m)
    c_snaps = snap_points(network, door_points(candidates), max_snap_m=settings.max_snap_m)
    access = build_access_graph(
        network, {"buildings": b_snaps, "candidates": c_snaps}, doors=["candidates"]
    )
    pairs = source_distances(
        access,
        sources="candidates",
        targets="buildings",
        limit_m=settings.max_walk_m,
        block_bytes=block_bytes,
    )
    # a candidate inside a building reaches it at 0 m (not out to the street and back in)
    inside_site, inside_building = sites_inside_buildings(candidates, buildings)
    keep = c_snaps.reached[inside_site]
    parts = [
        (pairs.source, pairs.target, pairs.walk_m),
        (inside_site[keep], inside_building[keep], np.zeros(int(keep.sum()))),
    ]
    del pairs  # the parts are the only reference: _merge_pairs frees them as it goes
    rows, cols, walk_m = _merge_pairs(parts)
    matrix = pairs_to_csr(rows, cols, walk_m, (len(candidates), len(buildings)), presorted=True)
    del rows, cols, walk_m
    log.info(
        gettext(
            "coverage matrix: {candidates} candidates x {buildings} buildings, {pairs} pairs "
            "within {metres} m"
        ).format(
            candidates=len(candidates),
            buildings=len(buildings),
            pairs=matrix.nnz,
            metres=f"{settings.max_walk_m:.0f}",
        )
    )
    return CoverageMatrix(
        matrix=matrix,
        max_walk_m=settings.max_walk_m,
        candidate_snap_m=c_snaps.snap_distance_m,
        candidate_reached=c_snaps.reached,
    )
