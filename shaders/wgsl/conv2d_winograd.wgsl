// conv2d_winograd: y = act(conv(x, w) + b) for 3x3 stride-1 convolutions by
// Winograd's F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each 2x2 output tile is A^T [sum_ci (G g G^T) .*
// (B^T d B)] A, d the tile's 4x4 input patch, g a 3x3 filter, so 16
// multiplies per tile and channel pair instead of 36. F(4x4, 3x3), at the end
// of the file, has its own transforms and shares the GEMM.
//
// x: [N, C_in, H, W]; y: [N, C_out, H_out, W_out] (H_out = H + 2 pad - 2),
// f32, contiguous. Padding (zero or reflect) is index arithmetic. Tiles are
// numbered t = (n * tiles_h + ty) * tiles_w + tx over the whole batch,
// T = N * ceil(H_out / 2) * ceil(W_out / 2) of them.
//
// Four entry points, run in this order:
//   conv2d_winograd_weight: the packed weight [9][C_in][C_out8] (conv2d's
//     layout) to U = G g G^T, [16][C_in][u_cols] (u_cols = C_out rounded up
//     to 8, zero filled). One invocation per (ci, co) pair.
//     Dispatch: (ceil(C_in * u_cols / 64) folded into x and y).
//   conv2d_winograd_input: x to V = B^T d B, [16][C_in][T4] (T4 = T rounded
//     up to 4, the extra tiles zero). One invocation per (tile, ci).
//     Dispatch: (ceil(T4 / 64), C_in, 1).
//   conv2d_winograd_gemm: M[xi] = U[xi]^T V[xi] for the 16 transform points
//     xi, M [16][C_out][T4]. Each invocation computes 8 output channels x 8
//     tiles, two vec4 groups of 4 consecutive tiles WG_PIX groups apart, so
//     neighbouring invocations read neighbouring V values and the same U
//     values; per input channel 4 vec4 loads feed 64 FMAs.
//     Dispatch: (ceil(C_out / 8), ceil(T4 / (8 * WG_PIX)), 16).
//   conv2d_winograd_output: y = act(A^T M A + b). One invocation per
//     (tile, co). Dispatch: (ceil(T / 64), C_out, 1).
// The weight gradient runs the input transform and the GEMM with other
// layouts, between two transforms of its own (see its section at the end).
// Bindings: 0 params (uniform); 1 x (input), dY (dy); 2 packed weight
// (weight); 3 U, 4 V, 8 M (gemm); 5 M, 6 bias, dummy when has_bias = 0
// (output); 5 dU (dweight); 7 the result of the other entry points (U, V,
// y, E or dW).
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
    c_out8: u32,
    tiles_h: u32,
    tiles_w: u32,
    // N * tiles_h * tiles_w
    tiles: u32,
    pad: u32,
    reflect: u32,
    has_bias: u32,
    // 0 none, 1 relu, 2 leaky relu (slope), 3 tanh, 4 sigmoid
    act: u32,
    slope: f32,
    // Columns of U: C_out rounded up to the GEMM's 8 channels.
    u_cols: u32,
    // T rounded up to 4: the row length of V and M.
    tiles_pad: u32,
    // 1: the weight transforms read the filter rotated by 180 degrees (tap
    // 8 - t): with a conv_transpose2d-packed weight [9][C_out][C_in8] that is
    // the conv2d-packed weight of conv2d's input gradient for stride 1.
    flip: u32,
    // Layout of V, the input transform's output: element (point, ci, t) at
    // point * v_point + ci * v_chan + t * v_tile. The forward pass's V is
    // [P][C_in][T4] (v_chan = T4, v_tile = 1); the weight gradient's is
    // [P][T][C_in4] (v_chan = 1, v_tile = C_in4), the GEMM's operand there.
    v_chan: u32,
    v_tile: u32,
    v_point: u32,
    // Output tile size of the 6x6-patch forms: 4 for F(4x4, 3x3), 3 for
    // F(3x3, 4x4) (conv2d_winograd4_input steps its patches by it).
    tile_m: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w_packed: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> m: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> m_out: array<vec4<f32>>;

override WG_PIX: u32 = 16u;

// Shared by the three forms. Every transform multiplies a small matrix by
// a transform matrix on each side, one side at a time: each column of the
// patch (each row, for dW = G^T dU G), then each row (column) of the result.
// What differs between the forms is only the matrices, written once per form
// as functions of one column or row (g4, bt4, at4, a4, gt4 for F(2x2, 3x3);
// g6, bt6, at6, a6, gt6 for F(4x4, 3x3); g6k4, at6k4, a6k4, gt6k4 for
// F(3x3, 4x4)); the helpers below read the operands and write the results.

