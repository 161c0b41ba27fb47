"""The Django project package of the Deadline Task Dashboard."""

# Loaded with Django, so the tasks a request enqueues go to this project's broker.
from .celery import app as celery_app

__all__ = ["celery_app"]
