"""Download a fresh area from OpenStreetMap (needs the internet; everything else works offline).

:func:`fetch_osm` asks the Overpass API for everything the planner reads (streets, buildings,
police, residential land use, administrative boundaries) in a bounding box, or in the box of a
place found by OSMnx's geocoder (Nominatim), and saves it as an ``.osm`` file for offline reuse
with :func:`planner.osm.read_osm`. For a place, the boundary polygon is saved next to it as
GeoJSON so later runs can clip to the exact area (``read_osm(path, boundary=...)``).

The HTTP layer is a parameter (``session``, anything with a ``requests``-like ``post``), so the
tests run offline against stored responses.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from planner import i18n
from planner._files import write_bytes
from planner.errors import FetchError, InputError
from planner.i18n import gettext

__all__ = ["DEFAULT_OVERPASS_URL", "FetchError", "fetch_osm", "overpass_query"]

log = logging.getLogger(__name__)

DEFAULT_OVERPASS_URL = "https://overpass-api.de/api/interpreter"


class _Session(Protocol):
    def post(self, url: str, *, data: dict[str, str], timeout: float) -> Any: ...


def overpass_query(bbox: tuple[float, float, float, float], *, timeout_s: int = 180) -> str:
    """The Overpass QL query for the planner's layers in ``(west, south, east, north)``."""
    west, south, east, north = bbox
    box = f"({south},{west},{north},{east})"
    parts = [
        f'way["highway"]{box};',
        f'way["building"]{box};',
        f'relation["building"]{box};',
        f'node["amenity"="police"]{box};',
        f'way["amenity"="police"]{box};',
        f'relation["amenity"="police"]{box};',
        f'way["landuse"="residential"]{box};',
        f'relation["landuse"="residential"]{box};',
        f'relation["boundary"="administrative"]{box};',
    ]
    body = "\n  ".join(parts)
    return f"[out:xml][timeout:{timeout_s}];\n(\n  {body}\n);\n(._;>;);\nout meta;\n"


