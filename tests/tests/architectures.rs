//! The reference's state_dict layouts of the U-Net and the pix2pix
//! discriminators (keys, shapes, parameter counts), and architecture
//! detection from the keys of every family with every norm. No GPU.

use shaders::nn::io::weights::{HostTensor, StateDict};
use shaders::nn::layers::params::ParamSpec;
use shaders::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorArch, GeneratorConfig, Norm};
use shaders::nn::nets::network::{detect, Architecture, Network};

const NORMS: [Norm; 3] = [Norm::Batch, Norm::Instance, Norm::None];

fn specs(arch: Architecture) -> Vec<ParamSpec> {
    Network::specs_of(&arch).unwrap()
}

fn is_buffer(name: &str) -> bool {
    name.ends_with(".running_mean") || name.ends_with(".running_var")
}

/// Trainable parameters (what `net.parameters()` counts): every entry but
/// the BatchNorm running statistics.
fn trainable(specs: &[ParamSpec]) -> usize {
    specs.iter().filter(|s| !is_buffer(&s.name)).map(|s| s.shape.iter().product::<usize>()).sum()
}

/// A state_dict of zeros with the specs' keys and shapes (no metadata).
fn zeros(specs: &[ParamSpec]) -> StateDict {
    let mut sd = StateDict::new();
    for s in specs {
        sd.insert(s.name.clone(), HostTensor::new(s.shape.clone(), vec![0.0; s.shape.iter().product()])).unwrap();
    }
    sd
}

fn unet(num_downs: usize, ngf: usize, norm: Norm, dropout: bool) -> GeneratorConfig {
    GeneratorConfig { norm, dropout, ..GeneratorConfig::unet(num_downs, ngf) }
}

/// The U-Net's trainable parameter count in closed form, from the block
/// definitions: conv k4 weights in*out*16, biases only with instance norm
/// (and on the outermost transposed conv), BatchNorm weight and bias.
fn unet_count(num_downs: usize, ngf: usize, input_nc: usize, output_nc: usize, norm: Norm) -> usize {
    let bias = |c: usize| if norm == Norm::Instance { c } else { 0 };
    let affine = |c: usize| if norm == Norm::Batch { 2 * c } else { 0 };
    let mut levels = vec![(ngf, 2 * ngf), (2 * ngf, 4 * ngf), (4 * ngf, 8 * ngf)];
    levels.extend(std::iter::repeat_n((8 * ngf, 8 * ngf), num_downs - 5));
    let mut n = input_nc * ngf * 16 + bias(ngf) + 2 * ngf * output_nc * 16 + output_nc;
    for (outer, inner) in levels {
        n += outer * inner * 16 + bias(inner) + affine(inner) + 2 * inner * outer * 16 + bias(outer) + affine(outer);
    }
    let c = 8 * ngf;
    n + 2 * (c * c * 16 + bias(c)) + affine(c)
}

