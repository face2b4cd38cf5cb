//! f64 CPU references of instance norm, the elementwise ops and the image
//! conversions.

use shaders::ops::Activation;

/// The activation codes of the kernels, in f64.
pub fn activate(v: f64, act: Activation) -> f64 {
    match act {
        Activation::None => v,
        Activation::Relu => v.max(0.0),
        Activation::LeakyRelu(s) => {
            if v > 0.0 {
                v
            } else {
                s as f64 * v
            }
        }
        Activation::Tanh => v.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
    }
}

/// instance_norm: y = act((x - mean) / sqrt(var + eps) * gamma + beta) +
/// residual per (n, c) plane of x [N, C, H, W] (biased variance). Returns y
/// and the per-plane (mean, rstd) as [N, C, 2].
pub fn instance_norm(
    x: &[f32],
    xs: [usize; 4],
    affine: Option<(&[f32], &[f32])>,
    eps: f32,
    act: Activation,
    residual: Option<&[f32]>,
) -> (Vec<f64>, Vec<f64>) {
    let [n, c, h, w] = xs;
    let hw = h * w;
    let mut y = vec![0f64; n * c * hw];
    let mut stats = vec![0f64; n * c * 2];
    for plane in 0..n * c {
        let ch = plane % c;
        let xp = &x[plane * hw..(plane + 1) * hw];
        let mean = xp.iter().map(|&v| v as f64).sum::<f64>() / hw as f64;
        let var = xp.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / hw as f64;
        let rstd = 1.0 / (var + eps as f64).sqrt();
        let (g, b) = affine.map_or((1.0, 0.0), |(g, b)| (g[ch] as f64, b[ch] as f64));
        for i in 0..hw {
            let k = plane * hw + i;
            let v = activate((x[k] as f64 - mean) * rstd * g + b, act);
            y[k] = v + residual.map_or(0.0, |r| r[k] as f64);
        }
        stats[2 * plane] = mean;
        stats[2 * plane + 1] = rstd;
    }
    (y, stats)
}

/// `act` applied to every element.
pub fn unary(x: &[f32], act: Activation) -> Vec<f64> {
    x.iter().map(|&v| activate(v as f64, act)).collect()
}

/// a + b.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f64> {
    a.iter().zip(b).map(|(&p, &q)| p as f64 + q as f64).collect()
}

/// `n` RGBA8 images of `width` x `height` to [n, 3, height, width] with
/// v = byte / 255 * 2 - 1.
pub fn rgba8_to_nchw(rgba: &[u8], n: usize, width: usize, height: usize) -> Vec<f64> {
    let hw = width * height;
    let mut x = vec![0f64; n * 3 * hw];
    for img in 0..n {
        for pix in 0..hw {
            for c in 0..3 {
                x[(img * 3 + c) * hw + pix] = rgba[(img * hw + pix) * 4 + c] as f64 / 255.0 * 2.0 - 1.0;
            }
        }
    }
    x
}

/// The kernel's slack, in bytes, added before truncation.
pub const IMAGE_SLACK: f64 = 1.0 / 1024.0;

/// The exact value, before truncation, of channel byte `(v + 1) / 2 * 255`
/// plus [`IMAGE_SLACK`], clamped to [0, 255].
pub fn byte_value(v: f32) -> f64 {
    ((v as f64 + 1.0) / 2.0 * 255.0 + IMAGE_SLACK).clamp(0.0, 255.0)
}

/// [n, 3, height, width] to RGBA8 with alpha 255 and
/// byte = floor(clamp((v + 1) / 2 * 255 + IMAGE_SLACK, 0, 255)).
pub fn nchw_to_rgba8(x: &[f32], n: usize, width: usize, height: usize) -> Vec<u8> {
    let hw = width * height;
    let mut out = vec![255u8; n * hw * 4];
    for img in 0..n {
        for pix in 0..hw {
            for c in 0..3 {
                out[(img * hw + pix) * 4 + c] = byte_value(x[(img * 3 + c) * hw + pix]).floor() as u8;
            }
        }
    }
    out
}
