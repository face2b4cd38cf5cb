//! Writes a ResnetGenerator with reference-initialised random weights
//! (N(0, 0.02), biases 0) as safetensors, for tests and benchmarks:
//! `cargo run -p web --example random_generator -- OUT.safetensors [n_blocks] [ngf] [seed]`.

use shaders::nn::generator::GeneratorConfig;
use shaders::nn::params::init_normal;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: random_generator OUT.safetensors [n_blocks=6] [ngf=8] [seed=1]");
        std::process::exit(2);
    };
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|s| s.parse().unwrap_or_else(|_| panic!("argument {i} must be a number, got {s:?}")))
            .unwrap_or(default)
    };
    let (n_blocks, ngf, seed) = (arg(1, 6) as usize, arg(2, 8) as usize, arg(3, 1));
    let config = GeneratorConfig::resnet(n_blocks, ngf);
    let mut sd = init_normal(&config.param_specs(), seed);
    for (k, v) in config.metadata() {
        sd.set_metadata(k, v);
    }
    std::fs::write(out, sd.to_safetensors()).unwrap_or_else(|e| panic!("{out}: {e}"));
    eprintln!("{} ngf {ngf} seed {seed} -> {out}", config.net_name());
}
