# Two entry points for a newcomer: `make plan` (offline plan of a stack) and `make test`.
# Both create the virtualenv Pulumi itself uses (Pulumi.yaml: virtualenv: venv) on first run.
PYTHON ?= python3
VENV := venv
STACK ?= dev
INSTALLED := $(VENV)/.installed
# The security scanners in a virtualenv of their own: checkov's pins conflict with the SDK's.
SCANNERS_VENV := venv-scanners
SCANNERS_INSTALLED := $(SCANNERS_VENV)/.installed
# uv installs the same pinned requirements as pip, in seconds rather than minutes, and shows them.
UV_VERSION := 0.13.9

.PHONY: plan test lint typecheck clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --python $(VENV)/bin/python -r requirements-dev.txt
	touch $@

$(SCANNERS_INSTALLED): requirements-scanners.txt $(INSTALLED)
	$(PYTHON) -m venv $(SCANNERS_VENV)
	$(VENV)/bin/uv pip install --python $(SCANNERS_VENV)/bin/python -r requirements-scanners.txt
	touch $@

plan: $(INSTALLED)
	$(VENV)/bin/python -m stacks plan --stack $(STACK)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(INSTALLED)
	$(VENV)/bin/mypy

test: lint typecheck $(SCANNERS_INSTALLED)
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) $(SCANNERS_VENV) out .mypy_cache
