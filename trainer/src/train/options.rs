//! Options of training (the default command), named after the reference's
//! `train.py` flags, and the checks that run before anything is written.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{ArgMatches, Args, ValueEnum};
use serde::{Deserialize, Serialize};
use shaders::nn::cyclegan::CycleGanConfig;
use shaders::nn::discriminator::DiscriminatorConfig;
use shaders::nn::generator::GeneratorConfig;

/// Generator architecture (the reference's `--netG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum NetG {
    /// ResnetGenerator with 9 residual blocks (the reference's default at 256x256).
    #[value(name = "resnet_9blocks")]
    #[serde(rename = "resnet_9blocks")]
    Resnet9,
    /// ResnetGenerator with 6 residual blocks (the reference's choice at 128x128).
    #[value(name = "resnet_6blocks")]
    #[serde(rename = "resnet_6blocks")]
    Resnet6,
}

impl NetG {
    /// Residual blocks.
    pub fn blocks(self) -> usize {
        match self {
            NetG::Resnet9 => 9,
            NetG::Resnet6 => 6,
        }
    }
}

/// Image preprocessing (the reference's `--preprocess`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preprocess {
    /// Resize to load-size x load-size (bicubic), then a random crop-size square.
    #[value(name = "resize_and_crop")]
    ResizeAndCrop,
    /// A random crop-size square of the image as it is.
    #[value(name = "crop")]
    Crop,
    /// Scale the width to load-size keeping the aspect ratio (height at least crop-size).
    #[value(name = "scale_width")]
    ScaleWidth,
    /// scale_width, then a random crop-size square.
    #[value(name = "scale_width_and_crop")]
    ScaleWidthAndCrop,
    /// Keep the image, resized only to make both sides multiples of 4.
    #[value(name = "none")]
    None,
}

impl Preprocess {
    /// Whether a random crop-size square is taken.
    pub fn crops(self) -> bool {
        matches!(self, Preprocess::ResizeAndCrop | Preprocess::Crop | Preprocess::ScaleWidthAndCrop)
    }
}

