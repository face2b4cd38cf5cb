//! f64 CPU references of U-GAT-IT's ILN / adaILN (layer_instance_norm) and
//! of spectral normalisation, forward and backward.

use crate::ref_norm::activate;
use shaders::ops::Activation;

/// Operands of a layer-instance norm in f64. gamma and beta hold C values
/// (shared) or N*C values (per sample).
pub struct Lin<'a> {
    /// [N, C, H, W].
    pub shape: [usize; 4],
    /// [N, C, H, W].
    pub x: &'a [f64],
    /// [C].
    pub rho: &'a [f64],
    /// [C] or [N, C].
    pub gamma: &'a [f64],
    /// [C] or [N, C].
    pub beta: &'a [f64],
    /// Added to both unbiased variances.
    pub eps: f64,
    /// Applied after the affine transform.
    pub act: Activation,
}

impl Lin<'_> {
    fn param_index(&self, n: usize, c: usize) -> usize {
        let ch = self.shape[1];
        if self.gamma.len() == ch {
            c
        } else {
            n * ch + c
        }
    }

    /// The statistics as the kernel's stats tensor [N, C + 1, 2] lays them
    /// out: per sample, (in_mean, in_rstd) per channel, then (ln_mean, ln_rstd).
    pub fn stats(&self) -> Vec<f64> {
        let [n, c, h, w] = self.shape;
        let hw = h * w;
        let mut stats = vec![0.0; n * (c + 1) * 2];
        for s in 0..n {
            let xs = &self.x[s * c * hw..(s + 1) * c * hw];
            let (lm, lv) = mean_unbiased_var(xs);
            let row = s * (c + 1);
            stats[2 * (row + c)] = lm;
            stats[2 * (row + c) + 1] = 1.0 / (lv + self.eps).sqrt();
            for ch in 0..c {
                let (m, v) = mean_unbiased_var(&xs[ch * hw..(ch + 1) * hw]);
                stats[2 * (row + ch)] = m;
                stats[2 * (row + ch) + 1] = 1.0 / (v + self.eps).sqrt();
            }
        }
        stats
    }

    /// (pre-activation, out_in, out_ln) per element.
    fn parts(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let [n, c, h, w] = self.shape;
        let hw = h * w;
        let stats = self.stats();
        let len = n * c * hw;
        let (mut pre, mut zi, mut zl) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        for s in 0..n {
            let row = s * (c + 1);
            let (lm, lr) = (stats[2 * (row + c)], stats[2 * (row + c) + 1]);
            for ch in 0..c {
                let (im, ir) = (stats[2 * (row + ch)], stats[2 * (row + ch) + 1]);
                let k = self.param_index(s, ch);
                let r = self.rho[ch];
                for i in 0..hw {
                    let j = (s * c + ch) * hw + i;
                    zi[j] = (self.x[j] - im) * ir;
                    zl[j] = (self.x[j] - lm) * lr;
                    pre[j] = (r * zi[j] + (1.0 - r) * zl[j]) * self.gamma[k] + self.beta[k];
                }
            }
        }
        (pre, zi, zl)
    }

    /// y = act((rho out_in + (1 - rho) out_ln) gamma + beta) + residual.
    pub fn forward(&self, residual: Option<&[f64]>) -> Vec<f64> {
        let (pre, _, _) = self.parts();
        pre.iter().enumerate().map(|(j, &v)| activate(v, self.act) + residual.map_or(0.0, |r| r[j])).collect()
    }

    /// Analytic gradients (dx, drho, dgamma, dbeta) for the output gradient
    /// dy, by the chain rule through both unbiased normalisations.
    pub fn backward(&self, dy: &[f64]) -> [Vec<f64>; 4] {
        let [n, c, h, w] = self.shape;
        let hw = h * w;
        let stats = self.stats();
        let (pre, zi, zl) = self.parts();
        let act_grad = |v: f64| -> f64 {
            match self.act {
                Activation::None => 1.0,
                Activation::Relu => (v > 0.0) as u8 as f64,
                Activation::LeakyRelu(s) => {
                    if v > 0.0 {
                        1.0
                    } else {
                        s as f64
                    }
                }
                Activation::Tanh => 1.0 - v.tanh().powi(2),
                Activation::Sigmoid => {
                    let s = 1.0 / (1.0 + (-v).exp());
                    s * (1.0 - s)
                }
            }
        };
        let g: Vec<f64> = dy.iter().zip(&pre).map(|(d, &p)| d * act_grad(p)).collect();
        let mut dx = vec![0.0; n * c * hw];
        let mut drho = vec![0.0; c];
        let mut dgamma = vec![0.0; self.gamma.len()];
        let mut dbeta = vec![0.0; self.beta.len()];
        let m = hw as f64;
        let ml = (c * hw) as f64;
        for s in 0..n {
            let row = s * (c + 1);
            let lr = stats[2 * (row + c) + 1];
            // Layer path: d = g gamma (1 - rho) over the whole sample.
            let mut l1 = 0.0;
            let mut l2 = 0.0;
            for ch in 0..c {
                let k = self.param_index(s, ch);
                for i in 0..hw {
                    let j = (s * c + ch) * hw + i;
                    let d = g[j] * self.gamma[k] * (1.0 - self.rho[ch]);
                    l1 += d;
                    l2 += d * zl[j];
                }
            }
            for ch in 0..c {
                let ir = stats[2 * (row + ch) + 1];
                let k = self.param_index(s, ch);
                let (r, ga) = (self.rho[ch], self.gamma[k]);
                let range = (s * c + ch) * hw..(s * c + ch + 1) * hw;
                let i1: f64 = range.clone().map(|j| g[j] * ga * r).sum();
                let i2: f64 = range.clone().map(|j| g[j] * ga * r * zi[j]).sum();
                for j in range {
                    let din = g[j] * ga * r;
                    let dln = g[j] * ga * (1.0 - r);
                    dx[j] =
                        ir * (din - i1 / m - zi[j] * i2 / (m - 1.0)) + lr * (dln - l1 / ml - zl[j] * l2 / (ml - 1.0));
                    drho[ch] += g[j] * ga * (zi[j] - zl[j]);
                    dgamma[k] += g[j] * (r * zi[j] + (1.0 - r) * zl[j]);
                    dbeta[k] += g[j];
                }
            }
        }
        [dx, drho, dgamma, dbeta]
    }
}

