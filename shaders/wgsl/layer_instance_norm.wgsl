// layer_instance_norm: the ILN / adaILN of U-GAT-IT,
//   out_in = (x - in_mean) / sqrt(in_var + eps)   per (n, c) plane
//   out_ln = (x - ln_mean) / sqrt(ln_var + eps)   per sample n, over (C, H, W)
//   y = act((rho[c] * out_in + (1 - rho[c]) * out_ln) * gamma + beta) + residual
// with UNBIASED variances (torch.var): the sum of squared deviations divided
// by M - 1, M = H * W for the instance statistics and C * H * W for the layer
// statistics. M = 1 divides 0 by 0 as torch.var does (NaN in PyTorch; WGSL
// leaves a float division by zero indeterminate, so it is NaN on IEEE devices).
//
// x, residual, y: [N, C, H, W] f32, contiguous; rho: [C]; gamma, beta: [C]
// when per_sample = 0 (ILN), [N, C] when per_sample = 1 (adaILN); residual is a
// dummy when has_residual = 0.
// partial: [N, C, 2], each plane's (mean, sum of squared deviations), written
// by layer_instance_norm_stats and read by layer_instance_norm.
// stats: [N, C + 1, 2]: row (n, c) for c < C is the plane's (in_mean, in_rstd),
// row (n, C) the sample's (ln_mean, ln_rstd), rstd = 1 / sqrt(var + eps).
//
// layer_instance_norm_stats: one workgroup of WG invocations per plane, the
// corrected two-pass reduction of instance_norm.wgsl: (1) the sum, reduced in
// workgroup memory to a first mean m0; (2) the sums of d = x - m0 and d^2;
// mean = m0 + sum(d)/M, M2 = sum(d^2) - sum(d)^2/M.
// layer_instance_norm: one workgroup per plane. It first combines the C
// partials of its sample into the layer statistics (every workgroup of the
// sample does the same fixed-order reduction, so they agree bit for bit):
// with d_j = mean_j - m0 (m0 = the mean of the plane means, computed first),
//   ln_mean = m0 + sum(d_j)/C,
//   ln_M2 = sum(M2_j) + M * (sum(d_j^2) - sum(d_j)^2 / C)
// (Chan et al.'s pairwise combination for equal counts), then writes the plane
// of y and its stats row; the c = 0 workgroup also writes the layer row.
//
// Dispatch: N*C workgroups for each entry point, folded into (x, y) where N*C
// exceeds the per-dimension limit; the plane is wg.x + wg.y * num_workgroups.x.
// Bindings: 0 params (uniform), 1 x, 2 rho, 3 gamma, 4 beta, 5 residual,
// 6 partial, 7 y, 8 stats. WG is a power of two, at most 256.
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
    // 1 when gamma and beta are [N, C], 0 when they are [C]
    per_sample: u32,
    has_residual: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh, 4 sigmoid
    act: u32,
    slope: f32,
    eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> rho: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(8) var<storage, read_write> stats: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn layer_instance_norm_stats(
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

    var acc = vec3<f32>(0.0);
    for (var i = lid; i < p.hw; i += WG) {
        let d = x[base + i] - m0;
        acc += vec3<f32>(d, d * d, 0.0);
    }
    red_vec3[lid] = acc;
    tree_sum_vec3(lid, WG);
    let t = red_vec3[0];
    if lid == 0u {
        let dm = t.x / count;
        partial[2u * plane] = m0 + dm;
        partial[2u * plane + 1u] = max(t.y - t.x * dm, 0.0);
    }
}

@compute @workgroup_size(WG)
fn layer_instance_norm(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let c = plane % p.channels;
    let first = plane - c;
    let channels = f32(p.channels);

    // Layer statistics of the sample from its C plane partials.
    var s = 0.0;
    for (var j = lid; j < p.channels; j += WG) {
        s += partial[2u * (first + j)];
    }
    red_f32[lid] = s;
    tree_sum_f32(lid, WG);
    let m0 = red_f32[0] / channels;
    var acc = vec3<f32>(0.0);
    for (var j = lid; j < p.channels; j += WG) {
        let d = partial[2u * (first + j)] - m0;
        acc += vec3<f32>(partial[2u * (first + j) + 1u], d, d * d);
    }
    red_vec3[lid] = acc;
    tree_sum_vec3(lid, WG);
    let t = red_vec3[0];
    let dm = t.y / channels;
    let ln_mean = m0 + dm;
    let ln_m2 = t.x + f32(p.hw) * max(t.z - t.y * dm, 0.0);
    let ln_rstd = inverseSqrt(ln_m2 / f32(p.channels * p.hw - 1u) + p.eps);

    let in_mean = partial[2u * plane];
    let in_rstd = inverseSqrt(partial[2u * plane + 1u] / f32(p.hw - 1u) + p.eps);

    let r = rho[c];
    let k = select(c, plane, p.per_sample != 0u);
    let g = gamma[k];
    let b = beta[k];
    let a_in = r * in_rstd;
    let a_ln = (1.0 - r) * ln_rstd;
    let base = plane * p.hw;
    for (var i = lid; i < p.hw; i += WG) {
        let v = x[base + i];
        let pre = (a_in * (v - in_mean) + a_ln * (v - ln_mean)) * g + b;
        var out = apply_activation(p.act, p.slope, pre);
        if p.has_residual != 0u {
            out += residual[base + i];
        }
        y[base + i] = out;
    }
    if lid == 0u {
        let n = plane / p.channels;
        let row = n * (p.channels + 1u);
        stats[2u * (row + c)] = in_mean;
        stats[2u * (row + c) + 1u] = in_rstd;
        if c == 0u {
            stats[2u * (row + p.channels)] = ln_mean;
            stats[2u * (row + p.channels) + 1u] = ln_rstd;
        }
    }
}
