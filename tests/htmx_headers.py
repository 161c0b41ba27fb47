"""The request headers htmx sends, for tests that ask for a page's fragment as htmx does."""

from __future__ import annotations

#: What every htmx request carries; a view answers its fragment (or 204) to it.
HTMX: dict[str, str] = {"HX-Request": "true"}
