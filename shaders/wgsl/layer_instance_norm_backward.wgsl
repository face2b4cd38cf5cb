// layer_instance_norm backward (ILN / adaILN of U-GAT-IT), from the forward's
// input x, its stats and dy = dL/dy. The residual's gradient is dy itself.
//
// Per element of plane (n, c), with the forward's statistics (stats rows
// (n, c) = (in_mean, in_rstd) and (n, C) = (ln_mean, ln_rstd)):
//   z_in = (x - in_mean) * in_rstd, z_ln = (x - ln_mean) * ln_rstd,
//   pre = (rho * in_rstd * (x - in_mean) + (1 - rho) * ln_rstd * (x - ln_mean))
//         * gamma + beta, recomputed exactly as the forward computes it (so a
//         relu mask matches), and g = dy * act'(pre).
// Plane sums (layer_instance_norm_backward_sums), M = H * W:
//   S1 = sum(g), S2 = sum(g * z_in), S3 = sum(g * z_ln).
// A normalisation z = (x - mean) * rstd with the unbiased variance
// (d var / d x_i = 2 (x_i - mean) / (M - 1)) and upstream gradient d has
//   dx_i = rstd * (d_i - sum(d) / M - z_i * sum(d * z) / (M - 1)).
// The instance path has d = g * gamma * rho within the plane; the layer path
// d = g * gamma_c * (1 - rho_c) over the sample's C * H * W values, whose sums
// are L1 = sum_c gamma_c (1 - rho_c) S1_c and L2 = sum_c gamma_c (1 - rho_c) S3_c
// (layer_instance_norm_backward; ML = C * M):
//   dx = in_rstd * gamma * rho * (g - S1 / M - z_in * S2 / (M - 1))
//      + ln_rstd * (gamma * (1 - rho) * g - L1 / ML - z_ln * L2 / (ML - 1)).
// Parameter gradients (layer_instance_norm_backward_params), per plane
//   drho part = gamma * (S2 - S3), dgamma part = rho * S2 + (1 - rho) * S3,
//   dbeta part = S1,
// summed over n in order for drho, and for dgamma and dbeta when they are
// shared ([C]); per-sample ([N, C]) gamma and beta get the plane's part.
//
// x, dy, dx: [N, C, H, W] f32, contiguous; stats: [N, C + 1, 2]; rho: [C];
// gamma, beta: [C] (per_sample = 0) or [N, C] (per_sample = 1);
// sums: [N, C, 3], each plane's (S1, S2, S3); drho: [C]; dgamma, dbeta:
// gamma's length.
//
// layer_instance_norm_backward_sums and layer_instance_norm_backward: one
// workgroup of WG invocations per plane (strided loops, then fixed-order
// trees in workgroup memory, so results are deterministic; every workgroup of
// a sample reduces L1, L2 in the same order). Dispatch: N*C workgroups, folded
// into (x, y); the plane is wg.x + wg.y * num_workgroups.x. WG is a power of
// two, at most 256.
// layer_instance_norm_backward_params: one invocation per channel c.
// Dispatch: ceil(C / 64) workgroups of 64, folded into (x, y).
//
// Bindings: 0 params (uniform), 1 x, 2 stats, 3 dy, 4 rho, 5 gamma, 6 beta,
// 7 sums, 8 dx, 9 drho, 10 dgamma, 11 dbeta (each entry point uses at most 8
// storage buffers).
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
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh, 4 sigmoid
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> rho: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> sums: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;
@group(0) @binding(9) var<storage, read_write> drho: array<f32>;
@group(0) @binding(10) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(11) var<storage, read_write> dbeta: array<f32>;

override WG: u32 = 256u;

// The forward's per-plane constants.
struct Plane {
    in_mean: f32,
    in_rstd: f32,
    ln_mean: f32,
    ln_rstd: f32,
    rho: f32,
    gamma: f32,
    beta: f32,
}

