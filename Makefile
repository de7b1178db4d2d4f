# hwdbg: a Linux debugger built around hardware watchpoints.
#
#   make demo        build hwdbg and testdata/bank, show who corrupts the balance
#   make test        vet, format check, every test (real processes, real debug registers)
#
# Where this machine never delivers debug-register traps (some VMs), the
# demo and the tests that need them run in an emulated amd64 kernel
# (scripts/amd64-vm): see scripts/with-traps and scripts/test.
#   make fuzz        a short run of every fuzz target
#   make test-arm64  the arm64 backend, for real, in an emulated arm64 kernel
#   make test-amd64-vm  the tests that need traps, in the emulated amd64 kernel

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
CC ?= gcc
BIN := bin

.PHONY: all build demo test vet fmt-check fuzz deps clean bench test-arm64 test-amd64-vm

all: build

# deps: Go, gcc, g++ and binutils; on amd64 also gcc's 32-bit support
# (gcc-multilib), for the tests that debug i386 programs.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install it at /usr/local/go" >&2; exit 1; }
	@command -v $(CC) >/dev/null && command -v g++ >/dev/null && command -v objdump >/dev/null && command -v nm >/dev/null || { \
	  echo "installing gcc, g++ and binutils (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc g++ binutils libc6-dev >/dev/null; }
	@# libc's separate debug file: the tests check that libc frames get names
	@# and lines from it (cmd/hwdbg TestLibcFramesFromDebugFile).
	@! command -v dpkg-query >/dev/null || dpkg-query -W -f='$${Status}' libc6-dbg 2>/dev/null | grep -q 'ok installed' || { \
	  echo "installing libc6-dbg, libc's separate debug information (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libc6-dbg >/dev/null; }
	@[ "$$(uname -m)" != x86_64 ] || { t=$$(mktemp -d) && echo 'int main(void) { return 0; }' >$$t/t.c && \
	  $(CC) -m32 -o $$t/t $$t/t.c 2>/dev/null; ok=$$?; rm -rf $$t; [ $$ok = 0 ]; } || { \
	  echo "installing gcc-multilib (apt-get): the tests build i386 programs"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib >/dev/null; }

build: deps
	$(GO) build -o $(BIN)/hwdbg ./cmd/hwdbg

$(BIN)/bank: testdata/bank.c | deps
	@mkdir -p $(BIN)
	$(CC) -g -O0 -pthread -fno-omit-frame-pointer -o $@ $<

demo: build $(BIN)/bank
	@scripts/with-traps $(BIN)/hwdbg --batch -x testdata/bank.hwdbg $(BIN)/bank

vet:
	@$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test: deps vet fmt-check
	@scripts/test

# The tests that need debug-register traps, in the emulated amd64 kernel
# even where this machine delivers them (CI runs it so that the path
# machines without traps take is proven on every machine).
test-amd64-vm: deps
	@scripts/test --vm

# Cross-builds hwdbg, the test binaries and the C fixtures for arm64 and
# runs them in an arm64 VM (qemu-system-aarch64): see scripts/arm64-vm/test.
test-arm64: deps
	GOARCH=arm64 $(GO) vet ./...
	scripts/arm64-vm/test

FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf $(BIN)

# Performance claims: ratios against floors measured in the same run.
bench: deps
	@scripts/bench
