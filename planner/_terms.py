"""The reform's terms and counted nouns, marked for translation (one home for each).

The English terms are the message ids; their Russian and Kazakh translations in the catalogs
must equal ``docs/glossary.md`` (``tests/test_i18n.py`` checks it). Counted nouns go through
:func:`planner.i18n.ngettext`, so Russian gets its three forms.
"""

from __future__ import annotations

from planner.i18n import N_, fmt_int, gettext, ngettext

__all__ = ["GLOSSARY", "inspectors", "residents", "stations", "term"]

#: The glossary's terms (docs/glossary.md), English -> message id.
GLOSSARY: dict[str, str] = {  # untranslated: the keys look terms up; the values are messages
    "district police station": N_("district police station"),
    "district police stations": N_("district police stations"),
    "district police inspector": N_("district police inspector"),
    "precinct point": N_("precinct point"),
    "akimat": N_("akimat"),
    "walking distance": N_("walking distance"),
    "service area": N_("service area"),
    "residents": N_("residents"),
    "coverage": N_("coverage"),
    "district": N_("district"),
    "service vehicle": N_("service vehicle"),
}


def term(english: str) -> str:
    """A glossary term in the language in use."""
    return gettext(GLOSSARY[english])


def residents(n: float) -> str:
    """``1 resident``, ``2 жителя``, ``5 жителей``: a count of residents with its noun."""
    return ngettext("{n} resident", "{n} residents", n).format(n=fmt_int(n))


def stations(n: float) -> str:
    """``1 station``, ``2 станции``, ``5 станций``: a count of stations with its noun."""
    return ngettext("{n} station", "{n} stations", n).format(n=fmt_int(n))


def inspectors(n: float) -> str:
    """``1 inspector``, ``2 инспектора``, ``5 инспекторов``: a count of inspectors."""
    return ngettext("{n} inspector", "{n} inspectors", n).format(n=fmt_int(n))
