#!/usr/bin/env bash
# Runs every test: the Rust test suite (WGSL validation, kernels against the
# CPU reference on the first Vulkan adapter, lavapipe where there is no GPU),
# a wasm32 build of the code shared with the browser, formatting, the
# browser app end to end in headless Chromium (translation, generation and
# training), the committed pkg/ against a
# fresh build, and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path tests/fuzz/Cargo.toml -- --check

echo "== wasm32 build of shaders and web (nothing native-only in shared code)"
cargo build -p shaders -p web --target wasm32-unknown-unknown

echo "== cargo test"
cargo test --workspace -- --test-threads 2

echo "== pkg/ is the build of web/ and shaders/ (web/build.sh --check)"
web/build.sh --check

echo "== browser end-to-end: index.html and the committed pkg/ in headless Chromium (WebGPU on SwiftShader)"
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "tests/browser/node_modules is missing: run (cd tests/browser && npm ci), or .ci/run" >&2
  exit 1
fi
node tests/browser/e2e.mjs

echo "== browser training: the page's Train mode against trainer (tests/browser/train.mjs)"
node tests/browser/train.mjs

echo "== fuzz targets, 15 s each (tests/fuzz/run.sh)"
tests/fuzz/run.sh 15

echo "all tests passed"
