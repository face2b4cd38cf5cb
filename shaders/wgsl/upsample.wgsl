// Nearest-neighbour 2x upsampling (PyTorch nn.Upsample(scale_factor=2,
// mode='nearest')) and its input gradient.
//
// x, dx: [N, C, H, W]; y, dy: [N, C, 2H, 2W]; f32, contiguous.
//
// upsample_nearest2x: one invocation per element of y,
// y[.., i, j] = x[.., i / 2, j / 2].
// upsample_nearest2x_backward_input: one invocation per element of dx, the
// sum of its 2x2 block of dy (no atomics; fixed order).
// Dispatch: ceil(len / WG) workgroups for the output's len elements, folded
// into (x, y) where that exceeds the per-dimension limit of 65535; the
// element is gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 a (x or dy), 2 out (y or dx).

struct Params {
    // N * C
    planes: u32,
    // the small side: H, W of x and dx
    h: u32,
    w: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn upsample_nearest2x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    let w2 = 2u * p.w;
    let hw4 = 4u * p.h * p.w;
    if i < p.planes * hw4 {
        let plane = i / hw4;
        let r = i % hw4;
        let oy = r / w2;
        let ox = r % w2;
        out[i] = a[(plane * p.h + oy / 2u) * p.w + ox / 2u];
    }
}

@compute @workgroup_size(WG)
fn upsample_nearest2x_backward_input(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = gid.x + gid.y * nwg.x * WG;
    let hw = p.h * p.w;
    if i < p.planes * hw {
        let plane = i / hw;
        let r = i % hw;
        let y = r / p.w;
        let x = r % p.w;
        let w2 = 2u * p.w;
        let top = (plane * 2u * p.h + 2u * y) * w2 + 2u * x;
        out[i] = (a[top] + a[top + 1u]) + (a[top + w2] + a[top + w2 + 1u]);
    }
}
