//! DiscoGAN through the same trainer: two folders or A|B pairs taken apart,
//! its losses in the log, exact resume across the D/G alternation, and
//! translation with G_B (A -> B) in the reference's [0, 1] BGR.

mod train_util;

use std::path::Path;

use train_util::*;

/// Tiny DiscoGAN options: ngf = ndf = 4, batch 2, 64x64.
fn disco(dir: &Path, name: &str, data: &[&str], extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["--model", "discogan"].iter().map(|s| s.to_string()).collect();
    v.extend(data.iter().map(|s| s.to_string()));
    v.extend(
        [
            "--checkpoints-dir",
            &dir.join("checkpoints").display().to_string(),
            "--name",
            name,
            "--ngf",
            "4",
            "--ndf",
            "4",
            "--batch-size",
            "2",
            "--print-freq",
            "1",
            "--display-freq",
            "2",
            "--gan-curriculum",
            "2",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

const FILES: [&str; 6] = [
    "G_A.safetensors",
    "G_B.safetensors",
    "D_A.safetensors",
    "D_B.safetensors",
    "adam_G.safetensors",
    "adam_D.safetensors",
];

#[test]
fn discogan_trains_resumes_exactly_and_translates() {
    let dir = scratch("discogan");
    let a = domain(&dir.join("A"), 3, 11).display().to_string();
    let b = domain(&dir.join("B"), 3, 12).display().to_string();
    let data = ["--domain-a", a.as_str(), "--domain-b", b.as_str()];
    let (stdout, _) = run_ok(disco(&dir, "straight", &data, &["--max-iters", "5"]));
    assert!(stdout.contains("discogan: G_A G_B D_A D_B .safetensors"), "{stdout}");
    let straight = dir.join("checkpoints/straight");
    let log = std::fs::read_to_string(straight.join("loss_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 5);
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["gen_A", "gen_B", "fm_A", "fm_B", "recon_A", "recon_B", "dis_A", "dis_B"] {
            let x = v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {line}"));
            assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
        }
    }
    assert!(straight.join("web/index.html").is_file());

    // Stopped at 2 (between a D step and G steps) and resumed to 5: the same bits.
    run_ok(disco(&dir, "split", &data, &["--max-iters", "2"]));
    run_ok(disco(&dir, "split", &data, &["--max-iters", "5", "--continue-train"]));
    let split = dir.join("checkpoints/split");
    for f in FILES {
        let x = std::fs::read(straight.join("latest").join(f)).unwrap();
        let y = std::fs::read(split.join("latest").join(f)).unwrap();
        assert!(x == y, "{f} differs between a straight and a resumed run");
    }

    // Translation A -> B with G_B, at a size that is not a multiple of 16.
    let input = dir.join("in.png");
    image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90])).save(&input).unwrap();
    let out = dir.join("out.png");
    let g = straight.join("latest/G_B.safetensors").display().to_string();
    let (_, stderr) = run_ok([
        "translate",
        "--weights",
        &g,
        "--input",
        &input.display().to_string(),
        "--output",
        &out.display().to_string(),
    ]);
    assert!(stderr.contains("DiscoGAN discogan ngf"), "{stderr}");
    assert_eq!(image::open(&out).unwrap().to_rgb8().dimensions(), (40, 30));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn discogan_takes_pairs_apart_and_refuses_bad_sizes() {
    let dir = scratch("discogan-pairs");
    let halves = domain(&dir.join("halves"), 4, 13);
    let pairs = dir.join("pairs");
    std::fs::create_dir_all(&pairs).unwrap();
    for i in 0..4 {
        let h = image::open(halves.join(format!("{i:03}.png"))).unwrap().to_rgb8();
        image::RgbImage::from_fn(48, 24, |x, y| *h.get_pixel(x % 24, y)).save(pairs.join(format!("{i}.png"))).unwrap();
    }
    let root = pairs.display().to_string();
    let (_, stderr) = run_ok(disco(&dir, "pairs", &["--dataroot", &root], &["--max-iters", "2"]));
    assert!(stderr.contains("A|B pairs, taken apart"), "{stderr}");
    let e = run_err(disco(&dir, "x", &["--dataroot", &root], &["--image-size", "40"]));
    assert!(e.contains("--image-size 40") && e.contains("multiple of 16"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
