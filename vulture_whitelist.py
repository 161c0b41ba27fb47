"""Names vulture cannot see used, for ``make lint``: vulture reads Python only, so what Django,
Celery, gunicorn, pytest and the templates reach by name looks dead to it. A name belongs here
only with the reason it is alive; dead code is removed, not listed.

This file is read by vulture, never imported.
"""

# ruff: noqa: B018, F821

# --- Django: named in settings (middleware, backends, handlers, hooks), urls or the app registry
RequestIDMiddleware
RequestIDLogFilter
application  # WSGI_APPLICATION
TasksAppConfig
_.verbose_name
DashboardLoginRequiredMiddleware
DashboardRemoteUserMiddleware
DashboardRemoteUserBackend
SharedLockoutHandler  # AXES_HANDLER
lockout_response  # AXES_LOCKOUT_CALLABLE
csrf_failure  # CSRF_FAILURE_VIEW
account  # AXES_USERNAME_CALLABLE
JsonErrorMiddleware
FarmAllowListMiddleware
DebugNotFoundMiddleware
StaleDataMiddleware
permission_denied  # handler403
bad_request  # handler400
_.async_capable  # middleware flag Django reads
_.authentication_form  # LoginView options
_.redirect_authenticated_user
_._class  # django-redis: the client class
app_configs  # system checks' signature
_.to_python  # path converters
_.to_url
_.help  # management commands
_._add  # notify command: sub-commands found by name
_._remove

# --- Django models: Meta options and columns written by name (update(), F(), migrations)
_.ordering
_.constraints
_.permissions
_.task_set
_.confirm_nonce
_.lease_owner
_.last_progress_at
_.claimed_until

# --- Django settings assigned by tests and benches (``settings.X = ...``)
_.AUTHENTICATION_BACKENDS
_.PASSWORD_HASHERS
_.AXES_ENABLED
_.EMAIL_BACKEND
_.EMAIL_HOST
_.EMAIL_PORT
_.SECURE_SSL_REDIRECT
_.SECURE_REDIRECT_EXEMPT
_.SECURE_HSTS_SECONDS
_.SECURE_HSTS_INCLUDE_SUBDOMAINS
_.SECURE_HSTS_PRELOAD
_.SESSION_COOKIE_SECURE
_.CSRF_COOKIE_SECURE

# --- gunicorn, http.server and botocore call these by name
pre_request  # gunicorn server hook (dashboard/gunicorn_hooks.py)
signum  # signal handlers' signature
_.http_version
_.protocol_version
_.disable_nagle_algorithm
_.daemon_threads
_.server_name
_.server_port
amt  # urllib3-like read(amt, decode_content) signature botocore calls
decode_content
_._check_structure  # emulator validation: ``_check_<shape type>`` found by name
_._check_list
_._check_map
_._check_string
_._check_boolean
_._check_timestamp

# --- read by templates (view models' fields and properties)
_.is_monospace
_.cli_command
_.first_shown
_.last_shown
_.job_filter
_.task_search
_.task_status
_.impact_text
_.text_x
_.name_y
_.count_y
_.has_edges
_.holder_cap
_.fix_url
_.fix_label
_.scheduling_label
_.exit_codes
_.logs_cap
_.min_failures
_.min_share_percent
_.bad_count
_.queue_name
_.top_items
_.worker_activity
_.top_jobs
_.target_shown
_.chips
_.retry_rate
_.retry_baseline

# --- declared API members: codec.declared generates from_api/to_cache, which read and write every
# field by name, so they reach the cache form though no page shows them yet
_.root_path
_.path_format
_.outputs
_.input_manifest
_.default_budget_action
_.lifecycle_status_message
_.attachments_file_system
_.attachment_roots
_.queue_stopped_at
_.dependencies_unresolved
_.worker_updated_at

# --- facts kept for the people who read them (each cites its public source)
RECLAIM_SOURCE
CAPABILITY_NAMES
INTERRUPTED  # a run status the API sends

# --- pytest: module marks and fixtures requested for their effect, not their value
pytestmark
transactional_db
django_db_modify_db_settings_parallel_suffix
one_try
redis_cache
login_mode
remote_user_mode
main_only
fast_polls
no_cache
no_backoff
whole_pages
complete_pages
hostile_logs
transport

# --- dead, removal asked of the modules' owners (interfaces notes): delete each line with its code
AUTH_MODES
JOB_FILTERS
CLIENT_TOKEN_MAX
SOURCES
STANDING_LABELS
search_step_tasks
log_after
_.action_count
_.planned_at
_.logs_read
_.proposed
