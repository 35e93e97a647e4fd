# Two entry points on a fresh machine: `make demo` and `make test`. Each creates the venv if needed.
# Every venv installs from a lock with hashes (requirements/*.txt) and nothing else; a version moves
# only through `make lock` (after `make deps-latest` passed). uv installs them (seconds, not minutes);
# uv itself comes from its own hashed lock.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCKS  := requirements
UV_VENV := .venv-uv
UV      := $(UV_VENV)/bin/uv
# pytest's temporary folders, one per checkout: two checkouts testing at once (worktrees, a CI
# clone beside a working copy) would otherwise share /tmp/pytest-of-$USER, where each session
# deletes the folders of older ones, including a running session's.
PYTEST_TMP := /tmp/pytest-lab-$(shell printf %s "$(CURDIR)" | cksum | cut -d' ' -f1)
# Three test workers per core: a worker spends much of its time waiting (the AWS provider's
# polling inside `terraform apply`, deploy.sh's waits, Prowler's start). With two per core the
# suite used 1,564 s of CPU over 1,013 s of wall on 2 cores; with three, 1,058 s of wall from a
# clean clone: the suite is now bound by CPU on 2 cores, and a machine whose workers wait longer
# gains. A worker with its emulator, Terraform and provider peaks near 2 GB: at most one per 2 GB
# of free memory.
TEST_WORKERS ?= $(shell awk -v cores=$$(nproc) '/MemAvailable/ {m = int($$2 / 2097152); w = 3 * cores; \
  if (w > m) w = m; if (w < 1) w = 1; print w}' /proc/meminfo 2>/dev/null || echo auto)
export UV_PYTHON_DOWNLOADS := never
# Python writes each module's bytecode once (its default) and every later process reads it: where
# the environment says not to (PYTHONDONTWRITEBYTECODE, as some sandboxes and CI images set), every
# process compiled every module again: Prowler's start took 9.3 s of CPU instead of 3.1, a run's
# imports 5.7 s instead of 2.2, in every `lab`, Prowler and worker process. __pycache__/ is ignored.
unexport PYTHONDONTWRITEBYTECODE
# checkov pins packaging<24, which pytest 9 cannot use: it gets a venv of its own.
CHECKOV_VENV  ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Prowler (CSPM, `lab cspm`) pulls every cloud's SDK (about 2.3 GB): a venv of its own.
PROWLER_VENV    ?= .venv-prowler
PROWLER_STAMP   := $(PROWLER_VENV)/.installed
# Cloud Custodian (the `custodian` architecture) pins its own boto3: a venv of its own.
CUSTODIAN_VENV  ?= .venv-custodian
CUSTODIAN_STAMP := $(CUSTODIAN_VENV)/.installed

.PHONY: demo test test-setup system-packages bench bench-live lint env clean tex prowler browser \
        lock deps-latest check docs-results test-durations custodian

$(UV): $(LOCKS)/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --no-deps --require-hashes -r $(LOCKS)/uv.txt
	touch $(UV)

# A venv from a lock: $(call locked_venv,DIR,LOCK)
define locked_venv
	test -x $(1)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(1)
	VIRTUAL_ENV=$(1) $(UV) pip sync --quiet --require-hashes $(2)
endef

$(STAMP): $(LOCKS)/main.txt pyproject.toml | $(UV)
	$(call locked_venv,$(VENV),$(LOCKS)/main.txt)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(CHECKOV_STAMP): $(LOCKS)/checkov.txt | $(UV)
	$(call locked_venv,$(CHECKOV_VENV),$(LOCKS)/checkov.txt)
	touch $(CHECKOV_STAMP)

$(PROWLER_STAMP): $(LOCKS)/prowler.txt | $(UV)
	$(call locked_venv,$(PROWLER_VENV),$(LOCKS)/prowler.txt)
	touch $(PROWLER_STAMP)

$(CUSTODIAN_STAMP): $(LOCKS)/custodian.txt | $(UV)
	$(call locked_venv,$(CUSTODIAN_VENV),$(LOCKS)/custodian.txt)
	touch $(CUSTODIAN_STAMP)

# The locks, from pyproject.toml's ranges and requirements/*.in, keeping every pin that still fits;
# `make lock UPGRADE=1` moves them all to the newest allowed: run `make deps-latest` first.
LOCK_FLAGS = --quiet --universal --python-version 3.11 --generate-hashes $(if $(UPGRADE),--upgrade,)
lock: | $(UV)
	$(UV) pip compile $(LOCK_FLAGS) pyproject.toml $(LOCKS)/build.in --extra dev -o $(LOCKS)/main.txt
	$(UV) pip compile $(LOCK_FLAGS) $(LOCKS)/checkov.in -o $(LOCKS)/checkov.txt
	$(UV) pip compile $(LOCK_FLAGS) $(LOCKS)/prowler.in -o $(LOCKS)/prowler.txt
	$(UV) pip compile $(LOCK_FLAGS) $(LOCKS)/custodian.in -o $(LOCKS)/custodian.txt
	$(UV) pip compile $(LOCK_FLAGS) $(LOCKS)/uv.in -o $(LOCKS)/uv.txt

