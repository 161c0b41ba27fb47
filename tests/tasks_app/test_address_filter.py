"""``address``: an e-mail address on the job and task facts wraps after its ``@`` or before a
dot, never inside a word, and stays escaped text whatever the API sent."""

from __future__ import annotations

from django.template import Context, Template

from tasks_app.templatetags.dashboard import address


def test_an_address_may_wrap_at_its_at_sign_and_dots_only() -> None:
    shown = address("maria.chen@lighthouse.example")
    assert shown == "maria<wbr>.chen@<wbr>lighthouse<wbr>.example"
    assert shown.replace("<wbr>", "") == "maria.chen@lighthouse.example"


def test_hostile_text_stays_text() -> None:
    hostile = '<script>alert("x")</script>@evil.example" onload="x'
    rendered = Template("{% load dashboard %}{{ who|address }}").render(Context({"who": hostile}))
    assert "<script>" not in rendered and 'onload="' not in rendered
    assert rendered.replace("<wbr>", "").startswith("&lt;script&gt;alert(&quot;x&quot;)")
    assert rendered.count("<wbr>") == 2  # after "@" and before ".example"; nothing else made


def test_nothing_is_nothing() -> None:
    assert address(None) == ""
