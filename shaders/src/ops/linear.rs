//! Fully connected layer without bias and its gradients (`wgsl/linear.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::{div_ceil, u32_of, Activation};
use crate::tensor::Tensor;
use crate::wgsl;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    inner: u32,
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

/// Output rows and columns per workgroup.
const TILE: usize = 16;

/// The (rows, cols) of a 2-D tensor, or a shape error naming `op` and `what`.
fn matrix(op: &'static str, what: &str, t: &Tensor) -> Result<[usize; 2]> {
    match t.shape()[..] {
        [r, c] => Ok([r, c]),
        _ => Err(Error::shape(op, format!("{what} must be 2-D, got {:?}", t.shape()))),
    }
}

/// Records entry point `op`: out [rows, cols] from `a` and `b` with dot
/// products of length `inner`.
fn gemm(
    gpu: &Gpu,
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    [rows, cols, inner]: [usize; 3],
    activation: Activation,
) -> Result<Tensor> {
    let (act, slope) = activation.code();
    let params = Params {
        rows: u32_of(op, "output rows", rows)?,
        cols: u32_of(op, "output columns", cols)?,
        inner: u32_of(op, "inner dimension", inner)?,
        act,
        slope,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    let out = Tensor::empty(gpu, &[rows, cols])?;
    let pipeline = gpu.pipeline(&wgsl::LINEAR, op, &[])?;
    let groups = [div_ceil(cols, TILE) as u32, div_ceil(rows, TILE) as u32, 1];
    gpu.dispatch(op, pipeline, &params, &[(1, a), (2, b), (3, &out)], groups)?;
    Ok(out)
}

/// y [N, O] = act(x [N, I] · wᵀ) for w [O, I]: PyTorch's `nn.Linear(I, O,
/// bias=False)` followed by `activation`.
pub fn linear(gpu: &Gpu, x: &Tensor, w: &Tensor, activation: Activation) -> Result<Tensor> {
    const OP: &str = "linear";
    let [n, i] = matrix(OP, "input", x)?;
    let [o, wi] = matrix(OP, "weight", w)?;
    if wi != i {
        return Err(Error::shape(
            OP,
            format!("input {:?} has {i} features but weight {:?} expects {wi}", x.shape(), w.shape()),
        ));
    }
    gemm(gpu, OP, x, w, [n, o, i], activation)
}

/// Gradient of [`linear`] (without activation) with respect to its input:
/// dx [N, I] = dy [N, O] · w [O, I].
pub fn linear_backward_input(gpu: &Gpu, dy: &Tensor, w: &Tensor) -> Result<Tensor> {
    const OP: &str = "linear_backward_input";
    let [n, o] = matrix(OP, "output gradient", dy)?;
    let [wo, i] = matrix(OP, "weight", w)?;
    if wo != o {
        return Err(Error::shape(
            OP,
            format!("output gradient {:?} has {o} features but weight {:?} has {wo} rows", dy.shape(), w.shape()),
        ));
    }
    gemm(gpu, OP, dy, w, [n, i, o], Activation::None)
}

/// Gradient of [`linear`] (without activation) with respect to its weight:
/// dw [O, I] = dy [N, O]ᵀ · x [N, I].
pub fn linear_backward_weight(gpu: &Gpu, x: &Tensor, dy: &Tensor) -> Result<Tensor> {
    const OP: &str = "linear_backward_weight";
    let [n, i] = matrix(OP, "input", x)?;
    let [dn, o] = matrix(OP, "output gradient", dy)?;
    if dn != n {
        return Err(Error::shape(
            OP,
            format!("input {:?} and output gradient {:?} must have the same batch size", x.shape(), dy.shape()),
        ));
    }
    gemm(gpu, OP, dy, x, [o, i, n], Activation::None)
}
