//! Architectures of the reference's networks (`models/networks.py`): the
//! options that choose them and the values that describe one.

use std::collections::BTreeMap;

/// Normalization layer (the reference's `--norm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Norm {
    /// BatchNorm2d(affine, running statistics, momentum 0.1).
    Batch,
    /// InstanceNorm2d(affine=False).
    Instance,
    /// InstanceNorm2d(affine=True): a per-channel weight and bias after the
    /// normalization, as several other CycleGAN code bases build it.
    InstanceAffine,
    /// No normalization (an Identity in the reference's Sequential).
    None,
}

impl Norm {
    /// The reference's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Norm::Batch => "batch",
            Norm::Instance => "instance",
            Norm::InstanceAffine => "instance_affine",
            Norm::None => "none",
        }
    }

    /// Parses the reference's spelling.
    pub fn parse(s: &str) -> Option<Norm> {
        [Norm::Batch, Norm::Instance, Norm::InstanceAffine, Norm::None].into_iter().find(|n| n.name() == s)
    }

    /// Whether convolutions followed by this norm have a bias: the
    /// reference's `use_bias = norm_layer == nn.InstanceNorm2d`, which is
    /// false for `none` too (**quirk**: its Identity lambda is not InstanceNorm2d).
    /// Code bases with affine instance norm keep Conv2d's default bias.
    pub fn conv_bias(self) -> bool {
        matches!(self, Norm::Instance | Norm::InstanceAffine)
    }
}

/// How a ResNet generator doubles the size twice before its last conv.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Upsampling {
    /// The reference's ConvTranspose2d(kernel 3, stride 2, padding 1, output_padding 1).
    #[default]
    Transposed3,
    /// ConvTranspose2d(kernel 4, stride 2, padding 1). It is also exactly
    /// `Upsample(scale_factor=2, mode='nearest')` followed by Conv2d(kernel 3,
    /// padding 1), the decoder of several other code bases: each 4x4 tap is a
    /// sum of the 3x3 taps that read the same input pixel.
    Transposed4,
}

impl Upsampling {
    /// Kernel side of the transposed convolutions.
    pub fn kernel(self) -> usize {
        match self {
            Upsampling::Transposed3 => 3,
            Upsampling::Transposed4 => 4,
        }
    }

    /// Output padding of the transposed convolutions.
    pub fn output_padding(self) -> usize {
        match self {
            Upsampling::Transposed3 => 1,
            Upsampling::Transposed4 => 0,
        }
    }
}

/// Generator family and depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeneratorArch {
    /// ResnetGenerator with this many residual blocks (resnet_9blocks, resnet_6blocks).
    Resnet {
        /// Residual blocks.
        n_blocks: usize,
        /// The decoder's upsampling layers.
        upsampling: Upsampling,
    },
    /// UnetGenerator with this many downsamplings (unet_256: 8, unet_128: 7).
    Unet {
        /// Downsamplings; inputs must be multiples of 2^num_downs.
        num_downs: usize,
    },
    /// DCGAN's generator (pytorch/examples `dcgan/main.py`): transposed
    /// convolutions from a [N, nz, 1, 1] latent (`input_nc` = nz) to a
    /// 64x64 image, batch norm, no biases.
    Dcgan,
    /// DiscoGAN's encoder-decoder generator (SKTBrain/DiscoGAN `model.py`):
    /// four stride-2 convolutions down (LeakyReLU 0.2, batch norm after the
    /// first), four stride-2 transposed convolutions up (batch norm, ReLU),
    /// a sigmoid output; images in [0, 1], BGR as OpenCV reads them.
    DiscoGan,
}

/// Architecture of a generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeneratorConfig {
    /// Input channels (3 for RGB).
    pub input_nc: usize,
    /// Output channels.
    pub output_nc: usize,
    /// Filters of the first layer (64 in the reference).
    pub ngf: usize,
    /// Family and depth.
    pub arch: GeneratorArch,
    /// Normalization.
    pub norm: Norm,
    /// Dropout(0.5) layers (in every residual block; in the U-Net's inner 8ngf blocks).
    pub dropout: bool,
}

impl GeneratorArch {
    /// The architecture a reference `--netG` name gives: `resnet_<n>blocks`
    /// (transposed-3 upsampling) or `unet_<2^k>` with k >= 5.
    pub fn from_name(s: &str) -> Result<GeneratorArch, String> {
        let bad = || {
            format!(
                "`{s}` is not a generator: use resnet_9blocks, resnet_6blocks (any resnet_<n>blocks), unet_256 or \
                 unet_128 (any unet_<2^k> with k >= 5)"
            )
        };
        if let Some(n) = s.strip_prefix("resnet_").and_then(|r| r.strip_suffix("blocks")) {
            let n_blocks: usize = n.parse().map_err(|_| bad())?;
            if n_blocks == 0 {
                return Err(bad());
            }
            return Ok(GeneratorArch::Resnet { n_blocks, upsampling: Upsampling::Transposed3 });
        }
        if let Some(size) = s.strip_prefix("unet_") {
            let size: u64 = size.parse().map_err(|_| bad())?;
            if !size.is_power_of_two() || size < 32 {
                return Err(bad());
            }
            return Ok(GeneratorArch::Unet { num_downs: size.trailing_zeros() as usize });
        }
        Err(bad())
    }
}

