//! The two CycleGAN networks on the GPU against the CPU reference forward,
//! and their state_dict layouts.

use shaders::nn::io::weights::HostTensor;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{
    DiscriminatorArch, DiscriminatorConfig, GeneratorArch, GeneratorConfig, Norm, Upsampling,
};
use shaders::nn::nets::network::{detect, Architecture, Network};
use shaders::Tensor;
use tests::net_check::{check_backward, check_forward, BackwardCase};
use tests::ref_nets::{self, test_weights, T};
use tests::{assert_close, gpu, random};

fn resnet(ngf: usize, n_blocks: usize, dropout: bool) -> GeneratorConfig {
    GeneratorConfig { dropout, ..GeneratorConfig::resnet(n_blocks, ngf) }
}

#[test]
fn generator_matches_reference() {
    let g = gpu();
    for (cfg, xs) in [(resnet(8, 2, false), [2, 3, 12, 20]), (resnet(4, 1, true), [1, 3, 16, 8])] {
        let arch = Architecture::Generator(cfg);
        let sd = test_weights(&arch, 7);
        assert_eq!(detect(&sd).unwrap(), arch, "architecture inferred from the state_dict");
        let net = Network::new(&g, arch, &sd, false).unwrap();
        let x = random(xs.iter().product(), 11);
        let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
        // Eval (dropout off) and, with dropout, training mode with the same masks.
        let modes: &[Mode] = if cfg.dropout { &[Mode::EVAL, Mode::TRAIN] } else { &[Mode::EVAL] };
        for &mode in modes {
            let mut rng = SplitMix64(3);
            let y = net.forward(&g, &xt, mode, Some(&mut rng)).unwrap();
            let (want, r) = ref_nets::forward(&sd, &arch, &T::from_f32(&x, xs), mode, Some(SplitMix64(3)), true);
            assert_eq!(y.shape(), &want.shape[..]);
            assert_eq!(want.shape, xs, "the generator keeps the size");
            assert_eq!(rng.0, r.rng().unwrap().0, "one seed per dropout layer");
            let what = format!("generator {} {mode:?}", cfg.describe());
            assert_close(&what, &y.read_blocking(&g).unwrap(), &want.data, &want.shape, 2e-4, 1e-3);
        }
    }
}

#[test]
fn resnet_with_batch_norm_without_norm_and_other_code_bases_variants() {
    // The reference's other --norm choices for the ResNet: BatchNorm (eval
    // and training statistics) and none (no conv biases, activations alone).
    // Then the variants of other code bases: affine instance norm, 4x4 transposed-conv upsampling.
    let g = gpu();
    for (norm, upsampling, xs) in [
        (Norm::Batch, Upsampling::Transposed3, [2, 3, 12, 8]),
        (Norm::None, Upsampling::Transposed3, [1, 3, 8, 12]),
        (Norm::InstanceAffine, Upsampling::Transposed4, [2, 3, 8, 12]),
    ] {
        let mut cfg = GeneratorConfig { norm, ..resnet(4, 1, true) };
        cfg.arch = GeneratorArch::Resnet { n_blocks: 1, upsampling };
        let arch = Architecture::Generator(cfg);
        let sd = test_weights(&arch, 13);
        assert_eq!(detect(&sd).unwrap(), arch);
        let net = Network::new(&g, arch, &sd, false).unwrap();
        let x = random(xs.iter().product(), 14);
        for mode in [Mode::EVAL, Mode::TRAIN] {
            check_forward(&g, &net, &sd, &x, xs, mode, 1, (2e-4, 1e-3));
        }
        let case = BackwardCase {
            input_coords: vec![0, 41, 150, xs.iter().product::<usize>() - 1],
            param_coords: |n| vec![0, n - 1],
            h: 1e-6,
            tol: (5e-5, 2e-3),
        };
        let worst = check_backward(&g, arch, &sd, &x, xs, 15, Mode::TRAIN, 2, &case);
        eprintln!("{}: worst gradient error / tolerance {:.3} at {}", cfg.describe(), worst.0, worst.1);
    }
}

#[test]
fn discriminator_matches_reference() {
    let g = gpu();
    let cfg = DiscriminatorConfig::basic(8);
    let arch = Architecture::Discriminator(cfg);
    let sd = test_weights(&arch, 3);
    assert_eq!(detect(&sd).unwrap(), arch);
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let xs = [2, 3, 37, 35];
    let x = random(xs.iter().product(), 5);
    let y = net.forward(&g, &Tensor::from_slice(&g, &xs, &x).unwrap(), Mode::EVAL, None).unwrap();
    let (want, _) = ref_nets::forward(&sd, &arch, &T::from_f32(&x, xs), Mode::EVAL, None, true);
    assert_eq!(y.shape(), &want.shape[..]);
    assert_close("discriminator", &y.read_blocking(&g).unwrap(), &want.data, &want.shape, 2e-4, 1e-3);
}

fn names(arch: Architecture) -> Vec<String> {
    Network::specs_of(&arch).unwrap().into_iter().map(|s| s.name).collect()
}

