# Two commands do all the set-up: `make demo` runs the product, `make test` runs the tests.
# Both create the virtualenv in .venv: `make demo` installs metarrd and what it runs on,
# `make test` (and lint, format, bench, screenshots) the test tools too. A venv `make demo`
# made is completed by a later `make test`, not made again.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: venv venv-test system-deps services services-stop test test-scale lint format demo scan bench lighthouse screenshots clean

# the product: metarrd and its dependencies, what `make demo` needs (a venv of some 320 MB; with
# the test tools 550 MB, Playwright's driver alone 167 MB)
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# the product and the test extra (pyproject.toml: pytest, ruff, Playwright, the PostgreSQL and
# Redis drivers), into the same venv; the product's stamp too, since it is all there
$(BIN)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(BIN)/.installed

venv: $(BIN)/.installed

venv-test: $(BIN)/.installed-test

lint: venv-test
	$(BIN)/ruff check metarrd tests bench
	$(BIN)/ruff format --check metarrd tests bench

# What the tests need from the system besides Python: Debian's chromium (end-to-end UI tests),
# kodi + Xvfb (the real-Kodi test), systemd-analyze, postgresql and redis-server (the second
# pass). Each script is idempotent and does nothing when its tools are already installed.
system-deps:
	@for script in .ci/install-*.sh; do bash $$script || exit 1; done
	@bash .ci/services.sh install

# A throwaway PostgreSQL cluster and Redis server on 127.0.0.1 (idempotent; `services-stop` ends them)
services: system-deps
	@bash .ci/services.sh start

services-stop:
	@bash .ci/services.sh stop

# The whole suite on the SQLite default and, side by side with it (.ci/test-both.sh: neither
# pass keeps 2 cores busy alone), the daemon, jobs, publish, web and scale-out tests on
# PostgreSQL + Redis: those of them on the test backend (`on_backend` in tests/conftest.py;
# the others, which never make a config from the backend's URLs, are deselected). The crash
# test's batch of three movies runs on both; its one-movie run
# (200 more SIGKILLs, the same ledger writes one movie at a time) on SQLite only, to keep
# `make test` under 20 minutes on 2 cores.
test: system-deps lint services
	@bash .ci/test-both.sh $(BIN)

test-scale: venv-test services
	eval "$$(bash .ci/services.sh env)" && $(BIN)/pytest -q -m "not e2e" \
		--deselect "tests/publish/test_crash.py::test_sigkill_at_random_points_never_breaks_or_loses_a_file[1]" \
		tests/daemon tests/publish tests/web tests/scale tests/scan/test_name_rules.py

format: venv-test
	$(BIN)/ruff check --fix metarrd tests bench
	$(BIN)/ruff format metarrd tests bench

scan: venv
	$(BIN)/metarrd --config $(CONFIG) scan

demo: venv
	$(BIN)/metarrd demo

bench: venv-test
	$(BIN)/python -m bench

# Lighthouse (installed by .ci/install-lighthouse.sh into bench/.lighthouse/) against the demo.
lighthouse: system-deps venv-test
	CHROME_PATH=/usr/bin/chromium $(BIN)/python -m bench.lighthouse

screenshots: system-deps venv-test
	METARRD_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/web/test_e2e.py tests/web/test_e2e_identify_tv.py

clean:
	rm -rf $(VENV) .pytest_cache
