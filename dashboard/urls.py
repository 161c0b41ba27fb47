"""Root URL configuration: everything lives in tasks_app."""

from django.urls import path

from tasks_app import auth
from tasks_app.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    # The app's patterns themselves rather than an include(): one resolver level less on
    # every request, the task poll's included (the most frequent of all).
    *app_urlpatterns,
    # Sign-in and sign-out (DASHBOARD_AUTH=login; 404 in the other modes).
    path("login/", auth.DashboardLoginView.as_view(), name="login"),
    path("logout/", auth.logout_view, name="logout"),
]

# Error pages that never show a traceback and keep the dashboard's look (and demo marker).
handler400 = "tasks_app.views.errors.bad_request"
handler403 = "tasks_app.views.errors.permission_denied"
handler404 = "tasks_app.views.errors.page_not_found"
handler500 = "tasks_app.views.errors.server_error"