// The invocation index of the kernels dispatched as ceil(count / 64)
// workgroups folded into x and y.
fn folded_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

// Tap t (row-major) of filter (ci, co) in a packed weight [taps][C_in][C_out8]
// (conv2d's layout), tap taps - 1 - t when p.flip is set: the filter rotated
// by 180 degrees. Zero for the columns co >= C_out8 of U's padding.
fn filter_tap(ci: u32, co: u32, t: u32, taps: u32) -> f32 {
    if co >= p.c_out8 {
        return 0.0;
    }
    let tap = select(t, taps - 1u - t, p.flip != 0u);
    return w_packed[tap * (p.c_in * p.c_out8) + (ci * p.c_out8 + co)];
}

// Column c of a 3x3 filter, (g[0][c], g[1][c], g[2][c]).
fn filter_col3(ci: u32, co: u32, c: u32) -> vec3<f32> {
    return vec3<f32>(filter_tap(ci, co, c, 9u), filter_tap(ci, co, 3u + c, 9u), filter_tap(ci, co, 6u + c, 9u));
}

// Column c of a 4x4 filter.
fn filter_col4(ci: u32, co: u32, c: u32) -> vec4<f32> {
    return vec4<f32>(
        filter_tap(ci, co, c, 16u),
        filter_tap(ci, co, 4u + c, 16u),
        filter_tap(ci, co, 8u + c, 16u),
        filter_tap(ci, co, 12u + c, 16u),
    );
}

// Index along an axis of `size` of padded coordinate `i`, or -1 where the
// value is zero (zero padding, or past the padded extent, which only feeds
// outputs of a partial tile that are never stored).
fn src_index(i: i32, size: u32) -> i32 {
    let n = i32(size);
    var j = i;
    if p.reflect != 0u {
        j = select(j, -j, j < 0);
        j = select(j, 2 * n - 2 - j, j >= n);
    }
    return select(-1, j, j >= 0 && j < n);
}

// x at (row, col) of the input plane starting at `plane`, row and col from
// src_index (-1: zero).
fn patch_at(plane: u32, row: i32, col: i32) -> f32 {
    if row >= 0 && col >= 0 {
        return x[plane + u32(row) * p.w_in + u32(col)];
    }
    return 0.0;
}

// Tile t's image n and the (row, column) of its first output, tiles m
// outputs apart: (n, m ty, m tx).
fn tile_origin(t: u32, m: u32) -> vec3<u32> {
    let per_image = p.tiles_h * p.tiles_w;
    return vec3<u32>(t / per_image, m * ((t % per_image) / p.tiles_w), m * (t % p.tiles_w));
}

// Where plane (n, co) of the output (or of dY) starts.
fn output_plane(n: u32, co: u32) -> u32 {
    return (n * p.c_out + co) * p.h_out * p.w_out;
}

// Writes v at output (yy, xx) of the plane at `base`, if inside the output.
fn store_y(base: u32, yy: u32, xx: u32, v: f32) {
    if yy < p.h_out && xx < p.w_out {
        out[base + yy * p.w_out + xx] = v;
    }
}

// The tile's dY value at output (yy, xx) of plane `base`, zero past the
// output (a partial tile's missing outputs have no gradient).
fn dy_at(base: u32, yy: u32, xx: u32) -> f32 {
    if yy < p.h_out && xx < p.w_out {
        return x[base + yy * p.w_out + xx];
    }
    return 0.0;
}

// Writes row r of a transform's 4x4 (or 6x6) points: point 4 r + c (6 r + c)
// of an array whose points are `stride` apart, at offset o within a point.
fn store_row4(r: u32, row: vec4<f32>, stride: u32, o: u32) {
    for (var c = 0u; c < 4u; c++) {
        out[(4u * r + c) * stride + o] = row[c];
    }
}

fn store_row6(r: u32, row: array<f32, 6>, stride: u32, o: u32) {
    for (var c = 0u; c < 6u; c++) {
        out[(6u * r + c) * stride + o] = row[c];
    }
}

// Zeros at the first `points` points of an array whose points are `stride`
// apart, at offset o: V's padding tiles.
fn store_zeros(points: u32, stride: u32, o: u32) {
    for (var k = 0u; k < points; k++) {
        out[k * stride + o] = 0.0;
    }
}

// Row r and column c of the 4x4 (or 6x6) points of m (M or dU), points
// `stride` apart, at offset o within a point.
fn m_row4(r: u32, stride: u32, o: u32) -> vec4<f32> {
    let k = 4u * r * stride + o;
    return vec4<f32>(m[k], m[k + stride], m[k + 2u * stride], m[k + 3u * stride]);
}

