//! The two CycleGAN networks on the GPU against the CPU reference forward,
//! and their state_dict layouts.

use shaders::nn::discriminator::{DiscriminatorConfig, NLayerDiscriminator};
use shaders::nn::generator::{GeneratorConfig, ResnetGenerator};
use shaders::nn::params::init_normal;
use shaders::Tensor;
use tests::{assert_close, gpu, random, ref_nets};

/// Weights with biases and a scale large enough that every layer matters.
fn weights(specs: &[shaders::nn::params::ParamSpec], seed: u64) -> shaders::nn::weights::StateDict {
    let mut sd = init_normal(specs, seed);
    let mut out = shaders::nn::weights::StateDict::new();
    for (i, (name, t)) in sd.iter().enumerate() {
        let mut t = t.clone();
        let fan_in: usize = t.shape.iter().skip(1).product::<usize>().max(1);
        t.data = random(t.data.len(), seed + i as u64).iter().map(|v| v / (fan_in as f32).sqrt()).collect();
        out.insert(name.to_string(), t).unwrap();
    }
    sd = out;
    sd
}

#[test]
fn generator_matches_reference() {
    let g = gpu();
    for (cfg, xs) in [
        (GeneratorConfig { input_nc: 3, output_nc: 3, ngf: 8, n_blocks: 2, dropout: false }, [2, 3, 12, 20]),
        (GeneratorConfig { input_nc: 3, output_nc: 3, ngf: 4, n_blocks: 1, dropout: true }, [1, 3, 16, 8]),
    ] {
        let sd = weights(&cfg.param_specs(), 7);
        let net = ResnetGenerator::from_state_dict(&g, &sd).unwrap();
        assert_eq!(net.config(), cfg, "architecture inferred from the state_dict");
        let x = random(xs.iter().product(), 11);
        let y = net.forward(&g, &Tensor::from_slice(&g, &xs, &x).unwrap()).unwrap();
        let (want, shape) = ref_nets::generator(&sd, &cfg, &x, xs);
        assert_eq!(y.shape(), &shape[..]);
        assert_eq!(shape, xs, "the generator keeps the size");
        let want: Vec<f64> = want.iter().map(|&v| v as f64).collect();
        assert_close(&format!("generator {cfg:?}"), &y.read_blocking(&g).unwrap(), &want, &shape, 2e-4, 1e-3);
    }
}

#[test]
fn discriminator_matches_reference() {
    let g = gpu();
    let cfg = DiscriminatorConfig { input_nc: 3, ndf: 8, n_layers: 3 };
    let sd = weights(&cfg.param_specs(), 3);
    let net = NLayerDiscriminator::from_state_dict(&g, &sd).unwrap();
    assert_eq!(net.config(), cfg);
    let xs = [2, 3, 37, 35];
    let x = random(xs.iter().product(), 5);
    let y = net.forward(&g, &Tensor::from_slice(&g, &xs, &x).unwrap()).unwrap();
    let (want, shape) = ref_nets::discriminator(&sd, &cfg, &x, xs);
    assert_eq!(y.shape(), &shape[..]);
    let want: Vec<f64> = want.iter().map(|&v| v as f64).collect();
    assert_close("discriminator", &y.read_blocking(&g).unwrap(), &want, &shape, 2e-4, 1e-3);
}

#[test]
fn reference_state_dict_names() {
    let names: Vec<String> = GeneratorConfig::resnet(9, 64).param_specs().into_iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 2 * (3 + 18 + 3));
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
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    let six: Vec<String> = GeneratorConfig::resnet(6, 64).param_specs().into_iter().map(|s| s.name).collect();
    assert!(six.contains(&"model.23.weight".to_string()) && six.contains(&"model.16.weight".to_string()));
    let d: Vec<String> = DiscriminatorConfig::basic(64).param_specs().into_iter().map(|s| s.name).collect();
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
    let shapes = GeneratorConfig::resnet(9, 64).param_specs();
    let up = shapes.iter().find(|s| s.name == "model.19.weight").unwrap();
    assert_eq!(up.shape, [256, 128, 3, 3], "ConvTranspose weights are [in, out, kh, kw]");
}

#[test]
fn wrong_weights_are_named() {
    let g = gpu();
    let cfg = GeneratorConfig::resnet(2, 4);
    let mut sd = init_normal(&cfg.param_specs(), 1);
    let t = sd.remove("model.10.conv_block.5.weight").unwrap();
    let err = ResnetGenerator::with_config(&g, cfg, &sd).err().unwrap().to_string();
    assert!(err.contains("model.10.conv_block.5.weight"), "{err}");
    let mut bad = t.clone();
    bad.shape = vec![16, 16, 1, 9];
    sd.insert("model.10.conv_block.5.weight", bad).unwrap();
    let err = ResnetGenerator::with_config(&g, cfg, &sd).err().unwrap().to_string();
    assert!(err.contains("model.10.conv_block.5.weight") && err.contains("shape"), "{err}");
    sd.remove("model.10.conv_block.5.weight");
    sd.insert("model.10.conv_block.5.weight", t).unwrap();
    sd.insert("model.99.weight", shaders::nn::weights::HostTensor::new(vec![1], vec![0.0])).unwrap();
    let err = ResnetGenerator::with_config(&g, cfg, &sd).err().unwrap().to_string();
    assert!(err.contains("model.99.weight"), "{err}");
}
