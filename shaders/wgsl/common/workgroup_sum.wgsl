// Deterministic workgroup sums. Each invocation of a workgroup of n
// invocations (n a power of two, at most 256, WebGPU's default
// maxComputeInvocationsPerWorkgroup) writes its partial value into slot lid
// of one of the arrays below; then the whole workgroup calls that array's
// tree_sum_*, which adds slot lid + k into slot lid for k = n/2, n/4, ..., 1,
// with a barrier before the first step and after each, and leaves the total
// in slot 0. The pairs and their order depend on n alone, so a sum has the
// same bits on every run. The caller must not write the array again before
// every invocation has read what it needs from it.
//
// One array per element type: a kernel names the ones it uses, and only
// those count towards its workgroup storage.

var<workgroup> red_f32: array<f32, 256>;
var<workgroup> red_vec2: array<vec2<f32>, 256>;
var<workgroup> red_vec3: array<vec3<f32>, 256>;
var<workgroup> red_vec4: array<vec4<f32>, 256>;

fn tree_sum_f32(lid: u32, n: u32) {
    workgroupBarrier();
    for (var k = n / 2u; k > 0u; k >>= 1u) {
        if lid < k {
            red_f32[lid] += red_f32[lid + k];
        }
        workgroupBarrier();
    }
}

fn tree_sum_vec2(lid: u32, n: u32) {
    workgroupBarrier();
    for (var k = n / 2u; k > 0u; k >>= 1u) {
        if lid < k {
            red_vec2[lid] += red_vec2[lid + k];
        }
        workgroupBarrier();
    }
}

fn tree_sum_vec3(lid: u32, n: u32) {
    workgroupBarrier();
    for (var k = n / 2u; k > 0u; k >>= 1u) {
        if lid < k {
            red_vec3[lid] += red_vec3[lid + k];
        }
        workgroupBarrier();
    }
}

fn tree_sum_vec4(lid: u32, n: u32) {
    workgroupBarrier();
    for (var k = n / 2u; k > 0u; k >>= 1u) {
        if lid < k {
            red_vec4[lid] += red_vec4[lid + k];
        }
        workgroupBarrier();
    }
}
