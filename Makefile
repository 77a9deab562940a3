# Every target creates .venv on first use (and refreshes it when pyproject.toml changes).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_SIZE ?= full

.PHONY: demo test lint bench snapshot-update clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/queuetui demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 4 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/overview.py --size $(BENCH_SIZE)
	$(BIN)/python bench/pages.py --size $(BENCH_SIZE)
	$(BIN)/python bench/cron.py --size $(BENCH_SIZE)
	$(BIN)/python bench/schedules.py --size $(BENCH_SIZE)
	$(BIN)/python bench/transfer.py --size $(BENCH_SIZE)
	$(BIN)/python bench/bulk.py --size $(BENCH_SIZE)
	$(BIN)/python bench/scheduler.py --size $(BENCH_SIZE)
	$(BIN)/python bench/metrics.py --size $(BENCH_SIZE)
	$(BIN)/python bench/deps.py --size $(BENCH_SIZE)
	$(BIN)/python bench/batches.py --size $(BENCH_SIZE)
	$(BIN)/python bench/retry.py --size $(BENCH_SIZE)
	$(BIN)/python bench/workers.py --size $(BENCH_SIZE)
	$(BIN)/python bench/metrics_view.py --size $(BENCH_SIZE)
	$(BIN)/python bench/startup.py --size $(BENCH_SIZE)
	$(BIN)/python bench/joblogs.py --size $(BENCH_SIZE)
	$(BIN)/python bench/tenants.py --size $(BENCH_SIZE)
	$(BIN)/python bench/ssh.py --size $(BENCH_SIZE)
	$(BIN)/python bench/demo_quit.py --size $(BENCH_SIZE)

snapshot-update: $(STAMP)
	$(BIN)/python -m pytest tests/snapshots --snapshot-update

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
