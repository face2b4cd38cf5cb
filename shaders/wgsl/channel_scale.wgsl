// Per-channel scaling (U-GAT-IT's class activation map weighting), the
// gradient of its weights, and the sum over channels (its heatmap).
//
// x, dy, y: [N, C, H, W] f32, contiguous; w, dw: [C]; channel_sum's out:
// [N, 1, H, W].
//
// channel_scale: one invocation per element, y = x * w[c].
// Dispatch: ceil(N*C*HW / WG) workgroups, folded into (x, y) where that
// exceeds the per-dimension limit of 65535; the element is
// gid.x + gid.y * num_workgroups.x * WG.
//
// channel_scale_backward_weight: one workgroup of WG invocations per channel
// c; each invocation sums dy * x over a strided slice of every sample's
// plane c, then a tree reduction in workgroup memory adds the WG partial
// sums in a fixed order. Dispatch: C workgroups, folded like the above; the
// channel is wg.x + wg.y * num_workgroups.x.
//
// channel_sum: one invocation per (n, h, w), adding the C channels in order.
// Dispatch: ceil(N*HW / WG) workgroups, folded like channel_scale.
//
// Bindings: 0 params (uniform), 1 x, 2 w or dy, 3 out.
// WG is a power of two, at most 256 (WebGPU's default
// maxComputeInvocationsPerWorkgroup).
//
// Uses the tree sums of common/workgroup_sum.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    n: u32,
    c: u32,
    // H * W
    hw: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn channel_scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.n * p.c * p.hw {
        out[i] = x[i] * b[(i / p.hw) % p.c];
    }
}

@compute @workgroup_size(WG)
fn channel_scale_backward_weight(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = wid.x + wid.y * nwg.x;
    if c >= p.c {
        return;
    }
    var s = 0.0;
    for (var n = 0u; n < p.n; n++) {
        let base = (n * p.c + c) * p.hw;
        for (var i = lid; i < p.hw; i += WG) {
            s += b[base + i] * x[base + i];
        }
    }
    red_f32[lid] = s;
    tree_sum_f32(lid, WG);
    if lid == 0u {
        out[c] = red_f32[0];
    }
}

@compute @workgroup_size(WG)
fn channel_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.n * p.hw {
        let n = i / p.hw;
        let j = i % p.hw;
        var s = 0.0;
        for (var c = 0u; c < p.c; c++) {
            s += x[(n * p.c + c) * p.hw + j];
        }
        out[i] = s;
    }
}
