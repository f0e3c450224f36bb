# Waypoint — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
ASSETS := app/static/govuk/.copied-5.7.1

.PHONY: run test setup venv assets browser services db clean lint test-sqlite test-postgres e2e bench security

run: setup db
	@echo "Waypoint is at http://127.0.0.1:5000  (Ctrl+C to stop)"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup test-sqlite test-postgres security

setup: venv assets browser services

# The browser journeys (tests/e2e) drive Debian's Chromium. On a fresh machine where we are root, install it from
# Debian's packages, so they run rather than skip; elsewhere say loudly that they will be skipped.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing Chromium from Debian's packages (for the browser journeys)"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else echo "!! Chromium is not installed and this user cannot install it: browser journeys will be SKIPPED" \
	  "(as root: apt-get install chromium)"; fi

# Rate limits are tested against Redis (tests/security/test_rate_limits.py, test_limits_across_workers.py): start
# the machine's redis-server on 127.0.0.1:6379 if it is installed but not answering.
services:
	@if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then :; \
	elif command -v redis-server >/dev/null 2>&1; then \
	  echo "== starting redis-server on 127.0.0.1:6379"; redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing and starting redis-server"; export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null && \
	  redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes; \
	else echo "!! Redis is not running on 127.0.0.1:6379: the rate-limit tests will fail"; fi

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

assets: $(ASSETS)
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p app/static/govuk
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js app/static/govuk/
	rm -rf app/static/govuk/assets && cp -r node_modules/govuk-frontend/dist/govuk/assets app/static/govuk/assets
	rm -rf app/static/offline/vendor && mkdir -p app/static/offline/vendor/workbox app/static/offline/vendor/idb
	cp node_modules/workbox-sw/build/workbox-sw.js $(foreach m,core routing strategies precaching expiration,node_modules/workbox-$(m)/build/workbox-$(m).prod.js) app/static/offline/vendor/workbox/
	cp node_modules/idb/build/index.js app/static/offline/vendor/idb/
	# axe-core, for the browser tests' accessibility checks (tests/e2e/test_accessibility.py); never linked from a page
	mkdir -p app/static/test-vendor && cp node_modules/axe-core/axe.min.js app/static/test-vendor/
	rm -f app/static/govuk/.copied-* && touch $@

db:
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo-data

test-sqlite:
	$(BIN)/python -m pytest -q

# The same suite on PostgreSQL: TEST_DATABASE_URL if set (CI sets it; then an unreachable server is a failure), else
# the local server at $(PG_DEFAULT_URL) when one answers there. When none does, it says so loudly and skips.
# Reachability is checked with the venv's python (psycopg), so psql is not needed; the test database itself is
# created by tests/conftest.py if missing.
PG_DEFAULT_URL := postgresql://postgres@127.0.0.1:5432/waypoint_test
PG_CHECK := import sys, psycopg, sqlalchemy as sa, config; \
  sys.excepthook = lambda kind, error, tb: print(" ".join(str(error).split()), file=sys.stderr); \
  u = sa.engine.make_url(config.normalise_db_url(sys.argv[1])).set(drivername="postgresql", database="postgres"); \
  psycopg.connect(u.render_as_string(hide_password=False), connect_timeout=3).close()
test-postgres:
	@url="$${TEST_DATABASE_URL:-$(PG_DEFAULT_URL)}"; \
	if err=$$($(BIN)/python -c '$(PG_CHECK)' "$$url" 2>&1); then \
	  echo "== PostgreSQL: $$url"; \
	  TEST_DATABASE_URL="$$url" WAYPOINT_TEST_DB=postgres $(BIN)/python -m pytest -q; \
	elif [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "!! TEST_DATABASE_URL=$$url does not answer: $$(echo "$$err" | tail -n1)"; exit 1; \
	else \
	  echo "!!"; echo "!! PostgreSQL is not answering at $$url: the PostgreSQL run is SKIPPED"; \
	  echo "!!   ($$(echo "$$err" | tail -n1))"; \
	  echo "!! Start PostgreSQL there, or set TEST_DATABASE_URL, to test on both databases."; echo "!!"; \
	fi

lint:
	$(BIN)/ruff check app tests bench config.py wsgi.py

# Dependencies and code (SECURITY.md "Dependencies"): fail on any medium/high bandit finding or any known
# vulnerability not excepted in security-exceptions.txt; pip-audit needs PyPI's advisory API, so a network
# failure is reported loudly but does not fail the target.
security: venv
	$(BIN)/bandit -r app -ll -q -f txt && echo "bandit: 0 medium/high findings"
	@ignores=$$(grep -Eo '^[A-Z]+-[A-Za-z0-9-]+' security-exceptions.txt 2>/dev/null | sed 's/^/--ignore-vuln /' | tr '\n' ' '); \
	out=$$($(BIN)/pip-audit -r requirements.txt --progress-spinner off $$ignores 2>&1); rc=$$?; echo "$$out" | grep -v "could not be audited"; \
	if [ $$rc -eq 0 ]; then echo "pip-audit: 0 known vulnerabilities"; \
	elif echo "$$out" | grep -Eqi "connection|timed out|max retries|name resolution|network is unreachable|temporary failure"; then \
	  echo "!! pip-audit could not reach the advisory service: dependencies NOT audited this run"; \
	else exit $$rc; fi

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules app/static/govuk instance/*.db