impl GeneratorConfig {
    /// resnet_<n>blocks with the given ngf, RGB, instance norm, no dropout (CycleGAN's).
    pub fn resnet(n_blocks: usize, ngf: usize) -> Self {
        GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf,
            arch: GeneratorArch::Resnet { n_blocks, upsampling: Upsampling::Transposed3 },
            norm: Norm::Instance,
            dropout: false,
        }
    }

    /// unet with `num_downs` downsamplings and the given ngf, RGB, batch norm, dropout (pix2pix's).
    pub fn unet(num_downs: usize, ngf: usize) -> Self {
        GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf,
            arch: GeneratorArch::Unet { num_downs },
            norm: Norm::Batch,
            dropout: true,
        }
    }

    /// The reference's `--netG` name: resnet_9blocks, unet_256, ...
    pub fn net_name(&self) -> String {
        match self.arch {
            GeneratorArch::Resnet { n_blocks, .. } => format!("resnet_{n_blocks}blocks"),
            GeneratorArch::Unet { num_downs } => format!("unet_{}", 1u64 << num_downs.min(63)),
            GeneratorArch::Dcgan => "dcgan".into(),
            GeneratorArch::DiscoGan => "discogan".into(),
        }
    }

    /// DCGAN's generator for latents of `nz` values and `ngf` filters (batch norm, RGB).
    pub fn dcgan(nz: usize, ngf: usize) -> Self {
        GeneratorConfig {
            input_nc: nz,
            output_nc: 3,
            ngf,
            arch: GeneratorArch::Dcgan,
            norm: Norm::Batch,
            dropout: false,
        }
    }

    /// DiscoGAN's generator with `ngf` filters (RGB in the reference's BGR order, [0, 1]).
    pub fn discogan(ngf: usize) -> Self {
        GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf,
            arch: GeneratorArch::DiscoGan,
            norm: Norm::Batch,
            dropout: false,
        }
    }

    /// Whether the generator's images are [0, 1] BGR (DiscoGAN's, read by
    /// OpenCV) rather than the [-1, 1] RGB of the other models.
    pub fn bgr01(&self) -> bool {
        self.arch == GeneratorArch::DiscoGan
    }

    /// Whether the generator translates images (its input is an image of
    /// `input_nc` channels), rather than generating them from latents.
    pub fn translates(&self) -> bool {
        !matches!(self.arch, GeneratorArch::Dcgan)
    }

    /// Inputs must have sides that are multiples of this.
    pub fn size_multiple(&self) -> usize {
        match self.arch {
            GeneratorArch::Resnet { .. } => 4,
            GeneratorArch::Unet { num_downs } => 1usize << num_downs.min(usize::BITS as usize - 1),
            GeneratorArch::Dcgan => 1,
            GeneratorArch::DiscoGan => 16,
        }
    }

    /// The smallest input side the network takes (a multiple of
    /// [`GeneratorConfig::size_multiple`]): a ResNet's residual blocks
    /// reflect-pad by 1 at a quarter of the size, which needs 2 pixels there,
    /// so 8; a U-Net halves down to 1 pixel, so its multiple.
    pub fn min_size(&self) -> usize {
        match self.arch {
            GeneratorArch::Resnet { .. } => 8,
            GeneratorArch::Unet { .. } => self.size_multiple(),
            GeneratorArch::Dcgan => 1,
            GeneratorArch::DiscoGan => 16,
        }
    }

    /// One line for messages, e.g. `unet_256 ngf 64, norm batch, dropout`.
    pub fn describe(&self) -> String {
        if self.arch == GeneratorArch::Dcgan {
            return format!("dcgan nz {} ngf {}, {} output channels", self.input_nc, self.ngf, self.output_nc);
        }
        if self.arch == GeneratorArch::DiscoGan {
            return format!("discogan ngf {}, norm batch, images in [0, 1] BGR", self.ngf);
        }
        let up = match self.arch {
            GeneratorArch::Resnet { upsampling: Upsampling::Transposed4, .. } => {
                ", upsampling by 4x4 transposed convs (= nearest Upsample + 3x3 conv)"
            }
            _ => "",
        };
        format!(
            "{} ngf {}, norm {}{}{up}",
            self.net_name(),
            self.ngf,
            self.norm.name(),
            if self.dropout { ", dropout" } else { "" }
        )
    }

    /// Metadata written into saved weight files.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::from([
            ("net_g".into(), self.net_name()),
            ("input_nc".into(), self.input_nc.to_string()),
            ("output_nc".into(), self.output_nc.to_string()),
            ("ngf".into(), self.ngf.to_string()),
            ("norm".into(), self.norm.name().into()),
            ("dropout".into(), self.dropout.to_string()),
        ]);
        match self.arch {
            GeneratorArch::Resnet { n_blocks, upsampling } => {
                m.insert("arch".into(), "ResnetGenerator".into());
                m.insert("n_blocks".into(), n_blocks.to_string());
                if upsampling != Upsampling::Transposed3 {
                    m.insert("upsampling".into(), "transposed4".into());
                }
            }
            GeneratorArch::Unet { num_downs } => {
                m.insert("arch".into(), "UnetGenerator".into());
                m.insert("num_downs".into(), num_downs.to_string());
            }
            GeneratorArch::DiscoGan => {
                m.insert("arch".into(), "DiscoGanGenerator".into());
            }
            GeneratorArch::Dcgan => {
                m.insert("arch".into(), "DcganGenerator".into());
                m.insert("nz".into(), self.input_nc.to_string());
            }
        }
        m
    }
}

