//! Fully connected layer without bias and its gradients (`wgsl/linear.wgsl`).
//!
//! The weight is `[O, I]`, either one tensor or row blocks ("parts") that
//! together hold its rows in order: a weight larger than one storage binding
//! (U-GAT-IT's full-model `FC.0`, 256 × 1,048,576 at 256²) lives in several
//! arena chunks, and every entry point takes the parts as they lie.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{div_ceil, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    #[derive(Default)]
    pub(super) struct Params for wgsl::LINEAR as "Params" {
        rows: u32,
        cols: u32,
        inner: u32,
        act: u32,
        slope: f32,
        tiles_x: u32,
        a_stride: u32,
        a_off: u32,
        out_stride: u32,
        out_off: u32,
        split_stride: u32,
        k_split: u32,
        accumulate: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Output rows and columns per workgroup.
const TILE: usize = 16;
/// Batches up to this size take the `*_small_batch` entry points.
const SMALL_BATCH: usize = 4;
/// Split-K aims for about this many workgroups in flight.
const SPLIT_TARGET_GROUPS: usize = 256;
/// Inner-dimension length below which a split is not worth its reduction.
const SPLIT_MIN_INNER: usize = 4096;

/// The (rows, cols) of a 2-D tensor, or a shape error naming `op` and `what`.
fn matrix(op: &'static str, what: &str, t: &Tensor) -> Result<[usize; 2]> {
    match t.shape()[..] {
        [r, c] => Ok([r, c]),
        _ => Err(Error::shape(op, format!("{what} must be 2-D, got {:?}", t.shape()))),
    }
}

/// The weight's shape [O, I] from its parts: 2-D row blocks of equal width.
fn parts_shape(op: &'static str, parts: &[Tensor]) -> Result<[usize; 2]> {
    let Some(first) = parts.first() else {
        return Err(Error::shape(op, "the weight has no parts"));
    };
    let [_, i] = matrix(op, "weight", first)?;
    let mut o = 0;
    for w in parts {
        let [r, c] = matrix(op, "weight", w)?;
        if c != i {
            return Err(Error::shape(op, format!("weight parts of widths {i} and {c}")));
        }
        o += r;
    }
    Ok([o, i])
}

/// One GEMM dispatch of entry point `op` over `rows × cols` outputs.
struct Gemm<'a> {
    op: &'static str,
    a: &'a Tensor,
    b: &'a Tensor,
    out: &'a Tensor,
    params: Params,
    splits: usize,
}

impl Gemm<'_> {
    fn record(self, gpu: &Gpu) -> Result<()> {
        let tiles = div_ceil(self.params.cols as usize, TILE) * div_ceil(self.params.rows as usize, TILE);
        let [x, y, _] = groups_1d(gpu, self.op, tiles, 1)?;
        let pipeline = gpu.pipeline(&wgsl::LINEAR, self.op, &[])?;
        let z = u32_of(self.op, "splits", self.splits)?;
        gpu.dispatch(self.op, pipeline, &self.params, &[(1, self.a), (2, self.b), (3, self.out)], [x, y, z])
    }
}

/// Records a `*_small_batch` entry point over `work` items of `per_group`
/// each (outputs per workgroup of the forward pass, 1; one invocation per
/// output value of the gradients, 256).
#[allow(clippy::too_many_arguments)]
fn small_batch(
    gpu: &Gpu,
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    out: &Tensor,
    params: Params,
    work: usize,
    per_group: usize,
) -> Result<()> {
    let pipeline = gpu.pipeline(&wgsl::LINEAR, op, &[])?;
    let groups = groups_1d(gpu, op, work, per_group)?;
    gpu.dispatch(op, pipeline, &params, &[(1, a), (2, b), (3, out)], groups)
}

/// Base parameters of a `rows × cols` output with dot products of `inner`.
fn params(op: &'static str, [rows, cols, inner]: [usize; 3]) -> Result<Params> {
    Ok(Params {
        rows: u32_of(op, "output rows", rows)?,
        cols: u32_of(op, "output columns", cols)?,
        inner: u32_of(op, "inner dimension", inner)?,
        tiles_x: u32_of(op, "column tiles", div_ceil(cols, TILE))?,
        k_split: u32_of(op, "inner dimension", inner.next_multiple_of(TILE))?,
        ..Params::default()
    })
}

