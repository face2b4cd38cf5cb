//! Channel concatenation, the U-Net skip connection (`wgsl/concat_channels.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::CONCAT_CHANNELS as "Params" {
        len: u32,
        a_size: u32,
        b_size: u32,
        _pad0: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// cat([a, b], dim 1): a [N, Ca, H, W] and b [N, Cb, H, W] to
/// [N, Ca + Cb, H, W], a's channels first.
pub fn concat_channels(gpu: &Gpu, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    const OP: &str = "concat_channels";
    let [n, ca, h, w] = a.nchw(OP, "a")?;
    let [nb, cb, hb, wb] = b.nchw(OP, "b")?;
    if (n, h, w) != (nb, hb, wb) {
        return Err(Error::shape(
            OP,
            format!("a {:?} and b {:?} must agree in batch, height and width", a.shape(), b.shape()),
        ));
    }
    let y = Tensor::empty(gpu, &[n, ca + cb, h, w])?;
    let params = Params {
        len: u32_of(OP, "output length", y.len())?,
        a_size: u32_of(OP, "Ca*H*W", ca * h * w)?,
        b_size: u32_of(OP, "Cb*H*W", cb * h * w)?,
        _pad0: 0,
    };
    let pipeline = gpu.pipeline(&wgsl::CONCAT_CHANNELS, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, y.len(), WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, a), (2, b), (3, &y)], groups)?;
    Ok(y)
}

/// Gradient of [`concat_channels`] wrt both inputs: splits dy [N, C, H, W]
/// into (da [N, ca, H, W], db [N, C - ca, H, W]).
pub fn concat_channels_backward_input(gpu: &Gpu, dy: &Tensor, ca: usize) -> Result<(Tensor, Tensor)> {
    const OP: &str = "concat_channels_backward_input";
    let [n, c, h, w] = dy.nchw(OP, "dy")?;
    if ca == 0 || ca >= c {
        return Err(Error::shape(
            OP,
            format!("a's channel count {ca} must be in 1..{c} to split dy {:?} into two parts", dy.shape()),
        ));
    }
    let cb = c - ca;
    let da = Tensor::empty(gpu, &[n, ca, h, w])?;
    let db = Tensor::empty(gpu, &[n, cb, h, w])?;
    let params = Params {
        len: u32_of(OP, "dy length", dy.len())?,
        a_size: u32_of(OP, "Ca*H*W", ca * h * w)?,
        b_size: u32_of(OP, "Cb*H*W", cb * h * w)?,
        _pad0: 0,
    };
    let pipeline = gpu.pipeline(&wgsl::CONCAT_CHANNELS, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, dy.len(), WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(4, dy), (5, &da), (6, &db)], groups)?;
    Ok((da, db))
}