/// Discriminator family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscriminatorArch {
    /// NLayerDiscriminator (PatchGAN) with this many strided layers (`basic` = 3).
    NLayer {
        /// Strided conv layers.
        n_layers: usize,
    },
    /// PixelDiscriminator (1x1 PatchGAN).
    Pixel,
    /// DCGAN's discriminator: strided convolutions with batch norm from a
    /// 64x64 image to one sigmoid probability per image.
    Dcgan,
    /// DiscoGAN's discriminator: DCGAN's layout with attribute names
    /// (`conv1`, `bn2`, ...), also returning the features after its second,
    /// third and fourth layers.
    DiscoGan,
}

/// Architecture of a discriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiscriminatorConfig {
    /// Input channels (3; 6 for pix2pix's conditional discriminator).
    pub input_nc: usize,
    /// Filters of the first layer (64 in the reference).
    pub ndf: usize,
    /// Family.
    pub arch: DiscriminatorArch,
    /// Normalization.
    pub norm: Norm,
}

impl DiscriminatorConfig {
    /// The basic 70x70 PatchGAN with the given ndf on RGB with instance norm (CycleGAN's).
    pub fn basic(ndf: usize) -> Self {
        DiscriminatorConfig { input_nc: 3, ndf, arch: DiscriminatorArch::NLayer { n_layers: 3 }, norm: Norm::Instance }
    }

    /// DiscoGAN's discriminator with `ndf` filters (batch norm).
    pub fn discogan(ndf: usize) -> Self {
        DiscriminatorConfig { input_nc: 3, ndf, arch: DiscriminatorArch::DiscoGan, norm: Norm::Batch }
    }

    /// DCGAN's discriminator with `ndf` filters on RGB (batch norm).
    pub fn dcgan(ndf: usize) -> Self {
        DiscriminatorConfig { input_nc: 3, ndf, arch: DiscriminatorArch::Dcgan, norm: Norm::Batch }
    }

    /// The reference's `--netD` name with its depth, e.g. `n_layers 3`, `pixel`.
    pub fn net_name(&self) -> String {
        match self.arch {
            DiscriminatorArch::NLayer { n_layers } => format!("n_layers {n_layers}"),
            DiscriminatorArch::Pixel => "pixel".into(),
            DiscriminatorArch::Dcgan => "dcgan".into(),
            DiscriminatorArch::DiscoGan => "discogan".into(),
        }
    }

    /// One line for messages, e.g. `n_layers 3 ndf 64, norm batch`.
    pub fn describe(&self) -> String {
        format!("{} ndf {}, norm {}, {} input channels", self.net_name(), self.ndf, self.norm.name(), self.input_nc)
    }

    /// Metadata written into saved weight files.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::from([
            ("input_nc".into(), self.input_nc.to_string()),
            ("ndf".into(), self.ndf.to_string()),
            ("norm".into(), self.norm.name().into()),
        ]);
        match self.arch {
            DiscriminatorArch::NLayer { n_layers } => {
                m.insert("arch".into(), "NLayerDiscriminator".into());
                m.insert("n_layers".into(), n_layers.to_string());
            }
            DiscriminatorArch::Pixel => {
                m.insert("arch".into(), "PixelDiscriminator".into());
            }
            DiscriminatorArch::Dcgan => {
                m.insert("arch".into(), "DcganDiscriminator".into());
            }
            DiscriminatorArch::DiscoGan => {
                m.insert("arch".into(), "DiscoGanDiscriminator".into());
            }
        }
        m
    }
}

/// The GAN objective (the reference's `--gan_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GanMode {
    /// Least squares: MSE to 1 (real) or 0 (fake).
    Lsgan,
    /// BCEWithLogits to 1 or 0.
    Vanilla,
}

impl GanMode {
    /// The reference's spelling.
    pub fn name(self) -> &'static str {
        match self {
            GanMode::Lsgan => "lsgan",
            GanMode::Vanilla => "vanilla",
        }
    }
}
