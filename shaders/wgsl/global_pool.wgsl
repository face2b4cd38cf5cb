// Global average and max pooling over each (n, c) plane, and their input
// gradients (PyTorch adaptive_avg_pool2d / adaptive_max_pool2d with output
// size 1).
//
// x, dx: [N, C, H, W] f32, contiguous; y, dy: [N, C], one value per plane.
//
// global_avg_pool, global_max_pool, global_max_pool_backward_input: one
// workgroup of WG invocations per plane of HW = H*W values; each invocation
// reduces a strided slice of the plane, then a tree reduction in workgroup
// memory combines the WG partial results in a fixed order. The max keeps the
// lowest flat index among equal maxima, as PyTorch's CPU kernel does, and
// the max backward recomputes that index from x and writes the whole plane of
// dx: dy at the index, zero elsewhere.
// Dispatch: N*C workgroups, folded into (x, y) where that exceeds the
// per-dimension limit; the plane is wg.x + wg.y * num_workgroups.x.
//
// global_avg_pool_backward_input: one invocation per element of dx,
// dx = dy[plane] / HW. Dispatch: ceil(N*C*HW / WG) workgroups, folded like
// the above; the element is gid.x + gid.y * num_workgroups.x * WG.
//
// Bindings: 0 params (uniform), 1 x, 2 dy, 3 out (y or dx).
// WG is a power of two, at most 256 (WebGPU's default
// maxComputeInvocationsPerWorkgroup).
//
// Uses the tree sums of common/workgroup_sum.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    // N * C
    planes: u32,
    // H * W
    hw: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

var<workgroup> red_max: array<f32, 256>;
var<workgroup> red_arg: array<u32, 256>;

@compute @workgroup_size(WG)
fn global_avg_pool(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let base = plane * p.hw;
    var s = 0.0;
    for (var i = lid; i < p.hw; i += WG) {
        s += x[base + i];
    }
    red_f32[lid] = s;
    tree_sum_f32(lid, WG);
    if lid == 0u {
        out[plane] = red_f32[0] / f32(p.hw);
    }
}

// Whether (v, i) should replace (best, at) as the maximum: larger, or equal
// at a lower index.
fn beats(v: f32, i: u32, best: f32, at: u32) -> bool {
    return v > best || (v == best && i < at);
}

// The lowest flat index of the maximum of the plane at `base`, in every
// invocation of the workgroup (it has barriers).
fn plane_argmax(base: u32, lid: u32) -> u32 {
    // Each invocation scans its slice in increasing index order and keeps the
    // first maximum it sees; invocations with an empty slice hold index hw,
    // which loses every comparison.
    var best = x[base + min(lid, p.hw - 1u)];
    var at = select(p.hw, lid, lid < p.hw);
    for (var i = lid + WG; i < p.hw; i += WG) {
        let v = x[base + i];
        if v > best {
            best = v;
            at = i;
        }
    }
    red_max[lid] = best;
    red_arg[lid] = at;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
        if lid < k {
            let v = red_max[lid + k];
            let i = red_arg[lid + k];
            if i < p.hw && (red_arg[lid] >= p.hw || beats(v, i, red_max[lid], red_arg[lid])) {
                red_max[lid] = v;
                red_arg[lid] = i;
            }
        }
        workgroupBarrier();
    }
    return red_arg[0];
}

@compute @workgroup_size(WG)
fn global_max_pool(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let base = plane * p.hw;
    let at = plane_argmax(base, lid);
    if lid == 0u {
        out[plane] = x[base + at];
    }
}

@compute @workgroup_size(WG)
fn global_max_pool_backward_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let base = plane * p.hw;
    let at = plane_argmax(base, lid);
    let g = dy[plane];
    for (var i = lid; i < p.hw; i += WG) {
        out[base + i] = select(0.0, g, i == at);
    }
}

@compute @workgroup_size(WG)
fn global_avg_pool_backward_input(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.planes * p.hw {
        out[i] = dy[i / p.hw] / f32(p.hw);
    }
}
