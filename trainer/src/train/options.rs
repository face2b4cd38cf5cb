//! Options of training (the default command), named after the reference's
//! `train.py` flags, and the checks that run before anything is written.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{ArgMatches, Args, ValueEnum};
use serde::{Deserialize, Serialize};
use shaders::nn::arch::{
    DiscriminatorArch, DiscriminatorConfig, GanMode, GeneratorArch, GeneratorConfig, Norm, Upsampling,
};
use shaders::nn::cyclegan::CycleGanConfig;
use shaders::nn::dcgan::DcganConfig;
use shaders::nn::discogan::DiscoGanConfig;
use shaders::nn::pix2pix::Pix2PixConfig;
use shaders::nn::ugatit::UgatitConfig;
use shaders::nn::ugatit_nets::GeneratorShape;

pub use shaders::train::transform::Preprocess;
use shaders::train::transform::Transform;
use shaders::train::Schedule;

use super::data::Direction;
use super::order::{derive_seed, stream};

/// The training model (the reference's `--model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum ModelKind {
    /// CycleGAN: unpaired translation between two folders of images.
    #[default]
    #[value(name = "cycle_gan")]
    #[serde(rename = "cycle_gan")]
    CycleGan,
    /// pix2pix: paired translation from one folder of A|B side-by-side images.
    #[value(name = "pix2pix")]
    #[serde(rename = "pix2pix")]
    Pix2Pix,
    /// DCGAN: 64x64 images from random latents, trained on one folder of images.
    #[value(name = "dcgan")]
    #[serde(rename = "dcgan")]
    Dcgan,
    /// DiscoGAN: unpaired translation at 64x64 with reconstruction and feature-matching losses.
    #[value(name = "discogan")]
    #[serde(rename = "discogan")]
    DiscoGan,
    /// U-GAT-IT: unpaired translation with attention (CAM) and adaptive layer-instance normalization.
    #[value(name = "ugatit")]
    #[serde(rename = "ugatit")]
    Ugatit,
}

impl ModelKind {
    /// The reference's spelling.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::CycleGan => "cycle_gan",
            ModelKind::Pix2Pix => "pix2pix",
            ModelKind::Dcgan => "dcgan",
            ModelKind::DiscoGan => "discogan",
            ModelKind::Ugatit => "ugatit",
        }
    }
}

/// Generator architecture (the reference's `--netG`): `resnet_<n>blocks` or
/// `unet_<size>` (size a power of two: 2^downsamplings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NetG(pub GeneratorArch);

impl std::str::FromStr for NetG {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        GeneratorArch::from_name(s).map(NetG)
    }
}

impl std::fmt::Display for NetG {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            GeneratorArch::Resnet { n_blocks, .. } => write!(f, "resnet_{n_blocks}blocks"),
            GeneratorArch::Unet { num_downs } => write!(f, "unet_{}", 1u64 << num_downs),
            GeneratorArch::Dcgan => write!(f, "dcgan"),
            GeneratorArch::DiscoGan => write!(f, "discogan"),
        }
    }
}

impl TryFrom<String> for NetG {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl From<NetG> for String {
    fn from(n: NetG) -> String {
        n.to_string()
    }
}

/// Discriminator architecture (the reference's `--netD`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetD {
    /// The 70x70 PatchGAN (n_layers with 3 layers).
    #[default]
    Basic,
    /// A PatchGAN with --n-layers-d strided layers.
    #[value(name = "n_layers")]
    NLayers,
    /// The 1x1 PixelGAN.
    Pixel,
}

/// Normalization (the reference's `--norm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormArg {
    /// BatchNorm2d (pix2pix's default).
    Batch,
    /// InstanceNorm2d without affine parameters (CycleGAN's default).
    Instance,
    /// InstanceNorm2d with a weight and bias per channel (as other CycleGAN code bases build it).
    #[value(name = "instance_affine")]
    InstanceAffine,
    /// No normalization.
    None,
}

