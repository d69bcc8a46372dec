# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export FLASK_APP := wsgi

.PHONY: run test install migrate seed worker clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

run: seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/lint-imports  # the layering in pyproject.toml
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/python worker.py

clean:
	rm -rf $(VENV) .pytest_cache

# Translations: refresh the catalogue from the code, then compile it (the .mo files are committed).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o mwanzo/translations/messages.pot --no-location --sort-output mwanzo
	$(BIN)/pybabel update -i mwanzo/translations/messages.pot -d mwanzo/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d mwanzo/translations
