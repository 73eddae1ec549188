# `make help` lists the targets. Every target that runs Python first brings .venv/ up to date with pyproject.toml.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The real MNIST: set GAN_DATA_DIR to a folder holding MNIST/raw; without it, data/ is used (and downloaded into).
ARGS   ?=

.PHONY: help install lock train test test-full mutate tensorboard dashboard docs docs-build lint clean classifier calibrate bench gpu-check

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' Makefile | sed -E -e 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' -e 's/\$$\$$/$$/g' | expand -t 20

install: $(STAMP)  ## the environment in .venv/ (torch 2.14.1, torchvision 0.29.1, pyproject.toml's packages, test and docs tools, the W&B, MLflow and optuna-dashboard extras)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -c constraints.txt -e '.[dev,docs,wandb,mlflow,dashboard]'
	# Hydra's own Optuna sweeper registers the configs the project's sweeper defines (hydra/sweeper/optuna): an
	# environment that still holds it cannot compose a search.
	$(PYTHON) -m pip uninstall --quiet --yes hydra-optuna-sweeper 2>/dev/null || true
	touch $(STAMP)

lock: $(STAMP)  ## record the exact versions in .venv/ in constraints.txt (after the tests pass with them)
	$(PYTHON) -m pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)==' | \
		sed '1i # The exact versions the test suite passed with (make lock writes it; make install installs with it).' > constraints.txt
	touch $(STAMP)  # .venv/ holds exactly these versions already

train: $(STAMP)  ## train the default GAN (Hydra overrides in ARGS="..."); runs land in outputs/train/
	$(PYTHON) -m gan_lightning.train $(ARGS)

test: $(STAMP)  ## the quick test suite (tiny synthetic data, no MNIST needed, a few minutes)
	$(PYTHON) -m pytest -n 2

test-full: $(STAMP)  ## the whole suite, with the slow tests on the real MNIST ($$GAN_DATA_DIR): what CI runs
	$(PYTHON) -m pytest -n 2 -m ''

mutate: $(STAMP)  ## mutation testing of the pure modules: kill rate and every surviving mutant
	rm -rf mutants
	OMP_NUM_THREADS=1 $(VENV)/bin/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -c 3000 mutants.log; exit 1)
	$(PYTHON) tools/mutation_score.py

tensorboard: $(STAMP)  ## TensorBoard over every run and sweep in outputs/
	$(VENV)/bin/tensorboard --logdir outputs

dashboard: $(STAMP)  ## optuna-dashboard over every search in outputs/train/searches/ (http://127.0.0.1:8080)
	$(PYTHON) -m gan_lightning.dashboard $(ARGS)

docs: $(STAMP)  ## the documentation site at http://localhost:8000 (pages in docs/, rebuilt as they change)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

docs-build: $(STAMP)  ## build the documentation site into site/, failing on a broken link or picture (CI runs it)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

lint: $(STAMP)  ## ruff, ruff format and a YAML check (CI runs this before the tests)
	$(VENV)/bin/ruff check gan_lightning hydra_plugins tests benchmarks tools
	$(VENV)/bin/ruff format --check gan_lightning hydra_plugins tests benchmarks tools
	$(VENV)/bin/check-yaml $$(git ls-files '*.yaml')

clean:  ## remove runs and caches (keeps .venv/)
	rm -rf outputs/*/ site .pytest_cache .ruff_cache gan_lightning.egg-info mutants mutants.log
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

classifier: $(STAMP)  ## retrain the metrics' feature classifier into .cache/ (the shipped one is the default)
	$(PYTHON) -m gan_lightning.classifier

calibrate: $(STAMP)  ## what FID/KID/IS/coverage read for real images, one digit only, and noise
	$(PYTHON) -m gan_lightning.calibrate

bench: $(STAMP)  ## training speed against plain-PyTorch loops (ARGS="--iterations 600 --rounds 3")
	$(PYTHON) benchmarks/bench_training.py $(ARGS)

gpu-check: $(STAMP)  ## one-shot GPU timing: the tutorial's 100 epochs extrapolated (outputs/gpu_check/report.md)
	$(PYTHON) benchmarks/gpu_check.py $(ARGS)