# The upgrade check: the newest versions the ranges allow, in a throwaway venv; the emulator's
# protocol tests and one real deploy of each architecture. Prints what moved and what broke;
# ADOPT=1 writes the tested lock over requirements/main.txt when (and only when) it passed.
deps-latest: | $(UV)
	UV=$(abspath $(UV)) PYTHON=$(PYTHON) ADOPT=$(ADOPT) .ci/deps-latest

prowler: $(PROWLER_STAMP)  ## install Prowler (for `lab cspm`) in its own venv

custodian: $(CUSTODIAN_STAMP)  ## install Cloud Custodian (the `custodian` architecture) in its own venv

env: $(STAMP)

# A TeX engine for the test that compiles `lab report --latex` (Debian's TeX Live, about 30 s);
# where none can be installed, that one test is skipped and says so.
# apt-get waits up to 5 minutes for the package lock (another apt on the machine) instead of failing.
APT_GET := apt-get -o DPkg::Lock::Timeout=300
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended
tex:
	@command -v pdflatex >/dev/null || { command -v apt-get >/dev/null && \
	  { $(APT_GET) install -y -q $(TEX_PACKAGES) >/dev/null 2>&1 || \
	    { $(APT_GET) update -q >/dev/null 2>&1 && $(APT_GET) install -y -q $(TEX_PACKAGES) >/dev/null 2>&1; }; }; } || \
	  echo "no TeX engine could be installed: the LaTeX compile test is skipped"

# Headless Chromium and its driver for the console's browser test (Debian's packages, about 15 s).
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(APT_GET) install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	    { $(APT_GET) update -q >/dev/null 2>&1 && $(APT_GET) install -y -q $(BROWSER_PACKAGES) >/dev/null; }; }

demo: $(STAMP)  ## run the demo scenario on the embedded emulated account
	$(BIN)/lab demo

# What the tests need, installed side by side (four pip venvs and Debian's packages: about 4 minutes
# from a clean clone instead of 6). Debian's packages one after the other (apt holds one lock): two
# makes in turn, since one sub-make would run both under the outer -j 4; each apt-get also waits for
# a lock held by an apt outside the lab.
test-setup:
	@$(MAKE) --no-print-directory -j 4 --output-sync=target $(STAMP) $(CHECKOV_STAMP) $(PROWLER_STAMP) \
	  $(CUSTODIAN_STAMP) system-packages

system-packages:
	@$(MAKE) --no-print-directory tex && $(MAKE) --no-print-directory browser

test: test-setup  ## lint, format, import layers, checkov on terraform/, then the tests (emulator, real terraform, real aws CLI)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check lab tests benchmarks
	$(BIN)/ruff format --check lab tests benchmarks
	$(BIN)/lint-imports
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --compact --quiet --skip-download
	mkdir -p build
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile \
	  --no-loadscope-reorder --junitxml=build/test-report.xml --basetemp=$(PYTEST_TMP)

# The test modules' durations from the last `make test` (build/test-report.xml), which order them
# (longest first) in the next: commit tests/durations.json after a change of the suite's shape.
test-durations:
	$(BIN)/python .ci/test-durations

# For each change: ruff, the import layers and the tests that need no deploy, no whole run and no
# external tool (marker `integration` in tests/conftest.py says which do).
check: $(STAMP)
	$(BIN)/ruff check lab tests benchmarks
	$(BIN)/ruff format --check lab tests benchmarks
	$(BIN)/lint-imports
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not integration" --basetemp=$(PYTEST_TMP)

# Every number README.md and docs/ quote, from the reference runs of docs/reference-runs.yaml:
# run them (RUNS="demo" for some), keep their trials, write the blocks. `lab reference check` (a
# test) fails when a block differs from its run.
docs-results: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/lab reference run $(RUNS)
	$(BIN)/lab reference write

lint: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check lab tests benchmarks
	$(BIN)/ruff format --check lab tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/shellcheck -x cli-baseline/*.sh cli-baseline/*/*.sh cli-baseline/*/*/*.sh
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --compact --quiet --skip-download

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PROWLER_VENV) $(CUSTODIAN_VENV) $(UV_VENV) build .work

bench: $(STAMP)  ## measure the lab itself (prints tables, writes results/benchmarks/*.json; TECHNIQUES=a,b|none TRIALS=N; KEEP=1: also docs/reference-runs/bench.json)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/run.py $(if $(CAMPAIGN),--campaign $(CAMPAIGN),) \
	  $(if $(TECHNIQUES),--techniques $(TECHNIQUES),) $(if $(TRIALS),--trials $(TRIALS),) $(if $(KEEP),--keep,)

bench-live: $(STAMP)  ## a live lab at a class's speed: wall time from detonate to each fix (SPEED=60)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/live.py --speed $(or $(SPEED),60)
