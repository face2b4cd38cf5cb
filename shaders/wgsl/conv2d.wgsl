// conv2d: y = act(conv(x, w) + b), an implicit GEMM with register blocking.
//
// x: [N, C_in, H_in, W_in]; y: [N, C_out, H_out, W_out], f32, contiguous.
// w is packed by `conv2d_pack_weight` from PyTorch's [C_out, C_in, KH, KW]
// into [KH*KW][C_in][C_out8] (C_out8 = C_out rounded up to 8, zero filled), so
// the 8 output channels one invocation owns are two aligned vec4 loads.
// Padding (zero or reflect) is index arithmetic; nothing is copied.
//
// Each invocation computes 8 output channels x 4 output pixels (flattened
// over H_out*W_out) of one image: 8 vec4 accumulators. A workgroup covers
// 4*WG_PIX consecutive pixels and invocation i takes pixels i, i + WG_PIX,
// i + 2*WG_PIX, i + 3*WG_PIX, so neighbouring invocations (SIMD lanes on a
// CPU adapter, a warp on a GPU) read neighbouring inputs. The tap loop
// (ky, kx) is outermost so the 4 input offsets and padding masks are computed
// once per tap and the inner loop over C_in is only loads and FMAs.
//
// Dispatch: (ceil(H_out*W_out / (4*WG_PIX)), ceil(C_out / (8*WG_CH)), N).
// Bindings: 0 params (uniform), 1 x, 2 packed w, 3 bias (dummy when
// has_bias = 0), 4 y.
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
    reflect: u32,
    has_bias: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh
    act: u32,
    slope: f32,
    c_out8: u32,
    // conv2d_tiled only: 1 reads the packed weight's taps in reverse order
    // (tap KH*KW - 1 - t), the filter rotated by 180 degrees. With a
    // conv_transpose2d-packed weight [KH*KW][C_out'][C_in'8] that makes this
    // convolution the input gradient of a stride-1 conv2d.
    flip: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override WG_PIX: u32 = 16u;
override WG_CH: u32 = 1u;

// Input coordinate of output coordinate `o` at tap `k`, and whether it lies
// inside the image (reflect padding always does, for pad < size).
fn src_coord(o: u32, k: u32, size: u32) -> vec2<i32> {
    var i = i32(o * p.stride + k) - i32(p.pad);
    let n = i32(size);
    if p.reflect != 0u {
        i = select(i, -i, i < 0);
        i = select(i, 2 * n - 2 - i, i >= n);
        return vec2<i32>(i, 1);
    }
    let inside = i >= 0 && i < n;
    return vec2<i32>(select(0, i, inside), select(0, 1, inside));
}

// Writes channels co..co+3 of pixel `pix` (skipping channels >= c_out).
fn store4(n: u32, co: u32, pix: u32, v: vec4<f32>) {
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
            y[(n * p.c_out + co + m) * hw + pix] = r[m];
        }
    }
}

