// Activation helpers shared by every kernel with a fused activation. WGSL has
// no include: `shaders/src/wgsl.rs` puts this text in front of the sources
// that declare they use it, and the tests validate each result with naga.
//
// Activation codes, as the kernels' `act` parameter takes them (Rust's
// `Activation::code`): 0 none, 1 relu, 2 leaky relu (slope), 3 tanh,
// 4 sigmoid.

// tanh saturating to +-1 for any magnitude: WGSL's tanh inherits the accuracy
// of sinh/cosh and may return NaN past |x| ~ 88 (gpuweb/gpuweb#4458). It is
// computed from exp(-2|x|) <= 1, with a Taylor series near 0 where
// 1 - exp(-2|x|) would cancel.
fn stable_tanh(v: f32) -> f32 {
    let a = abs(v);
    if a < 0.1 {
        let a2 = a * a;
        return v * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0))));
    }
    let t = exp(-2.0 * a);
    return sign(v) * (1.0 - t) / (1.0 + t);
}

// 1 / (1 + exp(-v)) from e = exp(-|v|) <= 1, which never overflows:
// 1 / (1 + e) for v >= 0, e / (1 + e) below.
fn stable_sigmoid(v: f32) -> f32 {
    let e = exp(-abs(v));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// act(v) for activation code `act`.
fn apply_activation(act: u32, slope: f32, v: f32) -> f32 {
    switch act {
        case 1u: { return max(v, 0.0); }
        case 2u: { return select(v * slope, v, v > 0.0); }
        case 3u: { return stable_tanh(v); }
        case 4u: { return stable_sigmoid(v); }
        default: { return v; }
    }
}

// apply_activation on each component.
fn apply_activation4(act: u32, slope: f32, v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(
        apply_activation(act, slope, v.x),
        apply_activation(act, slope, v.y),
        apply_activation(act, slope, v.z),
        apply_activation(act, slope, v.w),
    );
}

// d act / d pre at the pre-activation `pre`.
fn activation_grad(act: u32, slope: f32, pre: f32) -> f32 {
    switch act {
        case 1u: { return select(0.0, 1.0, pre > 0.0); }
        case 2u: { return select(slope, 1.0, pre > 0.0); }
        case 3u: {
            let t = stable_tanh(pre);
            return 1.0 - t * t;
        }
        case 4u: {
            let s = stable_sigmoid(pre);
            return s * (1.0 - s);
        }
        default: { return 1.0; }
    }
}