/// Parameters of the forward pass over one part of `rows_p` weight rows
/// (`[n, rows_p, i]`) writing output columns from `at` of `o`.
fn forward_params(op: &'static str, shape: [usize; 3], activation: Activation, o: usize, at: usize) -> Result<Params> {
    let mut params = params(op, shape)?;
    (params.act, params.slope) = activation.code();
    params.a_stride = params.inner;
    params.out_stride = u32_of(op, "output features", o)?;
    params.out_off = u32_of(op, "output features", at)?;
    Ok(params)
}

/// How many ranges to split an inner dimension of `inner` into when the
/// output has `tiles` tiles: enough for about [`SPLIT_TARGET_GROUPS`]
/// workgroups, each range at least [`SPLIT_MIN_INNER`] / 4 long.
fn splits_for(tiles: usize, inner: usize) -> usize {
    if tiles == 0 || inner < SPLIT_MIN_INNER || tiles >= SPLIT_TARGET_GROUPS / 4 {
        return 1;
    }
    (SPLIT_TARGET_GROUPS / tiles).clamp(1, inner / (SPLIT_MIN_INNER / 4))
}

/// y [N, O] = act(x [N, I] · wᵀ) for w [O, I]: PyTorch's `nn.Linear(I, O,
/// bias=False)` followed by `activation`.
pub fn linear(gpu: &Gpu, x: &Tensor, w: &Tensor, activation: Activation) -> Result<Tensor> {
    linear_parts(gpu, x, std::slice::from_ref(w), activation)
}

/// [`linear`] with the weight given as row blocks (see the module docs).
/// Batches of up to four take the small-batch kernel (a workgroup per output
/// feature). For larger batches, a long inner dimension facing few outputs
/// is split across workgroups (split-K) and the partial sums added in a
/// fixed order, so the result is the same on every run.
pub fn linear_parts(gpu: &Gpu, x: &Tensor, parts: &[Tensor], activation: Activation) -> Result<Tensor> {
    const OP: &str = "linear";
    let [n, i] = matrix(OP, "input", x)?;
    let [o, wi] = parts_shape(OP, parts)?;
    if wi != i {
        return Err(Error::shape(
            OP,
            format!("input {:?} has {i} features but the weight [{o}, {wi}] expects {wi}", x.shape()),
        ));
    }
    let (act, slope) = activation.code();
    if n <= SMALL_BATCH {
        const SMALL: &str = "linear_small_batch";
        let out = Tensor::empty(gpu, &[n, o])?;
        let mut at = 0;
        for w in parts {
            let rows_p = w.shape()[0];
            let params = forward_params(SMALL, [n, rows_p, i], activation, o, at)?;
            // One workgroup per output feature.
            small_batch(gpu, SMALL, x, w, &out, params, rows_p, 1)?;
            at += rows_p;
        }
        return Ok(out);
    }
    let splits = splits_for(div_ceil(n, TILE) * div_ceil(o, TILE), i);
    let out = Tensor::empty(gpu, &[n, o])?;
    let partial = if splits > 1 { Tensor::empty(gpu, &[splits, n, o])? } else { out.clone() };
    let k_split = div_ceil(i, splits).next_multiple_of(TILE);
    let mut at = 0;
    for w in parts {
        let rows_p = w.shape()[0];
        let mut params = forward_params(OP, [n, rows_p, i], activation, o, at)?;
        if splits > 1 {
            params.split_stride = u32_of(OP, "partial sums", n * o)?;
            params.k_split = u32_of(OP, "inner dimension", k_split)?;
        }
        Gemm { op: OP, a: x, b: w, out: &partial, params, splits }.record(gpu)?;
        at += rows_p;
    }
    if splits > 1 {
        const REDUCE: &str = "linear_reduce";
        let params = Params {
            rows: u32_of(REDUCE, "rows", n)?,
            cols: u32_of(REDUCE, "columns", o)?,
            inner: u32_of(REDUCE, "splits", splits)?,
            act,
            slope,
            split_stride: u32_of(REDUCE, "partial sums", n * o)?,
            ..Params::default()
        };
        let pipeline = gpu.pipeline(&wgsl::LINEAR, REDUCE, &[])?;
        let groups = groups_1d(gpu, REDUCE, n * o, 256)?;
        gpu.dispatch(REDUCE, pipeline, &params, &[(1, &partial), (3, &out)], groups)?;
    }
    Ok(out)
}