fn m_col4(c: u32, stride: u32, o: u32) -> vec4<f32> {
    return vec4<f32>(m[c * stride + o], m[(4u + c) * stride + o], m[(8u + c) * stride + o], m[(12u + c) * stride + o]);
}

fn m_row6(r: u32, stride: u32, o: u32) -> array<f32, 6> {
    var row: array<f32, 6>;
    for (var c = 0u; c < 6u; c++) {
        row[c] = m[(6u * r + c) * stride + o];
    }
    return row;
}

fn m_col6(c: u32, stride: u32, o: u32) -> array<f32, 6> {
    var col: array<f32, 6>;
    for (var r = 0u; r < 6u; r++) {
        col[r] = m[(6u * r + c) * stride + o];
    }
    return col;
}

// bias[co], or 0 without a bias.
fn bias_or_zero(co: u32) -> f32 {
    if p.has_bias != 0u {
        return bias[co];
    }
    return 0.0;
}

// F(2x2, 3x3)'s matrices, each applied to one column (or row):
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
fn g4(a: vec3<f32>) -> vec4<f32> {
    return vec4<f32>(a.x, 0.5 * (a.x + a.y + a.z), 0.5 * (a.x - a.y + a.z), a.z);
}

fn bt4(a: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(a.x - a.z, a.y + a.z, a.z - a.y, a.y - a.w);
}

fn at4(a: vec4<f32>) -> vec2<f32> {
    return vec2<f32>(a.x + a.y + a.z, a.y - a.z - a.w);
}

// U = G g G^T.
@compute @workgroup_size(64)
fn conv2d_winograd_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    let plane = p.c_in * p.u_cols;
    if i >= plane {
        return;
    }
    let co = i % p.u_cols;
    let ci = i / p.u_cols;
    // G g column by column (4 x 3), then each of its rows times G^T.
    let c0 = g4(filter_col3(ci, co, 0u));
    let c1 = g4(filter_col3(ci, co, 1u));
    let c2 = g4(filter_col3(ci, co, 2u));
    for (var r = 0u; r < 4u; r++) {
        store_row4(r, g4(vec3<f32>(c0[r], c1[r], c2[r])), plane, i);
    }
}

// V = B^T d B.
@compute @workgroup_size(64)
fn conv2d_winograd_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let ci = gid.y;
    if t >= p.tiles_pad || ci >= p.c_in {
        return;
    }
    let o = ci * p.v_chan + t * p.v_tile;
    if t >= p.tiles {
        store_zeros(16u, p.v_point, o);
        return;
    }
    let tile = tile_origin(t, 2u);
    let y0 = i32(tile.y) - i32(p.pad);
    let x0 = i32(tile.z) - i32(p.pad);
    var rows: vec4<i32>;
    var cols: vec4<i32>;
    for (var k = 0u; k < 4u; k++) {
        rows[k] = src_index(y0 + i32(k), p.h_in);
        cols[k] = src_index(x0 + i32(k), p.w_in);
    }
    let plane = (tile.x * p.c_in + ci) * p.h_in * p.w_in;
    // B^T d column by column (bd[c] is column c of B^T d), then each of its
    // rows times B.
    var bd: array<vec4<f32>, 4>;
    for (var c = 0u; c < 4u; c++) {
        bd[c] = bt4(vec4<f32>(
            patch_at(plane, rows[0], cols[c]),
            patch_at(plane, rows[1], cols[c]),
            patch_at(plane, rows[2], cols[c]),
            patch_at(plane, rows[3], cols[c]),
        ));
    }
    for (var r = 0u; r < 4u; r++) {
        store_row4(r, bt4(vec4<f32>(bd[0][r], bd[1][r], bd[2][r], bd[3][r])), p.v_point, o);
    }
}

