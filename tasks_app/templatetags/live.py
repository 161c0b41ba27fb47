"""``{% live %}…{% endlive %}``: a page's live section, opened and closed in one template.

The section polls its own URL while the work can change (``settled`` false in the context:
``poll_url`` every ``poll_ms``), swaps itself in place, and carries ``version`` so an unchanged
poll answers 204. Its label is the tag's argument, else the context's ``live_label``.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


class LiveNode(template.Node):
    def __init__(self, label: FilterExpression | None, nodelist: NodeList) -> None:
        self.label = label
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        label = self.label.resolve(context) if self.label else context.get("live_label", "")
        polling = ""
        if not context.get("settled"):
            polling = format_html(
                ' hx-get="{}" hx-trigger="every {}ms, refresh" hx-swap="outerHTML" data-poll',
                context.get("poll_url", ""),
                context.get("poll_ms", ""),
            )
        return format_html(
            '<section id="live" class="live" aria-label="{}"{} data-version="{}">{}</section>',
            label,
            polling,
            context.get("version", ""),
            self.nodelist.render(context),
        )


@register.tag("live")
def live(parser: Parser, token: Token) -> LiveNode:
    """``{% live %}`` or ``{% live "Jobs" %}``, closed by ``{% endlive %}``."""
    bits = token.split_contents()
    if len(bits) > 2:
        raise template.TemplateSyntaxError("{% live %} takes at most one argument, its label")
    label = parser.compile_filter(bits[1]) if len(bits) == 2 else None
    nodelist = parser.parse(("endlive",))
    parser.delete_first_token()
    return LiveNode(label, nodelist)
