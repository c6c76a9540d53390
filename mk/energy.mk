# Energy utility (src/energy): `make demo` shows a full `alpaca energy` report on a bundled example
# program (installing npm dependencies and the wasm32-wasi toolchain first); `make energy-e2e`
# runs the energy end-to-end checks and is part of `make check`. Examples are compiled and linked
# in two steps like the test suite, so clang does not run wasm-opt over the name section.

EXAMPLES_C    := $(wildcard examples/*.c)
EXAMPLES_WASM := $(patsubst examples/%.c,$(BUILD)/examples/%.wasm,$(EXAMPLES_C))
# Passes of the demo's heavy function (about 0.2 s of optimized work per run).
DEMO_PASSES   ?= 600
DEMO_FLAGS    ?= --max-runs 10

.PHONY: examples energy-e2e accuracy-e2e

# Unit tests that run the examples (test/profile-phase1.test.ts) need them built.
unit: examples
.SECONDARY: $(patsubst %.wasm,%.o,$(EXAMPLES_WASM))

$(BUILD)/examples/%.o: examples/%.c | toolchain
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -c $< -o $@

$(BUILD)/examples/%.wasm: $(BUILD)/examples/%.o
	$(WASM_CC) $< -o $@

examples: $(EXAMPLES_WASM)

demo: deps build $(BUILD)/examples/blur.wasm
	$(NODE) bin/alpaca.js energy --func blur $(DEMO_FLAGS) $(BUILD)/examples/blur.wasm $(DEMO_PASSES)

energy-e2e: deps build test-suite native-helper native-test-suite $(BUILD)/examples/blur.wasm
	$(NODE) --import tsx src/energy/e2e/energy-e2e.ts

CHECK_EXTRA += energy-e2e

# Accuracy against ground truth: examples/known_costs.wasm's functions measured by leaving their
# calls out, against `alpaca energy` (model source and a fake RAPL tree).
accuracy-e2e: deps build $(BUILD)/examples/known_costs.wasm
	$(NODE) --import tsx src/energy/e2e/accuracy-e2e.ts

CHECK_EXTRA += accuracy-e2e
