# ec-telemetry developer targets (GNU make). `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

GO       ?= go
FUZZTIME ?= 10s
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: help deps build test lint check fuzz demo bench profile pgo clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install what the tests run (redis-server, redis-cli, mosquitto, promtool, amtool, victoria-metrics from apt; influxd 1.8.10 built with go) (idempotent)
	scripts/deps.sh

build: ## build bin/ectelemetry with the version from git describe
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ectelemetry ./cmd/ectelemetry

test: deps ## everything CI runs: gofmt, go vet, go test -race, a short fuzz pass
	scripts/test.sh

lint: ## gofmt (fails listing unformatted files) and go vet
	scripts/lint.sh

check: lint ## same as lint

fuzz: ## run every Fuzz function for FUZZTIME each (default 10s)
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

demo: deps ## run the demo: simulator + discovery + worker against a local Redis and InfluxDB (ARGS="--appliances 50")
	scripts/demo.sh $(ARGS)

N ?= 100
bench: deps ## measure the pipeline with N simulated appliances (make bench N=1000)
	scripts/bench.sh --appliances $(N) $(ARGS)

PROFILE_DIR ?= profile
profile: deps ## bench with the worker profiled: CPU of a steady cycle, heap, allocations, and the database's CPU (store-cpu.pprof) in PROFILE_DIR (make profile N=1000)
	scripts/bench.sh --appliances $(N) --profile $(PROFILE_DIR) $(ARGS)
	$(GO) tool pprof -top -nodecount=25 bin/ectelemetry $(PROFILE_DIR)/cpu.pprof

pgo: deps ## refresh cmd/ectelemetry/default.pgo, the CPU profile the build optimises for: a steady cycle of 1,000 appliances at 100 ms
	scripts/bench.sh --appliances 1000 --latency 100ms --cycles 2 --check-stored=false --catch-up-minutes 0 --profile $(PROFILE_DIR)
	cp $(PROFILE_DIR)/cpu.pprof cmd/ectelemetry/default.pgo

clean: ## remove build output
	rm -rf bin
