// batch_norm: y = act((x - mean) * rstd * gamma + beta) per channel, with
// PyTorch BatchNorm2d semantics. Training (training = 1): mean and the biased
// variance over the channel's n = N*H*W values, rstd = 1 / sqrt(var + eps);
// with has_running = 1 the running statistics are updated in place as PyTorch
// does: running_mean = (1 - momentum) * running_mean + momentum * mean,
// running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
// (`unbias` carries n / (n - 1)). Eval (training = 0): mean = running_mean,
// rstd = 1 / sqrt(running_var + eps), running statistics untouched.
//
// x, y: [N, C, H, W] f32, contiguous; gamma, beta: [C] (dummies when
// has_affine = 0); running_mean, running_var: [C] (dummies when
// has_running = 0, which only training allows);
// stats: [C, 2], the channel's (mean, rstd) used, kept for the backward pass.
//
// One workgroup of WG invocations owns one channel and visits its n values in
// the fixed order i = lid, lid + WG, ... of the flat index i = s * HW + j
// (sample s, pixel j). Training reads them three times: (1) the sum, reduced
// in workgroup memory to a first mean m0; (2) the sums of d = x - m0 and d^2,
// reduced together; the corrected two-pass formula mean = m0 + sum(d)/n,
// var = (sum(d^2) - sum(d)^2/n) / n removes the rounding error of m0, so a
// large mean offset does not cancel the variance away; (3) the output. Every
// reduction is a fixed-order tree, so results are deterministic.
//
// Dispatch: C workgroups, folded into (x, y) where C exceeds the
// per-dimension limit; the channel is wg.x + wg.y * num_workgroups.x.
// Bindings: 0 params (uniform), 1 x, 2 gamma, 3 beta, 4 running_mean,
// 5 running_var, 6 y, 7 stats.
// WG is a power of two, at most 256 (WebGPU's default
// maxComputeInvocationsPerWorkgroup).
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
    has_running: u32,
    training: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh
    act: u32,
    slope: f32,
    eps: f32,
    momentum: f32,
    // n / (n - 1), n = N * H * W (training only)
    unbias: f32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;

override WG: u32 = 256u;

fn activate(v: f32) -> f32 {
    return apply_activation(p.act, p.slope, v);
}

// Flat index into x / y of the channel's i-th value (i = s * HW + j).
fn element(c: u32, i: u32) -> u32 {
    let s = i / p.hw;
    return (s * p.channels + c) * p.hw + (i - s * p.hw);
}

@compute @workgroup_size(WG)
fn batch_norm(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = wid.x + wid.y * nwg.x;
    if c >= p.channels {
        return;
    }
    let n = p.batch * p.hw;

    var mean: f32;
    var rstd: f32;
    if p.training != 0u {
        let count = f32(n);
        var s = 0.0;
        for (var i = lid; i < n; i += WG) {
            s += x[element(c, i)];
        }
        red_f32[lid] = s;
        tree_sum_f32(lid, WG);
        let m0 = red_f32[0] / count;

        var acc = vec2<f32>(0.0);
        for (var i = lid; i < n; i += WG) {
            let d = x[element(c, i)] - m0;
            acc += vec2<f32>(d, d * d);
        }
        red_vec2[lid] = acc;
        tree_sum_vec2(lid, WG);
        let t = red_vec2[0];
        let dm = t.x / count;
        mean = m0 + dm;
        let variance = max((t.y - t.x * dm) / count, 0.0);
        rstd = inverseSqrt(variance + p.eps);
        if p.has_running != 0u && lid == 0u {
            let m = p.momentum;
            running_mean[c] = (1.0 - m) * running_mean[c] + m * mean;
            running_var[c] = (1.0 - m) * running_var[c] + m * (variance * p.unbias);
        }
    } else {
        mean = running_mean[c];
        rstd = inverseSqrt(running_var[c] + p.eps);
    }

    var scale = rstd;
    var shift = 0.0;
    if p.has_affine != 0u {
        scale *= gamma[c];
        shift = beta[c];
    }
    for (var i = lid; i < n; i += WG) {
        let e = element(c, i);
        y[e] = activate((x[e] - mean) * scale + shift);
    }
    if lid == 0u {
        stats[2u * c] = mean;
        stats[2u * c + 1u] = rstd;
    }
}
