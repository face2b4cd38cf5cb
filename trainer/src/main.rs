//! `trainer`: CycleGAN on wgpu from the command line.

mod bench;
mod imageio;
mod translate;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// CycleGAN on WebGPU: unpaired image-to-image translation whose numerical
/// work is hand-written WGSL compute kernels.
#[derive(Parser)]
#[command(name = "trainer", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Translate an image or a folder of images with a generator.
    Translate(translate::TranslateArgs),
    /// Convert a PyTorch state_dict (.pth) to safetensors.
    Convert(translate::ConvertArgs),
    /// Measure the kernels and networks on this machine's GPU.
    Bench(bench::BenchArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Translate(args) => translate::translate(args),
        Command::Convert(args) => translate::convert(args),
        Command::Bench(args) => bench::run(args),
    }
}
