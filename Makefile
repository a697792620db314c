# Aduan: `make up` runs the whole platform locally, `make test` runs the test suite.
PY := .venv/bin/python

.PHONY: bootstrap up down status demo test test-repeat lint bench

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	@$(PY) -m tools.devstack up

down:
	@[ -x $(PY) ] && $(PY) -m tools.devstack down || true

# Each process of `make up`: name, pid, up/down, restarts by the supervisor, port.
status:
	@$(PY) -m tools.devstack status

demo: bootstrap
	@$(PY) scripts/demo.py

test: bootstrap
	@$(PY) -m ruff check .
	@$(PY) -m pytest

# N runs of the whole suite, each on a fresh clone of HEAD; HOG=K busy processes beside them.
test-repeat:
	@HOG=$(or $(HOG),0) scripts/test_repeat.sh $(or $(N),5)

lint: bootstrap
	@$(PY) -m ruff check .

bench: bootstrap
	@$(PY) bench/load.py
