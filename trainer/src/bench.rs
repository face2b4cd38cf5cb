//! `trainer bench`: kernel and network timings.

use anyhow::Result;
use clap::Args;

/// Options of `trainer bench`.
#[derive(Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub fn run(_args: BenchArgs) -> Result<()> {
    anyhow::bail!("not built yet")
}
