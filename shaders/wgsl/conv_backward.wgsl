// Convolution gradients: weight and bias gradients of conv2d and
// conv_transpose2d (split-K), the sum of the split partials, and the fold that
// turns the gradient of a reflect-padded input into the input gradient.
//
// Input gradients are forward kernels run on dy (see ops/conv_backward.rs):
// conv2d's is conv_transpose2d.wgsl, conv_transpose2d's is conv2d.wgsl. For
// reflect padding, conv2d's input gradient is first computed with respect to
// the padded input [N, C, H + 2p, W + 2p] (a transposed convolution with pad
// 0), then `conv2d_backward_input_fold` adds every padded position onto the
// pixel it mirrors: each output pixel gathers its at most 3 x 3 sources in a
// fixed order, so the result is deterministic (no atomics).
//
// Weight gradient, one kernel for both ops. With g the operand read at the
// output grid and a the operand read through the taps (padded, strided):
//   dW[cg, ca, ky, kx] = sum over n, oy, ox of
//                        g[n, cg, oy, ox] * a[n, ca, oy*s - p + ky, ox*s - p + kx]
// conv2d:           g = dy [N, C_out, H_out, W_out], a = x [N, C_in, H, W],
//                   dW [C_out, C_in, KH, KW];
// conv_transpose2d: g = x [N, C_in, H, W], a = dy [N, C_out, H_out, W_out]
//                   (zero padding), dW [C_in, C_out, KH, KW].
// The reduction over the N * H_g rows of g is split into `splits` chunks of
// `split_len` rows; each invocation owns 8 g channels x 4 a channels at one
// tap (8 vec4 accumulators; 4 x 8 when WIDE_A, chosen where C_g is small so
// fewer lanes compute padding channels; 8 x 8 with 16 accumulators when
// SQUARE, chosen where both sides have 8 channels or more) and reduces one chunk in order into
// partial[split][cg][ca][tap]. `conv_backward_sum_splits` then adds the
// splits in fixed order (skipped when splits = 1: the partial is dW).
// Zero padding restricts the row and column loops to the taps that land
// inside a; reflect padding mirrors the coordinate instead.
//
// Bias gradient: db[c] = sum over n, y, x of dy[n, c, y, x]. Each plane is
// cut into chunks of `split_len` elements; invocation (c, chunk, n) sums its
// chunk into partial[n * chunks + chunk][c], then `conv_backward_sum_splits`.
//
// Bindings: 0 params (uniform), 1 g (dy for the bias, the partials for the
// sum, the padded gradient for the fold), 2 a (weight gradient only),
// 3 out (partials, or the result).
// Dispatch:
//   conv2d_backward_weight, conv_transpose2d_backward_weight:
//     (ceil(ceil(C_g/8) * ceil(C_a/4) / WG), KH*KW, splits), or with the
//     block 4 x 8 when WIDE_A, 8 x 8 when SQUARE
//   conv2d_backward_bias: (ceil(C / WG), chunks per plane, N)
//   conv_backward_sum_splits, conv2d_backward_input_fold:
//     ceil(elements / 64) folded into x and y

