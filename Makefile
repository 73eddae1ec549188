# make install | train | test | test-full | mutate | tensorboard | lint | clean | classifier | calibrate | bench
# Every target that runs Python first brings .venv/ up to date with pyproject.toml.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The real MNIST: set GAN_DATA_DIR to a folder holding MNIST/raw; without it, data/ is used (and downloaded into).
ARGS   ?=

.PHONY: install train test test-full tensorboard lint clean classifier calibrate bench mutate

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

train: $(STAMP)
	$(PYTHON) -m gan_lightning.train $(ARGS)

test: $(STAMP)
	$(PYTHON) -m pytest

test-full: $(STAMP)
	$(PYTHON) -m pytest -m ''

tensorboard: $(STAMP)
	$(VENV)/bin/tensorboard --logdir outputs

lint: $(STAMP)
	$(VENV)/bin/ruff check gan_lightning tests benchmarks
	$(VENV)/bin/ruff format --check gan_lightning tests benchmarks
	$(VENV)/bin/check-yaml $$(git ls-files '*.yaml')

clean:
	rm -rf outputs/*/ .pytest_cache .ruff_cache gan_lightning.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

classifier: $(STAMP)
	$(PYTHON) -m gan_lightning.classifier

calibrate: $(STAMP)
	$(PYTHON) -m gan_lightning.calibrate

bench: $(STAMP)
	$(PYTHON) benchmarks/bench_training.py $(ARGS)

# Mutation testing of the modules the fast unit tests pin (pyproject's [tool.mutmut]): kill rate and survivors.
mutate: $(STAMP)
	rm -rf mutants
	OMP_NUM_THREADS=1 $(VENV)/bin/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -c 3000 mutants.log; exit 1)
	$(PYTHON) tests/mutation_score.py
