//! What the page shows about a loaded generator and about the test-time
//! mode a translation or a batch of generated images ran in.

use shaders::nn::arch::{GeneratorArch, GeneratorConfig, Norm};
use wasm_bindgen::prelude::*;

/// A loaded generator: its architecture, detected from the weight file.
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct GeneratorInfo {
    config: GeneratorConfig,
    parameters: usize,
}

impl GeneratorInfo {
    /// The info of a generator with `parameters` learned values.
    pub fn new(config: GeneratorConfig, parameters: usize) -> Self {
        GeneratorInfo { config, parameters }
    }

    /// The architecture.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }
}

#[wasm_bindgen]
impl GeneratorInfo {
    /// The model family: `CycleGAN ResNet`, `pix2pix U-Net` or `DCGAN`.
    #[wasm_bindgen(getter)]
    pub fn family(&self) -> String {
        match self.config.arch {
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
        format!("{} {}", self.family(), self.config.describe())
    }

    /// [`GeneratorInfo::architecture`] with the parameter count.
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        format!("{} ({:.2} M parameters)", self.architecture(), self.parameters as f64 / 1e6)
    }

    /// The reference's `--netG` name: `resnet_9blocks`, `unet_256`, ...
    #[wasm_bindgen(getter)]
    pub fn net_name(&self) -> String {
        self.config.net_name()
    }

    /// Filters of the first layer.
    #[wasm_bindgen(getter)]
    pub fn ngf(&self) -> u32 {
        self.config.ngf as u32
    }

    /// The normalization: `batch`, `instance`, `instance_affine` or `none`.
    #[wasm_bindgen(getter)]
    pub fn norm(&self) -> String {
        self.config.norm.name().into()
    }

    /// Whether the network has Dropout layers.
    #[wasm_bindgen(getter)]
    pub fn dropout(&self) -> bool {
        self.config.dropout
    }

    /// Whether the test-time mode changes the output: the network has
    /// BatchNorm (batch or running statistics) or dropout.
    #[wasm_bindgen(getter)]
    pub fn has_test_modes(&self) -> bool {
        self.config.norm == Norm::Batch || self.config.dropout
    }

    /// Image sides are padded to a multiple of this (4 for a ResNet, 2^num_downs for a U-Net).
    #[wasm_bindgen(getter)]
    pub fn size_multiple(&self) -> u32 {
        self.config.size_multiple().min(u32::MAX as usize) as u32
    }

    /// Whether the generator translates images (CycleGAN, pix2pix) rather
    /// than generating them from latents (DCGAN).
    #[wasm_bindgen(getter)]
    pub fn translates(&self) -> bool {
        self.config.translates()
    }

    /// Values per latent of a generator that generates (DCGAN's nz); 0 for a translator.
    #[wasm_bindgen(getter)]
    pub fn nz(&self) -> u32 {
        if self.config.translates() {
            0
        } else {
            self.config.input_nc as u32
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
