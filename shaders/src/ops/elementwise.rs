//! Elementwise activations and sums (`wgsl/elementwise.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::ELEMENTWISE as "Params" {
        len: u32,
        slope: f32,
        lo: f32,
        hi: f32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// Records entry point `op` over `len` elements with the given (binding, buffer) pairs.
fn launch(gpu: &Gpu, op: &'static str, len: usize, slope: f32, buffers: &[(u32, &Tensor)]) -> Result<()> {
    launch_with(gpu, op, len, (slope, 0.0, 0.0), buffers)
}

/// [`launch`] with the (slope, lo, hi) parameters.
fn launch_with(
    gpu: &Gpu,
    op: &'static str,
    len: usize,
    (slope, lo, hi): (f32, f32, f32),
    buffers: &[(u32, &Tensor)],
) -> Result<()> {
    let params = Params { len: u32_of(op, "element count", len)?, slope, lo, hi };
    let pipeline = gpu.pipeline(&wgsl::ELEMENTWISE, op, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, op, len, WG)?;
    gpu.dispatch(op, pipeline, &params, buffers, groups)
}

fn unary(gpu: &Gpu, op: &'static str, x: &Tensor, slope: f32) -> Result<Tensor> {
    let y = Tensor::empty(gpu, x.shape())?;
    launch(gpu, op, x.len(), slope, &[(1, x), (3, &y)])?;
    Ok(y)
}

fn same_shape(op: &'static str, a: &Tensor, b: &Tensor, names: (&str, &str)) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::shape(
            op,
            format!("{} {:?} and {} {:?} must have the same shape", names.0, a.shape(), names.1, b.shape()),
        ));
    }
    Ok(())
}

/// max(x, 0).
pub fn relu(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    unary(gpu, "relu", x, 0.0)
}

/// x if x > 0 else slope * x.
pub fn leaky_relu(gpu: &Gpu, x: &Tensor, slope: f32) -> Result<Tensor> {
    unary(gpu, "leaky_relu", x, slope)
}

/// tanh(x), saturating to +-1 for inputs of any magnitude.
pub fn tanh(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    unary(gpu, "tanh", x, 0.0)
}

/// 1 / (1 + exp(-x)), for inputs of any magnitude.
pub fn sigmoid(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    unary(gpu, "sigmoid", x, 0.0)
}

/// a + b for tensors of the same shape.
pub fn add(gpu: &Gpu, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_shape("add", a, b, ("a", "b"))?;
    let y = Tensor::empty(gpu, a.shape())?;
    launch(gpu, "add", a.len(), 0.0, &[(1, a), (2, b), (3, &y)])?;
    Ok(y)
}

/// dst += src in place, for tensors of the same shape (gradient
/// accumulation). They must not share a buffer: WebGPU forbids binding one
/// buffer both read-only and writable in a dispatch.
pub fn add_assign(gpu: &Gpu, dst: &Tensor, src: &Tensor) -> Result<()> {
    const OP: &str = "add_assign";
    same_shape(OP, dst, src, ("dst", "src"))?;
    if dst.buffer() == src.buffer() {
        return Err(Error::shape(
            OP,
            format!("dst and src {:?} are the same buffer; use add(gpu, &t, &t) for t + t", dst.shape()),
        ));
    }
    launch(gpu, OP, dst.len(), 0.0, &[(1, src), (3, dst)])
}

/// t = clamp(t, lo, hi) in place. `t` may be a view into a larger buffer (a
/// parameter inside a network's arena); it must start at a multiple of the
/// adapter's storage offset alignment, as every bound view must.
pub fn clamp_in_place(gpu: &Gpu, t: &Tensor, lo: f32, hi: f32) -> Result<()> {
    const OP: &str = "clamp_in_place";
    if lo.is_nan() || hi.is_nan() || lo > hi {
        return Err(Error::shape(OP, format!("bounds [{lo}, {hi}] for tensor {:?} must satisfy lo <= hi", t.shape())));
    }
    let align = gpu.limits().min_storage_buffer_offset_alignment as u64;
    if t.offset() % align != 0 {
        return Err(Error::shape(
            OP,
            format!(
                "tensor {:?} starts at byte {} of its buffer, not a multiple of the storage offset alignment {align}",
                t.shape(),
                t.offset()
            ),
        ));
    }
    launch_with(gpu, OP, t.len(), (0.0, lo, hi), &[(3, t)])
}
