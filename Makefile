# Two entry points on a fresh machine: `make demo` and `make test`. Each creates the venv if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint env clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)  ## run the demo scenario on the embedded emulated account
	$(BIN)/lab demo

test: $(STAMP)  ## run the test suite (emulator, real terraform, real aws CLI)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check lab tests benchmarks
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check lab tests benchmarks

clean:
	rm -rf $(VENV) build .work

bench: $(STAMP)  ## measure the lab itself (prints a table, writes results/benchmarks/*.json)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/run.py
