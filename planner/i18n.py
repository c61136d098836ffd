"""The user's language: gettext catalogs (managed with Babel) and Babel's number formats.

Everything a person reads (maps, memos, the command line's summary and messages) goes through
:func:`gettext` / :func:`ngettext` and the number formatters here; machine-readable outputs
(summary.json, national.json, GeoPackage columns) keep their English keys.

- Catalogs: ``planner/locale/<lang>/LC_MESSAGES/planner.po``, extracted with
  ``pybabel extract -F babel.cfg -o planner/locale/planner.pot .`` and updated with
  ``pybabel update -i planner/locale/planner.pot -d planner/locale -D planner``. They are read
  from the ``.po`` files at run time (compiled in memory by Babel), so a native speaker's
  correction of a ``.po`` file takes effect without a build step. Fuzzy entries are not used.
- Plural forms come from the catalog header, which ``pybabel init`` takes from CLDR: Russian
  has three (1 житель, 2 жителя, 5 жителей), Kazakh two, English two.
- Numbers: Babel's formats for ``ru`` and ``kk`` (a space between thousands, a decimal comma,
  a space before ``%``: ``1 124 910``, ``18,9 %``), with plain spaces where CLDR has no-break
  spaces, so that a number copied into a spreadsheet reads back. English keeps the formats the
  planner has always printed (``1 124 910``, ``18.9%``), byte for byte.

The map's JavaScript (``planner/static/*.js``) reads the same catalogs: its texts are
``gettext("...")``/``ngettext(...)`` calls that ``pybabel extract`` finds, and each map embeds
their translations in the language of the run, with the catalog's plural rule and the number
formats (:func:`js_script`, the page's ``plannerI18n``).

The language is chosen once per process (:func:`set_language`), from ``--lang``, else the
``PLANNER_LANG`` environment variable, else the system locale when it is Russian or Kazakh,
else English (:func:`resolve_language`). Dask workers are separate processes: the national run
hands them the language with the unit's options.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from planner.errors import InputError

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "LANGUAGES",
    "N_",
    "fmt_decimal",
    "fmt_int",
    "fmt_share",
    "gettext",
    "js_catalog",
    "js_messages",
    "js_numbers",
    "js_plural",
    "js_script",
    "language",
    "missing_translations",
    "ngettext",
    "resolve_language",
    "set_language",
    "using_language",
]

#: The languages a user can choose, English first (the source language of the catalogs).
LANGUAGES: Final = ("en", "ru", "kk")
#: The gettext domain: ``planner/locale/<lang>/LC_MESSAGES/planner.po``.
DOMAIN: Final = "planner"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"

_current: list[str] = ["en"]


def resolve_language(flag: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``--lang``, else ``PLANNER_LANG``, else the locale's, else English.

    Parameters
    ----------
    flag
        What the user gave with ``--lang`` (``None``: not given).
    environ
        The environment (``os.environ`` by default): ``PLANNER_LANG``, then ``LC_ALL``,
        ``LC_MESSAGES`` and ``LANG`` as POSIX reads them (``ru_RU.UTF-8`` -> ``ru``).

    Raises
    ------
    InputError
        If ``--lang`` or ``PLANNER_LANG`` names a language the planner does not speak.
    """
    env = os.environ if environ is None else environ
    for source, value in (("--lang", flag), ("PLANNER_LANG", env.get("PLANNER_LANG"))):
        if value is None or not value.strip():
            continue
        code = value.strip().lower().replace("-", "_").split("_")[0]
        if code not in LANGUAGES:
            raise InputError(
                gettext("{source} {value}: the planner speaks {languages}").format(
                    source=source, value=value, languages=", ".join(LANGUAGES)
                ),
                hint=gettext("e.g. {example} for Russian, kk for Kazakh, en for English.").format(
                    example=f"{source}{' ' if source.startswith('-') else '='}ru"
                ),
            )
        return code
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:  # the first one set decides, as in POSIX
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in ("ru", "kk") else "en"
    return "en"


def set_language(lang: str) -> None:
    """Use ``lang`` (one of :data:`LANGUAGES`) for everything read from now on, in this process."""
    if lang not in LANGUAGES:
        raise InputError(
            gettext("language {value}: the planner speaks {languages}").format(
                value=repr(lang), languages=", ".join(LANGUAGES)
            ),
            hint=gettext("Pass one of them, e.g. {example}.").format(example="set_language('ru')"),
        )
    _current[0] = lang


def language() -> str:
    """The language in use (``"en"`` until :func:`set_language` is called)."""
    return _current[0]


@contextlib.contextmanager
def using_language(lang: str) -> Iterator[None]:
    """Use ``lang`` inside a ``with`` block (e.g. to write one memo in another language)."""
    before = language()
    set_language(lang)
    try:
        yield
    finally:
        _current[0] = before


