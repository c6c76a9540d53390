# Alpaca build and test entry points. `make check` builds everything and runs every test.
# Test-suite programs are compiled (-O2) and linked in separate steps: clang runs binaryen's
# wasm-opt after an optimizing link when it is on PATH, which would drop the name section.

NODE      ?= node
BUILD     := build
WASM_CC   := clang --target=wasm32-wasi
WASM_CFLAGS := -O2 -g0 -Wall -Wno-unused-function
TS_SUITE  := $(wildcard test-suite/*.c)
TS_WASM   := $(patsubst test-suite/%.c,$(BUILD)/test-suite/%.wasm,$(TS_SUITE))
# C++ and Rust programs as users build them (scripts/build-guest.sh installs or skips their toolchains).
TS_CXX    := $(patsubst test-suite/cxx/%.cpp,$(BUILD)/test-suite/cxx/%.wasm,$(wildcard test-suite/cxx/*.cpp))
TS_RUST   := $(patsubst test-suite/rust/%.rs,$(BUILD)/test-suite/rust/%.wasm,$(wildcard test-suite/rust/*.rs))

.PHONY: all check deps build toolchain test-suite typecheck lint unit e2e bench demo clean

all: deps build test-suite

node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

# The compiled CLI that bin/alpaca.js runs (npm run build: tsc to dist/, plus the recorder core).
# Tests and benchmarks spawn the launcher, so everything that runs it depends on this.
DIST_MAIN := dist/cli/main.js
TS_SRC    := $(shell find src -name '*.ts' -not -name '*.test.ts')

$(DIST_MAIN): $(TS_SRC) src/runtime/recorder-core.wasm src/runtime/replay-core.wasm tsconfig.json tsconfig.build.json package.json | deps
	npm run -s build

build: $(DIST_MAIN)

toolchain:
	@bash scripts/ensure-wasm-toolchain.sh

$(BUILD)/test-suite/%.o: test-suite/%.c | toolchain
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -c $< -o $@

$(BUILD)/test-suite/%.wasm: $(BUILD)/test-suite/%.o
	$(WASM_CC) $< -o $@

$(BUILD)/test-suite/cxx/%.wasm: test-suite/cxx/%.cpp
	@bash scripts/build-guest.sh cxx $< $@

$(BUILD)/test-suite/rust/%.wasm: test-suite/rust/%.rs
	@bash scripts/build-guest.sh rust $< $@

test-suite: $(TS_WASM) $(TS_CXX) $(TS_RUST)

typecheck: deps
	npx tsc --noEmit -p tsconfig.json

lint: deps
	npx eslint --max-warnings 0 .

unit: deps build test-suite
	$(NODE) --import tsx --test --test-reporter spec $$(find src test -name '*.test.ts' | sort)

e2e: deps build test-suite
	$(NODE) --import tsx run-tests.ts

# Each mk/*.mk fragment (energy, native, ...) adds its own targets and appends to CHECK_EXTRA.
CHECK_EXTRA :=
-include $(sort $(wildcard mk/*.mk))

check: typecheck lint unit e2e $(CHECK_EXTRA)

clean:
	rm -rf $(BUILD) dist
