# Liuhen: the front door. `make demo` and `make test` are the two commands a newcomer runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(shell find protos -name '*.proto')
GEN_STAMP := liuhen/.protos.stamp
STACK := deploy/stack/stack.sh

.PHONY: install system-packages protos demo test lint typecheck unit service contract stack-tests e2e bench bench-stack chart \
        stack-up stack-down stack-status up clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: system-packages $(VENV)/.installed $(GEN_STAMP)

# What the printing needs from the system (docs/printing.md): TrueType CJK fonts that
# ReportLab embeds (AR PL UMing for titles, AR PL UKai for the body, WenQuanYi Zen Hei
# for any glyph the others lack) and poppler-utils (pdftotext, pdffonts) for the tests;
# Debian's chromium and chromium-driver for the console's browser tests (docs/console.md).
SYSTEM_PACKAGES := fonts-arphic-uming fonts-arphic-ukai fonts-wqy-zenhei fonts-dejavu-core \
                   poppler-utils chromium chromium-driver
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing (apt)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Generated code lives in liuhen/<service>/v1/ and is never edited by hand.
$(GEN_STAMP): $(PROTOS) $(VENV)/.installed
	$(PY) -m grpc_tools.protoc -I protos --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)
	for d in $$(find liuhen -path '*/v1' -type d); do \
	  touch $$d/__init__.py $$(dirname $$d)/__init__.py; done
	touch $@

protos: $(GEN_STAMP)

demo: install
	$(VENV)/bin/liuhen demo

up: install
	$(VENV)/bin/liuhen up

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy liuhen/platform liuhen/console services

# The whole suite: lint, types, unit, service, contract (both adapters), e2e, and the
# stack tests against real PostgreSQL, Kafka, Ceph RGW and Keycloak, started here.
test: lint typecheck
	bash $(STACK) up
	bash $(STACK) fresh-db   # every run starts from an empty schema: migrations build it
	status=0; $(VENV)/bin/pytest -q -p no:cacheprovider tests || status=$$?; \
	  [ -n "$$LIUHEN_KEEP_STACK" ] || bash $(STACK) down; exit $$status

# Benchmarks (docs/performance.md): each prints its figures beside a baseline measured in
# the same run and appends one JSON line to bench/results.jsonl. Sizes and lengths are
# parameters (LIUHEN_BENCH_*); the defaults keep a run to a few minutes on 2 cores.
BENCH_EMBEDDED := bench.commands bench.ledger_verify bench.city bench.growth bench.upload_recording bench.ledger_log \
	bench.concurrent_uploads bench.crosssite
BENCH_STACK := bench.commands bench.ledger_verify bench.city bench.growth bench.ingest \
	bench.concurrent_uploads bench.crosssite
bench: install
	for b in $(BENCH_EMBEDDED); do $(PY) -m $$b || exit 1; done

# The same on the local stack, which this starts (idempotent when it is up). The database
# is LIUHEN_DATABASE_URL (+ _OWNER_URL) when set, else liuhen_bench made anew by
# bench/stack_db.sh: never the stack's shared `liuhen`.
bench-stack: install
	bash $(STACK) up
	[ -n "$$LIUHEN_DATABASE_URL" ] || eval "$$(bash bench/stack_db.sh)"; \
	for b in $(BENCH_STACK); do LIUHEN_BENCH_PROFILE=stack $(PY) -m $$b || exit 1; done

# The Helm chart: lint, render and validate against the Kubernetes schemas, offline.
TOOLS := $(HOME)/.cache/liuhen-tools
HELM := $(TOOLS)/helm
$(HELM):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) go install helm.sh/helm/v3/cmd/helm@v3.22.0

chart: install $(HELM)
	$(HELM) lint --strict deploy/helm/liuhen
	$(HELM) template liuhen deploy/helm/liuhen > $(VENV)/liuhen-chart.yaml
	$(VENV)/bin/pip install -q kubernetes-validate
	$(VENV)/bin/kubernetes-validate --strict $(VENV)/liuhen-chart.yaml

stack-up:
	bash $(STACK) up

stack-down:
	bash $(STACK) down

stack-status:
	bash $(STACK) status

clean:
	rm -rf $(VENV) $(GEN_STAMP) .mypy_cache .ruff_cache
	find liuhen -name '*_pb2*.py*' -delete
