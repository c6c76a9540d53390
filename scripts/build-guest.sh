#!/usr/bin/env bash
# Builds one C++ or Rust test program for wasm32-wasi: build-guest.sh cxx|rust SOURCE OUTPUT.
# Their toolchains come from Debian (C++: libc++-14-dev-wasm32 libc++abi-14-dev-wasm32; Rust:
# rustc libstd-rust-dev-wasm32) and are installed like clang's (scripts/ensure-wasm-toolchain.sh)
# when running as root with apt-get. Otherwise the program is skipped with the exact command to
# run, and the tests that need it say they were skipped. C++ is compiled and linked in two steps
# (no wasm-opt over the name section); Rust uses Debian's /usr/bin/rustc, which has the
# wasm32-wasi standard library (another rustc may come first on PATH).
set -euo pipefail
lang=$1 src=$2 out=$3
case "$lang" in
  cxx) pkgs="libc++-14-dev-wasm32 libc++abi-14-dev-wasm32" ;;
  rust) pkgs="rustc libstd-rust-dev-wasm32" ;;
  *) echo "build-guest.sh: unknown language $lang" >&2; exit 2 ;;
esac
build() {
  mkdir -p "$(dirname "$out")"
  if [ "$lang" = cxx ]; then
    clang++ --target=wasm32-wasi -fno-exceptions -O2 -g0 -c "$src" -o "$out.o" && clang++ --target=wasm32-wasi -fno-exceptions "$out.o" -o "$out"
    local rc=$?; rm -f "$out.o"; return $rc
  else
    /usr/bin/rustc --target wasm32-wasi -O -C debuginfo=0 "$src" -o "$out"
  fi
}
bash "$(dirname "$0")/ensure-wasm-toolchain.sh"
if dpkg -s $pkgs >/dev/null 2>&1 || build 2>/dev/null; then
  [ -e "$out" ] || build
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the wasm32-wasi $lang toolchain: $pkgs" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  build
else
  echo "alpaca: skipping $src: its toolchain is missing; run: sudo apt-get install -y $pkgs" >&2
fi
