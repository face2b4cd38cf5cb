//! End to end: conv -> instance norm + relu -> transposed conv + tanh with an
//! L1 loss, trained with Adam on the GPU and on the f64 CPU reference from
//! the same initial weights.

use shaders::ops::{
    conv2d, conv2d_backward_weight, conv_transpose2d, conv_transpose2d_backward_bias, conv_transpose2d_backward_input,
    conv_transpose2d_backward_weight, instance_norm, instance_norm_backward_input, l1_loss, tanh_backward_input,
    Activation, Adam, AdamConfig, Conv2dParams, ConvTranspose2dParams, InstanceNormParams, Padding,
};
use shaders::{Gpu, Tensor};
use tests::ref_train::{central_difference, AdamF64, TinyNet, TinyParams};
use tests::{assert_close, gpu, random};

const NET: TinyNet = TinyNet { x: [2, 3, 10, 8], hidden: 5, k: 3, output_padding: 1 };
const LAMBDA: f32 = 10.0;
const CONFIG: AdamConfig = AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };

fn lr(step: usize) -> f32 {
    // Constant, then a linear decay, as CycleGAN schedules it.
    if step < 10 {
        2e-3
    } else {
        2e-3 * (20 - step) as f32 / 10.0
    }
}

struct Init {
    x: Vec<f32>,
    target: Vec<f32>,
    w1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
}

fn init() -> Init {
    let len: usize = NET.x.iter().product();
    let scaled = |n: usize, seed: u64, s: f32| random(n, seed).iter().map(|v| v * s).collect::<Vec<f32>>();
    Init {
        x: random(len, 1),
        target: scaled(len, 2, 0.9),
        w1: scaled(NET.w1_shape().iter().product(), 3, 0.3),
        w2: scaled(NET.w2_shape().iter().product(), 4, 0.3),
        b2: scaled(NET.x[1], 5, 0.1),
    }
}

struct GpuNet {
    x: Tensor,
    target: Tensor,
    w1: Tensor,
    w2: Tensor,
    b2: Tensor,
    opt: [Adam; 3],
}

impl GpuNet {
    fn new(g: &Gpu, i: &Init) -> GpuNet {
        let c = NET.x[1];
        let adam = |len| Adam::new(g, len, CONFIG).unwrap();
        GpuNet {
            x: Tensor::from_slice(g, &NET.x, &i.x).unwrap(),
            target: Tensor::from_slice(g, &NET.x, &i.target).unwrap(),
            w1: Tensor::from_slice(g, &NET.w1_shape(), &i.w1).unwrap(),
            w2: Tensor::from_slice(g, &NET.w2_shape(), &i.w2).unwrap(),
            b2: Tensor::from_slice(g, &[c], &i.b2).unwrap(),
            opt: [adam(i.w1.len()), adam(i.w2.len()), adam(c)],
        }
    }

    /// Records one forward, backward and Adam step; returns the loss tensor.
    fn step(&mut self, g: &Gpu, lr: f32) -> Tensor {
        let conv = Conv2dParams { stride: 2, padding: 1, padding_mode: Padding::Zero, activation: Activation::None };
        let norm = InstanceNormParams { eps: 1e-5, activation: Activation::Relu };
        let up = ConvTranspose2dParams {
            stride: 2,
            padding: 1,
            output_padding: NET.output_padding,
            activation: Activation::Tanh,
        };
        let h1 = conv2d(g, &self.x, &self.w1, None, &conv).unwrap();
        let (a1, stats) = instance_norm(g, &h1, None, &norm, None).unwrap();
        let y = conv_transpose2d(g, &a1, &self.w2, Some(&self.b2), &up).unwrap();
        let (loss, dy) = l1_loss(g, &y, &self.target, LAMBDA, None).unwrap();
        let dz = tanh_backward_input(g, &y, &dy).unwrap();
        let dw2 = conv_transpose2d_backward_weight(g, &a1, &dz, NET.w2_shape(), &up).unwrap();
        let db2 = conv_transpose2d_backward_bias(g, &dz).unwrap();
        let da1 = conv_transpose2d_backward_input(g, &dz, &self.w2, &up).unwrap();
        let (dh1, _) = instance_norm_backward_input(g, &h1, &stats, &da1, None, &norm).unwrap();
        let dw1 = conv2d_backward_weight(g, &self.x, &dh1, NET.w1_shape(), &conv).unwrap();
        self.opt[0].step(g, &self.w1, &dw1, lr).unwrap();
        self.opt[1].step(g, &self.w2, &dw2, lr).unwrap();
        self.opt[2].step(g, &self.b2, &db2, lr).unwrap();
        loss
    }

