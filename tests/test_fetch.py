"""Downloading an area: tested offline against a stored response (tiny_walk.osm)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pytest
import shapely

from planner.errors import FetchError, InputError
from planner.fetch import fetch_osm, overpass_query
from planner.osm import read_osm
from tests.conftest import TINY, TINY_CRS


@dataclass
class _Response:
    content: bytes
    status_code: int = 200


class _StoredSession:
    """Stands in for requests.Session: answers every POST with a stored response."""

    def __init__(self, response: _Response) -> None:
        self.response = response
        self.calls: list[tuple[str, dict[str, str]]] = []

    def post(self, url: str, *, data: dict[str, str], timeout: float) -> _Response:
        self.calls.append((url, data))
        return self.response


class _NoInternet:
    def post(self, url: str, *, data: dict[str, str], timeout: float) -> _Response:
        raise ConnectionError("Temporary failure in name resolution")


def test_query_asks_for_every_layer_in_south_west_north_east_order():
    query = overpass_query((76.85, 43.20, 76.98, 43.30))
    assert 'way["highway"](43.2,76.85,43.3,76.98);' in query
    for layer in ('"building"', '"amenity"="police"', '"landuse"="residential"', "boundary"):
        assert layer in query
    assert query.rstrip().endswith("out meta;")


def test_bbox_download_is_saved_and_readable(tmp_path):
    session = _StoredSession(_Response(TINY.read_bytes()))
    out = fetch_osm(tmp_path / "area.osm", bbox=(0.0, -0.001, 0.003, 0.003), session=session)
    assert len(session.calls) == 1
    assert "(-0.001,0.0,0.003,0.003)" in session.calls[0][1]["data"]
    data = read_osm(out, crs=TINY_CRS)
    assert len(data.buildings) == 3
    assert len(data.police) == 1


def test_place_download_saves_the_boundary(tmp_path):
    polygon = shapely.box(0.0, 0.0, 0.002, 0.002)

    def geocoder(place: str) -> gpd.GeoDataFrame:
        assert place == "Tiny town"
        return gpd.GeoDataFrame(geometry=[polygon], crs=4326)

    session = _StoredSession(_Response(TINY.read_bytes()))
    out = fetch_osm(tmp_path / "tiny.osm", place="Tiny town", session=session, geocoder=geocoder)
    boundary = gpd.read_file(tmp_path / "tiny.boundary.geojson")
    assert boundary.geometry.iloc[0].equals_exact(polygon, tolerance=1e-12)
    assert "(0.0,0.0,0.002,0.002)" in session.calls[0][1]["data"]
    assert (
        read_osm(out, boundary=tmp_path / "tiny.boundary.geojson", crs=TINY_CRS).police.shape[0]
        == 1
    )


def test_no_internet_is_clear_and_leaves_the_old_file(tmp_path):
    out = tmp_path / "area.osm"
    out.write_text("previous download")
    with pytest.raises(FetchError, match="could not reach") as info:
        fetch_osm(out, bbox=(0, 0, 1, 1), session=_NoInternet())
    assert "internet" in str(info.value)
    assert out.read_text() == "previous download"
    assert list(tmp_path.iterdir()) == [out]


def test_busy_server_is_clear(tmp_path):
    session = _StoredSession(_Response(b"<html>rate_limited</html>", status_code=429))
    with pytest.raises(FetchError, match="Overpass answered 429"):
        fetch_osm(tmp_path / "a.osm", bbox=(0, 0, 1, 1), session=session)
    assert not (tmp_path / "a.osm").exists()


def test_place_or_bbox_required(tmp_path):
    with pytest.raises(InputError, match="either a place name or a bounding box"):
        fetch_osm(tmp_path / "a.osm")


def test_geocoder_offline_is_not_blamed_on_the_spelling(tmp_path):
    class NameResolutionError(Exception):
        pass

    def offline(place: str) -> gpd.GeoDataFrame:
        # what requests raises without a network, wrapping urllib3's error
        try:
            raise NameResolutionError("Failed to resolve 'nominatim.openstreetmap.org'")
        except NameResolutionError as inner:
            raise type("ConnectionError", (Exception,), {})("Max retries exceeded") from inner

    with pytest.raises(FetchError) as info:
        fetch_osm(tmp_path / "a.osm", place="Almaty", geocoder=offline, session=_NoInternet())
    message = str(info.value)
    assert "could not reach the geocoder (Nominatim)" in message
    assert "needs the internet" in message and "spelling" not in message

    def unknown(place: str) -> gpd.GeoDataFrame:
        raise ValueError("Nominatim could not geocode query 'Almatyy'")

    with pytest.raises(FetchError, match="Check the spelling"):
        fetch_osm(tmp_path / "a.osm", place="Almatyy", geocoder=unknown, session=_NoInternet())


@pytest.mark.parametrize(
    ("bbox", "problem"),
    [
        ((76.98, 43.20, 76.85, 43.30), "west=76.98 is not west of east=76.85; are west and east"),
        ((76.85, 43.30, 76.98, 43.20), "south=43.3 is not south of north=43.2; are south and"),
        ((76.85, 43.20, 196.98, 43.30), "longitudes must be within -180..180"),
    ],
)
def test_impossible_bbox_is_refused_before_going_online(tmp_path, bbox, problem):
    session = _StoredSession(_Response(TINY.read_bytes()))
    with pytest.raises(InputError) as info:
        fetch_osm(tmp_path / "a.osm", bbox=bbox, session=session)
    assert problem in str(info.value)
    assert session.calls == []
