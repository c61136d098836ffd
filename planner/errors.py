"""Public exceptions of ``planner``.

Every exception subclasses a builtin so callers can catch either the specific class or the
builtin (``except ValueError`` catches :class:`InputError`). Messages say what is wrong, where
(file, row, column, value) and how to fix it; the command line prints them without a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = [
    "ArgumentTypeError",
    "FetchError",
    "InputError",
    "OutputError",
    "PlannerError",
    "SolverError",
]


def gettext(message: str) -> str:
    """``message`` in the user's language, from :mod:`planner.i18n`'s catalogs.

    Looked up at run time, not imported: :mod:`planner.i18n` imports this module. If it is not
    loaded, no language was chosen and the English ``message`` is the one to show.
    """
    i18n = sys.modules.get("planner.i18n")
    return message if i18n is None else i18n.gettext(message)


def _more(n: int) -> str:
    """``... and 12 more``, below the first 50 problems of an error, in the user's language."""
    return gettext("... and {n} more").format(n=n)


class PlannerError(Exception):
    """Base class of every error raised on purpose by ``planner``."""


class InputError(PlannerError, ValueError):
    """Bad input data or options: a file, a table row, a parameter.

    Parameters
    ----------
    what
        One line naming the input and the problem, e.g. ``"stations.csv: 3 unusable rows"``.
    problems
        Every individual problem found (all of them, not just the first), e.g.
        ``"row 14: latitude 76.93 is outside -90..90; are the lat and lon columns swapped?"``.
    hint
        How to fix it, in the user's terms.
    """

    def __init__(self, what: str, problems: Sequence[str] = (), hint: str = "") -> None:
        self.what = what
        self.problems = tuple(problems)
        self.hint = hint
        lines = [what]
        shown = self.problems[:50]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append("  " + _more(len(self.problems) - len(shown)))
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class ArgumentTypeError(PlannerError, TypeError):
    """A function was given the wrong kind of object (a path where a result was expected, ``None``,
    two arguments swapped); the message names the parameter, what it got and what it expects."""

    def __init__(
        self, function: str, parameter: str, expected: str, got: object, hint: str = ""
    ) -> None:
        self.function = function
        self.parameter = parameter
        got_text = repr(got) if isinstance(got, str | type(None)) else type(got).__name__
        text = gettext("{function}: {parameter} must be {expected}, not {got}").format(
            function=function, parameter=parameter, expected=expected, got=got_text
        )
        super().__init__(f"{text}\n{hint}" if hint else text)


class OutputError(PlannerError, OSError):
    """The outputs could not be written for a reason of the environment, not of the input.

    A full disk, a file-size limit, a folder that turned read-only, another run holding the
    output folder's lock, or new files that failed the read-back check. The output folder is
    left as it was (see :mod:`planner.output_set`); the command line exits with code 5.
    Parameters as for :class:`InputError`.
    """

    def __init__(self, what: str, problems: Sequence[str] = (), hint: str = "") -> None:
        self.what = what
        self.problems = tuple(problems)
        self.hint = hint
        lines = [what, *(f"  - {p}" for p in self.problems[:50])]
        if len(self.problems) > 50:
            lines.append("  " + _more(len(self.problems) - 50))
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class SolverError(PlannerError, RuntimeError):
    """An optimisation could not be carried out (solver failure, infeasible model)."""


class FetchError(PlannerError, ConnectionError):
    """A download failed: no internet, the server busy or refusing the request."""

    def __init__(self, what: str, hint: str = "") -> None:
        self.what = what
        self.hint = hint
        super().__init__(f"{what}\n{hint}" if hint else what)
