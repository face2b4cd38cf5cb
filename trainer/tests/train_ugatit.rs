//! U-GAT-IT through the trainer: its losses in the log, exact resume, the
//! reference's checkpoint file for --init-weights and for translation (with
//! the attention map), and the refusals of bad input.

mod train_util;

use std::path::Path;

use train_util::*;

/// Tiny U-GAT-IT options: light, ch 2, one block each side, 96x96 crops
/// (the global discriminator's smallest input) of 100x100 resizes; a flag
/// in `extra` replaces the default one.
fn ugatit(dir: &Path, name: &str, data: &[&str], extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["--model", "ugatit", "--light"].iter().map(|s| s.to_string()).collect();
    v.extend(data.iter().map(|s| s.to_string()));
    let checkpoints = dir.join("checkpoints").display().to_string();
    let defaults = [
        ("--checkpoints-dir", checkpoints.as_str()),
        ("--name", name),
        ("--ch", "2"),
        ("--n-res", "1"),
        ("--crop-size", "96"),
        ("--load-size", "100"),
        ("--iteration", "8"),
        ("--print-freq", "1"),
        ("--display-freq", "2"),
    ];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            v.extend([flag.to_string(), value.to_string()]);
        }
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

const FILES: [&str; 8] = [
    "genA2B.safetensors",
    "genB2A.safetensors",
    "disGA.safetensors",
    "disGB.safetensors",
    "disLA.safetensors",
    "disLB.safetensors",
    "adam_G.safetensors",
    "adam_D.safetensors",
];

fn reference_checkpoint() -> String {
    format!("{}/../tests/fixtures/ugatit_reference/params_0000003.pt", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ugatit_trains_resumes_exactly_and_translates_with_attention() {
    let dir = scratch("ugatit");
    let a = domain(&dir.join("A"), 3, 21).display().to_string();
    let b = domain(&dir.join("B"), 3, 22).display().to_string();
    let data = ["--domain-a", a.as_str(), "--domain-b", b.as_str()];
    let (stdout, _) = run_ok(ugatit(&dir, "straight", &data, &["--max-iters", "3"]));
    assert!(stdout.contains("genA2B"), "{stdout}");
    let straight = dir.join("checkpoints/straight");
    let log = std::fs::read_to_string(straight.join("loss_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["D_A", "D_B", "G_A", "G_B", "G_adv_A", "G_cycle_B", "G_identity_A", "G_cam_B"] {
            let x = v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {line}"));
            assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
        }
    }
    assert!(straight.join("web/index.html").is_file());

    // Stopped at 1 and resumed to 3: the same bits, spectral norm vectors included.
    run_ok(ugatit(&dir, "split", &data, &["--max-iters", "1"]));
    run_ok(ugatit(&dir, "split", &data, &["--max-iters", "3", "--continue-train"]));
    let split = dir.join("checkpoints/split");
    for f in FILES {
        let x = std::fs::read(straight.join("latest").join(f)).unwrap();
        let y = std::fs::read(split.join("latest").join(f)).unwrap();
        assert!(x == y, "{f} differs between a straight and a resumed run");
    }

    // Translation with our genA2B at a size that is not a multiple of 4, with its attention map.
    let input = dir.join("in.png");
    image::RgbImage::from_fn(42, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90])).save(&input).unwrap();
    let out = dir.join("out.png");
    let g = straight.join("latest/genA2B.safetensors").display().to_string();
    let io = ["--input", &input.display().to_string(), "--output", &out.display().to_string()].map(String::from);
    let (_, stderr) =
        run_ok(["translate", "--weights", &g, "--attention"].into_iter().map(String::from).chain(io.clone()));
    assert!(stderr.contains("U-GAT-IT light generator"), "{stderr}");
    assert_eq!(image::open(&out).unwrap().to_rgb8().dimensions(), (42, 30));
    assert_eq!(image::open(dir.join("out_attention.png")).unwrap().to_rgb8().dimensions(), (42, 30));

    // The reference's checkpoint file: its genB2A translates with --direction BtoA.
    let pt = reference_checkpoint();
    let args = ["translate", "--weights", &pt, "--direction", "BtoA"].into_iter().map(String::from);
    run_ok(args.chain(io.clone()));
    // The full model's checkpoint (128x128 only): the 42x30 image is scaled
    // to 128x128 as the reference's test transform does, and the output
    // and attention map stay at that size.
    let full = reference_checkpoint().replace("ugatit_reference/", "ugatit_reference_full/");
    let args = ["translate", "--weights", &full, "--attention"].into_iter().map(String::from);
    let (_, stderr) = run_ok(args.chain(io.clone()));
    assert!(stderr.contains("scaled from 42x30 to 128x128"), "{stderr}");
    assert_eq!(image::open(&out).unwrap().to_rgb8().dimensions(), (128, 128));
    assert_eq!(image::open(dir.join("out_attention.png")).unwrap().to_rgb8().dimensions(), (128, 128));
    // --attention is refused for a generator that has none.
    let e = run_err(
        ["translate", "--weights", &straight.join("latest/disGA.safetensors").display().to_string(), "--attention"]
            .into_iter()
            .map(String::from)
            .chain(io),
    );
    assert!(e.contains("disGA.safetensors"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ugatit_starts_from_the_reference_checkpoint_and_refuses_bad_input() {
    let dir = scratch("ugatit-init");
    let a = domain(&dir.join("A"), 2, 23).display().to_string();
    let b = domain(&dir.join("B"), 2, 24).display().to_string();
    let data = ["--domain-a", a.as_str(), "--domain-b", b.as_str()];
    let pt = reference_checkpoint();
    // The fixture is ch 2 with two blocks: those options take it as is.
    let (_, stderr) = run_ok(ugatit(&dir, "init", &data, &["--n-res", "2", "--init-weights", &pt, "--max-iters", "1"]));
    assert!(stderr.contains("networks: ugatit light ch 2 n_res 2") && stderr.contains("8 iterations"), "{stderr}");
    assert!(dir.join("checkpoints/init/latest/disLB.safetensors").is_file());

    // The light checkpoint asked to load as the full model: refused, naming the fix.
    let full = ugatit(&dir, "full", &data, &["--n-res", "2", "--init-weights", &pt]);
    let full: Vec<String> = full.into_iter().filter(|a| a != "--light").collect();
    let e = run_err(full);
    assert!(e.contains("genA2B") && e.contains("--light"), "{e}");
    assert!(!dir.join("checkpoints/full").exists(), "a refused run wrote its folder");

    // A checkpoint without one of its six networks.
    let bytes = std::fs::read(&pt).unwrap();
    let sd = shaders::nn::io::weights::StateDict::load(&bytes).unwrap();
    let mut partial = shaders::nn::io::weights::StateDict::new();
    for (k, t) in sd.iter().filter(|(k, _)| !k.starts_with("disLB.")) {
        partial.insert(k, t.clone()).unwrap();
    }
    let path = dir.join("partial.safetensors");
    std::fs::write(&path, partial.to_safetensors()).unwrap();
    let e = run_err(ugatit(&dir, "partial", &data, &["--n-res", "2", "--init-weights", &path.display().to_string()]));
    assert!(e.contains("disLB"), "{e}");

    // Images smaller than the global discriminator takes.
    let e = run_err(ugatit(&dir, "small", &data, &["--crop-size", "64", "--load-size", "70"]));
    assert!(e.contains("--crop-size 64") && e.contains("global discriminator") && e.contains("96x96"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