/// How a ResNet generator upsamples (not an option of the reference, which has transposed3 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsamplingArg {
    /// ConvTranspose2d(3, stride 2, padding 1, output_padding 1), the reference's.
    Transposed3,
    /// ConvTranspose2d(4, stride 2, padding 1): the form `Upsample(x2) + Conv2d(3)` decoders of other code
    /// bases load as (it has 16 free taps where those have 9, so training departs from that form).
    Transposed4,
}

impl NormArg {
    /// The shaders' norm.
    pub fn norm(self) -> Norm {
        match self {
            NormArg::Batch => Norm::Batch,
            NormArg::Instance => Norm::Instance,
            NormArg::InstanceAffine => Norm::InstanceAffine,
            NormArg::None => Norm::None,
        }
    }
}

/// GAN objective (the reference's `--gan_mode`; wgangp is not supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GanModeArg {
    /// Least squares (CycleGAN's default).
    Lsgan,
    /// BCE with logits (pix2pix's default).
    Vanilla,
}

/// `--preprocess`: the reference's names, each with its help line.
fn preprocess_parser() -> impl clap::builder::TypedValueParser<Value = Preprocess> {
    let values = Preprocess::ALL.map(|(_, name, help)| clap::builder::PossibleValue::new(name).help(help));
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(values)
        .map(|s| s.parse::<Preprocess>().expect("one of the possible values"))
}

