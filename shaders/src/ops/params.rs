//! The kernels' uniform parameter structs and their layouts.
//!
//! Every kernel reads its parameters from one WGSL uniform struct, filled
//! from a `#[repr(C)]` [`bytemuck::Pod`] Rust struct. Each such struct is
//! defined with [`params!`], which also records its fields' names, offsets
//! and sizes; [`PARAMS_LAYOUTS`](super::PARAMS_LAYOUTS) lists them all with the shader and WGSL
//! struct they mirror, and a test compares each with the layout naga gives
//! the WGSL struct.

/// One field of a parameter struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamsField {
    /// The field's name, the same as the WGSL member's.
    pub name: &'static str,
    /// The Rust type as written (`u32`, `f32`).
    pub ty: &'static str,
    /// Byte offset from the start of the struct.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
}

/// The layout of the Rust struct that fills one shader's uniform parameters.
#[derive(Clone, Copy, Debug)]
pub struct ParamsLayout {
    /// The shader ([`crate::wgsl::Shader::name`]) whose uniform it fills.
    pub shader: &'static str,
    /// The WGSL struct type of that uniform.
    pub wgsl_type: &'static str,
    /// The Rust type's path.
    pub rust_type: &'static str,
    /// `size_of` the Rust struct.
    pub size: usize,
    /// The fields in declaration order.
    pub fields: &'static [ParamsField],
}

/// Defines a kernel's parameter struct, `#[repr(C)]` and `Pod`, and its
/// `LAYOUT` constant:
///
/// ```ignore
/// params! {
///     pub(super) struct Params for wgsl::ADAM as "Params" { len: u32, eps: f32 }
/// }
/// ```
///
/// names the shader whose uniform the struct fills and the WGSL struct type
/// it mirrors; the struct must also be listed in [`PARAMS_LAYOUTS`](super::PARAMS_LAYOUTS).
macro_rules! params {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident for $shader:path as $wgsl:literal {
            $($(#[$fattr:meta])* $fvis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name {
            $($(#[$fattr])* $fvis $field: $ty),*
        }

        impl $name {
            /// This struct's layout, which a test compares with its WGSL twin's
            /// (unused, and so warned about, until listed in `PARAMS_LAYOUTS`).
            pub(crate) const LAYOUT: $crate::ops::params::ParamsLayout = $crate::ops::params::ParamsLayout {
                shader: $shader.name,
                wgsl_type: $wgsl,
                rust_type: concat!(module_path!(), "::", stringify!($name)),
                size: ::core::mem::size_of::<$name>(),
                fields: &[$($crate::ops::params::ParamsField {
                    name: stringify!($field),
                    ty: stringify!($ty),
                    offset: ::core::mem::offset_of!($name, $field),
                    size: ::core::mem::size_of::<$ty>(),
                }),*],
            };
        }
    };
}
pub(crate) use params;
