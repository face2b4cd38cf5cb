//! The WGSL sources, one per op family, and the helper files they share.
//!
//! WGSL has no include: a kernel file that uses shared helpers (the NaN-safe
//! tanh and the activation switch of `wgsl/common/activation.wgsl`, the
//! workgroup tree sums of `workgroup_sum.wgsl`, the hash of `pcg.wgsl`) names
//! them in the table below, and its [`Shader::source`] is the helpers' text
//! followed by the file's, concatenated at compile time. Each resulting
//! source is valid WGSL; the tests validate every one with naga.

/// One WGSL helper file under `wgsl/common/`: functions, constants and
/// workgroup arrays, no bindings and no entry points.
#[derive(Clone, Copy, Debug)]
pub struct Helper {
    /// File stem under `wgsl/common/`.
    pub name: &'static str,
    /// The WGSL text.
    pub source: &'static str,
}

/// One WGSL kernel source.
#[derive(Clone, Copy, Debug)]
pub struct Shader {
    /// File stem, also the shader module's label.
    pub name: &'static str,
    /// The complete WGSL text: the helpers in `helpers` order, then the file.
    pub source: &'static str,
    /// Names of the helper files ([`HELPERS`]) put in front of the file's own text.
    pub helpers: &'static [&'static str],
}

macro_rules! helpers {
    ($($id:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("`wgsl/common/", $name, ".wgsl`")]
            pub const $id: Helper =
                Helper { name: $name, source: include_str!(concat!("../wgsl/common/", $name, ".wgsl")) };
        )*
        /// Every helper file.
        pub const HELPERS: &[Helper] = &[$($id),*];
    };
}

macro_rules! shaders {
    ($($id:ident => $name:literal $(uses $hname:literal)*),* $(,)?) => {
        $(
            #[doc = concat!("`wgsl/", $name, ".wgsl`")]
            pub const $id: Shader = Shader {
                name: $name,
                source: concat!(
                    $(include_str!(concat!("../wgsl/common/", $hname, ".wgsl")),)*
                    include_str!(concat!("../wgsl/", $name, ".wgsl"))
                ),
                helpers: &[$($hname),*],
            };
        )*
        /// Every shader of the library.
        pub const ALL: &[Shader] = &[$($id),*];
    };
}

helpers! {
    ACTIVATION => "activation",
    PCG => "pcg",
    WORKGROUP_SUM => "workgroup_sum",
}

shaders! {
    CONV2D => "conv2d" uses "activation",
    CONV2D_WINOGRAD => "conv2d_winograd" uses "activation",
    ACTIVATION_BACKWARD => "activation_backward",
    INSTANCE_NORM_BACKWARD => "instance_norm_backward" uses "activation" uses "workgroup_sum",
    LOSS => "loss" uses "workgroup_sum",
    ADAM => "adam",
    INSTANCE_NORM => "instance_norm" uses "activation" uses "workgroup_sum",
    ELEMENTWISE => "elementwise" uses "activation",
    IMAGE => "image",
    CONV_TRANSPOSE2D => "conv_transpose2d" uses "activation",
    CONV_BACKWARD => "conv_backward",
    BATCH_NORM => "batch_norm" uses "activation" uses "workgroup_sum",
    BATCH_NORM_BACKWARD => "batch_norm_backward" uses "activation" uses "workgroup_sum",
    DROPOUT => "dropout" uses "pcg",
    CONCAT_CHANNELS => "concat_channels",
    RANDOM => "random" uses "pcg",
    AFFINE => "affine",
    LAYER_INSTANCE_NORM => "layer_instance_norm" uses "activation" uses "workgroup_sum",
    LAYER_INSTANCE_NORM_BACKWARD => "layer_instance_norm_backward" uses "activation" uses "workgroup_sum",
    SPECTRAL_NORM => "spectral_norm" uses "workgroup_sum",
    LINEAR => "linear" uses "activation" uses "workgroup_sum",
    GLOBAL_POOL => "global_pool" uses "workgroup_sum",
    CHANNEL_SCALE => "channel_scale" uses "workgroup_sum",
    UPSAMPLE => "upsample",
}
