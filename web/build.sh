#!/usr/bin/env bash
# Regenerates pkg/ (the committed wasm-bindgen output the page imports):
# builds the `web` crate for wasm32 in release mode and runs wasm-bindgen
# --target web. Installs the wasm32 target and the wasm-bindgen CLI of the
# version the crate pins when they are missing; runs wasm-opt if present.
# `web/build.sh --check` rebuilds into a temporary folder and fails if pkg/
# differs from it.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1

# The CLI must equal the wasm-bindgen crate version in Cargo.toml.
want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
[ -n "$want" ] || { echo "build.sh: no pinned wasm-bindgen version (wasm-bindgen = \"=X.Y.Z\") in Cargo.toml" >&2; exit 1; }
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "build.sh: installing wasm-bindgen-cli $want (found: ${have:-none}); this takes a few minutes"
  cargo install wasm-bindgen-cli --version "$want"
fi
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# Paths are remapped so the committed wasm names no local folders and two
# machines with the same toolchain produce the same bytes.
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo --remap-path-prefix=$PWD=."
cargo build -p web --release --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/release/web.wasm

out=pkg
if [ $check = 1 ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
rm -rf "${out:?}"/web*
wasm-bindgen --target web --out-dir "$out" --out-name web "$wasm"
if command -v wasm-opt >/dev/null; then
  wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    -o "$out/web_bg.wasm" "$out/web_bg.wasm"
fi

if [ $check = 1 ]; then
  # The JS glue depends only on the exports and the wasm-bindgen version; the
  # wasm bytes also depend on the rustc version, so a difference there alone
  # is reported but not fatal.
  if ! diff -q "$out/web.js" pkg/web.js >/dev/null || ! diff -q "$out/web.d.ts" pkg/web.d.ts >/dev/null; then
    echo "pkg/ is out of date (its JS glue differs from the crate's exports): run web/build.sh and commit pkg/" >&2
    exit 1
  fi
  if cmp -s "$out/web_bg.wasm" pkg/web_bg.wasm; then
    echo "pkg/ is up to date"
  else
    echo "pkg/web.js is up to date; pkg/web_bg.wasm differs (another rustc, $(rustc --version), or changed Rust code: run web/build.sh if you changed shaders/ or web/)"
  fi
else
  ls -l pkg
fi
