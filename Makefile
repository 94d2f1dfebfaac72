# Two commands do all the set-up on a fresh machine (Python 3.11, package registry only):
#   make run    - install, then start the web app (it indexes seeds/ on first run)
#   make test   - install with test extras and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run demo test install browser-deps clean

$(BIN)/findings: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/findings

run: install
	$(BIN)/streamlit run app.py

demo: install
	$(BIN)/findings ingest seeds/
	$(BIN)/findings search "domestic abuse over-optimism" -k 5

browser-deps:  # Debian's headless Chromium for tests/test_browser.py (needs root)
	apt-get update && apt-get install -y --no-install-recommends chromium

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) index/*.db index/*.faiss index/*.json
