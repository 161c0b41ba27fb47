# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Some images set PYTHONDONTWRITEBYTECODE=1 (this one does): then every Python process compiles
# our modules from source again. The suite starts about 150 (gunicorn, Celery, manage.py) and its
# test processes rewrite every test file's asserts at each start. Bytecode goes to __pycache__.
unexport PYTHONDONTWRITEBYTECODE
# One test process per core plus one: the suite waits on subprocesses, browsers and injected
# API latency a quarter of the time, and on 2 cores 3 processes took 479 s where 2 took 543 s
# (4: no faster; again on PostgreSQL, 4 took 585 s where 3 took 567 s). A file's tests stay
# together (module fixtures start a browser, a server or a cluster once); the heaviest start
# first (tests/conftest.py), not xdist's largest-first. PYTEST_XDIST= runs in one process.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(len(os.sched_getaffinity(0)) + 1)")
PYTEST_XDIST ?= -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Dead code: the product and the tests that call it, minus settings (Django reads them by name)
# and migrations; what frameworks reach by name is in vulture_whitelist.py with its reason.
VULTURE_ARGS := tasks_app dashboard deadline_emulator deadline_facts bench tests manage.py \
	vulture_whitelist.py --exclude "*/migrations/*,dashboard/settings.py,bench/settings.py" \
	--ignore-decorators "@pytest.fixture,@pytest.hookimpl,@register.*,@receiver,@app.task,@celery_app.task,@shared_task,@admin.register,@checks.register" \
	--ignore-names "Meta,Command,add_arguments,handle,clean_*,do_GET,do_POST,do_HEAD,log_message,log_exception,handle_*,pytest_*,django_db_modify_db_settings,redirect_request"

.PHONY: run test lint format serve emulator bench clean system-packages screenshots

# Debian packages the test suite drives for real: a browser, Redis, PostgreSQL (initdb/pg_ctl of
# a throw-away cluster) and nginx (the request-buffering front of `make serve`). Each is
# "package:the file that shows it is installed".
TEST_PACKAGES := chromium:/usr/bin/chromium redis-server:/usr/bin/redis-server \
	postgresql:/usr/lib/postgresql/*/bin/initdb nginx:/usr/sbin/nginx

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

## make run: set up and serve the dashboard on the demo world at http://127.0.0.1:8000 (with
## DEADLINE_BACKEND=aws, and the background worker beside it: dashboard/develop.py)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) -m dashboard.develop

## make test: set up and run the whole suite (lint and the import contracts included)
# The suite runs once, on a throw-away PostgreSQL cluster (production's database); `make run`'s
# SQLite is what the tests starting `make run` and `make serve` processes use. Lint runs beside
# the tests (it needs a few seconds of one core) and its report follows theirs.
test: system-packages $(DEV_STAMP)
	@report=$$(mktemp); \
	$(MAKE) --no-print-directory lint >"$$report" 2>&1 & linting=$$!; \
	$(PY) -m pytest --postgres $(PYTEST_XDIST) $(PYTEST_ARGS); tested=$$?; \
	wait $$linting; linted=$$?; cat "$$report"; rm -f "$$report"; \
	if [ $$linted != 0 ]; then echo "make test: lint failed (above)" >&2; exit 1; fi; \
	exit $$tested

# Installs what is missing when it can (root with apt-get); otherwise stops at once, naming the
# exact command to run.
system-packages:
	@missing=""; \
	for entry in $(TEST_PACKAGES); do \
	  ls $${entry#*:} >/dev/null 2>&1 || missing="$$missing $${entry%%:*}"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	install="apt-get install -y --no-install-recommends$$missing"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make test: installing the Debian packages its tests need:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && $$install; \
	else \
	  echo "make test needs the Debian packages$$missing. Install them, then run make test again:" >&2; \
	  echo "  sudo sh -c 'apt-get update && $$install'" >&2; \
	  exit 1; \
	fi

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m vulture $(VULTURE_ARGS)
	$(VENV)/bin/lint-imports

format: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## make emulator: serve the Deadline Cloud API emulator on http://127.0.0.1:8001
emulator: $(STAMP)
	$(PY) -m deadline_emulator --port 8001

## make serve: production set-up, nginx on $BIND in front of gunicorn (see docs/operating.md)
serve: $(STAMP)
	DASHBOARD_STATIC_MANIFEST=1 $(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput
	DASHBOARD_STATIC_MANIFEST=1 $(PY) -m dashboard.serve

## make screenshots: the README's pictures of the main pages (Chromium, the demo world)
screenshots: system-packages $(DEV_STAMP)
	$(PY) -m tests.browser.screenshots --out docs/screenshots

## make bench: every benchmark, one run
bench: $(DEV_STAMP)
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
