//! Networks and their weights.

pub mod pth;
pub mod weights;
