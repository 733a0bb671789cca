# The two commands: `make benchmark` and `make test`. Both create the virtual environment
# on first use; `make venv` does nothing when .venv is up to date with pyproject.toml.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUITE  ?= default
STORE  ?= results/dgpbench.sqlite
WORKERS ?=
PYTEST_ARGS ?=

.PHONY: venv test benchmark report clean cluster

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

benchmark: venv
	$(BIN)/dgpbench run $(SUITE) --store $(STORE) $(if $(WORKERS),--workers $(WORKERS))
	$(BIN)/dgpbench leaderboard --store $(STORE)
	$(BIN)/dgpbench report --store $(STORE)

report: venv
	$(BIN)/dgpbench report --store $(STORE)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
