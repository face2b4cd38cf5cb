//! One interface for a generator loaded for inference, which `trainer
//! translate`, `trainer generate` and the page all use: what it is
//! ([`Summary`]), how large an image it takes on a device, and translation or
//! generation. The generators of the shared network family (CycleGAN's
//! ResNet, pix2pix's U-Net, DCGAN's and DiscoGAN's) are a [`NetworkGenerator`];
//! a model with networks of its own implements [`Generator`] in its file and
//! detects its weights through `ModelSpec::detect_generator`.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::StateDict;
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::Mode;
use crate::nn::model::BoxFuture;
use crate::nn::nets::arch::{GeneratorArch, GeneratorConfig, Norm};
use crate::nn::nets::network::{Architecture, Network};
use crate::nn::nets::remap::{map_state_dict, override_norm, Mapped};
use crate::nn::translate::{max_pixels, translate_rgba};
use crate::ops::randn;
use crate::tensor::Tensor;

/// What a front end shows and checks about a loaded generator.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The model family, e.g. `CycleGAN ResNet`, `pix2pix U-Net`, `DCGAN`, `U-GAT-IT`.
    pub family: &'static str,
    /// One line naming the family and the architecture, e.g.
    /// `pix2pix U-Net unet_256 ngf 64, norm batch, dropout`.
    pub architecture: String,
    /// The reference's `--netG` name (`resnet_9blocks`, `unet_256`, `ugatit_light`, ...).
    pub net_name: String,
    /// Filters of the first layer (ngf; U-GAT-IT's ch).
    pub width: usize,
    /// The normalization: `batch`, `instance`, `instance_affine`, `none`, or `iln` (U-GAT-IT).
    pub norm: &'static str,
    /// Whether the network has BatchNorm, whose statistics depend on the mode.
    pub batch_norm: bool,
    /// Whether the network has Dropout layers.
    pub dropout: bool,
    /// Image sides are padded to a multiple of this.
    pub size_multiple: usize,
    /// The smallest padded side it takes.
    pub min_size: usize,
    /// The only image side it takes (the full U-GAT-IT's); 0 for any size.
    pub fixed_size: usize,
    /// Values per latent of a generator that generates from latents (DCGAN's nz); 0 for a translator.
    pub nz: usize,
    /// Whether a translation also gives an attention map (U-GAT-IT's CAM heatmap).
    pub attention: bool,
    /// Learned parameters (weights and biases, not running statistics).
    pub parameters: usize,
}

impl Summary {
    /// [`Summary::architecture`] with the parameter count.
    pub fn description(&self) -> String {
        format!("{} ({:.2} M parameters)", self.architecture, self.parameters as f64 / 1e6)
    }

    /// Whether the test-time mode changes the output (BatchNorm or dropout).
    pub fn has_test_modes(&self) -> bool {
        self.batch_norm || self.dropout
    }

    /// Whether it translates images rather than generating them from latents.
    pub fn translates(&self) -> bool {
        self.nz == 0
    }

    /// The padded size of a `width` x `height` image: each side rounded up to
    /// the size multiple and to at least the smallest side.
    pub fn padded(&self, width: usize, height: usize) -> (usize, usize) {
        let m = self.size_multiple.max(1);
        let side = |s: usize| s.div_ceil(m).saturating_mul(m).max(self.min_size);
        (side(width), side(height))
    }

    /// What a translation in `eval` mode (else the reference's test.py default
    /// with dropout seed `seed`) does with the mode-dependent layers, e.g.
    /// `test.py default: batch statistics, dropout seed 0`; empty when there
    /// are none.
    pub fn mode_description(&self, eval: bool, seed: u64) -> String {
        let mut parts = Vec::new();
        if self.batch_norm {
            parts.push(if eval { "running statistics".to_string() } else { "batch statistics".into() });
        }
        if self.dropout {
            parts.push(if eval { "no dropout".to_string() } else { format!("dropout seed {seed}") });
        }
        if parts.is_empty() {
            return String::new();
        }
        format!("{}: {}", if eval { "eval" } else { "test.py default" }, parts.join(", "))
    }
}

/// An RGBA8 image: `width * height * 4` bytes, row by row.
#[derive(Clone, Copy, Debug)]
pub struct Rgba<'a> {
    /// The bytes.
    pub pixels: &'a [u8],
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

/// One translated image.
pub struct Translation {
    /// RGBA8 of the input's size, with the input's alpha.
    pub pixels: Vec<u8>,
    /// The attention map as RGBA8 of the same size, for generators that have one.
    pub attention: Option<Vec<u8>>,
}

/// A generator loaded for inference.
pub trait Generator {
    /// What it is.
    fn summary(&self) -> &Summary;

    /// The largest padded image, in pixels, it translates on this device (its
    /// widest activation must fit one storage binding).
    fn max_pixels(&self, gpu: &Gpu) -> usize;

