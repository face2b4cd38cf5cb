//! CycleGAN's numerical work as hand-written WGSL compute kernels.
//!
//! Every kernel lives in `wgsl/` (one file per op family, valid WGSL on its
//! own) and is launched from `ops/`. Tensors are f32 NCHW storage buffers. Ops
//! record into the [`Gpu`]'s pending command list; nothing is submitted until
//! [`Gpu::flush`] or a readback, so a whole network pass becomes one command
//! buffer with one compute pass.
#![warn(missing_docs)]

mod context;
mod error;
mod pipeline;
mod tensor;
mod tune;

pub mod models;
pub mod nn;
pub mod ops;
pub mod train;
pub mod wgsl;

pub use context::{AdapterClass, BufferView, Gpu, GpuOptions, KernelTime, Tuning};
pub use error::{Error, Result};
pub use tensor::Tensor;
pub use wgpu;
