# The commands people type. Everything installs itself: uv (through pip when missing),
# Python dependencies from uv.lock, Chromium for the browser test, dovecot for the IMAP test.
UV := ./scripts/uv
DEMO_LOGIN := anna@demo.lofte.se / lofte-demo
PORT ?= 8000
N ?= 100000

.PHONY: help install run test test-unit test-e2e lint format bench messages

help:
	@echo "make run    set up, migrate, load the demo data, start web server and worker"
	@echo "make test   the whole test suite (unit, the benchmarks' own tests, browser)"
	@echo "make lint   ruff, mypy and import contracts"
	@echo "make bench  lofte bench_core --cases \$$N (default 100000)"

install:
	@$(UV) sync --frozen --quiet

run: install
	$(UV) run lofte migrate --noinput
	$(UV) run lofte seed_demo --if-empty
	LOFTE_DEMO_LOGIN="$(DEMO_LOGIN)" $(UV) run lofte start --port $(PORT)

test: install
	@./scripts/ensure-chromium
	@./scripts/ensure-dovecot
	$(UV) run pytest -p no:playwright -n 2 -m "not e2e and not bench"
	$(UV) run pytest -p no:playwright -m bench
	$(UV) run pytest -m e2e

test-unit: install
	@./scripts/ensure-dovecot
	$(UV) run pytest -p no:playwright -n 2 -m "not e2e and not bench"

test-e2e: install
	@./scripts/ensure-chromium
	$(UV) run pytest -m e2e

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .
	$(UV) run lint-imports

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: install
	$(UV) run lofte bench_core --cases $(N)

messages: install
	$(UV) run lofte makemessages -l sv -l da -l nb -l fi --ignore=.venv --ignore=var
	$(UV) run lofte compilemessages --ignore=.venv
