//! The options of pytorch-CycleGAN-and-pix2pix's networks (`networks.py`:
//! `--netG`, `--netD`, `--norm`, `--gan_mode`, ...), which CycleGAN and
//! pix2pix share, and the networks they build.

use serde::{Deserialize, Serialize};

use super::options::{Group, SizeCheck, TrainOptions};
use crate::nn::nets::arch::{
    DiscriminatorArch, DiscriminatorConfig, GanMode, GeneratorArch, GeneratorConfig, Norm, Upsampling,
};
use crate::train::transform::Preprocess;

/// Generator architecture (the reference's `--netG`): `resnet_<n>blocks` or
/// `unet_<size>` (size a power of two: 2^downsamplings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NetG(pub GeneratorArch);

impl std::str::FromStr for NetG {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
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

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<NetG> for String {
    fn from(n: NetG) -> String {
        n.to_string()
    }
}

/// Discriminator architecture (the reference's `--netD`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum NetD {
    /// The 70x70 PatchGAN (n_layers with 3 layers).
    #[default]
    Basic,
    /// A PatchGAN with --n-layers-d strided layers.
    #[cfg_attr(feature = "cli", value(name = "n_layers"))]
    NLayers,
    /// The 1x1 PixelGAN.
    Pixel,
}

/// Normalization (the reference's `--norm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum NormArg {
    /// BatchNorm2d (pix2pix's default).
    Batch,
    /// InstanceNorm2d without affine parameters (CycleGAN's default).
    Instance,
    /// InstanceNorm2d with a weight and bias per channel (as other CycleGAN code bases build it).
    #[cfg_attr(feature = "cli", value(name = "instance_affine"))]
    InstanceAffine,
    /// No normalization.
    None,
}

impl NormArg {
    /// The networks' norm.
    pub fn norm(self) -> Norm {
        match self {
            NormArg::Batch => Norm::Batch,
            NormArg::Instance => Norm::Instance,
            NormArg::InstanceAffine => Norm::InstanceAffine,
            NormArg::None => Norm::None,
        }
    }
}

/// How a ResNet generator upsamples (not an option of the reference, which has transposed3 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum UpsamplingArg {
    /// ConvTranspose2d(3, stride 2, padding 1, output_padding 1), the reference's.
    Transposed3,
    /// ConvTranspose2d(4, stride 2, padding 1): the form `Upsample(x2) + Conv2d(3)` decoders of other code
    /// bases load as (it has 16 free taps where those have 9, so training departs from that form).
    Transposed4,
}

/// GAN objective (the reference's `--gan_mode`; wgangp is not supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum GanModeArg {
    /// Least squares (CycleGAN's default).
    Lsgan,
    /// BCE with logits (pix2pix's default).
    Vanilla,
}

/// The networks' options of pytorch-CycleGAN-and-pix2pix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct NetOptions {
    /// Generator: resnet_9blocks, resnet_6blocks, unet_256, unet_128 (any resnet_<n>blocks, unet_<2^k>)
    /// [cycle_gan: resnet_9blocks; pix2pix: unet_256; demos: resnet_6blocks, unet_64].
    #[cfg_attr(feature = "cli", arg(long, value_name = "NET"))]
    pub net_g: Option<NetG>,
    /// Discriminator: basic (the 70x70 PatchGAN: n_layers with --n-layers-d 3), n_layers, pixel (1x1).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "basic"))]
    pub net_d: NetD,
    /// Normalization of every network [cycle_gan: instance; pix2pix: batch].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub norm: Option<NormArg>,
    /// Upsampling layers of a ResNet generator [transposed3, the reference's].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub upsampling: Option<UpsamplingArg>,
    /// GAN objective [cycle_gan: lsgan; pix2pix: vanilla].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub gan_mode: Option<GanModeArg>,
    /// No dropout in the generator (pix2pix's U-Net has Dropout(0.5) in its inner blocks; CycleGAN never has).
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_dropout: bool,
    /// Strided conv layers of the PatchGAN discriminators with --net-d n_layers (basic is 3: 70x70 patches).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3))]
    pub n_layers_d: usize,
    /// Generated images each discriminator keeps in its history buffer, 0 disables it [cycle_gan: 50; pix2pix: 0].
    #[cfg_attr(feature = "cli", arg(long))]
    pub pool_size: Option<usize>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            net_g: None,
            net_d: NetD::Basic,
            norm: None,
            upsampling: None,
            gan_mode: None,
            no_dropout: false,
            n_layers_d: 3,
            pool_size: None,
        }
    }
}

impl Group for NetOptions {
    const HEADING: &'static str = "CycleGAN and pix2pix networks";
}

