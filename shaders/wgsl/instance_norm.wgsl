// instance_norm: y = act((x - mean) * rstd * gamma + beta) + residual, per
// (n, c) plane, with PyTorch InstanceNorm2d semantics (biased variance,
// rstd = 1 / sqrt(var + eps)).
//
// x, residual, y: [N, C, H, W] f32, contiguous; gamma, beta: [C] (dummies when
// has_affine = 0; residual is a dummy when has_residual = 0).
// stats: [N, C, 2], the plane's (mean, rstd), kept for the backward pass.
//
// One workgroup of WG invocations owns one plane of HW = H*W values and reads
// it three times with a strided loop: (1) the sum, reduced in workgroup memory
// to a first mean m0; (2) the sums of d = x - m0 and d^2, reduced together; the
// corrected two-pass formula mean = m0 + sum(d)/HW,
// var = (sum(d^2) - sum(d)^2/HW) / HW removes the rounding error of m0, so a
// large mean offset does not cancel the variance away; (3) the output.
//
// Dispatch: N*C workgroups, folded into (x, y) where N*C exceeds the
// per-dimension limit; the plane is wg.x + wg.y * num_workgroups.x.
// Bindings: 0 params (uniform), 1 x, 2 gamma, 3 beta, 4 residual, 5 y, 6 stats.
// WG is a power of two, at most 256 (WebGPU's default
// maxComputeInvocationsPerWorkgroup).
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
    has_residual: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh
    act: u32,
    slope: f32,
    eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

override WG: u32 = 256u;

fn activate(v: f32) -> f32 {
    return apply_activation(p.act, p.slope, v);
}

@compute @workgroup_size(WG)
fn instance_norm(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let base = plane * p.hw;
    let count = f32(p.hw);

    var s = 0.0;
    for (var i = lid; i < p.hw; i += WG) {
        s += x[base + i];
    }
    red_f32[lid] = s;
    tree_sum_f32(lid, WG);
    let m0 = red_f32[0] / count;

    var acc = vec2<f32>(0.0);
    for (var i = lid; i < p.hw; i += WG) {
        let d = x[base + i] - m0;
        acc += vec2<f32>(d, d * d);
    }
    red_vec2[lid] = acc;
    tree_sum_vec2(lid, WG);
    let t = red_vec2[0];
    let dm = t.x / count;
    let mean = m0 + dm;
    let variance = max((t.y - t.x * dm) / count, 0.0);
    let rstd = inverseSqrt(variance + p.eps);

    var scale = rstd;
    var shift = 0.0;
    if p.has_affine != 0u {
        let c = plane % p.channels;
        scale *= gamma[c];
        shift = beta[c];
    }
    for (var i = lid; i < p.hw; i += WG) {
        var v = activate((x[base + i] - mean) * scale + shift);
        if p.has_residual != 0u {
            v += residual[base + i];
        }
        y[base + i] = v;
    }
    if lid == 0u {
        stats[2u * plane] = mean;
        stats[2u * plane + 1u] = rstd;
    }
}
