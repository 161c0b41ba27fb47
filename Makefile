# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format serve emulator bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

## make run: set up and serve the dashboard on the demo world at http://127.0.0.1:8000
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

## make test: set up and run the whole suite (lint included)
test: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## make emulator: serve the Deadline Cloud API emulator on http://127.0.0.1:8001
emulator: $(STAMP)
	$(PY) -m deadline_emulator --port 8001

## make serve: production-style gunicorn (see README "Production")
serve: $(STAMP)
	DASHBOARD_STATIC_MANIFEST=1 $(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput
	DASHBOARD_STATIC_MANIFEST=1 $(VENV)/bin/gunicorn dashboard.wsgi --bind $${BIND:-127.0.0.1:8000} \
	  --workers $${WORKERS:-2} --threads $${THREADS:-8} --access-logfile -

## make bench: every benchmark, one run
bench: $(DEV_STAMP)
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
