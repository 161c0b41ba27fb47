"""Forms of the browse pages, the navigation form and the go-to box (IDs validated with the
API's own patterns)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from . import goto
from .deadline import allow_list
from .deadline.ids import ID_PATTERNS
from .deadline.types import TaskRunStatus
from .selectors import browse, job_table, status_board
from .services.actions import ACTIONS

_EXAMPLES = {
    "farm_id": "farm-<32 hex digits>",
    "queue_id": "queue-<32 hex digits>",
    "job_id": "job-<32 hex digits>",
    "step_id": "step-<32 hex digits>",
    "task_id": "task-<32 hex digits>-<index>",
}


def validate_farm_visible(value: str) -> None:
    """A farm outside DASHBOARD_FARMS gets the same answer as one that does not exist."""
    if value and not allow_list.is_farm_allowed(value):
        raise ValidationError(
            "Farm %(farm)s was not found.", code="farm_not_found", params={"farm": value}
        )


# --- Browse ------------------------------------------------------------------------------------
# Query-string forms of the browse pages, the navigation form and the go-to box. Every field
# is bounded, every choice closed: a bad value is a message next to its field, never an API
# call with it.

_STATUS_CHOICES = [("", "Any status"), *((s.value, s.label) for s in TaskRunStatus.known())]
_ORDER_CHOICES = [("desc", "Descending"), ("asc", "Ascending")]
_PER_PAGE_CHOICES = [("25", "25"), ("50", "50"), ("100", "100")]
_DEFAULT_PER_PAGE = 50
_SEARCH_MAX = 256  # the API's SearchTerm / ParameterValue maximum


def _id_validator(kind: str) -> RegexValidator:
    return RegexValidator(
        f"^(?:{ID_PATTERNS[kind].pattern})$",
        message=f"Expected {_EXAMPLES[kind]} (lower-case hex).",
    )


#: The furthest page a list offers: a step's task index has at most ten digits.
_MAX_PAGE = 10**10 // 25


def _page_field() -> forms.IntegerField:
    return forms.IntegerField(
        required=False,
        min_value=1,
        max_value=_MAX_PAGE,
        widget=forms.HiddenInput,
    )


class _ListForm(forms.Form):
    """Shared by the job and task list forms: sort order, page and page size."""

    order = forms.ChoiceField(required=False, choices=_ORDER_CHOICES, label="Order")
    per = forms.TypedChoiceField(
        required=False,
        choices=_PER_PAGE_CHOICES,
        coerce=int,
        empty_value=_DEFAULT_PER_PAGE,
        label="Per page",
    )
    page = _page_field()

    default_order = "desc"
    default_sort = ""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # Render the defaults as chosen when the query string leaves them out.
        if data is not None:
            data = data.copy()
            defaults = {"order": self.default_order, "per": str(_DEFAULT_PER_PAGE)}
            defaults["sort"] = self.default_sort
            for key, value in defaults.items():
                if not data.get(key):
                    data[key] = value
        super().__init__(data, *args, **kwargs)

    def value(self, name: str, default: Any) -> Any:
        """The cleaned value of ``name``, or ``default`` when it is empty or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def window(self) -> tuple[int, int]:
        """(offset, page size): any page, to the list's last (past the search window the
        selectors cut pages from a listing; past the end they show the last page)."""
        per = int(self.value("per", _DEFAULT_PER_PAGE))
        return (int(self.value("page", 1)) - 1) * per, per

    def descending(self) -> bool:
        return self.value("order", self.default_order) == "desc"


class JobFilterForm(_ListForm):
    """A queue's job list: run status, lifecycle status, name, sort, page."""

    status = forms.ChoiceField(required=False, choices=_STATUS_CHOICES, label="Status")
    lifecycle = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any lifecycle"),
            *((s, s.replace("_", " ").capitalize()) for s in browse.JOB_LIFECYCLE_STATUSES),
        ],
        label="Lifecycle",
    )
    name = forms.CharField(
        required=False,
        max_length=_SEARCH_MAX,
        label="Name",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(job_table.ATTENTION, "Needs attention"), *browse.JOB_SORTS.items()],
        label="Sort",
    )

    default_sort = job_table.ATTENTION

    def query(self) -> browse.JobQuery:
        offset, per = self.window()
        run_status = self.value("status", "")
        lifecycle = self.value("lifecycle", "")
        sort = self.value("sort", self.default_sort)
        if sort == job_table.ATTENTION and (run_status or lifecycle):
            sort = "CREATED_AT"  # jobs of one status: newest first is the useful order
        return browse.JobQuery(
            run_status=run_status,
            lifecycle_status=lifecycle,
            name=self.value("name", ""),
            sort=sort,
            descending=self.descending(),
            offset=offset,
            page_size=per,
        )


class TaskFilterForm(_ListForm):
    """A step's task table: run status, search (a frame, ``#index``, a parameter value), sort,
    page."""

    status = forms.ChoiceField(required=False, choices=_STATUS_CHOICES, label="Run status")
    q = forms.CharField(
        required=False,
        max_length=_SEARCH_MAX,
        label="Find a task",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "frame, #index, Frame=1042 or a parameter value",
            }
        ),
    )
    sort = forms.ChoiceField(
        required=False, choices=list(browse.TASK_SORTS.items()), label="Sort by"
    )

    default_order = "asc"
    default_sort = "TASK_ID"

    def clean_q(self) -> str:
        value = self.cleaned_data.get("q", "")
        if "\x00" in value:
            raise forms.ValidationError("The search contains a null character.")
        return value

    def query(self) -> browse.TaskQuery:
        offset, per = self.window()
        return browse.TaskQuery(
            run_status=self.value("status", ""),
            search=self.value("q", ""),
            sort=self.value("sort", self.default_sort),
            descending=self.descending(),
            offset=offset,
            page_size=per,
        )


