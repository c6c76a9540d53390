#!/usr/bin/env bash
# Makes sure clang can build wasm32-wasi programs (Debian: clang lld wasi-libc
# libclang-rt-14-dev-wasm32). Installs them when missing and running as root with apt-get;
# otherwise stops with the exact command to run.
set -euo pipefail
PKGS="clang lld wasi-libc libclang-rt-14-dev-wasm32"
probe() {
  local dir; dir=$(mktemp -d)
  printf 'int main(void){return 0;}\n' > "$dir/p.c"
  clang --target=wasm32-wasi -O1 -c "$dir/p.c" -o "$dir/p.o" >/dev/null 2>&1 &&
    clang --target=wasm32-wasi "$dir/p.o" -o "$dir/p.wasm" >/dev/null 2>&1
  local rc=$?; rm -rf "$dir"; return $rc
}
if command -v clang >/dev/null 2>&1 && probe; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the wasm32-wasi toolchain: $PKGS" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PKGS >/dev/null
  probe && exit 0
fi
echo "alpaca: the wasm32-wasi toolchain is missing; run: sudo apt-get install -y $PKGS" >&2
exit 1