/// Mean and unbiased variance (divisor len - 1) of `v`.
pub fn mean_unbiased_var(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let ss = v.iter().map(|x| (x - m).powi(2)).sum::<f64>();
    (m, ss / (v.len() as f64 - 1.0))
}

/// torch's normalize: t / max(|t|, 1e-12).
fn normalize(t: &[f64]) -> Vec<f64> {
    let norm = t.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
    t.iter().map(|x| x / norm).collect()
}

/// W v for W [O, K] row-major.
pub fn mat_vec(w: &[f64], o: usize, k: usize, v: &[f64]) -> Vec<f64> {
    (0..o).map(|r| (0..k).map(|c| w[r * k + c] * v[c]).sum()).collect()
}

/// Spectral norm of W [O, K] with vectors u [O], v [K]: (w_sn, sigma, u, v)
/// after one power iteration when `power_iteration`, as torch does.
pub fn spectral_norm(
    w: &[f64],
    o: usize,
    k: usize,
    u: &[f64],
    v: &[f64],
    power_iteration: bool,
) -> (Vec<f64>, f64, Vec<f64>, Vec<f64>) {
    let (u, v) = if power_iteration {
        let wt_u: Vec<f64> = (0..k).map(|c| (0..o).map(|r| w[r * k + c] * u[r]).sum()).collect();
        let v = normalize(&wt_u);
        let u = normalize(&mat_vec(w, o, k, &v));
        (u, v)
    } else {
        (u.to_vec(), v.to_vec())
    };
    let wv = mat_vec(w, o, k, &v);
    let sigma: f64 = u.iter().zip(&wv).map(|(a, b)| a * b).sum();
    (w.iter().map(|x| x / sigma).collect(), sigma, u, v)
}

/// w_sn = W / (u . W v) with u, v held constant (the function PyTorch
/// differentiates).
pub fn spectral_norm_fixed(w: &[f64], o: usize, k: usize, u: &[f64], v: &[f64]) -> Vec<f64> {
    spectral_norm(w, o, k, u, v, false).0
}
