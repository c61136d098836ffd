"""Candidate sites for new stations: generated along the streets, residential buildings, or an
akimat's own list of proposals.

Generated candidates are pruned to those that could possibly matter: a site can only bring a
resident within the walking limit if the straight line between them is shorter than the limit
(a walk is never shorter than the straight line), so sites further than ``max_walk_m`` in a
straight line from every uncovered residential building are left out. The pruning is exact:
it never removes a site that could cover someone.

Every candidate frame has the columns ``candidate_id`` (unique text), ``source``
(``"network"``, ``"building"`` or ``"proposal"``), ``name`` and a point geometry in the network's
metric CRS; proposals read from a file also carry ``row``, ``usable`` and ``problem``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._crs import require_metric_crs
from planner._tables import read_point_table
from planner.errors import InputError
from planner.i18n import N_, gettext
from planner.network import WalkNetwork

__all__ = [
    "DEFAULT_SPACING_M",
    "building_candidates",
    "combine_candidates",
    "network_candidates",
    "read_candidates",
]

#: Spacing of generated candidates along the streets. 100 m is an eighth of the default walk:
#: moving a site by up to 50 m changes a 800 m catchment by a few per cent, far less than the
#: uncertainty of footprint-based population, while keeping the city's candidate count modest.
DEFAULT_SPACING_M = 100.0


def _near_mask(xy: np.ndarray, near_xy: np.ndarray | None, within_m: float | None) -> np.ndarray:
    """Which points lie within ``within_m`` (straight line) of any of ``near_xy``."""
    if near_xy is None:
        return np.ones(len(xy), dtype=bool)
    if within_m is None or not within_m > 0:
        raise InputError(
            gettext("candidates: within_m must be a positive distance when near_xy is given")
        )
    near_xy = np.asarray(near_xy, dtype=float).reshape(-1, 2)
    if len(near_xy) == 0 or len(xy) == 0:
        return np.zeros(len(xy), dtype=bool)
    tree = shapely.STRtree(shapely.points(near_xy))
    # one nearest neighbour per point is enough to know whether any lies within the distance
    hits, _ = tree.query_nearest(shapely.points(xy), max_distance=within_m, all_matches=False)
    mask = np.zeros(len(xy), dtype=bool)
    mask[hits] = True
    return mask


def _thin_to_grid(xy: np.ndarray, cell_m: float) -> np.ndarray:
    """Indices keeping one point per ``cell_m`` square: the one nearest the cell's centre."""
    cell = np.floor(xy / cell_m).astype(np.int64)
    offset = xy - (cell + 0.5) * cell_m
    dist2 = (offset**2).sum(axis=1)
    order = np.lexsort((np.arange(len(xy)), dist2, cell[:, 1], cell[:, 0]))
    sorted_cells = cell[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (sorted_cells[1:] != sorted_cells[:-1]).any(axis=1)
    return np.sort(order[first])


def network_candidates(
    network: WalkNetwork,
    *,
    spacing_m: float = DEFAULT_SPACING_M,
    near_xy: np.ndarray | None = None,
    within_m: float | None = None,
    component: int | None = None,
) -> gpd.GeoDataFrame:
    """Points along the walkable streets, about ``spacing_m`` metres apart.

    Each edge is cut into pieces of about ``spacing_m`` (at least one) and gets a point at the
    middle of each piece, so no point is duplicated at a junction. In a dense grid of short
    blocks that would put far more than one site per ``spacing_m``, so the points are then
    thinned to one per ``spacing_m`` x ``spacing_m`` square (the one nearest its centre): the
    result is an even sample of the street network at the requested resolution.

    Parameters
    ----------
    network
        The walk network.
    spacing_m
        Distance between consecutive candidates along an edge.
    near_xy, within_m
        Keep only points within ``within_m`` metres (straight line) of one of ``near_xy``
        (the doors of uncovered residential buildings, typically with the walking limit).
    component
        Keep only edges of this connected piece (0 is the largest); all pieces by default.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (``"street:<edge>:<k>"``), ``source`` = ``"network"``, ``name`` (the
        street's name, or e.g. ``"unnamed footway"``), ``edge``, ``position_m`` and the point
        geometry.
    """
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        raise InputError(
            gettext(
                "network_candidates: spacing_m={value} must be a positive number of metres"
            ).format(value=repr(spacing_m)),
            hint=gettext("e.g. {example}.").format(example="spacing_m=100"),
        )
    length = network.edge_length_m
    edges = np.arange(network.n_edges)
    if component is not None:
        edges = edges[network.component[network.edge_u] == component]
    count = np.maximum(1, np.floor(length[edges] / spacing_m + 0.5).astype(np.int64))
    edge = np.repeat(edges, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    # spread count points evenly: centred intervals of length L / count (about spacing_m)
    position = (k + 0.5) * (length[edge] / np.repeat(count, count))
    points = shapely.line_interpolate_point(network.edge_geometry[edge], position)
    keep = _thin_to_grid(shapely.get_coordinates(points), spacing_m)
    edge, k, position, points = edge[keep], k[keep], position[keep], points[keep]
    keep = np.flatnonzero(_near_mask(shapely.get_coordinates(points), near_xy, within_m))
    edge, k, position, points = edge[keep], k[keep], position[keep], points[keep]
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"street:{e}:{i}" for e, i in zip(edge, k, strict=True)],
            "source": "network",
            "name": _street_labels(network, edge),
            "edge": edge,
            "position_m": position,
        },
        geometry=gpd.GeoSeries(points, crs=network.crs),
    )


