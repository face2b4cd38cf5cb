//! Training as `trainer` and the browser both run it: the data order and
//! augmentation of the reference's data loaders, the learning-rate
//! schedule, the iteration itself ([`run::Run`]), checkpoints, and the
//! procedural demo domains. Nothing here touches files or a terminal.

pub mod checkpoint;
pub mod demo;
pub mod demo_blobs;
pub mod order;
pub mod run;
pub mod schedule;
pub mod transform;

pub use run::{Run, Schedule, Snapshot, Stepped};