    /// Translates an image in `mode`, dropout masks drawn from `seed`; the
    /// result has the input's size and alpha.
    fn translate<'a>(
        &'a self,
        gpu: &'a Gpu,
        image: Rgba<'a>,
        mode: Mode,
        seed: u64,
    ) -> BoxFuture<'a, Result<Translation>>;

    /// Images [N, C, H, W] in [-1, 1] from latents `z` [N, nz, 1, 1].
    fn generate(&self, gpu: &Gpu, z: &Tensor, mode: Mode) -> Result<Tensor>;

    /// Bytes one generated image takes in the widest activation (0 for a translator).
    fn bytes_per_sample(&self) -> u64 {
        0
    }
}

/// `count` latents [count, nz, 1, 1] of standard normal values drawn from `seed`.
pub fn latents(gpu: &Gpu, count: usize, nz: usize, seed: u64) -> Result<Tensor> {
    randn(gpu, &[count, nz, 1, 1], seed)
}

/// How a weight file is read as a generator.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// In a file holding several networks, the one to use, by its top-level name.
    pub net: Option<String>,
    /// The norm, where the file cannot tell it.
    pub norm: Option<Norm>,
    /// Of a checkpoint holding both directions' generators, the B-to-A one.
    pub b_to_a: bool,
    /// Build the network without its Dropout layers.
    pub no_dropout: bool,
}

/// What a model finds in a weight file.
pub enum Detection {
    /// A generator of the model's own networks.
    Found(Detected),
    /// Not the model's: the state_dict as given.
    Other(StateDict),
}

/// Puts a detected generator on a device.
type Build = dyn FnOnce(&Gpu) -> Result<Box<dyn Generator>>;

/// A generator detected in a weight file, not yet on a device.
pub struct Detected {
    /// What the detection noticed (which network of several, assumed norms).
    pub notes: Vec<String>,
    build: Box<Build>,
}

impl Detected {
    /// A detected generator that `build` puts on a device.
    pub fn new(notes: Vec<String>, build: impl FnOnce(&Gpu) -> Result<Box<dyn Generator>> + 'static) -> Self {
        Detected { notes, build: Box::new(build) }
    }

    /// Uploads the weights and builds the generator.
    pub fn build(self, gpu: &Gpu) -> Result<Box<dyn Generator>> {
        (self.build)(gpu)
    }

    /// A network of the shared family (the reference's layout, or another
    /// code base's mapped onto it); a discriminator is an
    /// [`Error::Discriminator`].
    pub fn network(sd: &StateDict, opts: &LoadOptions) -> Result<Detected> {
        let mut mapped = map_state_dict(sd, opts.net.as_deref())?;
        if let Some(n) = opts.norm {
            override_norm(&mut mapped, n)?;
        }
        let Mapped { arch, state_dict, report } = mapped;
        let mut config = match arch {
            Architecture::Generator(g) => g,
            Architecture::Discriminator(d) => return Err(Error::Discriminator(d.describe())),
        };
        if opts.no_dropout {
            config.dropout = false;
        }
        let mut notes: Vec<String> = report.selection().map(|s| format!("using {s}")).into_iter().collect();
        notes.extend(report.notes.iter().cloned());
        Ok(Detected::new(notes, move |gpu| {
            let net = Network::new(gpu, Architecture::Generator(config), &state_dict, false)?;
            Ok(Box::new(NetworkGenerator::new(net, config)) as Box<dyn Generator>)
        }))
    }
}

/// A generator of the shared network family.
pub struct NetworkGenerator {
    net: Network,
    config: GeneratorConfig,
    summary: Summary,
}

impl GeneratorArch {
    /// The model family a front end names: `CycleGAN ResNet`, `pix2pix U-Net`, `DCGAN`, `DiscoGAN`.
    pub fn family(&self) -> &'static str {
        match self {
            GeneratorArch::Resnet { .. } => "CycleGAN ResNet",
            GeneratorArch::Unet { .. } => "pix2pix U-Net",
            GeneratorArch::Dcgan => "DCGAN",
            GeneratorArch::DiscoGan => "DiscoGAN",
        }
    }
}

impl NetworkGenerator {
    /// Wraps a built generator network of architecture `config`.
    pub fn new(net: Network, config: GeneratorConfig) -> Self {
        let summary = Self::summary_of(&config, net.params().numel());
        NetworkGenerator { net, config, summary }
    }

    /// The summary of a generator of architecture `config` with `parameters` learned values.
    pub fn summary_of(config: &GeneratorConfig, parameters: usize) -> Summary {
        let family = config.arch.family();
        Summary {
            family,
            architecture: format!("{family} {}", config.describe()),
            net_name: config.net_name(),
            width: config.ngf,
            norm: config.norm.name(),
            batch_norm: config.norm == Norm::Batch,
            dropout: config.dropout,
            size_multiple: config.size_multiple(),
            min_size: config.min_size(),
            fixed_size: 0,
            nz: if config.translates() { 0 } else { config.input_nc },
            attention: false,
            parameters,
        }
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }
}

