#!/usr/bin/env bash
# arm64, the function's default architecture: the cloudtrail and rules test suites cross-compiled for
# aarch64-unknown-linux-gnu and run under qemu-user. The record parser has per-architecture SIMD paths (the
# `wide` and `simdutf8` crates: NEON there, SSE2/AVX2 on x86-64), so the x86-64 tests alone do not cover what
# Lambda runs. Installs what it needs: the Rust target (rustup), and Debian's qemu-user and aarch64 gcc (with
# apt-get, as root). Where they cannot be had it prints SKIP and why (a failure under CI=true), never a silent pass.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=aarch64-unknown-linux-gnu
skip() {
  # Under CI=true every tool can be installed: a SKIP there would hide a missing install step.
  if [ "${CI:-}" = true ]; then
    echo "arm64: FAIL (CI=true): $*"
    exit 1
  fi
  echo "arm64: SKIP: $*"
  exit 0
}

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || skip "could not install the Rust target $target (rustup target add $target)"
fi
packages=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${packages[@]}" >/dev/null ||
      { apt-get update -q >/dev/null && apt-get install -y -q "${packages[@]}" >/dev/null; } ||
      skip "apt-get could not install ${packages[*]}"
  else
    skip "qemu-aarch64 or aarch64-linux-gnu-gcc is missing (Debian, as root: apt-get install ${packages[*]})"
  fi
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo test --locked --target "$target" -p trailwarden-cloudtrail -p trailwarden-pattern -p trailwarden-rules -p trailwarden-compile
echo "arm64: ok (cloudtrail, pattern, rules and compile tests on $target under qemu-user)"