struct Params {
    n: u32,
    // g: channels, height, width (the fold: unused)
    c_g: u32,
    h_g: u32,
    w_g: u32,
    // a: channels, height, width (the fold: the unpadded input gradient)
    c_a: u32,
    h_a: u32,
    w_a: u32,
    k_h: u32,
    k_w: u32,
    stride: u32,
    pad: u32,
    reflect: u32,
    // rows of g per split (weight), elements of a plane per chunk (bias)
    split_len: u32,
    splits: u32,
    // elements of one split's partial result
    len: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 16u;
// Weight gradient block: 8 g x 4 a channels, or 4 g x 8 a when WIDE_A, or
// 8 g x 8 a when SQUARE (16 vec4 accumulators: 64 FMAs per 16 loads instead
// of 32 per 12, for layers whose channels fill the block).
override WIDE_A: bool = false;
override SQUARE: bool = false;

// Coordinate into an axis of length n of padded-relative coordinate i, with
// reflection (identity for 0 <= i < n).
fn mirror(i: i32, n: u32) -> u32 {
    var r = select(i, -i, i < 0);
    r = select(r, 2 * i32(n) - 2 - r, r >= i32(n));
    return u32(r);
}

// First and one-past-last output coordinate o in [0, size_g) whose tap
// coordinate o * stride + off lies in [0, size_a) (all of them for reflect).
fn tap_range(off: i32, size_g: u32, size_a: u32) -> vec2<u32> {
    if p.reflect != 0u {
        return vec2<u32>(0u, size_g);
    }
    let s = i32(p.stride);
    let lo = select(0, (-off + s - 1) / s, off < 0);
    let last = i32(size_a) - 1 - off;
    if last < 0 {
        return vec2<u32>(0u, 0u);
    }
    let hi = min(u32(last / s) + 1u, size_g);
    return vec2<u32>(min(u32(lo), hi), hi);
}

// Channels of g and of a per invocation: 8 x 4, 4 x 8 when WIDE_A, 8 x 8
// when SQUARE.
fn block_g() -> u32 {
    return select(8u, 4u, WIDE_A);
}

fn block_a() -> u32 {
    return select(4u, 8u, WIDE_A || SQUARE);
}

fn weight_partial(gid: vec3<u32>) {
    let blocks_a = (p.c_a + block_a() - 1u) / block_a();
    if gid.x >= blocks_a * ((p.c_g + block_g() - 1u) / block_g()) {
        return;
    }
    let cg0 = (gid.x / blocks_a) * block_g();
    let ca0 = (gid.x % blocks_a) * block_a();
    let tap = gid.y;
    let split = gid.z;
    let ky = tap / p.k_w;
    let kx = tap % p.k_w;
    let off_y = i32(ky) - i32(p.pad);
    let off_x = i32(kx) - i32(p.pad);
    let s = i32(p.stride);
    let rows = tap_range(off_y, p.h_g, p.h_a);
    let cols = tap_range(off_x, p.w_g, p.w_a);

    let hw_g = p.h_g * p.w_g;
    let hw_a = p.h_a * p.w_a;
    // Offsets of 8 channels from each block start; the tail (and the unused
    // half of the narrow side) repeats the last channel and is not stored.
    var og0: vec4<u32>;
    var og1: vec4<u32>;
    var oa0: vec4<u32>;
    var oa1: vec4<u32>;
    for (var m = 0u; m < 4u; m++) {
        og0[m] = min(cg0 + m, p.c_g - 1u) * hw_g;
        og1[m] = min(cg0 + 4u + m, p.c_g - 1u) * hw_g;
        oa0[m] = min(ca0 + m, p.c_a - 1u) * hw_a;
        oa1[m] = min(ca0 + 4u + m, p.c_a - 1u) * hw_a;
    }
    // acc_m[k] += u[m] * v[k]: u holds the 8 channels of the wide side, v the
    // 4 of the narrow side; when SQUARE, bcc_m[k] += u[m] * v1[k] for a's
    // channels 4 to 7.
    var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
    var acc4 = vec4<f32>(0.0); var acc5 = vec4<f32>(0.0);
    var acc6 = vec4<f32>(0.0); var acc7 = vec4<f32>(0.0);
    var bcc0 = vec4<f32>(0.0); var bcc1 = vec4<f32>(0.0);
    var bcc2 = vec4<f32>(0.0); var bcc3 = vec4<f32>(0.0);
    var bcc4 = vec4<f32>(0.0); var bcc5 = vec4<f32>(0.0);
    var bcc6 = vec4<f32>(0.0); var bcc7 = vec4<f32>(0.0);
    let r_end = min((split + 1u) * p.split_len, p.n * p.h_g);
    for (var r = split * p.split_len; r < r_end; r++) {
        let n = r / p.h_g;
        let oy = r % p.h_g;
        if oy < rows.x || oy >= rows.y {
            continue;
        }
        let iy = mirror(i32(oy) * s + off_y, p.h_a);
        let g_row = n * p.c_g * hw_g + oy * p.w_g;
        let a_row = n * p.c_a * hw_a + iy * p.w_a;
        for (var ox = cols.x; ox < cols.y; ox++) {
            let ai = a_row + mirror(i32(ox) * s + off_x, p.w_a);
            let gi = g_row + ox;
            var u0: vec4<f32>;
            var u1: vec4<f32>;
            var v: vec4<f32>;
            if WIDE_A {
                u0 = vec4<f32>(a[ai + oa0.x], a[ai + oa0.y], a[ai + oa0.z], a[ai + oa0.w]);
                u1 = vec4<f32>(a[ai + oa1.x], a[ai + oa1.y], a[ai + oa1.z], a[ai + oa1.w]);
                v = vec4<f32>(g[gi + og0.x], g[gi + og0.y], g[gi + og0.z], g[gi + og0.w]);
            } else {
                u0 = vec4<f32>(g[gi + og0.x], g[gi + og0.y], g[gi + og0.z], g[gi + og0.w]);
                u1 = vec4<f32>(g[gi + og1.x], g[gi + og1.y], g[gi + og1.z], g[gi + og1.w]);
                v = vec4<f32>(a[ai + oa0.x], a[ai + oa0.y], a[ai + oa0.z], a[ai + oa0.w]);
            }
            acc0 = fma(vec4<f32>(u0.x), v, acc0);
            acc1 = fma(vec4<f32>(u0.y), v, acc1);
            acc2 = fma(vec4<f32>(u0.z), v, acc2);
            acc3 = fma(vec4<f32>(u0.w), v, acc3);
            acc4 = fma(vec4<f32>(u1.x), v, acc4);
            acc5 = fma(vec4<f32>(u1.y), v, acc5);
            acc6 = fma(vec4<f32>(u1.z), v, acc6);
            acc7 = fma(vec4<f32>(u1.w), v, acc7);
            if SQUARE {
                let v1 = vec4<f32>(a[ai + oa1.x], a[ai + oa1.y], a[ai + oa1.z], a[ai + oa1.w]);
                bcc0 = fma(vec4<f32>(u0.x), v1, bcc0);
                bcc1 = fma(vec4<f32>(u0.y), v1, bcc1);
                bcc2 = fma(vec4<f32>(u0.z), v1, bcc2);
                bcc3 = fma(vec4<f32>(u0.w), v1, bcc3);
                bcc4 = fma(vec4<f32>(u1.x), v1, bcc4);
                bcc5 = fma(vec4<f32>(u1.y), v1, bcc5);
                bcc6 = fma(vec4<f32>(u1.z), v1, bcc6);
                bcc7 = fma(vec4<f32>(u1.w), v1, bcc7);
            }
        }
    }
    let base = split * p.len;
    store_block(base, cg0, ca0, 0u, tap, acc0);
    store_block(base, cg0, ca0, 1u, tap, acc1);
    store_block(base, cg0, ca0, 2u, tap, acc2);
    store_block(base, cg0, ca0, 3u, tap, acc3);
    store_block(base, cg0, ca0, 4u, tap, acc4);
    store_block(base, cg0, ca0, 5u, tap, acc5);
    store_block(base, cg0, ca0, 6u, tap, acc6);
    store_block(base, cg0, ca0, 7u, tap, acc7);
    if SQUARE {
        let ca1 = ca0 + 4u;
        store_block(base, cg0, ca1, 0u, tap, bcc0);
        store_block(base, cg0, ca1, 1u, tap, bcc1);
        store_block(base, cg0, ca1, 2u, tap, bcc2);
        store_block(base, cg0, ca1, 3u, tap, bcc3);
        store_block(base, cg0, ca1, 4u, tap, bcc4);
        store_block(base, cg0, ca1, 5u, tap, bcc5);
        store_block(base, cg0, ca1, 6u, tap, bcc6);
        store_block(base, cg0, ca1, 7u, tap, bcc7);
    }
}

// Writes acc_m (channel m of the wide side, 4 channels of the narrow side) of
// one split into partial[cg][ca][tap], skipping channels past the end.
fn store_block(base: u32, cg0: u32, ca0: u32, m: u32, tap: u32, v: vec4<f32>) {
    let taps = p.k_h * p.k_w;
    for (var k = 0u; k < 4u; k++) {
        let cg = select(cg0 + m, cg0 + k, WIDE_A);
        let ca = select(ca0 + k, ca0 + m, WIDE_A);
        if cg < p.c_g && ca < p.c_a {
            out[base + (cg * p.c_a + ca) * taps + tap] = v[k];
        }
    }
}

@compute @workgroup_size(WG)
fn conv2d_backward_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    weight_partial(gid);
}

