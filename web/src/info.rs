//! What the page shows about a loaded generator and about the test-time
//! mode a translation or a batch of generated images ran in.

use shaders::nn::generator::Summary;
use wasm_bindgen::prelude::*;

/// A loaded generator: its architecture, detected from the weight file
/// ([`Summary`], which every generator gives).
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct GeneratorInfo(Summary);

impl GeneratorInfo {
    /// The info of a generator that `summary` describes.
    pub fn new(summary: Summary) -> Self {
        GeneratorInfo(summary)
    }

    /// The summary.
    pub fn summary(&self) -> &Summary {
        &self.0
    }
}

#[wasm_bindgen]
impl GeneratorInfo {
    /// The model family: `CycleGAN ResNet`, `pix2pix U-Net`, `DCGAN`, `DiscoGAN` or `U-GAT-IT`.
    #[wasm_bindgen(getter)]
    pub fn family(&self) -> String {
        self.0.family.into()
    }

    /// One line naming the family and the architecture, e.g.
    /// `pix2pix U-Net unet_256 ngf 64, norm batch, dropout`.
    #[wasm_bindgen(getter)]
    pub fn architecture(&self) -> String {
        self.0.architecture.clone()
    }

    /// [`GeneratorInfo::architecture`] with the parameter count.
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        self.0.description()
    }

    /// The reference's `--netG` name: `resnet_9blocks`, `unet_256`, `ugatit_light`, ...
    #[wasm_bindgen(getter)]
    pub fn net_name(&self) -> String {
        self.0.net_name.clone()
    }

    /// Filters of the first layer (U-GAT-IT's ch).
    #[wasm_bindgen(getter)]
    pub fn ngf(&self) -> u32 {
        self.0.width as u32
    }

    /// The normalization: `batch`, `instance`, `instance_affine` or `none`;
    /// `iln` for U-GAT-IT (instance-layer norms, adaptive in the decoder).
    #[wasm_bindgen(getter)]
    pub fn norm(&self) -> String {
        self.0.norm.into()
    }

    /// Whether the network has Dropout layers.
    #[wasm_bindgen(getter)]
    pub fn dropout(&self) -> bool {
        self.0.dropout
    }

    /// Whether the test-time mode changes the output: the network has
    /// BatchNorm (batch or running statistics) or dropout.
    #[wasm_bindgen(getter)]
    pub fn has_test_modes(&self) -> bool {
        self.0.has_test_modes()
    }

    /// Image sides are padded to a multiple of this (4 for a ResNet and a
    /// light U-GAT-IT, 2^num_downs for a U-Net, the image size for a full U-GAT-IT).
    #[wasm_bindgen(getter)]
    pub fn size_multiple(&self) -> u32 {
        self.0.size_multiple.min(u32::MAX as usize) as u32
    }

    /// Whether the generator translates images (CycleGAN, pix2pix, U-GAT-IT)
    /// rather than generating them from latents (DCGAN).
    #[wasm_bindgen(getter)]
    pub fn translates(&self) -> bool {
        self.0.translates()
    }

    /// Values per latent of a generator that generates (DCGAN's nz); 0 for a translator.
    #[wasm_bindgen(getter)]
    pub fn nz(&self) -> u32 {
        self.0.nz as u32
    }

    /// Whether a translation also gives an attention map (U-GAT-IT's CAM heatmap).
    #[wasm_bindgen(getter)]
    pub fn attention(&self) -> bool {
        self.0.attention
    }

    /// The only image side the generator takes (the full U-GAT-IT's
    /// img_size: its MLP reads the whole bottleneck); 0 for any size.
    #[wasm_bindgen(getter)]
    pub fn fixed_size(&self) -> u32 {
        self.0.fixed_size as u32
    }

    /// Learned parameters (weights and biases, not running statistics).
    #[wasm_bindgen(getter)]
    pub fn parameters(&self) -> f64 {
        self.0.parameters as f64
    }
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
    fn sample_modes() {
        assert_eq!(sample_mode(true, 64), "eval: running statistics");
        assert_eq!(sample_mode(false, 64), "batch statistics of the 64 images");
        assert_eq!(sample_mode(false, 1), "batch statistics of the one image");
    }
}
