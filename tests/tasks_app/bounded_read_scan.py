"""Finds every bounded read in tasks_app's source, for ``test_bounded_reads``.

A bounded read is a call that may answer less than everything there is: ``list_all`` (a page
cap), a single List* or Search* call (``calls.call``/``search.search`` with a List*/Search*
operation, or with an operation a helper was given), any call given ``max_pages=``, and an
API list cut with ``[:CONSTANT]`` in selectors, services and views. ``list_every`` reads to the
end by construction and is not one. Text caps (``[:SOME_CHARS]``, ``[:SOME_MAX]``) are not
reads either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tasks_app"
#: Functions that call the API once (List*/Search* answers are one page).
READERS = frozenset({"call", "call_api", "search"})
#: Where the primitives are defined: their own bodies are the call path, not reads.
PRIMITIVES = {
    "tasks_app.deadline.calls": frozenset({"call", "write", "call_api"}),
    "tasks_app.deadline.search": frozenset({"search"}),
}
#: Packages whose ``[:CONSTANT]`` slices may cut an API list.
SLICED = ("tasks_app.selectors", "tasks_app.services", "tasks_app.views")
_TEXT_CAPS = ("CHARS", "_MAX")


#: Modules whose readers are called through the module (``search.search``, ``calls.call``).
_READER_MODULES = frozenset({"search", "calls"})


def _name(func: ast.expr) -> str | None:
    """The called function's name; a method of anything but a reader module (``re.search``,
    ``pattern.search``) is not a reader and keeps its dotted form."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return func.attr if owner in _READER_MODULES else f"{owner}.{func.attr}"
    return None


def _operation(node: ast.Call, reader: str) -> ast.expr | None:
    args = node.args[1:] if reader == "call_api" else node.args
    if args:
        return args[0]
    keyword = next((k for k in node.keywords if k.arg == "operation"), None)
    return keyword.value if keyword else None


def _constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id.lstrip("_").isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_").isupper()
    return False


class SiteFinder(ast.NodeVisitor):
    def __init__(self, module: str) -> None:
        self.module = module
        self.scope: list[str] = []
        self.found: list[tuple[str, int]] = []

    def _site(self, tag: str, node: ast.AST) -> None:
        self.found.append(
            (f"{self.module}:{'.'.join(self.scope) or '<module>'}:{tag}", node.lineno)
        )

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        primitive = bool(self.scope) and self.scope[0] in PRIMITIVES.get(self.module, ())
        if name == "list_all":
            self._site(f"list_all({self._operation_text(node, name)})", node)
        elif name in READERS and not primitive:
            operation = _operation(node, name)
            text = self._operation_text(node, name)
            constant = isinstance(operation, ast.Constant)
            if not constant or str(text).startswith(("List", "Search")):
                self._site(f"{name}({text})", node)
        elif any(k.arg == "max_pages" for k in node.keywords):
            self._site(f"{name}(max_pages)", node)
        self.generic_visit(node)

    def _operation_text(self, node: ast.Call, name: str) -> str:
        operation = _operation(node, name)
        if isinstance(operation, ast.Constant):
            return str(operation.value)
        return ast.unparse(operation) if operation is not None else "?"

    def visit_Subscript(self, node: ast.Subscript) -> None:
        cut = node.slice
        if (
            self.module.startswith(SLICED)
            and isinstance(cut, ast.Slice)
            and cut.lower is None
            and cut.step is None
            and cut.upper is not None
            and _constant(cut.upper)
            and not ast.unparse(cut.upper).endswith(_TEXT_CAPS)
        ):
            self._site(f"[:{ast.unparse(cut.upper)}]", node)
        self.generic_visit(node)


def bounded_reads() -> Iterator[tuple[str, str]]:
    """(site, where) for every bounded read: ``module:function:what`` and ``path:line``."""
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        finder = SiteFinder(module)
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for site, line in finder.found:
            yield site, f"{relative}:{line}"
