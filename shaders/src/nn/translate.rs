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
fn crop_keep_alpha(out: &[u8], pw: usize, rgba: &[u8], width: usize, height: usize) -> Vec<u8> {
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

/// Largest number of pixels (of the padded image) a U-GAT-IT generator's
/// widest activation per pixel, [1, ch, H, W], lets one storage binding hold
/// (the CAM's [1, 8 ch, H/4, W/4] is half that).
pub fn ugatit_fit_pixels(gpu: &Gpu, g: &crate::nn::nets::ugatit::GeneratorShape) -> usize {
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
    net: &crate::nn::nets::ugatit::Generator,
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
