"""The README's configuration table is the settings' documentation: every environment variable
``dashboard/settings.py`` reads has a row, and a number given as its default there is the one
the code uses."""

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
    """Variable -> its default cell, from the README's "Configuration" table."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", section, re.M))


def test_every_setting_has_a_row_in_the_readme() -> None:
    variables = settings_variables()
    assert len(variables) > 40  # the parse found them
    missing = sorted(set(variables) - set(configuration_rows()))
    assert not missing, f"README Configuration lacks {missing}"


def test_numeric_defaults_in_the_readme_are_the_code_s() -> None:
    rows = configuration_rows()
    wrong = []
    for name, default in settings_variables().items():
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        cell = rows.get(name, "").strip()
        match = re.fullmatch(r"`(-?[0-9][0-9_.]*)`", cell)
        if match and float(match.group(1)) != float(default):
            wrong.append(f"{name}: README {match.group(1)}, code {default}")
    assert not wrong, wrong


def test_the_stall_threshold_is_documented_as_a_quarter_hour() -> None:
    assert settings_variables()["DASHBOARD_STALL_SECONDS"] == 15 * 60
    assert configuration_rows()["DASHBOARD_STALL_SECONDS"].strip() == "`900`"
