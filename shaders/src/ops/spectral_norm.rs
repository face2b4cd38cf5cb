//! Spectral normalisation as `torch.nn.utils.spectral_norm` computes it in
//! training mode (`wgsl/spectral_norm.wgsl`).
//!
//! The weight matrix is W = weight.reshape(O, -1), [O, K]. One power
//! iteration, then sigma and the normalised weight:
//! ```text
//! v = normalize(W^T u)      normalize(t) = t / max(|t|, 1e-12)
//! u = normalize(W v)
//! sigma = u . (W v)
//! w_sn = W / sigma
//! ```
//! PyTorch runs the power iteration under no_grad, so the backward treats u
//! and v as constants: dW = (G - <G, w_sn> u v^T) / sigma with G = dL/dw_sn.
//! Everything stays on the GPU: W^T u is a column-parallel coalesced pass,
//! W v one workgroup per row, and the norms, sigma and <G, w_sn> are
//! fixed-order workgroup reductions (deterministic, no float atomics).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::workgroup_size;
use crate::ops::launch::{div_ceil, dummy, groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

/// One spectral-norm forward: the normalised weight and the vectors it used.
#[derive(Clone, Debug)]
pub struct SpectralNorm {
    /// W / sigma, the weight's shape.
    pub w_sn: Tensor,
    /// sigma = u . (W v), [1].
    pub sigma: Tensor,
    /// The left singular vector estimate after this call, [O].
    pub u: Tensor,
    /// The right singular vector estimate after this call, [K].
    pub v: Tensor,
}

params! {
    pub(super) struct Params for wgsl::SPECTRAL_NORM as "Params" {
        rows: u32,
        cols: u32,
        normalize: u32,
        has_sigma: u32,
    }
}

const OP: &str = "spectral_norm";
const OP_BACKWARD: &str = "spectral_norm_backward";

/// (O, K) of a weight viewed as weight.reshape(shape[0], -1).
fn matrix_dims(w: &Tensor) -> (usize, usize) {
    let o = w.shape()[0];
    (o, w.len() / o)
}

/// Spectral normalisation of the weight `w` (any shape with at least one
/// dimension, viewed as the [O, K] matrix weight.reshape(O, -1); it may be a
/// view into a larger parameter buffer) with the vectors u [O] and v [K]
/// (any shapes holding O and K values).
///
/// With `power_iteration` (training mode), one power iteration updates v
/// then u as PyTorch does; without it (eval mode) u and v are used as they
/// are. Either way sigma = u . (W v) and w_sn = W / sigma. The inputs are
/// not modified: the returned u [O] and v [K] are new tensors (the updated
/// vectors, or copies), which the caller keeps for
/// [`spectral_norm_backward`] and passes to the next call.
pub fn spectral_norm(gpu: &Gpu, w: &Tensor, u: &Tensor, v: &Tensor, power_iteration: bool) -> Result<SpectralNorm> {
    let (o, k) = matrix_dims(w);
    if u.len() != o || v.len() != k {
        return Err(Error::shape(
            OP,
            format!(
                "weight {:?} is a [{o}, {k}] matrix, so u {:?} must hold {o} values and v {:?} {k} values",
                w.shape(),
                u.shape(),
                v.shape()
            ),
        ));
    }
    let params = Params { rows: u32_of(OP, "O", o)?, cols: u32_of(OP, "K", k)?, normalize: 0, has_sigma: 0 };
    let shader = &wgsl::SPECTRAL_NORM;
    let placeholder = dummy(gpu)?;
    let u_new = Tensor::empty(gpu, &[o])?;
    let v_new = Tensor::empty(gpu, &[k])?;
    let sigma = Tensor::empty(gpu, &[1])?;
    if power_iteration {
        // t = W^T u, then v = normalize(t).
        let t = Tensor::empty(gpu, &[k])?;
        let pipeline = gpu.pipeline(shader, "spectral_norm_wt_u", &[])?;
        gpu.dispatch(OP, pipeline, &params, &[(1, w), (2, u), (5, &t)], groups_1d(gpu, OP, div_ceil(k, 64), 1)?)?;
        let norm = Params { rows: params.cols, normalize: 1, ..params };
        let pipeline = gpu.pipeline(shader, "spectral_norm_normalize", &[])?;
        // Distinct placeholders: one buffer may not be bound read-only and
        // read-write in one dispatch.
        let no_sigma = dummy(gpu)?;
        gpu.dispatch(OP, pipeline, &norm, &[(2, &t), (3, &placeholder), (5, &v_new), (6, &no_sigma)], [1, 1, 1])?;
    } else {
        gpu.copy(v, 0, &v_new, 0, v.byte_len());
    }
    // s = W v; u = normalize(s) (or u as given); sigma = u . s.
    let s = Tensor::empty(gpu, &[o])?;
    let pipeline = gpu.pipeline(shader, "spectral_norm_w_v", &[("WG", workgroup_size(k) as f64)])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, w), (2, &v_new), (5, &s)], groups_1d(gpu, OP, o, 1)?)?;
    let norm = Params { normalize: power_iteration as u32, has_sigma: 1, ..params };
    let pipeline = gpu.pipeline(shader, "spectral_norm_normalize", &[])?;
    let u_given = if power_iteration { &placeholder } else { u };
    gpu.dispatch(OP, pipeline, &norm, &[(2, &s), (3, u_given), (5, &u_new), (6, &sigma)], [1, 1, 1])?;
    // w_sn = W / sigma.
    let w_sn = Tensor::empty(gpu, w.shape())?;
    let pipeline = gpu.pipeline(shader, "spectral_norm_scale", &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, w), (4, &sigma), (5, &w_sn)], groups_1d(gpu, OP, o * k, 256)?)?;
    Ok(SpectralNorm { w_sn, sigma, u: u_new, v: v_new })
}