    fn weights(&self, g: &Gpu) -> [Vec<f32>; 3] {
        [&self.w1, &self.w2, &self.b2].map(|t| t.read_blocking(g).unwrap())
    }
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

#[test]
fn cpu_reference_gradients_match_finite_differences() {
    let i = init();
    let p = TinyParams { w1: f64s(&i.w1), w2: f64s(&i.w2), b2: f64s(&i.b2) };
    let (x, t) = (f64s(&i.x), f64s(&i.target));
    let (_, dw1, dw2, db2) = NET.loss_and_grads(&p, &x, &t, LAMBDA as f64);
    let h = 1e-6;
    let fd_w1: Vec<f64> = (0..p.w1.len())
        .map(|k| {
            central_difference(
                |w| NET.loss_and_grads(&TinyParams { w1: w.to_vec(), ..p.clone() }, &x, &t, LAMBDA as f64).0,
                &p.w1,
                k,
                h,
            )
        })
        .collect();
    let fd_w2: Vec<f64> = (0..p.w2.len())
        .map(|k| {
            central_difference(
                |w| NET.loss_and_grads(&TinyParams { w2: w.to_vec(), ..p.clone() }, &x, &t, LAMBDA as f64).0,
                &p.w2,
                k,
                h,
            )
        })
        .collect();
    let fd_b2: Vec<f64> = (0..p.b2.len())
        .map(|k| {
            central_difference(
                |b| NET.loss_and_grads(&TinyParams { b2: b.to_vec(), ..p.clone() }, &x, &t, LAMBDA as f64).0,
                &p.b2,
                k,
                h,
            )
        })
        .collect();
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    assert_close("reference dw1 vs finite differences", &f32s(&dw1), &fd_w1, &NET.w1_shape(), 1e-6, 1e-5);
    assert_close("reference dw2 vs finite differences", &f32s(&dw2), &fd_w2, &NET.w2_shape(), 1e-6, 1e-5);
    assert_close("reference db2 vs finite differences", &f32s(&db2), &fd_b2, &[NET.x[1]], 1e-6, 1e-5);
}

#[test]
fn twenty_adam_steps_match_the_cpu_reference() {
    let g = gpu();
    let i = init();
    let mut net = GpuNet::new(&g, &i);
    let mut p = TinyParams { w1: f64s(&i.w1), w2: f64s(&i.w2), b2: f64s(&i.b2) };
    let (x, t) = (f64s(&i.x), f64s(&i.target));
    let adam = |len| AdamF64::new(len, CONFIG.beta1, CONFIG.beta2, CONFIG.eps);
    let mut opt = [adam(p.w1.len()), adam(p.w2.len()), adam(p.b2.len())];
    let mut losses = Vec::new();
    for step in 0..20 {
        let loss = net.step(&g, lr(step));
        let (want, dw1, dw2, db2) = NET.loss_and_grads(&p, &x, &t, LAMBDA as f64);
        opt[0].step(&mut p.w1, &dw1, lr(step) as f64);
        opt[1].step(&mut p.w2, &dw2, lr(step) as f64);
        opt[2].step(&mut p.b2, &db2, lr(step) as f64);
        let got = loss.read_blocking(&g).unwrap();
        assert_close(&format!("loss at step {step}"), &got, &[want], &[1], 0.0, 1e-5);
        losses.push(want);
    }
    assert!(losses[19] < 0.95 * losses[0], "training did not reduce the loss: {losses:?}");
    // The weights (|w| <= 0.33) move by up to ~4e-2 over the 20 steps; the f32
    // forward, gradients and Adam steps leave them ~1e-7 from the f64
    // reference (observed on lavapipe: <= 8.5e-8). Tolerance: 2e-6 + 1e-5 |w|.
    let [w1, w2, b2] = net.weights(&g);
    assert_close("w1 after 20 steps", &w1, &p.w1, &NET.w1_shape(), 2e-6, 1e-5);
    assert_close("w2 after 20 steps", &w2, &p.w2, &NET.w2_shape(), 2e-6, 1e-5);
    assert_close("b2 after 20 steps", &b2, &p.b2, &[NET.x[1]], 2e-6, 1e-5);
}

#[test]
fn training_steps_are_deterministic() {
    let g = gpu();
    let i = init();
    let run = || {
        let mut net = GpuNet::new(&g, &i);
        let losses: Vec<u32> = (0..3).map(|s| net.step(&g, lr(s)).read_blocking(&g).unwrap()[0].to_bits()).collect();
        let w = net.weights(&g).map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        (losses, w)
    };
    let first = run();
    assert!(run() == first, "the same training steps gave different weights or losses");
}
