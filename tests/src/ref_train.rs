//! f64 CPU references of the backward ops, losses and Adam, and a small f64
//! network (conv -> instance norm -> relu -> transposed conv -> tanh, L1
//! loss) trained with them, for the end-to-end training test.

use shaders::ops::Activation;

/// d act(pre) / d pre.
pub fn act_grad(pre: f64, act: Activation) -> f64 {
    match act {
        Activation::None => 1.0,
        Activation::Relu => {
            if pre > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Activation::LeakyRelu(s) => {
            if pre > 0.0 {
                1.0
            } else {
                s as f64
            }
        }
        Activation::Tanh => 1.0 - pre.tanh().powi(2),
        Activation::Sigmoid => {
            let s = 1.0 / (1.0 + (-pre).exp());
            s * (1.0 - s)
        }
    }
}

pub use crate::ref_norm::activate;

/// instance_norm in f64: y = act((x - mean) * rstd * gamma + beta) per plane
/// of x [N, C, H, W] (biased variance); returns y and the (mean, rstd) pairs.
pub fn instance_norm(
    x: &[f64],
    xs: [usize; 4],
    affine: Option<(&[f64], &[f64])>,
    eps: f64,
    act: Activation,
) -> (Vec<f64>, Vec<f64>) {
    let [n, c, h, w] = xs;
    let hw = h * w;
    let mut y = vec![0f64; x.len()];
    let mut stats = vec![0f64; n * c * 2];
    for plane in 0..n * c {
        let xp = &x[plane * hw..(plane + 1) * hw];
        let mean = xp.iter().sum::<f64>() / hw as f64;
        let var = xp.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / hw as f64;
        let rstd = 1.0 / (var + eps).sqrt();
        let (g, b) = affine.map_or((1.0, 0.0), |(g, b)| (g[plane % c], b[plane % c]));
        for i in 0..hw {
            y[plane * hw + i] = activate((xp[i] - mean) * rstd * g + b, act);
        }
        stats[2 * plane] = mean;
        stats[2 * plane + 1] = rstd;
    }
    (y, stats)
}

/// Analytic gradients of [`instance_norm`] given dy: (dx, dgamma, dbeta).
pub fn instance_norm_backward(
    x: &[f64],
    xs: [usize; 4],
    affine: Option<(&[f64], &[f64])>,
    eps: f64,
    act: Activation,
    dy: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [n, c, h, w] = xs;
    let hw = h * w;
    let (_, stats) = instance_norm(x, xs, None, eps, Activation::None);
    let mut dx = vec![0f64; x.len()];
    let mut dgamma = vec![0f64; c];
    let mut dbeta = vec![0f64; c];
    for plane in 0..n * c {
        let (mean, rstd) = (stats[2 * plane], stats[2 * plane + 1]);
        let (g, b) = affine.map_or((1.0, 0.0), |(g, b)| (g[plane % c], b[plane % c]));
        let range = plane * hw..(plane + 1) * hw;
        let xhat: Vec<f64> = x[range.clone()].iter().map(|v| (v - mean) * rstd).collect();
        let gpre: Vec<f64> = dy[range.clone()].iter().zip(&xhat).map(|(d, xh)| d * act_grad(xh * g + b, act)).collect();
        let sum_g: f64 = gpre.iter().sum();
        let sum_gx: f64 = gpre.iter().zip(&xhat).map(|(a, b)| a * b).sum();
        dgamma[plane % c] += sum_gx;
        dbeta[plane % c] += sum_g;
        for i in 0..hw {
            let dxhat = gpre[i] * g;
            dx[plane * hw + i] = rstd * (dxhat - g * sum_g / hw as f64 - xhat[i] * g * sum_gx / hw as f64);
        }
    }
    (dx, dgamma, dbeta)
}

/// Central finite difference of `f` at `x` along coordinate `i` with step `h`.
pub fn central_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize, h: f64) -> f64 {
    let mut p = x.to_vec();
    p[i] = x[i] + h;
    let up = f(&p);
    p[i] = x[i] - h;
    let down = f(&p);
    (up - down) / (2.0 * h)
}

/// sum(a * b).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// torch.optim.Adam (amsgrad=False, coupled weight decay) in f32, with the
/// operation order of torch's _single_tensor_adam and the step scalars
/// computed in f64 and rounded to f32 as torch rounds Python floats.
#[derive(Clone, Debug)]
pub struct AdamF32 {
    /// beta1, beta2.
    pub betas: (f64, f64),
    /// eps.
    pub eps: f64,
    /// First moment.
    pub m: Vec<f32>,
    /// Second moment.
    pub v: Vec<f32>,
    /// Steps taken.
    pub t: u64,
    /// Coupled L2 decay: g + weight_decay * param.
    pub weight_decay: f64,
}

