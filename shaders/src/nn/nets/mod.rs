//! Networks: architectures (the reference's generators and discriminators),
//! their compositions of layers, U-GAT-IT's networks, and the mapping of
//! other code bases' state_dicts onto them.

pub mod arch;
pub mod network;
pub mod remap;
pub mod ugatit;