@compute @workgroup_size(WG_PIX, 1, 1)
fn conv2d_winograd_gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let co0 = wid.x * 8u;
    let groups = p.tiles_pad / 4u;
    let g0 = wid.y * 2u * WG_PIX + lid.x;
    let xi = wid.z;
    if g0 >= groups || co0 >= p.c_out {
        return;
    }
    // The second group (the tail repeats the last one).
    let g1 = min(g0 + WG_PIX, groups - 1u);
    let u_stride = p.u_cols / 4u;
    var ui = xi * p.c_in * u_stride + co0 / 4u;
    var vi = xi * p.c_in * groups + g0;
    var vj = xi * p.c_in * groups + g1;
    // a_k, b_k: channel co0 + k of the 4 tiles of groups g0, g1.
    var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0); var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
    var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
    var b4 = vec4<f32>(0.0); var b5 = vec4<f32>(0.0); var b6 = vec4<f32>(0.0); var b7 = vec4<f32>(0.0);
    for (var ci = 0u; ci < p.c_in; ci++) {
        let x0 = v[vi];
        let x1 = v[vj];
        let w0 = u[ui];
        let w1 = u[ui + 1u];
        a0 = fma(x0, vec4<f32>(w0.x), a0); b0 = fma(x1, vec4<f32>(w0.x), b0);
        a1 = fma(x0, vec4<f32>(w0.y), a1); b1 = fma(x1, vec4<f32>(w0.y), b1);
        a2 = fma(x0, vec4<f32>(w0.z), a2); b2 = fma(x1, vec4<f32>(w0.z), b2);
        a3 = fma(x0, vec4<f32>(w0.w), a3); b3 = fma(x1, vec4<f32>(w0.w), b3);
        a4 = fma(x0, vec4<f32>(w1.x), a4); b4 = fma(x1, vec4<f32>(w1.x), b4);
        a5 = fma(x0, vec4<f32>(w1.y), a5); b5 = fma(x1, vec4<f32>(w1.y), b5);
        a6 = fma(x0, vec4<f32>(w1.z), a6); b6 = fma(x1, vec4<f32>(w1.z), b6);
        a7 = fma(x0, vec4<f32>(w1.w), a7); b7 = fma(x1, vec4<f32>(w1.w), b7);
        vi += groups;
        vj += groups;
        ui += u_stride;
    }
    let row = (xi * p.c_out + co0) * groups;
    store_m(row, co0, g0, a0, a1, a2, a3, a4, a5, a6, a7);
    if g0 + WG_PIX < groups {
        store_m(row, co0, g0 + WG_PIX, b0, b1, b2, b3, b4, b5, b6, b7);
    }
}

// conv2d_winograd_gemm_tiled: the same product tiled in workgroup memory,
// the shape GPUs want. A workgroup of 16 x 16 invocations owns 64 output
// channels x 64 tiles of one transform point; per step of 16 input channels
// each invocation stages one vec4 of V (4 tiles) and one of U (4 channels);
// after a barrier invocation (tx, ty) accumulates channels 4 ty .. 4 ty + 3
// x tiles 4 tx .. 4 tx + 3 of the tile, one vec4 of each feeding 16 FMAs.
// Every output sums its products in input-channel order with the same FMAs
// as conv2d_winograd_gemm, so both give the same bits. 8 KiB of workgroup
// memory. Dispatch: (ceil(T4 / 64), ceil(C_out / 64), P).
var<workgroup> v_tile: array<vec4<f32>, 256>;
var<workgroup> u_tile: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16, 1)
fn conv2d_winograd_gemm_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tx = lid.x;
    let ty = lid.y;
    let groups = p.tiles_pad / 4u;
    let u_stride = p.u_cols / 4u;
    let xi = wid.z;
    let g = wid.x * 16u + tx;
    let q0 = wid.y * 16u;
    // acc[m]: the 4 tiles of group g for channel 4 (q0 + ty) + m.
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < p.c_in; k0 += 16u) {
        let k = k0 + ty;
        var vv = vec4<f32>(0.0);
        if k < p.c_in && g < groups {
            vv = v[(xi * p.c_in + k) * groups + g];
        }
        v_tile[ty * 16u + tx] = vv;
        var uu = vec4<f32>(0.0);
        if k < p.c_in && q0 + tx < u_stride {
            uu = u[(xi * p.c_in + k) * u_stride + q0 + tx];
        }
        u_tile[ty * 16u + tx] = uu;
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            let vk = v_tile[kk * 16u + tx];
            let uk = u_tile[kk * 16u + ty];
            acc[0] = fma(vk, vec4<f32>(uk.x), acc[0]);
            acc[1] = fma(vk, vec4<f32>(uk.y), acc[1]);
            acc[2] = fma(vk, vec4<f32>(uk.z), acc[2]);
            acc[3] = fma(vk, vec4<f32>(uk.w), acc[3]);
        }
        workgroupBarrier();
    }
    let co = 4u * (q0 + ty);
    if g < groups {
        for (var m = 0u; m < 4u; m++) {
            if co + m < p.c_out {
                m_out[(xi * p.c_out + co + m) * groups + g] = acc[m];
            }
        }
    }
}

// Writes channels co0..co0+7 (those below c_out) of tile group g of M, whose
// channel co0 starts at vec4 index `row`.
fn store_m(
    row: u32, co0: u32, g: u32,
    r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>,
    r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>,
) {
    let s = p.tiles_pad / 4u;
    let n = p.c_out - co0;
    m_out[row + g] = r0;
    if n > 1u { m_out[row + s + g] = r1; }
    if n > 2u { m_out[row + 2u * s + g] = r2; }
    if n > 3u { m_out[row + 3u * s + g] = r3; }
    if n > 4u { m_out[row + 4u * s + g] = r4; }
    if n > 5u { m_out[row + 5u * s + g] = r5; }
    if n > 6u { m_out[row + 6u * s + g] = r6; }
    if n > 7u { m_out[row + 7u * s + g] = r7; }
}


