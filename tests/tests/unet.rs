//! The U-Net generator (pix2pix's) on the GPU against the f64 CPU reference:
//! forward in training mode (batch statistics, dropout with the masks the
//! seeds drawn from the rng give) and eval mode (running statistics), with
//! batch, instance and no norm; backward against central differences; the
//! BatchNorm running statistics as PyTorch updates them.

use shaders::nn::io::pth;
use shaders::nn::io::weights::{DType, StateDict, WeightsFormat};
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{GeneratorArch, GeneratorConfig, Norm};
use shaders::nn::nets::network::{detect, Architecture, Network};
use shaders::{Error, Tensor};
use tests::net_check::{check_backward, check_forward, BackwardCase};
use tests::ref_nets::{self, test_weights, with_running, T};
use tests::{assert_close, gpu, random};

/// Forward tolerance (absolute and relative to the value): the outputs are
/// tanh of O(1) pre-activations; f32 errors of ~1e-6 grow through up to 16
/// layers and the batch statistics of as few as 4 values.
const TOL: (f64, f64) = (2e-4, 1e-3);

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn unet(num_downs: usize, ngf: usize, norm: Norm, dropout: bool) -> GeneratorConfig {
    GeneratorConfig { norm, dropout, ..GeneratorConfig::unet(num_downs, ngf) }
}

/// Batch statistics, dropout off: what `Mode` allows besides TRAIN and EVAL.
const BATCH_STATS_ONLY: Mode = Mode { batch_stats: true, update_running: true, dropout: false };

/// Runs eval, then the given training-like modes, then eval again (with the
/// running statistics the training passes updated), each against the reference.
fn check_modes(cfg: GeneratorConfig, xs: [usize; 4], seed: u64, train_modes: &[Mode]) {
    let g = gpu();
    let arch = Architecture::Generator(cfg);
    let mut sd = test_weights(&arch, seed);
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let x = random(xs.iter().product(), seed + 100);
    let (eval, _) = check_forward(&g, &net, &sd, &x, xs, Mode::EVAL, 0, TOL);
    let mut outputs = vec![eval.clone()];
    for (k, &mode) in train_modes.iter().enumerate() {
        let (y, running) = check_forward(&g, &net, &sd, &x, xs, mode, seed + k as u64, TOL);
        sd = with_running(&sd, &running);
        outputs.push(y);
    }
    let (again, _) = check_forward(&g, &net, &sd, &x, xs, Mode::EVAL, 0, TOL);
    if cfg.norm == Norm::Batch {
        assert_ne!(eval, again, "{}: training passes move the running statistics", cfg.describe());
    } else {
        assert_eq!(eval, again, "{}: eval is unchanged without BatchNorm", cfg.describe());
    }
    // Every mode makes a difference where the network has what it switches.
    for (k, &mode) in train_modes.iter().enumerate() {
        let has_dropout = cfg.dropout && matches!(cfg.arch, GeneratorArch::Unet { num_downs } if num_downs > 5);
        let differs = (mode.batch_stats && cfg.norm == Norm::Batch) || (mode.dropout && has_dropout);
        if differs {
            assert_ne!(outputs[k + 1], eval, "{} {mode:?} equals eval", cfg.describe());
        }
    }
}

#[test]
fn unet_5_batch_norm_forward() {
    check_modes(unet(5, 4, Norm::Batch, false), [2, 3, 32, 32], 1, &[Mode::TRAIN]);
    check_modes(unet(5, 2, Norm::Batch, true), [1, 3, 32, 32], 2, &[Mode::TRAIN, Mode::TRAIN]);
}

#[test]
fn unet_5_instance_and_no_norm_forward() {
    check_modes(unet(5, 2, Norm::Instance, false), [1, 3, 32, 32], 3, &[Mode::TRAIN]);
    check_modes(unet(5, 3, Norm::None, false), [2, 3, 32, 32], 4, &[Mode::TRAIN]);
    // Other channel counts (grayscale in, two channels out), non-square.
    let cfg = GeneratorConfig { input_nc: 1, output_nc: 2, ..unet(5, 2, Norm::Batch, false) };
    check_modes(cfg, [2, 1, 32, 64], 5, &[Mode::TRAIN]);
}

