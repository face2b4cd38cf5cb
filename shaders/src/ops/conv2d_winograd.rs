//! The Winograd F(2x2, 3x3) and F(4x4, 3x3) forms of 3x3 stride-1 conv2d,
//! and F(3x3, 4x4) of 4x4 stride-1 conv2d
//! (`wgsl/conv2d_winograd.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::conv_geometry::{Conv2dParams, Padding};
use crate::ops::launch::{bias_binding, div_ceil, groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

const OP: &str = "conv2d_winograd";

params! {
    pub(super) struct Params for wgsl::CONV2D_WINOGRAD as "Params" {
        n: u32,
        c_in: u32,
        h_in: u32,
        w_in: u32,
        c_out: u32,
        h_out: u32,
        w_out: u32,
        c_out8: u32,
        tiles_h: u32,
        tiles_w: u32,
        tiles: u32,
        pad: u32,
        reflect: u32,
        has_bias: u32,
        act: u32,
        slope: f32,
        u_cols: u32,
        tiles_pad: u32,
        flip: u32,
        v_chan: u32,
        v_tile: u32,
        v_point: u32,
        tile_m: u32,
    }
}

/// Output channels one GEMM invocation computes.
const GEMM_CHANNELS: usize = 8;
/// Tiles one GEMM invocation computes.
const GEMM_TILES: usize = 8;

/// Output tile and kernel size of a Winograd form: F(m x m, r x r).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tile {
    /// F(2x2, 3x3): 16 transform points.
    Two,
    /// F(4x4, 3x3): 36 transform points.
    Four,
    /// F(3x3, 4x4), for 4x4 kernels: 36 transform points, F(4x4, 3x3)'s
    /// input transform and GEMM.
    K4,
}

impl Tile {
    fn m(self) -> usize {
        match self {
            Tile::Two => 2,
            Tile::Four => 4,
            Tile::K4 => 3,
        }
    }

    /// The kernel size r of F(m x m, r x r).
    pub(crate) fn r(self) -> usize {
        match self {
            Tile::Two | Tile::Four => 3,
            Tile::K4 => 4,
        }
    }

    /// Transform points, (m + r - 1)^2.
    fn points(self) -> usize {
        (self.m() + self.r() - 1) * (self.m() + self.r() - 1)
    }

    fn entry(self, stage: &str) -> &'static str {
        match (self, stage) {
            (Tile::Two, "weight") => "conv2d_winograd_weight",
            (Tile::Two, "input") => "conv2d_winograd_input",
            (Tile::Two, "dy") => "conv2d_winograd_dy",
            (Tile::Two, "dweight") => "conv2d_winograd_dweight",
            (Tile::Two, _) => "conv2d_winograd_output",
            (Tile::Four, "weight") => "conv2d_winograd4_weight",
            (Tile::Four, "input") => "conv2d_winograd4_input",
            (Tile::Four, "dy") => "conv2d_winograd4_dy",
            (Tile::Four, "dweight") => "conv2d_winograd4_dweight",
            (Tile::Four, _) => "conv2d_winograd4_output",
            (Tile::K4, "weight") => "conv2d_winograd_k4_weight",
            (Tile::K4, "input") => "conv2d_winograd4_input",
            (Tile::K4, "dy") => "conv2d_winograd_k4_dy",
            (Tile::K4, "dweight") => "conv2d_winograd_k4_dweight",
            (Tile::K4, _) => "conv2d_winograd_k4_output",
        }
    }
}

fn u_cols(c_out: usize) -> usize {
    div_ceil(c_out, GEMM_CHANNELS) * GEMM_CHANNELS
}

