# Navarkos: `make` builds everything, `make run` starts a local fleet, `make test` runs every test
# (`make test-unit`, the quick tests that need no built tool, then `make test-e2e`, all at full length).
GO ?= go
BIN := $(CURDIR)/bin
DATA_DIR ?= $(HOME)/.navarkos
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# -p 1: local clusters of different test packages would otherwise race for the same free ports.
GOTEST_FLAGS ?= -p 1 -timeout 45m

.PHONY: all build tools test-tools navarkos run test test-unit test-e2e fuzz lint generate bench charts clean

all: build

build: tools navarkos

# The Kubernetes components, etcd, kwok and kwokctl; skipped when bin/ already has the right versions.
tools:
	@hack/build-tools.sh

# The above and what only the tests run: the Cluster API controllers of the capi provider's tests,
# Fn's fnserver and ExternalDNS (about 11 more minutes on a first build).
test-tools:
	@hack/build-tools.sh --with-test-tools

navarkos:
	$(GO) build -ldflags "-X github.com/navarkos/navarkos/internal/cli/cmd/version.Version=$(VERSION)" -o $(BIN)/navarkos ./cmd/navarkos

run: build
	$(BIN)/navarkos up --data-dir $(DATA_DIR)

test: test-unit test-e2e

# The packages whose tests need no built tool (hack/test-packages.sh), in short mode: on a fresh
# clone with no bin/, in about a minute.
test-unit:
	$(GO) test -short $$(GO=$(GO) hack/test-packages.sh unit)

# Every package at full length, with the tools in bin/: kube-apiservers, local fleets, BIND,
# Chromium and the Fn server; then short fuzz runs of the DNS message handling and the
# simulator's parsers.
test-e2e: build test-tools
	KUBEBUILDER_ASSETS=$(BIN) NAVARKOS_BIN_DIR=$(BIN) $(GO) test $(GOTEST_FLAGS) ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 10s ./internal/dns
	$(GO) test -run '^$$' -fuzz FuzzParseTrace -fuzztime 10s ./internal/simulate
	$(GO) test -run '^$$' -fuzz FuzzParsePools -fuzztime 10s ./internal/simulate

# go vet and staticcheck (a tool of the module: go.mod pins its version).
lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# A Helm chart repository of charts/fn and charts/navarkos in dist/charts (CHARTS_URL: where it is served).
charts:
	$(GO) run ./hack/package-charts -o dist/charts -url "$(CHARTS_URL)"

generate:
	$(GO) tool controller-gen object paths=./api/...
	$(GO) tool controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	# The cluster inventory API's ClusterProfile, which Navarkos publishes for every member.
	tmp=$$(mktemp -d) && $(GO) tool controller-gen crd paths=sigs.k8s.io/cluster-inventory-api/apis/v1alpha1 output:crd:artifacts:config=$$tmp && \
		cp $$tmp/multicluster.x-k8s.io_clusterprofiles.yaml config/crd/inventory/ && rm -rf $$tmp

# Every benchmark of the README's performance section; about 70 minutes on 2 cores (the tool build alone takes 30).
bench: build test-tools
	bench/cluster-lifecycle.sh
	$(GO) run ./bench/members -bin-dir bin
	bench/scheduling.sh
	bench/fleet-simulator.sh
	$(GO) run ./bench/planner
	bench/dns-qps.sh
	$(GO) run ./bench/dnsfailover -bin-dir bin
	$(GO) run ./bench/fninstall -bin-dir bin
	$(GO) run ./bench/dashboard
	bench/propagation.sh
	bench/propagation.sh -rate 10
	$(GO) run ./bench/failover -bin-dir bin
	bench/tool-build.sh kwok 3
	$(GO) run ./bench/capi -bin-dir bin

clean:
	rm -rf $(BIN) dist
