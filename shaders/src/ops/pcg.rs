//! The host side of `wgsl/common/pcg.wgsl`: the PCG-RXS-M-XS 32-bit hash and
//! the keyed stream dropout and randn draw from, so that the host computes
//! the integers the kernels do.

/// The PCG-RXS-M-XS 32-bit hash.
pub(crate) fn pcg(v: u32) -> u32 {
    let state = v.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// The stream's key for a 64-bit seed: pcg(lo ^ pcg(hi)).
pub(crate) fn pcg_key(seed: u64) -> u32 {
    pcg(seed as u32 ^ pcg((seed >> 32) as u32))
}

/// The stream's 32-bit value for counter `j`: pcg(pcg(j) ^ key).
pub(crate) fn pcg_stream(key: u32, j: u32) -> u32 {
    pcg(pcg(j) ^ key)
}
