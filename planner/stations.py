"""Existing police stations, from OpenStreetMap or from a user's file.

Every station frame has the same columns, whatever its source:

``station_id``
    Stable text id: ``"osm:node/123"`` (OSM element type and id) for OSM stations,
    ``"<file name>:<row>"`` (e.g. ``"stations.csv:14"``) or the value of ``id_column`` for
    stations read from a file.
``name``
    The name (``None`` when unnamed).
``source``
    ``"osm"`` or ``"file"``.
``kind``
    What the name and tags say the station is (see :func:`station_kind`): ``"district_post"``,
    ``"department"``, ``"traffic"``, ``"non_public"`` or ``"other"``.
``usable``, ``problem``
    Stations that cannot be used stay in the frame with ``usable=False`` and the reason in
    ``problem`` (``""`` when usable), so outputs can list them; :func:`mark_unusable` adds
    reasons found later (outside the network, too far from any walkable street).
``geometry``
    A point in the metric CRS of the walk network (polygons are replaced by a point inside).

``status``
    ``"open"``, ``"planned"`` (due to open, not working yet), ``"repair"`` (needs repair; still
    working unless a scenario closes it) or ``"closed"``; from the file's status column
    (English, Russian or Kazakh spellings, see :data:`STATUS_SPELLINGS`), ``"open"`` when the
    file has none and for OSM stations. Only ``open`` and ``repair`` stations serve residents
    today (:func:`working`).
``inspectors``
    District inspectors at the station now, from the file's inspectors column (NaN when the
    file has none or the cell is blank).

OSM stations also keep ``osm_type``, ``osm_id``, ``amenity`` and ``police``; file stations keep
``row`` and the other columns of the file.

Which OSM police features count
-------------------------------
The plan is about stations residents walk to: district police posts (участковый пункт полиции,
УПП, ОПП, "участок полиции №51") and district departments (РУВД, УП района), which also receive
the public. By default :func:`stations_from_osm` therefore keeps every ``amenity=police``
feature **except**

* traffic police (``police=traffic_police``, or a name with ГАИ (also ОблГАИ), ГИБДД, ДПС,
  МАИ, УДП/ОДП (управление/отдел дорожной полиции), "дорожная/дорожно-патрульная полиция",
  "жол полициясы", "экзамены на права", "traffic"): their posts serve drivers, not the
  residents of a district;
* police facilities closed to the public (``police=barracks``, ``car_pound``, ``detention``,
  ``training``, ``range``, ``storage``, ``naval_base``, ``car_repair``, ``dog_unit``, ``horse``,
  ``checkpoint``; names with ИВС, СИЗО, изолятор, спецприёмник, штрафстоянка).

Excluded stations are kept with ``usable=False`` and the reason, never dropped. Unnamed
``amenity=police`` points are kept (kind ``"other"``): in OSM for Kazakh cities many district
posts are unnamed, and dropping them would overstate the gaps. Pass ``exclude_kinds`` to change
the rule, e.g. ``exclude_kinds=("traffic", "non_public", "department", "other")`` to plan with
district posts only.

The same station is often mapped twice (a node on the door and the building outline, both
tagged ``amenity=police``). Stations closer than ``merge_within_m`` whose names agree (or one of
which is unnamed) are one station: the named one (then node before way before relation) is kept
and the others are marked as duplicates of it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import i18n
from planner._crs import require_metric_crs
from planner._tables import mark_unusable, read_point_table
from planner.errors import InputError
from planner.i18n import N_, gettext, ngettext

__all__ = [
    "STATION_KINDS",
    "STATUSES",
    "STATUS_SPELLINGS",
    "beyond_reach_text",
    "mark_unusable",
    "parse_status",
    "read_stations",
    "station_kind",
    "stations_from_osm",
    "walking_reach_lonlat_bounds",
    "working",
]

logger = logging.getLogger(__name__)

#: Kinds of police station told apart by :func:`station_kind`.
STATION_KINDS = ("district_post", "department", "traffic", "non_public", "other")
#: Kinds excluded by default from the stations residents walk to.
DEFAULT_EXCLUDED_KINDS = ("traffic", "non_public")

_TRAFFIC_TAGS = frozenset({"traffic_police", "traffic"})
_NON_PUBLIC_TAGS = frozenset(
    {
        "barracks",
        "car_pound",
        "detention",
        "training",
        "range",
        "storage",
        "naval_base",
        "car_repair",
        "dog_unit",
        "horse",
        "checkpoint",
    }
)
_TRAFFIC_NAME = re.compile(
    r"гаи\b|\bгибдд|\bдпс\b|\bмаи\b|\b[уо]дп\b|traffic|автоинспекц"
    r"|дорожн\w*[\s-]*(патрул|полиц)|\bжол\s+(полиц|патрул)|экзамен\w*\s+на\s+прав",
    re.IGNORECASE,
)
_NON_PUBLIC_NAME = re.compile(
    r"\b(ивс|сизо)\b|изолятор|спецпри[её]мник|штраф\w*\s*(стоянк|площадк)|штрафстоянк",
    re.IGNORECASE,
)
_DISTRICT_NAME = re.compile(
    r"\b(упп|опп|уип)\b|участ(?:ок|ков)\w*|пункт\w*\s+полиц|опорн\w*\s+пункт|учаскелік",
    re.IGNORECASE,
)
_DEPARTMENT_NAME = re.compile(
    r"\b(р?увд|гувд|р?овд|двд|дп|уп|гом|р?ом)\b|(управлени|отдел|департамент)\w*\s+(полиц|милиц)"
    r"|полиция\s+(басқармасы|бөлімі|департаменті)",
    re.IGNORECASE,
)
_TYPE_ORDER = {"node": 0, "way": 1, "relation": 2}

#: The statuses of a station, in this order.
STATUSES = ("open", "planned", "repair", "closed")
#: Accepted spellings of each status, compared after :func:`_status_key`: lower case, ё as е,
#: punctuation and extra spaces removed, and Kazakh letters folded to the Russian letters they
#: are typed as on a keyboard without them (ә->а, ғ->г, қ->к, ң->н, ө->о, ұ/ү->у, һ->х, і->и;
#: a Latin look-alike inside a Cyrillic word, like the Latin "i" for "і", counts as Cyrillic), so
#: "жондеуде" is "жөндеуде". English, Russian and Kazakh, as station lists are kept in
#: Kazakhstan.
STATUS_SPELLINGS: dict[str, tuple[str, ...]] = {  # untranslated: spellings read from files
    "open": (
        "open", "opened", "working", "active", "operating", "in operation", "in service", "ok",
        "открыт", "открыта", "открыто", "открытый", "работает", "действует", "действующий",
        "функционирует", "функционирующий", "в работе", "ашық", "ашылған", "ашық тұр",
        "жұмыс істейді", "жұмыс істеп тұр", "жұмыс істеуде", "қызмет етеді",
    ),
    "planned": (
        "planned", "plan", "to open", "due to open", "not yet open", "under construction",
        "proposed", "планируется", "планируемый", "запланирован", "запланировано",
        "к открытию", "планируется к открытию", "планируется открытие", "будет открыт",
        "не открыт", "строится", "на стадии строительства", "в проекте", "проектируется",
        "жоспарланған", "жоспарлануда", "ашылады", "ашылуы жоспарланған", "салынуда",
        "салынып жатыр", "құрылыста",
    ),
    "repair": (
        "repair", "needs repair", "under repair", "in repair", "being repaired", "renovation",
        "under renovation", "ремонт", "на ремонте", "в ремонте", "ремонтируется",
        "идет ремонт", "находится на ремонте", "находится в ремонте", "требует ремонта",
        "требуется ремонт", "нуждается в ремонте", "капремонт", "на капремонте",
        "капитальный ремонт", "требует капитального ремонта", "требуется капитальный ремонт",
        "нуждается в капитальном ремонте", "жөндеу", "жөндеуде", "жөнделуде",
        "жөндеу жүргізілуде", "күрделі жөндеу", "жөндеуді қажет етеді", "жөндеу қажет",
    ),
    "closed": (
        "closed", "shut", "shut down", "not working", "not in operation", "inactive",
        "temporarily closed", "закрыт", "закрыта", "закрыто", "временно закрыт",
        "не работает", "временно не работает", "не действует", "ликвидирован", "упразднен",
        "жабық", "жабылған", "жабылды", "уақытша жабық", "жұмыс істемейді",
    ),
}  # fmt: skip
#: Kazakh letters as typed without a Kazakh keyboard.
_KAZAKH_FOLD = str.maketrans(
    {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и"}
)
#: Latin letters that look like Cyrillic ones (lower case), read as Cyrillic inside a word
#: that also has Cyrillic letters.
_LATIN_LOOKALIKES = str.maketrans(
    {"a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "и", "k": "к", "m": "м",
     "o": "о", "p": "р", "t": "т", "x": "х", "y": "у"}
)  # fmt: skip
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")


def _status_key(value: object) -> str:
    """``value`` as compared with :data:`STATUS_SPELLINGS` (see there)."""
    text = str(value).lower().replace("ё", "е")
    words = []
    for word in re.sub(r"[^\w\s]|_", " ", text).split():
        if _CYRILLIC.search(word) and _LATIN.search(word):
            word = word.translate(_LATIN_LOOKALIKES)
        words.append(word.translate(_KAZAKH_FOLD))
    return " ".join(words)


_STATUS_LOOKUP = {_status_key(v): k for k, vs in STATUS_SPELLINGS.items() for v in vs}
#: Column names read as the status and as the number of inspectors (case-insensitive).
STATUS_COLUMNS = ("status", "статус", "состояние", "күйі", "мәртебесі", "мәртебе")
INSPECTOR_COLUMNS = (
    "inspectors", "inspectors_now", "инспекторы", "участковые", "число участковых",
    "количество участковых", "учаскелік инспекторлар", "инспекторлар",
)  # fmt: skip


def parse_status(values: Collection[object]) -> tuple[list[str | None], list[int]]:
    """Canonical statuses (:data:`STATUSES`) of ``values``; blank cells are ``"open"``.

    Returns the statuses (``None`` where unknown) and the positions of the unknown values.
    """
    out: list[str | None] = []
    unknown: list[int] = []
    for i, value in enumerate(values):
        if (
            value is None
            or (isinstance(value, float) and np.isnan(value))
            or not str(value).strip()
        ):
            out.append("open")
            continue
        status = _STATUS_LOOKUP.get(_status_key(value))
        if status is None:
            unknown.append(i)
        out.append(status)
    return out, unknown


def working(stations: pd.DataFrame) -> np.ndarray:
    """Stations serving residents today: usable and ``open`` or ``repair``."""
    usable = stations["usable"].to_numpy(dtype=bool)
    if "status" not in stations.columns:
        return usable
    status = stations["status"].to_numpy(dtype=object)
    return usable & np.isin(status, ["open", "repair"])


def station_kind(name: object, police_tag: object = None) -> str:
    """Classify a police station from its name and OSM ``police=*`` tag.

    Rules are tried in this order: traffic police, closed to the public, district post
    (УПП, ОПП, участок/участковый пункт полиции), department (РУВД, УВД, ОВД, УП, управление
    или отдел полиции), else ``"other"``.

    Examples
    --------
    >>> station_kind("Участковый пункт полиции №51")
    'district_post'
    >>> station_kind("РУВД Алмалинского района")
    'department'
    >>> station_kind("Пост ДПС")
    'traffic'
    """
    tag = police_tag.strip().lower() if isinstance(police_tag, str) else ""
    text = name.strip() if isinstance(name, str) else ""
    if tag in _TRAFFIC_TAGS or tag.startswith("traffic") or _TRAFFIC_NAME.search(text):
        return "traffic"
    if tag in _NON_PUBLIC_TAGS or _NON_PUBLIC_NAME.search(text):
        return "non_public"
    if _DISTRICT_NAME.search(text):
        return "district_post"
    if _DEPARTMENT_NAME.search(text):
        return "department"
    return "other"


def _check_kinds(exclude_kinds: Collection[str], *, function: str) -> tuple[str, ...]:
    if isinstance(exclude_kinds, str):
        exclude_kinds = (exclude_kinds,)
    unknown = [k for k in exclude_kinds if k not in STATION_KINDS]
    if unknown:
        raise InputError(
            gettext("{function}: unknown station kinds in exclude_kinds: {kinds}").format(
                function=function, kinds=unknown
            ),
            hint=gettext("Use some of {kinds}.").format(kinds=list(STATION_KINDS)),
        )
    return tuple(exclude_kinds)


#: Why a station of each excluded kind is unusable (message ids, shown translated).
_EXCLUSION_REASON = {
    "traffic": N_("excluded: traffic police (serves drivers, not residents)"),
    "non_public": N_("excluded: police facility closed to the public"),
    "district_post": N_("excluded: district post (exclude_kinds)"),
    "department": N_("excluded: district department (exclude_kinds)"),
    "other": N_("excluded: not recognisable as a district station (exclude_kinds)"),
}


def stations_from_osm(
    police: gpd.GeoDataFrame,
    *,
    exclude_kinds: Collection[str] = DEFAULT_EXCLUDED_KINDS,
    merge_within_m: float | None = 30.0,
) -> gpd.GeoDataFrame:
    """Police stations from the OSM ``police`` layer, with the ones residents cannot use marked.

    Parameters
    ----------
    police
        Police features from :mod:`planner.osm`: ``osm_id``, ``osm_type``, ``name`` and
        optionally ``amenity`` and ``police`` columns, in a metric CRS.
    exclude_kinds
        Kinds (see :func:`station_kind`) marked unusable. Default: traffic police and
        facilities closed to the public; see the module docstring for the reasoning.
    merge_within_m
        Stations this close whose names agree are the same station mapped twice; ``None``
        keeps them all.

    Returns
    -------
    geopandas.GeoDataFrame
        The station schema of the module docstring, aligned to the input index.
    """
    excluded = _check_kinds(exclude_kinds, function="stations_from_osm")
    crs = require_metric_crs(
        police.crs, what=N_("the police layer"), function="stations_from_osm"
    )
    missing = [c for c in ("osm_id", "osm_type") if c not in police.columns]
    if missing:
        raise InputError(
            ngettext(
                "stations_from_osm: the police layer has no column(s) {columns}",
                "stations_from_osm: the police layer has no column(s) {columns}",
                len(missing),
            ).format(columns=missing),
            [gettext("columns present: {columns}").format(columns=list(police.columns))],
            gettext(
                "Pass the 'police' frame returned by planner.osm, or build station ids yourself "
                "and use read_stations for a table."
            ),
        )
    if merge_within_m is not None and not (
        isinstance(merge_within_m, int | float) and 0 <= merge_within_m <= 1000
    ):
        raise InputError(
            gettext(
                "stations_from_osm: merge_within_m={value} is not a distance in 0..1000 m"
            ).format(value=repr(merge_within_m)),
            hint=gettext("Use e.g. 30 (metres) or None to keep every mapped feature."),
        )
    names = _text_column(police, "name")
    tags = _text_column(police, "police")
    osm_type = police["osm_type"].astype(str).str.strip().str.lower().to_numpy()
    osm_id = police["osm_id"].to_numpy()
    out = gpd.GeoDataFrame(
        {
            "station_id": [f"osm:{t}/{i}" for t, i in zip(osm_type, osm_id, strict=True)],
            "name": names,
            "source": "osm",
            "kind": [station_kind(n, t) for n, t in zip(names, tags, strict=True)],
            "usable": True,
            "problem": "",
            "osm_type": osm_type,
            "osm_id": osm_id,
            "amenity": _text_column(police, "amenity"),
            "police": tags,
            "status": "open",
            "inspectors": np.nan,
        },
        geometry=_as_points(police.geometry),
        crs=crs,
        index=police.index.copy(),
    )
    no_point = out.geometry.isna().to_numpy() | out.geometry.is_empty.to_numpy()
    out = mark_unusable(out, no_point, gettext("no geometry")) if no_point.any() else out
    for kind in excluded:
        mask = (out["kind"] == kind).to_numpy()
        if mask.any():
            out = mark_unusable(out, mask, gettext(_EXCLUSION_REASON[kind]))
    if merge_within_m is not None:
        out = _merge_duplicates(out, float(merge_within_m))
    counts = out["kind"].value_counts().to_dict()
    logger.info(  # untranslated: info log for developers (the CLI shows warnings only)
        "%d OSM police features: %d usable stations; kinds %s",
        len(out),
        int(out["usable"].sum()),
        counts,
    )
    return out


def read_stations(
    path: str | Path,
    *,
    crs: Any,
    area_lonlat_bounds: tuple[float, float, float, float] | None = None,
    name_column: str | None = None,
    id_column: str | None = None,
    exclude_kinds: Collection[str] = (),
    duplicate_tolerance_m: float | None = 1.0,
    layer: str | None = None,
    reach_lonlat_bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read police stations from a user's CSV, Excel, GeoJSON or GeoPackage file.

    Row checks (missing or non-numeric coordinates, out of range, swapped latitude and
    longitude, outside ``area_lonlat_bounds``, duplicates) are those of
    :func:`planner._tables.read_point_table`; bad rows stay in the result, unusable, with the
    file's row number and the reason.

    Parameters
    ----------
    path
        The file; CSV needs latitude/longitude columns (``lat``/``lon``, ``широта``/
        ``долгота``, ...).
    crs
        Metric CRS of the walk network.
    area_lonlat_bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the study area, to catch stations from
        another city and swapped coordinates.
    name_column, id_column
        Columns with names and ids. Without ``id_column`` a station's id is
        ``"<file name>:<row>"``.
    exclude_kinds
        Kinds marked unusable; none by default, since a list the user made is deliberate.
    duplicate_tolerance_m
        Stations closer than this to an earlier row are duplicates; ``None`` keeps them.
    layer
        Layer of a GeoPackage or sheet of an Excel workbook; by default the only one that
        fits (see :func:`planner._tables.read_point_table`).
    reach_lonlat_bounds
        Where a station can still serve the study area on foot
        (:func:`walking_reach_lonlat_bounds`): rows beyond it (a national list read for one
        city) are left out before any other step and counted in
        ``result.attrs["beyond_reach"]``; when every row is beyond it, an
        :class:`~planner.errors.InputError` says so.

    Returns
    -------
    geopandas.GeoDataFrame
        The station schema of the module docstring, plus ``row`` and the file's other columns.
    """
    excluded = _check_kinds(exclude_kinds, function="read_stations")
    table = read_point_table(
        path,
        what="stations",
        crs=crs,
        name_column=name_column,
        area_lonlat_bounds=area_lonlat_bounds,
        duplicate_tolerance_m=duplicate_tolerance_m,
        layer=layer,
        reach_lonlat_bounds=reach_lonlat_bounds,
    )
    beyond = int(table.attrs.get("beyond_reach", 0))
    path = Path(path)
    if id_column is None:
        ids = [f"{path.name}:{r}" for r in table["row"]]
    else:
        ids = _ids_from_column(table, id_column, path=path)
    kinds = [station_kind(n) for n in table["name"]]
    front = pd.DataFrame(
        {"station_id": ids, "name": table["name"], "source": "file", "kind": kinds},
        index=table.index,
    )
    rest = table.drop(columns=["name"])
    out = gpd.GeoDataFrame(pd.concat([front, rest], axis=1), geometry="geometry", crs=table.crs)
    out = out[
        ["station_id", "name", "source", "kind", "usable", "problem", "geometry"]
        + [
            c
            for c in out.columns
            if c not in {"station_id", "name", "source", "kind", "usable", "problem", "geometry"}
        ]
    ]
    if id_column is not None:
        duplicated = out["station_id"].duplicated(keep="first").to_numpy()
        if duplicated.any():
            out = mark_unusable(
                out,
                duplicated,
                gettext("column {column}: id used by an earlier row").format(
                    column=repr(id_column)
                ),
            )
    for kind in excluded:
        mask = (out["kind"] == kind).to_numpy()
        if mask.any():
            out = mark_unusable(out, mask, gettext(_EXCLUSION_REASON[kind]))
    out = _status_and_inspectors(out, path=path)
    out.attrs["beyond_reach"] = beyond
    out.attrs["illustrative"] = table.attrs.get("illustrative")
    return out


