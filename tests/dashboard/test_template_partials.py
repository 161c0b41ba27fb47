"""Pages define their htmx fragments once, beside the page, with django-template-partials: the
loaders are wrapped so "page.html#fragment" renders the fragment alone."""

from __future__ import annotations

from pathlib import Path

from django.conf import LazySettings
from django.template import engines
from django.template.loader import get_template


def test_a_partial_renders_inline_and_alone(tmp_path: Path, settings: LazySettings) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "{% load partials %}"
        "<ul>{% partialdef row inline %}<li>{{ name }}</li>{% endpartialdef %}</ul>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    engine = engines["django"]
    loaders = engine.engine.loaders
    assert loaders[0][0] == "template_partials.loader.Loader"

    assert get_template("page.html").render({"name": "<b>"}) == "<ul><li>&lt;b&gt;</li></ul>"
    assert get_template("page.html#row").render({"name": "sq010"}) == "<li>sq010</li>"