/// Options of training. Without data it trains on a built-in demo with
/// small defaults. Options whose default depends on `--model` are resolved
/// by [`TrainArgs::resolve`] before the run starts.
#[derive(Args, Clone, Debug, Serialize, Deserialize)]
pub struct TrainArgs {
    /// The model: cycle_gan (two unpaired folders), pix2pix (one folder of A|B pairs), dcgan (one folder of
    /// images, generated from noise), discogan (two unpaired folders, or A|B pairs taken apart, at 64x64) or
    /// ugatit (two unpaired folders; attention-guided, for translations that change shape).
    #[arg(long, value_enum, default_value = "cycle_gan")]
    #[serde(default)]
    pub model: ModelKind,
    /// Folder of domain A training images, searched recursively (e.g. monet2photo/trainA).
    /// Leave out the data to train on the model's built-in demo.
    #[arg(long, value_name = "DIR", requires = "domain_b")]
    pub domain_a: Option<PathBuf>,
    /// Folder of domain B training images, searched recursively (e.g. monet2photo/trainB).
    #[arg(long, value_name = "DIR", requires = "domain_a")]
    pub domain_b: Option<PathBuf>,
    /// The data set: for pix2pix a folder of A|B side-by-side images (e.g. facades/train); for cycle_gan
    /// a folder holding trainA/ and trainB/ (instead of --domain-a/--domain-b); for dcgan a folder of images,
    /// searched recursively.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["domain_a", "domain_b"])]
    #[serde(default)]
    pub dataroot: Option<PathBuf>,
    /// pix2pix: AtoB translates the left half into the right, BtoA the right into the left (facades: BtoA).
    #[arg(long, value_enum, default_value = "AtoB")]
    #[serde(default)]
    pub direction: Direction,
    /// Experiment name: results go to <checkpoints-dir>/<name>/ [demo: demo].
    #[arg(long, default_value = "experiment")]
    pub name: String,
    /// Folder that holds one subfolder of results per experiment.
    #[arg(long, value_name = "DIR", default_value = "checkpoints")]
    pub checkpoints_dir: PathBuf,
    /// Generator: resnet_9blocks, resnet_6blocks, unet_256, unet_128 (any resnet_<n>blocks, unet_<2^k>)
    /// [cycle_gan: resnet_9blocks; pix2pix: unet_256; demos: resnet_6blocks, unet_64].
    #[arg(long, value_name = "NET")]
    pub net_g: Option<NetG>,
    /// Discriminator: basic (the 70x70 PatchGAN: n_layers with --n-layers-d 3), n_layers, pixel (1x1).
    #[arg(long, value_enum, default_value = "basic")]
    #[serde(default)]
    pub net_d: NetD,
    /// Normalization of every network [cycle_gan: instance; pix2pix: batch].
    #[arg(long, value_enum)]
    #[serde(default)]
    pub norm: Option<NormArg>,
    /// Upsampling layers of a ResNet generator [transposed3, the reference's].
    #[arg(long, value_enum)]
    #[serde(default)]
    pub upsampling: Option<UpsamplingArg>,
    /// GAN objective [cycle_gan: lsgan; pix2pix: vanilla].
    #[arg(long, value_enum)]
    #[serde(default)]
    pub gan_mode: Option<GanModeArg>,
    /// No dropout in the generator (pix2pix's U-Net has Dropout(0.5) in its inner blocks; CycleGAN never has).
    #[arg(long)]
    #[serde(default)]
    pub no_dropout: bool,
    /// Filters in the generators' first conv layer [demo: 16].
    #[arg(long, default_value_t = 64)]
    pub ngf: usize,
    /// Filters in the discriminators' first conv layer [demo: 16].
    #[arg(long, default_value_t = 64)]
    pub ndf: usize,
    /// dcgan: length of the latent vectors z.
    #[arg(long, default_value_t = 100)]
    #[serde(default = "default_nz")]
    pub nz: usize,
    /// dcgan, discogan: side of the square images (the reference's --imageSize / --image_size; DCGAN's networks
    /// are built for 64, DiscoGAN's take multiples of 16 from 64).
    #[arg(long, default_value_t = 64)]
    #[serde(default = "default_image_size")]
    pub image_size: u32,
    /// discogan: iterations at --starting-rate before --default-rate (the reconstruction weight's curriculum).
    #[arg(long, default_value_t = 10_000)]
    #[serde(default = "default_gan_curriculum")]
    pub gan_curriculum: u64,
    /// discogan: weight of the reconstruction loss during the curriculum.
    #[arg(long, default_value_t = 0.01)]
    #[serde(default = "default_starting_rate")]
    pub starting_rate: f32,
    /// discogan: weight of the reconstruction loss after it.
    #[arg(long, default_value_t = 0.5)]
    #[serde(default = "default_default_rate")]
    pub default_rate: f32,
    /// discogan: the discriminators step every this many iterations, the generators on the others.
    #[arg(long, default_value_t = 3)]
    #[serde(default = "default_update_interval")]
    pub update_interval: u64,
    /// ugatit: the light model (the γ/β MLP on globally pooled features) instead of the full one, whose
    /// first MLP layer takes the whole flattened bottleneck (268 M weights at 256x256).
    #[arg(long)]
    #[serde(default)]
    pub light: bool,
    /// ugatit: the run's length in iterations; the learning rate decays linearly over its second half
    /// (--max-iters stops a run earlier) [demo: 1000].
    #[arg(long, default_value_t = 1_000_000)]
    #[serde(default = "default_iteration")]
    pub iteration: u64,
    /// ugatit: channels of the networks' first layer (the reference's --ch) [demo: 8].
    #[arg(long, default_value_t = 64)]
    #[serde(default = "default_ch")]
    pub ch: usize,
    /// ugatit: residual blocks of the generators' encoder and adaILN blocks of their decoder.
    #[arg(long, default_value_t = 4)]
    #[serde(default = "default_n_res")]
    pub n_res: usize,
    /// ugatit: weight of the adversarial losses.
    #[arg(long, default_value_t = 1.0)]
    #[serde(default = "default_adv_weight")]
    pub adv_weight: f32,
    /// ugatit: weight of the cycle L1 losses.
    #[arg(long, default_value_t = 10.0)]
    #[serde(default = "default_cycle_weight")]
    pub cycle_weight: f32,
    /// ugatit: weight of the identity L1 losses.
    #[arg(long, default_value_t = 10.0)]
    #[serde(default = "default_cycle_weight")]
    pub identity_weight: f32,
    /// ugatit: weight of the generators' CAM losses.
    #[arg(long, default_value_t = 1000.0)]
    #[serde(default = "default_cam_weight")]
    pub cam_weight: f32,
    /// ugatit: Adam's weight decay, added to the gradient as the reference's torch.optim.Adam does.
    #[arg(long, default_value_t = 1e-4)]
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f32,
    /// Strided conv layers of the PatchGAN discriminators with --net-d n_layers (basic is 3: 70x70 patches).
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
    /// pix2pix: weight of the L1 loss between G(A) and B.
    #[arg(long, default_value_t = 100.0)]
    #[serde(default = "default_lambda_l1")]
    pub lambda_l1: f32,
    /// Generated images each discriminator keeps in its history buffer, 0 disables it [cycle_gan: 50; pix2pix: 0].
    #[arg(long)]
    pub pool_size: Option<usize>,
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
    #[arg(long, value_parser = preprocess_parser(), default_value = "resize_and_crop")]
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
    /// Start from the networks' .safetensors in DIR (G_A G_B D_A D_B, or G D for pix2pix; e.g. another run's
    /// latest/, or a reference run's latest_net_*.pth) with fresh optimizers. ugatit also takes the
    /// reference's checkpoint file (<dataset>_params_NNNNNNN.pt) as is.
    #[arg(long, value_name = "DIR")]
    pub init_weights: Option<PathBuf>,
    /// Limits on decoding the training images.
    #[command(flatten)]
    #[serde(flatten)]
    pub decode: crate::imageio::DecodeArgs,
}

