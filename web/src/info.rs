//! What the page shows about a loaded generator and about the test-time
//! mode a translation or a batch of generated images ran in.

use shaders::nn::nets::arch::{GeneratorArch, GeneratorConfig, Norm};
use shaders::nn::nets::ugatit::GeneratorShape;
use wasm_bindgen::prelude::*;

/// The architecture of a loaded generator.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A network of the reference's family: CycleGAN, pix2pix, DCGAN, DiscoGAN.
    Reference(GeneratorConfig),
    /// A U-GAT-IT generator (image, CAM logits and attention heatmap).
    Ugatit(GeneratorShape),
}

/// A loaded generator: its architecture, detected from the weight file.
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct GeneratorInfo {
    kind: Kind,
    parameters: usize,
}

impl GeneratorInfo {
    /// The info of a generator with `parameters` learned values.
    pub fn new(config: GeneratorConfig, parameters: usize) -> Self {
        GeneratorInfo { kind: Kind::Reference(config), parameters }
    }

    /// The info of a U-GAT-IT generator with `parameters` learned values.
    pub fn ugatit(shape: GeneratorShape, parameters: usize) -> Self {
        GeneratorInfo { kind: Kind::Ugatit(shape), parameters }
    }

    /// The architecture.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The architecture of a reference-family generator; `None` for U-GAT-IT.
    pub fn config(&self) -> Option<&GeneratorConfig> {
        match &self.kind {
            Kind::Reference(c) => Some(c),
            Kind::Ugatit(_) => None,
        }
    }
}

#[wasm_bindgen]
impl GeneratorInfo {
    /// The model family: `CycleGAN ResNet`, `pix2pix U-Net` or `DCGAN`.
    #[wasm_bindgen(getter)]
    pub fn family(&self) -> String {
        let Kind::Reference(config) = &self.kind else { return "U-GAT-IT".into() };
        match config.arch {
            GeneratorArch::Resnet { .. } => "CycleGAN ResNet",
            GeneratorArch::Unet { .. } => "pix2pix U-Net",
            GeneratorArch::Dcgan => "DCGAN",
            GeneratorArch::DiscoGan => "DiscoGAN",
        }
        .into()
    }

    /// One line naming the family and the architecture, e.g.
    /// `pix2pix U-Net unet_256 ngf 64, norm batch, dropout`.
    #[wasm_bindgen(getter)]
    pub fn architecture(&self) -> String {
        match &self.kind {
            Kind::Reference(config) => format!("{} {}", self.family(), config.describe()),
            Kind::Ugatit(shape) => shape.describe(),
        }
    }

    /// [`GeneratorInfo::architecture`] with the parameter count.
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        format!("{} ({:.2} M parameters)", self.architecture(), self.parameters as f64 / 1e6)
    }

    /// The reference's `--netG` name: `resnet_9blocks`, `unet_256`, ...
    #[wasm_bindgen(getter)]
    pub fn net_name(&self) -> String {
        match &self.kind {
            Kind::Reference(config) => config.net_name(),
            Kind::Ugatit(shape) => if shape.light { "ugatit_light" } else { "ugatit" }.into(),
        }
    }

    /// Filters of the first layer (U-GAT-IT's ch).
    #[wasm_bindgen(getter)]
    pub fn ngf(&self) -> u32 {
        match &self.kind {
            Kind::Reference(config) => config.ngf as u32,
            Kind::Ugatit(shape) => shape.ch as u32,
        }
    }

    /// The normalization: `batch`, `instance`, `instance_affine` or `none`;
    /// `iln` for U-GAT-IT (instance-layer norms, adaptive in the decoder).
    #[wasm_bindgen(getter)]
    pub fn norm(&self) -> String {
        match &self.kind {
            Kind::Reference(config) => config.norm.name().into(),
            Kind::Ugatit(_) => "iln".into(),
        }
    }

    /// Whether the network has Dropout layers.
    #[wasm_bindgen(getter)]
    pub fn dropout(&self) -> bool {
        self.config().is_some_and(|c| c.dropout)
    }

    /// Whether the test-time mode changes the output: the network has
    /// BatchNorm (batch or running statistics) or dropout.
    #[wasm_bindgen(getter)]
    pub fn has_test_modes(&self) -> bool {
        self.config().is_some_and(|c| c.norm == Norm::Batch || c.dropout)
    }

    /// Image sides are padded to a multiple of this (4 for a ResNet and a
    /// light U-GAT-IT, 2^num_downs for a U-Net, the image size for a full U-GAT-IT).
    #[wasm_bindgen(getter)]
    pub fn size_multiple(&self) -> u32 {
        match &self.kind {
            Kind::Reference(config) => config.size_multiple().min(u32::MAX as usize) as u32,
            Kind::Ugatit(shape) => {
                if shape.light {
                    4
                } else {
                    shape.img_size as u32
                }
            }
        }
    }

    /// Whether the generator translates images (CycleGAN, pix2pix, U-GAT-IT)
    /// rather than generating them from latents (DCGAN).
    #[wasm_bindgen(getter)]
    pub fn translates(&self) -> bool {
        self.config().is_none_or(|c| c.translates())
    }

    /// Values per latent of a generator that generates (DCGAN's nz); 0 for a translator.
    #[wasm_bindgen(getter)]
    pub fn nz(&self) -> u32 {
        match self.config() {
            Some(c) if !c.translates() => c.input_nc as u32,
            _ => 0,
        }
    }

    /// Whether a translation also gives an attention map (U-GAT-IT's CAM heatmap).
    #[wasm_bindgen(getter)]
    pub fn attention(&self) -> bool {
        matches!(self.kind, Kind::Ugatit(_))
    }

    /// The only image side the generator takes (the full U-GAT-IT's
    /// img_size: its MLP reads the whole bottleneck); 0 for any size.
    #[wasm_bindgen(getter)]
    pub fn fixed_size(&self) -> u32 {
        match &self.kind {
            Kind::Ugatit(shape) if !shape.light => shape.img_size as u32,
            _ => 0,
        }
    }

    /// Learned parameters (weights and biases, not running statistics).
    #[wasm_bindgen(getter)]
    pub fn parameters(&self) -> f64 {
        self.parameters as f64
    }
}