impl NetOptions {
    /// Fills the options whose default depends on the model (pix2pix's or CycleGAN's).
    pub fn resolve(&mut self, pix2pix: bool) {
        self.net_g.get_or_insert(if pix2pix {
            NetG(GeneratorArch::Unet { num_downs: 8 })
        } else {
            NetG(GeneratorArch::Resnet { n_blocks: 9, upsampling: Upsampling::Transposed3 })
        });
        self.norm.get_or_insert(if pix2pix { NormArg::Batch } else { NormArg::Instance });
        self.gan_mode.get_or_insert(if pix2pix { GanModeArg::Vanilla } else { GanModeArg::Lsgan });
        self.pool_size.get_or_insert(if pix2pix { 0 } else { 50 });
    }

    /// Checks the options among themselves.
    pub fn validate(&self) -> Result<(), String> {
        if self.n_layers_d == 0 {
            return Err("--n-layers-d must be at least 1".into());
        }
        if let (Some(_), Some(net_g @ NetG(GeneratorArch::Unet { .. }))) = (self.upsampling, self.net_g) {
            return Err(format!(
                "--upsampling applies to ResNet generators (--net-g resnet_<n>blocks), not to --net-g {net_g}"
            ));
        }
        Ok(())
    }

    /// The norm of every network.
    pub fn norm(&self) -> Norm {
        self.norm.map(NormArg::norm).unwrap_or(Norm::Instance)
    }

    /// The GAN objective.
    pub fn gan_mode(&self) -> GanMode {
        match self.gan_mode {
            Some(GanModeArg::Vanilla) => GanMode::Vanilla,
            _ => GanMode::Lsgan,
        }
    }

    /// The generator (`dropout`: the U-Net's inner blocks keep Dropout(0.5)).
    pub fn generator(&self, ngf: usize, dropout: bool) -> GeneratorConfig {
        let arch = match self
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
        };
        GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf,
            arch,
            norm: self.norm(),
            dropout: dropout && !self.no_dropout,
        }
    }

    /// Strided layers of the PatchGAN (None for the pixel discriminator).
    pub fn d_layers(&self) -> Option<usize> {
        match self.net_d {
            // --n-layers-d applies to basic too (its default, 3, is basic's depth).
            NetD::Basic | NetD::NLayers => Some(self.n_layers_d),
            NetD::Pixel => None,
        }
    }

    /// The discriminator on `input_nc` channels.
    pub fn discriminator(&self, input_nc: usize, ndf: usize) -> DiscriminatorConfig {
        let arch = match self.d_layers() {
            Some(n_layers) => DiscriminatorArch::NLayer { n_layers },
            None => DiscriminatorArch::Pixel,
        };
        DiscriminatorConfig { input_nc, ndf, arch, norm: self.norm() }
    }

    /// The image sides the generator and the PatchGAN take.
    pub fn size_check(&self, ngf: usize) -> SizeCheck {
        SizeCheck::generator(&self.generator(ngf, false), self.d_layers())
    }
}

/// The networks as a checkpoint's manifest records them, e.g.
/// "resnet_9blocks ngf 64, n_layers_d 3 ndf 64" (CycleGAN, with its norm
/// named where it is not instance) or "pix2pix unet_256 ngf 64, n_layers_d 3
/// ndf 64, norm batch".
pub fn architecture(kind: &str, g: &GeneratorConfig, d: &DiscriminatorConfig) -> String {
    let ds = match d.arch {
        DiscriminatorArch::NLayer { n_layers } => format!("n_layers_d {n_layers}"),
        DiscriminatorArch::Pixel => "pixel".into(),
        DiscriminatorArch::Dcgan => "dcgan".into(),
        DiscriminatorArch::DiscoGan => "discogan".into(),
    };
    let up = match g.arch {
        GeneratorArch::Resnet { upsampling: Upsampling::Transposed4, .. } => " upsampling transposed4",
        _ => "",
    };
    let base = format!("{}{up} ngf {}, {ds} ndf {}", g.net_name(), g.ngf, d.ndf);
    match (kind, g.norm) {
        ("cycle_gan", Norm::Instance) => base,
        ("cycle_gan", n) => format!("{base}, norm {}", n.name()),
        (kind, n) => format!("{kind} {base}, norm {}", n.name()),
    }
}

/// Sets the options shared by the two models' demos.
pub fn demo_defaults(o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool, net_g: NetG) {
    o.update::<NetOptions>(|n| {
        if unset("net_g") {
            n.net_g = Some(net_g);
        }
    });
    super::default_unset!(
        o,
        unset,
        ngf = 16,
        ndf = 16,
        load_size = 72,
        crop_size = 64,
        print_freq = 10,
        save_epoch_freq = 2,
        save_latest_freq = 200
    );
}

/// Fixes the preprocessing of a model of whole `image_size` images
/// (DCGAN, DiscoGAN): scaled by `preprocess` to that size, never flipped,
/// its networks batch-normalized.
pub fn whole_images(o: &mut TrainOptions, preprocess: Preprocess) {
    o.preprocess = preprocess;
    o.load_size = o.image_size;
    o.crop_size = o.image_size;
    o.no_flip = true;
    o.update::<NetOptions>(|n| n.norm = Some(NormArg::Batch));
}

#[cfg(test)]
mod tests {
    use super::*;

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
