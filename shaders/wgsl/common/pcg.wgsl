// Counter-based random numbers for dropout.wgsl and random.wgsl: the
// PCG-RXS-M-XS 32-bit hash (Jarzynski and Olano, "Hash Functions for GPU
// Rendering", JCGT 2020) and the keyed stream both kernels draw from,
//   key  = pcg(seed_lo ^ pcg(seed_hi))
//   h(j) = pcg(pcg(j) ^ key)
// The Rust side (`shaders/src/ops/pcg.rs`, used by `ops::dropout_mask` and
// `ops::randn_host`) computes the same
// integers on the host.

fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// The stream's key for a 64-bit seed given as (lo, hi) halves.
fn pcg_key(seed_lo: u32, seed_hi: u32) -> u32 {
    return pcg(seed_lo ^ pcg(seed_hi));
}

// h(j): the stream's 32-bit value for counter j.
fn pcg_stream(key: u32, j: u32) -> u32 {
    return pcg(pcg(j) ^ key);
}
