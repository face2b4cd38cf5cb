//! pix2pix against the reference PyTorch implementation
//! (junyanz/pytorch-CycleGAN-and-pix2pix, `Pix2PixModel.optimize_parameters`):
//! from the reference's own initial weights, three `Model::step`s on the
//! reference's inputs must give its losses, its fake_B, and its weights and
//! BatchNorm running statistics after every step.
//!
//! The fixtures in `tests/fixtures/pix2pix_reference/` come from
//! `tests/fixtures/make_pix2pix_reference.py`, which runs the reference's
//! code in float32 on the CPU: a UnetGenerator(3, 3, num_downs 5, ngf 4,
//! batch norm) and an NLayerDiscriminator(6, ndf 4, n_layers 2, batch norm) on
//! 32x32 pairs, Adam(2e-4, (0.5, 0.999)), GANLoss('vanilla'), lambda_L1 100,
//! pool 0; case `b1` with batch 1, `b2` with batch 2. Dropout is off in both
//! (the reference's `--no_dropout`): its masks come from torch's RNG, ours
//! from a SplitMix64, so they could not agree.
//!
//! Checks, per step, in the order the step computes them (so the first
//! failure names the first quantity that diverges): fake_B = G(A); G_L1;
//! D_fake and D_real (D before its update); D's weights and running
//! statistics after its update (running statistics see three D forwards per
//! step: fake, real, and fake again in the G step); G_GAN (through the
//! updated D); G's weights and running statistics after its update.
//!
//! Tolerances (both sides are f32, with different summation orders; the
//! largest deviations seen on lavapipe are in brackets):
//! - Losses: relative 2e-5 [1.7e-7].
//! - fake_B (tanh output in [-1, 1]): absolute 1e-5 [2.7e-7].
//! - Weights: Adam's first step moves every weight by lr g / (|g| + eps) =
//!   lr sign(g) (lr = 2e-4), later steps by lr m^ / (sqrt(v^) + eps): a
//!   relative gradient error d changes a step by about lr d, so weights agree
//!   to ~lr * 1e-5 plus the f32 rounding of |w| <~ 0.1. Per weight
//!   2e-6 + 1e-5 |w| [7.1e-7, where a gradient is small and its relative error
//!   large], and over each network an rms deviation of at most 1e-7
//!   [2.8e-9], which a 1% error in any step size (rms ~2e-6) would exceed. A
//!   gradient within rounding of 0 could take the other sign on one side and
//!   move its weight by up to 2 lr per step: such weights are counted apart
//!   and tolerated only if rare (at most 1 in 1000 per tensor) and within
//!   2 lr per step taken [none seen].
//! - Running statistics: 1e-5 + 1e-4 |x| [6e-8] (batch means and unbiased
//!   variances of activations summed in f32).
//!
//! Run with `--nocapture` to see the deviations.

use shaders::models::pix2pix::{Pix2Pix, Pix2PixConfig, LOSS_NAMES};
use shaders::nn::io::weights::{HostTensor, StateDict};
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::model::{Init, Model};
use shaders::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GanMode, GeneratorArch, GeneratorConfig, Norm};
use shaders::{Gpu, Tensor};
use tests::gpu;

const STEPS: usize = 3;
const SIZE: usize = 32;
const LR: f32 = 2e-4;
const LOSS_RTOL: f64 = 2e-5;
const FAKE_ATOL: f64 = 1e-5;
const W_ATOL: f64 = 2e-6;
const W_RTOL: f64 = 1e-5;
const W_RMS: f64 = 1e-7;
const STAT_ATOL: f64 = 1e-5;
const STAT_RTOL: f64 = 1e-4;

fn config() -> Pix2PixConfig {
    Pix2PixConfig {
        generator: GeneratorConfig {
            input_nc: 3,
            output_nc: 3,
            ngf: 4,
            arch: GeneratorArch::Unet { num_downs: 5 },
            norm: Norm::Batch,
            dropout: false,
        },
        discriminator: DiscriminatorConfig {
            input_nc: 6,
            ndf: 4,
            arch: DiscriminatorArch::NLayer { n_layers: 2 },
            norm: Norm::Batch,
        },
        lambda_l1: 100.0,
        beta1: 0.5,
        beta2: 0.999,
        pool_size: 0,
        gan_mode: GanMode::Vanilla,
    }
}