@cache
def _po(lang: str) -> Catalog:
    """The catalog of ``lang`` (not English) as Babel reads it from its ``.po`` file."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang``, read from its ``.po`` file and compiled in memory."""
    if lang == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, _po(lang), use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """``message`` in the language in use (English, or the English text if not translated)."""
    return _translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int | float) -> str:
    """The form of a message for the count ``n`` in the language in use.

    Russian has three forms: ``ngettext("{n} resident", "{n} residents", n)`` gives
    "{n} житель" for 1, 21; "{n} жителя" for 2, 22; "{n} жителей" for 5, 11, 25. A count that
    is not a whole number is rounded first, as :func:`fmt_int` shows it.
    """
    count = n if isinstance(n, int) else round(float(n)) if math.isfinite(float(n)) else 0
    return _translations(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction only; it is translated where it is shown."""
    return message


#: A message of a script: its text, or (singular, plural) for ``ngettext``.
JsMessage = str | tuple[str, str]


def js_messages(source: str) -> tuple[JsMessage, ...]:
    """The messages a JavaScript ``source`` passes to ``gettext`` and ``ngettext``.

    Found by Babel's JavaScript extractor, as ``pybabel extract`` finds them for the catalogs
    (``babel.cfg`` extracts ``planner/static/**.js``), each once, in the order they appear.
    """
    from babel.messages.extract import extract_javascript

    found: dict[JsMessage, None] = {}
    for _line, function, message, _comments in extract_javascript(
        io.BytesIO(source.encode("utf-8")), ["gettext", "ngettext"], [], {}
    ):
        if function == "gettext" and isinstance(message, str):
            found[message] = None
        elif function == "ngettext" and isinstance(message, tuple | list) and len(message) >= 2:
            found[(str(message[0]), str(message[1]))] = None
    return tuple(found)


def js_catalog(messages: Sequence[JsMessage]) -> dict[str, str | list[str]]:
    """The translations of ``messages`` in the language in use, to embed in a map's script.

    A message (a ``gettext`` text) maps to its translation, or to itself where the catalog has
    none. A ``(singular, plural)`` pair (an ``ngettext`` message) maps, under its singular, to
    all the plural forms of the language in the order of its plural rule (:func:`js_plural`);
    a pair without a complete translation is left out, and the page falls back to English.
    The map's JavaScript looks its strings up in this table (:func:`js_script`), so the page
    speaks the language of the run from the same catalogs as the memo.
    """
    lang = language()
    table: dict[str, str | list[str]] = {}
    for message in messages:
        if isinstance(message, str):
            table[message] = gettext(message)
            continue
        singular, plural = message
        if lang == "en":
            table[singular] = [singular, plural]
            continue
        found = _po(lang).get(singular)
        forms = found.string if found is not None and not found.fuzzy else None
        if isinstance(forms, tuple | list) and forms and all(forms):
            table[singular] = [str(f) for f in forms]
    return table


#: What a plural rule may hold: ``n``, numbers, arithmetic, comparisons, ``&&``, ``||``, ``?:``.
_PLURAL_RULE = re.compile(r"^[n0-9\s%=!<>&|?:()+*/-]+$")


def js_plural() -> str:
    """The plural rule of the language in use, as its catalog's ``Plural-Forms`` header writes it.

    The expression (``n % 10 == 1 && n % 100 != 11 ? 0 : ...`` for Russian, ``(n != 1)`` for
    Kazakh and English) is C, and valid JavaScript: its value is the index of the plural form
    for the count ``n``. A header holding anything else gives the English rule.
    """
    from babel.messages.plurals import get_plural

    lang = language()
    rule = get_plural("en").plural_expr if lang == "en" else _po(lang).plural_expr
    return rule if _PLURAL_RULE.match(rule) else get_plural("en").plural_expr


def js_numbers() -> dict[str, object]:
    """How the language in use writes numbers, for the page's formatters (:func:`js_script`).

    Taken from :func:`fmt_int`, :func:`fmt_decimal` and :func:`fmt_share`, so the page writes
    numbers as the memo does: ``group`` (thousands separator), ``decimal`` (decimal mark),
    ``percent`` (what follows a percentage: ``%`` or `` %``) and ``groupShares`` (whether a
    percentage of 1 000 or more has its thousands apart).
    """
    grouped = fmt_int(1234567)
    decimal = fmt_decimal(1.5)
    share = fmt_share(0.5, digits=1)
    number = "50" + decimal[1] + "0"
    return {
        "group": grouped[1],
        "decimal": decimal[1],
        "percent": share[len(number) :] if share.startswith(number) else "%",
        "groupShares": not fmt_share(12.345, digits=1).startswith("1234"),
    }


#: The page's side of the catalogs (see :func:`js_script`); the table, plural rule and number
#: formats of the language are filled in.
_JS_RUNTIME = r"""var plannerI18n = (function (I) {
  "use strict";
  I.lang = %(lang)s;
  I.catalog = Object.assign(I.catalog || {}, %(catalog)s);
  I.numbers = %(numbers)s;
  I.plural = function (n) { return Number(%(plural)s); };
  I.gettext = function (message) {
    var t = I.catalog[message];
    return typeof t === "string" && t ? t : message;
  };
  I.ngettext = function (singular, plural, count) {
    var n = Math.round(Number(count));
    if (!isFinite(n)) { n = 0; }
    var forms = I.catalog[singular];
    if (Array.isArray(forms) && forms[I.plural(n)]) { return forms[I.plural(n)]; }
    return n === 1 ? singular : plural;
  };
  I.format = function (text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  };
  function grouped(text, group) {
    return text.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  }
  I.fmtDecimal = function (x, digits, noGroups) {
    var parts = Number(x).toFixed(digits).split(".");
    var whole = noGroups ? parts[0] : grouped(parts[0], I.numbers.group);
    return parts.length > 1 ? whole + I.numbers.decimal + parts[1] : whole;
  };
  I.fmtInt = function (x) { return grouped(String(Math.round(x)), I.numbers.group); };
  I.fmtShare = function (x, digits) {
    return I.fmtDecimal(100 * x, digits === undefined ? 1 : digits, !I.numbers.groupShares)
      + I.numbers.percent;
  };
  return I;
})(typeof plannerI18n === "undefined" ? {} : plannerI18n);
"""  # untranslated: JavaScript source


def js_script(messages: Sequence[JsMessage]) -> str:
    """JavaScript that gives a page the catalog of ``messages`` in the language in use.

    It defines (or extends, for a second script on the page) the object ``plannerI18n``:

    - ``gettext(message)`` and ``ngettext(singular, plural, n)``: the translation from the
      embedded table (:func:`js_catalog`), the plural form chosen by the catalog's own rule
      (``plural(n)``, :func:`js_plural`); the English text where the table has none;
    - ``format(text, {name: value})``: fills the ``{name}`` placeholders;
    - ``fmtInt(x)``, ``fmtDecimal(x, digits)``, ``fmtShare(x, digits)``: numbers as
      :func:`fmt_int`, :func:`fmt_decimal` and :func:`fmt_share` write them (``1 234``,
      ``18.9%`` in English; ``18,9 %`` in Russian and Kazakh);
    - ``lang``, ``catalog``, ``numbers``: the language and what the functions use.

    A script uses them as ``var gettext = plannerI18n.gettext;`` and calls
    ``gettext("English text")``, which ``pybabel extract`` finds for the catalogs;
    :func:`js_messages` lists them. The text is safe inside ``<script>``.
    """

    def data(value: object) -> str:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escape)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")

    return _JS_RUNTIME % {
        "lang": data(language()),
        "catalog": data(js_catalog(messages)),
        "numbers": data(js_numbers()),
        "plural": js_plural(),
    }


