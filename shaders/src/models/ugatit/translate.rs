//! A U-GAT-IT generator loaded for translation: the translated image and the
//! attention map its CAM heatmap draws, as the reference's test code writes
//! them.

use super::nets::{Generator, GeneratorShape};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::generator::{Generator as GeneratorApi, Rgba, Summary, Translation};
use crate::nn::layers::Mode;
use crate::nn::model::BoxFuture;
use crate::nn::translate::{crop_keep_alpha, pad_rgba};
use crate::ops::{image_to_tensor, tensor_to_image};
use crate::tensor::Tensor;

/// A U-GAT-IT generator loaded for translation: the image and the attention
/// map its CAM heatmap draws.
pub struct Translator {
    net: Generator,
    summary: Summary,
}

impl Translator {
    /// Wraps a built generator.
    pub fn new(net: Generator) -> Self {
        let summary = Self::summary_of(&net.shape(), net.params().numel());
        Translator { net, summary }
    }

    /// The summary of a generator of shape `g` with `parameters` learned values.
    pub fn summary_of(g: &GeneratorShape, parameters: usize) -> Summary {
        let own = |light: usize| if g.light { light } else { g.img_size };
        Summary {
            family: "U-GAT-IT",
            architecture: g.describe(),
            net_name: if g.light { "ugatit_light" } else { "ugatit" }.into(),
            width: g.ch,
            norm: "iln",
            batch_norm: false,
            dropout: false,
            size_multiple: own(4),
            min_size: own(8),
            fixed_size: own(0),
            nz: 0,
            attention: true,
            parameters,
        }
    }
}

impl GeneratorApi for Translator {
    fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The light model: what one binding holds; the full one takes only its size.
    fn max_pixels(&self, gpu: &Gpu) -> usize {
        let g = self.net.shape();
        let fit = ugatit_fit_pixels(gpu, &g);
        if g.light {
            fit
        } else {
            fit.min(g.img_size * g.img_size)
        }
    }

    /// The generator has no mode-dependent layers: `mode` and `seed` change nothing.
    fn translate<'a>(
        &'a self,
        gpu: &'a Gpu,
        image: Rgba<'a>,
        _mode: Mode,
        _seed: u64,
    ) -> BoxFuture<'a, Result<Translation>> {
        Box::pin(async move {
            let Rgba { pixels, width, height } = image;
            let (pixels, attention) = translate_ugatit_rgba(gpu, &self.net, pixels, width, height).await?;
            Ok(Translation { pixels, attention: Some(attention) })
        })
    }

    fn generate(&self, _gpu: &Gpu, _z: &Tensor, _mode: Mode) -> Result<Tensor> {
        Err(Error::Network(format!(
            "these are the weights of a {}, which translates images rather than generating them from latents",
            self.summary.architecture
        )))
    }
}

/// Largest number of pixels (of the padded image) a U-GAT-IT generator's
/// widest activation per pixel, [1, ch, H, W], lets one storage binding hold
/// (the CAM's [1, 8 ch, H/4, W/4] is half that).
pub fn ugatit_fit_pixels(gpu: &Gpu, g: &GeneratorShape) -> usize {
    (gpu.max_binding_bytes() as f64 / (4.0 * (g.ch as f64).max(3.0))) as usize
}