class GotoForm(forms.Form):
    """The go-to box: anything pasted that names a farm, queue, job, step or task, a job ID on
    its own, or (part of) a job's name."""

    q = forms.CharField(
        label="Go to",
        max_length=goto.MAX_INPUT,
        error_messages={
            "required": "Paste a dashboard URL, an ARN, an AWS CLI command, some IDs or a job name."
        },
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "URL, ARN, monitor link, IDs or a job name",
            }
        ),
    )

    def clean_q(self) -> goto.Destination | goto.JobLookup:
        try:
            destination = goto.resolve(self.cleaned_data["q"])
        except goto.GotoError as exc:
            raise forms.ValidationError(str(exc)) from exc
        # A farm outside DASHBOARD_FARMS reads as one that does not exist.
        if isinstance(destination, goto.Destination):
            validate_farm_visible(destination.as_kwargs()["farm_id"])
        elif destination.farm_id:
            validate_farm_visible(destination.farm_id)
        return destination


class StatusBoardForm(forms.Form):
    """``/?show=failed``: the jobs behind one of the home board's counts."""

    show = forms.ChoiceField(
        required=False, choices=[("", "Counts only"), *((k, k) for k in status_board.SHOWN)]
    )


class NavigationForm(forms.Form):
    """Farm -> queue -> job -> step -> task, one select per level (choices from the API).

    Choices are set by the view once the level above is known. An ID is checked against the
    API's pattern before anything uses it; ``shown`` records the selection the page was
    rendered for, so a level changed without JavaScript resets the levels below it.
    """

    farm_id = forms.CharField(
        required=False,
        label="Farm",
        validators=[_id_validator("farm_id"), validate_farm_visible],
        widget=forms.Select,
    )
    queue_id = forms.CharField(
        required=False, label="Queue", validators=[_id_validator("queue_id")], widget=forms.Select
    )
    job_filter = forms.CharField(
        required=False,
        max_length=_SEARCH_MAX,
        label="Filter jobs by name",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    job_id = forms.CharField(
        required=False, label="Job", validators=[_id_validator("job_id")], widget=forms.Select
    )
    step_id = forms.CharField(
        required=False, label="Step", validators=[_id_validator("step_id")], widget=forms.Select
    )
    task_search = forms.CharField(
        required=False,
        max_length=_SEARCH_MAX,
        label="Find a task",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "frame, #index, Frame=1042 or a parameter value",
            }
        ),
    )
    task_status = forms.ChoiceField(required=False, choices=_STATUS_CHOICES, label="Task status")
    task_id = forms.CharField(
        required=False, label="Task", validators=[_id_validator("task_id")], widget=forms.Select
    )
    shown = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    LEVELS = ("farm", "queue", "job", "step", "task")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # A deeper level without the ones above it cannot be opened.
        for position, level in enumerate(self.LEVELS[:-1]):
            deeper = [d for d in self.LEVELS[position + 1 :] if self.data.get(f"{d}_id")]
            if deeper and not self.data.get(f"{level}_id") and f"{level}_id" not in self.errors:
                self.add_error(f"{level}_id", "This field is required.")
        return data


# --- Actions (tasks_app/services/actions.py) -----------------------------------------------------

_ACTION_STATUS_CHOICES = [(s.value, s.label) for s in TaskRunStatus.known()]
REASON_MAX = 1000
_CONFIRM_MAX = 4000  # a signed token is a few hundred characters


class ActionForm(forms.Form):
    """``POST …/actions/``: what to do, to which run statuses, why; ``confirm`` carries the
    preview's token (empty: preview only)."""

    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])
    run_status = forms.MultipleChoiceField(choices=_ACTION_STATUS_CHOICES, required=False)
    priority = forms.IntegerField(required=False, min_value=0, max_value=100)
    reason = forms.CharField(required=False, max_length=REASON_MAX, strip=True)
    confirm = forms.CharField(required=False, max_length=_CONFIRM_MAX, strip=True)
    # A failure group (failures pages): the digest its page names it by.
    signature = forms.RegexField(
        regex=r"^[0-9a-f]{12}$",
        required=False,
        error_messages={"invalid": "Expected a failure group's 12 hex digits."},
    )


class AuditFilterForm(forms.Form):
    """``/audit/?farm=…&job=…&user=…``, each optional: a farm's ID or part of its name, a job's
    ID or part of its name, part of a user's name."""

    farm = forms.CharField(required=False, max_length=256, strip=True)
    job = forms.CharField(required=False, max_length=512, strip=True)
    user = forms.CharField(required=False, max_length=150, strip=True)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def _no_nulls(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if "\x00" in value:
            raise forms.ValidationError("The text contains a null character.")
        return value

    def _id_or_name(self, name: str, kind: str) -> str:
        """A value that starts like an ID must be one (a typo gets a message, not an empty
        list); anything else is part of a name."""
        value = self._no_nulls(name)
        prefix = kind.removesuffix("_id") + "-"
        if value.lower().startswith(prefix) and not self.is_id(kind, value):
            raise forms.ValidationError(f"Expected {_EXAMPLES[kind]} (lower-case hex), or a name.")
        return value

    def clean_farm(self) -> str:
        return self._id_or_name("farm", "farm_id")

    def clean_job(self) -> str:
        return self._id_or_name("job", "job_id")

    def clean_user(self) -> str:
        return self._no_nulls("user")

    @staticmethod
    def is_id(kind: str, value: str) -> bool:
        """``value`` is an ID of ``kind`` (``farm_id``, ``job_id``), not part of a name."""
        return bool(ID_PATTERNS[kind].fullmatch(value))
