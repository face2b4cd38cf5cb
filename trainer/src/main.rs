//! `trainer`: CycleGAN on wgpu from the command line.

mod bench;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// CycleGAN on WebGPU: unpaired image-to-image translation whose numerical
/// work is hand-written WGSL compute kernels.
#[derive(Parser)]
#[command(name = "trainer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure the kernels and networks on this machine's GPU.
    Bench(bench::BenchArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench(args) => bench::run(args),
    }
}
