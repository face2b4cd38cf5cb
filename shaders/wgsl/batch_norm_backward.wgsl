// batch_norm backward in training mode, per channel, from the forward's input
// x and its stats (mean, rstd), for y = act(xhat * gamma + beta) with
// xhat = (x - mean) * rstd and the statistics taken over the channel's
// n = N*H*W values.
//
// With g = dy * act'(pre), pre = xhat * gamma + beta recomputed exactly as
// the forward computes it (so the relu mask matches):
//   dx = gamma * rstd / n * (n * g - sum(g) - xhat * sum(g * xhat))
//   dgamma = sum(g * xhat), dbeta = sum(g)
// (gamma = 1, beta = 0 without affine).
//
// x, dy, dx: [N, C, H, W] f32, contiguous; stats: [C, 2], (mean, rstd);
// gamma, beta: [C] (dummies when has_affine = 0); sums: [C, 2], each
// channel's (sum(g * xhat), sum(g)), written for the affine gradients.
//
// batch_norm_backward_input: one workgroup of WG invocations per channel,
// visiting the channel's values in the fixed order i = lid, lid + WG, ... of
// the flat index i = s * HW + j (sample s, pixel j): a reduction pass (then a
// fixed-order tree in workgroup memory, so the result is deterministic) and an
// elementwise pass that writes dx. Dispatch: C workgroups, folded into (x, y);
// the channel is wg.x + wg.y * num_workgroups.x. WG is a power of two, at most
// 256.
//
// batch_norm_backward_weight / _bias: one invocation per channel copying
// sums[c, 0] / sums[c, 1] to dx[c] (as dgamma / dbeta, [C]).
// Dispatch: ceil(C / 64) workgroups.
//
// Bindings: 0 params (uniform), 1 x, 2 stats, 3 gamma, 4 beta, 5 dy, 6 dx,
// 7 sums.
//
// Uses the helpers of common/activation.wgsl and the tree sums of
// common/workgroup_sum.wgsl, which shaders/src/wgsl.rs puts in front of this
// text.

struct Params {
    batch: u32,
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

// Flat index into x / dy / dx of the channel's i-th value (i = s * HW + j).
fn element(c: u32, i: u32) -> u32 {
    let s = i / p.hw;
    return (s * p.channels + c) * p.hw + (i - s * p.hw);
}

@compute @workgroup_size(WG)
fn batch_norm_backward_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = wid.x + wid.y * nwg.x;
    if c >= p.channels {
        return;
    }
    let n = p.batch * p.hw;
    let mean = stats[2u * c];
    let rstd = stats[2u * c + 1u];
    var g = 1.0;
    var shift = 0.0;
    if p.has_affine != 0u {
        g = gamma[c];
        shift = beta[c];
    }
    // The forward's pre-activation is (x - mean) * (rstd * gamma) + beta.
    let scale = rstd * g;

    var acc = vec2<f32>(0.0);
    for (var i = lid; i < n; i += WG) {
        let e = element(c, i);
        let d = x[e] - mean;
        let gi = dy[e] * act_grad(d * scale + shift);
        acc += vec2<f32>(gi * (d * rstd), gi);
    }
    red_vec2[lid] = acc;
    tree_sum_vec2(lid, WG);
    let total = red_vec2[0];
    if lid == 0u {
        sums[2u * c] = total.x;
        sums[2u * c + 1u] = total.y;
    }
    let count = f32(n);
    let mean_gx = total.x / count;
    let mean_g = total.y / count;
    for (var i = lid; i < n; i += WG) {
        let e = element(c, i);
        let d = x[e] - mean;
        let gi = dy[e] * act_grad(d * scale + shift);
        dx[e] = scale * (gi - mean_g - (d * rstd) * mean_gx);
    }
}

@compute @workgroup_size(64)
fn batch_norm_backward_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if c < p.channels {
        dx[c] = sums[2u * c];
    }
}

@compute @workgroup_size(64)
fn batch_norm_backward_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if c < p.channels {
        dx[c] = sums[2u * c + 1u];
    }
}
