// Elementwise ops over flat f32 arrays of `len` values: relu, leaky_relu,
// tanh, sigmoid, add (y = a + b), add_assign (y += a) and clamp_in_place
// (y = clamp(y, lo, hi)).
//
// One invocation per element. Dispatch: ceil(len / WG) workgroups, folded
// into (x, y) where that exceeds the per-dimension limit of 65535; the element
// is gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 a (not clamp_in_place), 2 b (add only), 3 y.
//
// Uses the helpers of common/activation.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    len: u32,
    // leaky_relu: y = a if a > 0 else slope * a
    slope: f32,
    // clamp_in_place: y = clamp(y, lo, hi)
    lo: f32,
    hi: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;

fn element(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] = max(a[i], 0.0);
    }
}

@compute @workgroup_size(WG)
fn leaky_relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        let v = a[i];
        y[i] = select(v * p.slope, v, v > 0.0);
    }
}

// sigmoid and tanh by the shared helpers (common/activation.wgsl): the
// entry point `tanh` shadows the builtin in this module, and the builtin may
// return NaN past |x| ~ 88 anyway (gpuweb/gpuweb#4458).
@compute @workgroup_size(WG)
fn sigmoid(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] = stable_sigmoid(a[i]);
    }
}

@compute @workgroup_size(WG)
fn tanh(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] = stable_tanh(a[i]);
    }
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] = a[i] + b[i];
    }
}

@compute @workgroup_size(WG)
fn add_assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] += a[i];
    }
}

@compute @workgroup_size(WG)
fn clamp_in_place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = element(gid, nwg);
    if i < p.len {
        y[i] = clamp(y[i], p.lo, p.hi);
    }
}
