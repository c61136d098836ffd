"""A 3x3 street grid with 100 m blocks, shared by the walking-distance tests.

::

    6 --e4-- 7 --e5-- 8 ~~ loop e14 (8 -> (300,200) -> (300,300) -> (200,300) -> 8), 400 m
    |        |        |
    e7       e9       e11
    |        |        |
    3 --e2-- 4 --e3-- 5      e13: a second, bent edge 4 -> (150,150) -> 5 (141.42 m)
    |        |        |
    e6       e8       e10
    |        |        |
    0 --e0-- 1 --e1-- 2      9 --e12-- 10: an isolated 100 m piece at x = 1000..1100

Node ``r * 3 + c`` is at ``(100 c, 100 r)`` (y grows upwards); CRS UTM 32633 (metres).
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.network import WalkNetwork

CRS = "EPSG:32633"
GRID_XY = np.array([[100.0 * c, 100.0 * r] for r in range(3) for c in range(3)])
GRID_U = np.array([0, 1, 3, 4, 6, 7, 0, 3, 1, 4, 2, 5])
GRID_V = np.array([1, 2, 4, 5, 7, 8, 3, 6, 4, 7, 5, 8])


def plain_grid() -> WalkNetwork:
    """Only the 12 grid edges e0..e11."""
    return WalkNetwork.from_edges(GRID_XY, GRID_U, GRID_V, crs=CRS)


def full_grid() -> WalkNetwork:
    """The grid plus the isolated piece e12, the bent parallel edge e13 and the loop e14."""
    xy = np.vstack([GRID_XY, [[1000.0, 0.0], [1100.0, 0.0]]])
    u = np.concatenate([GRID_U, [9, 4, 8]])
    v = np.concatenate([GRID_V, [10, 5, 8]])
    geoms = list(shapely.linestrings(np.stack([xy[u[:13]], xy[v[:13]]], axis=1)))
    geoms[12] = shapely.LineString([(1000, 0), (1100, 0)])
    geoms.append(shapely.LineString([(100, 100), (150, 150), (200, 100)]))
    geoms.append(shapely.LineString([(200, 200), (300, 200), (300, 300), (200, 300), (200, 200)]))
    return WalkNetwork.from_edges(xy, u, v, crs=CRS, edge_geometry=np.array(geoms, dtype=object))
