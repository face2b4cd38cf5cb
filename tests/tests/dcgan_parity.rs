//! DCGAN against the reference (pytorch/examples `dcgan/main.py`): from the
//! reference's initial weights, three iterations on its real batches and
//! latents must give its printed statistics (Loss_D, Loss_G, D(x), D(G(z))
//! before and after the D step), its weights and BatchNorm running
//! statistics after every iteration; and the final generator must reproduce
//! the reference's images of given latents in training mode (batch
//! statistics) and eval mode (running statistics).
//!
//! Fixtures: `tests/fixtures/dcgan_reference/`, made by
//! `tests/fixtures/make_dcgan_reference.py` (nz 8, ngf 4, ndf 4, 64x64,
//! batch 4, Adam(2e-4, (0.5, 0.999)), nn.BCELoss, float32 on the CPU).
//!
//! Tolerances (f32 on both sides, different summation orders; largest seen
//! on lavapipe in brackets): losses and statistics relative 5e-5; weights
//! 2e-6 + 1e-5 |w| per value, except weights whose gradient is within
//! rounding of zero, where Adam's first steps (lr sign(g)) may take the other
//! sign: those may be off by 2 lr per step, at most 1 in 200 per tensor;
//! running statistics 1e-5 + 1e-4 |x|; images 2e-5 absolute.

use shaders::models::dcgan::{Dcgan, DcganConfig, LOSS_NAMES};
use shaders::nn::io::weights::{HostTensor, StateDict};
use shaders::nn::layers::Mode;
use shaders::nn::model::{Init, Model};
use shaders::nn::nets::arch::{DiscriminatorConfig, GeneratorConfig};
use shaders::nn::nets::network::{detect, Architecture, Network};
use shaders::Tensor;
use tests::gpu;
use tests::parity::compare_net;

const STEPS: usize = 3;
const LR: f32 = 2e-4;
const LOSS_RTOL: f64 = 5e-5;
const IMAGE_ATOL: f64 = 2e-5;

fn fixture(name: &str) -> StateDict {
    let path = format!("{}/fixtures/dcgan_reference/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run make_dcgan_reference.py)"));
    StateDict::load(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tensor<'a>(sd: &'a StateDict, name: &str) -> &'a HostTensor {
    sd.get(name).unwrap_or_else(|| panic!("fixture has no `{name}`"))
}

fn config() -> DcganConfig {
    DcganConfig {
        generator: GeneratorConfig::dcgan(8, 4),
        discriminator: DiscriminatorConfig::dcgan(4),
        beta1: 0.5,
        beta2: 0.999,
        fixed_seed: 1,
        fixed_count: 4,
    }
}

#[test]
fn iterations_match_the_reference() {
    let g = gpu();
    let inputs = fixture("inputs");
    let losses_ref = tensor(&inputs, "losses");
    assert_eq!(losses_ref.shape, [STEPS, LOSS_NAMES.len()]);
    assert_eq!(inputs.metadata().get("loss_names"), Some(&LOSS_NAMES.join(" ")));
    let init = Init::Networks(vec![fixture("G_init"), fixture("D_init")]);
    let mut model = Dcgan::new(&g, config(), init).unwrap();
    let (mut worst_loss, mut worst_w) = (0.0f64, 0.0f64);
    for step in 0..STEPS {
        let real = tensor(&inputs, &format!("real.{step}"));
        let noise = tensor(&inputs, &format!("noise.{step}"));
        let real = Tensor::from_slice(&g, &real.shape, &real.data).unwrap();
        let noise = Tensor::from_slice(&g, &noise.shape, &noise.data).unwrap();
        let out = model.step_with_latents(&g, &real, &noise, LR).unwrap();
        let losses = out.losses.read_blocking(&g).unwrap();
        for (i, name) in LOSS_NAMES.iter().enumerate() {
            let (got, want) = (losses[i] as f64, losses_ref.data[step * LOSS_NAMES.len() + i] as f64);
            let rel = (got - want).abs() / want.abs();
            worst_loss = worst_loss.max(rel);
            assert!(rel <= LOSS_RTOL, "step {}: {name} = {got}, the reference has {want} (rel {rel:.2e})", step + 1);
        }
        let state = pollster::block_on(model.state(&g)).unwrap();
        for net in ["D", "G"] {
            let want = fixture(&format!("{net}_step{}", step + 1));
            worst_w = worst_w.max(compare_net(
                &format!("{net} after step {}", step + 1),
                state.get(net).unwrap(),
                &want,
                LR as f64,
                step + 1,
                2e-6,
            ));
        }
    }
    eprintln!("dcgan parity: losses rel {worst_loss:.2e}, weights abs {worst_w:.2e}");
}

#[test]
fn the_generator_reproduces_the_reference_images() {
    let g = gpu();
    let inputs = fixture("inputs");
    let sd = fixture("G_step3");
    let arch = detect(&sd).unwrap();
    assert_eq!(arch, Architecture::Generator(GeneratorConfig::dcgan(8, 4)));
    assert_eq!(detect(&fixture("D_init")).unwrap(), Architecture::Discriminator(DiscriminatorConfig::dcgan(4)));
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let z = tensor(&inputs, "gen_noise");
    let z = Tensor::from_slice(&g, &z.shape, &z.data).unwrap();
    for (mode, key) in [(Mode::TEST, "gen_train"), (Mode::EVAL, "gen_eval")] {
        let y = net.forward(&g, &z, mode, None).unwrap().read_blocking(&g).unwrap();
        let want = tensor(&inputs, key);
        assert_eq!(y.len(), want.data.len());
        for (i, (&a, &b)) in y.iter().zip(&want.data).enumerate() {
            let d = (a as f64 - b as f64).abs();
            assert!(d <= IMAGE_ATOL, "{key} at {:?}: {a} vs the reference's {b}", tests::unravel(i, &want.shape));
        }
    }
}
