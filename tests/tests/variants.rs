//! ResNet generators saved by other PyTorch CycleGAN code bases
//! (`tests/fixtures/make_variants.py`): each is mapped onto the reference's
//! layout, detected as the architecture it is, and translates as PyTorch
//! computed; the mapping also agrees with the CPU reference forward.

use shaders::nn::io::weights::{HostTensor, StateDict};
use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{GeneratorArch, GeneratorConfig, Norm, Upsampling};
use shaders::nn::nets::network::{detect, Architecture, Network};
use shaders::nn::nets::remap::{map_state_dict, override_norm, upsample_conv_as_transposed, Mapped};
use shaders::Tensor;
use tests::ref_nets::{self, T};
use tests::{assert_close, gpu, random};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/fixtures/make_variants.py)"))
}

fn generator(norm: Norm, upsampling: Upsampling) -> Architecture {
    Architecture::Generator(GeneratorConfig {
        input_nc: 3,
        output_nc: 3,
        ngf: 4,
        arch: GeneratorArch::Resnet { n_blocks: 2, upsampling },
        norm,
        dropout: false,
    })
}

/// (variant, expected architecture, selected network, whether the keys are the reference's, eval mode).
fn variants() -> Vec<(&'static str, Architecture, Option<&'static str>, bool, bool)> {
    use Norm::{Batch, Instance, InstanceAffine};
    use Upsampling::*;
    vec![
        ("affine", generator(InstanceAffine, Transposed3), None, true, false),
        ("block_upsample", generator(Instance, Transposed4), None, false, false),
        ("dataparallel", generator(Instance, Transposed3), Some("netG_A"), true, false),
        ("g_a2b_f16", generator(InstanceAffine, Transposed4), Some("G_A2B"), false, false),
        ("bf16", generator(Instance, Transposed3), None, false, false),
        ("nobias", generator(InstanceAffine, Transposed4), None, false, false),
        ("batchnorm", generator(Batch, Transposed3), None, false, true),
    ]
}

fn load(variant: &str) -> Mapped {
    let sd = StateDict::load(&fixture(&format!("variant_{variant}.pth"))).unwrap();
    map_state_dict(&sd, None).unwrap_or_else(|e| panic!("{variant}: {e}"))
}

#[test]
fn every_variant_is_recognised_and_mapped_onto_the_reference_layout() {
    for (variant, arch, selected, reference_keys, _) in variants() {
        let m = load(variant);
        assert_eq!(m.arch, arch, "{variant}: {}", m.arch.describe());
        assert_eq!(detect(&m.state_dict).unwrap(), arch, "{variant}: the mapped weights read back the same");
        assert_eq!(m.report.selected.as_deref(), selected, "{variant}");
        assert_eq!(m.report.reference_keys, reference_keys, "{variant}");
        let specs = Network::specs_of(&arch).unwrap();
        let names: Vec<&str> = m.state_dict.names().collect();
        let want: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, want, "{variant}: the reference's keys in its order");
        assert_eq!(m.report.mapped.len(), specs.len(), "{variant}: every tensor's origin reported");
    }
    // The other network of a two-generator file is there by name too.
    let sd = StateDict::load(&fixture("variant_g_a2b_f16.pth")).unwrap();
    let b = map_state_dict(&sd, Some("G_B2A")).unwrap();
    assert_eq!(b.report.selected.as_deref(), Some("G_B2A"));
    assert_eq!(b.report.others, ["G_A2B"]);
    assert!(b.report.mapped.iter().all(|(from, _)| from.iter().all(|k| k.starts_with("G_B2A."))));
    let e = map_state_dict(&sd, Some("G_C")).unwrap_err().to_string();
    assert!(e.contains("no network `G_C`") && e.contains("`G_A2B`, `G_B2A`"), "{e}");
}

#[test]
fn every_variant_translates_as_pytorch_computed() {
    let g = gpu();
    let expected = StateDict::from_safetensors(&fixture("variants_expected.safetensors")).unwrap();
    let x = expected.get("x").unwrap();
    let xs: [usize; 4] = x.shape.clone().try_into().unwrap();
    let xt = Tensor::from_slice(&g, &xs, &x.data).unwrap();
    for (variant, arch, _, _, eval) in variants() {
        let m = load(variant);
        let net = Network::new(&g, m.arch, &m.state_dict, false).unwrap();
        let mode = if eval { Mode::EVAL } else { Mode::TEST };
        let y = net.forward(&g, &xt, mode, None).unwrap().read_blocking(&g).unwrap();
        let want = expected.get(&format!("y_{variant}")).unwrap();
        let want: Vec<f64> = want.data.iter().map(|&v| v as f64).collect();
        assert_close(&format!("{variant} on the GPU"), &y, &want, &xs, 2e-4, 1e-3);
        // The CPU reference forward reads the mapped weights the same way.
        let (cpu, _) = ref_nets::forward(&m.state_dict, &arch, &T::from_f32(&x.data, xs), mode, None, false);
        assert_close(
            &format!("{variant} on the CPU reference"),
            &cpu.data.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            &want,
            &xs,
            1e-4,
            1e-4,
        );
    }
}