#[test]
fn unet_6_dropout_forward() {
    // One Dropout(0.5), in the 8ngf block; training draws its seed.
    check_modes(unet(6, 2, Norm::Batch, true), [1, 3, 64, 64], 6, &[Mode::TRAIN, BATCH_STATS_ONLY]);
    check_modes(unet(6, 2, Norm::Instance, true), [2, 3, 64, 64], 7, &[Mode::TRAIN]);
    check_modes(unet(6, 2, Norm::None, true), [1, 3, 64, 64], 8, &[Mode::TRAIN]);
    check_modes(unet(6, 2, Norm::Batch, false), [2, 3, 64, 64], 9, &[Mode::TRAIN]);
}

#[test]
fn unet_7_draws_one_seed_per_dropout_layer_innermost_first() {
    // Two dropout blocks: the inner one's forward (and its seed) comes first,
    // as PyTorch runs the nested Sequentials.
    let cfg = unet(7, 2, Norm::Batch, true);
    let arch = Architecture::Generator(cfg);
    let sd = test_weights(&arch, 10);
    let g = gpu();
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let xs = [1, 3, 128, 128];
    let x = random(xs.iter().product(), 11);
    check_forward(&g, &net, &sd, &x, xs, Mode::TRAIN, 12, TOL);
    let (_, r) = ref_nets::forward(&sd, &arch, &T::from_f32(&x, xs), Mode::TRAIN, Some(SplitMix64(12)), true);
    // The reference (which the GPU matched) drew the inner block's seed first.
    let mut rng = SplitMix64(12);
    assert_eq!(r.seeds, [rng.next_u64(), rng.next_u64()]);
}

fn case(len: usize) -> BackwardCase {
    BackwardCase {
        input_coords: vec![0, len / 3, len / 2 + 7, len - 1],
        param_coords: |n| vec![0, n / 2, n - 1],
        h: 1e-6,
        tol: (5e-5, 2e-3),
    }
}

fn backward(cfg: GeneratorConfig, xs: [usize; 4], seed: u64, mode: Mode, c: &BackwardCase) {
    let g = gpu();
    let arch = Architecture::Generator(cfg);
    let sd = test_weights(&arch, seed);
    let x = random(xs.iter().product(), seed + 1);
    let worst = check_backward(&g, arch, &sd, &x, xs, seed + 2, mode, seed + 3, c);
    eprintln!("{} {xs:?} {mode:?}: worst gradient error / tolerance {:.3} at {}", cfg.describe(), worst.0, worst.1);
}

#[test]
fn unet_5_batch_norm_backward() {
    let xs = [2, 3, 32, 32];
    backward(unet(5, 2, Norm::Batch, false), xs, 20, Mode::TRAIN, &case(xs.iter().product()));
}

#[test]
fn unet_5_instance_and_no_norm_backward() {
    let xs = [1, 3, 32, 32];
    backward(unet(5, 3, Norm::Instance, false), xs, 30, Mode::TRAIN, &case(xs.iter().product()));
    let xs = [2, 3, 32, 32];
    backward(unet(5, 2, Norm::None, false), xs, 40, Mode::TRAIN, &case(xs.iter().product()));
}

#[test]
fn unet_6_dropout_backward() {
    let xs = [1, 3, 64, 64];
    backward(unet(6, 2, Norm::Batch, true), xs, 50, Mode::TRAIN, &case(xs.iter().product()));
    // Dropout off with batch statistics: the backward has no mask to apply.
    let xs = [2, 3, 64, 64];
    backward(unet(6, 2, Norm::Batch, true), xs, 60, BATCH_STATS_ONLY, &case(xs.iter().product()));
}

#[test]
fn unet_7_two_dropout_layers_backward() {
    // The backward pops the two masks in reverse order.
    let xs = [1, 3, 128, 128];
    let c = BackwardCase { param_coords: |n| vec![n / 2], ..case(xs.iter().product()) };
    backward(unet(7, 2, Norm::Batch, true), xs, 70, Mode::TRAIN, &c);
}

