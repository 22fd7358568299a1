# Helpdesk: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test lint format translations extract-messages update-catalogs install install-dev bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.dev-installed

# Compiled catalogs are build output (.mo files are not committed).
translations: $(VENV)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel -q compile -d translations; fi

extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file --no-wrap --project=Helpdesk -o translations/messages.pot .

# Merge the template's new msgids into every catalog, never guessing (no fuzzy matches: the
# tests refuse fuzzy entries); translators then fill in the empty msgstr lines.
update-catalogs: extract-messages
	$(VENV)/bin/pybabel -q update -i translations/messages.pot -d translations --no-wrap --no-fuzzy-matching

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	HOST=$(HOST) PORT=$(PORT) $(FLASK) demo --if-empty
	HOST=$(HOST) PORT=$(PORT) $(PY) wsgi.py

test: $(VENV)/.dev-installed translations
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev-installed
	$(PY) bench/intake.py
	$(PY) bench/load.py

# Side by side with django-helpdesk (../shared/bench): ratios, targets, verdicts; RUNS/N as the scripts'.
.PHONY: bench-peer bench-memory
RUNS ?= 3
N ?= 2000
bench-peer: $(VENV)/.dev-installed
	$(PY) bench/peer.py --runs $(RUNS) --n $(N)

# Workers' RSS over 20,000 filings (FILINGS=6000 for a shorter check).
FILINGS ?= 20000
bench-memory: $(VENV)/.dev-installed translations
	$(PY) bench/memory.py --filings $(FILINGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
