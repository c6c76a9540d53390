# Native x86-64 backend: the ptrace helper, the gcc-built native test-suite and its end-to-end run.
# Included by the top Makefile (-include mk/*.mk). Test programs pick their link mode by name:
# *-static.c -> -static, *-static-pie.c -> -static-pie, *-nopie.c -> -no-pie, else gcc's default
# (PIE, dynamically linked). They are built -O2 without debug info, like a release binary.

NATIVE_CC          ?= gcc
NATIVE_HELPER      := $(BUILD)/native/alpaca-native-helper
NATIVE_TEST_CFLAGS := -O2 -g0 -Wall -Wno-unused-result
NATIVE_SUITE       := $(wildcard test-suite/native/*.c)
NATIVE_PROGS       := $(patsubst test-suite/native/%.c,$(BUILD)/test-suite/native/%,$(NATIVE_SUITE))

native_link_flags = $(if $(filter %-static-pie,$(1)),-static-pie,$(if $(filter %-static,$(1)),-static,$(if $(filter %-nopie,$(1)),-no-pie,)))

.PHONY: native-helper native-test-suite native-e2e native-bench native-stress

all: native-helper native-test-suite

native-helper: $(NATIVE_HELPER)

# The same script npm's install step runs, so a packaged install and a checkout build alike.
$(NATIVE_HELPER): $(wildcard native/*.c native/*.h) scripts/build-native-helper.sh
	NATIVE_CC=$(NATIVE_CC) sh scripts/build-native-helper.sh

native-test-suite: $(NATIVE_PROGS)

# Unit tests that run native programs (test/log-fuzz.test.ts) need them and the helper built.
unit: native-helper native-test-suite

# -MMD: a variant that #includes another program (printf_loop-static.c) is rebuilt when it changes.
$(BUILD)/test-suite/native/%: test-suite/native/%.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) $(NATIVE_TEST_CFLAGS) -MMD -MP $(call native_link_flags,$*) -o $@ $<

-include $(NATIVE_PROGS:=.d)

native-e2e: deps build native-helper native-test-suite
	$(NODE) --import tsx run-native-tests.ts

# The stress test (issue 19): every case with the page engine, STRESS_ROUNDS times, with two
# CPU-bound processes beside them. Not part of make check (about 3 minutes a round).
STRESS_ROUNDS ?= 5
native-stress: deps build native-helper native-test-suite
	$(NODE) --import tsx run-native-tests.ts --engine pages --repeat $(STRESS_ROUNDS) --load 2

$(BUILD)/bench/native-spin: bench/native-spin.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) $(NATIVE_TEST_CFLAGS) -o $@ $<

$(BUILD)/bench/native-hot: bench/native-hot.c
	@mkdir -p $(dir $@)
	$(NATIVE_CC) $(NATIVE_TEST_CFLAGS) -o $@ $<

native-bench: deps build native-helper $(BUILD)/bench/native-spin $(BUILD)/bench/native-hot
	$(NODE) --import tsx bench/native-speed.ts
	$(NODE) --import tsx bench/native-calls.ts

CHECK_EXTRA += native-e2e
