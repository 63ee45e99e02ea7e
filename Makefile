# Everything a person runs. `make demo` starts the product; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench eval eval-llm install system-deps clean web dist

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web client (web/src -> web/dist) with npm and esbuild: `npm ci` when package-lock.json changed,
# the build when web/dist is missing or older than its sources. No CDN at run time.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/build.mjs web/package.json
WEB_MODULES := web/node_modules/.package-lock.json
WEB_BUILD := web/dist/build.json

$(WEB_MODULES): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $(WEB_MODULES)

$(WEB_BUILD): $(WEB_MODULES) $(WEB_SOURCES) web/package-lock.json
	cd web && npm run --silent build

web: $(WEB_BUILD)

demo: install web
	$(BIN)/chatbi demo

# System packages later tests need (browser, CJK fonts, PostgreSQL, Java for Spark): installed where we are root
# with apt; otherwise those tests skip with a loud message (and fail under CI=true).
system-deps:
	@bash .ci/system-deps.sh

test: install system-deps web
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

# The same eval set through the LLM planner, against the endpoint CHATBI_LLM_* names (see the README).
eval-llm: install
	@test -n "$$CHATBI_LLM_BASE_URL$$CHATBI_LLM_API_KEY" || { echo "set CHATBI_LLM_BASE_URL (and CHATBI_LLM_API_KEY, CHATBI_LLM_MODEL) first; see the README"; exit 2; }
	@test -f data/demo.duckdb || $(BIN)/chatbi generate --out data/demo.duckdb
	$(BIN)/chatbi eval --db data/demo.duckdb --planner llm --failures --min 0

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.load

# A wheel that carries the built web client (server/web_dist), so a deployment needs no npm.
dist: install web
	rm -rf server/web_dist build
	cp -r web/dist server/web_dist
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .
	rm -rf server/web_dist build
	@ls -1 dist/*.whl

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache web/dist web/node_modules server/web_dist
