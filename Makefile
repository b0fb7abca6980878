# The two commands of the README. Both set up what they need on a fresh machine.
#   make run    serve the playground (all shipped models) on http://127.0.0.1:7860
#   make test   install test tools (Chromium from Debian packages included) and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench chromium

run: $(VENV)/.runtime
	$(BIN)/python app.py

test: $(VENV)/.test chromium
	$(BIN)/python -m pytest

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
