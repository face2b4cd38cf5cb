//! Options of training (the default command): the models' options
//! ([`TrainOptions`], the registry's groups, named after the reference's
//! `train.py` flags) and the image decoding limits, with the checks that run
//! before anything is written.

use anyhow::{anyhow, Result};
use clap::ArgMatches;
use serde::{Deserialize, Serialize};
use shaders::models::{ModelSpec, TrainOptions};

pub use shaders::models::image_to_image::NormArg;
pub use shaders::models::options::{SizeCheck, RUN_CONTROL};
pub use shaders::train::transform::Preprocess;

/// Options of training. Without data it trains on a built-in demo with
/// small defaults. Options whose default depends on `--model` are resolved
/// by [`TrainArgs::resolve`] before the run starts.
#[derive(clap::Args, Clone, Debug, Serialize, Deserialize)]
pub struct TrainArgs {
    /// Every model's options.
    #[command(flatten)]
    #[serde(flatten)]
    pub options: TrainOptions,
    /// Limits on decoding the training images.
    #[command(flatten)]
    #[serde(flatten)]
    pub decode: crate::imageio::DecodeArgs,
}

impl std::ops::Deref for TrainArgs {
    type Target = TrainOptions;

    fn deref(&self) -> &TrainOptions {
        &self.options
    }
}

impl std::ops::DerefMut for TrainArgs {
    fn deref_mut(&mut self) -> &mut TrainOptions {
        &mut self.options
    }
}

impl TrainArgs {
    /// Every option at its command-line default (before [`TrainArgs::resolve`]).
    pub fn defaults() -> TrainArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: TrainArgs,
        }
        <Cli as clap::Parser>::parse_from(["trainer"]).args
    }

    /// The model's entry in the registry (`--model` is one of its names).
    pub fn spec(&self) -> &'static dyn ModelSpec {
        self.options.checked_spec()
    }

    /// Fills the options whose default depends on the model or on the demo
    /// (those not given on the command line), then checks them all.
    pub fn resolve(&mut self, matches: &ArgMatches) -> Result<()> {
        let unset = |id: &str| matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine);
        let demo = self.is_demo();
        self.options.resolve(&unset, demo).map_err(|e| anyhow!(e))
    }

    /// One line naming the model and its networks, as checkpoints record it.
    pub fn architecture(&self) -> String {
        self.spec().architecture(self)
    }

    /// What training image sides the networks take.
    pub fn size_check(&self) -> SizeCheck {
        self.spec().size_check(self)
    }
}