/// Gradient wrt the weight of [`spectral_norm`], from that call's result
/// `sn` (its u, v and sigma, held constant as PyTorch's no_grad power
/// iteration makes them) and dw_sn = dL/dw_sn:
/// dW = (dw_sn - <dw_sn, w_sn> u v^T) / sigma, with the weight's shape.
pub fn spectral_norm_backward(gpu: &Gpu, sn: &SpectralNorm, dw_sn: &Tensor) -> Result<Tensor> {
    let op = OP_BACKWARD;
    let (o, k) = matrix_dims(&sn.w_sn);
    if dw_sn.shape() != sn.w_sn.shape() {
        return Err(Error::shape(
            op,
            format!("gradient {:?} must have the weight's shape {:?}", dw_sn.shape(), sn.w_sn.shape()),
        ));
    }
    if sn.u.len() != o || sn.v.len() != k || sn.sigma.len() != 1 {
        return Err(Error::shape(
            op,
            format!(
                "weight {:?} needs u of {o} values, v of {k} and one sigma; got u {:?}, v {:?}, sigma {:?}",
                sn.w_sn.shape(),
                sn.u.shape(),
                sn.v.shape(),
                sn.sigma.shape()
            ),
        ));
    }
    let params = Params { rows: u32_of(op, "O", o)?, cols: u32_of(op, "K", k)?, normalize: 0, has_sigma: 0 };
    let shader = &wgsl::SPECTRAL_NORM;
    // <G, w_sn>: per-row partial sums, then their total.
    let rows = Tensor::empty(gpu, &[o])?;
    let pipeline = gpu.pipeline(shader, "spectral_norm_backward_rows", &[("WG", workgroup_size(k) as f64)])?;
    gpu.dispatch(op, pipeline, &params, &[(1, &sn.w_sn), (5, &rows), (7, dw_sn)], groups_1d(gpu, op, o, 1)?)?;
    let dot = Tensor::empty(gpu, &[1])?;
    let pipeline = gpu.pipeline(shader, "spectral_norm_backward_sum", &[])?;
    gpu.dispatch(op, pipeline, &params, &[(2, &rows), (6, &dot)], [1, 1, 1])?;
    let dw = Tensor::empty(gpu, sn.w_sn.shape())?;
    let pipeline = gpu.pipeline(shader, "spectral_norm_backward", &[])?;
    gpu.dispatch(
        op,
        pipeline,
        &params,
        &[(2, &sn.u), (3, &sn.v), (4, &sn.sigma), (5, &dw), (7, dw_sn), (8, &dot)],
        groups_1d(gpu, op, o * k, 256)?,
    )?;
    Ok(dw)
}