/// Options of training. Without `--domain-a`/`--domain-b` it trains on a
/// built-in demo pair of domains with small defaults.
#[derive(Args, Clone, Debug, Serialize, Deserialize)]
pub struct TrainArgs {
    /// Folder of domain A training images, searched recursively (e.g. monet2photo/trainA).
    /// Leave out both domains to train on the built-in demo (daytime vs. night landscapes).
    #[arg(long, value_name = "DIR", requires = "domain_b")]
    pub domain_a: Option<PathBuf>,
    /// Folder of domain B training images, searched recursively (e.g. monet2photo/trainB).
    #[arg(long, value_name = "DIR", requires = "domain_a")]
    pub domain_b: Option<PathBuf>,
    /// Experiment name: results go to <checkpoints-dir>/<name>/ [demo: demo].
    #[arg(long, default_value = "experiment")]
    pub name: String,
    /// Folder that holds one subfolder of results per experiment.
    #[arg(long, value_name = "DIR", default_value = "checkpoints")]
    pub checkpoints_dir: PathBuf,
    /// Generator architecture [demo: resnet_6blocks].
    #[arg(long, value_enum, default_value = "resnet_9blocks")]
    pub net_g: NetG,
    /// Filters in the generators' first conv layer [demo: 16].
    #[arg(long, default_value_t = 64)]
    pub ngf: usize,
    /// Filters in the discriminators' first conv layer [demo: 16].
    #[arg(long, default_value_t = 64)]
    pub ndf: usize,
    /// Strided conv layers of the PatchGAN discriminators (3 = 70x70 patches).
    #[arg(long, default_value_t = 3)]
    pub n_layers_d: usize,
    /// Epochs at the initial learning rate [demo: 4].
    #[arg(long, default_value_t = 100)]
    pub n_epochs: u64,
    /// Epochs over which the learning rate then decays linearly to zero [demo: 4].
    #[arg(long, default_value_t = 100)]
    pub n_epochs_decay: u64,
    /// Initial learning rate of Adam (both optimizers).
    #[arg(long, default_value_t = 0.0002)]
    pub lr: f64,
    /// Adam momentum term beta1.
    #[arg(long, default_value_t = 0.5)]
    pub beta1: f32,
    /// Weight of the cycle loss A -> B -> A.
    #[arg(long, default_value_t = 10.0)]
    pub lambda_a: f32,
    /// Weight of the cycle loss B -> A -> B.
    #[arg(long, default_value_t = 10.0)]
    pub lambda_b: f32,
    /// Weight of the identity loss, relative to the cycle weight of the target domain (0 disables it).
    #[arg(long, default_value_t = 0.5)]
    pub lambda_identity: f32,
    /// Generated images each discriminator keeps in its history buffer (0 disables it).
    #[arg(long, default_value_t = 50)]
    pub pool_size: usize,
    /// Images per iteration from each domain.
    #[arg(long, default_value_t = 1)]
    pub batch_size: usize,
    /// Scale images to this size before cropping [demo: 72].
    #[arg(long, default_value_t = 286)]
    pub load_size: u32,
    /// Then crop to this size: the size the networks train at [demo: 64].
    #[arg(long, default_value_t = 256)]
    pub crop_size: u32,
    /// How images are scaled and cropped before training.
    #[arg(long, value_enum, default_value = "resize_and_crop")]
    pub preprocess: Preprocess,
    /// Do not flip images horizontally at random.
    #[arg(long)]
    pub no_flip: bool,
    /// Take images in order (A and B by iteration) instead of shuffling A and picking B at random.
    #[arg(long)]
    pub serial_batches: bool,
    /// Seed of the weight init, data order, augmentation and image pools: same seed, same run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Iterations between loss log lines, progress-bar losses and loss-curve updates [demo: 10].
    #[arg(long, default_value_t = 100)]
    pub print_freq: u64,
    /// Epochs between the per-epoch checkpoints epoch_<n>/ [demo: 2].
    #[arg(long, default_value_t = 5)]
    pub save_epoch_freq: u64,
    /// Iterations between saves of the latest/ checkpoint [demo: 200].
    #[arg(long, default_value_t = 5000)]
    pub save_latest_freq: u64,
    /// Iterations between sample grids in web/images/ [demo: 40].
    #[arg(long, default_value_t = 400)]
    pub display_freq: u64,
    /// Resume from <checkpoints-dir>/<name>/latest/: weights, Adam states, schedule, RNG and image pools.
    #[arg(long, conflicts_with = "init_weights")]
    pub continue_train: bool,
    /// Stop after this many iterations in total (counting those before a resume); latest/ is saved.
    #[arg(long, value_name = "N")]
    pub max_iters: Option<u64>,
    /// Start from G_A, G_B, D_A, D_B .safetensors in DIR (e.g. another run's latest/) with fresh optimizers.
    #[arg(long, value_name = "DIR")]
    pub init_weights: Option<PathBuf>,
}

/// Options that only record what a run did; they may change between a run and its resume.
pub const RUN_CONTROL: [&str; 5] = ["continue_train", "max_iters", "init_weights", "domain_a", "domain_b"];

impl TrainArgs {
    /// Whether no domain was given, so the built-in demo runs.
    pub fn is_demo(&self) -> bool {
        self.domain_a.is_none() && self.domain_b.is_none()
    }