def beyond_reach_text(n: int) -> str:
    """The one sentence for the stations of a file left out as beyond walking reach."""
    return ngettext(
        "{n} station of the file lies beyond walking reach of this area and was left out",
        "{n} stations of the file lie beyond walking reach of this area and were left out",
        n,
    ).format(n=_count(n))


def _count(n: int) -> str:
    """A count in a message: as Python writes it in English, thousands apart in ru/kk."""
    return str(n) if i18n.language() == "en" else i18n.fmt_int(n)


def walking_reach_lonlat_bounds(
    extent_m: tuple[float, float, float, float], *, crs: Any, reach_m: float
) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` beyond which a station cannot serve the area.

    The one rule for setting aside the stations of a national list in a city run: a station
    serves residents only through a walkable street within the snapping limit, and every
    street lies inside the walk network's extent, so a station farther than ``reach_m`` (the
    walking limit plus the snapping limit) from that extent can serve nobody here. Stations
    just outside the study area but within reach are kept: they serve residents inside.

    Parameters
    ----------
    extent_m
        ``(min_x, min_y, max_x, max_y)`` of the walk network's streets, in ``crs``.
    crs
        The metric CRS of the walk network.
    reach_m
        How far beyond the streets a station still counts (``max_walk_m + max_snap_m``).

    Returns
    -------
    tuple of float
        The extent widened by ``reach_m`` and expressed in degrees (EPSG:4326), taken wide
        enough to hold the whole widened extent.
    """
    from pyproj import Transformer

    metric = require_metric_crs(
        crs, what=N_("the walk network's CRS"), function="walking_reach_lonlat_bounds"
    )
    if not np.isfinite(reach_m) or reach_m < 0:
        raise InputError(
            gettext(
                "walking_reach_lonlat_bounds: reach_m={value} is not a distance in metres"
            ).format(value=repr(reach_m)),
            hint=gettext("Pass max_walk_m + max_snap_m of the walking settings, e.g. 1050."),
        )
    x0, y0, x1, y1 = (float(v) for v in extent_m)
    to_degrees = Transformer.from_crs(metric, 4326, always_xy=True)
    lon0, lat0, lon1, lat1 = to_degrees.transform_bounds(
        x0 - reach_m, y0 - reach_m, x1 + reach_m, y1 + reach_m, densify_pts=21
    )
    return (max(-180.0, lon0), max(-90.0, lat0), min(180.0, lon1), min(90.0, lat1))


def _find(columns: Collection[object], names: tuple[str, ...]) -> object | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _status_and_inspectors(out: gpd.GeoDataFrame, *, path: Path) -> gpd.GeoDataFrame:
    """The ``status`` and ``inspectors`` columns from the file's own columns, checked by row."""
    out = out.copy()
    column = _find(out.columns, STATUS_COLUMNS)
    if column is None:
        out["status"] = "open"
    else:
        raw = out[column]
        statuses, unknown = parse_status(list(raw))
        out["status"] = statuses
        if unknown:
            rows = out["row"].to_numpy()
            for i in unknown:
                mask = np.zeros(len(out), dtype=bool)
                mask[i] = True
                out = mark_unusable(
                    out,
                    mask,
                    gettext(
                        "column {column}: status {value} is not one of open, planned, repair, "
                        "closed (or открыт/ашық, планируется/жоспарланған, ремонт/жөндеуде, "
                        "закрыт/жабық)"
                    ).format(column=repr(column), value=repr(raw.iloc[i])),
                )
            logger.warning(
                ngettext(
                    "{name}: {n} rows with an unknown status left out (rows {rows})",
                    "{name}: {n} rows with an unknown status left out (rows {rows})",
                    len(unknown),
                ).format(
                    name=path.name,
                    n=_count(len(unknown)),
                    rows=", ".join(str(rows[i]) for i in unknown[:10])
                    + (" ..." if len(unknown) > 10 else ""),
                )
            )
            if not out["usable"].any():
                raise InputError(
                    gettext("{path}: no usable station left").format(path=path),
                    [
                        gettext("row {row}: status {value} not recognised").format(
                            row=rows[i], value=repr(raw.iloc[i])
                        )
                        for i in unknown
                    ],
                    gettext(
                        "Use open, planned, repair or closed (Russian and Kazakh spellings are "
                        "accepted too) in the status column."
                    ),
                )
    inspectors = _find(out.columns, INSPECTOR_COLUMNS)
    if inspectors is None:
        out["inspectors"] = np.nan
        return out
    raw = out[inspectors].to_numpy(dtype=object)
    counts = np.full(len(out), np.nan)
    bad: list[int] = []
    for i, value in enumerate(raw):
        count = _inspector_count(value)
        if count is None:
            bad.append(i)
        else:
            counts[i] = count
    out["inspectors"] = counts
    if bad:
        rows = out["row"].to_numpy()
        for i in bad:
            mask = np.zeros(len(out), dtype=bool)
            mask[i] = True
            out = mark_unusable(
                out,
                mask,
                gettext(
                    "column {column}: {value} is not a number of inspectors (a whole number >= 0, "
                    "e.g. 3; leave the cell blank if unknown)"
                ).format(column=repr(inspectors), value=repr(_cell_text(raw[i]))),
            )
        logger.warning(
            ngettext(
                "{name}: column {column} holds {n} values that are not a number of inspectors "
                "(rows {rows}); those rows are left out (each is listed with its value in "
                "summary.md)",
                "{name}: column {column} holds {n} values that are not a number of inspectors "
                "(rows {rows}); those rows are left out (each is listed with its value in "
                "summary.md)",
                len(bad),
            ).format(
                name=path.name,
                column=repr(inspectors),
                n=_count(len(bad)),
                rows=", ".join(str(rows[i]) for i in bad[:10])
                + (" ..." if len(bad) > 10 else ""),
            )
        )
        if not out["usable"].any():
            raise InputError(
                gettext("{path}: no usable station left").format(path=path),
                [
                    gettext("row {row}: column {column}: {value} is not a number of inspectors")
                    .format(row=rows[i], column=repr(inspectors), value=repr(_cell_text(raw[i])))
                    for i in bad
                ],
                gettext(
                    "Give each station's inspectors as a whole number >= 0, or leave the cell "
                    "blank if unknown."
                ),
            )
    return out


_WHOLE_NUMBER = re.compile(r"(\d+)(?:[.,]0*)?")


def _inspector_count(value: object) -> float | None:
    """A cell of the inspectors column: the count, NaN when blank, None when not a count.

    Counts are whole numbers >= 0: text of digits (``"3"``, also ``"3.0"``/``"3,0"`` as
    spreadsheets write them) or a whole finite number; ``"2.5"``, ``"1e3"``, ``"inf"``, ``"-1"``
    and words are not counts.
    """
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return math.nan
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return float(value) if value >= 0 else None
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) and number >= 0 and number.is_integer() else None
    text = str(value).strip()
    if not text:
        return math.nan
    match = _WHOLE_NUMBER.fullmatch(text)
    return float(match.group(1)) if match else None


def _cell_text(value: object) -> str:
    """A cell as the user typed it (numbers from a spreadsheet without a trailing ``.0``)."""
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value).strip()


# ---------------------------------------------------------------------------------------------


def _text_column(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [_text(v) for v in frame[column].to_numpy(dtype=object)]


def _as_points(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Points stay, polygons and lines become a point on them (inside for polygons)."""
    geoms = np.asarray(geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    not_point = ~missing & (shapely.get_type_id(geoms) != 0)
    out = geoms.copy()
    if not_point.any():
        out[not_point] = shapely.point_on_surface(geoms[not_point])
    return gpd.GeoSeries(out, index=geometry.index, crs=geometry.crs)


def _text(value: object) -> str | None:
    """Text of a cell, ``None`` when missing (``None``, ``NaN``, ``pd.NA``) or blank."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    text = str(value).strip()
    return text or None


def _same_name(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _merge_duplicates(out: gpd.GeoDataFrame, within_m: float) -> gpd.GeoDataFrame:
    usable = np.flatnonzero(out["usable"].to_numpy(dtype=bool))
    if len(usable) < 2:
        return out
    geoms = np.asarray(out.geometry.values, dtype=object)[usable]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=within_m)
    pairs = left != right
    if not pairs.any():
        return out
    names = np.array([_text(v) for v in out["name"].to_numpy(dtype=object)[usable]], dtype=object)
    types = out["osm_type"].to_numpy(dtype=object)[usable]
    ids = out["station_id"].to_numpy(dtype=object)[usable]
    # Preference: named first, then node, way, relation, then the id (deterministic).
    order = sorted(
        range(len(usable)),
        key=lambda k: (names[k] is None, _TYPE_ORDER.get(types[k], 3), str(ids[k])),
    )
    rank = np.empty(len(usable), dtype=np.int64)
    rank[order] = np.arange(len(usable))
    neighbours: dict[int, list[int]] = {}
    for a, b in zip(left[pairs], right[pairs], strict=True):
        neighbours.setdefault(int(a), []).append(int(b))
    kept: set[int] = set()
    duplicate_of: dict[int, int] = {}
    for k in order:
        match = [j for j in neighbours.get(k, ()) if j in kept and _same_name(names[k], names[j])]
        if match:
            duplicate_of[k] = min(match, key=lambda j: rank[j])
        else:
            kept.add(k)
    # ``out`` is this module's own new frame, so it is updated in place.
    usable_col = out["usable"].to_numpy(dtype=bool).copy()
    problem_col = out["problem"].to_numpy(dtype=object).copy()
    for k, j in duplicate_of.items():
        gap = float(shapely.distance(geoms[k], geoms[j]))
        usable_col[usable[k]] = False
        problem_col[usable[k]] = gettext(
            "duplicate of {station} ({gap} m away): the same station mapped twice"
        ).format(station=ids[j], gap=f"{gap:.0f}")
    out["usable"] = usable_col
    out["problem"] = problem_col.astype(str)
    return out


def _ids_from_column(table: gpd.GeoDataFrame, id_column: str, *, path: Path) -> list[str]:
    matches = [c for c in table.columns if str(c).strip().lower() == id_column.strip().lower()]
    if not matches:
        raise InputError(
            gettext("stations file {name}: id column {column} not found").format(
                name=path.name, column=repr(id_column)
            ),
            [
                gettext("columns present: {columns}").format(
                    columns=[c for c in table.columns if c != "geometry"]
                )
            ],
            gettext("Name the id column in the call as it is written in the header line."),
        )
    values = table[matches[0]].to_numpy(dtype=object)
    return [_text(v) or f"{path.name}:{r}" for v, r in zip(values, table["row"], strict=True)]
