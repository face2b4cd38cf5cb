// spectral_norm: torch.nn.utils.spectral_norm's training-mode forward on the
// weight matrix W = weight.reshape(O, -1), [O, K] row-major, and its
// gradient with u, v held constant (PyTorch runs the power iteration under
// no_grad):
//   v' = normalize(W^T u), u' = normalize(W v'), normalize(t) = t / max(|t|, 1e-12)
//   sigma = u' . (W v'), w_sn = W / sigma
//   dW = (G - <G, w_sn> u v^T) / sigma, G = dL/dw_sn.
//
// Entry points (one dispatch each; a is binding 2, b binding 3):
// spectral_norm_wt_u: out[k] = sum_o W[o, k] a[o] (a = u, out [K]). A
//   workgroup is 64 columns x 4 row slices: adjacent invocations read adjacent
//   columns of a row (coalesced), each slice loops over rows o = slice mod 4,
//   and the 4 slice sums are added in workgroup memory in a fixed order.
//   Dispatch: ceil(K / 64) workgroups, folded into (x, y).
// spectral_norm_w_v: out[o] = sum_k W[o, k] a[k] (a = v, out [O]). One
//   workgroup of WG invocations per row: a strided loop, then a tree in
//   workgroup memory. Dispatch: O workgroups, folded into (x, y).
// spectral_norm_normalize: one workgroup of 256. With normalize = 1,
//   out = a / max(|a|, 1e-12); with normalize = 0, out = b (a copy). With
//   has_sigma = 1 it also writes scalar[0] = out . a (sigma, for a = W v).
//   rows is the vectors' length.
// spectral_norm_scale: out[i] = W[i] / sigma_in[0] for the O * K values.
//   Dispatch: ceil(O * K / 256) workgroups of 256, folded into (x, y).
// spectral_norm_backward_rows: out[o] = sum_k G[o, k] W[o, k] (W = w_sn),
//   one workgroup per row as spectral_norm_w_v.
// spectral_norm_backward_sum: scalar[0] = sum of a[0..rows], one workgroup.
// spectral_norm_backward: out[o, k] = (G[o, k] - dot_in[0] * a[o] * b[k]) /
//   sigma_in[0] (a = u, b = v), elementwise as spectral_norm_scale.
//
// Bindings: 0 params (uniform), 1 w, 2 a, 3 b, 4 sigma_in, 5 out, 6 scalar,
// 7 g, 8 dot_in; each entry point uses only some of them.
// WG is a power of two, at most 256.
//
// Uses the tree sums of common/workgroup_sum.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    // O
    rows: u32,
    // K
    cols: u32,
    normalize: u32,
    has_sigma: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> sigma_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> scalar: array<f32>;
@group(0) @binding(7) var<storage, read> g: array<f32>;
@group(0) @binding(8) var<storage, read> dot_in: array<f32>;

override WG: u32 = 256u;

const EPS: f32 = 1e-12;

@compute @workgroup_size(64, 4)
fn spectral_norm_wt_u(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let col = (wid.x + wid.y * nwg.x) * 64u + lid.x;
    var s = 0.0;
    if col < p.cols {
        for (var o = lid.y; o < p.rows; o += 4u) {
            s += w[o * p.cols + col] * a[o];
        }
    }
    red_f32[lid.y * 64u + lid.x] = s;
    workgroupBarrier();
    if lid.y == 0u && col < p.cols {
        out[col] = (red_f32[lid.x] + red_f32[64u + lid.x]) + (red_f32[128u + lid.x] + red_f32[192u + lid.x]);
    }
}

// red_f32[0] = sum over the workgroup's WG invocations of s, in a fixed order.
fn workgroup_total(lid: u32, s: f32) -> f32 {
    red_f32[lid] = s;
    tree_sum_f32(lid, WG);
    return red_f32[0];
}

@compute @workgroup_size(WG)
fn spectral_norm_w_v(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = wid.x + wid.y * nwg.x;
    if row >= p.rows {
        return;
    }
    let base = row * p.cols;
    var acc = 0.0;
    for (var k = lid; k < p.cols; k += WG) {
        acc += w[base + k] * a[k];
    }
    let s = workgroup_total(lid, acc);
    if lid == 0u {
        out[row] = s;
    }
}

@compute @workgroup_size(WG)
fn spectral_norm_backward_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = wid.x + wid.y * nwg.x;
    if row >= p.rows {
        return;
    }
    let base = row * p.cols;
    var acc = 0.0;
    for (var k = lid; k < p.cols; k += WG) {
        acc += w[base + k] * g[base + k];
    }
    let s = workgroup_total(lid, acc);
    if lid == 0u {
        out[row] = s;
    }
}

@compute @workgroup_size(256)
fn spectral_norm_normalize(@builtin(local_invocation_index) lid: u32) {
    var scale = 1.0;
    if p.normalize != 0u {
        var s = 0.0;
        for (var i = lid; i < p.rows; i += 256u) {
            s += a[i] * a[i];
        }
        red_f32[lid] = s;
        tree_sum_f32(lid, 256u);
        scale = max(sqrt(red_f32[0]), EPS);
        workgroupBarrier();
    }
    var d = 0.0;
    for (var i = lid; i < p.rows; i += 256u) {
        var v: f32;
        if p.normalize != 0u {
            v = a[i] / scale;
        } else {
            v = b[i];
        }
        out[i] = v;
        d += v * a[i];
    }
    if p.has_sigma != 0u {
        red_f32[lid] = d;
        tree_sum_f32(lid, 256u);
        if lid == 0u {
            scalar[0] = red_f32[0];
        }
    }
}

@compute @workgroup_size(256)
fn spectral_norm_backward_sum(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = lid; i < p.rows; i += 256u) {
        s += a[i];
    }
    red_f32[lid] = s;
    tree_sum_f32(lid, 256u);
    if lid == 0u {
        scalar[0] = red_f32[0];
    }
}

@compute @workgroup_size(256)
fn spectral_norm_scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if i < p.rows * p.cols {
        out[i] = w[i] / sigma_in[0];
    }
}

@compute @workgroup_size(256)
fn spectral_norm_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if i < p.rows * p.cols {
        let o = i / p.cols;
        let k = i - o * p.cols;
        out[i] = (g[i] - dot_in[0] * a[o] * b[k]) / sigma_in[0];
    }
}