// y = act(A^T M A + b).
@compute @workgroup_size(64)
fn conv2d_winograd_output(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + t;
    // A^T M column by column: z[c] is column c of A^T M (2 values).
    var z: array<vec2<f32>, 4>;
    for (var c = 0u; c < 4u; c++) {
        z[c] = at4(m_col4(c, stride, o));
    }
    // The tile's rows, then bias and activation on its 4 outputs.
    var r = vec4<f32>(
        at4(vec4<f32>(z[0].x, z[1].x, z[2].x, z[3].x)),
        at4(vec4<f32>(z[0].y, z[1].y, z[2].y, z[3].y)),
    );
    if p.has_bias != 0u {
        r += vec4<f32>(bias[co]);
    }
    r = apply_activation4(p.act, p.slope, r);
    let tile = tile_origin(t, 2u);
    let base = output_plane(tile.x, co);
    for (var k = 0u; k < 4u; k++) {
        store_y(base, tile.y + k / 2u, tile.z + k % 2u, r[k]);
    }
}

// F(4x4, 3x3): 6x6 input patches, 36 transform points, 4x4 output tiles
// (tiles_h = ceil(H_out / 4), patches at 4 ty - pad); the GEMM above runs
// over the 36 points unchanged (dispatch z = 36). The matrices are Lavin &
// Gray's, with interpolation points 0, +-1, +-2:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
//          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
//        1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]

fn g6(a: vec3<f32>) -> array<f32, 6> {
    return array<f32, 6>(
        0.25 * a.x,
        -(a.x + a.y + a.z) / 6.0,
        -(a.x - a.y + a.z) / 6.0,
        a.x / 24.0 + a.y / 12.0 + a.z / 6.0,
        a.x / 24.0 - a.y / 12.0 + a.z / 6.0,
        a.z,
    );
}

fn bt6(a: array<f32, 6>) -> array<f32, 6> {
    return array<f32, 6>(
        4.0 * a[0] - 5.0 * a[2] + a[4],
        -4.0 * a[1] - 4.0 * a[2] + a[3] + a[4],
        4.0 * a[1] - 4.0 * a[2] - a[3] + a[4],
        -2.0 * a[1] - a[2] + 2.0 * a[3] + a[4],
        2.0 * a[1] - a[2] - 2.0 * a[3] + a[4],
        4.0 * a[1] - 5.0 * a[3] + a[5],
    );
}

fn at6(a: array<f32, 6>) -> vec4<f32> {
    return vec4<f32>(
        a[0] + a[1] + a[2] + a[3] + a[4],
        a[1] - a[2] + 2.0 * (a[3] - a[4]),
        a[1] + a[2] + 4.0 * (a[3] + a[4]),
        a[1] - a[2] + 8.0 * (a[3] - a[4]) + a[5],
    );
}

// U = G g G^T, [36][C_in][u_cols]. Dispatch as conv2d_winograd_weight.
@compute @workgroup_size(64)
fn conv2d_winograd4_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    let plane = p.c_in * p.u_cols;
    if i >= plane {
        return;
    }
    let co = i % p.u_cols;
    let ci = i / p.u_cols;
    // G g column by column (6 x 3), then each of its rows times G^T.
    let c0 = g6(filter_col3(ci, co, 0u));
    let c1 = g6(filter_col3(ci, co, 1u));
    let c2 = g6(filter_col3(ci, co, 2u));
    for (var r = 0u; r < 6u; r++) {
        store_row6(r, g6(vec3<f32>(c0[r], c1[r], c2[r])), plane, i);
    }
}

// V = B^T d B, [36][C_in][T4], patches tile_m apart (F(3x3, 4x4) shares
// this transform: B^T depends only on the interpolation points). Dispatch as
// conv2d_winograd_input.
@compute @workgroup_size(64)
fn conv2d_winograd4_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let ci = gid.y;
    if t >= p.tiles_pad || ci >= p.c_in {
        return;
    }
    let o = ci * p.v_chan + t * p.v_tile;
    if t >= p.tiles {
        store_zeros(36u, p.v_point, o);
        return;
    }
    let tile = tile_origin(t, p.tile_m);
    let y0 = i32(tile.y) - i32(p.pad);
    let x0 = i32(tile.z) - i32(p.pad);
    var rows: array<i32, 6>;
    var cols: array<i32, 6>;
    for (var k = 0u; k < 6u; k++) {
        rows[k] = src_index(y0 + i32(k), p.h_in);
        cols[k] = src_index(x0 + i32(k), p.w_in);
    }
    let plane = (tile.x * p.c_in + ci) * p.h_in * p.w_in;
    // B^T d column by column (bd[c] is column c of B^T d), then each of its
    // rows times B.
    var bd: array<array<f32, 6>, 6>;
    for (var c = 0u; c < 6u; c++) {
        var d: array<f32, 6>;
        for (var r = 0u; r < 6u; r++) {
            d[r] = patch_at(plane, rows[r], cols[c]);
        }
        bd[c] = bt6(d);
    }
    for (var r = 0u; r < 6u; r++) {
        store_row6(r, bt6(array<f32, 6>(bd[0][r], bd[1][r], bd[2][r], bd[3][r], bd[4][r], bd[5][r])), p.v_point, o);
    }
}

