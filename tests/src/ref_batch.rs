//! f64 CPU references of the pix2pix ops: batch norm (forward, running
//! statistics, backward), dropout, channel concatenation and
//! BCE-with-logits against a constant label.

use shaders::ops::Activation;

use crate::ref_norm::activate;
use crate::ref_train::act_grad;

/// The flat indices of channel `ch` of [N, C, H, W], sample by sample.
pub fn channel_indices(xs: [usize; 4], ch: usize) -> impl Iterator<Item = usize> {
    let [n, c, h, w] = xs;
    let hw = h * w;
    (0..n).flat_map(move |s| (0..hw).map(move |j| (s * c + ch) * hw + j))
}

/// What [`batch_norm`] returns: y, the (mean, rstd) pairs [C, 2] used and
/// the updated (running_mean, running_var) when running statistics were given.
pub struct BatchNormOut {
    /// y, with x's shape.
    pub y: Vec<f64>,
    /// [C, 2]: (mean, rstd) per channel.
    pub stats: Vec<f64>,
    /// The running statistics after the call (unchanged in eval mode).
    pub running: Option<(Vec<f64>, Vec<f64>)>,
}

/// BatchNorm2d: y = act((x - mean) * rstd * gamma + beta) per channel of
/// x [N, C, H, W]. Training: batch mean and biased variance over N*H*W, and
/// running = (1 - momentum) * running + momentum * (mean, unbiased var). Eval:
/// the running statistics normalise.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    x: &[f64],
    xs: [usize; 4],
    affine: Option<(&[f64], &[f64])>,
    running: Option<(&[f64], &[f64])>,
    eps: f64,
    momentum: f64,
    act: Activation,
    training: bool,
) -> BatchNormOut {
    let c = xs[1];
    let count = (xs[0] * xs[2] * xs[3]) as f64;
    let mut y = vec![0f64; x.len()];
    let mut stats = vec![0f64; c * 2];
    let mut new_running = running.map(|(m, v)| (m.to_vec(), v.to_vec()));
    for ch in 0..c {
        let (mean, rstd) = if training {
            let mean = channel_indices(xs, ch).map(|k| x[k]).sum::<f64>() / count;
            let var = channel_indices(xs, ch).map(|k| (x[k] - mean).powi(2)).sum::<f64>() / count;
            if let Some((m, v)) = new_running.as_mut() {
                m[ch] = (1.0 - momentum) * m[ch] + momentum * mean;
                v[ch] = (1.0 - momentum) * v[ch] + momentum * var * count / (count - 1.0);
            }
            (mean, 1.0 / (var + eps).sqrt())
        } else {
            let (m, v) = running.expect("eval mode needs running statistics");
            (m[ch], 1.0 / (v[ch] + eps).sqrt())
        };
        let (g, b) = affine.map_or((1.0, 0.0), |(g, b)| (g[ch], b[ch]));
        for k in channel_indices(xs, ch) {
            y[k] = activate((x[k] - mean) * rstd * g + b, act);
        }
        stats[2 * ch] = mean;
        stats[2 * ch + 1] = rstd;
    }
    BatchNormOut { y, stats, running: new_running }
}

/// Analytic gradients of training-mode [`batch_norm`] given dy:
/// (dx, dgamma, dbeta), with g = dy * act'(pre),
/// dx = gamma * rstd / n * (n * g - sum(g) - xhat * sum(g * xhat)).
pub fn batch_norm_backward(
    x: &[f64],
    xs: [usize; 4],
    affine: Option<(&[f64], &[f64])>,
    eps: f64,
    act: Activation,
    dy: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let c = xs[1];
    let count = (xs[0] * xs[2] * xs[3]) as f64;
    let stats = batch_norm(x, xs, affine, None, eps, 0.0, Activation::None, true).stats;
    let mut dx = vec![0f64; x.len()];
    let mut dgamma = vec![0f64; c];
    let mut dbeta = vec![0f64; c];
    for ch in 0..c {
        let (mean, rstd) = (stats[2 * ch], stats[2 * ch + 1]);
        let (g, b) = affine.map_or((1.0, 0.0), |(g, b)| (g[ch], b[ch]));
        let xhat = |k: usize| (x[k] - mean) * rstd;
        let gi = |k: usize| dy[k] * act_grad(xhat(k) * g + b, act);
        let sum_g: f64 = channel_indices(xs, ch).map(gi).sum();
        let sum_gx: f64 = channel_indices(xs, ch).map(|k| gi(k) * xhat(k)).sum();
        for k in channel_indices(xs, ch) {
            dx[k] = g * rstd / count * (count * gi(k) - sum_g - xhat(k) * sum_gx);
        }
        dgamma[ch] = sum_gx;
        dbeta[ch] = sum_g;
    }
    (dx, dgamma, dbeta)
}

/// x / (1 - p) where `mask` keeps the element, else 0 (all 0 when p = 1).
pub fn dropout(x: &[f64], mask: &[bool], p: f64) -> Vec<f64> {
    let scale = if p == 1.0 { 0.0 } else { 1.0 / (1.0 - p) };
    x.iter().zip(mask).map(|(&v, &keep)| if keep { v * scale } else { 0.0 }).collect()
}

/// cat([a, b], dim 1) of a [N, Ca, H, W] and b [N, Cb, H, W].
pub fn concat_channels(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let (sa, sb) = (a.len() / n, b.len() / n);
    (0..n).flat_map(|s| a[s * sa..(s + 1) * sa].iter().chain(&b[s * sb..(s + 1) * sb]).copied()).collect()
}

/// BCEWithLogitsLoss(x, target) * weight (mean reduction) and its gradient
/// wrt x, weight * (sigmoid(x) - target) / len, in f64.
pub fn bce_with_logits_loss_const(x: &[f64], target: f64, weight: f64) -> (f64, Vec<f64>) {
    let len = x.len() as f64;
    let loss = x.iter().map(|&v| v.max(0.0) - v * target + (-v.abs()).exp().ln_1p()).sum::<f64>();
    let sigmoid = |v: f64| if v >= 0.0 { 1.0 / (1.0 + (-v).exp()) } else { v.exp() / (1.0 + v.exp()) };
    // sigmoid(v) - t = (1 - t) sigmoid(v) - t sigmoid(-v), exact in f64 where
    // sigmoid(v) rounds to t.
    let grad = x.iter().map(|&v| weight * ((1.0 - target) * sigmoid(v) - target * sigmoid(-v)) / len).collect();
    (weight * loss / len, grad)
}