def fetch_osm(
    out_path: str | Path,
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    overpass_url: str = DEFAULT_OVERPASS_URL,
    timeout_s: int = 180,
    session: _Session | None = None,
    geocoder: Any = None,
) -> Path:
    """Download an area from OpenStreetMap and save it as an ``.osm`` file.

    Parameters
    ----------
    out_path
        Where to write the ``.osm`` file. Written atomically: a failed download leaves any
        previous file in place.
    place
        A place name for the geocoder, e.g. ``"Almaty, Kazakhstan"``.
    bbox
        Or a box ``(west, south, east, north)`` in degrees.
    overpass_url
        The Overpass API endpoint.
    timeout_s
        Server and client time limit.
    session
        HTTP session with a ``post`` method (``requests.Session()`` by default).
    geocoder
        Function turning a place name into a GeoDataFrame of its boundary
        (``osmnx.geocode_to_gdf`` by default).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if (place is None) == (bbox is None):
        raise InputError(
            gettext("fetch_osm: give either a place name or a bounding box"),
            hint=gettext("e.g. {example} or {other}.").format(
                example='place="Almaty, Kazakhstan"', other="bbox=(76.85, 43.20, 76.98, 43.30)"
            ),
        )
    if bbox is not None:
        check_bbox(bbox)
    out_path = Path(out_path)
    boundary = None
    if place is not None:
        if geocoder is None:
            import osmnx as ox

            geocoder = ox.geocode_to_gdf
        try:
            boundary = geocoder(place)
        except Exception as exc:
            if _is_network_failure(exc):
                raise FetchError(
                    gettext(
                        "could not reach the geocoder (Nominatim) to look up {place}: {error}"
                    ).format(place=repr(place), error=exc),
                    gettext(
                        "This needs the internet: check the connection (or a proxy), then try "
                        "again. Offline, use an extract you already have (e.g. a Geofabrik "
                        ".osm.pbf) with --osm."
                    ),
                ) from None
            raise FetchError(
                gettext("could not find {place} with the geocoder ({error})").format(
                    place=repr(place), error=exc
                ),
                gettext("Check the spelling, add the country, or give a bounding box instead."),
            ) from None
        west, south, east, north = (float(v) for v in boundary.to_crs(4326).total_bounds)
        bbox = (west, south, east, north)
    assert bbox is not None
    if session is None:
        import requests

        session = requests.Session()
    query = overpass_query(bbox, timeout_s=timeout_s)
    log.info(gettext("asking Overpass for {bbox}").format(bbox=bbox))
    try:
        response = session.post(overpass_url, data={"data": query}, timeout=timeout_s + 30)
    except Exception as exc:
        raise FetchError(
            gettext("could not reach {url} ({error})").format(url=overpass_url, error=exc),
            gettext(
                "This needs the internet. Offline, use an extract you already have (e.g. a "
                "Geofabrik .osm.pbf) with --osm."
            ),
        ) from None
    status = getattr(response, "status_code", 200)
    content: bytes = response.content
    if status != 200 or not content.lstrip().startswith((b"<?xml", b"<osm")):
        detail = content[:300].decode("utf-8", "replace").strip()
        raise FetchError(
            gettext("Overpass answered {status} instead of OSM data: {detail}").format(
                status=status, detail=detail
            ),
            gettext(
                "The server may be busy (429/504): wait a minute and try again, or try a "
                "smaller area."
            ),
        )
    if b"<remark>" in content[:2000] and b"runtime error" in content[:2000]:
        raise FetchError(
            gettext(
                "Overpass stopped the query part-way (runtime error); the data would be "
                "incomplete"
            ),
            gettext("Try a smaller area or a longer timeout_s."),
        )
    write_bytes(out_path, content)
    if boundary is not None:
        boundary_path = out_path.with_name(out_path.name.split(".")[0] + ".boundary.geojson")
        boundary_text = boundary.to_crs(4326)[["geometry"]].to_json()
        write_bytes(boundary_path, boundary_text.encode())
    log.info(
        gettext("saved {file} ({size} MB)").format(
            file=out_path, size=_decimal_text(len(content) / 1e6)
        )
    )
    return out_path


def check_bbox(bbox: tuple[float, float, float, float]) -> None:
    """A box that cannot be right is refused before anything goes online."""
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(
            gettext("bbox {bbox}: expected four numbers (west, south, east, north)").format(
                bbox=repr(bbox)
            ),
            hint=gettext("e.g. {example} for central Almaty.").format(
                example="bbox=(76.85, 43.20, 76.98, 43.30)"
            ),
        ) from None
    problems = []
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        problems.append(
            gettext("west={west}, east={east}: longitudes must be within -180..180").format(
                west=f"{west:g}", east=f"{east:g}"
            )
        )
    elif west > east:
        problems.append(
            gettext("west={west} is not west of east={east}; are west and east exchanged?").format(
                west=f"{west:g}", east=f"{east:g}"
            )
        )
    elif west == east:
        problems.append(
            gettext("west={west} is not west of east={east}").format(
                west=f"{west:g}", east=f"{east:g}"
            )
        )
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        problems.append(
            gettext("south={south}, north={north}: latitudes must be within -90..90").format(
                south=f"{south:g}", north=f"{north:g}"
            )
        )
    elif south > north:
        problems.append(
            gettext(
                "south={south} is not south of north={north}; are south and north exchanged?"
            ).format(south=f"{south:g}", north=f"{north:g}")
        )
    elif south == north:
        problems.append(
            gettext("south={south} is not south of north={north}").format(
                south=f"{south:g}", north=f"{north:g}"
            )
        )
    if problems:
        raise InputError(
            gettext("bbox {bbox} is not a (west, south, east, north) box in degrees").format(
                bbox=repr(bbox)
            ),
            problems,
            gettext("e.g. {example} for central Almaty.").format(
                example="bbox=(76.85, 43.20, 76.98, 43.30)"
            ),
        )


def _decimal_text(value: float) -> str:
    """``12.3`` as printed so far (no thousands separator), with a decimal comma in ru/kk."""
    text = f"{value:.1f}"
    return text if i18n.language() == "en" else text.replace(".", ",")


def _is_network_failure(exc: BaseException) -> bool:
    """Whether a geocoder error means no connection (not an unknown place)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | TimeoutError | OSError):
            return True
        names = {cls.__name__ for cls in type(current).__mro__}
        if names & {"ConnectionError", "Timeout", "NewConnectionError", "MaxRetryError"}:
            return True  # requests / urllib3, without importing them here
        current = current.__cause__ or current.__context__
    return False