// y = act(A^T M A + b). Dispatch as conv2d_winograd_output.
@compute @workgroup_size(64)
fn conv2d_winograd4_output(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + t;
    // A^T M column by column: z[c] is column c of A^T M (4 values).
    var z: array<vec4<f32>, 6>;
    for (var c = 0u; c < 6u; c++) {
        z[c] = at6(m_col6(c, stride, o));
    }
    let b = bias_or_zero(co);
    let tile = tile_origin(t, 4u);
    let base = output_plane(tile.x, co);
    for (var r = 0u; r < 4u; r++) {
        let yr = apply_activation4(
            p.act,
            p.slope,
            at6(array<f32, 6>(z[0][r], z[1][r], z[2][r], z[3][r], z[4][r], z[5][r])) + vec4<f32>(b),
        );
        for (var c = 0u; c < 4u; c++) {
            store_y(base, tile.y + r, tile.z + c, yr[c]);
        }
    }
}

// Weight gradient of a 3x3 stride-1 conv2d. With y_t = A^T [U .* V_t] A for
// each tile t and U = G g G^T, the gradient of the loss with respect to U is
// sum over t of V_t .* E_t, E_t = A dY_t A^T (the adjoint of the output
// transform), and dW = G^T (that sum) G. Four dispatches, for F(2x2) and
// F(4x4) alike:
//   conv2d_winograd_input (or 4_input) with v_chan = 1, v_tile = C_in4:
//     V as [P][T][C_in4];
//   conv2d_winograd_dy (or 4_dy): E as [P][T][u_cols];
//   conv2d_winograd_gemm with c_in = T, tiles_pad = C_in4: the same kernel
//     as the forward GEMM, reducing over tiles instead of input channels,
//     gives dU [P][C_out][C_in4];
//   conv2d_winograd_dweight (or 4_dweight): dW = G^T dU G, [C_out][C_in][3][3].

// A d for F(2x2), d a 2-vector: the rows of A = [1 0; 1 1; 1 -1; 0 -1].
fn a4(d: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(d.x, d.x + d.y, d.x - d.y, -d.y);
}

// E = A dY A^T for F(2x2): one invocation per (tile, co), dY read from
// binding 1. Dispatch: (ceil(T / 64), C_out, 1).
@compute @workgroup_size(64)
fn conv2d_winograd_dy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let tile = tile_origin(t, 2u);
    let base = output_plane(tile.x, co);
    // A dY column by column: z[c] is column c of A dY (4 values).
    var z: array<vec4<f32>, 2>;
    for (var c = 0u; c < 2u; c++) {
        z[c] = a4(vec2<f32>(dy_at(base, tile.y, tile.z + c), dy_at(base, tile.y + 1u, tile.z + c)));
    }
    let stride = p.tiles * p.u_cols;
    let o = t * p.u_cols + co;
    for (var r = 0u; r < 4u; r++) {
        store_row4(r, a4(vec2<f32>(z[0][r], z[1][r])), stride, o);
    }
}

// G^T a for F(2x2), a a 4-vector: the columns of G.
fn gt4(a: vec4<f32>) -> vec3<f32> {
    return vec3<f32>(a.x + 0.5 * (a.y + a.z), 0.5 * (a.y - a.z), 0.5 * (a.y + a.z) + a.w);
}

// dW = G^T dU G for F(2x2), dU read from binding 5 ([16][C_out][C_in4]).
// One invocation per (co, ci). Dispatch: ceil(C_out * C_in / 64) folded
// into x and y.
@compute @workgroup_size(64)
fn conv2d_winograd_dweight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    if i >= p.c_out * p.c_in {
        return;
    }
    let co = i / p.c_in;
    let ci = i % p.c_in;
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + ci;
    // Rows of dU G (4 x 3), then G^T of each column.
    var h: array<vec3<f32>, 4>;
    for (var r = 0u; r < 4u; r++) {
        h[r] = gt4(m_row4(r, stride, o));
    }
    for (var c = 0u; c < 3u; c++) {
        let col = gt4(vec4<f32>(h[0][c], h[1][c], h[2][c], h[3][c]));
        for (var r = 0u; r < 3u; r++) {
            out[9u * i + 3u * r + c] = col[r];
        }
    }
}

