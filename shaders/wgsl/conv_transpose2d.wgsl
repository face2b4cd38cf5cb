// conv_transpose2d: y = act(conv_transpose(x, w) + b) without inserting zeros.
//
// x: [N, C_in, H_in, W_in]; y: [N, C_out, H_out, W_out] with
// H_out = (H_in - 1) * stride - 2 * pad + KH + output_padding.
// w is packed by `conv_transpose2d_pack_weight` from PyTorch's
// [C_in, C_out, KH, KW] into [KH*KW][C_in][C_out8] (C_out8 = C_out rounded up
// to 8, zero filled), the same layout conv2d uses.
//
// Output pixel (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy = iy * stride - pad + ky. Output rows with the same oy mod stride (a
// "phase") use the same taps, ky = (oy + pad) mod stride + t * stride, so the
// output is split into stride^2 phases and each invocation computes 8 output
// channels x 4 pixels of one phase (WG_PIX apart in the phase's flattened
// grid, as in conv2d): every tap it visits is a real one, no multiply by an
// inserted zero.
//
// Dispatch: (ceil(phase pixels / (4*WG_PIX)), ceil(C_out / (8*WG_CH)),
// N * stride^2), the largest phase (0, 0) sizing x. Bindings: 0 params
// (uniform), 1 x, 2 packed w, 3 bias (dummy when has_bias = 0), 4 y.
//
// Uses the helpers of common/activation.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    n: u32,
    c_in: u32,
    h_in: u32,
    w_in: u32,
    c_out: u32,
    h_out: u32,
    w_out: u32,
    k_h: u32,
    k_w: u32,
    stride: u32,
    pad: u32,
    has_bias: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh
    act: u32,
    slope: f32,
    c_out8: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override WG_PIX: u32 = 16u;
override WG_CH: u32 = 1u;


fn store4(n: u32, co: u32, oy: u32, ox: u32, v: vec4<f32>) {
    let hw = p.h_out * p.w_out;
    var b = vec4<f32>(0.0);
    if p.has_bias != 0u {
        for (var m = 0u; m < 4u; m++) {
            b[m] = bias[min(co + m, p.c_out - 1u)];
        }
    }
    let r = apply_activation4(p.act, p.slope, v + b);
    for (var m = 0u; m < 4u; m++) {
        if co + m < p.c_out {
            y[(n * p.c_out + co + m) * hw + oy * p.w_out + ox] = r[m];
        }
    }
}

// Input coordinate feeding output coordinate `o` through tap `k`, and whether
// it exists: (o + pad - k) must be a non-negative multiple of stride below size.
fn src_coord(o: u32, k: u32, size: u32) -> vec2<i32> {
    let t = i32(o + p.pad) - i32(k);
    let i = t / i32(p.stride);
    let ok = t >= 0 && i < i32(size);
    return vec2<i32>(select(0, i, ok), select(0, 1, ok));
}

@compute @workgroup_size(WG_PIX, WG_CH, 1)
fn conv_transpose2d(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let s = p.stride;
    let n = gid.z / (s * s);
    let phase = gid.z % (s * s);
    let qy = phase / s;
    let qx = phase % s;
    if qy >= p.h_out || qx >= p.w_out {
        return;
    }
    // This phase's output grid: rows qy, qy + s, ...; columns qx, qx + s, ...
    let ph = (p.h_out - qy + s - 1u) / s;
    let pw = (p.w_out - qx + s - 1u) / s;
    let count = ph * pw;
    let p0 = wid.x * 4u * WG_PIX + lid.x;
    let co0 = gid.y * 8u;
    if p0 >= count || co0 >= p.c_out {
        return;
    }
    var oy: vec4<u32>;
    var ox: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
        let pj = min(p0 + j * WG_PIX, count - 1u);
        oy[j] = qy + (pj / pw) * s;
        ox[j] = qx + (pj % pw) * s;
    }
    let hw_in = p.h_in * p.w_in;
    let x_img = n * p.c_in * hw_in;
    let w_stride = p.c_out8 / 4u;
    var a0 = vec4<f32>(0.0); var b0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
    for (var ky = (qy + p.pad) % s; ky < p.k_h; ky += s) {
        var row: vec4<i32>;
        var mask: vec4<f32>;
        for (var j = 0u; j < 4u; j++) {
            let r = src_coord(oy[j], ky, p.h_in);
            row[j] = r.x;
            mask[j] = f32(r.y);
        }
        for (var kx = (qx + p.pad) % s; kx < p.k_w; kx += s) {
            var off: vec4<u32>;
            var m = mask;
            for (var j = 0u; j < 4u; j++) {
                let c = src_coord(ox[j], kx, p.w_in);
                off[j] = x_img + u32(row[j]) * p.w_in + u32(c.x);
                m[j] *= f32(c.y);
            }
            var wi = ((ky * p.k_w + kx) * p.c_in) * w_stride + co0 / 4u;
            for (var ci = 0u; ci < p.c_in; ci++) {
                let xv = vec4<f32>(x[off.x], x[off.y], x[off.z], x[off.w]) * m;
                let w0 = w[wi];
                let w1 = w[wi + 1u];
                a0 = fma(vec4<f32>(xv.x), w0, a0); b0 = fma(vec4<f32>(xv.x), w1, b0);
                a1 = fma(vec4<f32>(xv.y), w0, a1); b1 = fma(vec4<f32>(xv.y), w1, b1);
                a2 = fma(vec4<f32>(xv.z), w0, a2); b2 = fma(vec4<f32>(xv.z), w1, b2);
                a3 = fma(vec4<f32>(xv.w), w0, a3); b3 = fma(vec4<f32>(xv.w), w1, b3);
                off += vec4<u32>(hw_in);
                wi += w_stride;
            }
        }
    }
    store4(n, co0, oy.x, ox.x, a0); store4(n, co0 + 4u, oy.x, ox.x, b0);
    if p0 + WG_PIX < count { store4(n, co0, oy.y, ox.y, a1); store4(n, co0 + 4u, oy.y, ox.y, b1); }
    if p0 + 2u * WG_PIX < count { store4(n, co0, oy.z, ox.z, a2); store4(n, co0 + 4u, oy.z, ox.z, b2); }
    if p0 + 3u * WG_PIX < count { store4(n, co0, oy.w, ox.w, a3); store4(n, co0 + 4u, oy.w, ox.w, b3); }
}

// Packs PyTorch's [C_in, C_out, KH, KW] weight into [KH*KW][C_in][C_out8].
// Dispatch: (ceil(len / 64) folded into x and y). Bindings: 0 params, 1 the
// PyTorch weight (as x), 4 the packed weight (as y).
@compute @workgroup_size(64)
fn conv_transpose2d_pack_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let taps = p.k_h * p.k_w;
    if i >= taps * p.c_in * p.c_out8 {
        return;
    }
    let co = i % p.c_out8;
    let ci = (i / p.c_out8) % p.c_in;
    let tap = i / (p.c_out8 * p.c_in);
    var v = 0.0;
    if co < p.c_out {
        v = x[(ci * p.c_out + co) * taps + tap];
    }
    y[i] = v;
}