fn fixture(case: &str, name: &str) -> StateDict {
    let path = format!("{}/fixtures/pix2pix_reference/{case}/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run make_pix2pix_reference.py)"));
    StateDict::load(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tensor<'a>(sd: &'a StateDict, name: &str) -> &'a HostTensor {
    sd.get(name).unwrap_or_else(|| panic!("fixture has no `{name}`"))
}

/// The fixture's metadata must describe the configuration built here.
fn check_metadata(inputs: &StateDict, batch: usize) {
    let c = config();
    let meta = inputs.metadata();
    let want = [
        ("batch", batch.to_string()),
        ("size", SIZE.to_string()),
        ("ngf", c.generator.ngf.to_string()),
        ("ndf", c.discriminator.ndf.to_string()),
        ("num_downs", "5".to_string()),
        ("n_layers_D", "2".to_string()),
        ("steps", STEPS.to_string()),
        ("loss_names", LOSS_NAMES.join(" ")),
    ];
    for (k, v) in want {
        assert_eq!(meta.get(k), Some(&v), "fixture metadata `{k}`");
    }
    let num = |k: &str| meta.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or_else(|| panic!("metadata `{k}`"));
    assert_eq!(num("lr") as f32, LR);
    assert_eq!(num("beta1") as f32, c.beta1);
    assert_eq!(num("lambda_L1") as f32, c.lambda_l1);
}

/// Largest deviation seen for one kind of quantity, for the report.
#[derive(Default)]
struct Worst {
    abs: f64,
    rel: f64,
    flips: usize,
    at: String,
}

impl Worst {
    fn see(&mut self, abs: f64, rel: f64, at: impl FnOnce() -> String) {
        if abs > self.abs {
            self.abs = abs;
            self.at = at();
        }
        self.rel = self.rel.max(rel);
    }
}

#[derive(Default)]
struct Report {
    losses: Worst,
    fake_b: Worst,
    weights: Worst,
    stats: Worst,
    weights_rms: f64,
}

fn compare_losses(step: usize, got: &[f32], want: &HostTensor, which: &[usize], r: &mut Report) {
    for &i in which {
        let (g, w) = (got[i] as f64, want.data[step * LOSS_NAMES.len() + i] as f64);
        let rel = (g - w).abs() / w.abs();
        r.losses.see((g - w).abs(), rel, || format!("{} of step {}", LOSS_NAMES[i], step + 1));
        assert!(
            rel <= LOSS_RTOL,
            "step {}: {} = {g} but the reference has {w} (relative deviation {rel:.2e} > {LOSS_RTOL:e})",
            step + 1,
            LOSS_NAMES[i]
        );
    }
}

fn compare_fake(step: usize, got: &[f32], want: &HostTensor, r: &mut Report) {
    assert_eq!(got.len(), want.data.len());
    for (i, (&g, &w)) in got.iter().zip(&want.data).enumerate() {
        let d = (g as f64 - w as f64).abs();
        r.fake_b.see(d, 0.0, || format!("fake_B of step {} at {:?}", step + 1, tests::unravel(i, &want.shape)));
        assert!(
            d <= FAKE_ATOL,
            "step {}: fake_B = G(A) at {:?} is {g}, the reference's {w} (|diff| {d:.2e} > {FAKE_ATOL:e})",
            step + 1,
            tests::unravel(i, &want.shape)
        );
    }
}

