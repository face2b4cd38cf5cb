//! pix2pix through the same trainer: aligned data, its losses and files,
//! exact resume, translation in both test-time modes, and its refusals.

mod train_util;

use std::path::{Path, PathBuf};

use shaders::nn::nets::arch::{DiscriminatorConfig, GeneratorConfig};
use shaders::nn::nets::network::{Architecture, Network};
use train_util::*;

/// `count` seeded 48x24 A|B pairs: a blob on the left, the same blob
/// brightened and tinted on the right.
fn pairs(dir: &Path, count: usize) -> PathBuf {
    let tmp = dir.join("halves");
    let a = domain(&tmp, count, 21);
    std::fs::create_dir_all(dir.join("train")).unwrap();
    for i in 0..count {
        let left = image::open(a.join(format!("{i:03}.png"))).unwrap().to_rgb8();
        let pair = image::RgbImage::from_fn(48, 24, |x, y| {
            if x < 24 {
                *left.get_pixel(x, y)
            } else {
                let p = left.get_pixel(x - 24, y);
                image::Rgb([255 - p[0] / 2, p[1] / 2 + 60, p[2]])
            }
        });
        pair.save(dir.join("train").join(format!("{i:03}.png"))).unwrap();
    }
    std::fs::remove_dir_all(&tmp).unwrap();
    dir.join("train")
}

