"""``docs/configuration.md`` is the settings' documentation: every environment variable
``dashboard/settings.py`` reads has a row, and a number given as its default there is the one
the code uses. The README stays a door: short, linking to every doc it names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = {"env_str", "env_bool", "env_float", "env_int", "env_list"}


def settings_variables() -> dict[str, object]:
    """Each variable ``env_*("NAME", default)`` reads, with its default when it is a constant
    expression (``6 * 3600.0`` included), else None."""
    tree = ast.parse((ROOT / "dashboard" / "settings.py").read_text())
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in READERS):
            continue
        name = node.args[0]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            continue
        default = None
        if len(node.args) > 1:
            try:
                default = eval(compile(ast.Expression(node.args[1]), "settings", "eval"), {})  # noqa: S307 - constants of our own settings file
            except NameError:
                default = None  # computed from other settings
        found[name.value] = default
    return found


def configuration_rows() -> dict[str, str]:
    """Variable -> its default cell, from the table of ``docs/configuration.md``."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    return dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", text, re.M))


def test_every_setting_has_a_row_in_the_configuration_doc() -> None:
    variables = settings_variables()
    assert len(variables) > 40  # the parse found them
    missing = sorted(set(variables) - set(configuration_rows()))
    assert not missing, f"docs/configuration.md lacks {missing}"


def test_numeric_defaults_in_the_configuration_doc_are_the_code_s() -> None:
    rows = configuration_rows()
    wrong = []
    for name, default in settings_variables().items():
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        cell = rows.get(name, "").strip()
        match = re.fullmatch(r"`(-?[0-9][0-9_.]*)`", cell)
        if match and float(match.group(1)) != float(default):
            wrong.append(f"{name}: docs {match.group(1)}, code {default}")
    assert not wrong, wrong


def test_the_stall_threshold_is_documented_as_a_quarter_hour() -> None:
    assert settings_variables()["DASHBOARD_STALL_SECONDS"] == 15 * 60
    assert configuration_rows()["DASHBOARD_STALL_SECONDS"].strip() == "`900`"


def test_the_readme_is_a_door() -> None:
    """At most 200 lines, and every file it links to exists."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    links = re.findall(r"\]\(((?:docs/)[^)#]+)", readme)
    assert {"docs/configuration.md", "docs/operating.md", "docs/performance.md"} <= set(links)
    missing = sorted(link for link in set(links) if not (ROOT / link).exists())
    assert not missing, missing


def test_every_doc_link_points_at_a_file_and_a_heading_that_exist() -> None:
    """Links between the docs (``file.md#anchor``) land on a heading: moving a section breaks
    this test rather than the reader's click."""
    broken = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?#([a-z0-9-]+)\)", path.read_text()):
            doc = (path.parent / target) if target else path
            if not doc.exists() or anchor not in _anchors(doc.read_text()):
                broken.append(f"{path.relative_to(ROOT)}: {target}#{anchor}")
    assert not broken, broken


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