/// Options that only record what a run did; they may change between a run and its resume.
pub const RUN_CONTROL: [&str; 8] = [
    "continue_train",
    "max_iters",
    "init_weights",
    "domain_a",
    "domain_b",
    "dataroot",
    "max_image_side",
    "max_image_mib",
];

fn default_lambda_l1() -> f32 {
    100.0
}

fn default_nz() -> usize {
    100
}

fn default_image_size() -> u32 {
    64
}

fn default_gan_curriculum() -> u64 {
    10_000
}

fn default_starting_rate() -> f32 {
    0.01
}

fn default_default_rate() -> f32 {
    0.5
}

fn default_update_interval() -> u64 {
    3
}

fn default_iteration() -> u64 {
    1_000_000
}

fn default_ch() -> usize {
    64
}

fn default_n_res() -> usize {
    4
}

fn default_adv_weight() -> f32 {
    1.0
}

fn default_cycle_weight() -> f32 {
    10.0
}

fn default_cam_weight() -> f32 {
    1000.0
}

fn default_weight_decay() -> f32 {
    1e-4
}

impl TrainArgs {
    /// Whether no data was given, so the built-in demo runs.
    pub fn is_demo(&self) -> bool {
        self.domain_a.is_none() && self.domain_b.is_none() && self.dataroot.is_none()
    }

    /// Fills the options whose default depends on the model, as the
    /// reference's `modify_commandline_options` does.
    pub fn resolve(&mut self) {
        if self.model == ModelKind::Dcgan {
            // dcgan/main.py: Resize(imageSize) + CenterCrop(imageSize), no flips.
            self.preprocess = Preprocess::CenterCrop;
            self.load_size = self.image_size;
            self.crop_size = self.image_size;
            self.no_flip = true;
            self.norm = Some(NormArg::Batch);
            return;
        }
        if self.model == ModelKind::DiscoGan {
            // image_translation.py: cv2.resize to image_size x image_size, no crops or flips.
            self.preprocess = Preprocess::ResizeAndCrop;
            self.load_size = self.image_size;
            self.crop_size = self.image_size;
            self.no_flip = true;
            self.norm = Some(NormArg::Batch);
            return;
        }
        if self.model == ModelKind::Ugatit {
            // UGATIT.py: RandomHorizontalFlip, Resize((img_size + 30) square), RandomCrop(img_size).
            if self.preprocess != Preprocess::Crop {
                self.preprocess = Preprocess::ResizeAndCrop;
            }
            return;
        }
        let pix2pix = self.model == ModelKind::Pix2Pix;
        self.net_g.get_or_insert(if pix2pix {
            NetG(GeneratorArch::Unet { num_downs: 8 })
        } else {
            NetG(GeneratorArch::Resnet { n_blocks: 9, upsampling: Upsampling::Transposed3 })
        });
        self.norm.get_or_insert(if pix2pix { NormArg::Batch } else { NormArg::Instance });
        self.gan_mode.get_or_insert(if pix2pix { GanModeArg::Vanilla } else { GanModeArg::Lsgan });
        self.pool_size.get_or_insert(if pix2pix { 0 } else { 50 });
    }