#[test]
fn unet_256_state_dict_matches_the_reference_layout() {
    let s = specs(Architecture::Generator(GeneratorConfig::unet(8, 64)));
    let shape = |k: &str| s.iter().find(|p| p.name == k).unwrap_or_else(|| panic!("no `{k}`")).shape.clone();
    // Outermost: conv in -> ngf without bias (batch norm), transposed conv 2ngf -> out with bias.
    assert_eq!(s[0].name, "model.model.0.weight");
    assert_eq!(shape("model.model.0.weight"), [64, 3, 4, 4]);
    assert!(!s.iter().any(|p| p.name == "model.model.0.bias"));
    assert_eq!(shape("model.model.3.weight"), [128, 3, 4, 4], "ConvTranspose weights are [in, out, kh, kw]");
    assert_eq!(shape("model.model.3.bias"), [3]);
    assert_eq!(s[s.len() - 2].name, "model.model.3.weight");
    assert_eq!(s[s.len() - 1].name, "model.model.3.bias");
    // Level 1: model.model.1.model.{1 conv, 2 norm, 3 submodule, 5 convT, 6 norm}.
    assert_eq!(s[1].name, "model.model.1.model.1.weight");
    assert_eq!(shape("model.model.1.model.1.weight"), [128, 64, 4, 4]);
    let bn: Vec<&str> = s[2..6].iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        bn,
        [
            "model.model.1.model.2.weight",
            "model.model.1.model.2.bias",
            "model.model.1.model.2.running_mean",
            "model.model.1.model.2.running_var"
        ],
        "BatchNorm2d entries in PyTorch's order"
    );
    assert_eq!(shape("model.model.1.model.2.running_var"), [128]);
    assert_eq!(shape("model.model.1.model.5.weight"), [256, 64, 4, 4]);
    assert_eq!(shape("model.model.1.model.6.weight"), [64]);
    // Each level deeper adds `.model.3`; the innermost (level 8) is
    // [0 LReLU, 1 conv, 2 ReLU, 3 convT, 4 norm].
    let level = |l: usize| format!("model.model.1{}", ".model.3".repeat(l - 1));
    for (l, (outer, inner)) in [(2, (128, 256)), (3, (256, 512)), (4, (512, 512)), (5, (512, 512)), (6, (512, 512))] {
        let p = level(l);
        assert_eq!(shape(&format!("{p}.model.1.weight")), [inner, outer, 4, 4], "level {l}");
        assert_eq!(shape(&format!("{p}.model.2.running_mean")), [inner], "level {l}");
        assert_eq!(shape(&format!("{p}.model.5.weight")), [2 * inner, outer, 4, 4], "level {l}");
        assert_eq!(shape(&format!("{p}.model.6.bias")), [outer], "level {l}");
    }
    let p = level(7);
    assert_eq!(p, "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3");
    assert_eq!(shape(&format!("{p}.model.1.weight")), [512, 512, 4, 4]);
    assert_eq!(shape(&format!("{p}.model.3.weight")), [512, 512, 4, 4], "innermost convT takes inner_nc, not 2x");
    assert_eq!(shape(&format!("{p}.model.4.running_var")), [512]);
    assert!(!s.iter().any(|x| x.name.starts_with(&format!("{p}.model.2."))), "no norm after the innermost down-conv");
    assert!(!s.iter().any(|x| x.name.starts_with(&format!("{p}.model.3.model"))), "level 7 is the innermost");
    // With batch norm every bias is a BatchNorm's but the outermost transposed conv's.
    for p in s.iter().filter(|p| p.name.ends_with(".bias") && p.name != "model.model.3.bias") {
        let module = p.name.trim_end_matches(".bias");
        assert!(s.iter().any(|q| q.name == format!("{module}.running_mean")), "conv bias `{}`", p.name);
    }
    // The reference prints 54.414 M parameters (issue #422).
    let n = trainable(&s);
    assert_eq!(n, unet_count(8, 64, 3, 3, Norm::Batch));
    assert_eq!(n, 54_413_955);
    assert_eq!(format!("{:.3} M", n as f64 / 1e6), "54.414 M");
    assert_eq!(
        s.iter().filter(|p| is_buffer(&p.name)).count(),
        2 * 13,
        "13 BatchNorm layers: 2 in each of the 6 middle blocks, 1 innermost"
    );
}

#[test]
fn unet_parameter_counts_for_every_norm_and_depth() {
    for norm in NORMS {
        for (num_downs, ngf, inc, outc) in [(8, 64, 3, 3), (7, 64, 3, 3), (5, 2, 3, 3), (6, 4, 1, 2)] {
            let cfg = GeneratorConfig { input_nc: inc, output_nc: outc, ..unet(num_downs, ngf, norm, true) };
            let s = specs(Architecture::Generator(cfg));
            assert_eq!(trainable(&s), unet_count(num_downs, ngf, inc, outc, norm), "{}", cfg.describe());
            assert_eq!(s.iter().any(|p| is_buffer(&p.name)), norm == Norm::Batch, "{}", cfg.describe());
            // use_bias = instance: the outermost down-conv's bias says which.
            assert_eq!(s.iter().any(|p| p.name == "model.model.0.bias"), norm == Norm::Instance);
        }
    }
    // unet_128 with ngf 64 and batch norm: one 8ngf level fewer than unet_256.
    let d = unet_count(8, 64, 3, 3, Norm::Batch) - unet_count(7, 64, 3, 3, Norm::Batch);
    assert_eq!(d, 512 * 512 * 16 * 3 + 4 * 512);
    // Fewer than 5 downsamplings is not the reference's U-Net.
    let err = Network::specs_of(&Architecture::Generator(GeneratorConfig::unet(4, 8))).unwrap_err().to_string();
    assert!(err.contains('4') && err.contains('5'), "{err}");
}

