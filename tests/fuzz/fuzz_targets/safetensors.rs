//! safetensors: any bytes load or fail with an error, and whatever loads
//! writes back to a file that loads to the same state_dict.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaders::nn::io::weights::StateDict;

fuzz_target!(|data: &[u8]| {
    if let Ok(sd) = StateDict::from_safetensors(data) {
        let bytes = sd.to_safetensors();
        let back = StateDict::from_safetensors(&bytes).expect("a written file loads");
        assert!(back == sd, "the round trip changed the state_dict");
        assert_eq!(back.to_safetensors(), bytes, "writing is deterministic");
    }
});
