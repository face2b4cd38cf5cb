//! Layers, networks, the training model interface, inference and weight
//! files, in levels: `io` (weight files) below `layers` (parameters, layers,
//! the optimizer) below `nets` (architectures and networks) below the model
//! interface and translation here. The models themselves are in `crate::models`.

pub mod gan_loss;
pub mod generator;
pub mod io;
pub mod layers;
pub mod model;
pub mod nets;
pub mod pool;
pub mod translate;
