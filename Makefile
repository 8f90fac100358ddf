# Carer guidance assistant. Start with `make run` (chat in a browser) and
# `make test` (every test). See README.md.

SHELL := /bin/bash
VENV := .venv
RASA := $(VENV)/bin/rasa
PY := $(VENV)/bin/python
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup lock train run chat test lint validate pytest test-stories bench clean check-sources
.PHONY: safety-report bench-risk nlu-report risk-model-report

setup:
	@scripts/setup.sh
	@scripts/build_web.sh

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

# The tests compare every fact with the factsheet and run the peer safety sets:
# both live outside the repo (../shared/ beside it, or FACTSHEET_PATH and
# PEER_TESTS_DIR). Checked first, so a clone without them stops at once.
FACTSHEET_PATH ?= $(abspath $(CURDIR)/../shared/source/self-harm-factsheet.txt)
PEER_TESTS_DIR ?= $(abspath $(CURDIR)/../shared/peer-tests)
check-sources:
	$(if $(and $(wildcard $(FACTSHEET_PATH)),$(wildcard $(PEER_TESTS_DIR)/*.csv)),@true,$(error \
	  make test needs the source factsheet ($(FACTSHEET_PATH)$(if $(wildcard $(FACTSHEET_PATH)),,: missing)) \
	  and the peer test sets ($(PEER_TESTS_DIR)$(if $(wildcard $(PEER_TESTS_DIR)/*.csv),,: missing)): \
	  put shared/ beside this clone, or set FACTSHEET_PATH=/path/to/self-harm-factsheet.txt \
	  and PEER_TESTS_DIR=/path/to/peer-tests))

pytest: check-sources setup train
	$(VENV)/bin/pytest -q

test-stories: setup train
	$(RASA) test core --model models --stories tests/ --fail-on-prediction-errors --out results/core

test: check-sources setup browser validate lint train pytest test-stories
	@echo "All tests passed."

# Side-by-side benchmark against Rasa's default config (about 15 minutes).
bench: setup train
	$(PY) scripts/bench.py

# Safety: crisis recall and false-alarm rates per test set (reports/safety.json).
# BATCH=path measures a new blind batch first (tests/safety/blind.py) and adds it.
safety-report: setup train
	$(PY) scripts/safety_report.py $(BATCH)

# Risk model: cross-validated recall and false alarms, and the thresholds they give.
risk-model-report: setup
	$(PY) -m scripts.risk_model_report

# Risk screen cost per message, mean and p95 (target < 1 ms).
bench-risk: setup
	$(PY) scripts/bench_risk_screen.py

# NLU: seeded 5-fold cross-validation, per-intent precision/recall/F1 in reports/nlu/;
# fails when any intent's F1 is below 0.85. Then, apart, the newest blind NLU batch
# (tests/nlu/blind/): its figures when unseen and now. BATCH=path measures a new
# blind batch once and records it (docs/understanding-blind-evaluation.md).
nlu-report: setup
	$(PY) scripts/nlu_report.py $(if $(BATCH),--batch "$(BATCH)")

# ===== Service directory (signposting) =====
.PHONY: load-services

# Validates data/services/*.yml against the factsheet and (re)loads the directory
# into SERVICES_DATABASE_URL (default var/services.db), after `alembic upgrade head`.
load-services: setup
	$(PY) scripts/load_services.py

# ===== Production profile and reliability =====
.PHONY: run-prod purge-old test-reliability reliability-report
RELIABILITY_TESTS := tests/reliability tests/test_privacy.py tests/test_bad_input.py tests/test_conversation_ownership.py

# nginx + two Rasa servers + actions, PostgreSQL and Redis (see README "Production profile").
run-prod: setup train
	@scripts/run_prod.sh

# Deletes conversations idle for more than RETENTION_DAYS (default 30) days.
purge-old: setup
	$(PY) scripts/purge_conversations.py

# Faults, bad input, fuzzing and privacy against real processes (a few minutes).
test-reliability: setup train
	@scripts/install_nginx.sh
	RELIABILITY=1 $(VENV)/bin/pytest -q $(RELIABILITY_TESTS)
	$(PY) scripts/safety_case.py reliability.json

# The same suites, then the figures (reports/reliability.json).
reliability-report: setup train
	@scripts/install_nginx.sh
	@RELIABILITY=1 $(VENV)/bin/pytest -q $(RELIABILITY_TESTS); status=$$?; \
	  $(PY) scripts/reliability_report.py; exit $$status

# ===== Web chat =====
.PHONY: browser screenshots

# Debian's chromium for the browser tests (tests/web/), installed once.
browser:
	@scripts/setup_browser.sh

# Phone (360x740) and desktop screenshots of the chat in reports/screenshots/.
screenshots: setup train browser
	$(PY) scripts/web_screenshots.py

# ===== Clinical safety case =====
.PHONY: safety-case

# The figures docs/safety/safety-case.md cites must match reports/ (make test, make test-reliability).
safety-case: setup
	$(PY) scripts/safety_case.py safety.json reliability.json

# ===== Analytics (anonymous) =====
.PHONY: analytics

# Counts per day from the tracker store (no text, no sender ids) to reports/analytics/ (CSV, PNG).
analytics: setup
	$(PY) scripts/analytics.py

# ===== Clinical content review =====
.PHONY: content-report

# Every response, service record and what leads to each, with review dates, for the clinical reviewer.
content-report: setup
	$(PY) scripts/content_report.py

clean:
	rm -rf models results reports var
