# Everything a person runs. `make demo` starts the product; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench eval install system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/chatbi demo

# System packages later tests need (browser, CJK fonts, PostgreSQL): installed where we are root
# with apt; otherwise those tests skip with a loud message (and fail under CI=true).
system-deps:
	@bash .ci/system-deps.sh

test: install system-deps
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Accuracy of the built-in parser on the eval question set, per language and category.
eval: install
	@test -f data/demo.duckdb || $(BIN)/chatbi generate --out data/demo.duckdb
	$(BIN)/chatbi eval --db data/demo.duckdb --failures

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
