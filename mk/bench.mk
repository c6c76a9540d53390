# Benchmark suite (issue 5): kernels in bench/kernels/*.c -> build/bench/NAME.wasm, plus a
# generated >1 MB module for timing the rewriter. Included by the top Makefile (-include mk/*.mk).
# Same two-step recipe as the test-suite: compile -O2, link without -O (an optimizing link runs
# wasm-opt, which drops the name section the CLI finds functions by).

BENCH_KERNELS := $(wildcard bench/kernels/*.c)
BENCH_WASM    := $(patsubst bench/kernels/%.c,$(BUILD)/bench/%.wasm,$(BENCH_KERNELS))
BENCH_BIG     := $(BUILD)/bench/big-module.wasm

.PHONY: bench-build bench-quick bench-startup bench-strategy bench-profile

$(BUILD)/bench/%.o: bench/kernels/%.c | toolchain
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.wasm: $(BUILD)/bench/%.o
	$(WASM_CC) $< -o $@

# Generated C; compiling it takes about a minute, so it is kept apart from the kernels' pattern.
$(BUILD)/bench/big-module.c: bench/gen-big-module.ts | deps
	@mkdir -p $(dir $@)
	$(NODE) --import tsx bench/gen-big-module.ts 2600 > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/big-module.o: $(BUILD)/bench/big-module.c | toolchain
	$(WASM_CC) $(WASM_CFLAGS) -c $< -o $@

# bench/replay-floor.ts's experiment: a freestanding replay core and a stand-in guest (no libc).
REPLAY_CORE_CC    := clang --target=wasm32 -O2 -g0 -Wall -nostdlib -ffreestanding
REPLAY_CORE_WASM  := $(BUILD)/bench/replay-core/core.wasm $(BUILD)/bench/replay-core/guest.wasm

$(BUILD)/bench/replay-core/core.wasm: bench/replay-core/core.c | toolchain
	@mkdir -p $(dir $@)
	$(REPLAY_CORE_CC) -fno-builtin -c $< -o $(@:.wasm=.o)
	$(REPLAY_CORE_CC) -Wl,--no-entry -Wl,--export=apply -Wl,--export=events_base -Wl,--strip-all $(@:.wasm=.o) -o $@

$(BUILD)/bench/replay-core/guest.wasm: bench/replay-core/guest.c | toolchain
	@mkdir -p $(dir $@)
	$(REPLAY_CORE_CC) -c $< -o $(@:.wasm=.o)
	$(REPLAY_CORE_CC) -Wl,--no-entry -Wl,--export=store8 -Wl,--export=store64 -Wl,--initial-memory=33554432 -Wl,--strip-all $(@:.wasm=.o) -o $@

bench-build: $(BENCH_WASM) $(BENCH_BIG) $(REPLAY_CORE_WASM)

bench: deps build bench-build
	$(NODE) --import tsx bench/run-bench.ts

bench-quick: deps build bench-build
	$(NODE) --import tsx bench/run-bench.ts --quick

# Start-up of the compiled CLI against bare Node, side by side (bench/startup.ts).
bench-startup: deps build $(BUILD)/bench/empty.wasm
	$(NODE) --import tsx bench/startup.ts

# The adaptive recording strategy against forced diff and marks, side by side (bench/strategy-choice.ts).
bench-strategy: deps build $(BUILD)/bench/bitcount-like.wasm $(BUILD)/bench/binarytrees-like.wasm $(BUILD)/test-suite/store_heavy.wasm $(BUILD)/test-suite/phase_change.wasm
	$(NODE) --import tsx bench/strategy-choice.ts

# The first phase of alpaca profile against a plain run, side by side (bench/profile-overhead.ts).
bench-profile: deps build $(BUILD)/bench/tiny-calls.wasm $(BUILD)/examples/known_costs.wasm $(BUILD)/examples/blur.wasm
	$(NODE) --import tsx bench/profile-overhead.ts