def missing_translations(lang: str) -> list[str]:
    """The message ids of the template without a (non-fuzzy) translation in ``lang``."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as fh:
        template = read_po(fh)
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings = (
            found.string if found is not None and isinstance(found.string, tuple | list)
            else (found.string,) if found is not None else ()
        )  # fmt: skip
        if found is None or found.fuzzy or not strings or not all(strings):
            key = message.id[0] if isinstance(message.id, tuple | list) else message.id
            missing.append(key)
    return missing


# --------------------------------------------------------------------------- numbers


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _babel(number: float, pattern: str) -> str:
    from babel.numbers import format_decimal

    text = format_decimal(number, format=pattern, locale=language())
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def fmt_int(value: object) -> str:
    """A count rounded to a whole number, thousands apart: ``1 124 910`` in every language.

    ``None``, NaN and infinity read "not recorded" (translated).
    """
    number = _finite(value)
    if number is None:
        return gettext("not recorded")
    if language() == "en":
        return f"{round(number):,}".replace(",", " ")
    return _babel(round(number), "#,##0")


def fmt_decimal(value: object, *, digits: int = 1) -> str:
    """A number with ``digits`` decimals: ``18.9`` in English, ``18,9`` in Russian and Kazakh."""
    number = _finite(value)
    if number is None:
        return gettext("not recorded")
    if language() == "en":
        return f"{number:,.{digits}f}".replace(",", " ")
    return _babel(number, "#,##0." + "0" * digits if digits else "#,##0")


def fmt_share(value: object, *, digits: int = 1) -> str:
    """A share of 1 as a percentage: ``18.9%`` in English, ``18,9 %`` in Russian and Kazakh."""
    number = _finite(value)
    if number is None:
        return gettext("not recorded")
    if language() == "en":
        return f"{100.0 * number:.{digits}f}%"
    return f"{fmt_decimal(100.0 * number, digits=digits)} %"
