//! The geometry of a 2-D convolution, which every form and its tuning share:
//! padding, stride and epilogue, and output sizes.

use crate::ops::launch::Activation;

/// How a convolution pads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Padding {
    /// Zeros outside the image.
    #[default]
    Zero,
    /// Mirror without repeating the edge (PyTorch's ReflectionPad2d).
    Reflect,
}

/// Geometry and epilogue of a convolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dParams {
    /// Stride along both axes.
    pub stride: usize,
    /// Padding on every side.
    pub padding: usize,
    /// Zero or reflect padding.
    pub padding_mode: Padding,
    /// Activation applied after the bias.
    pub activation: Activation,
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Conv2dParams { stride: 1, padding: 0, padding_mode: Padding::Zero, activation: Activation::None }
    }
}

/// Output size of a convolution along one axis, or `None` if the kernel does
/// not fit.
pub(crate) fn conv_out(size: usize, k: usize, stride: usize, pad: usize) -> Option<usize> {
    (size + 2 * pad).checked_sub(k).map(|r| r / stride + 1)
}