// A d for F(4x4), d a 4-vector: the rows of A (the columns of A^T above).
// The same interpolation points as F(3x3, 4x4): its a6k4 of d.xyz, then the
// terms of d.w added last.
fn a6(d: vec4<f32>) -> array<f32, 6> {
    let s = a6k4(d.xyz);
    return array<f32, 6>(s[0], s[1] + d.w, s[2] - d.w, s[3] + 8.0 * d.w, s[4] - 8.0 * d.w, d.w);
}

// E = A dY A^T for F(4x4). Dispatch as conv2d_winograd_dy.
@compute @workgroup_size(64)
fn conv2d_winograd4_dy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let tile = tile_origin(t, 4u);
    let base = output_plane(tile.x, co);
    // A dY column by column: z[c] is column c of A dY (6 values).
    var z: array<array<f32, 6>, 4>;
    for (var c = 0u; c < 4u; c++) {
        z[c] = a6(vec4<f32>(
            dy_at(base, tile.y, tile.z + c),
            dy_at(base, tile.y + 1u, tile.z + c),
            dy_at(base, tile.y + 2u, tile.z + c),
            dy_at(base, tile.y + 3u, tile.z + c),
        ));
    }
    let stride = p.tiles * p.u_cols;
    let o = t * p.u_cols + co;
    for (var r = 0u; r < 6u; r++) {
        store_row6(r, a6(vec4<f32>(z[0][r], z[1][r], z[2][r], z[3][r])), stride, o);
    }
}

// G^T a for F(4x4), a a 6-vector: the columns of G. They are F(3x3, 4x4)'s
// first three (gt6k4), with a[5] added last to the third.
fn gt6(a: array<f32, 6>) -> vec3<f32> {
    let s = gt6k4(a);
    return vec3<f32>(s.x, s.y, s.z + a[5]);
}

// dW = G^T dU G for F(4x4), dU [36][C_out][C_in4]. Dispatch as
// conv2d_winograd_dweight.
@compute @workgroup_size(64)
fn conv2d_winograd4_dweight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    if i >= p.c_out * p.c_in {
        return;
    }
    let co = i / p.c_in;
    let ci = i % p.c_in;
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + ci;
    // Rows of dU G (6 x 3), then G^T of each column.
    var h: array<vec3<f32>, 6>;
    for (var r = 0u; r < 6u; r++) {
        h[r] = gt6(m_row6(r, stride, o));
    }
    for (var c = 0u; c < 3u; c++) {
        let col = gt6(array<f32, 6>(h[0][c], h[1][c], h[2][c], h[3][c], h[4][c], h[5][c]));
        for (var r = 0u; r < 3u; r++) {
            out[9u * i + 3u * r + c] = col[r];
        }
    }
}

// F(3x3, 4x4), for 4x4 stride-1 kernels (PatchGAN's stride-1 layer): the
// same six interpolation points as F(4x4, 3x3), so the same B^T, input
// transform (with tile_m = 3) and GEMM, and its own
//   G = [1/4 0 0 0; -1/6 -1/6 -1/6 -1/6; -1/6 1/6 -1/6 1/6;
//        1/24 1/12 1/6 1/3; 1/24 -1/12 1/6 -1/3; 0 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 1]
// 36 multiplies per 3x3 output tile instead of 144.

fn g6k4(a: vec4<f32>) -> array<f32, 6> {
    return array<f32, 6>(
        0.25 * a.x,
        -(a.x + a.y + a.z + a.w) / 6.0,
        -(a.x - a.y + a.z - a.w) / 6.0,
        a.x / 24.0 + a.y / 12.0 + a.z / 6.0 + a.w / 3.0,
        a.x / 24.0 - a.y / 12.0 + a.z / 6.0 - a.w / 3.0,
        a.w,
    );
}

// U = G g G^T, [36][C_in][u_cols], from a packed 4x4 weight [16][C_in][C_out8]
// (tap 15 - t when flip). Dispatch as conv2d_winograd_weight.
@compute @workgroup_size(64)
fn conv2d_winograd_k4_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    let plane = p.c_in * p.u_cols;
    if i >= plane {
        return;
    }
    let co = i % p.u_cols;
    let ci = i / p.u_cols;
    // G g column by column (6 x 4), then each of its rows times G^T.
    let c0 = g6k4(filter_col4(ci, co, 0u));
    let c1 = g6k4(filter_col4(ci, co, 1u));
    let c2 = g6k4(filter_col4(ci, co, 2u));
    let c3 = g6k4(filter_col4(ci, co, 3u));
    for (var r = 0u; r < 6u; r++) {
        store_row6(r, g6k4(vec4<f32>(c0[r], c1[r], c2[r], c3[r])), plane, i);
    }
}