/// Translates one RGBA8 image with a U-GAT-IT generator; returns the
/// translation (RGBA8, the input's alpha) and the generator's attention map
/// as the reference's test code draws it: the heatmap scaled to [0, 1] over
/// its own range, resized bilinearly to the image and coloured with the jet
/// colormap (RGBA8, opaque). The light model takes any size (padded by
/// reflection to a multiple of 4, at least 8); the full model only its own.
pub async fn translate_ugatit_rgba(
    gpu: &Gpu,
    net: &Generator,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<(Vec<u8>, Vec<u8>)> {
    const OP: &str = "translate";
    if width == 0 || height == 0 || rgba.len() != width * height * 4 {
        return Err(Error::shape(
            OP,
            format!("{width}x{height} RGBA8 needs {} bytes, got {}", width * height * 4, rgba.len()),
        ));
    }
    let g = net.shape();
    let (pw, ph) = if g.light {
        ((width.div_ceil(4) * 4).max(8), (height.div_ceil(4) * 4).max(8))
    } else {
        if (width, height) != (g.img_size, g.img_size) {
            return Err(Error::shape(
                OP,
                format!(
                    "a {width}x{height} image: the full U-GAT-IT model translates only {0}x{0} images (its MLP takes \
                     the whole {0}x{0} bottleneck); scale the image to {0}x{0}",
                    g.img_size
                ),
            ));
        }
        (width, height)
    };
    let limit = ugatit_fit_pixels(gpu, &g);
    if pw * ph > limit {
        let side = ((limit as f64).sqrt() as usize) / 4 * 4;
        return Err(Error::shape(
            OP,
            format!(
                "a {width}x{height} image is too large for this device with ch {}: at most {limit} pixels fit (about \
                 {side}x{side}); scale the image down",
                g.ch
            ),
        ));
    }
    let padded = if (pw, ph) == (width, height) { None } else { Some(pad_rgba(rgba, width, height, pw, ph)) };
    let x = image_to_tensor(gpu, padded.as_deref().unwrap_or(rgba), 1, pw, ph)?;
    let out = net.forward(gpu, &x)?;
    let image = tensor_to_image(gpu, &out.image).await?;
    let heat = out.heatmap.read(gpu).await?;
    let result = crop_keep_alpha(&image, pw, rgba, width, height);
    let attention = attention_rgba(&heat, pw / 4, ph / 4, pw, ph, width, height);
    Ok((result, attention))
}

/// The reference's `cam()`: x - min, / max, to bytes, resized bilinearly
/// (half-pixel centres, as cv2.resize) from `mw` x `mh` to the padded
/// `pw` x `ph`, cropped to `width` x `height`, coloured with jet.
pub fn attention_rgba(map: &[f32], mw: usize, mh: usize, pw: usize, ph: usize, width: usize, height: usize) -> Vec<u8> {
    let lo = map.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = map.iter().map(|v| v - lo).fold(0.0f32, f32::max);
    let level: Vec<f64> =
        map.iter().map(|v| if hi > 0.0 { ((v - lo) / hi * 255.0).floor() as f64 } else { 0.0 }).collect();
    let sample = |x: f64, n: usize, m: usize| {
        let s = ((x + 0.5) * m as f64 / n as f64 - 0.5).clamp(0.0, (m - 1) as f64);
        let i = (s.floor() as usize).min(m - 1);
        (i, (i + 1).min(m - 1), s - i as f64)
    };
    let mut out = Vec::with_capacity(width * height * 4);
    for y in 0..height {
        let (y0, y1, fy) = sample(y as f64, ph, mh);
        for x in 0..width {
            let (x0, x1, fx) = sample(x as f64, pw, mw);
            let at = |yy: usize, xx: usize| level[yy * mw + xx];
            let v = (at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx) * (1.0 - fy)
                + (at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx) * fy;
            let t = v / 255.0;
            let c = |k: f64| ((1.5 - (4.0 * t - k).abs()).clamp(0.0, 1.0) * 255.0).round() as u8;
            out.extend_from_slice(&[c(3.0), c(2.0), c(1.0), 255]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_summaries() {
        let light = Translator::summary_of(&GeneratorShape { ch: 2, n_res: 4, light: true, img_size: 256 }, 9_000);
        assert_eq!(light.family, "U-GAT-IT");
        assert_eq!(light.architecture, "U-GAT-IT light generator (ch 2, 4 residual blocks)");
        assert_eq!(light.description(), "U-GAT-IT light generator (ch 2, 4 residual blocks) (0.01 M parameters)");
        assert!(light.translates() && light.attention && !light.has_test_modes() && !light.dropout);
        assert_eq!((light.nz, light.size_multiple, light.fixed_size, light.padded(5, 9)), (0, 4, 0, (8, 12)));
        assert_eq!(light.net_name, "ugatit_light");
        let full = Translator::summary_of(&GeneratorShape { ch: 64, n_res: 4, light: false, img_size: 256 }, 1);
        assert_eq!((full.size_multiple, full.fixed_size, full.padded(256, 256)), (256, 256, (256, 256)));
        assert_eq!(full.architecture, "U-GAT-IT generator (ch 64, 4 residual blocks, 256x256 images)");
    }
}