@compute @workgroup_size(WG_PIX, WG_CH, 1)
fn conv2d(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let hw_out = p.h_out * p.w_out;
    let hw_in = p.h_in * p.w_in;
    let p0 = wid.x * 4u * WG_PIX + lid.x;
    let co0 = gid.y * 8u;
    let n = gid.z;
    if p0 >= hw_out || co0 >= p.c_out {
        return;
    }
    // Output coordinates of the 4 pixels (the tail repeats the last pixel).
    var oy: vec4<u32>;
    var ox: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
        let pj = min(p0 + j * WG_PIX, hw_out - 1u);
        oy[j] = pj / p.w_out;
        ox[j] = pj % p.w_out;
    }
    let x_img = n * p.c_in * hw_in;
    let w_stride = p.c_out8 / 4u;
    var a0 = vec4<f32>(0.0); var b0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
    for (var ky = 0u; ky < p.k_h; ky++) {
        var row: vec4<i32>;
        var mask: vec4<f32>;
        for (var j = 0u; j < 4u; j++) {
            let r = src_coord(oy[j], ky, p.h_in);
            row[j] = r.x;
            mask[j] = f32(r.y);
        }
        for (var kx = 0u; kx < p.k_w; kx++) {
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
    let s = WG_PIX;
    store4(n, co0, p0, a0); store4(n, co0 + 4u, p0, b0);
    if p0 + s < hw_out { store4(n, co0, p0 + s, a1); store4(n, co0 + 4u, p0 + s, b1); }
    if p0 + 2u * s < hw_out { store4(n, co0, p0 + 2u * s, a2); store4(n, co0 + 4u, p0 + 2u * s, b2); }
    if p0 + 3u * s < hw_out { store4(n, co0, p0 + 3u * s, a3); store4(n, co0 + 4u, p0 + 3u * s, b3); }
}

// conv2d_narrow: the same convolution for few output channels (the
// generators' RGB output layer, PatchGAN's last layer): 4 output channels x 8
// pixels per invocation (pixels i, i + WG_PIX, ..., i + 7 WG_PIX of a block of
// 8 WG_PIX), so one weight vec4 feeds 32 FMAs and no FMA goes to the padding
// channels of an 8-channel block. Dispatch: (ceil(H_out*W_out / (8*WG_PIX)),
// ceil(C_out / 4), N). Bindings as conv2d.
@compute @workgroup_size(WG_PIX, 1, 1)
fn conv2d_narrow(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let hw_out = p.h_out * p.w_out;
    let hw_in = p.h_in * p.w_in;
    let p0 = wid.x * 8u * WG_PIX + lid.x;
    let co0 = wid.y * 4u;
    let n = wid.z;
    if p0 >= hw_out || co0 >= p.c_out {
        return;
    }
    // Output coordinates of the 8 pixels, as two groups of 4 (the tail
    // repeats the last pixel).
    var oy: array<vec4<u32>, 2>;
    var ox: array<vec4<u32>, 2>;
    for (var j = 0u; j < 8u; j++) {
        let pj = min(p0 + j * WG_PIX, hw_out - 1u);
        oy[j / 4u][j % 4u] = pj / p.w_out;
        ox[j / 4u][j % 4u] = pj % p.w_out;
    }
    let x_img = n * p.c_in * hw_in;
    let w_stride = p.c_out8 / 4u;
    var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
    var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
    for (var ky = 0u; ky < p.k_h; ky++) {
        var row: array<vec4<i32>, 2>;
        var mask: array<vec4<f32>, 2>;
        for (var j = 0u; j < 8u; j++) {
            let r = src_coord(oy[j / 4u][j % 4u], ky, p.h_in);
            row[j / 4u][j % 4u] = r.x;
            mask[j / 4u][j % 4u] = f32(r.y);
        }
        for (var kx = 0u; kx < p.k_w; kx++) {
            var oa: vec4<u32>;
            var ob: vec4<u32>;
            var ma = mask[0];
            var mb = mask[1];
            for (var j = 0u; j < 4u; j++) {
                let c = src_coord(ox[0][j], kx, p.w_in);
                oa[j] = x_img + u32(row[0][j]) * p.w_in + u32(c.x);
                ma[j] *= f32(c.y);
                let d = src_coord(ox[1][j], kx, p.w_in);
                ob[j] = x_img + u32(row[1][j]) * p.w_in + u32(d.x);
                mb[j] *= f32(d.y);
            }
            var wi = ((ky * p.k_w + kx) * p.c_in) * w_stride + co0 / 4u;
            for (var ci = 0u; ci < p.c_in; ci++) {
                let xa = vec4<f32>(x[oa.x], x[oa.y], x[oa.z], x[oa.w]) * ma;
                let xb = vec4<f32>(x[ob.x], x[ob.y], x[ob.z], x[ob.w]) * mb;
                let w0 = w[wi];
                a0 = fma(vec4<f32>(xa.x), w0, a0); b0 = fma(vec4<f32>(xb.x), w0, b0);
                a1 = fma(vec4<f32>(xa.y), w0, a1); b1 = fma(vec4<f32>(xb.y), w0, b1);
                a2 = fma(vec4<f32>(xa.z), w0, a2); b2 = fma(vec4<f32>(xb.z), w0, b2);
                a3 = fma(vec4<f32>(xa.w), w0, a3); b3 = fma(vec4<f32>(xb.w), w0, b3);
                oa += vec4<u32>(hw_in);
                ob += vec4<u32>(hw_in);
                wi += w_stride;
            }
        }
    }
    let s = WG_PIX;
    store4(n, co0, p0, a0);
    if p0 + s < hw_out { store4(n, co0, p0 + s, a1); }
    if p0 + 2u * s < hw_out { store4(n, co0, p0 + 2u * s, a2); }
    if p0 + 3u * s < hw_out { store4(n, co0, p0 + 3u * s, a3); }
    if p0 + 4u * s < hw_out { store4(n, co0, p0 + 4u * s, b0); }
    if p0 + 5u * s < hw_out { store4(n, co0, p0 + 5u * s, b1); }
    if p0 + 6u * s < hw_out { store4(n, co0, p0 + 6u * s, b2); }
    if p0 + 7u * s < hw_out { store4(n, co0, p0 + 7u * s, b3); }
}

// Packs PyTorch's [C_out, C_in, KH, KW] weight into [KH*KW][C_in][C_out8].
// Dispatch: (ceil(len / 64) folded into x and y). Bindings: 0 params, 1 the
// PyTorch weight (as x), 4 the packed weight (as y).
@compute @workgroup_size(64)
fn conv2d_pack_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
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
        v = x[(co * p.c_in + ci) * taps + tap];
    }
    y[i] = v;
}

