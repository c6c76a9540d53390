# The analyzer's in-Wasm recorder core (src/runtime/recorder-core.c). Its .wasm is committed, so
# installing Alpaca needs no clang; this rebuilds it when the C changes, and the unit test
# src/runtime/recorder-core.test.ts checks the committed file against a fresh build. Compiled and
# linked in two steps (no -O at link) so clang never runs wasm-opt and the output is the same on
# every machine with this clang.
CORE_CC      := clang --target=wasm32
CORE_CFLAGS  := -O2 -g0 -Wall -Wextra -fno-builtin -ffreestanding
CORE_LDFLAGS := -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-all -Wl,-z,stack-size=16384
RECORDER_CORE := src/runtime/recorder-core.wasm

.PHONY: recorder-core

$(RECORDER_CORE): src/runtime/recorder-core.c | toolchain
	@mkdir -p $(BUILD)/recorder-core
	$(CORE_CC) $(CORE_CFLAGS) -c $< -o $(BUILD)/recorder-core/recorder-core.o
	$(CORE_CC) $(CORE_LDFLAGS) $(BUILD)/recorder-core/recorder-core.o -o $@

recorder-core: $(RECORDER_CORE)

all unit e2e: $(RECORDER_CORE)