@compute @workgroup_size(WG)
fn conv_transpose2d_backward_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    weight_partial(gid);
}

@compute @workgroup_size(WG)
fn conv2d_backward_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = gid.x;
    if c >= p.c_g {
        return;
    }
    let chunk = gid.y;
    let n = gid.z;
    let hw = p.h_g * p.w_g;
    let plane = (n * p.c_g + c) * hw;
    var i = plane + chunk * p.split_len;
    let end = plane + min((chunk + 1u) * p.split_len, hw);
    var acc = vec4<f32>(0.0);
    for (; i + 4u <= end; i += 4u) {
        acc += vec4<f32>(g[i], g[i + 1u], g[i + 2u], g[i + 3u]);
    }
    var tail = 0.0;
    for (; i < end; i++) {
        tail += g[i];
    }
    out[(n * nwg.y + chunk) * p.c_g + c] = ((acc.x + acc.y) + (acc.z + acc.w)) + tail;
}

@compute @workgroup_size(64)
fn conv_backward_sum_splits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if i >= p.len {
        return;
    }
    var sum = 0.0;
    for (var k = 0u; k < p.splits; k++) {
        sum += g[k * p.len + i];
    }
    out[i] = sum;
}

// Padded coordinates (relative to the padded axis) whose reflection is i, in
// increasing order; -1 where absent. Needs pad < n.
fn fold_sources(i: u32, n: u32) -> vec3<i32> {
    let pad = i32(p.pad);
    let ii = i32(i);
    let nn = i32(n);
    // Left mirror: padded -i for 1 <= i <= pad; right: 2n - 2 - i for
    // n - 1 - pad <= i <= n - 2.
    let left = select(-1, pad - ii, ii >= 1 && ii <= pad);
    let right = select(-1, pad + 2 * nn - 2 - ii, ii >= nn - 1 - pad && ii <= nn - 2);
    return vec3<i32>(left, pad + ii, right);
}