/// Tiny pix2pix options: unet_64 (6 downsamplings, so one inner block
/// with dropout) ngf 4, a 1-layer PatchGAN, 64x64 crops; `extra` replaces
/// the flags it sets.
fn p2p(dir: &Path, name: &str, data: &Path, extra: &[&str]) -> Vec<String> {
    let base: Vec<String> = [
        "--model",
        "pix2pix",
        "--dataroot",
        &data.display().to_string(),
        "--checkpoints-dir",
        &dir.join("checkpoints").display().to_string(),
        "--name",
        name,
        "--net-g",
        "unet_64",
        "--ngf",
        "4",
        "--ndf",
        "4",
        "--net-d",
        "n_layers",
        "--n-layers-d",
        "1",
        "--load-size",
        "72",
        "--crop-size",
        "64",
        "--n-epochs",
        "1",
        "--n-epochs-decay",
        "2",
        "--print-freq",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut v: Vec<String> = Vec::new();
    let mut i = 0;
    while i < base.len() {
        let flag = &base[i];
        let takes_value = base.get(i + 1).is_some_and(|n| !n.starts_with("--"));
        let n = if takes_value { 2 } else { 1 };
        if !extra.contains(&flag.as_str()) {
            v.extend(base[i..i + n].iter().cloned());
        }
        i += n;
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

const FILES: [&str; 5] =
    ["G.safetensors", "D.safetensors", "adam_G.safetensors", "adam_D.safetensors", "pool_AB.safetensors"];

fn assert_same(a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn pix2pix_trains_logs_resumes_exactly_and_translates() {
    let dir = scratch("p2p");
    let data = pairs(&dir, 3);
    let (stdout, stderr) = run_ok(p2p(&dir, "straight", &data, &["--max-iters", "5"]));
    assert!(stderr.contains("pairs AB: 3 images"), "{stderr}");
    assert!(stdout.contains("pix2pix: G D .safetensors"), "{stdout}");
    let straight = dir.join("checkpoints/straight");
    let log = std::fs::read_to_string(straight.join("loss_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 5);
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["G_GAN", "G_L1", "D_real", "D_fake"] {
            let x = v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {line}"));
            assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
        }
        // Vanilla GAN losses start near ln 2; L1 is weighted by 100.
        assert!(v["G_L1"].as_f64().unwrap() > 1.0, "{line}");
    }
    for f in FILES {
        assert!(straight.join("latest").join(f).is_file(), "{f}");
    }

    // Interrupted at 2 and resumed to 5: the same bits.
    run_ok(p2p(&dir, "split", &data, &["--max-iters", "2"]));
    let (_, stderr) = run_ok(p2p(&dir, "split", &data, &["--max-iters", "5", "--continue-train"]));
    assert!(stderr.contains("at iteration 2"), "{stderr}");
    let split = dir.join("checkpoints/split");
    assert_same(&straight.join("latest"), &split.join("latest"));
    let log_of = |run: &Path| std::fs::read_to_string(run.join("loss_log.jsonl")).unwrap();
    assert_eq!(log_of(&straight), log_of(&split));

    // Another model cannot resume it, and nothing is touched.
    let before = std::fs::read(split.join("latest/G.safetensors")).unwrap();
    let mut other = args(&dir, "split", &data, &data, &["--continue-train"]);
    other.extend(["--max-iters".into(), "6".into()]);
    let e = run_err(other);
    assert!(e.contains("is a pix2pix run") && e.contains("--model cycle_gan"), "{e}");
    assert_eq!(std::fs::read(split.join("latest/G.safetensors")).unwrap(), before);

    // Translation of a 37x29 image (padded to 64x64 for unet_64) in both test-time modes.
    let input = dir.join("in.png");
    image::RgbImage::from_fn(37, 29, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90])).save(&input).unwrap();
    let g = straight.join("latest/G.safetensors");
    let translate = |out: &str, extra: &[&str]| -> Vec<u8> {
        let path = dir.join(out);
        let mut a: Vec<String> =
            ["translate", "--weights", &g.display().to_string(), "--input"].iter().map(|s| s.to_string()).collect();
        a.extend([input.display().to_string(), "--output".into(), path.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        let (_, stderr) = run_ok(a);
        assert!(stderr.contains("pix2pix U-Net unet_64 ngf 4, norm batch, dropout"), "{stderr}");
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (37, 29));
        img.into_raw()
    };
    let default = translate("default.png", &[]);
    assert!(default == translate("default2.png", &[]), "seeded dropout: the same output twice");
    assert!(default != translate("seed1.png", &["--seed", "1"]), "another seed, other dropout masks");
    let eval = translate("eval.png", &["--eval"]);
    assert!(eval == translate("eval2.png", &["--eval", "--seed", "5"]), "eval mode has no randomness");
    assert!(default != eval, "batch statistics and running statistics differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pix2pix_refuses_bad_pairs_and_too_deep_nets_before_writing() {
    let dir = scratch("p2p-bad");
    let data = pairs(&dir, 2);
    image::RgbImage::new(49, 24).save(data.join("odd.png")).unwrap();
    let e = run_err(p2p(&dir, "x", &data, &[]));
    assert!(e.contains("odd.png") && e.contains("49x24") && e.contains("twice its height"), "{e}");
    std::fs::remove_file(data.join("odd.png")).unwrap();
    let e = run_err(p2p(&dir, "x", &data, &["--crop-size", "32", "--load-size", "36"]));
    assert!(e.contains("--crop-size 32 must be a multiple of 64"), "{e}");
    let e = run_err(p2p(&dir, "x", &data, &["--domain-a", "a", "--domain-b", "b"]));
    assert!(e.contains("cannot be used with") || e.contains("--dataroot"), "{e}");

    // Networks of another architecture: a ResNet as G, a 3-channel PatchGAN as D.
    let weights = dir.join("weights");
    std::fs::create_dir_all(&weights).unwrap();
    let g = Architecture::Generator(GeneratorConfig::resnet(2, 4));
    let d = Architecture::Discriminator(DiscriminatorConfig::basic(4));
    for (name, arch) in [("G", g), ("D", d)] {
        let sd = Network::init_state_dict(&arch, 1).unwrap();
        std::fs::write(weights.join(format!("{name}.safetensors")), sd.to_safetensors()).unwrap();
    }
    let w = weights.display().to_string();
    let e = run_err(p2p(&dir, "x", &data, &["--init-weights", &w]));
    assert!(e.contains("G is a ResNet") || (e.contains("G is a resnet_2blocks") && e.contains("unet_64")), "{e}");
    // A discriminator's weights given to translate.
    let e = run_err([
        "translate",
        "--weights",
        &weights.join("D.safetensors").display().to_string(),
        "--input",
        &data.join("000.png").display().to_string(),
        "--output",
        &dir.join("out.png").display().to_string(),
    ]);
    assert!(e.contains("discriminator") && e.contains("not of a generator"), "{e}");
    assert!(!dir.join("checkpoints").exists() && !dir.join("out.png").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}
