# Two commands do all the set-up on a fresh machine (Python 3.11, package registry only):
#   make run    - install, index seeds/ and answer a first search
#   make test   - install with test extras and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install app clean

$(BIN)/findings: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/findings

run: install
	$(BIN)/findings ingest seeds/
	$(BIN)/findings search "domestic abuse over-optimism" -k 5

app: install
	$(BIN)/streamlit run app.py

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) index/*.db index/*.faiss index/*.json
