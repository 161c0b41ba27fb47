"""The attention list says, on the page and in its JSON, when a page cap left part of a queue
unread."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from deadline_emulator import Emulator
from tasks_app.selectors.attention import reads

JSON = {"HTTP_ACCEPT": "application/json"}

# The list reads acknowledgements from the database.
pytestmark = pytest.mark.django_db


def test_a_capped_listing_is_named_in_the_json_and_on_the_page(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "ACTIVE_TASK_PAGES", 0)  # no page of live tasks read

    data = client.get(reverse("attention"), **JSON).json()
    html = client.get(reverse("attention")).content.decode()

    cut = [
        note for note in data["notes"] if "tasks in workers' hands: the first were checked" in note
    ]
    assert cut and all(escape(note) in html for note in cut)


def test_the_json_has_no_such_note_when_everything_was_read(
    client: Client, emulator: Emulator
) -> None:
    data = client.get(reverse("attention"), **JSON).json()

    assert set(data) == {"items", "notes"}
    assert not any("were checked" in note for note in data["notes"])
