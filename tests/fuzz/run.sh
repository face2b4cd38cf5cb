#!/usr/bin/env bash
# Fuzzes every parser a user's file reaches, with cargo-fuzz (libFuzzer and
# AddressSanitizer, on nightly Rust):
#
#   safetensors  StateDict::from_safetensors, and the round trip of whatever loads
#   pth_zip      torch.save zip checkpoints, whole files (zip container, pickle, tensors)
#   pickle       the restricted unpickler: legacy torch.save streams, and data.pkl
#                inside a well-formed zip checkpoint
#   image        image decoding as the trainer does it, under decoding limits
#
# Usage: tests/fuzz/run.sh [SECONDS [TARGET...]]   (default: 60 s each, all targets)
#
# Targets run one after the other, one process each. Seeds are the test
# fixtures (tests/fixtures) and tests/fuzz/seeds/<target>; what the fuzzer
# learns accumulates in tests/fuzz/corpus/<target> and a crash is written to
# tests/fuzz/artifacts/<target>/ (both ignored by git). A crash stops the run
# with a non-zero status: add the input to tests/fixtures as fuzz_<what> (every
# target replays those first) with a test that loads it, then fix the code. Needs `rustup toolchain install nightly` and
# `cargo install cargo-fuzz` (.ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")"

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors pth_zip pickle image)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: needs nightly Rust and cargo-fuzz: rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz (or run .ci/run)" >&2
  exit 1
fi

echo "fuzz: building ${targets[*]} (cargo +nightly fuzz build)"
cargo +nightly fuzz build

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
fixtures=../fixtures
for t in "${targets[@]}"; do
  mkdir -p "$seeds/$t" "corpus/$t"
  [ -d "seeds/$t" ] && cp seeds/"$t"/* "$seeds/$t/"
  # Inputs that once failed (tests/fixtures/fuzz_*) are replayed by every target.
  cp "$fixtures"/fuzz_* "$seeds/$t/"
  case $t in
    safetensors)
      max_len=16384
      cp "$fixtures"/expected.safetensors "$fixtures"/pix2pix_reference/b1/D_init.safetensors "$seeds/$t/" ;;
    pth_zip)
      max_len=32768
      for f in resnet_zip checkpoint not_tensor wrong_dtype nonfinite malicious truncated deflated shared_storage; do
        cp "$fixtures/$f.pth" "$seeds/$t/"
      done ;;
    pickle) max_len=16384 ;;
    image) max_len=16384 ;;
    *) echo "fuzz: unknown target $t (safetensors, pth_zip, pickle, image)" >&2; exit 1 ;;
  esac
  echo "== fuzz $t for ${secs} s"
  # -rss_limit_mb: no input may need 2 GiB; -timeout: nor 10 s.
  log="$seeds/$t.log"
  status=0
  cargo +nightly fuzz run "$t" "corpus/$t" "$seeds/$t" -- \
    -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1 ||
    status=$?
  grep -E '^(INFO: seed corpus|Done [0-9]+ runs|stat::(number_executed_units|peak_rss_mb|new_units_added))' "$log" || true
  if [ $status != 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t failed (status $status); a crashing input is in tests/fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz: no crashes"