    /// Replaces the defaults the user did not set by those of the model
    /// where they differ from the reference's train.py (DCGAN's main.py:
    /// batch 64, 25 epochs at a constant rate, samples every 100 iterations).
    pub fn apply_model_defaults(&mut self, matches: &ArgMatches) {
        let unset = |id: &str| matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine);
        if self.model == ModelKind::Dcgan {
            if unset("batch_size") {
                self.batch_size = 64;
            }
            if unset("n_epochs") {
                self.n_epochs = 25;
            }
            if unset("n_epochs_decay") {
                self.n_epochs_decay = 0;
            }
            if unset("display_freq") {
                self.display_freq = 100;
            }
        }
        // UGATIT.py: lr 1e-4, Resize to img_size + 30, samples every 1000
        // iterations (its print_freq).
        if self.model == ModelKind::Ugatit {
            if unset("lr") {
                self.lr = 1e-4;
            }
            if unset("load_size") {
                self.load_size = self.crop_size + 30;
            }
            if unset("display_freq") {
                self.display_freq = 1000;
            }
        }
        // image_translation.py: batch 64, 5000 epochs at a constant rate, a
        // log line every 10 iterations, test images every 1000.
        if self.model == ModelKind::DiscoGan {
            if unset("batch_size") {
                self.batch_size = 64;
            }
            if unset("n_epochs") {
                self.n_epochs = 5000;
            }
            if unset("n_epochs_decay") {
                self.n_epochs_decay = 0;
            }
            if unset("print_freq") {
                self.print_freq = 10;
            }
            if unset("display_freq") {
                self.display_freq = 1000;
            }
        }
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
        if self.model == ModelKind::Dcgan {
            // At the reference's lr 2e-4 a net this small only starts to draw
            // after some thousand iterations; at 1e-3 the shapes appear
            // within 150-300 (the same in PyTorch).
            demo!(name, "demo_dcgan".into());
            demo!(ngf, 16);
            demo!(ndf, 8);
            demo!(nz, 32);
            demo!(lr, 1e-3);
            demo!(batch_size, 16);
            demo!(n_epochs, 10);
            demo!(display_freq, 24);
            demo!(print_freq, 6);
            demo!(save_epoch_freq, 4);
            demo!(save_latest_freq, 96);
            return;
        }
        if self.model == ModelKind::DiscoGan {
            // As for DCGAN's demo: at the reference's 2e-4 such small nets
            // are still grey after a few hundred iterations, at 1e-3 the
            // night's colours show within 240 (the same in PyTorch).
            demo!(name, "demo_discogan".into());
            demo!(ngf, 8);
            demo!(ndf, 8);
            demo!(lr, 1e-3);
            demo!(batch_size, 8);
            demo!(n_epochs, 60);
            demo!(gan_curriculum, 120);
            demo!(display_freq, 24);
            demo!(print_freq, 6);
            demo!(save_epoch_freq, 10);
            demo!(save_latest_freq, 120);
            return;
        }
        if self.model == ModelKind::Ugatit {
            // Small networks on 96x96 crops (the global discriminator's
            // smallest input). The reference's networks with these settings
            // in PyTorch: at lr 2e-4 the discs are still round blurs after
            // 400 iterations; at 5e-4, with the decay over the second half
            // of 1000, the discs turn visibly square from about 750.
            demo!(name, "demo_ugatit".into());
            demo!(light, true);
            demo!(ch, 8);
            demo!(n_res, 2);
            demo!(lr, 5e-4);
            demo!(iteration, 1000);
            demo!(crop_size, 96);
            demo!(load_size, 104);
            demo!(display_freq, 25);
            demo!(print_freq, 5);
            demo!(save_latest_freq, 100);
            return;
        }
        if self.model == ModelKind::Pix2Pix {
            demo!(name, "demo_pix2pix".into());
            demo!(net_g, Some(NetG(GeneratorArch::Unet { num_downs: 6 })));
            demo!(n_epochs, 5);
            demo!(n_epochs_decay, 5);
            demo!(display_freq, 48);
        } else {
            demo!(name, "demo".into());
            demo!(net_g, Some(NetG(GeneratorArch::Resnet { n_blocks: 6, upsampling: Upsampling::Transposed3 })));
            demo!(n_epochs, 4);
            demo!(n_epochs_decay, 4);
            demo!(display_freq, 40);
        }
        demo!(ngf, 16);
        demo!(ndf, 16);
        demo!(load_size, 72);
        demo!(crop_size, 64);
        demo!(print_freq, 10);
        demo!(save_epoch_freq, 2);
        demo!(save_latest_freq, 200);
    }

    /// Checks the options among themselves; every message names the flag.
    pub fn validate(&self) -> Result<()> {
        for (flag, v) in [
            ("--ngf", self.ngf),
            ("--ndf", self.ndf),
            ("--n-layers-d", self.n_layers_d),
            ("--batch-size", self.batch_size),
            ("--nz", self.nz),
            ("--ch", self.ch),
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
        if let (Some(_), Some(net_g @ NetG(GeneratorArch::Unet { .. }))) = (self.upsampling, self.net_g) {
            bail!("--upsampling applies to ResNet generators (--net-g resnet_<n>blocks), not to --net-g {net_g}");
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
        for (flag, v) in [
            ("--lambda-a", self.lambda_a),
            ("--lambda-b", self.lambda_b),
            ("--lambda-identity", self.lambda_identity),
            ("--lambda-l1", self.lambda_l1),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                bail!("{flag} must be a number >= 0, not {v}");
            }
        }
        if self.model == ModelKind::DiscoGan && (self.image_size < 64 || self.image_size % 16 != 0) {
            bail!(
                "--image-size {}: DiscoGAN's networks halve the image four times and its discriminator's last \
                 layer needs 4x4 there, so the size must be a multiple of 16 and at least 64",
                self.image_size
            );
        }
        if self.model == ModelKind::Ugatit {
            if self.iteration < 2 {
                bail!("--iteration must be at least 2 (the learning rate decays over its second half)");
            }
            for (flag, v) in [
                ("--adv-weight", self.adv_weight),
                ("--cycle-weight", self.cycle_weight),
                ("--identity-weight", self.identity_weight),
                ("--cam-weight", self.cam_weight),
                ("--weight-decay", self.weight_decay),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    bail!("{flag} must be a number >= 0, not {v}");
                }
            }
        }
        if self.model == ModelKind::DiscoGan && self.update_interval == 0 {
            bail!("--update-interval must be at least 1");
        }
        for (flag, v) in [("--starting-rate", self.starting_rate), ("--default-rate", self.default_rate)] {
            if !(0.0..=1.0).contains(&v) {
                bail!("{flag} must be in [0, 1], not {v}");
            }
        }
        if self.model == ModelKind::Dcgan && self.image_size != 64 {
            bail!(
                "--image-size {}: DCGAN's networks are built for 64x64 images (four stride-2 layers from 4x4), as \
                 in the reference",
                self.image_size
            );
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
                    p.name()
                );
            }
            self.check_net_size(self.crop_size, "--crop-size")?;
        } else if p == Preprocess::ScaleWidth {
            self.check_net_size(self.load_size, "--load-size")?;
        }
        if matches!(p, Preprocess::ResizeAndCrop | Preprocess::ScaleWidth | Preprocess::ScaleWidthAndCrop)
            && self.load_size == 0
        {
            bail!("--load-size must be at least 1");
        }
        Ok(())
    }

    /// The generator's architecture (after [`TrainArgs::resolve`]).
    pub fn generator(&self) -> GeneratorConfig {
        if self.model == ModelKind::Dcgan {
            return GeneratorConfig::dcgan(self.nz, self.ngf);
        }
        if self.model == ModelKind::DiscoGan {
            return GeneratorConfig::discogan(self.ngf);
        }
        GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf: self.ngf,
            arch: match self
                .net_g
                .map_or(GeneratorArch::Resnet { n_blocks: 9, upsampling: Upsampling::Transposed3 }, |n| n.0)
            {
                GeneratorArch::Resnet { n_blocks, .. } => {
                    let upsampling = match self.upsampling {
                        Some(UpsamplingArg::Transposed4) => Upsampling::Transposed4,
                        _ => Upsampling::Transposed3,
                    };
                    GeneratorArch::Resnet { n_blocks, upsampling }
                }
                unet => unet,
            },
            norm: self.norm(),
            dropout: self.model == ModelKind::Pix2Pix && !self.no_dropout,
        }
    }

    fn norm(&self) -> Norm {
        self.norm.map(NormArg::norm).unwrap_or(Norm::Instance)
    }

    /// Strided layers of the PatchGAN (None for the pixel discriminator).
    pub fn d_layers(&self) -> Option<usize> {
        if matches!(self.model, ModelKind::Dcgan | ModelKind::DiscoGan) {
            return None;
        }
        match self.net_d {
            // --n-layers-d applies to basic too (its default, 3, is basic's depth).
            NetD::Basic | NetD::NLayers => Some(self.n_layers_d),
            NetD::Pixel => None,
        }
    }

    /// The discriminators' architecture (after [`TrainArgs::resolve`]).
    pub fn discriminator(&self) -> DiscriminatorConfig {
        if self.model == ModelKind::Dcgan {
            return DiscriminatorConfig::dcgan(self.ndf);
        }
        if self.model == ModelKind::DiscoGan {
            return DiscriminatorConfig::discogan(self.ndf);
        }
        let input_nc = if self.model == ModelKind::Pix2Pix { 6 } else { 3 };
        let arch = match self.d_layers() {
            Some(n_layers) => DiscriminatorArch::NLayer { n_layers },
            None => DiscriminatorArch::Pixel,
        };
        DiscriminatorConfig { input_nc, ndf: self.ndf, arch, norm: self.norm() }
    }

    fn gan_mode(&self) -> GanMode {
        match self.gan_mode {
            Some(GanModeArg::Vanilla) => GanMode::Vanilla,
            _ => GanMode::Lsgan,
        }
    }

    /// Every option at its command-line default (before [`TrainArgs::resolve`]).
    pub fn defaults() -> TrainArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: TrainArgs,
        }
        <Cli as clap::Parser>::parse_from(["trainer"]).args
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            lr: self.lr,
            n_epochs: self.n_epochs,
            n_epochs_decay: self.n_epochs_decay,
            iterations: (self.model == ModelKind::Ugatit).then_some(self.iteration),
        }
    }

    /// The preprocessing of each image.
    pub fn transform(&self) -> Transform {
        Transform {
            preprocess: self.preprocess,
            load_size: self.load_size,
            crop_size: self.crop_size,
            flip: !self.no_flip,
            bilinear: self.model == ModelKind::Ugatit,
        }
    }

    /// CycleGAN's configuration.
    pub fn cycle_gan_config(&self) -> CycleGanConfig {
        CycleGanConfig {
            generator: self.generator(),
            discriminator: self.discriminator(),
            lambda_a: self.lambda_a,
            lambda_b: self.lambda_b,
            lambda_identity: self.lambda_identity,
            beta1: self.beta1,
            beta2: 0.999,
            pool_size: self.pool_size.unwrap_or(50),
            gan_mode: self.gan_mode(),
        }
    }

    /// pix2pix's configuration.
    pub fn pix2pix_config(&self) -> Pix2PixConfig {
        Pix2PixConfig {
            generator: self.generator(),
            discriminator: self.discriminator(),
            lambda_l1: self.lambda_l1,
            beta1: self.beta1,
            beta2: 0.999,
            pool_size: self.pool_size.unwrap_or(0),
            gan_mode: self.gan_mode(),
        }
    }

    /// DCGAN's configuration.
    pub fn dcgan_config(&self) -> DcganConfig {
        DcganConfig {
            generator: self.generator(),
            discriminator: self.discriminator(),
            beta1: self.beta1,
            beta2: 0.999,
            fixed_seed: derive_seed(self.seed, stream::FIXED_LATENTS, 0),
            fixed_count: 64,
        }
    }

    /// DiscoGAN's configuration.
    pub fn discogan_config(&self) -> DiscoGanConfig {
        DiscoGanConfig {
            beta1: self.beta1,
            gan_curriculum: self.gan_curriculum,
            starting_rate: self.starting_rate,
            default_rate: self.default_rate,
            update_interval: self.update_interval,
            ..DiscoGanConfig::reference(self.ngf, self.ndf)
        }
    }

    /// U-GAT-IT's generators: the crop size is the full model's image size.
    pub fn ugatit_generator(&self) -> GeneratorShape {
        GeneratorShape { ch: self.ch, n_res: self.n_res, light: self.light, img_size: self.crop_size as usize }
    }

    /// U-GAT-IT's configuration.
    pub fn ugatit_config(&self) -> UgatitConfig {
        UgatitConfig {
            weight_decay: self.weight_decay,
            adv_weight: self.adv_weight,
            cycle_weight: self.cycle_weight,
            identity_weight: self.identity_weight,
            cam_weight: self.cam_weight,
            ..UgatitConfig::reference(self.ugatit_generator())
        }
    }

    /// One line naming the model and its networks, as checkpoints record it.
    pub fn architecture(&self) -> String {
        if self.model == ModelKind::Ugatit {
            let g = self.ugatit_generator();
            let full = if g.light { String::new() } else { format!(", full at {}x{}", g.img_size, g.img_size) };
            return format!("ugatit{} ch {} n_res {}{full}", if g.light { " light" } else { "" }, g.ch, g.n_res);
        }
        shaders::train::architecture(self.model.name(), &self.generator(), &self.discriminator())
    }

    /// What training image sides the networks take.
    pub fn size_check(&self) -> SizeCheck {
        if self.model == ModelKind::Ugatit {
            let min = self.ugatit_config().min_size() as u32;
            return SizeCheck { multiple: 4, min, min_by: "U-GAT-IT's global discriminator", d_layers: None };
        }
        let g = self.generator();
        let (multiple, min) = (g.size_multiple() as u32, g.min_size() as u32);
        SizeCheck { multiple, min, min_by: "the generator", d_layers: self.d_layers() }
    }

    fn check_net_size(&self, size: u32, flag: &str) -> Result<()> {
        self.size_check().check(size, flag)
    }
}

