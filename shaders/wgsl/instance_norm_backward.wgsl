// instance_norm backward, per (n, c) plane, from the forward's input x and
// its stats (mean, rstd), for y = act(xhat * gamma + beta) (+ residual) with
// xhat = (x - mean) * rstd. The residual's gradient is dy itself.
//
// With g = dy * act'(pre), pre = xhat * gamma + beta recomputed exactly as
// the forward computes it (so the relu mask matches), and HW = H * W:
//   dx = rstd * gamma * (g - sum(g) / HW - xhat * sum(g * xhat) / HW)
// which is rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) with
// dxhat = g * gamma; dgamma = sum over n of sum(g * xhat), dbeta = sum over n
// of sum(g).
//
// x, dy, dx: [N, C, H, W] f32, contiguous; stats: [N, C, 2], (mean, rstd);
// gamma, beta: [C] (dummies when has_affine = 0); sums: [N, C, 2], each
// plane's (sum(g), sum(g * xhat)), written for the affine gradients.
//
// instance_norm_backward_input: one workgroup of WG invocations per plane,
// a reduction pass (strided loop, then a fixed-order tree in workgroup memory,
// so the result is deterministic) and an elementwise pass that writes dx.
// Dispatch: N*C workgroups, folded into (x, y); the plane is
// wg.x + wg.y * num_workgroups.x. WG is a power of two, at most 256.
//
// instance_norm_backward_weight / _bias: one invocation per channel summing
// sums[n, c, 1] / sums[n, c, 0] over n in order into dx (as dgamma / dbeta,
// [C]). Dispatch: ceil(C / 64) workgroups.
//
// Bindings: 0 params (uniform), 1 x, 2 stats, 3 gamma, 4 beta, 5 dy, 6 dx,
// 7 sums.
//
// Uses the helpers of common/activation.wgsl and the tree sums of
// common/workgroup_sum.wgsl, which shaders/src/wgsl.rs puts in front of this
// text.

struct Params {
    // N * C
    planes: u32,
    channels: u32,
    // H * W
    hw: u32,
    has_affine: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> sums: array<f32>;

override WG: u32 = 256u;

// d act / d pre at `pre`.
fn act_grad(pre: f32) -> f32 {
    return activation_grad(p.act, p.slope, pre);
}

@compute @workgroup_size(WG)
fn instance_norm_backward_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let base = plane * p.hw;
    let mean = stats[2u * plane];
    let rstd = stats[2u * plane + 1u];
    var g = 1.0;
    var shift = 0.0;
    if p.has_affine != 0u {
        let c = plane % p.channels;
        g = gamma[c];
        shift = beta[c];
    }
    // The forward's pre-activation is (x - mean) * (rstd * gamma) + beta.
    let scale = rstd * g;

    var acc = vec2<f32>(0.0);
    for (var i = lid; i < p.hw; i += WG) {
        let d = x[base + i] - mean;
        let gi = dy[base + i] * act_grad(d * scale + shift);
        acc += vec2<f32>(gi, gi * (d * rstd));
    }
    red_vec2[lid] = acc;
    tree_sum_vec2(lid, WG);
    let total = red_vec2[0];
    if lid == 0u {
        sums[2u * plane] = total.x;
        sums[2u * plane + 1u] = total.y;
    }
    let count = f32(p.hw);
    let mean_g = total.x / count;
    let mean_gx = total.y / count;
    for (var i = lid; i < p.hw; i += WG) {
        let d = x[base + i] - mean;
        let gi = dy[base + i] * act_grad(d * scale + shift);
        dx[base + i] = scale * (gi - mean_g - (d * rstd) * mean_gx);
    }
}

// Sums column `col` of sums [N, C, 2] over n into dx[c].
fn sum_over_batch(c: u32, col: u32) {
    if c >= p.channels {
        return;
    }
    var s = 0.0;
    for (var plane = c; plane < p.planes; plane += p.channels) {
        s += sums[2u * plane + col];
    }
    dx[c] = s;
}

@compute @workgroup_size(64)
fn instance_norm_backward_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    sum_over_batch(gid.x, 1u);
}

@compute @workgroup_size(64)
fn instance_norm_backward_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    sum_over_batch(gid.x, 0u);
}