#[test]
fn pix2pix_discriminator_layouts() {
    // The conditional 70x70 PatchGAN on cat(A, B) with batch norm.
    let cfg = DiscriminatorConfig {
        input_nc: 6,
        ndf: 64,
        arch: DiscriminatorArch::NLayer { n_layers: 3 },
        norm: Norm::Batch,
    };
    let s = specs(Architecture::Discriminator(cfg));
    let names: Vec<&str> = s.iter().map(|p| p.name.as_str()).collect();
    let mut want = vec!["model.0.weight".to_string(), "model.0.bias".to_string()];
    for (conv, norm) in [(2, 3), (5, 6), (8, 9)] {
        want.push(format!("model.{conv}.weight"));
        want.extend(["weight", "bias", "running_mean", "running_var"].map(|k| format!("model.{norm}.{k}")));
    }
    want.extend(["model.11.weight".to_string(), "model.11.bias".to_string()]);
    assert_eq!(names, want);
    let shape = |k: &str| s.iter().find(|p| p.name == k).unwrap().shape.clone();
    assert_eq!(shape("model.0.weight"), [64, 6, 4, 4]);
    assert_eq!(shape("model.8.weight"), [512, 256, 4, 4]);
    assert_eq!(shape("model.11.weight"), [1, 512, 4, 4]);
    // 2.769 M (with 2 input channels it is the 2.765 M of reference issue #1152).
    let n = trainable(&s);
    assert_eq!(n, 6 * 64 * 16 + 64 + 64 * 128 * 16 + 256 + 128 * 256 * 16 + 512 + 256 * 512 * 16 + 1024 + 512 * 16 + 1);
    assert_eq!(format!("{:.3} M", n as f64 / 1e6), "2.769 M");
    // One layer: conv, [conv s1, norm, LReLU], conv.
    let one = DiscriminatorConfig { arch: DiscriminatorArch::NLayer { n_layers: 1 }, ..cfg };
    let names: Vec<String> = specs(Architecture::Discriminator(one)).into_iter().map(|p| p.name).collect();
    assert_eq!(names.first().unwrap(), "model.0.weight");
    assert!(names.contains(&"model.3.running_var".to_string()));
    assert_eq!(names.last().unwrap(), "model.5.bias");
    // The PixelDiscriminator: net.{0 conv, 1 LReLU, 2 conv, 3 norm, 4 LReLU, 5 conv}.
    let pixel = DiscriminatorConfig { arch: DiscriminatorArch::Pixel, ..cfg };
    let s = specs(Architecture::Discriminator(pixel));
    let names: Vec<&str> = s.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "net.0.weight",
            "net.0.bias",
            "net.2.weight",
            "net.3.weight",
            "net.3.bias",
            "net.3.running_mean",
            "net.3.running_var",
            "net.5.weight"
        ],
        "with batch norm the last conv has no bias (bias=use_bias)"
    );
    assert_eq!(s[2].shape, [128, 64, 1, 1]);
    assert_eq!(s[7].shape, [1, 128, 1, 1]);
    let inst = DiscriminatorConfig { norm: Norm::Instance, ..pixel };
    let names: Vec<String> = specs(Architecture::Discriminator(inst)).into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.5.weight", "net.5.bias"]);
}

