# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
TEST_VENV := .venv-test
FIXTURES := fixtures

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

# The test environment also holds Airflow, so the suite can compare with the real DagBag.
$(TEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet -e '.[dev,airflow]'
	touch $@

# Findings are expected on the bundled fixtures (exit 1); only exit 2 is a failure.
demo: $(VENV)/.installed
	$(VENV)/bin/dagcheck model $(FIXTURES)/airflow/dag_context_manager.py
	$(VENV)/bin/dagcheck check $(FIXTURES); status=$$?; test $$status -le 1

test: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/ruff check src tests benchmarks
	$(TEST_VENV)/bin/python -m pytest -q -rs

bench: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) $(TEST_VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
