"""Notifications: ``/notifications/`` (the signed-in user's notifications and follows; team
rules, which operators manage; the delivery log and rule changes), its JSON log, following a
job or queue from its page, and the bell's "mark read". Every form works without JavaScript
(POST, then 303 back); htmx swaps the follow button in place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ..deadline import allow_list
from ..models import NOTIFY_EVENT_CHOICES, NotificationRule
from ..permissions import acting_permission, actor_name
from ..services import notifications
from ..services.notifications import log
from .actions import forbidden
from .common import is_fragment

CHANNELS = [("slack", "Slack"), ("webhook", "Webhook"), ("email", "E-mail")]


class RuleForm(forms.Form):
    event = forms.ChoiceField(choices=NOTIFY_EVENT_CHOICES)
    farm_id = forms.CharField(max_length=64)
    queue_id = forms.CharField(max_length=64, required=False)
    job_id = forms.CharField(max_length=64, required=False)
    channel = forms.ChoiceField(choices=CHANNELS)
    target = forms.CharField(max_length=2000)
    secret = forms.CharField(max_length=200, required=False)
    only_user = forms.CharField(max_length=200, required=False)


class FollowForm(forms.Form):
    farm_id = forms.CharField(max_length=64)
    queue_id = forms.CharField(max_length=64)
    job_id = forms.CharField(max_length=64, required=False)
    follow = forms.BooleanField(required=False)
    next = forms.CharField(max_length=2000, required=False)


class SnoozeForm(forms.Form):
    hours = forms.FloatField(min_value=0, max_value=24 * 30)


def _request_id(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", ""))


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"error": {"message": message}}, status=400)


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _page(request: HttpRequest, form: RuleForm | None = None, *, status: int = 200) -> HttpResponse:
    user = _user(request)
    may_manage = acting_permission(request)
    context = {
        "rule_form": form or RuleForm(),
        "may_manage": may_manage.allowed,
        "why_not": may_manage.why_not,
        "team_rules": log.team_rules(),
        "follows": log.follows(user) if user else [],
        "inbox": log.inbox(user) if user else [],
        "deliveries": log.delivery_log(limit=50),
        "changes": log.recent_changes(),
        "snoozed_jobs": log.snoozed_jobs(),
        "events": NOTIFY_EVENT_CHOICES,
        "channels": CHANNELS,
    }
    return render(request, "tasks_app/notifications.html", context, status=status)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """Your notifications and follows, the team's rules and the delivery log."""
    return _page(request)


@require_GET
def delivery_list(request: HttpRequest) -> JsonResponse:
    """The delivery log as JSON (newest first)."""
    rows = [log.delivery_json(d) for d in log.delivery_log()]
    return JsonResponse({"deliveries": rows})


def _back(request: HttpRequest, to: str = "") -> HttpResponseRedirect:
    if not to or not url_has_allowed_host_and_scheme(
        to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        to = reverse("notifications")
    return HttpResponseRedirect(to, status=303)


@require_POST
def rule_create(request: HttpRequest) -> HttpResponse:
    """Add a team rule (operators only)."""
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    if not allow_list.is_farm_allowed(data["farm_id"]):
        form.add_error("farm_id", "This dashboard does not show that farm.")
        return _page(request, form, status=400)
    try:
        notifications.create_team_rule(
            username=actor_name(request), request_id=_request_id(request), **data
        )
    except notifications.RuleRefused as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    return _back(request)


def _team_rule(request: HttpRequest, rule_id: int) -> NotificationRule | HttpResponse:
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    rule = NotificationRule.objects.filter(pk=rule_id, active=True, owner__isnull=True).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


@require_POST
def rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    found = _team_rule(request, rule_id)
    if isinstance(found, HttpResponse):
        return found
    notifications.remove_rule(
        found.pk, username=actor_name(request), request_id=_request_id(request)
    )
    return _back(request)


@require_POST
def rule_test(request: HttpRequest, rule_id: int) -> HttpResponse:
    found = _team_rule(request, rule_id)
    if isinstance(found, HttpResponse):
        return found
    notifications.send_test(found.pk, username=actor_name(request), request_id=_request_id(request))
    return _back(request)


@require_POST
def rule_snooze(request: HttpRequest, rule_id: int) -> HttpResponse:
    found = _team_rule(request, rule_id)
    if isinstance(found, HttpResponse):
        return found
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400)
    hours = form.cleaned_data["hours"]
    until = timezone.now() + timedelta(hours=hours) if hours else None
    notifications.snooze_rule(
        found.pk, until=until, username=actor_name(request), request_id=_request_id(request)
    )
    return _back(request)


@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    """Follow (or stop following) a job or a queue: signed-in users only, in-app and e-mail to
    their own address."""
    user = _user(request)
    if user is None:
        return forbidden(request, "Sign in to be notified.")
    form = FollowForm(request.POST)
    if not form.is_valid() or not allow_list.is_farm_allowed(form.cleaned_data["farm_id"]):
        return _bad(request, "Name a farm, queue and job.")
    data = form.cleaned_data
    ids = {"farm_id": data["farm_id"], "queue_id": data["queue_id"], "job_id": data["job_id"]}
    try:
        if data["follow"]:
            notifications.follow(user, request_id=_request_id(request), **ids)
        else:
            notifications.unfollow(user, request_id=_request_id(request), **ids)
    except notifications.RuleRefused as exc:
        return _bad(request, str(exc))
    if is_fragment(request):
        context = {**ids, "following": bool(data["follow"]), "next": data["next"]}
        return render(request, "tasks_app/_notifications_follow.html", context)
    return _back(request, data["next"])


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, all read."""
    user = _user(request)
    if user is None:
        return forbidden(request, "Sign in to see your notifications.")
    log.mark_read(user)
    return _back(request)


@require_POST
def job_snooze(request: HttpRequest) -> HttpResponse:
    """No message about a job from any rule for some hours (operators)."""
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    follow_form = FollowForm(request.POST)
    snooze = SnoozeForm(request.POST)
    if not (follow_form.is_valid() and snooze.is_valid()) or not follow_form.cleaned_data["job_id"]:
        return _bad(request, "Name a job and hours.")
    data = follow_form.cleaned_data
    try:
        notifications.snooze_job(
            farm_id=data["farm_id"],
            queue_id=data["queue_id"],
            job_id=data["job_id"],
            hours=snooze.cleaned_data["hours"],
            username=actor_name(request),
            request_id=_request_id(request),
        )
    except notifications.RuleRefused as exc:
        return _bad(request, str(exc))
    return _back(request, data["next"])
