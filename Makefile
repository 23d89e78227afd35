# p2p-quic-migration bench. `make bench` and `make test` install what they need on first run.
SHELL := /bin/bash
APT_PACKAGES := mininet nftables conntrack ethtool iproute2 iputils-ping procps util-linux gcc make tcpdump tshark \
                espeak-ng sox chromium coturn librsvg2-bin libopus-dev nebula tayga \
                slurmctld slurmd slurm-client munge
STAMP := .stamps
WIRE := topologies/build/wire
OPUS_ADDON := native/build/opus.node
# Node's own headers, installed beside its binary (/usr/bin/node -> /usr/include/node): nothing to download
NODE_INCLUDE := $(abspath $(dir $(shell command -v node))/../include/node)
CERTS := certs/intermediate.crt certs/peer.crt
TSX := node_modules/.bin/tsx
MIGBENCH := node harness/bin/migbench.js

.PHONY: certs setup test microbench relay-load soak fidelity figures slurm report run test-unit test-testbed typecheck bench clean help
.DEFAULT_GOAL := help

help:
	@echo "make setup   install Debian + npm dependencies, compile the link emulator (idempotent)"
	@echo "make test    all tests (root; builds emulated networks)"
	@echo "make bench   the default benchmark matrix (CONFIG=file.json for another)"
	@echo "make run     one interactive run: STRATEGY=relay-repunch NAT=port-restricted EVENT=wifi-to-cellular LINK=broadband [CLI=1: Mininet CLI too]"
	@echo "make report  reports/<BENCH>/index.html for results/<BENCH> (BENCH=default)"
	@echo "make slurm   submit CONFIG as a Slurm job array of SHARDS shards plus a merge job (docs/bench.md)"
	@echo "make figures the paper figures: pinned configs, SVG + PDF (page and column) + CSV + README.md in reports/figures/ (ONLY=1|2|3|4)"
	@echo "make microbench  per-packet and per-run costs (tinybench)"
	@echo "make relay-load  concurrent 50 pkt/s streams the relay carries on one core [STREAMS=50,100,200,300]"
	@echo "make soak    stamina: PAIRS=8 pairs, one intermediate, MINUTES=60 switching every 30 s; are RSS, descriptors, relay state flat? (docs/hardening.md)"
	@echo "make fidelity    the same cells fast (early stop, parallel) and slow (whole window, one at a time), compared"
	@echo "make clean   remove build products (not results/)"

setup: $(STAMP)/apt $(STAMP)/npm $(WIRE) $(OPUS_ADDON) $(CERTS) static/sample.wav .build/stamp

# The roles' JavaScript, bundled: run-role and every strategy, with the packages they import (native
# addons stay outside), in shared chunks so the QUIC shims patch the same js-quic the strategies use.
# A role then starts in 0.16 CPU s instead of 0.48 (0.35 against 0.81 with werift), most of it Node's
# module loader (docs/bench.md "Phases"). harness/run/roles.ts runs it while it is fresh.
.build/stamp: $(shell find strategies core -name '*.ts') tsconfig.json $(STAMP)/npm Makefile
	rm -rf .build
	node_modules/.bin/esbuild strategies/run-role.ts $(wildcard strategies/*/index.ts) --bundle --splitting \
	  --format=esm --platform=node --target=node20 --outdir=.build/roles --outbase=strategies --sourcemap \
	  --external:@matrixai/quic-linux-x64 --external:node-datachannel --external:@roamhq/wrtc --external:@number0/iroh --log-level=warning \
	  --banner:js="import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);"
	touch $@

$(STAMP)/apt: Makefile
	@mkdir -p $(STAMP)
	@if [ "$$(id -u)" != 0 ]; then echo "setup needs root (apt-get, network namespaces)"; exit 1; fi
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	# not `npm ci`: the lock lists platform packages of @matrixai/quic 2.0.9 that the registry lacks,
	# which `npm ci` treats as out of sync; install still follows the lock for everything it has.
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

$(WIRE): topologies/wire.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -o $@ $< -lm

# libopus for core/opus.ts: a small N-API addon over Debian's libopus (docs/audio.md "Opus" says why not an npm binding)
$(OPUS_ADDON): native/opus.c $(STAMP)/apt
	@mkdir -p $(dir $@)
	@test -f $(NODE_INCLUDE)/node_api.h || { echo "Node's headers not found in $(NODE_INCLUDE)"; exit 1; }
	gcc -O2 -Wall -Wextra -shared -fPIC -DNODE_GYP_MODULE_NAME=opus -I$(NODE_INCLUDE) -o $@ $< -lopus

typecheck: $(STAMP)/npm
	node_modules/.bin/tsc -p .

test: setup typecheck test-unit test-testbed

test-unit: setup
	node --import tsx --test test/unit/*.test.ts
	/usr/bin/python3 -m unittest discover -s topologies -p 'test_*.py'

test-testbed: setup
	bash topologies/test_wire.sh
	node --import tsx --test --test-concurrency=1 test/testbed/*.test.ts

CONFIG ?= harness/configs/default.json
bench: setup
	$(MIGBENCH) bench --config $(CONFIG)

STRATEGY ?= relay-repunch
NAT ?= port-restricted
EVENT ?= wifi-to-cellular
LINK ?= broadband
run: setup
	$(MIGBENCH) run --interactive --strategy $(STRATEGY) --nat $(NAT) --event $(EVENT) --link $(LINK) $(if $(CLI),--cli)

BENCH ?= default
report: setup
	$(MIGBENCH) report --bench $(BENCH)

SHARDS ?= 3
slurm: setup
	$(MIGBENCH) slurm --config $(CONFIG) --shards $(SHARDS)

ONLY ?=
figures: setup
	$(MIGBENCH) figures $(if $(ONLY),--only $(ONLY))

microbench: setup
	node --import tsx microbench/microbench.ts

relay-load: setup
	$(MIGBENCH) relay-load $(if $(STREAMS),--streams $(STREAMS))

# stamina (docs/hardening.md "Soak"): not in `make test`, which runs a 2-minute one (test/testbed/soak.test.ts)
soak: setup
	$(MIGBENCH) soak $(if $(PAIRS),--pairs $(PAIRS)) $(if $(MINUTES),--minutes $(MINUTES)) $(if $(SOAK_STRATEGY),--strategy $(SOAK_STRATEGY))

# the fidelity check of fast benches: the same cells fast (early stop, parallel) and slow (docs/bench.md)
fidelity: setup
	$(MIGBENCH) bench --config harness/configs/fidelity-slow.json
	$(MIGBENCH) bench --config harness/configs/fidelity-fast.json
	$(MIGBENCH) compare --fast fidelity-fast --slow fidelity-slow

clean:
	rm -rf topologies/build native/build $(STAMP) .build

# Self-signed ECDSA P-256 certificates, pinned by fingerprint: the intermediate's (peers pin it)
# and the peers' own (used on P2P connections).
certs: $(CERTS)
certs/%.crt:
	@mkdir -p certs
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
	  -subj "/CN=migbench-$*" -keyout certs/$*.key -out $@ 2>/dev/null

static/sample.wav: static/make-sample.sh
	bash static/make-sample.sh $@
