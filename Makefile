# The two commands of the README:
#   make lab    set up .venv (once) and open JupyterLab on the lessons
#   make test   set up .venv (once) and run the whole test suite
# and the teacher's, as root: make class CLASS=fall.txt   (JupyterHub for the learners named in fall.txt)
# For authors, make test-fast runs the tests that start no lesson, kernel, training or browser (about two minutes).
# Re-running is quick: the install runs again only when pyproject.toml changed or .venv is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab's settings overrides for this environment (not the learner's home folder): no news pop-up over the lessons
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
PORT   ?= 8888
# JupyterLab refuses to run as root unless told; add the flag only for root (CI, containers).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-fast setup export bench site site-serve class class-proxy

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("dlcourse needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/dlcourse-prepare
	@touch $(STAMP)

$(LAB_OVERRIDES): $(STAMP)
	@mkdir -p $(dir $@)
	@echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $@

lab: $(STAMP) $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/nbs/01_neural_net_basics.ipynb

test: $(STAMP) $(LAB_OVERRIDES)
	$(BIN)/python -m pytest

# JupyterHub's proxy, configurable-http-proxy, from npm (needs Node.js), inside .venv
PROXY := $(VENV)/hub-proxy/node_modules/.bin/configurable-http-proxy
CLASS ?= class.txt
CLASS_ARGS ?=

$(PROXY): | $(STAMP)
	npm install --silent --no-audit --no-fund --prefix $(VENV)/hub-proxy configurable-http-proxy@5

class-proxy: $(PROXY)

class: $(STAMP) $(LAB_OVERRIDES) $(PROXY)
	$(BIN)/dlcourse-class $(CLASS) $(CLASS_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

# The course as a website, from nbs/ as saved (nothing executed), into _site/; site-serve also serves it on 127.0.0.1.
SITE_PORT ?= 8000
site: $(STAMP)
	$(BIN)/dlcourse-site

site-serve: $(STAMP)
	$(BIN)/dlcourse-site --serve --port $(SITE_PORT)

# For authors: after editing notebooks in nbs/, export lib/, refresh the saved outputs and the clean copies.
# The tools notebooks save their outputs with nbdev's runner; the lessons run in a Jupyter kernel, as a learner's do,
# then again on variants of this CPU, each lesson recording how far its outputs moved (dlcourse-check's spread).
export: $(STAMP)
	$(BIN)/nbdev-clean --fname 'nbs/0*.ipynb' --to-meta 'export hide exercise eval' --nb-meta   # out of a learner's sight
	$(BIN)/nbdev-export
	$(BIN)/nbdev-test --save nbs/tools
	$(BIN)/dlcourse-execute nbs/0*.ipynb
	$(BIN)/dlcourse-spread nbs/0*.ipynb
	$(BIN)/nbdev-clean
	$(BIN)/dlcourse-clean --record-settings

# Every benchmark, one after the other (bench/README.md explains each and holds the figures measured here); needs a quiet machine.
bench: $(STAMP) $(LAB_OVERRIDES)
	$(BIN)/python bench/lesson_lines.py
	$(BIN)/python bench/spread.py
	$(BIN)/python bench/check_report.py
	$(BIN)/python bench/class_page.py
	-$(BIN)/python bench/class_servers.py   # as root, with the proxy: make class-proxy
	$(BIN)/python bench/sliders.py
	$(BIN)/python bench/inference.py --img-size 64
	$(BIN)/python bench/training.py
	$(BIN)/python bench/fine_tune.py
	$(BIN)/python bench/recipes.py
	$(BIN)/dlcourse-bench --force
	$(BIN)/python bench/app_start.py
	$(BIN)/python bench/app_load.py
	$(BIN)/python bench/browser_sliders.py
