#!/usr/bin/env bash
# Runs every test: the Rust test suite (WGSL validation, kernels against the
# CPU reference on the first Vulkan adapter, lavapipe where there is no GPU),
# a wasm32 build of the code shared with the browser, formatting, and the
# browser app end to end in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== wasm32 build of shaders and web (nothing native-only in shared code)"
cargo build -p shaders -p web --target wasm32-unknown-unknown

echo "== cargo test"
cargo test --workspace -- --test-threads 2

echo "== browser end-to-end: index.html and the committed pkg/ in headless Chromium (WebGPU on SwiftShader)"
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "tests/browser/node_modules is missing: run (cd tests/browser && npm ci), or .ci/run" >&2
  exit 1
fi
node tests/browser/e2e.mjs
wbg=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $wbg" ]; then
  echo "== pkg/ matches the web crate (web/build.sh --check)"
  web/build.sh --check
else
  echo "== pkg/ check skipped: wasm-bindgen-cli $wbg is not installed (web/build.sh installs it)"
fi

echo "all tests passed"