/// Gradient of [`linear`] (without activation) with respect to its input:
/// dx [N, I] = dy [N, O] · w [O, I].
pub fn linear_backward_input(gpu: &Gpu, dy: &Tensor, w: &Tensor) -> Result<Tensor> {
    linear_backward_input_parts(gpu, dy, std::slice::from_ref(w))
}

/// [`linear_backward_input`] with the weight as row blocks: the parts'
/// products are added into dx in order.
pub fn linear_backward_input_parts(gpu: &Gpu, dy: &Tensor, parts: &[Tensor]) -> Result<Tensor> {
    const OP: &str = "linear_backward_input";
    let [n, o] = matrix(OP, "output gradient", dy)?;
    let [wo, i] = parts_shape(OP, parts)?;
    if wo != o {
        return Err(Error::shape(
            OP,
            format!("output gradient {:?} has {o} features but the weight [{wo}, {i}] has {wo} rows", dy.shape()),
        ));
    }
    let dx = Tensor::empty(gpu, &[n, i])?;
    let mut at = 0;
    for (k, w) in parts.iter().enumerate() {
        let rows_p = w.shape()[0];
        let mut params = params(OP, [n, i, rows_p])?;
        params.a_stride = u32_of(OP, "output features", o)?;
        params.a_off = u32_of(OP, "output features", at)?;
        params.out_stride = params.cols;
        params.accumulate = u32::from(k > 0);
        if n <= SMALL_BATCH {
            small_batch(gpu, "linear_backward_input_small_batch", dy, w, &dx, params, i, 256)?;
        } else {
            Gemm { op: OP, a: dy, b: w, out: &dx, params, splits: 1 }.record(gpu)?;
        }
        at += rows_p;
    }
    Ok(dx)
}

/// Gradient of [`linear`] (without activation) with respect to its weight:
/// dw [O, I] = dy [N, O]ᵀ · x [N, I].
pub fn linear_backward_weight(gpu: &Gpu, x: &Tensor, dy: &Tensor) -> Result<Tensor> {
    const OP: &str = "linear_backward_weight";
    let [_, i] = matrix(OP, "input", x)?;
    let [_, o] = matrix(OP, "output gradient", dy)?;
    let dw = Tensor::empty(gpu, &[o, i])?;
    weight_gradient(gpu, x, dy, std::slice::from_ref(&dw), false)?;
    Ok(dw)
}

/// Adds the gradient of [`linear_parts`] with respect to its weight into
/// `grads`, row blocks laid out as the weight's parts: one pass, no
/// temporary the size of the weight.
pub fn linear_backward_weight_accumulate(gpu: &Gpu, x: &Tensor, dy: &Tensor, grads: &[Tensor]) -> Result<()> {
    weight_gradient(gpu, x, dy, grads, true)
}

fn weight_gradient(gpu: &Gpu, x: &Tensor, dy: &Tensor, grads: &[Tensor], accumulate: bool) -> Result<()> {
    const OP: &str = "linear_backward_weight";
    let [n, i] = matrix(OP, "input", x)?;
    let [dn, o] = matrix(OP, "output gradient", dy)?;
    if dn != n {
        return Err(Error::shape(
            OP,
            format!("input {:?} and output gradient {:?} must have the same batch size", x.shape(), dy.shape()),
        ));
    }
    let [go, gi] = parts_shape(OP, grads)?;
    if [go, gi] != [o, i] {
        return Err(Error::shape(OP, format!("the gradient [{go}, {gi}] must be [{o}, {i}]")));
    }
    let mut at = 0;
    for g in grads {
        let rows_p = g.shape()[0];
        let mut params = params(OP, [rows_p, i, n])?;
        params.a_stride = u32_of(OP, "output features", o)?;
        params.a_off = u32_of(OP, "output features", at)?;
        params.out_stride = params.cols;
        params.accumulate = u32::from(accumulate);
        if n <= SMALL_BATCH {
            small_batch(gpu, "linear_backward_weight_small_batch", dy, x, g, params, rows_p * i, 256)?;
        } else {
            Gemm { op: OP, a: dy, b: x, out: g, params, splits: 1 }.record(gpu)?;
        }
        at += rows_p;
    }
    Ok(())
}
