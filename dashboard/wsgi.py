"""WSGI entry point (gunicorn dashboard.wsgi; ``manage.py runserver`` loads it too)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

# Without a broker, every serving process resumes actions another process left half done
# (docs/actions.md) in a background thread; with one, the workers do (a no-op here).
from tasks_app.services.actions import start_resumer  # noqa: E402 - needs Django set up
from tasks_app.services.notifications import start_notifier  # noqa: E402

start_resumer()
# Likewise notifications (docs/notifications.md): a thread here without a broker only.
start_notifier()

# The attention list (docs/attention.md), built on a thread as the process starts, so the
# header's count is ready by the first page (DASHBOARD_ATTENTION_AT_START).
from django.conf import settings  # noqa: E402

from tasks_app.services.attention_refresh import start_building  # noqa: E402

if settings.DASHBOARD_ATTENTION_AT_START:
    start_building()
