// concat_channels: y = cat([a, b], dim 1) for a [N, Ca, H, W] and
// b [N, Cb, H, W] (a's channels first, as torch.cat([x, model(x)], 1) in the
// U-Net skip connection), and its gradient concat_channels_backward_input,
// which splits dy [N, Ca + Cb, H, W] back into da and db.
//
// Each sample of y is a's sample (a_size = Ca * H * W values) followed by b's
// (b_size = Cb * H * W values), so element i of y is sample s = i / (a_size +
// b_size), offset r = i - s * (a_size + b_size): a[s * a_size + r] when
// r < a_size, else b[s * b_size + r - a_size].
//
// One invocation per element of y (or dy): one dispatch of ceil(len / WG)
// workgroups, folded into (x, y) where that exceeds the per-dimension limit;
// the element is gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform); concat_channels: 1 a, 2 b, 3 y;
// concat_channels_backward_input: 4 dy, 5 da, 6 db.

struct Params {
    // N * (Ca + Cb) * H * W
    len: u32,
    // Ca * H * W
    a_size: u32,
    // Cb * H * W
    b_size: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> da: array<f32>;
@group(0) @binding(6) var<storage, read_write> db: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn concat_channels(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.len {
        return;
    }
    let s = i / (p.a_size + p.b_size);
    let r = i - s * (p.a_size + p.b_size);
    if r < p.a_size {
        y[i] = a[s * p.a_size + r];
    } else {
        y[i] = b[s * p.b_size + (r - p.a_size)];
    }
}

@compute @workgroup_size(WG)
fn concat_channels_backward_input(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.len {
        return;
    }
    let s = i / (p.a_size + p.b_size);
    let r = i - s * (p.a_size + p.b_size);
    if r < p.a_size {
        da[s * p.a_size + r] = dy[i];
    } else {
        db[s * p.b_size + (r - p.a_size)] = dy[i];
    }
}
