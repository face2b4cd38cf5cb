// Activation backward: dx = dy * act'(x), computed from the saved forward
// output y, so kernels that fuse the activation into their epilogue need not
// keep x.
//
//   relu_backward_input:       dx = y > 0 ? dy : 0          (y > 0 iff x > 0)
//   leaky_relu_backward_input: dx = y > 0 ? dy : slope * dy (slope >= 0, so
//                              y > 0 iff x > 0, as for relu)
//   tanh_backward_input:       dx = dy * (1 - y * y)
//   sigmoid_backward_input:    dx = dy * y * (1 - y)  (PyTorch's order:
//                              dy * (1 - y) * y)
//
// y, dy, dx: `len` contiguous f32 (any shape, the same for all three).
// Dispatch: ceil(len / 64) workgroups folded into x and y (`groups_1d`); the
// flat index is gid.x + gid.y * num_workgroups.x * 64.
// Bindings: 0 params (uniform), 1 y, 2 dy, 3 dx.

struct Params {
    len: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

@compute @workgroup_size(64)
fn relu_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if i >= p.len {
        return;
    }
    dx[i] = select(0.0, dy[i], y[i] > 0.0);
}

@compute @workgroup_size(64)
fn leaky_relu_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if i >= p.len {
        return;
    }
    let g = dy[i];
    dx[i] = select(g * p.slope, g, y[i] > 0.0);
}

@compute @workgroup_size(64)
fn tanh_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if i >= p.len {
        return;
    }
    let t = y[i];
    dx[i] = dy[i] * (1.0 - t * t);
}

@compute @workgroup_size(64)
fn sigmoid_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if i >= p.len {
        return;
    }
    let s = y[i];
    dx[i] = dy[i] * (1.0 - s) * s;
}
