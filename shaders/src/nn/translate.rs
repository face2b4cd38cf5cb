//! Whole-image translation with a generator: any width and height in, the
//! same size out, shared by the trainer and the browser.
//!
//! A generator halves the size several times (a ResNet twice, a U-Net
//! num_downs times), so the image is reflect-padded on the right and bottom
//! to the multiple it needs (and to at least its smallest input, repeating
//! the reflection for a tiny image), translated, and cropped back. Alpha is not
//! translated: the output keeps the input's alpha bytes.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::Mode;
use crate::nn::nets::arch::{GeneratorArch, GeneratorConfig};
use crate::nn::nets::network::{Architecture, Network};
use crate::ops::{channel_affine, image_to_tensor, tensor_to_image};

/// Mirror index into an axis of length `n` for any offset (repeating the
/// reflection when the pad exceeds the axis; a 1-pixel axis repeats itself).
pub fn mirror(i: usize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let m = i % period;
    if m < n {
        m
    } else {
        period - m
    }
}

/// Reflect-pads an RGBA8 image on the right and bottom to `pw` x `ph`.
pub fn pad_rgba(rgba: &[u8], w: usize, h: usize, pw: usize, ph: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(pw * ph * 4);
    for y in 0..ph {
        let row = &rgba[mirror(y, h) * w * 4..][..w * 4];
        for x in 0..pw {
            out.extend_from_slice(&row[mirror(x, w) * 4..][..4]);
        }
    }
    out
}

/// The generator's architecture, or an error naming what the network is.
pub fn generator_config(net: &Network) -> Result<GeneratorConfig> {
    match net.arch() {
        Architecture::Generator(g) if !g.translates() => Err(Error::Network(format!(
            "these are the weights of a {} generator, which makes images from random latents rather than \
             translating them; generate images with it (`trainer generate`, or the page's Generate mode)",
            g.describe()
        ))),
        Architecture::Generator(g) => Ok(g),
        Architecture::Discriminator(d) => Err(Error::Network(format!(
            "these are the weights of a discriminator ({}), not of a generator; translate with G_A, G_B or G",
            d.describe()
        ))),
    }
}

/// Largest number of pixels (of the padded image) the device can translate
/// with this generator: its widest activation must fit one storage binding
/// (a ResNet's [1, ngf, H, W]; a U-Net's [1, 2 ngf, H/2, W/2]).
pub fn max_pixels(gpu: &Gpu, g: &GeneratorConfig) -> usize {
    let per_pixel = match g.arch {
        GeneratorArch::Resnet { .. } => g.ngf as f64,
        GeneratorArch::Unet { .. } => g.ngf as f64 / 2.0,
        // Latents in, fixed 64x64 out: no image size to bound.
        GeneratorArch::Dcgan => 8.0 * g.ngf as f64,
        GeneratorArch::DiscoGan => g.ngf as f64 / 4.0,
    };
    let widest = per_pixel.max(g.input_nc as f64).max(g.output_nc as f64).max(1.0);
    (gpu.max_binding_bytes() as f64 / (4.0 * widest)) as usize
}

/// Translates one RGBA8 image of `width` x `height` with a generator in
/// `mode` (`rng` draws dropout seeds where dropout is on); returns RGBA8 of
/// the same size with the input's alpha.
pub async fn translate_rgba(
    gpu: &Gpu,
    net: &Network,
    mode: Mode,
    rng: Option<&mut SplitMix64>,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<Vec<u8>> {
    const OP: &str = "translate";
    if width == 0 || height == 0 || rgba.len() != width * height * 4 {
        return Err(Error::shape(
            OP,
            format!("{width}x{height} RGBA8 needs {} bytes, got {}", width * height * 4, rgba.len()),
        ));
    }
    let g = generator_config(net)?;
    let (m, min) = (g.size_multiple(), g.min_size());
    let (pw, ph) = ((width.div_ceil(m) * m).max(min), (height.div_ceil(m) * m).max(min));
    let limit = max_pixels(gpu, &g);
    if pw * ph > limit {
        let side = ((limit as f64).sqrt() as usize) / m * m;
        return Err(Error::shape(
            OP,
            format!(
                "a {width}x{height} image (padded to {pw}x{ph}, a multiple of {m} for {}) is too large for this device with ngf {}: at most {limit} pixels fit (about {side}x{side}); scale the image down",
                g.net_name(),
                g.ngf
            ),
        ));
    }
    let padded = if (pw, ph) == (width, height) { None } else { Some(pad_rgba(rgba, width, height, pw, ph)) };
    let mut x = image_to_tensor(gpu, padded.as_deref().unwrap_or(rgba), 1, pw, ph)?;
    if g.bgr01() {
        // DiscoGAN's networks see [0, 1] BGR, as OpenCV reads images.
        x = channel_affine(gpu, &x, 0.5, 0.5, true)?;
    }
    let mut y = net.forward(gpu, &x, mode, rng)?;
    if g.bgr01() {
        y = channel_affine(gpu, &y, 2.0, -1.0, true)?;
    }
    let out = tensor_to_image(gpu, &y).await?;
    Ok(crop_keep_alpha(&out, pw, rgba, width, height))
}

/// The top-left `width` x `height` of a translated RGBA8 image `pw` pixels
/// wide, with the alpha bytes of the input `rgba`.
pub fn crop_keep_alpha(out: &[u8], pw: usize, rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut result = Vec::with_capacity(width * height * 4);
    for row in 0..height {
        let src = &out[row * pw * 4..][..width * 4];
        let alpha = &rgba[row * width * 4..][..width * 4];
        for (px, a) in src.chunks_exact(4).zip(alpha.chunks_exact(4)) {
            result.extend_from_slice(&[px[0], px[1], px[2], a[3]]);
        }
    }
    result
}