/// What a translation in `eval` mode (else the reference's test.py default
/// with this dropout seed) does with this generator's mode-dependent
/// layers, e.g. `test.py default: batch statistics, dropout seed 0`; empty
/// when it has none.
pub fn mode_description(config: &GeneratorConfig, eval: bool, seed: u32) -> String {
    let batch = config.norm == Norm::Batch;
    let mut parts = Vec::new();
    if eval {
        if batch {
            parts.push("running statistics".to_string());
        }
        if config.dropout {
            parts.push("no dropout".into());
        }
    } else {
        if batch {
            parts.push("batch statistics".to_string());
        }
        if config.dropout {
            parts.push(format!("dropout seed {seed}"));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("{}: {}", if eval { "eval" } else { "test.py default" }, parts.join(", "))
}

/// What BatchNorm did in a batch of `count` generated images.
pub fn sample_mode(eval: bool, count: usize) -> String {
    match (eval, count) {
        (true, _) => "eval: running statistics".into(),
        (false, 1) => "batch statistics of the one image".into(),
        (false, n) => format!("batch statistics of the {n} images"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_lines() {
        let unet = GeneratorInfo::new(GeneratorConfig::unet(8, 64), 54_414_000);
        assert_eq!(unet.architecture(), "pix2pix U-Net unet_256 ngf 64, norm batch, dropout");
        assert_eq!(unet.description(), "pix2pix U-Net unet_256 ngf 64, norm batch, dropout (54.41 M parameters)");
        assert!(unet.has_test_modes());
        assert_eq!(unet.size_multiple(), 256);
        let resnet = GeneratorInfo::new(GeneratorConfig::resnet(9, 64), 11_378_179);
        assert_eq!(resnet.architecture(), "CycleGAN ResNet resnet_9blocks ngf 64, norm instance");
        assert!(!resnet.has_test_modes());
        assert_eq!(resnet.size_multiple(), 4);
        assert!(resnet.translates() && unet.translates());
        assert_eq!((resnet.nz(), unet.nz()), (0, 0));
        let dcgan = GeneratorInfo::new(GeneratorConfig::dcgan(100, 64), 3_576_704);
        assert_eq!(dcgan.family(), "DCGAN");
        assert_eq!(dcgan.description(), "DCGAN dcgan nz 100 ngf 64, 3 output channels (3.58 M parameters)");
        assert!(!dcgan.translates());
        assert_eq!(dcgan.nz(), 100);
        assert!(dcgan.has_test_modes());
        assert!(!dcgan.attention() && !resnet.attention());
    }

    #[test]
    fn ugatit_lines() {
        let light = GeneratorInfo::ugatit(GeneratorShape { ch: 2, n_res: 4, light: true, img_size: 256 }, 9_000);
        assert_eq!(light.family(), "U-GAT-IT");
        assert_eq!(light.architecture(), "U-GAT-IT light generator (ch 2, 4 residual blocks)");
        assert_eq!(light.description(), "U-GAT-IT light generator (ch 2, 4 residual blocks) (0.01 M parameters)");
        assert!(light.translates() && light.attention() && !light.has_test_modes() && !light.dropout());
        assert_eq!((light.nz(), light.size_multiple(), light.fixed_size()), (0, 4, 0));
        assert_eq!(light.net_name(), "ugatit_light");
        let full = GeneratorInfo::ugatit(GeneratorShape { ch: 64, n_res: 4, light: false, img_size: 256 }, 1);
        assert_eq!((full.size_multiple(), full.fixed_size()), (256, 256));
        assert_eq!(full.architecture(), "U-GAT-IT generator (ch 64, 4 residual blocks, 256x256 images)");
    }

    #[test]
    fn sample_modes() {
        assert_eq!(sample_mode(true, 64), "eval: running statistics");
        assert_eq!(sample_mode(false, 64), "batch statistics of the 64 images");
        assert_eq!(sample_mode(false, 1), "batch statistics of the one image");
    }

    #[test]
    fn modes() {
        let unet = GeneratorConfig::unet(8, 64);
        assert_eq!(mode_description(&unet, false, 7), "test.py default: batch statistics, dropout seed 7");
        assert_eq!(mode_description(&unet, true, 7), "eval: running statistics, no dropout");
        let no_dropout = GeneratorConfig { dropout: false, ..unet };
        assert_eq!(mode_description(&no_dropout, false, 7), "test.py default: batch statistics");
        let resnet = GeneratorConfig::resnet(9, 64);
        assert_eq!(mode_description(&resnet, false, 0), "");
        let resnet_dropout = GeneratorConfig { dropout: true, ..resnet };
        assert_eq!(mode_description(&resnet_dropout, true, 0), "eval: no dropout");
    }
}