fn plane_of(plane: u32) -> Plane {
    let c = plane % p.channels;
    let row = (plane / p.channels) * (p.channels + 1u);
    let k = select(c, plane, p.per_sample != 0u);
    return Plane(
        stats[2u * (row + c)],
        stats[2u * (row + c) + 1u],
        stats[2u * (row + p.channels)],
        stats[2u * (row + p.channels) + 1u],
        rho[c],
        gamma[k],
        beta[k],
    );
}

// (g, z_in, z_ln) of element value v of a plane with constants q.
fn grad_terms(q: Plane, v: f32, dyv: f32) -> vec3<f32> {
    let a_in = q.rho * q.in_rstd;
    let a_ln = (1.0 - q.rho) * q.ln_rstd;
    let pre = (a_in * (v - q.in_mean) + a_ln * (v - q.ln_mean)) * q.gamma + q.beta;
    let g = dyv * activation_grad(p.act, p.slope, pre);
    return vec3<f32>(g, (v - q.in_mean) * q.in_rstd, (v - q.ln_mean) * q.ln_rstd);
}

@compute @workgroup_size(WG)
fn layer_instance_norm_backward_sums(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let plane = wid.x + wid.y * nwg.x;
    if plane >= p.planes {
        return;
    }
    let q = plane_of(plane);
    let base = plane * p.hw;
    var acc = vec3<f32>(0.0);
    for (var i = lid; i < p.hw; i += WG) {
        let t = grad_terms(q, x[base + i], dy[base + i]);
        acc += vec3<f32>(t.x, t.x * t.y, t.x * t.z);
    }
    red_vec3[lid] = acc;
    tree_sum_vec3(lid, WG);
    if lid == 0u {
        let s = red_vec3[0];
        sums[3u * plane] = s.x;
        sums[3u * plane + 1u] = s.y;
        sums[3u * plane + 2u] = s.z;
    }
}

@compute @workgroup_size(WG)
fn layer_instance_norm_backward(
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
    // L1, L2 over the sample's planes.
    var acc = vec3<f32>(0.0);
    for (var j = lid; j < p.channels; j += WG) {
        let k = select(j, first + j, p.per_sample != 0u);
        let wj = gamma[k] * (1.0 - rho[j]);
        acc += vec3<f32>(wj * sums[3u * (first + j)], wj * sums[3u * (first + j) + 2u], 0.0);
    }
    red_vec3[lid] = acc;
    tree_sum_vec3(lid, WG);
    let l = red_vec3[0];

    let q = plane_of(plane);
    let m = f32(p.hw);
    let ml = f32(p.channels * p.hw);
    let s1 = sums[3u * plane];
    let s2 = sums[3u * plane + 1u];
    let a_in = q.in_rstd * q.gamma * q.rho;
    let c_in = s1 / m;
    let k_in = s2 / (m - 1.0);
    let w_ln = q.gamma * (1.0 - q.rho);
    let c_ln = l.x / ml;
    let k_ln = l.y / (ml - 1.0);
    let base = plane * p.hw;
    for (var i = lid; i < p.hw; i += WG) {
        let t = grad_terms(q, x[base + i], dy[base + i]);
        dx[base + i] = a_in * (t.x - c_in - t.y * k_in) + q.ln_rstd * (w_ln * t.x - c_ln - t.z * k_ln);
    }
}

@compute @workgroup_size(64)
fn layer_instance_norm_backward_params(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let c = gid.x + gid.y * nwg.x * 64u;
    if c >= p.channels {
        return;
    }
    let r = rho[c];
    var dr = 0.0;
    var dg = 0.0;
    var db = 0.0;
    for (var plane = c; plane < p.planes; plane += p.channels) {
        let k = select(c, plane, p.per_sample != 0u);
        let s1 = sums[3u * plane];
        let s2 = sums[3u * plane + 1u];
        let s3 = sums[3u * plane + 2u];
        dr += gamma[k] * (s2 - s3);
        let gp = r * s2 + (1.0 - r) * s3;
        if p.per_sample != 0u {
            dgamma[plane] = gp;
            dbeta[plane] = s1;
        } else {
            dg += gp;
            db += s1;
        }
    }
    drho[c] = dr;
    if p.per_sample == 0u {
        dgamma[c] = dg;
        dbeta[c] = db;
    }
}