#[test]
fn batch_norm_running_statistics_follow_pytorch() {
    // Two training passes on different batches: running = 0.9 running + 0.1
    // batch (mean, unbiased var), read back through to_state_dict; eval
    // passes and eval-mode training forwards leave them alone.
    let g = gpu();
    let cfg = unet(6, 2, Norm::Batch, true);
    let arch = Architecture::Generator(cfg);
    let sd = test_weights(&arch, 80);
    let net = Network::new(&g, arch, &sd, true).unwrap();
    let xs = [2, 3, 64, 64];
    let mut want = sd.clone();
    for (k, mode) in [Mode::TRAIN, Mode::EVAL, BATCH_STATS_ONLY].into_iter().enumerate() {
        let x = random(xs.iter().product(), 81 + k as u64);
        let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
        let mut rng = SplitMix64(k as u64);
        net.forward(&g, &xt, mode, Some(&mut rng)).unwrap();
        let (_, r) = ref_nets::forward(&want, &arch, &T::from_f32(&x, xs), mode, Some(SplitMix64(k as u64)), false);
        want = with_running(&want, &r.running);
    }
    // A training-mode forward_train counts too; an eval-mode one does not.
    let x = random(xs.iter().product(), 90);
    let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
    let _ = net.forward_train(&g, &xt, Mode::EVAL, None).unwrap();
    let _ = net.forward_train(&g, &xt, BATCH_STATS_ONLY, None).unwrap();
    let (_, r) = ref_nets::forward(&want, &arch, &T::from_f32(&x, xs), BATCH_STATS_ONLY, None, false);
    let got = pollster::block_on(net.to_state_dict(&g)).unwrap();
    let mut checked = 0;
    for (path, (mean, var)) in &r.running {
        for (key, v) in [("running_mean", mean), ("running_var", var)] {
            let name = format!("{path}.{key}");
            let t = got.get(&name).unwrap_or_else(|| panic!("to_state_dict lacks `{name}`"));
            // Each update moves the statistic by 0.1 x a batch statistic of
            // O(1) computed in f32: a few ulp of error per update.
            assert_close(&name, &t.data, v, &[v.len()], 1e-6, 1e-5);
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 9, "9 BatchNorm layers in unet_64");
    // Parameters are unchanged by forwards, and the file names the architecture.
    for (name, t) in sd.iter().filter(|(n, _)| !n.contains("running")) {
        assert_eq!(&got.get(name).unwrap().data, &t.data, "{name}");
    }
    assert_eq!(got.metadata().get("arch").map(String::as_str), Some("UnetGenerator"));
    assert_eq!(got.metadata().get("dropout").map(String::as_str), Some("true"));
    // PyTorch's rule itself, on one channel by hand: the running variance
    // takes the unbiased batch variance (count / (count - 1)).
    let out = tests::ref_batch::batch_norm(
        &[1.0, 2.0, 3.0, 6.0],
        [1, 1, 2, 2],
        None,
        Some((&[0.5], &[2.0])),
        1e-5,
        0.1,
        shaders::ops::Activation::None,
        true,
    );
    let (m, v) = out.running.unwrap();
    assert!((m[0] - (0.9 * 0.5 + 0.1 * 3.0)).abs() < 1e-15);
    assert!((v[0] - (0.9 * 2.0 + 0.1 * 14.0 / 3.0)).abs() < 1e-15, "{v:?}");
}

#[test]
fn unet_input_errors() {
    let g = gpu();
    let arch = Architecture::Generator(unet(6, 2, Norm::Batch, true));
    let net = Network::init(&g, arch, 1, true).unwrap();
    // Sides must be multiples of 2^num_downs.
    let x = Tensor::zeros(&g, &[1, 3, 64, 96]).unwrap();
    let err = net.forward(&g, &x, Mode::EVAL, None).unwrap_err().to_string();
    assert!(err.contains("64") && err.contains("unet_64"), "{err}");
    let x = Tensor::zeros(&g, &[1, 4, 64, 64]).unwrap();
    assert!(net.forward(&g, &x, Mode::EVAL, None).is_err());
    // Dropout on needs the random generator.
    let x = Tensor::zeros(&g, &[1, 3, 64, 64]).unwrap();
    let err = net.forward(&g, &x, Mode::TRAIN, None).unwrap_err();
    assert!(matches!(err, Error::Network(_)) && err.to_string().contains("random"), "{err}");
    // Without dropout layers no generator is needed.
    let plain = Network::init(&g, Architecture::Generator(unet(6, 2, Norm::Batch, false)), 1, false).unwrap();
    plain.forward(&g, &x, Mode::TRAIN, None).unwrap();
    // An inference-only network refuses to train.
    assert!(plain.forward_train(&g, &x, Mode::TRAIN, None).is_err());
    g.sync().unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/fixtures/make_pth.py)"))
}

