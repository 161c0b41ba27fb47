"""``{% live %}…{% endlive %}`` opens and closes a page's live section in one template: it polls
its own URL while the work can change and is still once settled; what it is given is escaped."""

from __future__ import annotations

from django.template import Context, Template

TAG = "{% load live %}{% live %}<p>{{ body }}</p>{% endlive %}"
POLLING = {
    "live_label": "Fleets",
    "settled": False,
    "poll_url": "/farms/f/fleets/?v=1&x=<2>",
    "poll_ms": 5000,
    "version": "abc",
    "body": "<script>",
}


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_a_live_section_polls_while_the_work_can_change() -> None:
    assert render(TAG, **POLLING) == (
        '<section id="live" class="live" aria-label="Fleets"'
        ' hx-get="/farms/f/fleets/?v=1&amp;x=&lt;2&gt;" hx-trigger="every 5000ms, refresh"'
        ' hx-swap="outerHTML" data-poll data-version="abc"><p>&lt;script&gt;</p></section>'
    )


def test_a_settled_section_does_not_poll() -> None:
    assert render(TAG, **{**POLLING, "settled": True}) == (
        '<section id="live" class="live" aria-label="Fleets" data-version="abc">'
        "<p>&lt;script&gt;</p></section>"
    )


def test_the_label_may_be_given_to_the_tag() -> None:
    html = render('{% load live %}{% live "Jobs" %}{% endlive %}', settled=True, version="v")
    assert html == '<section id="live" class="live" aria-label="Jobs" data-version="v"></section>'
