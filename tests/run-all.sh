#!/usr/bin/env bash
# Runs every test: the Rust test suite (WGSL validation, kernels against the
# CPU reference on the first Vulkan adapter, lavapipe where there is no GPU),
# a wasm32 build of the code shared with the browser, and formatting.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== wasm32 build of shaders and web (nothing native-only in shared code)"
cargo build -p shaders -p web --target wasm32-unknown-unknown

echo "== cargo test"
cargo test --workspace -- --test-threads 2

echo "all tests passed"
