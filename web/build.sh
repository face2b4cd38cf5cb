#!/usr/bin/env bash
# Regenerates pkg/ (the committed wasm-bindgen output the page imports):
# builds the `web` crate for wasm32 in release mode with the rustc Cargo.toml
# pins (`pkg-rustc`) and runs the wasm-bindgen CLI of the version the crate
# pins (`wasm-bindgen = "=X.Y.Z"`) with --target web. Installs whichever of
# them is missing (rustup toolchain and wasm32 target; cargo install
# wasm-bindgen-cli). The same sources then give the same bytes on every
# machine, so `web/build.sh --check` rebuilds into a temporary folder and
# fails if any file of pkg/ differs: a pkg/ that is not the build of web/ and
# shaders/ fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1

pinned() { sed -n "s/^$1 = \"=\\{0,1\\}\\([0-9.]*\\)\"/\\1/p" Cargo.toml; }
wbg=$(pinned wasm-bindgen)
rustc_version=$(pinned pkg-rustc)
[ -n "$wbg" ] || { echo "build.sh: no pinned wasm-bindgen version (wasm-bindgen = \"=X.Y.Z\") in Cargo.toml" >&2; exit 1; }
[ -n "$rustc_version" ] || { echo "build.sh: no pkg-rustc = \"X.Y.Z\" in Cargo.toml's [workspace.metadata]" >&2; exit 1; }

have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wbg" ]; then
  echo "build.sh: installing wasm-bindgen-cli $wbg (found: ${have:-none}); this takes a few minutes"
  cargo install wasm-bindgen-cli --version "$wbg"
fi
command -v rustup >/dev/null || { echo "build.sh: needs rustup, to build with rustc $rustc_version" >&2; exit 1; }
if ! rustup target list --toolchain "$rustc_version" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "build.sh: installing rustc $rustc_version with the wasm32-unknown-unknown target"
  rustup toolchain install "$rustc_version" --profile minimal --target wasm32-unknown-unknown
fi

# Only these flags, whatever the environment sets: paths are remapped so the
# wasm names no local folders, and nothing else changes the bytes.
unset CARGO_ENCODED_RUSTFLAGS
export RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo --remap-path-prefix=$PWD=."
cargo +"$rustc_version" build -p web --release --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/release/web.wasm

out=pkg
if [ $check = 1 ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
rm -rf "${out:?}"/web*
wasm-bindgen --target web --out-dir "$out" --out-name web "$wasm"

if [ $check = 1 ]; then
  stale=()
  for f in "$out"/*; do
    cmp -s "$f" "pkg/$(basename "$f")" || stale+=("pkg/$(basename "$f")")
  done
  if [ ${#stale[@]} -gt 0 ]; then
    echo "pkg/ is out of date: the build of web/ and shaders/ (rustc $rustc_version, wasm-bindgen $wbg) differs in ${stale[*]}: run web/build.sh and commit pkg/" >&2
    exit 1
  fi
  echo "pkg/ is up to date"
else
  ls -l pkg
fi