#[test]
fn reference_unet_checkpoint_loads_detects_and_runs() {
    // A pix2pix latest_net_G.pth as torch.save writes it (zip, BatchNorm
    // with running statistics and int64 num_batches_tracked).
    let bytes = fixture("unet_zip.pth");
    assert_eq!(WeightsFormat::detect(&bytes), Some(WeightsFormat::PthZip));
    let raw = pth::read_state_dict(&bytes).unwrap();
    let counters: Vec<&str> = raw.iter().filter(|(_, t)| t.dtype == DType::I64).map(|(k, _)| k.as_str()).collect();
    assert_eq!(counters.len(), 7, "one num_batches_tracked per BatchNorm: {counters:?}");
    assert!(counters.iter().all(|k| k.ends_with(".num_batches_tracked")));
    let sd = StateDict::load(&bytes).unwrap();
    let want = StateDict::from_safetensors(&fixture("unet_expected.safetensors")).unwrap();
    let names: Vec<&str> = sd.names().collect();
    assert_eq!(names, want.names().collect::<Vec<_>>(), "every tensor but the batch counters, in module order");
    for (name, t) in want.iter() {
        let got = sd.get(name).unwrap();
        assert_eq!(got.shape, t.shape, "{name}");
        assert_eq!(bits(&got.data), bits(&t.data), "{name}");
    }

    // detect, and the network's own state_dict order is PyTorch's.
    let arch = detect(&sd).unwrap();
    let cfg = GeneratorConfig { input_nc: 3, output_nc: 3, ..unet(5, 2, Norm::Batch, true) };
    assert_eq!(arch, Architecture::Generator(cfg));
    let specs: Vec<String> = Network::specs_of(&arch).unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(specs, names);

    // Network::new loads it: saved back, every tensor (running statistics
    // included) is the file's, bit for bit.
    let g = gpu();
    let net = Network::new(&g, arch, &sd, false).unwrap();
    let back = pollster::block_on(net.to_state_dict(&g)).unwrap();
    assert_eq!(back.names().collect::<Vec<_>>(), names);
    for (name, t) in want.iter() {
        assert_eq!(bits(&back.get(name).unwrap().data), bits(&t.data), "{name} after a round trip through the GPU");
    }
    assert_eq!(detect(&back).unwrap(), arch, "the saved file detects the same");

    // And it runs as the reference: --eval (running statistics), and the
    // default test mode (batch statistics; no dropout layer at num_downs 5).
    let xs = [1, 3, 32, 32];
    let x = random(xs.iter().product(), 99);
    check_forward(&g, &net, &sd, &x, xs, Mode::EVAL, 0, TOL);
    check_forward(&g, &net, &sd, &x, xs, Mode::TRAIN, 0, TOL);
}

#[test]
fn batch_norm_backward_needs_batch_statistics() {
    // A tape made with running statistics cannot be differentiated as a
    // training pass: the BatchNorm backward refuses it.
    let g = gpu();
    let arch = Architecture::Generator(unet(5, 2, Norm::Batch, false));
    let net = Network::init(&g, arch, 3, true).unwrap();
    let x = Tensor::from_slice(&g, &[1, 3, 32, 32], &random(3 * 32 * 32, 4)).unwrap();
    let (y, tape) = net.forward_train(&g, &x, Mode::EVAL, None).unwrap();
    let dy = Tensor::from_slice(&g, y.shape(), &random(y.len(), 5)).unwrap();
    let err = net.backward(&g, tape, &dy, true, true).unwrap_err();
    assert!(matches!(err, Error::Network(_)) && err.to_string().contains("BatchNorm"), "{err}");
    g.sync().unwrap();
}

#[test]
fn instance_norm_backward_in_eval_mode() {
    // Without BatchNorm the mode only switches dropout: an eval-mode tape
    // differentiates like any other.
    let xs = [1, 3, 32, 32];
    backward(unet(5, 2, Norm::Instance, true), xs, 90, Mode::EVAL, &case(xs.iter().product()));
}
