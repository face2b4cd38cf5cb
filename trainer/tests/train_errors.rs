//! Bad input: each case fails (or warns) with a message that names the
//! problem, and nothing already there is overwritten.

mod train_util;

use std::path::Path;

use shaders::nn::io::weights::StateDict;
use shaders::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorConfig, Norm};
use shaders::nn::nets::network::{Architecture, Network};
use train_util::*;

fn listing(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut v: Vec<_> = walk(dir);
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push((e.path().display().to_string(), e.metadata().unwrap().modified().unwrap()));
        }
    }
    out
}

#[test]
fn missing_and_empty_domains_are_refused_before_anything_is_written() {
    let dir = scratch("domains");
    let a = domain(&dir.join("A"), 2, 1);
    let empty = dir.join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    std::fs::write(empty.join("readme.txt"), "no images").unwrap();

    let e = run_err(args(&dir, "x", &a, &dir.join("nowhere"), &[]));
    assert!(e.contains("--domain-b") && e.contains("nowhere") && e.contains("no such folder"), "{e}");
    let e = run_err(args(&dir, "x", &empty, &a, &[]));
    assert!(e.contains("--domain-a") && e.contains("no images found"), "{e}");
    let e = run_err(args(&dir, "x", &a.join("000.png"), &a, &[]));
    assert!(e.contains("not a folder"), "{e}");
    let e = run_err(["--domain-a".as_ref(), a.as_os_str()]);
    assert!(e.contains("--domain-b"), "one domain alone: {e}");
    assert!(!dir.join("checkpoints").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inconsistent_options_are_refused() {
    let dir = scratch("options");
    let a = domain(&dir.join("A"), 2, 1);
    let e = run_err(args(&dir, "x", &a, &a, &["--load-size", "16", "--crop-size", "32"]));
    assert!(e.contains("--crop-size 32 is larger than --load-size 16"), "{e}");
    let e = run_err(args(&dir, "x", &a, &a, &["--crop-size", "18", "--load-size", "20"]));
    assert!(e.contains("multiple of 4"), "{e}");
    let e = run_err(args(&dir, "x", &a, &a, &["--n-layers-d", "3"]));
    assert!(e.contains("too small for a discriminator with --n-layers-d 3"), "{e}");
    let e = run_err(args(&dir, "x", &a, &a, &["--preprocess", "crop", "--crop-size", "32", "--load-size", "32"]));
    assert!(e.contains("--preprocess crop --crop-size 32") && e.contains("24x24"), "{e}");
    let e = run_err(args(&dir, "x", &a, &a, &["--continue-train", "--init-weights", "somewhere"]));
    assert!(e.contains("cannot be used with"), "{e}");
    assert!(!dir.join("checkpoints").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_images_are_skipped_with_a_warning_and_counted() {
    let dir = scratch("unreadable");
    let a = domain(&dir.join("A"), 2, 1);
    std::fs::write(a.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(a.join("empty.jpg"), b"").unwrap();
    // A header that reads but pixel data cut short: found only when decoded.
    let whole = std::fs::read(a.join("001.png")).unwrap();
    std::fs::write(a.join("000_cut.png"), &whole[..whole.len() * 2 / 3]).unwrap();
    let b = domain(&dir.join("B"), 2, 2);
    let (_, stderr) = run_ok(args(&dir, "x", &a, &b, &["--max-iters", "3", "--serial-batches"]));
    assert!(stderr.contains("broken.png") && stderr.contains("empty.jpg"), "{stderr}");
    assert!(stderr.contains("domain A: 3 images") && stderr.contains("2 unreadable files skipped"), "{stderr}");
    assert!(stderr.contains("skipping unreadable image") && stderr.contains("000_cut.png"), "{stderr}");
    assert!(stderr.contains("3 unreadable image files were skipped"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bombs_and_truncated_jpegs_in_the_data_are_skipped_and_training_goes_on() {
    let dir = scratch("hostile");
    let a = domain(&dir.join("A"), 2, 1);
    std::fs::write(a.join("bomb.png"), png_bomb(100_000, 100_000)).unwrap();
    let mut jpg = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 37 + y * 11) as u8, (x * y) as u8, (y * 53) as u8])
    }))
    .write_to(&mut std::io::Cursor::new(&mut jpg), image::ImageFormat::Jpeg)
    .unwrap();
    // Cut inside the image data: the header reads, the scan ends early.
    std::fs::write(a.join("001_cut.jpg"), &jpg[..jpg.len() * 3 / 4]).unwrap();
    let b = domain(&dir.join("B"), 2, 2);
    let (_, stderr) = run_ok(args(&dir, "x", &a, &b, &["--max-iters", "3", "--serial-batches"]));
    assert!(
        stderr.contains("warning: skipping") && stderr.contains("bomb.png: the file declares 100000x100000 pixels"),
        "{stderr}"
    );
    assert!(stderr.contains("skipping unreadable image") && stderr.contains("001_cut.jpg: truncated JPEG"), "{stderr}");
    assert!(dir.join("checkpoints/x/latest/G_A.safetensors").is_file(), "training went on and saved: {stderr}");
    // Crops smaller than the generator takes are refused up front, naming the minimum.
    let e = run_err(args(&dir, "y", &a, &b, &["--net-d", "pixel", "--load-size", "4", "--crop-size", "4"]));
    assert!(e.contains("--crop-size 4 is too small: the generator takes images of at least 8x8 pixels"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_are_never_overwritten_by_mistake() {
    let dir = scratch("ckpt");
    let a = domain(&dir.join("A"), 2, 1);
    let b = domain(&dir.join("B"), 2, 2);
    let e = run_err(args(&dir, "x", &a, &b, &["--continue-train"]));
    assert!(e.contains("--continue-train: no checkpoint at"), "{e}");
    run_ok(args(&dir, "x", &a, &b, &["--max-iters", "2"]));
    let run = dir.join("checkpoints/x");
    let before = listing(&run);

    // A fresh start over an existing checkpoint.
    let e = run_err(args(&dir, "x", &a, &b, &["--max-iters", "4"]));
    assert!(e.contains("already holds a checkpoint (iteration 2)") && e.contains("--continue-train"), "{e}");
    // Continuing with another architecture.
    let mut other = args(&dir, "x", &a, &b, &["--continue-train"]);
    let ngf = other.iter().position(|s| s == "--ngf").unwrap();
    other[ngf + 1] = "8".into();
    let e = run_err(&other);
    assert!(e.contains("holds resnet_6blocks ngf 4") && e.contains("ask for resnet_6blocks ngf 8"), "{e}");
    // Starting from weights of another architecture.
    let latest = run.join("latest").display().to_string();
    let mut other = args(&dir, "y", &a, &b, &["--init-weights", &latest]);
    other[ngf + 1] = "8".into();
    let e = run_err(&other);
    assert!(e.contains("--init-weights") && e.contains("ngf 4") && e.contains("ngf 8"), "{e}");
    // A damaged checkpoint is refused, not trained over.
    let g = run.join("latest/G_A.safetensors");
    let bytes = std::fs::read(&g).unwrap();
    std::fs::write(&g, &bytes[..bytes.len() / 2]).unwrap();
    let e = run_err(args(&dir, "x", &a, &b, &["--continue-train", "--max-iters", "4"]));
    assert!(e.contains("G_A.safetensors") && e.contains("damaged"), "{e}");
    std::fs::write(&g, &bytes).unwrap();
    let mut after = listing(&run);
    for (path, time) in after.iter_mut() {
        if path.ends_with("latest/G_A.safetensors") {
            *time = before.iter().find(|(p, _)| p == path).unwrap().1;
        }
    }
    assert_eq!(before, after, "nothing in the run folder changed");
    assert!(!dir.join("checkpoints/y").exists());

    // --init-weights with the right architecture starts a new run from those networks.
    let (_, stderr) = run_ok(args(&dir, "y", &a, &b, &["--init-weights", &latest, "--max-iters", "1"]));
    assert!(stderr.contains("iteration 1"), "{stderr}");

    // Networks saved by other code bases: DataParallel prefixes and residual blocks named `block`.
    let other_dir = dir.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    for name in ["G_A", "G_B", "D_A", "D_B"] {
        let sd = StateDict::load(&std::fs::read(run.join(format!("latest/{name}.safetensors"))).unwrap()).unwrap();
        let mut renamed = StateDict::new();
        for (k, t) in sd.iter() {
            renamed.insert(format!("module.{}", k.replace("conv_block", "block")), t.clone()).unwrap();
        }
        std::fs::write(other_dir.join(format!("{name}.safetensors")), renamed.to_safetensors()).unwrap();
    }
    let other = other_dir.display().to_string();
    let (_, stderr) = run_ok(args(&dir, "z", &a, &b, &["--init-weights", &other, "--max-iters", "1"]));
    assert!(stderr.contains("G_A: `module.` prefixes (DataParallel) dropped"), "{stderr}");
    assert!(stderr.contains("G_A: ResNet generator recognised by the order and shapes"), "{stderr}");
    // Networks of another architecture are named with the options that build them.
    let affine = |seed: u64| {
        let cfg = GeneratorConfig { norm: Norm::InstanceAffine, ..GeneratorConfig::resnet(6, 4) };
        Network::init_state_dict(&Architecture::Generator(cfg), seed).unwrap().to_safetensors()
    };
    std::fs::write(other_dir.join("G_A.safetensors"), affine(5)).unwrap();
    let e = run_err(args(&dir, "w", &a, &b, &["--init-weights", &other]));
    assert!(
        e.contains("G_A is a resnet_6blocks ngf 4, norm instance_affine network")
            && e.contains("--net-g resnet_6blocks --ngf 4 --norm instance_affine for this one"),
        "{e}"
    );
    // With those options, training goes on from them (discriminators with the same norm).
    std::fs::write(other_dir.join("G_B.safetensors"), affine(6)).unwrap();
    for (name, seed) in [("D_A", 7), ("D_B", 8)] {
        let cfg = DiscriminatorConfig {
            norm: Norm::InstanceAffine,
            arch: DiscriminatorArch::NLayer { n_layers: 2 },
            ..DiscriminatorConfig::basic(4)
        };
        let sd = Network::init_state_dict(&Architecture::Discriminator(cfg), seed).unwrap();
        std::fs::write(other_dir.join(format!("{name}.safetensors")), sd.to_safetensors()).unwrap();
    }
    let flags = ["--init-weights", &other, "--norm", "instance_affine", "--max-iters", "1"];
    let (_, stderr) = run_ok(args(&dir, "w", &a, &b, &flags));
    assert!(stderr.contains("iteration 1"), "{stderr}");
    let g = StateDict::load(&std::fs::read(dir.join("checkpoints/w/latest/G_A.safetensors")).unwrap()).unwrap();
    assert_eq!(g.metadata().get("norm").map(String::as_str), Some("instance_affine"));
    assert!(g.get("model.2.weight").is_some(), "the affine parameters are trained and saved");
    // An Upsample + Conv decoder (PyTorch-GAN's layout) trains as its 4x4 transposed conv.
    let up_dir = dir.join("upsample");
    std::fs::create_dir_all(&up_dir).unwrap();
    let variant = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/variant_block_upsample.pth");
    for name in ["G_A", "G_B"] {
        std::fs::copy(&variant, up_dir.join(format!("{name}.pth"))).unwrap();
    }
    for name in ["D_A", "D_B"] {
        std::fs::copy(run.join(format!("latest/{name}.safetensors")), up_dir.join(format!("{name}.safetensors")))
            .unwrap();
    }
    let up = up_dir.display().to_string();
    let e = run_err(args(&dir, "u", &a, &b, &["--init-weights", &up, "--net-g", "resnet_2blocks"]));
    assert!(e.contains("--upsampling transposed4 for this one"), "{e}");
    let flags = ["--init-weights", &up, "--net-g", "resnet_2blocks", "--upsampling", "transposed4", "--max-iters", "1"];
    let (_, stderr) = run_ok(args(&dir, "u", &a, &b, &flags));
    assert!(
        stderr.contains("read as the equivalent 4x4 stride-2 transposed conv") && stderr.contains("iteration 1"),
        "{stderr}"
    );
    let e = run_err(args(&dir, "v", &a, &b, &["--net-g", "unet_32", "--upsampling", "transposed4"]));
    assert!(e.contains("--upsampling applies to ResNet generators"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_diverging_run_stops_with_the_loss_named_and_keeps_the_last_checkpoint() {
    let dir = scratch("nan");
    let a = domain(&dir.join("A"), 2, 1);
    let b = domain(&dir.join("B"), 2, 2);
    // A learning rate of 1e30 overflows the activations on the second step.
    let e = run_err(args(&dir, "x", &a, &b, &["--lr", "1e30", "--print-freq", "1", "--save-latest-freq", "1"]));
    assert!(e.contains("is NaN at iteration") || e.contains("is inf at iteration"), "{e}");
    assert!(e.contains("was not overwritten"), "{e}");
    let latest = dir.join("checkpoints/x/latest");
    let at = saved_at(&latest);
    assert!(e.contains(&format!("at iteration {}", at + 1)), "stopped right after the last good save: {e}");
    state_bytes(&latest);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_explains_every_option_and_subcommands_still_work() {
    let (help, _) = run_ok(["--help"]);
    for flag in [
        "--domain-a",
        "--domain-b",
        "--name",
        "--checkpoints-dir",
        "--net-g",
        "--ngf",
        "--ndf",
        "--n-layers-d",
        "--n-epochs",
        "--n-epochs-decay",
        "--lr",
        "--beta1",
        "--lambda-a",
        "--lambda-b",
        "--lambda-identity",
        "--pool-size",
        "--batch-size",
        "--load-size",
        "--crop-size",
        "--preprocess",
        "--no-flip",
        "--serial-batches",
        "--seed",
        "--print-freq",
        "--save-epoch-freq",
        "--save-latest-freq",
        "--display-freq",
        "--continue-train",
        "--max-iters",
        "--init-weights",
    ] {
        let line = help.lines().position(|l| l.trim_start().starts_with(flag)).unwrap_or_else(|| panic!("{flag}"));
        let explained = help.lines().nth(line + 1).is_some_and(|l| l.trim().len() > 10);
        assert!(explained, "{flag} has a help line");
    }
    for sub in ["translate", "convert", "bench"] {
        assert!(help.contains(sub), "{sub} listed");
    }
    let (sub, _) = run_ok(["translate", "--help"]);
    assert!(sub.contains("--weights"), "{sub}");
    let e = run_err(["--ngf", "4", "translate", "--help"]);
    assert!(e.contains("unexpected argument") || e.contains("cannot be used"), "{e}");
}