fn all_architectures() -> Vec<Architecture> {
    let mut out = Vec::new();
    for norm in NORMS {
        for (num_downs, ngf) in [(7, 64), (8, 64), (5, 2), (6, 3)] {
            out.push(Architecture::Generator(unet(num_downs, ngf, norm, true)));
        }
        out.push(Architecture::Generator(GeneratorConfig { input_nc: 1, output_nc: 2, ..unet(6, 4, norm, true) }));
        for (n_blocks, ngf, dropout) in [(9, 64, false), (6, 64, true), (1, 4, false)] {
            out.push(Architecture::Generator(GeneratorConfig {
                norm,
                dropout,
                ..GeneratorConfig::resnet(n_blocks, ngf)
            }));
        }
        for (input_nc, n_layers) in [(3, 3), (6, 3), (6, 1), (6, 5)] {
            out.push(Architecture::Discriminator(DiscriminatorConfig {
                input_nc,
                ndf: 64,
                arch: DiscriminatorArch::NLayer { n_layers },
                norm,
            }));
        }
        for input_nc in [3, 6] {
            out.push(Architecture::Discriminator(DiscriminatorConfig {
                input_nc,
                ndf: 8,
                arch: DiscriminatorArch::Pixel,
                norm,
            }));
        }
    }
    out
}

#[test]
fn detect_recovers_every_architecture_from_its_keys() {
    for arch in all_architectures() {
        let sd = zeros(&specs(arch));
        assert_eq!(detect(&sd).unwrap(), arch, "detect from the bare keys of {}", arch.describe());
    }
}

#[test]
fn detect_reads_unet_dropout_from_metadata() {
    // Dropout has no tensors: a bare U-Net file is taken to have it (the
    // pix2pix default); the metadata a saved file carries says otherwise.
    for norm in NORMS {
        for num_downs in [7, 8] {
            let off = unet(num_downs, 64, norm, false);
            let mut sd = zeros(&specs(Architecture::Generator(off)));
            assert_eq!(detect(&sd).unwrap(), Architecture::Generator(GeneratorConfig { dropout: true, ..off }));
            for (k, v) in Architecture::Generator(off).metadata() {
                sd.set_metadata(k, v);
            }
            assert_eq!(detect(&sd).unwrap(), Architecture::Generator(off), "{}", off.describe());
        }
    }
    let m = Architecture::Generator(GeneratorConfig::unet(8, 64)).metadata();
    assert_eq!(m.get("net_g").map(String::as_str), Some("unet_256"));
    assert_eq!(m.get("num_downs").map(String::as_str), Some("8"));
    assert_eq!(GeneratorConfig::unet(7, 64).net_name(), "unet_128");
    assert_eq!(GeneratorConfig::unet(8, 64).size_multiple(), 256);
    assert!(matches!(GeneratorConfig::unet(8, 64).arch, GeneratorArch::Unet { num_downs: 8 }));
}

#[test]
fn detect_ignores_the_batch_counter_and_refuses_other_files() {
    // A reference file also holds num_batches_tracked; StateDict::load drops
    // it, but a dict that still has it detects the same.
    let arch = Architecture::Generator(GeneratorConfig::unet(8, 64));
    let mut sd = zeros(&specs(arch));
    sd.insert("model.model.1.model.2.num_batches_tracked", HostTensor::new(vec![], vec![3.0])).unwrap();
    assert_eq!(detect(&sd).unwrap(), arch);
    let mut other = StateDict::new();
    other.insert("encoder.weight", HostTensor::new(vec![2], vec![0.0; 2])).unwrap();
    let err = detect(&other).unwrap_err().to_string();
    assert!(err.contains("encoder.weight") && err.contains("UnetGenerator"), "{err}");
    let mut bad = StateDict::new();
    bad.insert("model.model.0.weight", HostTensor::new(vec![64, 3, 3, 3], vec![0.0; 64 * 27])).unwrap();
    let err = detect(&bad).unwrap_err().to_string();
    assert!(err.contains("model.model.0.weight"), "{err}");
}
