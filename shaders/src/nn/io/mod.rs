//! Weight files: safetensors state_dicts and the reference's `torch.save` checkpoints.

pub mod format;
pub mod pth;
pub mod weights;