/// Output size and tile count of the Winograd form, or `None` where it does
/// not apply: the kernel is not the tile's (3x3, or 4x4 for [`Tile::K4`]),
/// the stride not 1, or the transformed
/// input, product or weight would not fit one storage binding.
fn plan(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams, tile: Tile) -> Option<(usize, usize, usize)> {
    let [n, c_in, h, w] = xs;
    let [c_out, wc_in, kh, kw] = ws;
    let r = tile.r();
    if (kh, kw) != (r, r) || p.stride != 1 || wc_in != c_in {
        return None;
    }
    if p.padding_mode == Padding::Reflect && (p.padding >= h || p.padding >= w) {
        return None;
    }
    let h_out = (h + 2 * p.padding).checked_sub(r - 1)?;
    let w_out = (w + 2 * p.padding).checked_sub(r - 1)?;
    if h_out == 0 || w_out == 0 {
        return None;
    }
    let tiles = n.checked_mul(div_ceil(h_out, tile.m()) * div_ceil(w_out, tile.m()))?;
    let points = tile.points() as u64;
    let widest = points * tiles.next_multiple_of(4) as u64 * u_cols(c_in.max(c_out)) as u64 * 4;
    let weight = points * c_in.next_multiple_of(4) as u64 * u_cols(c_out) as u64 * 4;
    let max = gpu.max_binding_bytes();
    let groups = gpu.limits().max_compute_workgroups_per_dimension as usize;
    if widest > max
        || weight > max
        || div_ceil(tiles, 64) > groups
        || c_in.max(c_out) > groups
        || div_ceil(c_in * c_out, 64) > groups * groups
    {
        return None;
    }
    Some((h_out, w_out, tiles))
}

/// M [points][c_out][tiles_pad] = U^T V per transform point
/// (`conv2d_winograd_gemm`), reducing over `params.c_in` rows of U
/// [points][c_in][u_cols] and V [points][c_in][tiles_pad].
fn gemm(gpu: &Gpu, op: &'static str, params: &Params, u: &Tensor, v: &Tensor, points: usize) -> Result<Tensor> {
    let (c_out, cols) = (params.c_out as usize, params.tiles_pad as usize);
    let m = Tensor::empty(gpu, &[points, c_out, cols])?;
    if gpu.tuning().winograd_gemm_tiled {
        let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_gemm_tiled", &[])?;
        let groups = [
            u32_of(op, "workgroups", div_ceil(cols, 64))?,
            u32_of(op, "workgroups", div_ceil(c_out, 64))?,
            points as u32,
        ];
        gpu.dispatch(op, pipeline, params, &[(3, u), (4, v), (8, &m)], groups)?;
        return Ok(m);
    }
    // Each invocation takes two groups of 4 columns WG_PIX groups apart: for
    // few columns a narrower workgroup keeps the second group a real one.
    let wg = (gpu.tuning().conv_wg_pixels as usize).min(div_ceil(cols / 4, 2));
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_gemm", &[("WG_PIX", wg as f64)])?;
    let groups = [
        div_ceil(c_out, GEMM_CHANNELS) as u32,
        u32_of(op, "workgroups", div_ceil(cols, GEMM_TILES * wg))?,
        points as u32,
    ];
    gpu.dispatch(op, pipeline, params, &[(3, u), (4, v), (8, &m)], groups)?;
    Ok(m)
}

/// Whether a Winograd form can run this convolution on this device.
pub(crate) fn winograd_applies(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams, tile: Tile) -> bool {
    plan(gpu, xs, ws, p, tile).is_some()
}

/// Transforms a weight packed by [`conv2d_pack_weight`](crate::ops::conv2d_pack_weight)
/// ([9, C_in, C_out8]) into F(2x2, 3x3)'s Winograd domain, [16, C_in, C_out8].
pub fn conv2d_winograd_weight(gpu: &Gpu, packed: &Tensor, weight_shape: [usize; 4]) -> Result<Tensor> {
    winograd_weight(gpu, packed, weight_shape, Tile::Two, false)
}

/// [`conv2d_winograd_weight`] for F(4x4, 3x3): [36, C_in, C_out8].
pub fn conv2d_winograd4_weight(gpu: &Gpu, packed: &Tensor, weight_shape: [usize; 4]) -> Result<Tensor> {
    winograd_weight(gpu, packed, weight_shape, Tile::Four, false)
}

