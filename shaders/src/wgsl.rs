//! The WGSL sources, one per op family, each valid WGSL on its own.

/// One WGSL source file.
#[derive(Clone, Copy, Debug)]
pub struct Shader {
    /// File stem, also the shader module's label.
    pub name: &'static str,
    /// The WGSL text.
    pub source: &'static str,
}

macro_rules! shaders {
    ($($id:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("`wgsl/", $name, ".wgsl`")]
            pub const $id: Shader = Shader { name: $name, source: include_str!(concat!("../wgsl/", $name, ".wgsl")) };
        )*
        /// Every shader of the library.
        pub const ALL: &[Shader] = &[$($id),*];
    };
}

shaders! {
    CONV2D => "conv2d",
    ACTIVATION_BACKWARD => "activation_backward",
    INSTANCE_NORM_BACKWARD => "instance_norm_backward",
    LOSS => "loss",
    ADAM => "adam",
    INSTANCE_NORM => "instance_norm",
    ELEMENTWISE => "elementwise",
    IMAGE => "image",
    CONV_TRANSPOSE2D => "conv_transpose2d",
    CONV_BACKWARD => "conv_backward",
    BATCH_NORM => "batch_norm",
    BATCH_NORM_BACKWARD => "batch_norm_backward",
    DROPOUT => "dropout",
    CONCAT_CHANNELS => "concat_channels",
    RANDOM => "random",
    AFFINE => "affine",
}
