# 深度学习优化课程 —— 常用命令：make lab | make test | make notebooks | make bench | make release
VENV   ?= .venv
PY     := $(VENV)/bin/python
SHARED := $(abspath ../shared/data)
# Tests and CI read data from the offline mirror ../shared/data when it exists.
ifeq ($(origin COURSE_DATA_DIR), undefined)
  ifneq ($(wildcard $(SHARED)/fashion-mnist),)
    export COURSE_DATA_DIR := $(SHARED)
  endif
endif
PYTEST_ARGS ?=
EXTRAS ?= test

.PHONY: install lab test notebooks bench release lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install "torch==2.13.0"
	$(PY) -m pip install -e ".[$(EXTRAS)]"
	@touch $@

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

test: install
	$(VENV)/bin/ruff check course_utils tests scripts
	COURSE_MODE=smoke MPLBACKEND=Agg $(PY) -m pytest tests notebooks \
	  --nbval-lax --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --ignore=notebooks/assignments --ignore=notebooks/src -p no:cacheprovider $(PYTEST_ARGS)

notebooks: install
	COURSE_MODE=$${COURSE_MODE:-cpu} $(PY) scripts/notebooks.py run $(NB)

bench: install
	$(PY) benchmarks/run.py

release: install
	$(PY) -m course_utils.grading release

lint: install
	$(VENV)/bin/ruff check course_utils tests scripts benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
