# `make lab`   set up (once) and open the course in JupyterLab
# `make test`  set up (once) and run every test and every notebook
# `make notebooks [NB=notebooks/03_activations.ipynb]`  re-execute notebooks in place
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?= notebooks/*.ipynb

.PHONY: setup lab test notebooks lint bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_course_map.ipynb

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

notebooks: setup
	$(BIN)/python tools/execute_notebooks.py $(NB)

lint: setup
	$(BIN)/ruff check helpers tests bench data tools

bench: setup
	$(BIN)/python bench/widget_latency.py
