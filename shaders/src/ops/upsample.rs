//! Nearest-neighbour 2x upsampling (`wgsl/upsample.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::UPSAMPLE as "Params" {
        planes: u32,
        h: u32,
        w: u32,
        _pad0: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// Records entry point `op` writing `out` from `a`, where [n, c, h, w] is
/// the small side's shape.
fn launch(gpu: &Gpu, op: &'static str, a: &Tensor, out: &Tensor, [n, c, h, w]: [usize; 4]) -> Result<()> {
    // The large side's element count bounds every index the kernel forms.
    let big = n.checked_mul(c).and_then(|v| v.checked_mul(4 * h)).and_then(|v| v.checked_mul(w));
    u32_of(op, "N*C*2H*2W", big.unwrap_or(usize::MAX))?;
    let params = Params { planes: (n * c) as u32, h: h as u32, w: w as u32, _pad0: 0 };
    let pipeline = gpu.pipeline(&wgsl::UPSAMPLE, op, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, op, out.len(), WG)?;
    gpu.dispatch(op, pipeline, &params, &[(1, a), (2, out)], groups)
}

/// y [N, C, 2H, 2W] with y[.., i, j] = x[.., i / 2, j / 2] for x [N, C, H, W]
/// (PyTorch `nn.Upsample(scale_factor=2, mode='nearest')`).
pub fn upsample_nearest2x(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    const OP: &str = "upsample_nearest2x";
    let [n, c, h, w] = x.nchw(OP, "input")?;
    let y = Tensor::empty(gpu, &[n, c, 2 * h, 2 * w])?;
    launch(gpu, OP, x, &y, [n, c, h, w])?;
    Ok(y)
}

/// Gradient of [`upsample_nearest2x`] with respect to its input: dx
/// [N, C, H, W] = the sum of each 2×2 block of dy [N, C, 2H, 2W].
pub fn upsample_nearest2x_backward_input(gpu: &Gpu, dy: &Tensor) -> Result<Tensor> {
    const OP: &str = "upsample_nearest2x_backward_input";
    let [n, c, h2, w2] = dy.nchw(OP, "output gradient")?;
    if h2 % 2 != 0 || w2 % 2 != 0 {
        return Err(Error::shape(OP, format!("output gradient {:?} must have even height and width", dy.shape())));
    }
    let shape = [n, c, h2 / 2, w2 / 2];
    let dx = Tensor::empty(gpu, &shape)?;
    launch(gpu, OP, dy, &dx, shape)?;
    Ok(dx)
}
