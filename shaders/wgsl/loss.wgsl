// Losses reduced on the GPU with their input gradients, and scaled gradient
// accumulation. Deterministic: every sum is a fixed-order tree, no atomics.
//
//   mse_loss_const: loss = weight * mean((a - label)^2),
//                   grad = weight * 2 * (a - label) / len
//   l1_loss:        loss = weight * mean(|a - b|),
//                   grad (wrt a) = weight * sign(a - b) / len, sign(0) = 0
//   bce_with_logits_loss_const:
//                   loss = weight * mean(max(a, 0) - a * label + log1p(exp(-|a|))),
//                   grad = weight * (sigmoid(a) - label) / len
//                   (PyTorch's BCEWithLogitsLoss against a constant label)
//   bce_loss_const: loss = weight * mean(-(label * max(log(a), -100)
//                                      + (1 - label) * max(log(1 - a), -100))),
//                   grad = weight * (a - label) / max((1 - a) * a, 1e-12) / len
//                   (PyTorch's BCELoss on probabilities: its log clamp in the
//                   forward, its epsilon in the backward)
//   mean:           loss = weight * mean(a), no gradient (binding 3 unused)
//   mse_loss:       loss = weight * mean((a - b)^2), grad (wrt a) = weight * 2 (a - b) / len
//   feature_matching: a (real) and b (fake) are [batch, len] (a network's
//                   features flattened per sample); per feature i,
//                   d_i = mean_n a[n, i] - mean_n b[n, i];
//                   loss = weight * mean_i(d_i^2) (DiscoGAN's HingeEmbeddingLoss
//                   of l2 against 1, which is its mean),
//                   grad (wrt b[n, i]) = -weight * 2 d_i / (batch * len)
// `grad_scale` carries weight * 2 / len or weight / len; with accumulate = 1
// the gradient is added to grad (gradients fan in), else it overwrites it.
//
// The loss is two dispatches. mse_loss_const / l1_loss /
// bce_with_logits_loss_const: workgroup w (of 256 invocations) owns elements
// [w * CHUNK, (w + 1) * CHUNK), CHUNK = 256 * 8;
// invocation l visits w * CHUNK + l + 256 * k for k = 0..8 in order, writes
// the gradient, and the workgroup's sum goes through a tree in workgroup
// memory to partial[w]. Dispatch: ceil(len / CHUNK) workgroups folded into
// (x, y) (`groups_1d`), w = wg.x + wg.y * num_workgroups.x; partial has one
// value per dispatched workgroup (those past the end write 0).
// loss_finish: one workgroup of 256 sums partial[0..count] the same way and
// writes loss[0] = sum * loss_scale. Dispatch: (1, 1, 1).
//
// accumulate: grad[i] += grad_scale * a[i], one invocation per element.
// Dispatch: ceil(len / 256) workgroups folded into (x, y).
//
// Bindings: 0 params (uniform), 1 a, 2 b (l1_loss only), 3 grad,
// 4 partial, 5 loss.
//
// Uses the tree sums of common/workgroup_sum.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    // elements of a, b, grad; for loss_finish the number of partial sums
    len: u32,
    accumulate: u32,
    label: f32,
    grad_scale: f32,
    loss_scale: f32,
    // feature_matching: samples in a and b
    batch: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

const WG: u32 = 256u;
const ITEMS: u32 = 8u;

fn store_grad(i: u32, g: f32) {
    if p.accumulate != 0u {
        grad[i] += g;
    } else {
        grad[i] = g;
    }
}

// The workgroup's sum of each invocation's `v` (common/workgroup_sum.wgsl).
fn reduce(lid: u32, v: f32) -> f32 {
    red_f32[lid] = v;
    tree_sum_f32(lid, WG);
    return red_f32[0];
}

@compute @workgroup_size(WG)
fn mse_loss_const(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            let d = a[i] - p.label;
            s += d * d;
            store_grad(i, p.grad_scale * d);
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn l1_loss(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            let d = a[i] - b[i];
            s += abs(d);
            store_grad(i, p.grad_scale * sign(d));
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

// log(1 + u) for u in [0, 1], accurate to a few ulp relative without the
// builtin log (whose error near 1 is only bounded absolutely, 2^-21):
// log1p(u) = 2 atanh(s), s = u / (2 + u) in [0, 1/3], by its odd series
// s + s^3/3 + ... + s^17/17 (the next term is below 2^-28 relative).
fn log1p_unit(u: f32) -> f32 {
    let s = u / (2.0 + u);
    let s2 = s * s;
    var t = 1.0 / 17.0;
    t = t * s2 + 1.0 / 15.0;
    t = t * s2 + 1.0 / 13.0;
    t = t * s2 + 1.0 / 11.0;
    t = t * s2 + 1.0 / 9.0;
    t = t * s2 + 1.0 / 7.0;
    t = t * s2 + 1.0 / 5.0;
    t = t * s2 + 1.0 / 3.0;
    t = t * s2 + 1.0;
    return 2.0 * s * t;
}

@compute @workgroup_size(WG)
fn bce_with_logits_loss_const(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            let v = a[i];
            // e = exp(-|v|) in (0, 1] never overflows; sigmoid(|v|) = 1 / (1 + e)
            // and sigmoid(-|v|) = e / (1 + e) are both accurate.
            let e = exp(-abs(v));
            s += max(v, 0.0) - v * p.label + log1p_unit(e);
            let big = 1.0 / (1.0 + e);
            let small = e / (1.0 + e);
            let sig = select(small, big, v >= 0.0);
            let sig_neg = select(big, small, v >= 0.0);
            // sigmoid(v) - label = (1 - label) sigmoid(v) - label sigmoid(-v),
            // which keeps its relative accuracy where sigmoid(v) is near label.
            store_grad(i, p.grad_scale * ((1.0 - p.label) * sig - p.label * sig_neg));
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn bce_loss_const(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            let v = a[i];
            let log_p = max(log(v), -100.0);
            let log_q = max(log(1.0 - v), -100.0);
            s -= p.label * log_p + (1.0 - p.label) * log_q;
            store_grad(i, p.grad_scale * (v - p.label) / max((1.0 - v) * v, 1e-12));
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn mse_loss(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            let d = a[i] - b[i];
            s += d * d;
            store_grad(i, p.grad_scale * d);
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn feature_matching(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    let inv_batch = 1.0 / f32(p.batch);
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            var sa = 0.0;
            var sb = 0.0;
            for (var n = 0u; n < p.batch; n++) {
                sa += a[n * p.len + i];
                sb += b[n * p.len + i];
            }
            let d = sa * inv_batch - sb * inv_batch;
            s += d * d;
            let g = -p.grad_scale * d;
            for (var n = 0u; n < p.batch; n++) {
                store_grad(n * p.len + i, g);
            }
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn mean(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    var s = 0.0;
    for (var k = 0u; k < ITEMS; k++) {
        let i = w * WG * ITEMS + k * WG + lid;
        if i < p.len {
            s += a[i];
        }
    }
    let total = reduce(lid, s);
    if lid == 0u {
        partial[w] = total;
    }
}

@compute @workgroup_size(WG)
fn loss_finish(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = lid; i < p.len; i += WG) {
        s += partial[i];
    }
    let total = reduce(lid, s);
    if lid == 0u {
        loss[0] = total * p.loss_scale;
    }
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i < p.len {
        grad[i] += p.grad_scale * a[i];
    }
}
