# Navarkos: `make` builds everything, `make run` starts a local fleet, `make test` runs every test.
GO ?= go
BIN := $(CURDIR)/bin
DATA_DIR ?= $(HOME)/.navarkos
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# -p 1: local clusters of different test packages would otherwise race for the same free ports.
GOTEST_FLAGS ?= -p 1 -timeout 45m

.PHONY: all build tools test-tools navarkos run test test-unit generate verify-generate bench charts clean

all: build

build: tools navarkos

# The Kubernetes components, etcd, kwok and kwokctl; skipped when bin/ already has the right versions.
tools:
	@hack/build-tools.sh

# The above and what only the tests run: the Cluster API controllers of the capi provider's tests
# and Fn's fnserver (about 7 more minutes on a first build).
test-tools:
	@hack/build-tools.sh --with-test-tools

navarkos:
	$(GO) build -ldflags "-X github.com/navarkos/navarkos/internal/cli/cmd/version.Version=$(VERSION)" -o $(BIN)/navarkos ./cmd/navarkos

run: build
	$(BIN)/navarkos up --data-dir $(DATA_DIR)

test: build test-tools
	KUBEBUILDER_ASSETS=$(BIN) NAVARKOS_BIN_DIR=$(BIN) $(GO) test $(GOTEST_FLAGS) ./...
	# Short fuzz runs of the DNS message handling and the simulator's parsers, beyond their seed corpora.
	$(GO) test -run '^$$' -fuzz FuzzHandle -fuzztime 10s ./internal/dns
	$(GO) test -run '^$$' -fuzz FuzzParseTrace -fuzztime 10s ./internal/simulate
	$(GO) test -run '^$$' -fuzz FuzzParsePools -fuzztime 10s ./internal/simulate

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
	bench/scheduling.sh
	bench/fleet-simulator.sh
	go run ./bench/planner
	bench/dns-qps.sh
	go run ./bench/dnsfailover -bin-dir bin
	go run ./bench/fninstall -bin-dir bin
	go run ./bench/dashboard
	bench/propagation.sh
	bench/propagation.sh -rate 10
	go run ./bench/failover -bin-dir bin
	bench/tool-build.sh kwok 3
	go run ./bench/capi -bin-dir bin

clean:
	rm -rf $(BIN) dist