// dx[n, c, y, x] = sum of the padded gradient g [N, C, H + 2p, W + 2p] over
// the positions that reflect onto (y, x). One invocation per element of dx.
@compute @workgroup_size(64)
fn conv2d_backward_input_fold(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let hw = p.h_a * p.w_a;
    if i >= p.n * p.c_a * hw {
        return;
    }
    let plane = i / hw;
    let y = (i % hw) / p.w_a;
    let xx = i % p.w_a;
    let hp = p.h_a + 2u * p.pad;
    let wp = p.w_a + 2u * p.pad;
    let rows = fold_sources(y, p.h_a);
    let cols = fold_sources(xx, p.w_a);
    var sum = 0.0;
    for (var r = 0u; r < 3u; r++) {
        if rows[r] < 0 {
            continue;
        }
        let row = (plane * hp + u32(rows[r])) * wp;
        for (var c = 0u; c < 3u; c++) {
            if cols[c] >= 0 {
                sum += g[row + u32(cols[c])];
            }
        }
    }
    out[i] = sum;
}

// conv2d_backward_weight_tiled: conv2d's weight gradient as a GEMM tiled in
// workgroup memory, for the tiled forms: per tap,
//   dW[cg, ca, tap] = sum over pixels r = (n, oy, ox) of G[r, cg] * A[r, ca]
// with G = dy and A = x read through the tap (the im2col of x, never
// stored). A workgroup of TILE x TILE invocations owns 4*CQ*TILE g channels
// x 4*TILE a channels at one tap and one split of the pixels (split_len
// pixels, not rows, here). Per step of TILE pixels every invocation loads one
// pixel (consecutive across a warp) of 4*CQ g channels and 4 a channels into
// workgroup memory as [pixel][channel], rows padded by one vec4 so the
// transposing writes spread over banks; after a barrier invocation (tx, ty)
// accumulates a channels 4tx..4tx+3 x g channels of quads ty + i*TILE from
// TILE pixels: per pixel one vec4 of A and CQ of G feed 16*CQ FMAs. Partials
// as weight_partial's. Workgroup memory: 16 (TILE + 1) TILE (CQ + 1) bytes,
// 12.8 KiB at most (TILE <= 16, CQ <= 2).
// Dispatch: (ceil(C_g / (4*CQ*TILE)) * ceil(C_a / (4*TILE)), KH*KW, splits).
override TILE: u32 = 16u;
override CQ: u32 = 1u;
var<workgroup> g_tile: array<vec4<f32>, 528>;
var<workgroup> a_tile: array<vec4<f32>, 272>;

