"""Reading the task page's HTML in tests: one section by its id, a command's text as copied."""

from __future__ import annotations

import html as html_lib
import re


def section(html: str, element_id: str) -> str:
    """The ``<section id=...>`` element, from its opening tag to its ``</section>``."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def code_text(html: str, element_id: str) -> str:
    """The text of ``<code id=...>`` (what its copy button copies), tags stripped."""
    match = re.search(rf'<code id="{element_id}">(.*?)</code>', html, re.S)
    assert match is not None, f"no <code id={element_id}>"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1)))
