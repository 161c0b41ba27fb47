"""`make run` serves with DEBUG on: mistyped and malformed IDs still get the dashboard's own
404 page, never Django's technical page with its list of URL patterns."""

from __future__ import annotations

import pytest
from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator

TECHNICAL = ("URLconf", "Django tried these URL patterns", "technical_404")


@pytest.fixture
def debug(settings: LazySettings) -> None:
    settings.DEBUG = True


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/farms/farm-XYZ/", "does not name a Deadline Cloud resource"),
        (f"/farms/farm-{'a' * 32}/queues/queue-12/", "does not name a Deadline Cloud resource"),
        ("/farms/farm-%3Cscript%3E/", "does not name a Deadline Cloud resource"),
        ("/nothing/here/", "There is no page at this address."),
    ],
)
def test_malformed_ids_and_unknown_urls_get_the_dashboards_404_with_debug_on(
    client: Client, emulator: Emulator, debug: None, path: str, message: str
) -> None:
    response = client.get(path)
    html = response.content.decode()

    assert response.status_code == 404
    assert message in html
    assert 'class="site-header"' in html  # the dashboard's page, its header and all
    assert not any(marker in html for marker in TECHNICAL)
    assert emulator.calls.total() == 0


def test_an_unknown_id_gets_the_not_found_page_with_debug_on(
    client: Client, emulator: Emulator, debug: None
) -> None:
    farm = emulator.backend.landmarks()["farm_main"]
    missing = f"queue-{'0' * 32}"

    response = client.get(f"/farms/{farm}/queues/{missing}/")
    html = response.content.decode()

    assert response.status_code == 404
    assert "was not found in Deadline Cloud" in html and missing in html
    assert not any(marker in html for marker in TECHNICAL)


def test_without_the_middleware_debug_would_show_the_technical_page(
    client: Client, emulator: Emulator, debug: None, settings: LazySettings
) -> None:
    """The test above can fail: Django's own answer with DEBUG on is the technical page."""
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if not name.endswith("DebugNotFoundMiddleware")
    ]

    html = client.get("/farms/farm-XYZ/").content.decode()

    assert any(marker in html for marker in TECHNICAL)
