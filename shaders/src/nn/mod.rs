//! Networks and their weights.

pub mod cyclegan;
pub mod discriminator;
pub mod generator;
pub mod params;
pub mod pth;
pub mod translate;
pub mod weights;
