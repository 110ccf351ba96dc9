# The two commands of the README: `make demo` and `make test`.
# Each creates .venv and installs what it needs (torch is pinned to the 2.13.0 CPU build).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-slow bench clean

$(STAMP): pyproject.toml
	bash scripts/ensure-bwrap.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[snippets,test]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	bash scripts/demo.sh

# The everyday suite leaves out tests marked slow; CI (.ci/run) runs those too.
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Every measured number in the README comes from one of these (results in bench/results/).
bench: $(STAMP)
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_review.py
	$(BIN)/python bench/bench_fetch.py
	$(BIN)/python bench/bench_snippets.py
	$(BIN)/python bench/bench_final.py
	$(BIN)/python bench/bench_summaries.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist
