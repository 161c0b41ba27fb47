"""The one status bar: five groups with counts, percent done, and slivers of failed or running
work that stay visible."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from tasks_app.deadline.types import TaskRunStatus as S
from tasks_app.templatetags.browse import MIN_VISIBLE_PERCENT, bar_groups, status_bar


def test_one_failed_task_among_hundreds_is_widened_to_stay_visible() -> None:
    groups = {g.name: g for g in bar_groups({S.FAILED: 1, S.SUCCEEDED: 590})}

    assert groups["failed"].count == 1
    assert groups["failed"].percent == pytest.approx(MIN_VISIBLE_PERCENT)
    assert groups["succeeded"].percent == pytest.approx(100 - MIN_VISIBLE_PERCENT)
    assert groups["succeeded"].offset == pytest.approx(MIN_VISIBLE_PERCENT)


def test_groups_gather_statuses_in_bar_order_and_sum_to_100() -> None:
    counts = {
        S.SUCCEEDED: 9830,
        S.FAILED: 113,
        S.CANCELED: 50,
        S.SUSPENDED: 7,
        S.RUNNING: 3,
        S.ASSIGNED: 2,
        S.READY: 10,
        S.PENDING: 5,
    }
    groups = bar_groups(counts)

    assert [(g.name, g.count) for g in groups] == [
        ("failed", 113),
        ("running", 5),
        ("queued", 15),
        ("other", 57),
        ("succeeded", 9830),
    ]
    assert sum(g.percent for g in groups) == pytest.approx(100, abs=0.01)
    assert groups[3].detail == "7 suspended, 50 canceled"
    assert groups[1].percent >= MIN_VISIBLE_PERCENT  # 5 running of 10,020


def test_percent_done_rounds_down_and_the_summary_groups_thousands() -> None:
    context = status_bar({S.SUCCEEDED: 9999, S.FAILED: 1})

    assert context["done_percent"] == 99  # never "100 %" while a task is not done
    assert context["summary"] == "Tasks: 1 failed, 9,999 succeeded (10,000 in all)"


def test_an_empty_bar_says_none() -> None:
    context = status_bar({})

    assert context["segments"] == () and context["done_percent"] == 0
    assert context["summary"] == "Tasks: none"


def test_the_bar_renders_a_legend_with_words_and_counts() -> None:
    html = Template("{% load browse %}{% status_bar counts eta='14:05 UTC' %}").render(
        Context({"counts": {S.FAILED: 1, S.RUNNING: 1200, S.SUCCEEDED: 254}})
    )

    assert '<rect class="seg seg--failed"' in html
    assert "<strong>1,200</strong> running</li>" in html
    assert "<strong>1</strong> failed</li>" in html
    assert "17%" in html and "ETA 14:05 UTC" in html


def test_the_legend_names_a_lone_status_instead_of_other() -> None:
    """113 failed and 57 canceled: the legend says "57 canceled", not "57 other"; "other"
    only when it gathers several statuses."""
    lone = Template("{% load browse %}{% status_bar counts %}").render(
        Context({"counts": {S.FAILED: 113, S.CANCELED: 57, S.SUCCEEDED: 9_830}})
    )
    mixed = Template("{% load browse %}{% status_bar counts %}").render(
        Context({"counts": {S.CANCELED: 57, S.SUSPENDED: 2, S.SUCCEEDED: 9}})
    )

    assert "<strong>57</strong> canceled</li>" in lone and " other</li>" not in lone
    assert "<strong>59</strong> other</li>" in mixed
