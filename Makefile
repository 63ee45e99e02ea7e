# Everything a person runs. `make demo` starts the product; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Python packages come from uv.lock (every package pinned, with hashes), installed by uv. uv itself is
# pinned here and installed from .ci/uv.txt (its hashes; `make lock` rewrites it). No interpreter downloads.
UV_VERSION := 0.13.10
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test test-all test-latest lint format bench eval eval-llm install lock system-deps clean web dist

$(UV): .ci/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r .ci/uv.txt
	@touch $(UV)

# Exactly the locked set: `--locked` fails when uv.lock no longer matches pyproject.toml (run `make lock`),
# and packages the lock does not name are removed from the venv.
$(STAMP): pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --extra dev --python $(PYTHON)
	$(BIN)/python .ci/lock_diff.py --check uv.lock
	@touch $(STAMP)

install: $(STAMP)

# Upgrades are deliberate: `make lock` moves every package to the newest release pyproject.toml allows
# (`make lock ONLY="duckdb sqlglot"` moves only those), then run `make test` and commit uv.lock.
lock: $(UV)
	$(UV) lock --python $(PYTHON) $(if $(ONLY),$(foreach p,$(ONLY),--upgrade-package $(p)),--upgrade)
	printf 'uv==$(UV_VERSION)\n' | $(UV) pip compile --quiet --universal --generate-hashes \
		--custom-compile-command 'make lock' - -o .ci/uv.txt

# The suite on the newest releases pyproject.toml allows, in a venv of its own (.venv-latest), to see
# what an upgrade would break before `make lock`; prints which versions differ from the lock.
LATEST := .venv-latest
test-latest: $(UV) system-deps web
	rm -rf $(LATEST)
	$(UV) venv --quiet --python $(PYTHON) $(LATEST)
	$(UV) pip install --quiet --python $(LATEST)/bin/python --upgrade -e '.[dev]'
	$(LATEST)/bin/python .ci/lock_diff.py uv.lock
	$(LATEST)/bin/python -m pytest $(PYTEST_ARGS)

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

# `make test` is what CI runs; `make test-all` adds the exhaustive cross products (marked `exhaustive`).
test: install system-deps web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: install system-deps web
	$(BIN)/python -m pytest --exhaustive $(PYTEST_ARGS)

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
	rm -rf $(VENV) $(LATEST) $(TOOLS) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache web/dist web/node_modules server/web_dist