impl AdamF32 {
    /// Zero moments for `len` parameters.
    pub fn new(len: usize, beta1: f64, beta2: f64, eps: f64) -> Self {
        AdamF32 { betas: (beta1, beta2), eps, m: vec![0.0; len], v: vec![0.0; len], t: 0, weight_decay: 0.0 }
    }

    /// One step with learning rate `lr`.
    pub fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        self.t += 1;
        let (beta1, beta2) = self.betas;
        let t = self.t as f64;
        let step_size = lr as f64 / (1.0 - beta1.powf(t));
        let bc2_sqrt = (1.0 - beta2.powf(t)).sqrt() as f32;
        let w = (1.0 - beta1) as f32;
        let (b2, omb2, neg_step, eps) = (beta2 as f32, (1.0 - beta2) as f32, (-step_size) as f32, self.eps as f32);
        let wd = self.weight_decay as f32;
        for i in 0..params.len() {
            let g = if wd != 0.0 { grads[i] + wd * params[i] } else { grads[i] };
            let m = self.m[i];
            let m = if w.abs() < 0.5 { m + w * (g - m) } else { g - (g - m) * (1.0 - w) };
            let v = self.v[i] * b2 + (omb2 * g) * g;
            let denom = v.sqrt() / bc2_sqrt + eps;
            params[i] += (neg_step * m) / denom;
            self.m[i] = m;
            self.v[i] = v;
        }
    }
}

/// Adam in f64 (the textbook formula torch implements).
#[derive(Clone, Debug)]
pub struct AdamF64 {
    /// beta1, beta2.
    pub betas: (f64, f64),
    /// eps.
    pub eps: f64,
    /// First moment.
    pub m: Vec<f64>,
    /// Second moment.
    pub v: Vec<f64>,
    /// Steps taken.
    pub t: u64,
    /// Coupled L2 decay: g + weight_decay * param.
    pub weight_decay: f64,
}

impl AdamF64 {
    /// Zero moments for `len` parameters.
    pub fn new(len: usize, beta1: f64, beta2: f64, eps: f64) -> Self {
        AdamF64 { betas: (beta1, beta2), eps, m: vec![0.0; len], v: vec![0.0; len], t: 0, weight_decay: 0.0 }
    }

    /// One step with learning rate `lr`.
    pub fn step(&mut self, params: &mut [f64], grads: &[f64], lr: f64) {
        self.t += 1;
        let (beta1, beta2) = self.betas;
        let t = self.t as f64;
        let bc1 = 1.0 - beta1.powf(t);
        let bc2 = 1.0 - beta2.powf(t);
        for i in 0..params.len() {
            let g = grads[i] + self.weight_decay * params[i];
            self.m[i] = beta1 * self.m[i] + (1.0 - beta1) * g;
            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g;
            let denom = self.v[i].sqrt() / bc2.sqrt() + self.eps;
            params[i] -= lr / bc1 * self.m[i] / denom;
        }
    }
}

