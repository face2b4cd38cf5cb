//! Translates one raw RGBA8 image natively through the same code path as
//! the browser and `trainer translate` (architecture detection,
//! `Network::new`, `translate_rgba`) and writes the result as PNG: the
//! browser tests' expected output.
//!
//! `cargo run -p web --example translate_reference -- WEIGHTS INPUT.rgba WIDTH HEIGHT OUTPUT.png [--eval] [--seed N]`
//!
//! Without `--eval` it runs as the reference's test.py default (batch
//! statistics, dropout drawn from SplitMix64(seed), seed 0 unless given),
//! as the page's default mode does; `--eval` uses running statistics and no dropout.

mod common;

use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::network::{detect, Architecture, Network};
use shaders::nn::translate::translate_rgba;
use shaders::{Gpu, GpuOptions};

const USAGE: &str = "usage: translate_reference WEIGHTS INPUT.rgba WIDTH HEIGHT OUTPUT.png [--eval] [--seed N]";

fn fail(msg: &str) -> ! {
    eprintln!("translate_reference: {msg}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let (mut positional, mut eval, mut seed) = (Vec::new(), false, 0u32);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--eval" => eval = true,
            "--seed" => {
                seed = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| fail("--seed needs a number"))
            }
            s if s.starts_with("--") => fail(&format!("unknown option {s}")),
            _ => positional.push(a),
        }
    }
    let [weights, input, width, height, output] = &positional[..] else { fail("expected 5 arguments") };
    let side = |s: &str| s.parse::<usize>().unwrap_or_else(|_| fail(&format!("{s:?} is not a size")));
    let (w, h) = (side(width), side(height));
    let rgba = std::fs::read(input).unwrap_or_else(|e| fail(&format!("{input}: {e}")));
    let bytes = std::fs::read(weights).unwrap_or_else(|e| fail(&format!("{weights}: {e}")));
    let sd = StateDict::load(&bytes).unwrap_or_else(|e| fail(&format!("{weights}: {e}")));
    let arch = detect(&sd).unwrap_or_else(|e| fail(&format!("{weights}: {e}")));
    if let Architecture::Discriminator(d) = arch {
        fail(&format!("{weights}: a discriminator ({})", d.describe()));
    }
    let gpu = Gpu::new_blocking(GpuOptions::default()).unwrap_or_else(|e| fail(&e.to_string()));
    let net = Network::new(&gpu, arch, &sd, false).unwrap_or_else(|e| fail(&format!("{weights}: {e}")));
    let (mode, mut rng) = if eval { (Mode::EVAL, None) } else { (Mode::TEST, Some(SplitMix64(seed.into()))) };
    let out = common::block_on(translate_rgba(&gpu, &net, mode, rng.as_mut(), &rgba, w, h))
        .unwrap_or_else(|e| fail(&e.to_string()));
    std::fs::write(output, common::encode_png_rgba(w, h, &out)).unwrap_or_else(|e| fail(&format!("{output}: {e}")));
    let mode = if eval { "eval".to_string() } else { format!("test.py default, seed {seed}") };
    eprintln!("{} ({mode}) on {}: {input} -> {output}", arch.describe(), gpu.describe());
}
