//! Layers, networks, the training model interface and weight files (the models themselves are in `crate::models`).

pub mod arch;
pub mod arena;
pub mod gan_loss;
pub mod layers;
pub mod model;
pub mod network;
pub mod optim;
pub mod params;
pub mod pool;
pub mod pth;
pub mod remap;
pub mod translate;
pub mod ugatit_nets;
pub mod weights;
