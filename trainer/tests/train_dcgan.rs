//! DCGAN through the same trainer: one folder of images, its statistics in
//! the loss log, exact resume, sample grids; `trainer generate` reproducing
//! the reference generator's images from a latent file; and the refusals.

mod train_util;

use std::path::{Path, PathBuf};

use shaders::nn::io::weights::StateDict;
use shaders::nn::nets::arch::GeneratorConfig;
use shaders::nn::nets::network::{Architecture, Network};
use train_util::*;

/// Tiny DCGAN options on `data`: nz 8, ngf 4, ndf 4, batch 4.
fn dc(dir: &Path, name: &str, data: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--model",
        "dcgan",
        "--dataroot",
        &data.display().to_string(),
        "--checkpoints-dir",
        &dir.join("checkpoints").display().to_string(),
        "--name",
        name,
        "--nz",
        "8",
        "--ngf",
        "4",
        "--ndf",
        "4",
        "--batch-size",
        "4",
        "--print-freq",
        "1",
        "--display-freq",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

const FILES: [&str; 4] = ["G.safetensors", "D.safetensors", "adam_G.safetensors", "adam_D.safetensors"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/dcgan_reference").join(name)
}

#[test]
fn dcgan_trains_logs_resumes_exactly_and_generates() {
    let dir = scratch("dcgan");
    // 10 images of 24x24, centre-cropped... after scaling to 64: 3 iterations per epoch (the last one partial).
    let data = domain(&dir.join("data"), 10, 5);
    let (stdout, stderr) = run_ok(dc(&dir, "straight", &data, &["--max-iters", "4"]));
    assert!(stderr.contains("data images: 10 images"), "{stderr}");
    assert!(stdout.contains("dcgan: G D .safetensors"), "{stdout}");
    assert!(stderr.contains("trainer generate --weights"), "{stderr}");
    let straight = dir.join("checkpoints/straight");
    let log = std::fs::read_to_string(straight.join("loss_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 4);
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["Loss_D", "Loss_G", "D_x", "D_G_z1", "D_G_z2"] {
            let x = v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {line}"));
            assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
        }
        for key in ["D_x", "D_G_z1", "D_G_z2"] {
            assert!(v[key].as_f64().unwrap() <= 1.0, "{key} is a probability: {line}");
        }
    }
    for f in FILES {
        assert!(straight.join("latest").join(f).is_file(), "{f}");
    }
    // The sample grid: 64 fixed-latent images, 8 per row, 66 pixels apart.
    let grids: Vec<_> = std::fs::read_dir(straight.join("web/images")).unwrap().flatten().collect();
    assert_eq!(grids.len(), 2, "grids at iterations 2 and 4");
    let grid = image::open(grids[0].path()).unwrap();
    assert_eq!((grid.width(), grid.height()), (8 * 66 + 2, 8 * 66 + 2));

    // Interrupted at 2 and resumed to 4: the same bits (the sample pass at
    // iteration 2 updates G's running statistics in both runs).
    run_ok(dc(&dir, "split", &data, &["--max-iters", "2"]));
    let (_, stderr) = run_ok(dc(&dir, "split", &data, &["--max-iters", "4", "--continue-train"]));
    assert!(stderr.contains("at iteration 2"), "{stderr}");
    let split = dir.join("checkpoints/split");
    for f in FILES {
        let (x, y) = (
            std::fs::read(straight.join("latest").join(f)).unwrap(),
            std::fs::read(split.join("latest").join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between a straight and a resumed run");
    }

    // generate from a seed: count, grid, determinism.
    let g = straight.join("latest/G.safetensors").display().to_string();
    let out = dir.join("gen");
    let (_, stderr) = run_ok([
        "generate",
        "--weights",
        &g,
        "--count",
        "5",
        "--seed",
        "3",
        "--output",
        &out.display().to_string(),
        "--grid",
        &dir.join("grid.png").display().to_string(),
    ]);
    assert!(stderr.contains("5 images written"), "{stderr}");
    let first = std::fs::read(out.join("generated_0000.png")).unwrap();
    assert!(out.join("generated_0004.png").is_file() && !out.join("generated_0005.png").exists());
    assert_eq!(image::open(dir.join("grid.png")).unwrap().width(), 5 * 66 + 2);
    run_ok([
        "generate",
        "--weights",
        &g,
        "--count",
        "5",
        "--seed",
        "3",
        "--output",
        &dir.join("gen2").display().to_string(),
    ]);
    assert_eq!(std::fs::read(dir.join("gen2/generated_0000.png")).unwrap(), first, "same seed, same images");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The reference's generator after three training iterations, its images of
/// five latents in training mode (batch statistics) and eval mode.
#[test]
fn generate_reproduces_the_reference_images_from_a_latent_file() {
    let dir = scratch("dcgan-gen");
    let inputs = StateDict::load(&std::fs::read(fixture("inputs.safetensors")).unwrap()).unwrap();
    for (extra, key) in [(None, "gen_train"), (Some("--eval"), "gen_eval")] {
        let out = dir.join(key);
        let mut a = vec![
            "generate".to_string(),
            "--weights".into(),
            fixture("G_step3.safetensors").display().to_string(),
            "--latent".into(),
            fixture("gen_noise.npy").display().to_string(),
            "--output".into(),
            out.display().to_string(),
        ];
        a.extend(extra.map(String::from));
        let (_, stderr) = run_ok(a);
        assert!(stderr.contains("5 images written"), "{stderr}");
        let want = inputs.get(key).unwrap();
        check_images(&out, want);
    }
    // The reference's own netG .pth (torch.save of the state_dict) loads as is; it was saved after the
    // training-mode pass, which moved the running statistics, so compare in training mode.
    let out = dir.join("pth");
    let pth = fixture("netG_epoch_0.pth").display().to_string();
    let latent = fixture("gen_noise.npy").display().to_string();
    run_ok(["generate", "--weights", &pth, "--latent", &latent, "--output", &out.display().to_string()]);
    check_images(&out, inputs.get("gen_train").unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The five images in `out` against the reference's [5, 3, 64, 64] tensor in [-1, 1].
fn check_images(out: &Path, want: &shaders::nn::io::weights::HostTensor) {
    {
        let hw = 64 * 64;
        let mut worst = 0.0f64;
        for n in 0..5 {
            let img = image::open(out.join(format!("generated_{n:04}.png"))).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), (64, 64));
            for (p, px) in img.pixels().enumerate() {
                for c in 0..3 {
                    let v = want.data[(n * 3 + c) * hw + p] as f64;
                    let byte = ((v + 1.0) / 2.0 * 255.0).clamp(0.0, 255.0);
                    worst = worst.max((px[c] as f64 - byte).abs());
                }
            }
        }
        // The reference's images as bytes: within one level.
        assert!(worst <= 1.0, "{}: a byte differs from the reference's by {worst}", out.display());
    }
}

#[test]
fn dcgan_refusals_name_the_problem() {
    let dir = scratch("dcgan-bad");
    let g = fixture("G_step3.safetensors").display().to_string();
    let out = dir.join("out").display().to_string();
    let e = run_err(["generate", "--weights", &g, "--count", "0", "--output", &out]);
    assert!(e.contains("--count 0"), "{e}");
    // A latent file of the wrong shape, and of the wrong dtype.
    let npy = |descr: &str, shape: &str, bytes: usize| {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}").into_bytes();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(b' ');
        }
        h.push(b'\n');
        let mut f = b"\x93NUMPY\x01\x00".to_vec();
        f.extend((h.len() as u16).to_le_bytes());
        f.extend(h);
        f.extend(vec![0u8; bytes]);
        f
    };
    let wrong_shape = dir.join("z7.npy");
    std::fs::write(&wrong_shape, npy("<f4", "(2, 7)", 56)).unwrap();
    let e = run_err(["generate", "--weights", &g, "--latent", &wrong_shape.display().to_string(), "--output", &out]);
    assert!(e.contains("z7.npy") && e.contains("[2, 7]") && e.contains("[N, 8]"), "{e}");
    let wrong_dtype = dir.join("z64.npy");
    std::fs::write(&wrong_dtype, npy("<f8", "(2, 8)", 128)).unwrap();
    let e = run_err(["generate", "--weights", &g, "--latent", &wrong_dtype.display().to_string(), "--output", &out]);
    assert!(e.contains("z64.npy") && e.contains("float32"), "{e}");
    let garbage = dir.join("garbage.npy");
    std::fs::write(&garbage, b"not numpy at all").unwrap();
    let e = run_err(["generate", "--weights", &g, "--latent", &garbage.display().to_string(), "--output", &out]);
    assert!(e.contains("garbage.npy"), "{e}");
    // A DCGAN generator given to translate, a translator given to generate.
    let input = dir.join("in.png");
    image::RgbImage::new(8, 8).save(&input).unwrap();
    let e = run_err(["translate", "--weights", &g, "--input", &input.display().to_string(), "--output", &out]);
    assert!(e.contains("latents") && e.contains("trainer generate"), "{e}");
    let translator = dir.join("G_A.safetensors");
    let resnet = Architecture::Generator(GeneratorConfig::resnet(2, 4));
    std::fs::write(&translator, Network::init_state_dict(&resnet, 1).unwrap().to_safetensors()).unwrap();
    let e = run_err(["generate", "--weights", &translator.display().to_string(), "--output", &out]);
    assert!(e.contains("translator") && e.contains("trainer translate"), "{e}");
    // The reference's networks are built for 64x64.
    let data = domain(&dir.join("data"), 2, 1);
    let e = run_err(dc(&dir, "x", &data, &["--image-size", "32"]));
    assert!(e.contains("--image-size 32") && e.contains("64x64"), "{e}");
    assert!(!dir.join("out").exists() && !dir.join("checkpoints").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}
