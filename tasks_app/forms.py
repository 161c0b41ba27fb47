"""Forms: open a task by its five IDs (validated with the API's own patterns)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from .ids import ID_PATTERNS

_EXAMPLES = {
    "farm_id": "farm-<32 hex digits>",
    "queue_id": "queue-<32 hex digits>",
    "job_id": "job-<32 hex digits>",
    "step_id": "step-<32 hex digits>",
    "task_id": "task-<32 hex digits>-<index>",
}


def _id_field(kind: str, label: str) -> forms.CharField:
    pattern = ID_PATTERNS[kind].pattern
    return forms.CharField(
        label=label,
        max_length=64,
        strip=True,
        validators=[
            RegexValidator(
                f"^(?:{pattern})$", message=f"Expected {_EXAMPLES[kind]} (lower-case hex)."
            )
        ],
        widget=forms.TextInput(
            attrs={"placeholder": _EXAMPLES[kind], "spellcheck": "false", "autocomplete": "off"}
        ),
    )


class TaskIdsForm(forms.Form):
    """The five IDs that locate one task; a valid form redirects to its page."""

    farm_id = _id_field("farm_id", "Farm ID")
    queue_id = _id_field("queue_id", "Queue ID")
    job_id = _id_field("job_id", "Job ID")
    step_id = _id_field("step_id", "Step ID")
    task_id = _id_field("task_id", "Task ID")
