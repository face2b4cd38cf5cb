// Conversion between packed RGBA8 images and [N, 3, H, W] f32 tensors in
// [-1, 1], the reference implementation's normalisation
// (ToTensor then Normalize((0.5,)*3, (0.5,)*3); tensor2im back).
//
// rgba: N*H*W u32 words, one per pixel, little endian: R in bits 0..8, G in
// 8..16, B in 16..24, A in 24..32 (the bytes R, G, B, A in memory order).
// x: [N, 3, H, W] f32, contiguous.
//
// rgba8_to_nchw: x = byte / 255 * 2 - 1; alpha is ignored.
// nchw_to_rgba8: byte = floor(clamp((x + 1) / 2 * 255 + SLACK, 0, 255)),
// alpha 255. tensor2im truncates the same way (astype(uint8)); SLACK = 2^-10
// of a byte absorbs the f32 rounding of both conversions, without which about
// a quarter of the byte values would come back one lower after a round trip
// (tensor2im itself returns 1..63 as 0..62 for a ToTensor input). The rounding
// error is below 2^-12 of a byte, so SLACK only moves values that lie within
// 2^-10 below an integer.
//
// One invocation per pixel. Dispatch: ceil(N*H*W / WG) workgroups, folded
// into (x, y) where that exceeds the per-dimension limit of 65535; the pixel is
// gid.x + gid.y * num_workgroups.x * WG.
// Bindings: 0 params (uniform), 1 rgba, 2 x.

struct Params {
    // N * H * W
    pixels: u32,
    // H * W
    hw: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> rgba: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

override WG: u32 = 256u;

const SLACK: f32 = 0.0009765625;

@compute @workgroup_size(WG)
fn rgba8_to_nchw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.pixels {
        return;
    }
    let word = rgba[i];
    let n = i / p.hw;
    let base = n * 3u * p.hw + i % p.hw;
    for (var c = 0u; c < 3u; c++) {
        let byte = (word >> (8u * c)) & 0xffu;
        x[base + c * p.hw] = f32(byte) / 255.0 * 2.0 - 1.0;
    }
}

@compute @workgroup_size(WG)
fn nchw_to_rgba8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * WG;
    if i >= p.pixels {
        return;
    }
    let n = i / p.hw;
    let base = n * 3u * p.hw + i % p.hw;
    var word = 0xff000000u;
    for (var c = 0u; c < 3u; c++) {
        let v = (x[base + c * p.hw] + 1.0) * 127.5 + SLACK;
        word |= u32(floor(clamp(v, 0.0, 255.0))) << (8u * c);
    }
    rgba[i] = word;
}
