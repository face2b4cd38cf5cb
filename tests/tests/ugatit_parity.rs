//! U-GAT-IT light against the reference (znxlwm/UGATIT-pytorch): from the
//! reference's checkpoint file as its `save()` writes it, three iterations on
//! its batches must give its twelve losses, and the weights and spectral
//! norm vectors of all six networks after the third must match its
//! checkpoint of that iteration; the final genA2B then translates an image
//! with the reference's output, CAM logits and attention map.
//!
//! Fixtures: `tests/fixtures/ugatit_reference/`, made by
//! `tests/fixtures/make_ugatit_reference.py` (ch 2, n_res 2, 128x128, batch
//! 1, the reference's optimizers and loss weights). Tolerances: losses
//! relative 5e-5 (the CAM terms, weighted 1000, dominate G_A and G_B);
//! weights as `tests::parity::compare_net` with [`W_ATOL`].

use shaders::nn::model::{Init, Model};
use shaders::nn::ugatit::{detect_generator, split_checkpoint, Ugatit, UgatitConfig, LOSS_NAMES, NETWORKS};
use shaders::nn::ugatit_nets::{Generator, GeneratorShape};
use shaders::nn::weights::{HostTensor, StateDict};
use shaders::Tensor;
use tests::gpu;
use tests::parity::compare_net;

const STEPS: usize = 3;
const LR: f32 = 1e-4;
const LOSS_RTOL: f64 = 5e-5;
/// Weights: 5e-6, 5% of an Adam step of 1e-4 (weight decay 1e-4 makes
/// near-zero gradients' relative error large, as in the DiscoGAN test).
const W_ATOL: f64 = 5e-6;

fn load(name: &str) -> StateDict {
    let path = format!("{}/fixtures/ugatit_reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run make_ugatit_reference.py)"));
    StateDict::load(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tensor<'a>(sd: &'a StateDict, name: &str) -> &'a HostTensor {
    sd.get(name).unwrap_or_else(|| panic!("fixture has no `{name}`"))
}

fn upload(g: &shaders::Gpu, t: &HostTensor) -> Tensor {
    Tensor::from_slice(g, &t.shape, &t.data).unwrap()
}

fn shape() -> GeneratorShape {
    GeneratorShape { ch: 2, n_res: 2, light: true, img_size: 256 }
}

#[test]
fn iterations_match_the_reference() {
    let g = gpu();
    let inputs = load("inputs.safetensors");
    assert_eq!(inputs.metadata().get("loss_names"), Some(&LOSS_NAMES.join(" ")));
    let losses_ref = tensor(&inputs, "losses");
    assert_eq!(losses_ref.shape, [STEPS, LOSS_NAMES.len()]);
    let init = split_checkpoint(&load("params_0000000.pt")).unwrap();
    assert_eq!(detect_generator(&init[0]).unwrap(), shape());
    let mut model = Ugatit::new(&g, UgatitConfig::reference(shape()), Init::Networks(init)).unwrap();
    let mut rng = shaders::nn::params::SplitMix64(0);
    let mut worst_loss = 0.0f64;
    for step in 0..STEPS {
        let a = upload(&g, tensor(&inputs, &format!("A.{step}")));
        let b = upload(&g, tensor(&inputs, &format!("B.{step}")));
        let out = model.step(&g, &a, &b, LR, &mut rng).unwrap();
        let losses = out.losses.read_blocking(&g).unwrap();
        for (i, name) in LOSS_NAMES.iter().enumerate() {
            let (got, want) = (losses[i] as f64, losses_ref.data[step * LOSS_NAMES.len() + i] as f64);
            let rel = (got - want).abs() / want.abs();
            worst_loss = worst_loss.max(rel);
            assert!(rel <= LOSS_RTOL, "iteration {step}: {name} = {got}, the reference has {want} (rel {rel:.2e})");
        }
    }
    let state = pollster::block_on(model.state(&g)).unwrap();
    let want = split_checkpoint(&load("params_0000003.pt")).unwrap();
    let mut worst_w = 0.0f64;
    for (net, want) in NETWORKS.iter().zip(&want) {
        let what = format!("{net} after {STEPS} iterations");
        worst_w = worst_w.max(compare_net(&what, state.get(net).unwrap(), want, LR as f64, STEPS, W_ATOL));
    }
    assert_eq!(model.iterations(), STEPS as u64);
    eprintln!("ugatit parity: losses rel {worst_loss:.2e}, weights abs {worst_w:.2e}");
}

/// The final genA2B (eval mode: the generator has no mode-dependent layer)
/// on a 64x64 image: its image, CAM logits and attention map.
#[test]
fn translation_matches_the_reference() {
    let g = gpu();
    let inputs = load("inputs.safetensors");
    let sd = split_checkpoint(&load("params_0000003.pt")).unwrap().swap_remove(0);
    let net = Generator::new(&g, detect_generator(&sd).unwrap(), &sd).unwrap();
    let out = net.forward(&g, &upload(&g, tensor(&inputs, "translate_in"))).unwrap();
    for (what, got, tol) in [
        ("translate_out", &out.image, 2e-5),
        ("translate_cam", &out.cam_logit, 2e-5),
        ("translate_heatmap", &out.heatmap, 1e-4),
    ] {
        let want = tensor(&inputs, what);
        assert_eq!(got.shape(), &want.shape[..], "{what}");
        let got = got.read_blocking(&g).unwrap();
        let scale = want.data.iter().fold(0.0f64, |m, v| m.max(v.abs() as f64)).max(1.0);
        for (i, (a, b)) in got.iter().zip(&want.data).enumerate() {
            let d = (*a as f64 - *b as f64).abs();
            assert!(d <= tol * scale, "{what}[{i}]: {a}, the reference has {b}");
        }
    }
}

/// A checkpoint missing one of its six networks, or a generator with the
/// wrong layout, is refused with a message that names what is wrong.
#[test]
fn incomplete_checkpoints_are_refused() {
    let mut sd = load("params_0000000.pt");
    let keys: Vec<String> = sd.names().filter(|k| k.starts_with("disLB.")).map(String::from).collect();
    for k in keys {
        sd.remove(&k);
    }
    let err = split_checkpoint(&sd).unwrap_err().to_string();
    assert!(err.contains("disLB"), "{err}");
    let g = gpu();
    let parts = split_checkpoint(&load("params_0000000.pt")).unwrap();
    let full = GeneratorShape { light: false, img_size: 128, ..shape() };
    let err = Generator::new(&g, full, &parts[0]).err().expect("a light generator loaded as full").to_string();
    assert!(err.contains("FC.0.weight"), "{err}");
}
