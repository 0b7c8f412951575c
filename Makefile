# `make lab [UI=zh]`  set up (once) and open the course in JupyterLab (UI=zh, or a
#     zh_* LANG, opens the Chinese interface); no news pop-up, no update checks
# `make test`  set up (once) and run every test and every notebook
# `make notebooks [NB=notebooks/03_activations.ipynb]`  re-execute notebooks in place
# `make poems [FROM=chinese-poetry-2.0.1.tgz]`  build the Tang-poem corpus of notebook 13
#     (fetched with `npm pack`, or from a tarball downloaded by hand); `make lab` and
#     `make test` do this when it is missing
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?= notebooks/*.ipynb

.PHONY: setup poems lab test notebooks lint bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml tools/configure_lab.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python tools/configure_lab.py --lang "$(if $(UI),$(UI),$(LANG))"
	touch $(STAMP)

# Checks the corpus against data/poems.lock.json; builds it only when missing or stale.
poems: setup
	$(BIN)/python -m helpers.data.poems build $(if $(FROM),--from "$(FROM)")

# The course opens without the poems too (the build prints why and how to get them).
lab: setup
	@$(BIN)/python -m helpers.data.poems build $(if $(FROM),--from "$(FROM)") || \
		echo "make lab: opening the course without the Tang poems (only notebook 13's poem cells need them)."
	@$(BIN)/python tools/configure_lab.py --lang "$(if $(UI),$(UI),$(LANG))" >/dev/null
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_course_map.ipynb

# The browser tests check that Chinese renders; without a CJK font they would fail
# after minutes, so stop at once with the command that fixes it.
test: poems
	@if command -v fc-list >/dev/null 2>&1 && [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		echo "make test: no Chinese (CJK) font is installed, so the browser tests would show boxes."; \
		echo "Install one, then run make test again:  sudo apt-get install fonts-wqy-microhei"; \
		exit 2; \
	fi
	$(BIN)/python -m pytest -n 2 --dist loadfile

notebooks: poems
	$(BIN)/python tools/execute_notebooks.py $(NB)

lint: setup
	$(BIN)/ruff check helpers tests bench data tools

bench: setup
	$(BIN)/python bench/widget_latency.py

# `make site`  build the offline web edition into site/ (open site/index.html, or
#     `python -m http.server -d site`): every notebook with its outputs, the panels as
#     pre-rendered frames moved by plain JavaScript, the teacher's guide, the glossary
#     and a search box; nothing is loaded from the network (KaTeX is fetched once with
#     `npm pack` and checked against tools/site/katex.lock.json)
.PHONY: site
site: setup
	$(BIN)/python tools/build_site.py --out site