@compute @workgroup_size(TILE, TILE, 1)
fn conv2d_backward_weight_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tx = lid.x;
    let ty = lid.y;
    let blocks_a = (p.c_a + 4u * TILE - 1u) / (4u * TILE);
    let cg_base = (wid.x / blocks_a) * 4u * CQ * TILE;
    let ca_base = (wid.x % blocks_a) * 4u * TILE;
    let tap = wid.y;
    let split = wid.z;
    let ky = tap / p.k_w;
    let kx = tap - ky * p.k_w;
    let hw_g = p.h_g * p.w_g;
    let hw_a = p.h_a * p.w_a;
    let r0 = split * p.split_len;
    let r_end = min(r0 + p.split_len, p.n * hw_g);
    let g_row = CQ * TILE + 1u;
    let a_row = TILE + 1u;
    var acc: array<array<vec4<f32>, 4>, 2>;
    for (var rb = r0; rb < r_end; rb += TILE) {
        // This invocation's pixel of the step and where it reads a.
        let r = rb + tx;
        let ok = r < r_end;
        let n = r / hw_g;
        let rem = r - n * hw_g;
        let oy = rem / p.w_g;
        let ox = rem - oy * p.w_g;
        var iy = i32(oy * p.stride + ky) - i32(p.pad);
        var ix = i32(ox * p.stride + kx) - i32(p.pad);
        if p.reflect != 0u {
            iy = i32(mirror(iy, p.h_a));
            ix = i32(mirror(ix, p.w_a));
        }
        let a_ok = ok && iy >= 0 && iy < i32(p.h_a) && ix >= 0 && ix < i32(p.w_a);
        let g_at = n * p.c_g * hw_g + rem;
        let a_at = n * p.c_a * hw_a + u32(max(iy, 0)) * p.w_a + u32(max(ix, 0));
        for (var j = 0u; j < 4u * CQ; j++) {
            let c = ty + j * TILE;
            var v = 0.0;
            if ok && cg_base + c < p.c_g {
                v = g[g_at + (cg_base + c) * hw_g];
            }
            g_tile[tx * g_row + c / 4u][c % 4u] = v;
        }
        for (var j = 0u; j < 4u; j++) {
            let c = ty + j * TILE;
            var v = 0.0;
            if a_ok && ca_base + c < p.c_a {
                v = a[a_at + (ca_base + c) * hw_a];
            }
            a_tile[tx * a_row + c / 4u][c % 4u] = v;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            let av = a_tile[kk * a_row + tx];
            for (var i = 0u; i < CQ; i++) {
                let gv = g_tile[kk * g_row + ty + i * TILE];
                acc[i][0] = fma(vec4<f32>(gv.x), av, acc[i][0]);
                acc[i][1] = fma(vec4<f32>(gv.y), av, acc[i][1]);
                acc[i][2] = fma(vec4<f32>(gv.z), av, acc[i][2]);
                acc[i][3] = fma(vec4<f32>(gv.w), av, acc[i][3]);
            }
        }
        workgroupBarrier();
    }
    let taps = p.k_h * p.k_w;
    let base = split * p.len;
    for (var i = 0u; i < CQ; i++) {
        for (var m = 0u; m < 4u; m++) {
            let cg = cg_base + 4u * (ty + i * TILE) + m;
            for (var k = 0u; k < 4u; k++) {
                let ca = ca_base + 4u * tx + k;
                if cg < p.c_g && ca < p.c_a {
                    out[base + (cg * p.c_a + ca) * taps + tap] = acc[i][m][k];
                }
            }
        }
    }
}
