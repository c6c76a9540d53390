#!/bin/sh
# Builds the native backend's ptrace helper (native/*.c) into build/native/alpaca-native-helper.
# Run by `npm install` (package.json "install") and by `make native-helper`. Without a C compiler
# it says so and succeeds: WebAssembly programs need no helper.
set -e
cd "$(dirname "$0")/.."
cc=${NATIVE_CC:-gcc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "alpaca: no C compiler ($cc) found: the native x86-64 backend needs it (then run: npm rebuild alpaca-profiler, or make native-helper)"
  exit 0
fi
mkdir -p build/native
"$cc" -O2 -Wall -Wextra -std=gnu11 -o build/native/alpaca-native-helper.tmp native/*.c
mv build/native/alpaca-native-helper.tmp build/native/alpaca-native-helper
