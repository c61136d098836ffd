"""No English sentence a user reads is left outside the catalogs (issue 21).

The AST of every module of ``planner`` is scanned for string literals (plain or inside an
f-string) that read as a sentence: three words or more. Each must be

- the argument of ``gettext`` / ``ngettext`` / ``N_`` (then ``pybabel extract`` finds it), or
- a docstring, or
- marked as not for users by a comment ``# untranslated: <why>`` on one of its lines, on the
  line above it, or on the first line of its statement (JavaScript and CSS source, SQL, text
  of machine-readable outputs, messages of internal errors).

``gettext(f"...")`` is an error too: an f-string cannot be looked up in a catalog; and so is
``f"{gettext('...')}"``: ``pybabel extract`` does not look inside f-strings on Python 3.11.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"
#: Three words of two letters or more, as in a sentence.
SENTENCE = re.compile(r"[A-Za-z]{2,}[,;:]?\s+[A-Za-z']+[,;:]?\s+[A-Za-z]{2,}")
TRANSLATORS = ("gettext", "ngettext", "N_")
MARK = "untranslated:"

#: Modules whose text is not in the catalogs yet (issue 21 names what is left). Empty when done.
PENDING: frozenset[str] = frozenset(
    {
    }
)


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.text[:70]!r}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _marked_lines(source: str) -> set[int]:
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and MARK in tok.string:
            lines.add(tok.start[0])
    return lines


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def unwrapped_sentences(source: str, module: str) -> Iterator[Finding]:
    """The sentences of ``source`` a user may read that no catalog holds."""
    tree = ast.parse(source)
    marked = _marked_lines(source)
    skip: set[int] = set()  # ids of nodes that are fine
    statement_of: dict[int, ast.stmt] = {}
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))
        if isinstance(node, ast.JoinedStr):  # pybabel (Python 3.11) reads no call inside one
            for part in node.values:
                for child in ast.walk(part):
                    if (
                        isinstance(child, ast.Call)
                        and _call_name(child) in TRANSLATORS
                        and child.args
                        and isinstance(child.args[0], ast.Constant)
                    ):  # a literal message there is never extracted (a variable's is, elsewhere)
                        name = str(_call_name(child))
                        yield Finding(module, child.lineno, name + " inside an f-string")
        if isinstance(node, ast.Call) and _call_name(node) in TRANSLATORS:
            for arg in node.args:
                if isinstance(arg, ast.JoinedStr):
                    name = str(_call_name(node))
                    yield Finding(module, arg.lineno, "an f-string given to " + name)
                for child in ast.walk(arg):
                    skip.add(id(child))
    # statement_of maps each expression to its innermost statement: walk again, innermost last
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.stmt):
            for child in ast.iter_child_nodes(stmt):
                if not isinstance(child, ast.stmt):
                    for grandchild in ast.walk(child):
                        statement_of[id(grandchild)] = stmt
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip or not SENTENCE.search(node.value):
            continue
        end = node.end_lineno or node.lineno
        lines = set(range(node.lineno - 1, end + 1))
        stmt = statement_of.get(id(node))
        if stmt is not None:
            lines.add(stmt.lineno)
        if lines & marked:
            continue
        yield Finding(module, node.lineno, node.value)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "locale" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=_module_name)
def test_every_sentence_is_in_the_catalogs(path: Path) -> None:
    module = _module_name(path)
    findings = list(unwrapped_sentences(path.read_text(encoding="utf-8"), module))
    if module in PENDING:
        pytest.xfail(f"{module}: {len(findings)} sentences not yet in the catalogs (issue 21)")
    assert not findings, "wrap these in gettext/ngettext (or mark # untranslated: why):\n" + (
        "\n".join(map(str, findings))
    )


def test_the_scan_finds_what_it_should() -> None:
    """The scanner flags a bare sentence and an f-string, and passes wrapped and marked ones."""
    source = '''
"""A docstring is fine, it is for developers."""
from planner.i18n import gettext, ngettext

def f(n, name):
    """Also fine here."""
    a = gettext("no stations inside the boundary")
    b = ngettext("{n} station here", "{n} stations here", n).format(n=n)
    c = "this reaches a user unwrapped"
    d = f"{name}: the file has no rows"
    e = "var x = document.getElementById(y);"  # untranslated: JavaScript source
    # untranslated: a machine-readable key
    g = "kept as it is"
    h = gettext(f"{name} is not translatable")
    return "the end of it" if n else f"{gettext('hidden from pybabel')}"
'''
    found = {(f.line, f.text) for f in unwrapped_sentences(source, "m")}
    assert found == {
        (9, "this reaches a user unwrapped"),
        (10, ": the file has no rows"),
        (14, "an f-string given to gettext"),
        (15, "the end of it"),
        (15, "gettext inside an f-string"),
    }


def test_pending_modules_exist() -> None:
    names = {_module_name(p) for p in _modules()}
    assert names >= PENDING, sorted(PENDING - names)