// A^T a, a a 6-vector: F(4x4, 3x3)'s first three rows (at6), with a[5]
// added last to the third.
fn at6k4(a: array<f32, 6>) -> vec3<f32> {
    let s = at6(a);
    return vec3<f32>(s.x, s.y, s.z + a[5]);
}

// y = act(A^T M A + b), 3x3 tiles. Dispatch as conv2d_winograd_output.
@compute @workgroup_size(64)
fn conv2d_winograd_k4_output(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + t;
    // A^T M column by column: z[c] is column c of A^T M (3 values).
    var z: array<vec3<f32>, 6>;
    for (var c = 0u; c < 6u; c++) {
        z[c] = at6k4(m_col6(c, stride, o));
    }
    let b = bias_or_zero(co);
    let tile = tile_origin(t, 3u);
    let base = output_plane(tile.x, co);
    for (var r = 0u; r < 3u; r++) {
        let v = at6k4(array<f32, 6>(z[0][r], z[1][r], z[2][r], z[3][r], z[4][r], z[5][r])) + vec3<f32>(b);
        let yr = apply_activation4(p.act, p.slope, vec4<f32>(v, 0.0));
        for (var c = 0u; c < 3u; c++) {
            store_y(base, tile.y + r, tile.z + c, yr[c]);
        }
    }
}

// A d for F(3x3, 4x4), d a 3-vector: the rows of A (the columns of A^T).
fn a6k4(d: vec3<f32>) -> array<f32, 6> {
    return array<f32, 6>(
        d.x,
        d.x + d.y + d.z,
        d.x - d.y + d.z,
        d.x + 2.0 * d.y + 4.0 * d.z,
        d.x - 2.0 * d.y + 4.0 * d.z,
        d.z,
    );
}

// E = A dY A^T for F(3x3, 4x4). Dispatch as conv2d_winograd_dy.
@compute @workgroup_size(64)
fn conv2d_winograd_k4_dy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let co = gid.y;
    if t >= p.tiles || co >= p.c_out {
        return;
    }
    let tile = tile_origin(t, 3u);
    let base = output_plane(tile.x, co);
    // A dY column by column: z[c] is column c of A dY (6 values).
    var z: array<array<f32, 6>, 3>;
    for (var c = 0u; c < 3u; c++) {
        z[c] = a6k4(vec3<f32>(
            dy_at(base, tile.y, tile.z + c),
            dy_at(base, tile.y + 1u, tile.z + c),
            dy_at(base, tile.y + 2u, tile.z + c),
        ));
    }
    let stride = p.tiles * p.u_cols;
    let o = t * p.u_cols + co;
    for (var r = 0u; r < 6u; r++) {
        store_row6(r, a6k4(vec3<f32>(z[0][r], z[1][r], z[2][r])), stride, o);
    }
}

// G^T a for F(3x3, 4x4), a a 6-vector: the columns of G.
fn gt6k4(a: array<f32, 6>) -> vec4<f32> {
    return vec4<f32>(
        0.25 * a[0] - (a[1] + a[2]) / 6.0 + (a[3] + a[4]) / 24.0,
        (a[2] - a[1]) / 6.0 + (a[3] - a[4]) / 12.0,
        (a[3] + a[4] - a[1] - a[2]) / 6.0,
        (a[2] - a[1]) / 6.0 + (a[3] - a[4]) / 3.0 + a[5],
    );
}

// dW = G^T dU G for F(3x3, 4x4), dU [36][C_out][C_in4], dW [C_out][C_in][4][4].
// Dispatch as conv2d_winograd_dweight.
@compute @workgroup_size(64)
fn conv2d_winograd_k4_dweight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = folded_index(gid, nwg);
    if i >= p.c_out * p.c_in {
        return;
    }
    let co = i / p.c_in;
    let ci = i % p.c_in;
    let stride = p.c_out * p.tiles_pad;
    let o = co * p.tiles_pad + ci;
    // Rows of dU G (6 x 4), then G^T of each column.
    var h: array<vec4<f32>, 6>;
    for (var r = 0u; r < 6u; r++) {
        h[r] = gt6k4(m_row6(r, stride, o));
    }
    for (var c = 0u; c < 4u; c++) {
        let col = gt6k4(array<f32, 6>(h[0][c], h[1][c], h[2][c], h[3][c], h[4][c], h[5][c]));
        for (var r = 0u; r < 4u; r++) {
            out[16u * i + 4u * r + c] = col[r];
        }
    }
}
