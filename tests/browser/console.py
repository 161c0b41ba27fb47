"""What a browser page reports as broken: console errors and uncaught exceptions."""

from __future__ import annotations

from typing import Any


def console_problems(page: Any) -> list[str]:
    """A list that fills with the page's console errors and uncaught exceptions as they come
    (a test asserts it is empty at the end)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
