//! DiscoGAN against the reference (SKTBrain/DiscoGAN
//! `discogan/image_translation.py`): from the reference's initial weights,
//! five iterations on its batches (two discriminator steps, three generator
//! steps, across the change of the reconstruction rate) must give its eight
//! logged losses and its weights and BatchNorm running statistics of all four
//! networks after every iteration.
//!
//! Fixtures: `tests/fixtures/discogan_reference/`, made by
//! `tests/fixtures/make_discogan_reference.py` (ngf = ndf = 4, 64x64, batch
//! 4, Adam(2e-4, (0.5, 0.999), weight decay 1e-5), GAN curriculum shortened
//! to 2 iterations). Tolerances: losses relative 5e-5; weights and running
//! statistics as `tests::parity::compare_net` with the [`W_ATOL`] below.

use shaders::models::discogan::{DiscoGan, DiscoGanConfig, LOSS_NAMES, NETWORKS};
use shaders::nn::io::weights::{HostTensor, StateDict};
use shaders::nn::layers::Mode;
use shaders::nn::model::{Init, Model};
use shaders::nn::nets::network::{detect, Architecture};
use shaders::Tensor;
use tests::gpu;
use tests::parity::compare_net;

const STEPS: usize = 5;
const LR: f32 = 2e-4;
const LOSS_RTOL: f64 = 5e-5;
/// Weights: 6e-6 (3% of an Adam step of 2e-4). A first-layer filter that
/// the LeakyReLU mostly cuts off gets gradients near the weight decay's
/// 1e-5 |w|, whose relative f32 error reaches a few percent, and Adam's
/// m / sqrt(v) passes that on to the step (4.4e-6 seen after the fifth
/// iteration, in one filter of G_A).
const W_ATOL: f64 = 6e-6;

fn fixture(name: &str) -> StateDict {
    let path = format!("{}/fixtures/discogan_reference/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run make_discogan_reference.py)"));
    StateDict::load(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tensor<'a>(sd: &'a StateDict, name: &str) -> &'a HostTensor {
    sd.get(name).unwrap_or_else(|| panic!("fixture has no `{name}`"))
}

#[test]
fn iterations_match_the_reference() {
    let g = gpu();
    let inputs = fixture("inputs");
    assert_eq!(inputs.metadata().get("loss_names"), Some(&LOSS_NAMES.join(" ")));
    let losses_ref = tensor(&inputs, "losses");
    assert_eq!(losses_ref.shape, [STEPS, LOSS_NAMES.len()]);
    let inits: Vec<StateDict> = NETWORKS.iter().map(|n| fixture(&format!("{n}_init"))).collect();
    assert!(
        matches!(detect(&inits[0]).unwrap(), Architecture::Generator(c) if c == DiscoGanConfig::reference(4, 4).generator)
    );
    assert!(
        matches!(detect(&inits[2]).unwrap(), Architecture::Discriminator(c) if c == DiscoGanConfig::reference(4, 4).discriminator)
    );
    let config = DiscoGanConfig { gan_curriculum: 2, ..DiscoGanConfig::reference(4, 4) };
    let mut model = DiscoGan::new(&g, config, Init::Networks(inits)).unwrap();
    let (mut worst_loss, mut worst_w) = (0.0f64, 0.0f64);
    for step in 0..STEPS {
        let upload = |name: &str| {
            let t = tensor(&inputs, &format!("{name}.{step}"));
            Tensor::from_slice(&g, &t.shape, &t.data).unwrap()
        };
        let out = model.step_bgr01(&g, &upload("A"), &upload("B"), LR).unwrap();
        let losses = out.losses.read_blocking(&g).unwrap();
        for (i, name) in LOSS_NAMES.iter().enumerate() {
            let (got, want) = (losses[i] as f64, losses_ref.data[step * LOSS_NAMES.len() + i] as f64);
            let rel = (got - want).abs() / want.abs();
            worst_loss = worst_loss.max(rel);
            assert!(rel <= LOSS_RTOL, "iteration {step}: {name} = {got}, the reference has {want} (rel {rel:.2e})");
        }
        let state = pollster::block_on(model.state(&g)).unwrap();
        for net in NETWORKS {
            let want = fixture(&format!("{net}_step{}", step + 1));
            let what = format!("{net} after iteration {step}");
            worst_w = worst_w.max(compare_net(&what, state.get(net).unwrap(), &want, LR as f64, step + 1, W_ATOL));
        }
    }
    assert_eq!(model.iterations(), STEPS as u64);
    eprintln!("discogan parity: losses rel {worst_loss:.2e}, weights abs {worst_w:.2e}");
}

/// Translation through the shared path (`translate_rgba`, which the trainer
/// and the browser use): RGB bytes in, the reference's BGR [0, 1] network,
/// RGB bytes out, as the reference's G_B gives them.
#[test]
fn translation_matches_the_reference() {
    use shaders::nn::nets::network::Network;
    use shaders::nn::translate::translate_rgba;
    let g = gpu();
    let inputs = fixture("inputs");
    let sd = fixture("G_B_step5");
    let net = Network::new(&g, detect(&sd).unwrap(), &sd, false).unwrap();
    let rgb = tensor(&inputs, "translate_rgb");
    let (h, w) = (64, 64);
    let mut rgba = Vec::with_capacity(h * w * 4);
    for p in 0..h * w {
        for c in 0..3 {
            rgba.push((rgb.data[c * h * w + p] * 255.0).round() as u8);
        }
        rgba.push(255);
    }
    let out = pollster::block_on(translate_rgba(&g, &net, Mode::TEST, None, &rgba, w, h)).unwrap();
    let want = tensor(&inputs, "translate_out");
    let mut worst = 0.0f64;
    for p in 0..h * w {
        for c in 0..3 {
            let byte = (want.data[c * h * w + p] as f64 * 255.0).clamp(0.0, 255.0);
            worst = worst.max((out[p * 4 + c] as f64 - byte).abs());
        }
    }
    assert!(worst <= 1.0, "a byte differs from the reference's by {worst}");
}
