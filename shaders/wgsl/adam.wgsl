// adam: one torch.optim.Adam step (amsgrad=False, maximize=False) over flat
// parameter, gradient and moment buffers, in the operation order of torch's
// _single_tensor_adam so results agree to f32 rounding:
//   g = g + weight_decay * param  (coupled L2 decay; skipped when 0, so a
//                               zero padding value stays zero either way)
//   m = lerp(m, g, 1 - beta1)   torch's lerp: weight w < 0.5 ? m + w * (g - m)
//                               : g - (g - m) * (1 - w)
//   v = v * beta2 + ((1 - beta2) * g) * g
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   param = param + (-lr / (1 - beta1^t)) * m / denom
// The host computes the step scalars in f64 as Python does and rounds each to
// f32 as torch does when it passes a Python float to an f32 tensor op.
//
// params, grads, m, v: `len` contiguous f32 each.
// Dispatch: ceil(len / WG) workgroups folded into (x, y) (`groups_1d`); the
// element is gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 grads, 2 params, 3 m, 4 v.

struct Params {
    len: u32,
    // the step number t, 1 on the first step (informational)
    step: u32,
    // 1 - beta1
    lerp_weight: f32,
    beta2: f32,
    // 1 - beta2
    one_minus_beta2: f32,
    // -lr / (1 - beta1^t)
    neg_step_size: f32,
    // sqrt(1 - beta2^t)
    bias_correction2_sqrt: f32,
    eps: f32,
    weight_decay: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.len {
        return;
    }
    var g = grads[i];
    if p.weight_decay != 0.0 {
        g = g + p.weight_decay * params[i];
    }
    var mi = m[i];
    let w = p.lerp_weight;
    if abs(w) < 0.5 {
        mi = mi + w * (g - mi);
    } else {
        mi = g - (g - mi) * (1.0 - w);
    }
    let vi = v[i] * p.beta2 + (p.one_minus_beta2 * g) * g;
    let denom = sqrt(vi) / p.bias_correction2_sqrt + p.eps;
    params[i] = params[i] + (p.neg_step_size * mi) / denom;
    m[i] = mi;
    v[i] = vi;
}
