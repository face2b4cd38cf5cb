//! The forms of the forward convolution: which algorithm runs it, and where
//! each applies.

use crate::context::Gpu;
use crate::ops::conv2d_winograd::{winograd_applies, Tile};
use crate::ops::conv_geometry::{conv_out, Conv2dParams};

/// The algorithm that runs a forward convolution. For 3x3 stride-1
/// convolutions the gradients follow the forward pass's Winograd form
/// ([`conv2d_backward_input_form`](crate::ops::conv2d_backward_input_form),
/// [`conv2d_backward_weight_form`](crate::ops::conv2d_backward_weight_form));
/// other gradients run the direct kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConvForm {
    /// Register-blocked implicit GEMM (`wgsl/conv2d.wgsl`): any geometry.
    Direct,
    /// The direct kernel blocked as 4 channels x 8 pixels (`conv2d_narrow`):
    /// any geometry with at most 8 output channels (for at most 4, Direct's
    /// 8-channel block is mostly padding).
    Narrow,
    /// Winograd F(2x2, 3x3) (`wgsl/conv2d_winograd.wgsl`): 3x3 stride-1
    /// kernels; 16 instead of 36 multiplies per 2x2 output tile.
    Winograd2,
    /// Winograd F(4x4, 3x3) (`wgsl/conv2d_winograd.wgsl`): 3x3 stride-1
    /// kernels; 36 instead of 144 multiplies per 4x4 output tile, with larger
    /// transform coefficients (up to 8), so a larger rounding error.
    Winograd4,
    /// Winograd F(3x3, 4x4) (`wgsl/conv2d_winograd.wgsl`): 4x4 stride-1
    /// kernels (PatchGAN's stride-1 layer); 36 instead of 144 multiplies per
    /// 3x3 output tile, with F(4x4, 3x3)'s input transform.
    WinogradK4,
    /// Implicit GEMM tiled in workgroup memory (`conv2d_tiled`), 32 output
    /// channels x 32 pixels per workgroup of 64 invocations: any geometry
    /// with at least one whole tile ([`ConvForm::tile`]).
    Tiled32,
    /// [`ConvForm::Tiled32`] with 64 x 64 tiles and 256 invocations.
    Tiled64,
    /// [`ConvForm::Tiled32`] with 128 channels x 64 pixels per workgroup of
    /// 256 invocations (8 channels x 4 pixels each).
    Tiled128,
}

impl ConvForm {
    /// Every form.
    pub const ALL: [ConvForm; 8] = [
        ConvForm::Direct,
        ConvForm::Narrow,
        ConvForm::Winograd2,
        ConvForm::Winograd4,
        ConvForm::WinogradK4,
        ConvForm::Tiled32,
        ConvForm::Tiled64,
        ConvForm::Tiled128,
    ];

    /// The form's name, as the `GAN_KERNELS` environment variable takes it.
    pub fn name(self) -> &'static str {
        match self {
            ConvForm::Direct => "direct",
            ConvForm::Narrow => "narrow",
            ConvForm::Winograd2 => "winograd",
            ConvForm::Winograd4 => "winograd4",
            ConvForm::WinogradK4 => "winograd-k4",
            ConvForm::Tiled32 => "tiled-32x32",
            ConvForm::Tiled64 => "tiled-64x64",
            ConvForm::Tiled128 => "tiled-128x64",
        }
    }

    /// The form called `name` ([`ConvForm::name`]).
    pub fn parse(name: &str) -> Option<ConvForm> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the form can run a convolution of input `xs` and weight `ws`
    /// ([C_out, C_in, KH, KW]) on this device.
    pub fn applies(self, gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> bool {
        match self {
            ConvForm::Direct => true,
            ConvForm::Tiled32 | ConvForm::Tiled64 | ConvForm::Tiled128 => {
                let (channels, pixels) = self.tile().expect("a tiled form has a tile");
                let out = |i: usize| conv_out(xs[i], ws[i], p.stride, p.padding).unwrap_or(0);
                ws[0] >= channels && out(2) * out(3) >= pixels
            }
            ConvForm::Narrow => ws[0] <= 8,
            ConvForm::Winograd2 => winograd_applies(gpu, xs, ws, p, Tile::Two),
            ConvForm::Winograd4 => winograd_applies(gpu, xs, ws, p, Tile::Four),
            ConvForm::WinogradK4 => winograd_applies(gpu, xs, ws, p, Tile::K4),
        }
    }
}

impl ConvForm {
    /// A tiled form's workgroup tile: (output channels, output pixels).
    /// The form applies where the convolution fills at least one tile along
    /// both: in a narrower layer most of each workgroup's work is padding.
    pub fn tile(self) -> Option<(usize, usize)> {
        // Each of the T x T invocations owns 4 * CQ channels x 4 pixels.
        self.tiled_launch().map(|(t, cq)| (4 * cq * t, 4 * t))
    }

    /// A tiled form's launch: (invocations per side of its square
    /// workgroup, vec4s of output channels per invocation).
    pub(crate) fn tiled_launch(self) -> Option<(usize, usize)> {
        match self {
            ConvForm::Tiled32 => Some((8, 1)),
            ConvForm::Tiled64 => Some((16, 1)),
            ConvForm::Tiled128 => Some((16, 2)),
            _ => None,
        }
    }
}
