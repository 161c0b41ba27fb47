"""What no page may contain: markup from data, inline script or style, event handlers, and a
stylesheet in the body (the page would be drawn unstyled first)."""

from __future__ import annotations

from html.parser import HTMLParser

from django.conf import settings

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "data-poll-url"}


class PageChecker(HTMLParser):
    """Parses a page the way a browser tokenizes it and lists every violation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "body":
            self._in_body = True
        if tag == "link" and attributes.get("rel") == "stylesheet" and self._in_body:
            self.problems.append(f"a stylesheet in the body: {attributes.get('href')}")
        if tag == "script":
            self._in_script = True
            src = attributes.get("src") or ""
            if not src.startswith("/" + settings.STATIC_URL.lstrip("/")):
                self.problems.append(f"<script> not loaded from our static files: {attrs!r}")
        if tag == "style":
            self.problems.append("a <style> element")
        if tag in {"iframe", "object", "embed", "base", "img"}:
            self.problems.append(f"a <{tag}> element: {attrs!r}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=...> inline htmx handler")
            if name in {"hx-vals", "hx-vars", "data-hx-vals"} and "js:" in (value or ""):
                self.problems.append(f"<{tag} {name}=js:...> evaluated htmx values")
            if name in _URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}> script URL")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"an inline script body: {data[:80]!r}")
        else:
            self.text.append(data)


def check_page(html: str) -> tuple[list[str], str]:
    """(violations, visible text) of one page or fragment."""
    checker = PageChecker()
    checker.feed(html)
    checker.close()
    return checker.problems, "".join(checker.text)
