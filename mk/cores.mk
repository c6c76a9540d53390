# The two in-Wasm cores: the analyzer's recorder core (src/runtime/recorder-core.c) and the
# replay core (src/runtime/replay-core.c). Their .wasm files are committed, so installing Alpaca
# needs no clang, and no ordinary target rebuilds them. After changing a core's C, or the log
# format (src/log/format.ts, whose tags reach the C through src/runtime/log-format.h), run
# `make cores` and commit the .wasm files together with src/runtime/cores.clang, which records the
# clang that built them. src/runtime/cores.test.ts builds each core afresh into a temporary folder
# (make core-build) and compares it with the committed file, and the committed header with a
# fresh one. Compiled and linked in two steps (no -O at link) so clang never runs wasm-opt and the
# output is the same on every machine with this clang.
CORE_CC      := clang --target=wasm32
CORE_CFLAGS  := -O2 -g0 -Wall -Wextra -fno-builtin -ffreestanding
CORE_LDFLAGS := -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-all -Wl,-z,stack-size=16384
CORES_CLANG  := src/runtime/cores.clang
LOG_FORMAT_H := src/runtime/log-format.h

.PHONY: cores recorder-core replay-core core-build log-format-h

# One core, CORE=recorder|replay, built to CORE_OUT.
core-build: | toolchain
	@test -n "$(CORE)" -a -n "$(CORE_OUT)" || { echo "usage: make core-build CORE=recorder|replay CORE_OUT=path" >&2; exit 2; }
	$(CORE_CC) $(CORE_CFLAGS) -c src/runtime/$(CORE)-core.c -o $(CORE_OUT).o
	$(CORE_CC) $(CORE_LDFLAGS) $(CORE_OUT).o -o $(CORE_OUT)
	@rm -f $(CORE_OUT).o

recorder-core replay-core: log-format-h
	$(MAKE) -s core-build CORE=$(@:-core=) CORE_OUT=src/runtime/$@.wasm
	$(CORE_CC) --version | head -1 > $(CORES_CLANG)

cores: recorder-core replay-core

log-format-h: deps
	$(NODE) --import tsx src/log/format-header.ts > $(LOG_FORMAT_H).tmp
	mv $(LOG_FORMAT_H).tmp $(LOG_FORMAT_H)