    /// Replaces the defaults the user did not set by the demo's small ones.
    pub fn apply_demo_defaults(&mut self, matches: &ArgMatches) {
        let unset = |id: &str| matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine);
        macro_rules! demo {
            ($field:ident, $value:expr) => {
                if unset(stringify!($field)) {
                    self.$field = $value;
                }
            };
        }
        demo!(name, "demo".into());
        demo!(net_g, NetG::Resnet6);
        demo!(ngf, 16);
        demo!(ndf, 16);
        demo!(n_epochs, 4);
        demo!(n_epochs_decay, 4);
        demo!(load_size, 72);
        demo!(crop_size, 64);
        demo!(print_freq, 10);
        demo!(save_epoch_freq, 2);
        demo!(save_latest_freq, 200);
        demo!(display_freq, 40);
    }

    /// Checks the options among themselves; every message names the flag.
    pub fn validate(&self) -> Result<()> {
        for (flag, v) in [
            ("--ngf", self.ngf),
            ("--ndf", self.ndf),
            ("--n-layers-d", self.n_layers_d),
            ("--batch-size", self.batch_size),
        ] {
            if v == 0 {
                bail!("{flag} must be at least 1");
            }
        }
        for (flag, v) in [
            ("--print-freq", self.print_freq),
            ("--save-epoch-freq", self.save_epoch_freq),
            ("--save-latest-freq", self.save_latest_freq),
            ("--display-freq", self.display_freq),
        ] {
            if v == 0 {
                bail!("{flag} must be at least 1");
            }
        }
        if self.n_epochs + self.n_epochs_decay == 0 {
            bail!("--n-epochs plus --n-epochs-decay must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail!("--lr must be a positive number, not {}", self.lr);
        }
        if !(0.0..1.0).contains(&self.beta1) {
            bail!("--beta1 must be in [0, 1), not {}", self.beta1);
        }
        for (flag, v) in
            [("--lambda-a", self.lambda_a), ("--lambda-b", self.lambda_b), ("--lambda-identity", self.lambda_identity)]
        {
            if !(v.is_finite() && v >= 0.0) {
                bail!("{flag} must be a number >= 0, not {v}");
            }
        }
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name == "." || self.name == ".." {
            bail!("--name {:?} must be a plain folder name (no slashes)", self.name);
        }
        let p = self.preprocess;
        if p.crops() {
            if self.crop_size == 0 {
                bail!("--crop-size must be at least 1");
            }
            if p != Preprocess::Crop && self.crop_size > self.load_size {
                bail!(
                    "--crop-size {} is larger than --load-size {}: with --preprocess {} images are scaled to the \
                     load size first, so the crop must fit in it (use a crop size <= load size)",
                    self.crop_size,
                    self.load_size,
                    p.to_possible_value().expect("no skipped variants").get_name()
                );
            }
            check_net_size(self.crop_size, self.n_layers_d, "--crop-size")?;
        } else if p == Preprocess::ScaleWidth {
            check_net_size(self.load_size, self.n_layers_d, "--load-size")?;
        }
        if matches!(p, Preprocess::ResizeAndCrop | Preprocess::ScaleWidth | Preprocess::ScaleWidthAndCrop)
            && self.load_size == 0
        {
            bail!("--load-size must be at least 1");
        }
        Ok(())
    }

    /// The model and optimiser configuration.
    pub fn model_config(&self) -> CycleGanConfig {
        CycleGanConfig {
            generator: GeneratorConfig::resnet(self.net_g.blocks(), self.ngf),
            discriminator: DiscriminatorConfig { input_nc: 3, ndf: self.ndf, n_layers: self.n_layers_d },
            lambda_a: self.lambda_a,
            lambda_b: self.lambda_b,
            lambda_identity: self.lambda_identity,
            beta1: self.beta1,
            beta2: 0.999,
            pool_size: self.pool_size,
        }
    }

    /// One line naming the architecture, as checkpoints record it.
    pub fn architecture(&self) -> String {
        describe_architecture(&self.model_config())
    }
}

/// "resnet_9blocks ngf 64, n_layers_d 3 ndf 64".
pub fn describe_architecture(c: &CycleGanConfig) -> String {
    format!(
        "{} ngf {}, n_layers_d {} ndf {}",
        c.generator.net_name(),
        c.generator.ngf,
        c.discriminator.n_layers,
        c.discriminator.ndf
    )
}

/// Side of the discriminator's output for an input of side `size`, if positive.
pub fn discriminator_output(size: u32, n_layers: usize) -> Option<u32> {
    let mut s = size as i64;
    for _ in 0..n_layers {
        s = (s + 2 - 4).div_euclid(2) + 1;
    }
    for _ in 0..2 {
        s = s + 2 - 4 + 1;
    }
    (s >= 1).then_some(s as u32)
}

/// The generator needs sides that are multiples of 4, the discriminator enough pixels for its layers.
pub fn check_net_size(size: u32, n_layers: usize, flag: &str) -> Result<()> {
    if size % 4 != 0 {
        bail!("{flag} {size} must be a multiple of 4: the generator downsamples twice by 2 and upsamples back");
    }
    if discriminator_output(size, n_layers).is_none() {
        let min = (4..).step_by(4).find(|&s| discriminator_output(s, n_layers).is_some()).unwrap_or(0);
        bail!(
            "{flag} {size} is too small for a discriminator with --n-layers-d {n_layers} (its output would be \
             empty); use at least {min}, or fewer layers"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patchgan_output_sizes() {
        // 256 -> 128 -> 64 -> 32 -> 31 -> 30: the 70x70 PatchGAN's 30x30 map.
        assert_eq!(discriminator_output(256, 3), Some(30));
        assert_eq!(discriminator_output(16, 3), None);
        assert_eq!(discriminator_output(16, 2), Some(2));
        assert!(check_net_size(24, 3, "--crop-size").is_ok());
        assert!(check_net_size(18, 2, "--crop-size").unwrap_err().to_string().contains("multiple of 4"));
        assert!(check_net_size(16, 3, "--crop-size").unwrap_err().to_string().contains("at least 24"));
    }
}
