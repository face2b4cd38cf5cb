//! `trainer`: image GANs (CycleGAN, pix2pix, DCGAN, DiscoGAN) on wgpu from the command line.

mod bench;
mod files;
mod generate;
mod imageio;
mod inspect;
mod peak;
mod train;
mod translate;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Image GANs on WebGPU (CycleGAN, pix2pix, DCGAN, DiscoGAN) whose numerical
/// work is hand-written WGSL compute kernels.
///
/// Without a subcommand it trains: `trainer --domain-a DIR --domain-b DIR`
/// (CycleGAN), `trainer --model pix2pix --dataroot DIR` (pix2pix on A|B
/// pairs), `trainer --model dcgan --dataroot DIR` (DCGAN on a folder of
/// images), `trainer --model discogan --domain-a DIR --domain-b DIR`
/// (DiscoGAN), or `trainer [--model pix2pix|dcgan|discogan]` alone for a
/// built-in demo.
#[derive(Parser)]
#[command(name = "trainer", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: train::TrainArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Translate an image or a folder of images with a generator (CycleGAN ResNet, pix2pix U-Net or DiscoGAN).
    Translate(translate::TranslateArgs),
    /// Convert a PyTorch state_dict (.pth) of any supported network to safetensors.
    Convert(translate::ConvertArgs),
    /// Generate images from random latents with a DCGAN generator.
    Generate(generate::GenerateArgs),
    /// Describe a weight file: format, element types, architecture, norm, and which of its tensors map to
    /// which layer (or are ignored).
    Inspect(inspect::InspectArgs),
    /// Measure the kernels and networks on this machine's GPU.
    Bench(bench::BenchArgs),
    /// Unpack a checkpoint zip (as the web page's Train mode downloads it) into <checkpoints-dir>/<name>/latest/
    /// for --continue-train.
    Import(train::ImportArgs),
}

fn main() -> Result<()> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        None => train::run(cli.train, &matches),
        Some(Command::Translate(args)) => translate::translate(args),
        Some(Command::Convert(args)) => translate::convert(args),
        Some(Command::Generate(args)) => generate::generate(args),
        Some(Command::Inspect(args)) => inspect::inspect(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Import(args)) => train::import(args),
    }
}