/// Calls `f(x index, weight index, y index)` for every product of a
/// zero-padded conv2d: x [N, Ci, H, W], w [Co, Ci, KH, KW].
pub fn conv2d_taps(xs: [usize; 4], ws: [usize; 4], stride: usize, pad: usize, mut f: impl FnMut(usize, usize, usize)) {
    let [n, ci, h, wd] = xs;
    let [co, _, kh, kw] = ws;
    let ho = (h + 2 * pad - kh) / stride + 1;
    let wo = (wd + 2 * pad - kw) / stride + 1;
    for b in 0..n {
        for o in 0..co {
            for oy in 0..ho {
                for ox in 0..wo {
                    for c in 0..ci {
                        for ky in 0..kh {
                            let iy = (oy * stride + ky) as isize - pad as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (ox * stride + kx) as isize - pad as isize;
                                if ix < 0 || ix >= wd as isize {
                                    continue;
                                }
                                f(
                                    ((b * ci + c) * h + iy as usize) * wd + ix as usize,
                                    ((o * ci + c) * kh + ky) * kw + kx,
                                    ((b * co + o) * ho + oy) * wo + ox,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Calls `f(x index, weight index, y index)` for every product of a
/// conv_transpose2d: x [N, Ci, H, W], w [Ci, Co, KH, KW],
/// H_out = (H - 1) * stride - 2 * pad + KH + output_padding.
pub fn conv_transpose2d_taps(
    xs: [usize; 4],
    ws: [usize; 4],
    stride: usize,
    pad: usize,
    output_padding: usize,
    mut f: impl FnMut(usize, usize, usize),
) {
    let [n, ci, h, wd] = xs;
    let [_, co, kh, kw] = ws;
    let ho = (h - 1) * stride + kh + output_padding - 2 * pad;
    let wo = (wd - 1) * stride + kw + output_padding - 2 * pad;
    for b in 0..n {
        for c in 0..ci {
            for iy in 0..h {
                for ix in 0..wd {
                    for o in 0..co {
                        for ky in 0..kh {
                            let oy = (iy * stride + ky) as isize - pad as isize;
                            if oy < 0 || oy >= ho as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ox = (ix * stride + kx) as isize - pad as isize;
                                if ox < 0 || ox >= wo as isize {
                                    continue;
                                }
                                f(
                                    ((b * ci + c) * h + iy) * wd + ix,
                                    ((c * co + o) * kh + ky) * kw + kx,
                                    ((b * co + o) * ho + oy as usize) * wo + ox as usize,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The test network's geometry: conv k x k stride 2 pad 1 (no bias, since
/// the instance norm after it cancels a bias and its gradient is zero) ->
/// instance norm (affine=False, eps 1e-5) + relu -> conv_transpose k x k
/// stride 2 pad 1 with bias -> tanh.
#[derive(Clone, Copy, Debug)]
pub struct TinyNet {
    /// Input shape [N, C, H, W].
    pub x: [usize; 4],
    /// Hidden channels.
    pub hidden: usize,
    /// Kernel size of both convolutions.
    pub k: usize,
    /// conv_transpose2d output_padding along (H, W) is chosen so the output
    /// has the input's size; it must be the same for both axes here.
    pub output_padding: usize,
}

/// The parameters of [`TinyNet`] in f64.
#[derive(Clone, Debug)]
pub struct TinyParams {
    /// conv weight [hidden, C, k, k].
    pub w1: Vec<f64>,
    /// conv_transpose weight [hidden, C, k, k] (PyTorch layout [Ci, Co, k, k]).
    pub w2: Vec<f64>,
    /// conv_transpose bias [C].
    pub b2: Vec<f64>,
}

impl TinyNet {
    /// Conv weight shape.
    pub fn w1_shape(&self) -> [usize; 4] {
        [self.hidden, self.x[1], self.k, self.k]
    }

    /// Transposed-conv weight shape.
    pub fn w2_shape(&self) -> [usize; 4] {
        [self.hidden, self.x[1], self.k, self.k]
    }

    /// Hidden activation shape.
    pub fn h_shape(&self) -> [usize; 4] {
        let [n, _, h, w] = self.x;
        [n, self.hidden, (h + 2 - self.k) / 2 + 1, (w + 2 - self.k) / 2 + 1]
    }

    /// Forward and backward of lambda * L1(tanh(convT(relu(IN(conv(x))))), target):
    /// returns (loss, dw1, dw2, db2).
    pub fn loss_and_grads(
        &self,
        p: &TinyParams,
        x: &[f64],
        target: &[f64],
        lambda: f64,
    ) -> (f64, Vec<f64>, Vec<f64>, Vec<f64>) {
        let hs = self.h_shape();
        let mut h1 = vec![0f64; hs.iter().product()];
        conv2d_taps(self.x, self.w1_shape(), 2, 1, |xi, wi, yi| h1[yi] += x[xi] * p.w1[wi]);
        let (a1, _) = instance_norm(&h1, hs, None, 1e-5, Activation::Relu);
        let mut z2 = vec![0f64; x.len()];
        let c = self.x[1];
        let plane = self.x[2] * self.x[3];
        for (i, z) in z2.iter_mut().enumerate() {
            *z = p.b2[(i / plane) % c];
        }
        conv_transpose2d_taps(hs, self.w2_shape(), 2, 1, self.output_padding, |xi, wi, yi| z2[yi] += a1[xi] * p.w2[wi]);
        let y: Vec<f64> = z2.iter().map(|v| v.tanh()).collect();
        let len = y.len() as f64;
        let loss = lambda * y.iter().zip(target).map(|(a, b)| (a - b).abs()).sum::<f64>() / len;
        // Backward.
        let dy: Vec<f64> = y.iter().zip(target).map(|(a, b)| lambda * sign(a - b) / len).collect();
        let dz2: Vec<f64> = dy.iter().zip(&y).map(|(d, t)| d * (1.0 - t * t)).collect();
        let mut db2 = vec![0f64; c];
        for (i, d) in dz2.iter().enumerate() {
            db2[(i / plane) % c] += d;
        }
        let mut dw2 = vec![0f64; p.w2.len()];
        let mut da1 = vec![0f64; a1.len()];
        conv_transpose2d_taps(hs, self.w2_shape(), 2, 1, self.output_padding, |xi, wi, yi| {
            dw2[wi] += a1[xi] * dz2[yi];
            da1[xi] += p.w2[wi] * dz2[yi];
        });
        let (dh1, _, _) = instance_norm_backward(&h1, hs, None, 1e-5, Activation::Relu, &da1);
        let mut dw1 = vec![0f64; p.w1.len()];
        conv2d_taps(self.x, self.w1_shape(), 2, 1, |xi, wi, yi| dw1[wi] += x[xi] * dh1[yi]);
        (loss, dw1, dw2, db2)
    }
}

/// torch.sign: -1, 0 or 1.
pub fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}