def _street_labels(network: WalkNetwork, edge: np.ndarray) -> list[str]:
    """A label a planner can find on the ground: the street's name, else its kind."""
    names = network.edge_name[edge] if network.edge_name is not None else [None] * len(edge)
    kinds = network.edge_highway[edge]
    unnamed, unnamed_street = gettext("unnamed {kind}"), gettext("unnamed street")
    return [
        name
        if isinstance(name, str) and name
        else (unnamed.format(kind=kind) if kind else unnamed_street)
        for name, kind in zip(names, kinds, strict=True)
    ]


def building_candidates(
    buildings: gpd.GeoDataFrame,
    *,
    near_xy: np.ndarray | None = None,
    within_m: float | None = None,
    min_floor_area_m2: float = 0.0,
) -> gpd.GeoDataFrame:
    """Residential buildings as candidate sites (a station is often a ground-floor flat).

    Parameters
    ----------
    buildings
        Residential buildings (the demand frame), metric CRS; ``floor_area_m2`` is used with
        ``min_floor_area_m2`` to keep only blocks large enough to host a station.
    near_xy, within_m
        As in :func:`network_candidates`.
    min_floor_area_m2
        Smallest total floor area of a building considered (0 keeps all).

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (``"building:<index>"``), ``source`` = ``"building"``, ``name``
        (address when known) and the building's representative point.
    """
    require_metric_crs(
        buildings.crs, what=gettext("the buildings"), function="building_candidates"
    )
    keep = np.ones(len(buildings), dtype=bool)
    if min_floor_area_m2 > 0:
        if "floor_area_m2" not in buildings.columns:
            raise InputError(
                gettext("building_candidates: min_floor_area_m2 needs a 'floor_area_m2' column"),
                hint=gettext("Use the demand frame from planner.demand."),
            )
        keep &= buildings["floor_area_m2"].to_numpy(dtype=float) >= min_floor_area_m2
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    keep &= _near_mask(shapely.get_coordinates(points), near_xy, within_m)
    chosen = buildings.index[keep]
    names: list[Any] = [None] * int(keep.sum())
    if {"addr:street", "addr:housenumber"} <= set(buildings.columns):
        street = buildings.loc[chosen, "addr:street"].to_numpy()
        number = buildings.loc[chosen, "addr:housenumber"].to_numpy()
        names = [
            f"{s} {n}" if isinstance(s, str) and isinstance(n, str) else None
            for s, n in zip(street, number, strict=True)
        ]
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"building:{i}" for i in chosen],
            "source": "building",
            "name": names,
        },
        geometry=gpd.GeoSeries(points[keep], crs=buildings.crs),
    )


#: How the two kinds of site files are named in messages (``what`` of :func:`read_candidates`).
_WHAT = {"candidate sites": N_("candidate sites"), "proposals": N_("proposals")}


def read_candidates(
    path: str | Path,
    *,
    crs: Any,
    area_lonlat_bounds: tuple[float, float, float, float] | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    what: Literal["candidate sites", "proposals"] = "candidate sites",
) -> gpd.GeoDataFrame:
    """An akimat's proposed sites from a CSV, Excel, GeoJSON or GeoPackage file.

    Rows are checked like stations (missing, non-numeric, out-of-range or swapped coordinates,
    outside the study area, duplicates); bad rows stay in the frame, unusable, with the reason.
    Give ``area_lonlat_bounds`` (e.g. :func:`planner.pipeline.study_area_lonlat_bounds`):
    without it a site in another city, or one with latitude and longitude exchanged, is only
    found when it stands apart from the other rows. ``layer`` is the layer of a GeoPackage or
    the sheet of a workbook. ``what`` names the file in messages: ``"proposals"`` for the
    sites to evaluate (:func:`planner.pipeline.evaluate_sites`), ``"candidate sites"`` for
    extra sites to choose from.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (``"proposal:<row>"``), ``source`` = ``"proposal"``, ``name``,
        ``row``, ``usable``, ``problem``, geometry.
    """
    table = read_point_table(
        path,
        what=gettext(_WHAT.get(what, what)),
        crs=crs,
        name_column=name_column,
        area_lonlat_bounds=area_lonlat_bounds,
        layer=layer,
    )
    out = table.copy()
    out.insert(0, "candidate_id", [f"proposal:{r}" for r in table["row"]])
    out.insert(1, "source", "proposal")
    return out


def combine_candidates(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stack candidate frames into one with a fresh 0..n-1 index (ids must stay unique)."""
    frames = tuple(f for f in frames if f is not None and len(f))
    if not frames:
        raise InputError(
            gettext("no candidate sites to choose from"),
            hint=gettext(
                "Generate candidates along the network (spacing_m) or give a proposals file."
            ),
        )
    crs = frames[0].crs
    out = gpd.GeoDataFrame(pd.concat([f.to_crs(crs) for f in frames], ignore_index=True), crs=crs)
    dup = out["candidate_id"].duplicated()
    if dup.any():
        raise InputError(
            gettext("candidate ids are not unique"),
            [
                gettext("{id} appears more than once").format(id=repr(i))
                for i in out.loc[dup, "candidate_id"].unique()[:10]
            ],
        )
    if "usable" in out.columns:
        out["usable"] = out["usable"].fillna(True).astype(bool)
        out["problem"] = out["problem"].fillna("").astype(str)
    return out