#[test]
fn upsample_conv_equals_the_transposed_conv_it_is_mapped_to() {
    // Nearest x2 upsampling then a 3x3 conv with zero padding 1, computed
    // directly, against the 4x4 stride-2 transposed conv of the mapped weight.
    let (ci, co, h, w) = (2, 3, 3, 5);
    let w3 = HostTensor::new(vec![co, ci, 3, 3], random(co * ci * 9, 5));
    let x = random(ci * h * w, 6);
    let w4 = upsample_conv_as_transposed(&w3);
    assert_eq!(w4.shape, [ci, co, 4, 4]);
    let (ho, wo) = (2 * h, 2 * w);
    let up = |c: usize, y: isize, xx: isize| -> f64 {
        if y < 0 || xx < 0 || y >= ho as isize || xx >= wo as isize {
            0.0
        } else {
            x[(c * h + y as usize / 2) * w + xx as usize / 2] as f64
        }
    };
    for o in 0..co {
        for oy in 0..ho {
            for ox in 0..wo {
                let mut direct = 0.0;
                for c in 0..ci {
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let wv = w3.data[((o * ci + c) * 3 + ky) * 3 + kx] as f64;
                            direct += wv * up(c, oy as isize + ky as isize - 1, ox as isize + kx as isize - 1);
                        }
                    }
                }
                // Transposed conv: y[i * 2 - 1 + k] += x[i] * W[k].
                let mut transposed = 0.0;
                for c in 0..ci {
                    for iy in 0..h {
                        for ix in 0..w {
                            let (ky, kx) = (oy as isize + 1 - 2 * iy as isize, ox as isize + 1 - 2 * ix as isize);
                            if (0..4).contains(&ky) && (0..4).contains(&kx) {
                                let wv = w4.data[((c * co + o) * 4 + ky as usize) * 4 + kx as usize] as f64;
                                transposed += wv * x[(c * h + iy) * w + ix] as f64;
                            }
                        }
                    }
                }
                assert!((direct - transposed).abs() < 1e-5, "({o}, {oy}, {ox}): {direct} vs {transposed}");
            }
        }
    }
}

#[test]
fn files_that_fit_no_architecture_say_what_was_expected_and_what_they_hold() {
    // A ResNet generator cut after its residual blocks.
    let m = load("block_upsample");
    let mut sd = StateDict::new();
    for (k, t) in m.state_dict.iter().take(14) {
        sd.insert(k.replace("conv_block", "block"), t.clone()).unwrap();
    }
    let e = map_state_dict(&sd, None).unwrap_err().to_string();
    assert!(e.contains("an upsampling layer from 16 to 8 channels") && e.contains("the end"), "{e}");
    assert!(e.contains("the file holds 14 tensors in 7 layers: `model.1` [4, 3, 7, 7]"), "{e}");
    // Something else entirely.
    let mut sd = StateDict::new();
    sd.insert("encoder.fc.weight", HostTensor::new(vec![2, 3], vec![0.0; 6])).unwrap();
    let e = map_state_dict(&sd, None).unwrap_err().to_string();
    assert!(e.contains("not a network of the reference") && e.contains("starts with a 7x7 conv"), "{e}");
    assert!(e.contains("`encoder.fc` [2, 3]"), "{e}");
}

#[test]
fn damaged_variants_are_errors_never_panics() {
    // Every tensor of every variant in turn removed, or replaced by tensors of
    // other ranks and sizes: each outcome is a mapping that passes the
    // architecture's own checks, or an error.
    let replacements = || {
        [
            HostTensor::new(vec![], vec![1.0]),
            HostTensor::new(vec![0], vec![]),
            HostTensor::new(vec![3], vec![0.5; 3]),
            HostTensor::new(vec![1, 1, 1, 1], vec![0.5]),
            HostTensor::new(vec![0, 3, 7, 7], vec![]),
            HostTensor::new(vec![4, 4, 3, 3], vec![0.1; 144]),
        ]
    };
    for (variant, ..) in variants() {
        let sd = StateDict::load(&fixture(&format!("variant_{variant}.pth"))).unwrap();
        let names: Vec<String> = sd.names().map(str::to_string).collect();
        for name in &names {
            let mut cut = StateDict::new();
            for (k, t) in sd.iter().filter(|(k, _)| k != name) {
                cut.insert(k, t.clone()).unwrap();
            }
            check_mapping(&cut, &format!("{variant} without {name}"));
            for (j, r) in replacements().into_iter().enumerate() {
                let mut bad = sd.clone();
                bad.insert(name.clone(), r).unwrap();
                check_mapping(&bad, &format!("{variant} with {name} replaced ({j})"));
            }
        }
    }
}

