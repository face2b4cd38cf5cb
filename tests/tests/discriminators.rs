//! pix2pix's discriminators on the GPU against the f64 CPU reference: the
//! conditional PatchGAN on cat(A, B) (6 channels, batch norm, with 3 layers
//! and with 1) and the 1x1 PixelDiscriminator, forward in training and eval mode and
//! backward against central differences.

use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, Norm};
use shaders::nn::nets::network::{Architecture, Network};
use shaders::ops::concat_channels;
use shaders::Tensor;
use tests::net_check::{check_backward, check_forward, BackwardCase};
use tests::ref_batch;
use tests::ref_nets::{self, test_weights, with_running, T};
use tests::{assert_close, gpu, random};

const TOL: (f64, f64) = (2e-4, 1e-3);

fn nlayer(n_layers: usize, ndf: usize, norm: Norm) -> DiscriminatorConfig {
    DiscriminatorConfig { input_nc: 6, ndf, arch: DiscriminatorArch::NLayer { n_layers }, norm }
}

fn pixel(ndf: usize, norm: Norm) -> DiscriminatorConfig {
    DiscriminatorConfig { input_nc: 6, ndf, arch: DiscriminatorArch::Pixel, norm }
}

/// Eval, training, eval again (with the updated running statistics).
fn check_modes(cfg: DiscriminatorConfig, xs: [usize; 4], seed: u64, out_hw: [usize; 2]) {
    let g = gpu();
    let arch = Architecture::Discriminator(cfg);
    let sd = test_weights(&arch, seed);
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let x = random(xs.iter().product(), seed + 1);
    let (eval, _) = check_forward(&g, &net, &sd, &x, xs, Mode::EVAL, 0, TOL);
    assert_eq!(eval.len(), xs[0] * out_hw[0] * out_hw[1], "{}: patch logits of {xs:?}", cfg.describe());
    let (train, running) = check_forward(&g, &net, &sd, &x, xs, Mode::TRAIN, 0, TOL);
    let sd = with_running(&sd, &running);
    let (again, _) = check_forward(&g, &net, &sd, &x, xs, Mode::EVAL, 0, TOL);
    if cfg.norm == Norm::Batch {
        assert_ne!(train, eval, "{}", cfg.describe());
        assert_ne!(again, eval, "{}", cfg.describe());
    } else {
        assert_eq!(train, eval, "{}", cfg.describe());
    }
}

#[test]
fn conditional_patchgan_forward() {
    // 3 layers: 32 -> 16 -> 8 -> 4 -> 3 (stride 1) -> 2.
    check_modes(nlayer(3, 4, Norm::Batch), [2, 6, 32, 32], 1, [2, 2]);
    check_modes(nlayer(3, 4, Norm::Batch), [1, 6, 40, 48], 2, [3, 4]);
    // 1 layer: 32 -> 16 -> 15 (stride 1) -> 14.
    check_modes(nlayer(1, 4, Norm::Batch), [2, 6, 32, 32], 3, [14, 14]);
    check_modes(nlayer(3, 4, Norm::Instance), [1, 6, 32, 32], 4, [2, 2]);
    check_modes(nlayer(2, 4, Norm::None), [2, 6, 24, 24], 5, [4, 4]);
}

#[test]
fn pixel_discriminator_forward() {
    for (k, norm) in [Norm::Batch, Norm::Instance, Norm::None].into_iter().enumerate() {
        check_modes(pixel(4, norm), [2, 6, 9, 7], 10 + k as u64, [9, 7]);
    }
}

#[test]
fn discriminator_of_the_concatenated_pair() {
    // pix2pix judges cat(A, B) with A's channels first.
    let g = gpu();
    let cfg = nlayer(3, 4, Norm::Batch);
    let arch = Architecture::Discriminator(cfg);
    let sd = test_weights(&arch, 20);
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let s = [2, 3, 32, 32];
    let (a, b) = (random(s.iter().product(), 21), random(s.iter().product(), 22));
    let ab = concat_channels(&g, &Tensor::from_slice(&g, &s, &a).unwrap(), &Tensor::from_slice(&g, &s, &b).unwrap())
        .unwrap();
    let y = net.forward(&g, &ab, Mode::TRAIN, None).unwrap().read_blocking(&g).unwrap();
    let f64s = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let x = T { data: ref_batch::concat_channels(&f64s(&a), &f64s(&b), 2), shape: [2, 6, 32, 32] };
    let (want, _) = ref_nets::forward(&sd, &arch, &x, Mode::TRAIN, None, true);
    assert_close("D(cat(A, B))", &y, &want.data, &want.shape, TOL.0, TOL.1);
    // B first is a different input.
    let ba = T { data: ref_batch::concat_channels(&f64s(&b), &f64s(&a), 2), shape: [2, 6, 32, 32] };
    let (other, _) = ref_nets::forward(&sd, &arch, &ba, Mode::TRAIN, None, true);
    assert!(other.data.iter().zip(&want.data).any(|(p, q)| (p - q).abs() > 1e-3));
}

fn case(len: usize) -> BackwardCase {
    BackwardCase {
        input_coords: vec![0, len / 3, len / 2 + 5, len - 1],
        param_coords: |n| vec![0, n / 2, n - 1],
        h: 1e-6,
        tol: (5e-5, 2e-3),
    }
}

fn backward(cfg: DiscriminatorConfig, xs: [usize; 4], seed: u64) {
    let g = gpu();
    let arch = Architecture::Discriminator(cfg);
    let sd = test_weights(&arch, seed);
    let x = random(xs.iter().product(), seed + 1);
    let worst = check_backward(&g, arch, &sd, &x, xs, seed + 2, Mode::TRAIN, 0, &case(x.len()));
    eprintln!("{} {xs:?}: worst gradient error / tolerance {:.3} at {}", cfg.describe(), worst.0, worst.1);
}

#[test]
fn conditional_patchgan_backward() {
    backward(nlayer(3, 4, Norm::Batch), [2, 6, 32, 32], 30);
    backward(nlayer(1, 4, Norm::Batch), [1, 6, 32, 32], 40);
}

#[test]
fn pixel_discriminator_backward() {
    backward(pixel(4, Norm::Batch), [2, 6, 9, 7], 50);
    backward(pixel(4, Norm::Instance), [1, 6, 8, 8], 60);
    backward(pixel(3, Norm::None), [2, 6, 5, 6], 70);
}
