# The two commands: `make benchmark` and `make test`. Both create the virtual environment
# on first use; `make venv` does nothing when .venv is up to date with pyproject.toml.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUITE  ?= default
STORE  ?=
WORKERS ?=
PYTEST_ARGS ?=
CLUSTER_PORT ?= 8786
CLUSTER_WORKERS ?= 2
# one BLAS / OpenMP / TensorFlow / PyTorch thread per worker (dgpbench pins its cell processes too)
THREAD_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1 \
	VECLIB_MAXIMUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 DGPBENCH_THREADS=1 \
	TF_CPP_MIN_LOG_LEVEL=2

.PHONY: venv test lint browser benchmark report clean cluster

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

test: lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (lint and format) and the type checker over the whole tree; mypy follows every
# dgpbench.* import through src/dgpbench (see pyproject.toml)
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The report's browser tests drive Debian's chromium (never a downloaded browser): install it
# when it is missing, as root or through sudo; where neither can, say what to run.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else \
	    echo "make test: the report's browser tests need Debian's chromium; as root run: apt-get install -y chromium" >&2; \
	    exit 2; fi; \
	  echo "make test: installing Debian's chromium for the report's browser tests"; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	    || { echo "make test: could not install chromium; run: sudo apt-get install -y chromium" >&2; exit 2; }; \
	fi

benchmark: venv
	$(BIN)/dgpbench run $(SUITE) $(if $(STORE),--store $(STORE)) $(if $(WORKERS),--workers $(WORKERS))
	$(BIN)/dgpbench leaderboard $(if $(STORE),--store $(STORE))
	$(BIN)/dgpbench report $(if $(STORE),--store $(STORE))

report: venv
	$(BIN)/dgpbench report $(if $(STORE),--store $(STORE))

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# A local Dask cluster for trying `dgpbench run SUITE --scheduler tcp://127.0.0.1:8786`: a scheduler
# and two one-thread workers on 127.0.0.1, in the foreground; Ctrl-C stops all of it.
# See docs/distributed.md for real clusters.
cluster: venv
	@echo "Dask scheduler on tcp://127.0.0.1:$(CLUSTER_PORT), $(CLUSTER_WORKERS) workers x 1 thread; Ctrl-C stops it."
	@echo "In another shell: $(BIN)/dgpbench run quick --scheduler tcp://127.0.0.1:$(CLUSTER_PORT)"
	@$(THREAD_ENV) bash -c '\
	  $(BIN)/dask scheduler --host 127.0.0.1 --port $(CLUSTER_PORT) --no-dashboard & \
	  $(BIN)/dask worker tcp://127.0.0.1:$(CLUSTER_PORT) --nworkers $(CLUSTER_WORKERS) --nthreads 1 \
	    --host 127.0.0.1 --no-dashboard --memory-limit 0 & \
	  trap "kill \$$(jobs -p) 2>/dev/null" EXIT; \
	  wait -n'
