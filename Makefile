# Shortcuts for the commands in README.md; run.py is the source of truth and needs only Python.
.PHONY: demo test bench lint

demo:
	python3 run.py demo

test:
	python3 run.py test

bench:
	python3 run.py bench

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
