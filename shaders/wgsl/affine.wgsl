// channel_affine: y[n, c, i] = scale * x[n, src(c), i] + shift over an
// [N, C, H, W] tensor, src(c) = C - 1 - c when `reverse` (RGB <-> BGR) else c.
// Converts images between the [-1, 1] RGB the data pipeline makes and the
// range and channel order a network was trained on (DiscoGAN: [0, 1] BGR,
// as OpenCV reads images).
//
// One invocation per element of y. Dispatch: ceil(len / WG) workgroups,
// folded into (x, y) where that exceeds the per-dimension limit; the element
// is gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 x, 2 y.

struct Params {
    len: u32,
    channels: u32,
    // H * W
    plane: u32,
    reverse: u32,
    scale: f32,
    shift: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn channel_affine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.len {
        return;
    }
    var src = i;
    if p.reverse != 0u {
        let plane = i % p.plane;
        let c = (i / p.plane) % p.channels;
        let n = i / (p.plane * p.channels);
        src = (n * p.channels + (p.channels - 1u - c)) * p.plane + plane;
    }
    y[i] = p.scale * x[src] + p.shift;
}
