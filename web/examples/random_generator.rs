//! Writes a generator (or with `--discriminator` a discriminator) with the
//! reference's random initialisation (`init_weights('normal', 0.02)`) as
//! safetensors, for tests and benchmarks:
//!
//! `cargo run -p web --example random_generator -- OUT.safetensors [DEPTH] [NGF=8] [SEED=1] [OPTIONS]`
//!
//! DEPTH is the ResNet's residual blocks (default 6), or with `--unet` the
//! U-Net's downsamplings (default 5). Options: `--unet`, `--norm batch|instance|none`
//! (default: instance for a ResNet, batch for a U-Net), `--dropout` / `--no-dropout`
//! (default: off for a ResNet, on for a U-Net), and `--calibrate N`: run N forward
//! passes in training mode on random images on the GPU first, so that
//! BatchNorm's running statistics are those of the network's activations
//! (as after training) rather than the initial (0, 1). `--discriminator`
//! writes the NLayerDiscriminator with DEPTH layers (default 3) and ndf NGF.

mod common;

use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorConfig, Norm};
use shaders::nn::nets::network::{Architecture, Network};
use shaders::{Gpu, GpuOptions, Tensor};

const USAGE: &str = "usage: random_generator OUT.safetensors [DEPTH] [NGF=8] [SEED=1] [--unet] \
                     [--norm batch|instance|none] [--dropout|--no-dropout] [--calibrate N] [--discriminator]";

fn fail(msg: &str) -> ! {
    eprintln!("random_generator: {msg}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let mut positional = Vec::new();
    let (mut unet, mut norm, mut dropout, mut calibrate, mut discriminator) = (false, None, None, 0usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| fail(&format!("{name} needs a value")));
        match a.as_str() {
            "--unet" => unet = true,
            "--discriminator" => discriminator = true,
            "--norm" => {
                let v = value("--norm");
                norm = Some(Norm::parse(&v).unwrap_or_else(|| fail(&format!("unknown norm {v:?}"))));
            }
            "--dropout" => dropout = Some(true),
            "--no-dropout" => dropout = Some(false),
            "--calibrate" => {
                calibrate = value("--calibrate").parse().unwrap_or_else(|_| fail("--calibrate needs a number"))
            }
            s if s.starts_with("--") => fail(&format!("unknown option {s}")),
            _ => positional.push(a),
        }
    }
    let Some(out) = positional.first().cloned() else { fail("no output file") };
    let number = |i: usize, default: u64| -> u64 {
        positional.get(i).map_or(default, |s| {
            s.parse().unwrap_or_else(|_| fail(&format!("argument {i} must be a number, got {s:?}")))
        })
    };
    let depth = number(
        1,
        if discriminator {
            3
        } else if unet {
            5
        } else {
            6
        },
    ) as usize;
    let (ngf, seed) = (number(2, 8) as usize, number(3, 1));
    if discriminator {
        let mut d = DiscriminatorConfig::basic(ngf);
        d.arch = DiscriminatorArch::NLayer { n_layers: depth };
        d.norm = norm.unwrap_or(d.norm);
        let arch = Architecture::Discriminator(d);
        let mut sd = Network::init_state_dict(&arch, seed).unwrap_or_else(|e| fail(&e.to_string()));
        for (k, v) in arch.metadata() {
            sd.set_metadata(k, v);
        }
        std::fs::write(&out, sd.to_safetensors()).unwrap_or_else(|e| fail(&format!("{out}: {e}")));
        eprintln!("{} seed {seed} -> {out}", d.describe());
        return;
    }
    let mut config = if unet { GeneratorConfig::unet(depth, ngf) } else { GeneratorConfig::resnet(depth, ngf) };
    config.norm = norm.unwrap_or(config.norm);
    config.dropout = dropout.unwrap_or(config.dropout);
    let arch = Architecture::Generator(config);

    let mut sd = Network::init_state_dict(&arch, seed).unwrap_or_else(|e| fail(&e.to_string()));
    if calibrate > 0 {
        let gpu = Gpu::new_blocking(GpuOptions::default()).unwrap_or_else(|e| fail(&e.to_string()));
        let net = Network::new(&gpu, arch, &sd, false).unwrap_or_else(|e| fail(&e.to_string()));
        let side = config.size_multiple().max(32);
        let mut rng = SplitMix64(seed ^ 0x5EED);
        for _ in 0..calibrate {
            let x: Vec<f32> = (0..3 * side * side).map(|_| (2.0 * rng.uniform() - 1.0) as f32).collect();
            let x = Tensor::from_slice(&gpu, &[1, 3, side, side], &x).unwrap_or_else(|e| fail(&e.to_string()));
            net.forward(&gpu, &x, Mode::TRAIN, Some(&mut rng)).unwrap_or_else(|e| fail(&e.to_string()));
            gpu.flush().unwrap_or_else(|e| fail(&e.to_string()));
        }
        sd = common::block_on(net.to_state_dict(&gpu)).unwrap_or_else(|e| fail(&e.to_string()));
    }
    for (k, v) in config.metadata() {
        sd.set_metadata(k, v);
    }
    std::fs::write(&out, sd.to_safetensors()).unwrap_or_else(|e| fail(&format!("{out}: {e}")));
    let calibrated =
        if calibrate > 0 { format!(", running statistics from {calibrate} passes") } else { String::new() };
    eprintln!("{} seed {seed}{calibrated} -> {out}", config.describe());
}
