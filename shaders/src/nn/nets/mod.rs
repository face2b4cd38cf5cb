//! Networks: architectures (the reference's generators and discriminators),
//! their compositions of layers, and the mapping of other code bases'
//! state_dicts onto them. A model with networks of its own keeps them in its
//! folder (`models/ugatit/nets.rs`).

pub mod arch;
pub mod network;
pub mod remap;
