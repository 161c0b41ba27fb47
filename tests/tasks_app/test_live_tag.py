"""``{% live %}…{% endlive %}`` opens and closes a page's live section in one template, as the
``_live_open.html`` include opened it: polling while the work can change, still when settled."""

from __future__ import annotations

import re

from django.template import Context, Template

INCLUDED = '{% include "tasks_app/_live_open.html" %}<p>{{ body }}</p></section>'
TAG = "{% load live %}{% live %}<p>{{ body }}</p>{% endlive %}"


def render(source: str, **context: object) -> str:
    """The HTML, without the whitespace between tags (the include ended in a newline)."""
    return re.sub(r">\s+<", "><", Template(source).render(Context(context)))


def test_the_tag_writes_what_the_include_and_its_closing_tag_wrote() -> None:
    polling = {
        "live_label": "Fleets",
        "settled": False,
        "poll_url": "/farms/f/fleets/?v=1&x=<2>",
        "poll_ms": 5000,
        "version": "abc",
        "body": "<script>",
    }
    assert render(TAG, **polling) == render(INCLUDED, **polling)
    assert 'hx-trigger="every 5000ms, refresh"' in render(TAG, **polling)
    assert "&lt;script&gt;" in render(TAG, **polling)

    settled = {**polling, "settled": True}
    assert render(TAG, **settled) == render(INCLUDED, **settled)
    assert "hx-get" not in render(TAG, **settled)


def test_the_label_may_be_given_to_the_tag() -> None:
    html = render('{% load live %}{% live "Jobs" %}{% endlive %}', settled=True, version="v")
    assert html == '<section id="live" class="live" aria-label="Jobs" data-version="v"></section>'