fn check_mapping(sd: &StateDict, what: &str) {
    if let Ok(m) = map_state_dict(sd, None) {
        let specs = Network::specs_of(&m.arch).unwrap();
        shaders::nn::layers::params::match_state_dict(what, &specs, &m.state_dict)
            .unwrap_or_else(|e| panic!("{what}: mapped to {} but {e}", m.arch.describe()));
    }
}

#[test]
fn a_norm_the_file_cannot_tell_is_taken_from_the_caller() {
    // Instance norm after convs without biases reads as `none`; told
    // otherwise, the convs get zero biases (which the norm cancels) and the
    // output is the network's with its biases.
    let g = gpu();
    let expected = StateDict::from_safetensors(&fixture("variants_expected.safetensors")).unwrap();
    let full = load("bf16").state_dict;
    let mut sd = StateDict::new();
    for (k, t) in full.iter().filter(|(k, _)| !k.ends_with(".bias") || *k == "model.19.bias") {
        sd.insert(k, t.clone()).unwrap();
    }
    let mut m = map_state_dict(&sd, None).unwrap();
    assert_eq!(m.arch, generator(Norm::None, Upsampling::Transposed3));
    let mut wrong = m.clone();
    let e = override_norm(&mut wrong, Norm::Batch).unwrap_err().to_string();
    assert!(e.contains("--norm batch does not fit"), "{e}");
    override_norm(&mut m, Norm::Instance).unwrap();
    assert_eq!(m.arch, generator(Norm::Instance, Upsampling::Transposed3));
    assert_eq!(detect(&m.state_dict).unwrap(), m.arch);
    let x = expected.get("x").unwrap();
    let xs: [usize; 4] = x.shape.clone().try_into().unwrap();
    let net = Network::new(&g, m.arch, &m.state_dict, false).unwrap();
    let y = net.forward(&g, &Tensor::from_slice(&g, &xs, &x.data).unwrap(), Mode::TEST, None).unwrap();
    let want: Vec<f64> = expected.get("y_bf16").unwrap().data.iter().map(|&v| v as f64).collect();
    assert_close("bf16 without conv biases, --norm instance", &y.read_blocking(&g).unwrap(), &want, &xs, 2e-4, 1e-3);
    // The other way, the file's biases would be lost: refused.
    let mut back = load("bf16");
    let e = override_norm(&mut back, Norm::None).unwrap_err().to_string();
    assert!(e.contains("conv biases") && e.contains("no place"), "{e}");
}

#[test]
fn a_full_size_pytorch_gan_generator_maps_to_resnet_9blocks() {
    // PyTorch-GAN's GeneratorResNet(9 blocks) as DataParallel saves it:
    // `module.model.N`, blocks' Sequential named `block`, Upsample + Conv decoder.
    let mut sd = StateDict::new();
    let conv = |sd: &mut StateDict, at: String, shape: [usize; 4]| {
        let n: usize = shape.iter().product();
        sd.insert(format!("module.model.{at}.weight"), HostTensor::new(shape.to_vec(), vec![0.01; n])).unwrap();
        sd.insert(format!("module.model.{at}.bias"), HostTensor::new(vec![shape[0]], vec![0.0; shape[0]])).unwrap();
    };
    conv(&mut sd, "1".into(), [64, 3, 7, 7]);
    conv(&mut sd, "4".into(), [128, 64, 3, 3]);
    conv(&mut sd, "7".into(), [256, 128, 3, 3]);
    for b in 10..19 {
        conv(&mut sd, format!("{b}.block.1"), [256, 256, 3, 3]);
        conv(&mut sd, format!("{b}.block.5"), [256, 256, 3, 3]);
    }
    conv(&mut sd, "20".into(), [128, 256, 3, 3]);
    conv(&mut sd, "24".into(), [64, 128, 3, 3]);
    conv(&mut sd, "28".into(), [3, 64, 7, 7]);
    let m = map_state_dict(&sd, None).unwrap();
    let want = GeneratorConfig {
        arch: GeneratorArch::Resnet { n_blocks: 9, upsampling: Upsampling::Transposed4 },
        ..GeneratorConfig::resnet(9, 64)
    };
    assert_eq!(m.arch, Architecture::Generator(want));
    assert_eq!(m.state_dict.get("model.19.weight").unwrap().shape, [256, 128, 4, 4]);
    assert_eq!(m.state_dict.get("model.26.weight").unwrap().shape, [3, 64, 7, 7]);
    assert!(m
        .report
        .mapped
        .contains(&(vec!["module.model.18.block.5.weight".into()], "model.18.conv_block.5.weight".into())));
    assert_eq!(Network::specs_of(&m.arch).unwrap().len(), m.state_dict.len());
}
