# The replay core (src/runtime/replay-core.c): disabled and control runs apply simple invocation
# records in Wasm. Like the recorder core (mk/recorder-core.mk) its .wasm is committed, so
# installing Alpaca needs no clang, and src/runtime/replay-core.test.ts checks the committed file
# against a fresh build of the source.
REPLAY_CORE := src/runtime/replay-core.wasm

.PHONY: replay-core

$(REPLAY_CORE): src/runtime/replay-core.c | toolchain
	@mkdir -p $(BUILD)/replay-core
	$(CORE_CC) $(CORE_CFLAGS) -c $< -o $(BUILD)/replay-core/replay-core.o
	$(CORE_CC) $(CORE_LDFLAGS) $(BUILD)/replay-core/replay-core.o -o $@

replay-core: $(REPLAY_CORE)

all unit e2e: $(REPLAY_CORE)
