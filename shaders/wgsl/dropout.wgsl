// dropout: y = x * scale where keep(i), else 0, with a counter-based random
// mask, so no mask is stored: the backward recomputes it from the seed.
// dropout_backward_input: dx = dy * scale where keep(i), else 0 (the same
// mask for the same seed and p).
//
//   key     = pcg(seed_lo ^ pcg(seed_hi))
//   h(i)    = pcg(pcg(i) ^ key)          (i = flat element index)
//   keep(i) = (h(i) >> 8) >= threshold
// pcg is the PCG-RXS-M-XS 32-bit hash (Jarzynski and Olano, "Hash Functions
// for GPU Rendering", JCGT 2020). h >> 8 is a uniform 24-bit integer k, so
// k / 2^24 is uniform in [0, 1); threshold = ceil(p * 2^24) makes keep(i)
// exactly k / 2^24 >= p, in integers, so the host function
// `ops::dropout_mask` reproduces every mask bit. scale = 1 / (1 - p)
// (0 when p = 1).
//
// One invocation per element. Dispatch: ceil(len / WG) workgroups, folded
// into (x, y) where that exceeds the per-dimension limit; the element is
// gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 a (x or dy), 2 y (y or dx).
//
// Uses pcg, pcg_key and pcg_stream of common/pcg.wgsl, which
// shaders/src/wgsl.rs puts in front of this text.

struct Params {
    len: u32,
    threshold: u32,
    seed_lo: u32,
    seed_hi: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;

// a[i] * scale if element i is kept, else 0.
fn masked(i: u32) -> f32 {
    let h = pcg_stream(pcg_key(p.seed_lo, p.seed_hi), i);
    return select(0.0, a[i] * p.scale, (h >> 8u) >= p.threshold);
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.len {
        y[i] = masked(i);
    }
}

@compute @workgroup_size(WG)
fn dropout_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.len {
        y[i] = masked(i);
    }
}