/// Compares a network's state_dict (weights and running statistics) with the
/// reference's after `steps` steps.
fn compare_net(net: &str, steps: usize, got: &StateDict, want: &StateDict, r: &mut Report) {
    let got_names: Vec<&str> = got.names().collect();
    let want_names: Vec<&str> = want.names().collect();
    assert_eq!(got_names, want_names, "{net}: state_dict keys differ from the reference's");
    let flip_bound = 2.0 * LR as f64 * steps as f64 + W_ATOL;
    let (mut sq, mut n) = (0.0f64, 0usize);
    for (name, w) in want.iter() {
        let g = tensor(got, name);
        assert_eq!(g.shape, w.shape, "{net}.{name}: shape");
        let is_stat = name.ends_with("running_mean") || name.ends_with("running_var");
        let (atol, rtol) = if is_stat { (STAT_ATOL, STAT_RTOL) } else { (W_ATOL, W_RTOL) };
        let mut flips = Vec::new();
        for (i, (&gv, &wv)) in g.data.iter().zip(&w.data).enumerate() {
            let (gv, wv) = (gv as f64, wv as f64);
            let d = (gv - wv).abs();
            let at = || format!("{net}.{name}{:?} after step {steps}", tests::unravel(i, &w.shape));
            if d <= atol + rtol * wv.abs() {
                if is_stat {
                    r.stats.see(d, d / wv.abs().max(1e-30), at);
                } else {
                    r.weights.see(d, 0.0, at);
                    sq += d * d;
                    n += 1;
                }
            } else if !is_stat && d <= flip_bound {
                flips.push((at(), gv, wv, d));
            } else {
                panic!("{}: {gv}, the reference has {wv} (|diff| {d:.3e} > {atol:e} + {rtol:e} |want|)", at());
            }
        }
        r.weights.flips += flips.len();
        assert!(
            flips.len() * 1000 <= w.data.len().max(1000),
            "{net}.{name} after step {steps}: {} of {} weights off by more than {W_ATOL:e} (Adam sign flips?): {:?}",
            flips.len(),
            w.data.len(),
            &flips[..flips.len().min(8)]
        );
        for f in &flips {
            eprintln!(
                "  tolerated (near-zero gradient, Adam sign): {} got {} want {} |diff| {:.3e}",
                f.0, f.1, f.2, f.3
            );
        }
    }
    let rms = (sq / n.max(1) as f64).sqrt();
    eprintln!("{net} after step {steps}: rms weight deviation {rms:.2e} over {n} weights");
    r.weights_rms = r.weights_rms.max(rms);
    assert!(
        rms <= W_RMS,
        "{net} after step {steps}: rms deviation of the weights {rms:.2e} > {W_RMS:e}: a systematic difference"
    );
}

fn upload(g: &Gpu, t: &HostTensor) -> Tensor {
    Tensor::from_slice(g, &t.shape, &t.data).unwrap()
}

fn run_case(case: &str, batch: usize) {
    let g = gpu();
    let inputs = fixture(case, "inputs");
    check_metadata(&inputs, batch);
    let ref_losses = tensor(&inputs, "losses");
    assert_eq!(ref_losses.shape, [STEPS, LOSS_NAMES.len()]);
    let init = Init::Networks(vec![fixture(case, "G_init"), fixture(case, "D_init")]);
    let mut model = Pix2Pix::new(&g, config(), init).unwrap();
    let mut rng = SplitMix64(7);
    let mut r = Report::default();
    let started = std::time::Instant::now();
    for step in 0..STEPS {
        let real_a = tensor(&inputs, &format!("real_A.{step}"));
        let real_b = tensor(&inputs, &format!("real_B.{step}"));
        assert_eq!(real_a.shape, [batch, 3, SIZE, SIZE]);
        let out = model.step(&g, &upload(&g, real_a), &upload(&g, real_b), LR, &mut rng).unwrap();
        let losses = out.losses.read_blocking(&g).unwrap();
        let fake_b = out.visuals[1].read_blocking(&g).unwrap();
        let state = pollster::block_on(model.state(&g)).unwrap();
        // In the order the step computes them: G's forward, D's losses, D's
        // update, G's GAN loss through the updated D, G's update.
        compare_fake(step, &fake_b, tensor(&inputs, &format!("fake_B.{step}")), &mut r);
        compare_losses(step, &losses, ref_losses, &[1, 3, 2], &mut r);
        compare_net("D", step + 1, state.get("D").unwrap(), &fixture(case, &format!("D_step{}", step + 1)), &mut r);
        compare_losses(step, &losses, ref_losses, &[0], &mut r);
        compare_net("G", step + 1, state.get("G").unwrap(), &fixture(case, &format!("G_step{}", step + 1)), &mut r);
    }
    eprintln!(
        "pix2pix parity {case} (batch {batch}, {STEPS} steps, {:.1?}): max deviations\n  losses: rel {:.2e} (abs {:.2e}, {})\n  fake_B: abs {:.2e} ({})\n  weights: abs {:.2e} ({}), rms {:.2e}, {} tolerated sign flips\n  running stats: abs {:.2e}, rel {:.2e} ({})",
        started.elapsed(),
        r.losses.rel,
        r.losses.abs,
        r.losses.at,
        r.fake_b.abs,
        r.fake_b.at,
        r.weights.abs,
        r.weights.at,
        r.weights_rms,
        r.weights.flips,
        r.stats.abs,
        r.stats.rel,
        r.stats.at
    );
}

#[test]
fn batch_1_steps_match_the_reference() {
    run_case("b1", 1);
}

#[test]
fn batch_2_steps_match_the_reference() {
    run_case("b2", 2);
}