impl Generator for NetworkGenerator {
    fn summary(&self) -> &Summary {
        &self.summary
    }

    fn max_pixels(&self, gpu: &Gpu) -> usize {
        max_pixels(gpu, &self.config)
    }

    fn translate<'a>(
        &'a self,
        gpu: &'a Gpu,
        image: Rgba<'a>,
        mode: Mode,
        seed: u64,
    ) -> BoxFuture<'a, Result<Translation>> {
        Box::pin(async move {
            let mut rng = SplitMix64(seed);
            let Rgba { pixels, width, height } = image;
            let pixels = translate_rgba(gpu, &self.net, mode, Some(&mut rng), pixels, width, height).await?;
            Ok(Translation { pixels, attention: None })
        })
    }

    fn generate(&self, gpu: &Gpu, z: &Tensor, mode: Mode) -> Result<Tensor> {
        if self.config.translates() {
            return Err(Error::Network(format!(
                "these are the weights of a {} image translator, which takes an image rather than a latent",
                self.summary.architecture
            )));
        }
        self.net.forward(gpu, z, mode, None)
    }

    fn bytes_per_sample(&self) -> u64 {
        sample_bytes(&self.config)
    }
}

/// Bytes one generated image takes in a latent generator's widest
/// activation: the last hidden layer [ngf, 32, 32] or the output
/// [output_nc, 64, 64]; 0 for a translator.
pub fn sample_bytes(config: &GeneratorConfig) -> u64 {
    if config.translates() {
        return 0;
    }
    4 * (config.ngf as u64 * 32 * 32).max(config.output_nc as u64 * 64 * 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_lines() {
        let unet = NetworkGenerator::summary_of(&GeneratorConfig::unet(8, 64), 54_414_000);
        assert_eq!(unet.architecture, "pix2pix U-Net unet_256 ngf 64, norm batch, dropout");
        assert_eq!(unet.description(), "pix2pix U-Net unet_256 ngf 64, norm batch, dropout (54.41 M parameters)");
        assert!(unet.has_test_modes());
        assert_eq!(unet.size_multiple, 256);
        let resnet = NetworkGenerator::summary_of(&GeneratorConfig::resnet(9, 64), 11_378_179);
        assert_eq!(resnet.architecture, "CycleGAN ResNet resnet_9blocks ngf 64, norm instance");
        assert!(!resnet.has_test_modes());
        assert_eq!((resnet.size_multiple, resnet.padded(10, 3)), (4, (12, 8)));
        assert!(resnet.translates() && unet.translates());
        assert_eq!((resnet.nz, unet.nz), (0, 0));
        let dcgan = NetworkGenerator::summary_of(&GeneratorConfig::dcgan(100, 64), 3_576_704);
        assert_eq!(dcgan.family, "DCGAN");
        assert_eq!(dcgan.description(), "DCGAN dcgan nz 100 ngf 64, 3 output channels (3.58 M parameters)");
        assert!(!dcgan.translates());
        assert_eq!(dcgan.nz, 100);
        assert!(dcgan.has_test_modes());
        assert!(!dcgan.attention && !resnet.attention);
    }

    #[test]
    fn bytes_per_generated_image() {
        assert_eq!(sample_bytes(&GeneratorConfig::dcgan(100, 64)), 4 * 64 * 1024);
        // A small generator is bounded by its output, 3 x 64 x 64.
        assert_eq!(sample_bytes(&GeneratorConfig::dcgan(8, 4)), 4 * 3 * 4096);
        assert_eq!(sample_bytes(&GeneratorConfig::resnet(9, 64)), 0);
    }

    #[test]
    fn modes() {
        let unet = NetworkGenerator::summary_of(&GeneratorConfig::unet(8, 64), 1);
        assert_eq!(unet.mode_description(false, 7), "test.py default: batch statistics, dropout seed 7");
        assert_eq!(unet.mode_description(true, 7), "eval: running statistics, no dropout");
        let no_dropout =
            NetworkGenerator::summary_of(&GeneratorConfig { dropout: false, ..GeneratorConfig::unet(8, 64) }, 1);
        assert_eq!(no_dropout.mode_description(false, 7), "test.py default: batch statistics");
        let resnet = GeneratorConfig::resnet(9, 64);
        assert_eq!(NetworkGenerator::summary_of(&resnet, 1).mode_description(false, 0), "");
        let resnet_dropout = GeneratorConfig { dropout: true, ..resnet };
        assert_eq!(NetworkGenerator::summary_of(&resnet_dropout, 1).mode_description(true, 0), "eval: no dropout");
    }
}