/// `flip`: `packed` holds the filter to be rotated by 180 degrees (see
/// [`conv2d_winograd`]).
fn winograd_weight(gpu: &Gpu, packed: &Tensor, weight_shape: [usize; 4], tile: Tile, flip: bool) -> Result<Tensor> {
    let [c_out, c_in, kh, kw] = weight_shape;
    let c_out8 = div_ceil(c_out, 8) * 8;
    let r = tile.r();
    if (kh, kw) != (r, r) || packed.len() != r * r * c_in * c_out8 {
        return Err(Error::shape(
            OP,
            format!("packed weight {:?} is not a packed {r}x{r} weight of shape {weight_shape:?}", packed.shape()),
        ));
    }
    let cols = u_cols(c_out);
    let u = Tensor::empty(gpu, &[tile.points(), c_in, cols])?;
    let params = Params {
        c_in: u32_of(OP, "C_in", c_in)?,
        c_out: u32_of(OP, "C_out", c_out)?,
        c_out8: c_out8 as u32,
        u_cols: u32_of(OP, "C_out", cols)?,
        flip: u32::from(flip),
        ..bytemuck::Zeroable::zeroed()
    };
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("weight"), &[])?;
    let groups = groups_1d(gpu, OP, c_in * cols, 64)?;
    gpu.dispatch(OP, pipeline, &params, &[(2, packed), (7, &u)], groups)?;
    Ok(u)
}

/// conv2d by Winograd F(m x m, r x r): the same contract as
/// [`conv2d_packed`](crate::ops::conv2d_packed), for r x r stride-1 kernels.
/// With `flip`, `packed` is instead a filter to rotate by 180 degrees: a
/// conv2d weight [C_in', C_out', 3, 3] packed by
/// [`conv_transpose2d_pack_weight`](crate::ops::conv_transpose2d_pack_weight),
/// which makes this conv2d's input gradient for stride 1 (`weight_shape`
/// is then [C_out', C_in', 3, 3], the rotated filter's).
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_winograd(
    gpu: &Gpu,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
    tile: Tile,
    flip: bool,
) -> Result<Tensor> {
    let xs = x.nchw(OP, "input")?;
    let Some((h_out, w_out, tiles)) = plan(gpu, xs, weight_shape, p, tile) else {
        return Err(Error::shape(
            OP,
            format!(
                "the Winograd form needs a {r}x{r} stride-1 kernel and transforms that fit one binding; \
                 input {xs:?}, weight {weight_shape:?}, stride {}",
                p.stride,
                r = tile.r()
            ),
        ));
    };
    let [n, c_in, ..] = xs;
    let c_out = weight_shape[0];
    let u = winograd_weight(gpu, packed, weight_shape, tile, flip)?;
    let (act, slope) = p.activation.code();
    let mut params = Params {
        act,
        slope,
        tiles_pad: tiles.next_multiple_of(4) as u32,
        v_chan: tiles.next_multiple_of(4) as u32,
        v_tile: 1,
        v_point: u32_of(OP, "transformed input", c_in * tiles.next_multiple_of(4))?,
        ..geometry(OP, xs, c_out, (h_out, w_out, tiles), p, tile)?
    };
    let (bias, has_bias) = bias_binding(gpu, OP, bias, c_out)?;
    params.has_bias = has_bias;
    let bias = &bias;
    let tiles4 = tiles.next_multiple_of(4);
    let points = tile.points();
    let v = Tensor::empty(gpu, &[points, c_in, tiles4])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("input"), &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (7, &v)], [div_ceil(tiles4, 64) as u32, c_in as u32, 1])?;

    let m = gemm(gpu, OP, &params, &u, &v, points)?;

    let y = Tensor::empty(gpu, &[n, c_out, h_out, w_out])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("output"), &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(5, &m), (6, bias), (7, &y)], [div_ceil(tiles, 64) as u32, c_out as u32, 1])?;
    Ok(y)
}

