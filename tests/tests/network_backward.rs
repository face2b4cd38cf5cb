//! Network backward passes against finite differences of the CPU reference
//! forward, and the CycleGAN training step's determinism and resumability.

use shaders::nn::cyclegan::{CycleGan, CycleGanConfig};
use shaders::nn::discriminator::{DiscriminatorConfig, NLayerDiscriminator};
use shaders::nn::generator::{GeneratorConfig, ResnetGenerator};
use shaders::nn::params::{init_normal, ParamSpec, SplitMix64};
use shaders::nn::weights::StateDict;
use shaders::Tensor;
use tests::{gpu, random, ref_nets};

/// Random weights scaled by 1/sqrt(fan-in) so activations stay O(1).
fn weights(specs: &[ParamSpec], seed: u64) -> StateDict {
    let mut sd = StateDict::new();
    for (i, (name, t)) in init_normal(specs, seed).iter().enumerate() {
        let fan_in: usize = t.shape.iter().skip(1).product::<usize>().max(1);
        let mut t = t.clone();
        t.data = random(t.data.len(), seed + i as u64).iter().map(|v| v / (fan_in as f32).sqrt()).collect();
        sd.insert(name.to_string(), t).unwrap();
    }
    sd
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

/// Central difference of L = sum(f(sd, x) * r) wrt one weight or input value.
fn fd(
    f: &dyn Fn(&StateDict, &[f32]) -> Vec<f32>,
    sd: &StateDict,
    x: &[f32],
    r: &[f32],
    which: Option<&str>,
    i: usize,
) -> f64 {
    let h = 1e-3f32;
    let eval = |delta: f32| {
        let mut sd = sd.clone();
        let mut x = x.to_vec();
        match which {
            Some(name) => {
                let mut t = sd.remove(name).unwrap();
                t.data[i] += delta;
                sd.insert(name, t).unwrap();
            }
            None => x[i] += delta,
        }
        dot(&f(&sd, &x), r)
    };
    (eval(h) - eval(-h)) / (2.0 * h as f64)
}

fn check(what: &str, got: f32, want: f64) {
    let tol = 2e-3 + 3e-2 * want.abs();
    assert!((got as f64 - want).abs() <= tol, "{what}: GPU gradient {got}, finite difference {want}");
}

#[test]
fn generator_backward_matches_finite_differences() {
    let g = gpu();
    let cfg = GeneratorConfig { input_nc: 3, output_nc: 3, ngf: 4, n_blocks: 1, dropout: false };
    let sd = weights(&cfg.param_specs(), 21);
    let net = ResnetGenerator::from_state_dict(&g, &sd).unwrap();
    let xs = [1, 3, 8, 12];
    let x = random(xs.iter().product(), 22);
    let r = random(x.len(), 23);
    let (y, tape) = net.forward_train(&g, &Tensor::from_slice(&g, &xs, &x).unwrap()).unwrap();
    let grads: Vec<Tensor> = net.params().iter().map(|p| Tensor::zeros(&g, p.shape()).unwrap()).collect();
    let dx = net.backward(&g, &tape, &Tensor::from_slice(&g, y.shape(), &r).unwrap(), &grads, true).unwrap().unwrap();
    let f = |sd: &StateDict, x: &[f32]| ref_nets::generator(sd, &cfg, x, xs).0;
    let dx = dx.read_blocking(&g).unwrap();
    for i in [0, 17, 100, 287] {
        check(&format!("dL/dx[{i}]"), dx[i], fd(&f, &sd, &x, &r, None, i));
    }
    for (k, spec) in net.specs().iter().enumerate() {
        let grad = grads[k].read_blocking(&g).unwrap();
        let n = grad.len();
        for i in [0, n / 2, n - 1] {
            check(&format!("dL/d{}[{i}]", spec.name), grad[i], fd(&f, &sd, &x, &r, Some(&spec.name), i));
        }
    }
}

#[test]
fn discriminator_backward_matches_finite_differences() {
    let g = gpu();
    let cfg = DiscriminatorConfig { input_nc: 3, ndf: 4, n_layers: 2 };
    let sd = weights(&cfg.param_specs(), 31);
    let net = NLayerDiscriminator::from_state_dict(&g, &sd).unwrap();
    let xs = [2, 3, 19, 17];
    let x = random(xs.iter().product(), 32);
    let (y, tape) = net.forward_train(&g, &Tensor::from_slice(&g, &xs, &x).unwrap()).unwrap();
    let r = random(y.len(), 33);
    let grads: Vec<Tensor> = net.params().iter().map(|p| Tensor::zeros(&g, p.shape()).unwrap()).collect();
    let dy = Tensor::from_slice(&g, y.shape(), &r).unwrap();
    let dx = net.backward(&g, &tape, &dy, Some(&grads), true).unwrap().unwrap().read_blocking(&g).unwrap();
    let f = |sd: &StateDict, x: &[f32]| ref_nets::discriminator(sd, &cfg, x, xs).0;
    for i in [0, 50, 500, x.len() - 1] {
        check(&format!("dL/dx[{i}]"), dx[i], fd(&f, &sd, &x, &r, None, i));
    }
    for (k, spec) in net.specs().iter().enumerate() {
        let grad = grads[k].read_blocking(&g).unwrap();
        let n = grad.len();
        for i in [0, n / 3, n - 1] {
            check(&format!("dL/d{}[{i}]", spec.name), grad[i], fd(&f, &sd, &x, &r, Some(&spec.name), i));
        }
    }
}

fn tiny() -> CycleGanConfig {
    CycleGanConfig {
        generator: GeneratorConfig { input_nc: 3, output_nc: 3, ngf: 4, n_blocks: 1, dropout: false },
        discriminator: DiscriminatorConfig { input_nc: 3, ndf: 4, n_layers: 2 },
        lambda_a: 10.0,
        lambda_b: 10.0,
        lambda_identity: 0.5,
        beta1: 0.5,
        beta2: 0.999,
        pool_size: 3,
    }
}

fn images(g: &shaders::Gpu, step: u64) -> (Tensor, Tensor) {
    let s = [1, 3, 16, 16];
    let n = s.iter().product();
    (
        Tensor::from_slice(g, &s, &random(n, 100 + step)).unwrap(),
        Tensor::from_slice(g, &s, &random(n, 200 + step)).unwrap(),
    )
}

fn run(g: &shaders::Gpu, gan: &mut CycleGan, rng: &mut SplitMix64, steps: std::ops::Range<u64>) -> Vec<[f32; 8]> {
    steps
        .map(|i| {
            let (a, b) = images(g, i);
            let out = gan.step(g, &a, &b, 2e-4, rng).unwrap();
            out.losses.read_blocking(g).unwrap().try_into().unwrap()
        })
        .collect()
}

fn weights_of(g: &shaders::Gpu, gan: &CycleGan) -> Vec<Vec<u8>> {
    pollster::block_on(gan.state(g)).unwrap().nets.iter().map(|sd| sd.to_safetensors()).collect()
}

#[test]
fn training_step_is_deterministic_and_resumable() {
    let g = gpu();
    let mut a = CycleGan::new(&g, tiny(), 5).unwrap();
    let mut rng_a = SplitMix64(9);
    let losses = run(&g, &mut a, &mut rng_a, 0..6);
    for l in &losses {
        assert!(l.iter().all(|v| v.is_finite() && *v >= 0.0), "losses {l:?}");
    }
    assert!(losses[0][2] > 0.0 && losses[0][3] > 0.0, "cycle and identity losses are computed: {:?}", losses[0]);

    // The same run again: bit-identical.
    let mut b = CycleGan::new(&g, tiny(), 5).unwrap();
    let mut rng_b = SplitMix64(9);
    assert_eq!(run(&g, &mut b, &mut rng_b, 0..6), losses);
    assert_eq!(weights_of(&g, &a), weights_of(&g, &b));

    // Three steps, save, resume into a new model, three more: the same weights.
    let mut c = CycleGan::new(&g, tiny(), 5).unwrap();
    let mut rng_c = SplitMix64(9);
    run(&g, &mut c, &mut rng_c, 0..3);
    let state = pollster::block_on(c.state(&g)).unwrap();
    assert_eq!(state.pool_a.len(), 3);
    drop(c);
    let mut d = CycleGan::from_state(&g, tiny(), state).unwrap();
    run(&g, &mut d, &mut rng_c, 3..6);
    assert_eq!(weights_of(&g, &d), weights_of(&g, &a), "resumed run equals the straight run");
}
