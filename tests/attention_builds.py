"""A fixture for tests that load the attention list or its count: the count rebuilds the
report on a background thread (tasks_app.services.attention_refresh), and no such build may
outlive its test (it would write the next test's cache from this test's world)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks_app.services import attention_refresh


@pytest.fixture(autouse=True)
def no_build_outlives_its_test() -> Iterator[None]:
    attention_refresh.reset()
    yield
    assert attention_refresh.wait(60), "an attention build was still running after 60 s"
    attention_refresh.reset()
