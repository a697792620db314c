# Aduan: `make up` runs the whole platform locally, `make test` runs the test suite.
PY := .venv/bin/python

.PHONY: bootstrap up down demo test lint bench

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	@$(PY) -m aduan.devstack up

down:
	@[ -x $(PY) ] && $(PY) -m aduan.devstack down || true

demo: bootstrap
	@$(PY) scripts/demo.py

test: bootstrap
	@$(PY) -m ruff check .
	@$(PY) -m pytest

lint: bootstrap
	@$(PY) -m ruff check .

bench: bootstrap
	@$(PY) bench/load.py