#[test]
fn reference_state_dict_names() {
    let names9 = names(Architecture::Generator(GeneratorConfig::resnet(9, 64)));
    assert_eq!(names9.len(), 2 * (3 + 18 + 3));
    for n in [
        "model.1.weight",
        "model.4.bias",
        "model.7.weight",
        "model.10.conv_block.5.bias",
        "model.18.conv_block.1.weight",
        "model.19.weight",
        "model.22.bias",
        "model.26.weight",
    ] {
        assert!(names9.iter().any(|x| x == n), "{n} missing from {names9:?}");
    }
    let six = names(Architecture::Generator(GeneratorConfig::resnet(6, 64)));
    assert!(six.contains(&"model.23.weight".to_string()) && six.contains(&"model.16.weight".to_string()));
    let d = names(Architecture::Discriminator(DiscriminatorConfig::basic(64)));
    assert_eq!(
        d,
        [
            "model.0.weight",
            "model.0.bias",
            "model.2.weight",
            "model.2.bias",
            "model.5.weight",
            "model.5.bias",
            "model.8.weight",
            "model.8.bias",
            "model.11.weight",
            "model.11.bias"
        ]
    );
    let shapes = Network::specs_of(&Architecture::Generator(GeneratorConfig::resnet(9, 64))).unwrap();
    let up = shapes.iter().find(|s| s.name == "model.19.weight").unwrap();
    assert_eq!(up.shape, [256, 128, 3, 3], "ConvTranspose weights are [in, out, kh, kw]");
    // With dropout the second conv of each block moves to index 6.
    let drop = names(Architecture::Generator(GeneratorConfig { dropout: true, ..GeneratorConfig::resnet(9, 64) }));
    assert!(drop.contains(&"model.10.conv_block.6.weight".to_string()), "{drop:?}");
    assert!(!drop.iter().any(|n| n.starts_with("model.10.conv_block.5.")), "{drop:?}");
}

#[test]
fn resnet_and_nlayer_norms_follow_the_reference() {
    // use_bias = (norm == instance): batch and none have no conv biases
    // where a norm follows; batch adds weight, bias and running statistics.
    for norm in [Norm::Batch, Norm::None] {
        let g = names(Architecture::Generator(GeneratorConfig { norm, ..GeneratorConfig::resnet(2, 4) }));
        assert!(!g.contains(&"model.1.bias".to_string()) && !g.contains(&"model.12.bias".to_string()), "{g:?}");
        assert!(g.contains(&"model.19.bias".to_string()), "the final conv keeps its bias: {g:?}");
        assert_eq!(g.contains(&"model.2.running_var".to_string()), norm == Norm::Batch, "{g:?}");
        let d = names(Architecture::Discriminator(DiscriminatorConfig { norm, ..DiscriminatorConfig::basic(4) }));
        assert!(d.contains(&"model.0.bias".to_string()) && !d.contains(&"model.2.bias".to_string()), "{d:?}");
        assert_eq!(d.contains(&"model.3.running_mean".to_string()), norm == Norm::Batch, "{d:?}");
        assert!(d.contains(&"model.11.bias".to_string()), "{d:?}");
    }
    let cfg = GeneratorConfig { norm: Norm::Batch, ..GeneratorConfig::resnet(2, 4) };
    assert!(matches!(cfg.arch, GeneratorArch::Resnet { n_blocks: 2, .. }));
    let d = DiscriminatorConfig { arch: DiscriminatorArch::NLayer { n_layers: 2 }, ..DiscriminatorConfig::basic(4) };
    assert_eq!(names(Architecture::Discriminator(d)).last().unwrap(), "model.8.bias");
}

#[test]
fn wrong_weights_are_named() {
    let g = gpu();
    let arch = Architecture::Generator(GeneratorConfig::resnet(2, 4));
    let mut sd = Network::init_state_dict(&arch, 1).unwrap();
    let t = sd.remove("model.10.conv_block.5.weight").unwrap();
    let err = Network::new(&g, arch, &sd, false).err().unwrap().to_string();
    assert!(err.contains("model.10.conv_block.5.weight"), "{err}");
    let mut bad = t.clone();
    bad.shape = vec![16, 16, 1, 9];
    sd.insert("model.10.conv_block.5.weight", bad).unwrap();
    let err = Network::new(&g, arch, &sd, false).err().unwrap().to_string();
    assert!(err.contains("model.10.conv_block.5.weight") && err.contains("shape"), "{err}");
    sd.remove("model.10.conv_block.5.weight");
    sd.insert("model.10.conv_block.5.weight", t).unwrap();
    sd.insert("model.99.weight", HostTensor::new(vec![1], vec![0.0])).unwrap();
    let err = Network::new(&g, arch, &sd, false).err().unwrap().to_string();
    assert!(err.contains("model.99.weight"), "{err}");
}

#[test]
fn resnet_inputs_below_its_minimum_are_refused_naming_it_and_translate_pads_them() {
    let g = gpu();
    let cfg = GeneratorConfig::resnet(1, 4);
    assert_eq!((cfg.size_multiple(), cfg.min_size()), (4, 8));
    let net = Network::init(&g, Architecture::Generator(cfg), 3, false).unwrap();
    let x = Tensor::zeros(&g, &[1, 3, 4, 8]).unwrap();
    let err = net.forward(&g, &x, Mode::EVAL, None).unwrap_err().to_string();
    assert!(err.contains("at least 8x8 pixels (resnet_1blocks)"), "{err}");
    // Whole images of any size, down to 1x1, are padded up to it.
    for (w, h) in [(1, 1), (3, 2), (2, 9)] {
        let rgba: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 256) as u8).collect();
        let out = pollster::block_on(shaders::nn::translate::translate_rgba(&g, &net, Mode::TEST, None, &rgba, w, h));
        let out = out.unwrap_or_else(|e| panic!("{w}x{h}: {e}"));
        assert_eq!(out.len(), w * h * 4);
        assert!(out.chunks(4).zip(rgba.chunks(4)).all(|(o, i)| o[3] == i[3]), "alpha kept");
    }
}