/// The parameters the forward pass and the weight gradient share: the
/// shapes, the tile grid ([`plan`]'s output size and tile count), the
/// padding and the tile size. The rest (V's layout, the epilogue) is zero.
fn geometry(
    op: &'static str,
    xs: [usize; 4],
    c_out: usize,
    (h_out, w_out, tiles): (usize, usize, usize),
    p: &Conv2dParams,
    tile: Tile,
) -> Result<Params> {
    let [n, c_in, h, w] = xs;
    Ok(Params {
        n: u32_of(op, "N", n)?,
        c_in: u32_of(op, "C_in", c_in)?,
        h_in: u32_of(op, "H", h)?,
        w_in: u32_of(op, "W", w)?,
        c_out: u32_of(op, "C_out", c_out)?,
        h_out: h_out as u32,
        w_out: w_out as u32,
        c_out8: u_cols(c_out) as u32,
        tiles_h: div_ceil(h_out, tile.m()) as u32,
        tiles_w: div_ceil(w_out, tile.m()) as u32,
        tiles: tiles as u32,
        pad: u32_of(op, "padding", p.padding)?,
        reflect: (p.padding_mode == Padding::Reflect) as u32,
        u_cols: u_cols(c_out) as u32,
        tile_m: tile.m() as u32,
        ..bytemuck::Zeroable::zeroed()
    })
}

/// Gradient of an r x r stride-1 conv2d with respect to its weight by Winograd
/// F(m x m, r x r) (the weight-gradient section of `wgsl/conv2d_winograd.wgsl`):
/// dW [C_out, C_in, r, r] from the input x [N, C_in, H, W] and dy, the
/// gradient of the output before its activation. The caller has checked the
/// shapes (`conv2d_backward_weight`).
pub(crate) fn conv2d_winograd_backward_weight(
    gpu: &Gpu,
    x: &Tensor,
    dy: &Tensor,
    weight_shape: [usize; 4],
    p: &Conv2dParams,
    tile: Tile,
) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_weight";
    let xs = x.nchw(OP, "input")?;
    let Some((h_out, w_out, tiles)) = plan(gpu, xs, weight_shape, p, tile) else {
        return Err(Error::shape(
            OP,
            format!("the Winograd form does not apply to input {xs:?}, weight {weight_shape:?}, stride {}", p.stride),
        ));
    };
    let c_in = xs[1];
    let c_out = weight_shape[0];
    let c_in4 = c_in.next_multiple_of(4);
    let cols = u_cols(c_out);
    let points = tile.points();
    let mut params = Params {
        // V's tiles are exactly the reduction's T: no padding tiles.
        tiles_pad: tiles as u32,
        v_chan: 1,
        v_tile: c_in4 as u32,
        v_point: u32_of(OP, "transformed input", tiles * c_in4)?,
        ..geometry(OP, xs, c_out, (h_out, w_out, tiles), p, tile)?
    };
    // V [P][T][C_in4] and E [P][T][u_cols]: the GEMM's operands with the
    // tiles as the reduction.
    let v = Tensor::empty(gpu, &[points, tiles, c_in4])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("input"), &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (7, &v)], [div_ceil(tiles, 64) as u32, c_in as u32, 1])?;
    let e = Tensor::empty(gpu, &[points, tiles, cols])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("dy"), &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, dy), (7, &e)], [div_ceil(tiles, 64) as u32, c_out as u32, 1])?;

    // dU [P][C_out][C_in4] = sum over tiles of E^T V, by the forward GEMM
    // with K = T and the input channels in place of the tiles.
    params.c_in = u32_of(OP, "tiles", tiles)?;
    params.tiles_pad = c_in4 as u32;
    let du = gemm(gpu, OP, &params, &e, &v, points)?;

    params.c_in = c_in as u32;
    let dw = Tensor::empty(gpu, &weight_shape)?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, tile.entry("dweight"), &[])?;
    let groups = groups_1d(gpu, OP, c_out * c_in, 64)?;
    gpu.dispatch(OP, pipeline, &params, &[(5, &du), (7, &dw)], groups)?;
    Ok(dw)
}
