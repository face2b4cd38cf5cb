//! torch.save zip checkpoints, whole files: the zip container (central
//! directory, local headers, zip64, stored and deflated records, CRCs), then
//! the pickle and the tensors it points at.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaders::nn::io::pth;
use shaders::nn::io::weights::StateDict;

fuzz_target!(|data: &[u8]| {
    let _ = pth::read_state_dict(data);
    let _ = StateDict::load(data);
});