// conv2d_tiled: the same convolution as an implicit GEMM tiled in workgroup
// memory, the shape GPUs want: Y[co, pix] = sum over k of W[k, co] * X[k, pix]
// with k = tap * C_in + ci running over the packed weight's rows, X[k, pix]
// the input pixel tap `tap` of output pixel `pix` reads, in channel ci.
//
// A workgroup of TILE x TILE invocations owns 4*CQ*TILE output channels x
// 4*TILE pixels of one image. Per step of TILE rows of k, every invocation
// loads one vec4 of X (4 pixels of one row) and CQ vec4s of W (4*CQ channels
// of one row) into workgroup memory; after a barrier each invocation
// accumulates its 4*CQ channels x 4 pixels from TILE rows: per row one vec4
// of X and CQ of W feed 16*CQ FMAs. Invocation (tx, ty) owns the pixels tx,
// tx + TILE, tx + 2 TILE, tx + 3 TILE of the tile, so the loads of X and the
// stores of y run over consecutive pixels across a warp, and the channel
// quads ty + i*TILE. Workgroup memory: 16*TILE*TILE*(1 + CQ) bytes, 12 KiB at
// most (TILE <= 16, CQ <= 2), within WebGPU's default 16 KiB.
//
// Dispatch: (ceil(H_out*W_out / (4*TILE)), ceil(C_out / (4*CQ*TILE)), N).
// Bindings as conv2d.
override TILE: u32 = 16u;
override CQ: u32 = 1u;
var<workgroup> x_tile: array<vec4<f32>, 256>;
var<workgroup> w_tile: array<vec4<f32>, 512>;

@compute @workgroup_size(TILE, TILE, 1)
fn conv2d_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let hw_out = p.h_out * p.w_out;
    let hw_in = p.h_in * p.w_in;
    let tx = lid.x;
    let ty = lid.y;
    let n = wid.z;
    let pix0 = wid.x * 4u * TILE + tx;
    let q0 = wid.y * CQ * TILE;
    let taps = p.k_h * p.k_w;
    let k_len = taps * p.c_in;
    let x_img = n * p.c_in * hw_in;
    let w_stride = p.c_out8 / 4u;
    // The 4 pixels this invocation loads and computes (the tail repeats the
    // last pixel; it is loaded, never stored).
    var oy: vec4<u32>;
    var ox: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
        let pj = min(pix0 + j * TILE, hw_out - 1u);
        oy[j] = pj / p.w_out;
        ox[j] = pj % p.w_out;
    }
    var acc: array<array<vec4<f32>, 4>, 2>;
    for (var k0 = 0u; k0 < k_len; k0 += TILE) {
        // Row k0 + ty of X: tap and input channel of that row.
        let k = k0 + ty;
        var xv = vec4<f32>(0.0);
        if k < k_len {
            let tap = k / p.c_in;
            let ci = k - tap * p.c_in;
            let ky = tap / p.k_w;
            let kx = tap - ky * p.k_w;
            let plane = x_img + ci * hw_in;
            for (var j = 0u; j < 4u; j++) {
                let r = src_coord(oy[j], ky, p.h_in);
                let c = src_coord(ox[j], kx, p.w_in);
                xv[j] = x[plane + u32(r.x) * p.w_in + u32(c.x)] * f32(r.y * c.y);
            }
        }
        x_tile[ty * TILE + tx] = xv;
        // Row k0 + ty of W (of the rotated filter with flip): channel quads
        // tx and tx + TILE of the tile.
        var wk = k;
        if p.flip != 0u && k < k_len {
            let tap = k / p.c_in;
            wk = (taps - 1u - tap) * p.c_in + (k - tap * p.c_in);
        }
        for (var i = 0u; i < CQ; i++) {
            let q = q0 + tx + i * TILE;
            var wv = vec4<f32>(0.0);
            if k < k_len && q < w_stride {
                wv = w[wk * w_stride + q];
            }
            w_tile[(ty * CQ + i) * TILE + tx] = wv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            let xk = x_tile[kk * TILE + tx];
            for (var i = 0u; i < CQ; i++) {
                let wk = w_tile[(kk * CQ + i) * TILE + ty];
                acc[i][0] = fma(vec4<f32>(xk.x), wk, acc[i][0]);
                acc[i][1] = fma(vec4<f32>(xk.y), wk, acc[i][1]);
                acc[i][2] = fma(vec4<f32>(xk.z), wk, acc[i][2]);
                acc[i][3] = fma(vec4<f32>(xk.w), wk, acc[i][3]);
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < CQ; i++) {
        let co = (q0 + ty + i * TILE) * 4u;
        if co >= p.c_out {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let pj = pix0 + j * TILE;
            if pj < hw_out {
                store4(n, co, pj, acc[i][j]);
            }
        }
    }
}
