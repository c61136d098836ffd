"""Shared fixtures: the hand-made tiny network and the bundled real cities (read once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.network import WalkNetwork, build_walk_network
from planner.osm import OsmData, read_osm

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
ALMATY = DATA / "almaty_2012.osm.pbf"
BISHKEK = DATA / "bishkek_2025_center.osm.gz"
TINY = TEST_DATA / "tiny_walk.osm"
#: A sphere on which one metre is exactly 9e-6 degrees: tiny_walk.osm's coordinates are exact
#: metres in it (see the comment at the top of that file).
TINY_CRS = "+proj=eqc +R=6366197.723675814 +units=m +no_defs"


@pytest.fixture(scope="session")
def tiny_osm() -> OsmData:
    return read_osm(TINY, crs=TINY_CRS)


@pytest.fixture(scope="session")
def tiny_network(tiny_osm: OsmData) -> WalkNetwork:
    return build_walk_network(tiny_osm)


@pytest.fixture(scope="session")
def almaty_osm() -> OsmData:
    return read_osm(ALMATY)


@pytest.fixture(scope="session")
def almaty_network(almaty_osm: OsmData) -> WalkNetwork:
    return build_walk_network(almaty_osm)


@pytest.fixture(scope="session")
def bishkek_osm() -> OsmData:
    return read_osm(BISHKEK)


@pytest.fixture(scope="session")
def bishkek_network(bishkek_osm: OsmData) -> WalkNetwork:
    return build_walk_network(bishkek_osm)
