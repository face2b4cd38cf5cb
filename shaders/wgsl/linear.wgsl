// linear (PyTorch nn.Linear without bias) and its gradients, as one tiled
// GEMM  out[r, c] = sum_k A(r, k) * B(k, c)  over row-major operands:
//
//   linear                   y  [N, O] = act(x [N, I] . w [O, I]^T)   A = x,    B = w^T
//   linear_backward_input    dx [N, I] = dy [N, O] . w [O, I]         A = dy,   B = w
//   linear_backward_weight   dw [O, I] = dy [N, O]^T . x [N, I]       A = dy^T, B = x
//
// Each entry point fixes the strides of A and B; `gemm` does the rest.
// A workgroup of TILE x TILE = 256 invocations owns one TILE x TILE block of
// the output, one value per invocation. It walks its range of the inner
// dimension in TILE-wide steps: each invocation loads one value of A's and
// one of B's block into workgroup memory (zero past the edges, so any size
// works), then every invocation accumulates its dot product from workgroup
// memory. Loads run along the operand's contiguous dimension so that
// neighbouring invocations read neighbouring addresses.
//
// A weight larger than one storage binding arrives as row blocks ("parts",
// see nn/arena.rs), one dispatch per part:
//   linear                 part p writes output columns [o_p, o_p + O_p)
//                          (out_off, out_stride = O);
//   linear_backward_input  part p reads dy's columns [o_p, o_p + O_p)
//                          (a_off, a_stride = O) and adds into dx
//                          (accumulate = 1 after the first part);
//   linear_backward_weight part p reads the same columns of dy and writes
//                          (or adds to) that part's gradient.
// Dispatches of one stream run in order, and each output value belongs to one
// invocation, so accumulation is race-free and deterministic.
//
// Split-K (linear only): when a few output tiles face a long inner
// dimension (U-GAT-IT's FC.0, 1,048,576 inputs for 256 outputs) the grid's z
// splits the inner dimension into ranges of k_split; split s writes its
// partial sums at s * split_stride, and linear_reduce adds the splits in a
// fixed order and applies the activation.
//
// Small batches (N <= 4, U-GAT-IT's batch 1): a GEMM tile would leave 15 of
// its 16 rows empty, so three entry points without workgroup tiles serve them,
// each reading its weight once with neighbouring invocations on neighbouring
// addresses and no barrier in its main loop:
//   linear_small_batch                 one workgroup per output feature: its
//                                      invocations stride along the inner
//                                      dimension, then a tree reduction;
//   linear_backward_input_small_batch  one invocation per input feature,
//                                      looping over the part's rows;
//   linear_backward_weight_small_batch one invocation per weight.
// Each keeps the batch's up to 4 sums in a vec4.
//
// Tiles are numbered x + y * num_workgroups.x so that more than 65,535 of
// them (dx and dw of that layer) fit WebGPU's per-dimension limit; the
// workgroups past the last tile return before any barrier (the test is
// uniform: workgroup_id, num_workgroups and the uniforms are).
//
// Dispatch: groups_1d(tiles) with z = number of splits.
// Bindings: 0 params (uniform), 1 a, 2 b, 3 out.
// 256 invocations and 2 KiB of workgroup memory: within WebGPU's default
// maxComputeInvocationsPerWorkgroup (256) and
// maxComputeWorkgroupStorageSize (16 KiB).
//
// Uses the helpers of common/activation.wgsl and the tree sums of
// common/workgroup_sum.wgsl, which shaders/src/wgsl.rs puts in front of this
// text.

struct Params {
    // rows of the output (of this part)
    rows: u32,
    // columns of the output (of this part)
    cols: u32,
    // length of each dot product
    inner: u32,
    // activation code (linear without split only; linear_reduce):
    // 0 none, 1 relu, 2 leaky relu, 3 tanh, 4 sigmoid
    act: u32,
    slope: f32,
    // column tiles: ceil(cols / TILE)
    tiles_x: u32,
    // row stride of A's tensor (x: I; dy: O) and the offset of A(0, 0)
    a_stride: u32,
    a_off: u32,
    // row stride of out and the column of out(0, 0)
    out_stride: u32,
    out_off: u32,
    // distance between two splits' partial outputs (0 without split-K)
    split_stride: u32,
    // inner-dimension length of one split (a multiple of TILE)
    k_split: u32,
    // 1: add to out instead of overwriting it
    accumulate: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;

// A's block, [row][k]; B's block, [k][col].
var<workgroup> tile_a: array<f32, 256>;
var<workgroup> tile_b: array<f32, 256>;

// The dot product of output (row0 + ly, col0 + lx) over k in [k_begin,
// k_end) with A(r, k) at a[a_off + r * a_sr + k * a_sk] and B(k, c) at
// b[k * b_sk + c * b_sc]; every invocation of the workgroup calls it (it has
// barriers).
fn gemm(lx: u32, ly: u32, row0: u32, col0: u32, k_begin: u32, k_end: u32, a_sr: u32, a_sk: u32, b_sk: u32, b_sc: u32) -> f32 {
    // Which local index runs along the contiguous dimension of each operand.
    let a_k_fast = a_sk == 1u;
    let ar = select(lx, ly, a_k_fast);
    let ak = select(ly, lx, a_k_fast);
    let b_k_fast = b_sk == 1u;
    let bk = select(ly, lx, b_k_fast);
    let bc = select(lx, ly, b_k_fast);
    var acc = 0.0;
    for (var k0 = k_begin; k0 < k_end; k0 += TILE) {
        let r = row0 + ar;
        let ka = k0 + ak;
        var va = 0.0;
        if r < p.rows && ka < k_end {
            va = a[p.a_off + r * a_sr + ka * a_sk];
        }
        tile_a[ar * TILE + ak] = va;
        let kb = k0 + bk;
        let c = col0 + bc;
        var vb = 0.0;
        if kb < k_end && c < p.cols {
            vb = b[kb * b_sk + c * b_sc];
        }
        tile_b[bk * TILE + bc] = vb;
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            acc += tile_a[ly * TILE + kk] * tile_b[kk * TILE + lx];
        }
        workgroupBarrier();
    }
    return acc;
}

// This workgroup's tile origin (row0, col0), or row0 = rows past the last tile.
fn tile_origin(wid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
    let t = wid.x + wid.y * nwg.x;
    let tiles = p.tiles_x * ((p.rows + TILE - 1u) / TILE);
    if t >= tiles {
        return vec2<u32>(p.rows, 0u);
    }
    return vec2<u32>((t / p.tiles_x) * TILE, (t % p.tiles_x) * TILE);
}

// The inner range [begin, end) of split z.
fn k_range(z: u32) -> vec2<u32> {
    let begin = z * p.k_split;
    return vec2<u32>(begin, min(p.inner, begin + p.k_split));
}

fn store(z: u32, row: u32, col: u32, v: f32) {
    if row < p.rows && col < p.cols {
        let i = z * p.split_stride + row * p.out_stride + p.out_off + col;
        if p.accumulate == 1u {
            out[i] += v;
        } else {
            out[i] = v;
        }
    }
}

// y = act(x . w^T): rows N, cols O_p, inner I.
@compute @workgroup_size(16, 16)
fn linear(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let o = tile_origin(wid, nwg);
    if o.x >= p.rows {
        return;
    }
    let k = k_range(wid.z);
    let acc = gemm(lid.x, lid.y, o.x, o.y, k.x, k.y, p.a_stride, 1u, 1u, p.inner);
    var v = acc;
    if p.split_stride == 0u {
        v = apply_activation(p.act, p.slope, acc);
    }
    store(wid.z, o.x + lid.y, o.y + lid.x, v);
}

// dx = dy . w: rows N, cols I, inner O_p.
@compute @workgroup_size(16, 16)
fn linear_backward_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let o = tile_origin(wid, nwg);
    if o.x >= p.rows {
        return;
    }
    let acc = gemm(lid.x, lid.y, o.x, o.y, 0u, p.inner, p.a_stride, 1u, p.cols, 1u);
    store(0u, o.x + lid.y, o.y + lid.x, acc);
}

// dw = dy^T . x: rows O_p, cols I, inner N.
@compute @workgroup_size(16, 16)
fn linear_backward_weight(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let o = tile_origin(wid, nwg);
    if o.x >= p.rows {
        return;
    }
    let acc = gemm(lid.x, lid.y, o.x, o.y, 0u, p.inner, 1u, p.a_stride, p.cols, 1u);
    store(0u, o.x + lid.y, o.y + lid.x, acc);
}

// out[r, c] = act(sum over s < inner of a[s * split_stride + r * cols + c]):
// the splits of linear added in order. One invocation per output value;
// dispatch groups_1d(rows * cols, 256). Bindings 0, 1 and 3.
@compute @workgroup_size(256)
fn linear_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if i >= p.rows * p.cols {
        return;
    }
    var acc = 0.0;
    for (var s = 0u; s < p.inner; s++) {
        acc += a[s * p.split_stride + i];
    }
    out[i] = apply_activation(p.act, p.slope, acc);
}

// ---- small batches (rows <= 4 batch samples) --------------------------------

// The batch's values at inner index k of A = x or dy (row stride a_stride,
// offset a_off), zero past the batch.
fn batch_values(k: u32, n: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    v.x = a[p.a_off + k];
    if n > 1u {
        v.y = a[p.a_off + p.a_stride + k];
    }
    if n > 2u {
        v.z = a[p.a_off + 2u * p.a_stride + k];
    }
    if n > 3u {
        v.w = a[p.a_off + 3u * p.a_stride + k];
    }
    return v;
}

// y[n, out_off + o] = act(sum_k x[n, k] w[o, k]): rows = N (<= 4), cols = O_p,
// inner = I. Dispatch groups_1d(O_p, 1) workgroups of 256.
@compute @workgroup_size(256)
fn linear_small_batch(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let o = wid.x + wid.y * nwg.x;
    if o >= p.cols {
        return;
    }
    var acc = vec4<f32>(0.0);
    let row = o * p.inner;
    for (var k = lid; k < p.inner; k += 256u) {
        acc += batch_values(k, p.rows) * b[row + k];
    }
    red_vec4[lid] = acc;
    tree_sum_vec4(lid, 256u);
    if lid < p.rows {
        let v = apply_activation(p.act, p.slope, red_vec4[0][lid]);
        out[lid * p.out_stride + p.out_off + o] = v;
    }
}

// dx[n, i] (+)= sum_o dy[n, a_off + o] w[o, i]: rows = N (<= 4), cols = I,
// inner = O_p. One invocation per i; dispatch groups_1d(I, 256).
@compute @workgroup_size(256)
fn linear_backward_input_small_batch(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if i >= p.cols {
        return;
    }
    var acc = vec4<f32>(0.0);
    for (var o = 0u; o < p.inner; o++) {
        acc += batch_values(o, p.rows) * b[o * p.cols + i];
    }
    for (var n = 0u; n < p.rows; n++) {
        let at = n * p.out_stride + i;
        if p.accumulate == 1u {
            out[at] += acc[n];
        } else {
            out[at] = acc[n];
        }
    }
}

// dw[o, i] (+)= sum_n dy[n, a_off + o] x[n, i]: rows = O_p, cols = I,
// inner = N (<= 4); a = dy (a_stride = O), b = x. One invocation per weight;
// dispatch groups_1d(O_p * I, 256).
@compute @workgroup_size(256)
fn linear_backward_weight_small_batch(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = gid.x + gid.y * nwg.x * 256u;
    if j >= p.rows * p.cols {
        return;
    }
    let o = j / p.cols;
    let i = j % p.cols;
    var acc = 0.0;
    for (var n = 0u; n < p.inner; n++) {
        acc += a[p.a_off + n * p.a_stride + o] * b[n * p.cols + i];
    }
    if p.accumulate == 1u {
        out[j] += acc;
    } else {
        out[j] = acc;
    }
}
