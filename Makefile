# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV     := $(BIN)/uv
# uv installs exactly what uv.lock pins. The bootstrap takes the uv release the lock names
# from PyPI, so a clean clone needs only Python and make.
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS    := never

.PHONY: run test lint typecheck pytest install lock upgrade schema fmt clean worker migrate

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet 'uv==$(UV_VERSION)'

# Re-installs whenever the lock or pyproject.toml changes. A lock that no longer matches
# pyproject.toml is refused, never silently re-resolved.
$(STAMP): pyproject.toml uv.lock | $(UV)
	@$(UV) lock --check --offline --quiet \
	  || { echo "uv.lock does not match pyproject.toml: run 'make lock' and commit both" >&2; exit 1; }
	$(UV) sync --quiet --locked --extra dev
	touch $(STAMP)

install: $(STAMP)  ## the exact versions in uv.lock, into .venv

lock: | $(UV)  ## after editing dependencies in pyproject.toml: re-resolve uv.lock, keeping other pins
	$(UV) lock

upgrade: | $(UV)  ## move every pin in uv.lock to the newest release pyproject.toml allows
	$(UV) lock --upgrade

run: $(STAMP)  ## migrate, import the bundled village list on first start, serve on :8000
	$(BIN)/kopdes serve

worker: $(STAMP)  ## production worker processes (needs KOPDES_REDIS_URL)
	$(BIN)/kopdes worker

migrate: $(STAMP)
	$(BIN)/kopdes db upgrade

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy api worker shared cli tests scripts benchmarks

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest  ## lint, type check and the whole suite

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)  ## re-export schema.graphql after changing the API
	$(BIN)/kopdes schema export schema.graphql

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