/// The sides a run's networks take: a multiple of what the generator halves
/// to, and enough for the discriminator's layers.
#[derive(Clone, Copy, Debug)]
pub struct SizeCheck {
    /// The generator's multiple (4 for a ResNet, 2^num_downs for a U-Net).
    pub multiple: u32,
    /// The generator's smallest side (8 for a ResNet, its multiple for a U-Net).
    pub min: u32,
    /// What needs `min` (for messages), e.g. "the generator".
    pub min_by: &'static str,
    /// Strided layers of a PatchGAN discriminator.
    pub d_layers: Option<usize>,
}

impl SizeCheck {
    /// Checks one side; `flag` names it in the message.
    pub fn check(&self, size: u32, flag: &str) -> Result<()> {
        let m = self.multiple;
        if size % m != 0 || size < m {
            bail!(
                "{flag} {size} must be a multiple of {m}: the generator halves the image {} times and doubles it back",
                m.trailing_zeros()
            );
        }
        if size < self.min {
            bail!("{flag} {size} is too small: {} takes images of at least {m}x{m} pixels", self.min_by, m = self.min);
        }
        if let Some(n_layers) = self.d_layers {
            check_d_size(size, n_layers, flag)?;
        }
        Ok(())
    }
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

/// The discriminator needs enough pixels for its layers.
pub fn check_d_size(size: u32, n_layers: usize, flag: &str) -> Result<()> {
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
        assert!(check_d_size(24, 3, "--crop-size").is_ok());
        assert!(check_d_size(16, 3, "--crop-size").unwrap_err().to_string().contains("at least 24"));
    }

    #[test]
    fn generator_names_parse_and_print() {
        for name in ["resnet_9blocks", "resnet_6blocks", "unet_256", "unet_128", "unet_64"] {
            assert_eq!(name.parse::<NetG>().unwrap().to_string(), name);
        }
        assert_eq!("unet_256".parse::<NetG>().unwrap().0, GeneratorArch::Unet { num_downs: 8 });
        for bad in ["unet_100", "unet_16", "resnet_0blocks", "vgg"] {
            assert!(bad.parse::<NetG>().unwrap_err().contains(bad), "{bad}");
        }
    }
}
