from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Deadline Task Dashboard"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy checks
