//! Conversion between RGBA8 pixels and [N, 3, H, W] tensors in [-1, 1]
//! (`wgsl/image.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::IMAGE as "Params" {
        pixels: u32,
        hw: u32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

fn launch(gpu: &Gpu, op: &'static str, n: usize, hw: usize, rgba: &Tensor, x: &Tensor) -> Result<()> {
    let params = Params { pixels: u32_of(op, "N*H*W", n * hw)?, hw: u32_of(op, "H*W", hw)?, _pad0: 0, _pad1: 0 };
    let pipeline = gpu.pipeline(&wgsl::IMAGE, op, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, op, n * hw, WG)?;
    gpu.dispatch(op, pipeline, &params, &[(1, rgba), (2, x)], groups)
}

/// Uploads `n` RGBA8 images of `width` x `height` (row-major, 4 bytes per
/// pixel, images one after another) as an [n, 3, height, width] tensor with
/// v = byte / 255 * 2 - 1; alpha is dropped.
pub fn image_to_tensor(gpu: &Gpu, rgba: &[u8], n: usize, width: usize, height: usize) -> Result<Tensor> {
    const OP: &str = "image_to_tensor";
    let shape = [n, 3, height, width];
    Tensor::check_shape(gpu, OP, "output", &shape)?;
    let want = n * height * width * 4;
    if rgba.len() != want {
        return Err(Error::shape(
            OP,
            format!("{n} RGBA8 images of {width}x{height} take {want} bytes, but {} were given", rgba.len()),
        ));
    }
    // One u32 word per pixel.
    let words = Tensor::empty(gpu, &[n * height * width])?;
    words.write_bytes(gpu, rgba)?;
    let x = Tensor::empty(gpu, &shape)?;
    launch(gpu, "rgba8_to_nchw", n, height * width, &words, &x)?;
    Ok(x)
}

/// Converts an [N, 3, H, W] tensor in [-1, 1] to N RGBA8 images (alpha 255)
/// and reads them back: byte = floor(clamp((v + 1) / 2 * 255, 0, 255)), the
/// truncation of the reference's tensor2im, with 2^-10 of a byte of slack so
/// that bytes survive [`image_to_tensor`] and back unchanged.
pub async fn tensor_to_image(gpu: &Gpu, x: &Tensor) -> Result<Vec<u8>> {
    const OP: &str = "tensor_to_image";
    let [n, c, h, w] = x.nchw(OP, "input")?;
    if c != 3 {
        return Err(Error::shape(OP, format!("input {:?} must have 3 channels (RGB)", x.shape())));
    }
    let size = (n * h * w * 4) as u64;
    let words = Tensor::empty(gpu, &[n * h * w])?;
    launch(gpu, "nchw_to_rgba8", n, h * w, &words, x)?;
    gpu.read_bytes(words.buffer(), words.offset(), size).await
}

/// [`tensor_to_image`] for native callers that are not async.
#[cfg(not(target_arch = "wasm32"))]
pub fn tensor_to_image_blocking(gpu: &Gpu, x: &Tensor) -> Result<Vec<u8>> {
    pollster::block_on(tensor_to_image(gpu, x))
}
