"""WSGI entry point (gunicorn dashboard.wsgi; ``manage.py runserver`` loads it too)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

# Every serving process resumes actions another process left half done (README "Acting on
# work"): it looks for them in a background thread, never holding up a request.
from tasks_app.services.actions import start_resumer  # noqa: E402 - needs Django set up

start_resumer()
