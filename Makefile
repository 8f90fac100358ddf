# Carer guidance assistant. Start with `make run` (chat in a browser) and
# `make test` (every test). See README.md.

SHELL := /bin/bash
VENV := .venv
RASA := $(VENV)/bin/rasa
PY := $(VENV)/bin/python
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup lock train run chat test lint validate pytest test-stories bench clean

setup:
	@scripts/setup.sh

# Regenerate the lock (constraints.txt) from the resolved set after editing requirements.txt.
lock: setup
	$(VENV)/bin/pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)==' > constraints.txt

train: setup
	@scripts/train.sh

run: setup train
	@scripts/run.sh

chat: setup train
	@scripts/chat.sh

validate: setup
	$(RASA) data validate --fail-on-warnings --config config.yml --domain domain.yml --data data

lint: setup
	$(VENV)/bin/ruff check .

pytest: setup train
	$(VENV)/bin/pytest -q

test-stories: setup train
	$(RASA) test core --model models --stories tests/ --fail-on-prediction-errors --out results/core

test: setup validate lint train pytest test-stories
	@echo "All tests passed."

# Side-by-side benchmark against Rasa's default config (about 15 minutes).
bench: setup train
	$(PY) scripts/bench.py

clean:
	rm -rf models results reports var
