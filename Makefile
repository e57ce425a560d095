# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
TEST_VENV := .venv-test
AIRFLOW2_VENV := .venv-airflow2
PREFECT_VENV := .venv-prefect
FIXTURES := fixtures
# The Airflow releases the model is compared with; pinned so that CI is repeatable.
AIRFLOW3 := apache-airflow==3.3.2
AIRFLOW2 := apache-airflow==2.10.5
# Prefect 3 and Airflow 3 cannot share an environment (their fastapi pins exclude each other):
# Prefect gets its own, which the suite calls to import the Prefect fixtures.
PREFECT3 := prefect==3.8.8

.PHONY: demo test fuzz lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

# The test environments also hold Airflow, so the suite can compare with the real DagBag:
# the whole suite runs with Airflow 3, the DagBag comparison runs again with Airflow 2.
$(TEST_VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet -e '.[dev]' '$(AIRFLOW3)'
	touch $@

# Only what the DagBag comparison needs: Airflow 2's example DAGs define other tasks when
# virtualenv (which pre-commit brings) is installed.
$(AIRFLOW2_VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(AIRFLOW2_VENV)
	$(AIRFLOW2_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIRFLOW2_VENV)/bin/python -m pip install --quiet -e . pytest '$(AIRFLOW2)'
	touch $@

$(PREFECT_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(PREFECT_VENV)
	$(PREFECT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PREFECT_VENV)/bin/python -m pip install --quiet '$(PREFECT3)'
	touch $@

# Findings are expected on the bundled fixtures (exit 1); only exit 2 is a failure.
demo: $(VENV)/.installed
	$(VENV)/bin/dagcheck model $(FIXTURES)/airflow/dag_context_manager.py
	$(VENV)/bin/dagcheck model $(FIXTURES)/prefect/etl_decorators.py
	$(VENV)/bin/dagcheck check $(FIXTURES); status=$$?; test $$status -le 1
	$(VENV)/bin/dagcheck review --exit-zero $(FIXTURES)/airflow/operators_classic.py $(FIXTURES)/prefect/serve_many_deployments.py
	$(VENV)/bin/dagcheck runbook --out build/runbooks $(FIXTURES)
	head -n 60 build/runbooks/warehouse_daily_load.md

test: $(TEST_VENV)/.installed $(AIRFLOW2_VENV)/.installed $(PREFECT_VENV)/.installed
	$(TEST_VENV)/bin/ruff check src tests benchmarks
	$(TEST_VENV)/bin/ruff format --check --quiet src tests benchmarks
	DAGCHECK_PREFECT_PYTHON=$(CURDIR)/$(PREFECT_VENV)/bin/python $(TEST_VENV)/bin/python -m pytest -q -rsP
	$(AIRFLOW2_VENV)/bin/python -m pytest -q -rsP tests/test_airflow_examples.py tests/test_dagbag_engine.py

# The generated-programs test with many more programs than `make test` runs, from a random
# seed it prints: `make fuzz SEED=<seed>` runs the same programs again, PROGRAMS=<n> more or
# fewer.
PROGRAMS ?= 10000
fuzz: $(TEST_VENV)/.installed
	@seed=$(SEED); seed=$${seed:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "DAGCHECK_FUZZ_SEED=$$seed DAGCHECK_FUZZ_PROGRAMS=$(PROGRAMS)"; \
	DAGCHECK_FUZZ_SEED=$$seed DAGCHECK_FUZZ_PROGRAMS=$(PROGRAMS) \
		$(TEST_VENV)/bin/python -m pytest -q tests/test_generated_programs.py

bench: $(TEST_VENV)/.installed $(PREFECT_VENV)/.installed
	$(TEST_VENV)/bin/python benchmarks/bench_model.py
	$(TEST_VENV)/bin/python benchmarks/bench_prefect.py --prefect-python $(PREFECT_VENV)/bin/python
	$(TEST_VENV)/bin/python benchmarks/bench_engines.py --prefect-python $(PREFECT_VENV)/bin/python

clean:
	rm -rf $(VENV) $(TEST_VENV) $(AIRFLOW2_VENV) $(PREFECT_VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
