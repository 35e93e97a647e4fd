# Two entry points on a fresh machine: `make demo` and `make test`. Each creates the venv if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins packaging<24, which pytest 9 cannot use: it gets a venv of its own.
CHECKOV_VENV  ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Prowler (CSPM, `lab cspm`) pulls every cloud's SDK (about 2.3 GB, 4 minutes): a venv of its own.
PROWLER_VENV    ?= .venv-prowler
PROWLER_STAMP   = $(PROWLER_VENV)/.installed-$(PROWLER_VERSION)
PROWLER_VERSION := $(shell sed -n 's/^PINNED = "\([^"]*\)".*/\1/p' lab/cspm/prowler.py)

.PHONY: demo test test-setup system-packages bench bench-live lint env clean tex prowler browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov>=3.2,<4'
	touch $(CHECKOV_STAMP)

$(PROWLER_STAMP):
	$(PYTHON) -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/pip install --quiet --upgrade pip
	$(PROWLER_VENV)/bin/pip install --quiet 'prowler==$(PROWLER_VERSION)'
	touch $(PROWLER_STAMP)

prowler: $(PROWLER_STAMP)  ## install Prowler (for `lab cspm`) in its own venv

env: $(STAMP)

# A TeX engine for the test that compiles `lab report --latex` (Debian's TeX Live, about 30 s);
# where none can be installed, that one test is skipped and says so.
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended
tex:
	@command -v pdflatex >/dev/null || { command -v apt-get >/dev/null && \
	  { apt-get install -y -q $(TEX_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(TEX_PACKAGES) >/dev/null 2>&1; }; }; } || \
	  echo "no TeX engine could be installed: the LaTeX compile test is skipped"

# Headless Chromium and its driver for the console's browser test (Debian's packages, about 15 s).
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null; }; }

demo: $(STAMP)  ## run the demo scenario on the embedded emulated account
	$(BIN)/lab demo

# What the tests need, installed side by side (three pip venvs and Debian's packages: about 4 minutes
# from a clean clone instead of 6); Debian's packages one after the other (apt holds one lock).
test-setup:
	@$(MAKE) --no-print-directory -j 4 --output-sync=target $(STAMP) $(CHECKOV_STAMP) $(PROWLER_STAMP) system-packages

system-packages:
	@$(MAKE) --no-print-directory tex browser

test: test-setup  ## lint, format, import layers, checkov on terraform/, then the tests (emulator, real terraform, real aws CLI)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check lab tests benchmarks
	$(BIN)/ruff format --check lab tests benchmarks
	$(BIN)/lint-imports
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --compact --quiet --skip-download
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -n auto --dist loadfile

lint: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check lab tests benchmarks
	$(BIN)/ruff format --check lab tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/shellcheck -x cli-baseline/*.sh cli-baseline/*/*.sh cli-baseline/*/*/*.sh
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --compact --quiet --skip-download

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PROWLER_VENV) build .work

bench: $(STAMP)  ## measure the lab itself (prints a table, writes results/benchmarks/*.json)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/run.py $(if $(CAMPAIGN),--campaign $(CAMPAIGN),)

bench-live: $(STAMP)  ## a live lab at a class's speed: wall time from detonate to each fix (SPEED=60)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/live.py --speed $(or $(SPEED),60)
