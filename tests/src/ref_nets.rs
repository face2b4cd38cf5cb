//! CPU reference forward passes of the two CycleGAN networks, built from the
//! f64 op references (intermediates rounded to f32 between layers, as the
//! GPU stores them).

use shaders::nn::discriminator::DiscriminatorConfig;
use shaders::nn::generator::GeneratorConfig;
use shaders::nn::weights::StateDict;
use shaders::ops::Activation;

use crate::{ref_norm, reference};

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn w4(sd: &StateDict, name: &str) -> ([usize; 4], Vec<f32>) {
    let t = sd.get(name).unwrap_or_else(|| panic!("missing {name}"));
    (t.shape[..].try_into().unwrap(), t.data.clone())
}

fn conv(
    sd: &StateDict,
    p: &str,
    x: &[f32],
    xs: [usize; 4],
    stride: usize,
    pad: usize,
    reflect: bool,
) -> (Vec<f32>, [usize; 4]) {
    let (ws, w) = w4(sd, &format!("{p}.weight"));
    let b = sd.get(&format!("{p}.bias")).unwrap().data.clone();
    let (y, s) = reference::conv2d(x, xs, &w, ws, Some(&b), stride, pad, reflect);
    (f32s(&y), s)
}

fn norm(x: &[f32], xs: [usize; 4], act: Activation, residual: Option<&[f32]>) -> Vec<f32> {
    f32s(&ref_norm::instance_norm(x, xs, None, 1e-5, act, residual).0)
}

/// ResnetGenerator forward (no dropout).
pub fn generator(sd: &StateDict, cfg: &GeneratorConfig, x: &[f32], xs: [usize; 4]) -> (Vec<f32>, [usize; 4]) {
    let relu = Activation::Relu;
    let (h, s) = conv(sd, "model.1", x, xs, 1, 3, true);
    let mut h = norm(&h, s, relu, None);
    let (t, s) = conv(sd, "model.4", &h, s, 2, 1, false);
    h = norm(&t, s, relu, None);
    let (t, mut s) = conv(sd, "model.7", &h, s, 2, 1, false);
    h = norm(&t, s, relu, None);
    let second = if cfg.dropout { 6 } else { 5 };
    for i in 0..cfg.n_blocks {
        let (t, _) = conv(sd, &format!("model.{}.conv_block.1", 10 + i), &h, s, 1, 1, true);
        let t = norm(&t, s, relu, None);
        let (t, _) = conv(sd, &format!("model.{}.conv_block.{second}", 10 + i), &t, s, 1, 1, true);
        h = norm(&t, s, Activation::None, Some(&h));
    }
    for idx in [10 + cfg.n_blocks, 13 + cfg.n_blocks] {
        let (ws, w) = w4(sd, &format!("model.{idx}.weight"));
        let b = sd.get(&format!("model.{idx}.bias")).unwrap().data.clone();
        let (t, ns) = reference::conv_transpose2d(&h, s, &w, ws, Some(&b), 2, 1, 1);
        s = ns;
        h = norm(&f32s(&t), s, relu, None);
    }
    let (t, s) = conv(sd, &format!("model.{}", 17 + cfg.n_blocks), &h, s, 1, 3, true);
    (t.iter().map(|v| v.tanh()).collect(), s)
}

/// NLayerDiscriminator forward.
pub fn discriminator(sd: &StateDict, cfg: &DiscriminatorConfig, x: &[f32], xs: [usize; 4]) -> (Vec<f32>, [usize; 4]) {
    let leaky = Activation::LeakyRelu(0.2);
    let (t, mut s) = conv(sd, "model.0", x, xs, 2, 1, false);
    let mut h: Vec<f32> = ref_norm::unary(&t, leaky).iter().map(|&v| v as f32).collect();
    let n = cfg.n_layers;
    for (idx, stride) in (1..n).map(|l| (3 * l - 1, 2)).chain([(3 * n - 1, 1)]) {
        let (t, ns) = conv(sd, &format!("model.{idx}"), &h, s, stride, 1, false);
        s = ns;
        h = norm(&t, s, leaky, None);
    }
    conv(sd, &format!("model.{}", 3 * n + 2), &h, s, 1, 1, false)
}
