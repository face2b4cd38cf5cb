// randn: y[i] ~ N(0, 1), a counter-based function of (seed, i), so a tensor
// of latents is a pure function of the seed on every adapter (up to the
// precision of log, sqrt and cos) and needs no state.
//
//   key   = pcg(seed_lo ^ pcg(seed_hi))
//   h(j)  = pcg(pcg(j) ^ key)
//   u1    = ((h(2i) >> 8) + 1) / 2^24        in (0, 1]
//   u2    = (h(2i + 1) >> 8) / 2^24          in [0, 1)
//   y[i]  = sqrt(-2 ln u1) * cos(2 pi u2)    (Box-Muller)
// pcg is the PCG-RXS-M-XS 32-bit hash of common/pcg.wgsl (Jarzynski and
// Olano, "Hash Functions for GPU Rendering", JCGT 2020); `ops::randn_host`
// computes the same values in f64. u1 > 0, so the logarithm is finite and
// |y| <= sqrt(2 ln 2^24) ~ 5.77.
//
// One invocation per element. Dispatch: ceil(len / WG) workgroups, folded
// into (x, y) where that exceeds the per-dimension limit; the element is
// gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 y.
//
// Uses pcg_key and pcg_stream of common/pcg.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    len: u32,
    seed_lo: u32,
    seed_hi: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;

const TAU: f32 = 6.283185307179586;
const INV_2_24: f32 = 5.9604644775390625e-8;

@compute @workgroup_size(WG)
fn randn(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.len {
        return;
    }
    let key = pcg_key(p.seed_lo, p.seed_hi);
    let u1 = f32((pcg_stream(key, 2u * i) >> 8u) + 1u) * INV_2_24;
    let u2 = f32(pcg_stream(key, 2u * i + 1u) >> 8u) * INV_2_24;
    y[i] = sqrt(-2.0 * log(u1)) * cos(TAU * u2);
}
