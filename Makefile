# The three commands of the README. Each sets up what it needs on a fresh machine.
#   make run    serve the playground (all shipped models) on http://127.0.0.1:7860
#   make test   install test tools (Chromium and PostgreSQL from Debian packages included) and run
#               the whole suite
#   make static write site/: the playground as static files (no server), see the README
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench chromium postgresql static

run: $(VENV)/.runtime
	$(BIN)/python app.py

test: $(VENV)/.test chromium postgresql
	$(BIN)/python -m pytest

static: $(VENV)/.runtime
	$(BIN)/python -m playground.static site/

bench: $(VENV)/.test chromium
	$(BIN)/python -m playground.bench

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

# Playwright must not download a browser (no internet): tests drive Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The classroom's tests start their own throwaway PostgreSQL server (tests/postgres.py, which also
# finds its binaries: the same lookup here and in the tests).
postgresql:
	@$(PYTHON) tests/postgres.py >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }
