// linear (PyTorch nn.Linear without bias) and its gradients, as one tiled
// GEMM  out[r, c] = sum_k A(r, k) * B(k, c)  over row-major operands:
//
//   linear                   y  [N, O] = act(x [N, I] . w [O, I]^T)   A = x,    B = w^T
//   linear_backward_input    dx [N, I] = dy [N, O] . w [O, I]         A = dy,   B = w
//   linear_backward_weight   dw [O, I] = dy [N, O]^T . x [N, I]       A = dy^T, B = x
//
// Each entry point fixes the strides of A and B; `gemm` does the rest.
// A workgroup of TILE x TILE = 256 invocations owns one TILE x TILE block of
// the output, one value per invocation. It walks the inner dimension in
// TILE-wide steps: each invocation loads one value of A's and one of B's
// block into workgroup memory (zero past the edges, so any size works),
// then every invocation accumulates its dot product from workgroup memory.
// Loads run along the operand's contiguous dimension so that neighbouring
// invocations read neighbouring addresses.
//
// Dispatch: (ceil(cols / TILE), ceil(rows / TILE), 1).
// Bindings: 0 params (uniform), 1 a, 2 b, 3 out.
// 256 invocations and 2 KiB of workgroup memory: within WebGPU's default
// maxComputeInvocationsPerWorkgroup (256) and
// maxComputeWorkgroupStorageSize (16 KiB).
//
// Uses the helpers of common/activation.wgsl, which shaders/src/wgsl.rs
// puts in front of this text.

struct Params {
    // rows of the output
    rows: u32,
    // columns of the output
    cols: u32,
    // length of each dot product
    inner: u32,
    // activation code (linear only): 0 none, 1 relu, 2 leaky relu, 3 tanh, 4 sigmoid
    act: u32,
    slope: f32,
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

// The dot product of output (row0 + ly, col0 + lx) with A(r, k) at
// a[r * a_sr + k * a_sk] and B(k, c) at b[k * b_sk + c * b_sc]; every
// invocation of the workgroup calls it (it has barriers).
fn gemm(lx: u32, ly: u32, row0: u32, col0: u32, a_sr: u32, a_sk: u32, b_sk: u32, b_sc: u32) -> f32 {
    // Which local index runs along the contiguous dimension of each operand.
    let a_k_fast = a_sk == 1u;
    let ar = select(lx, ly, a_k_fast);
    let ak = select(ly, lx, a_k_fast);
    let b_k_fast = b_sk == 1u;
    let bk = select(ly, lx, b_k_fast);
    let bc = select(lx, ly, b_k_fast);
    var acc = 0.0;
    for (var k0 = 0u; k0 < p.inner; k0 += TILE) {
        let r = row0 + ar;
        let ka = k0 + ak;
        var va = 0.0;
        if r < p.rows && ka < p.inner {
            va = a[r * a_sr + ka * a_sk];
        }
        tile_a[ar * TILE + ak] = va;
        let kb = k0 + bk;
        let c = col0 + bc;
        var vb = 0.0;
        if kb < p.inner && c < p.cols {
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

fn store(row: u32, col: u32, v: f32) {
    if row < p.rows && col < p.cols {
        out[row * p.cols + col] = v;
    }
}

// y = act(x . w^T): rows N, cols O, inner I.
@compute @workgroup_size(16, 16)
fn linear(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let acc = gemm(lid.x, lid.y, row0, col0, p.inner, 1u, 1u, p.inner);
    store(row0 + lid.y, col0 + lid.x, apply_activation(p.act, p.slope, acc));
}

// dx = dy . w: rows N, cols I, inner O.
@compute @workgroup_size(16, 16)
fn linear_backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let acc = gemm(lid.x, lid.y, row0, col0, p.inner, 1u, p.cols, 1u);
    store(row0 + lid.y, col0 + lid.x, acc);
}

// dw = dy^T . x: rows O, cols I, inner N.
@compute @workgroup_size(16, 16)
fn linear_backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let acc = gemm(lid.x, lid.y, row0, col0, 1u, p.rows, p.cols, 1u);
    store(row0 + lid.y, col0 + lid.x, acc);
}
