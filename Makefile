# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-out

.PHONY: setup demo test lint bench clean browser bundle spark

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	rm -rf $(DEMO)
	$(BIN)/inconcert simulate --out $(DEMO)/data --seed 7
	$(BIN)/inconcert detect $(DEMO)/data/posts.csv.gz --out $(DEMO)/result
	$(BIN)/inconcert evaluate $(DEMO)/data/truth.csv $(DEMO)/result

# the lint (ruff check, ruff format --check, mypy) is part of every test run, in CI too
# the tests run on every core (pytest-xdist): about half the wall time on the 2-core CI machine
test: setup browser spark lint
	$(BIN)/python -m pytest -q -n auto

# Headless Chromium for the report's browser tests, from Debian's packages where apt is
# available (the tests skip, saying why, where it is not).
browser:
	@command -v chromium >/dev/null || (command -v apt-get >/dev/null && (apt-get update -qq && \
		apt-get install -y -qq chromium chromium-driver >/dev/null) || \
		echo "no apt (or no permission): browser tests will be skipped")

# The Spark engine (--engine spark) for its parity tests: the spark extra (pyspark) and Java 17
# from Debian's packages where apt is available (the tests skip, saying why, where either is
# missing).
spark: $(VENV)/.spark-installed
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || \
		(command -v apt-get >/dev/null && (apt-get update -qq && \
		apt-get install -y -qq openjdk-17-jre-headless >/dev/null) || \
		echo "no apt (or no permission): no Java 17, Spark engine tests will be skipped")

$(VENV)/.spark-installed: $(STAMP)
	($(BIN)/python -m pip install --quiet -e '.[spark]' && touch $@) || \
		echo "pyspark not installed: Spark engine tests will be skipped"

# Rebuild the report's JavaScript bundle (sigma.js + graphology) from the npm registry into
# src/inconcert/report/assets/ (graph.min.js, graph.LICENSES.txt); both are committed.
bundle:
	cd report/js && npm ci --no-audit --no-fund && npm run build

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

bench: setup
	$(BIN)/python benchmarks/german_vignette.py

clean:
	rm -rf $(VENV) $(DEMO) build .pytest_cache
