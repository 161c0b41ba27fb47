from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Deadline Task Dashboard"

    def ready(self) -> None:
        from . import auth  # noqa: F401 - registers the DASHBOARD_AUTH deploy check
