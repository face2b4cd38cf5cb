//! `trainer translate` and `trainer convert` end to end on a folder of mixed
//! images, on the first GPU adapter (lavapipe where there is no GPU).

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{DynamicImage, ImageBuffer, Luma, Rgb, Rgba};
use shaders::nn::nets::arch::GeneratorConfig;
use shaders::nn::nets::network::{Architecture, Network};

mod train_util;
use train_util::png_bomb;

fn trainer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn weights(dir: &Path) -> PathBuf {
    let arch = Architecture::Generator(GeneratorConfig::resnet(2, 4));
    let path = dir.join("G.safetensors");
    std::fs::write(&path, Network::init_state_dict(&arch, 9).unwrap().to_safetensors()).unwrap();
    path
}

/// A baseline JPEG whose EXIF says "rotate 90 degrees clockwise" (orientation 6).
fn jpeg_with_orientation(w: u32, h: u32) -> Vec<u8> {
    let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x * 9) as u8, (y * 7) as u8, 100]));
    let mut jpg = Vec::new();
    DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut jpg), image::ImageFormat::Jpeg).unwrap();
    // APP1 "Exif\0\0" + little-endian TIFF with one IFD entry: 0x0112 SHORT 1 = 6.
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpg[2..]);
    out
}

#[test]
fn translate_a_folder_of_mixed_images() {
    let dir = scratch("folder");
    let w = weights(&dir);
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    ImageBuffer::from_fn(37, 29, |x, y| Rgb([x as u8 * 5, y as u8 * 7, 3])).save(input.join("rgb.png")).unwrap();
    ImageBuffer::from_fn(9, 6, |x, y| Luma([(x * y) as u8])).save(input.join("gray.png")).unwrap();
    ImageBuffer::from_fn(10, 7, |x, y| Rgba([x as u8, y as u8, 9, (x * 20) as u8]))
        .save(input.join("alpha.png"))
        .unwrap();
    ImageBuffer::from_fn(5, 5, |x, y| Rgb([x as u16 * 9000, y as u16 * 9000, 40000]))
        .save(input.join("deep.png"))
        .unwrap();
    std::fs::write(input.join("rotated.jpg"), jpeg_with_orientation(12, 8)).unwrap();
    std::fs::write(input.join("broken.png"), b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    std::fs::write(input.join("notes.txt"), "not an image").unwrap();
    let out = dir.join("out");
    let run = trainer()
        .args(["translate", "--weights"])
        .arg(&w)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "one broken file makes the run fail: {stderr}");
    assert!(stderr.contains("5 translated, 1 failed"), "{stderr}");
    assert!(stderr.contains("broken.png"), "the failure names the file: {stderr}");
    let size = |name: &str| image::open(out.join(name)).unwrap();
    assert_eq!(size("rgb.png").to_rgb8().dimensions(), (37, 29));
    assert_eq!(size("gray.png").to_rgb8().dimensions(), (9, 6));
    let alpha = size("alpha.png").to_rgba8();
    assert_eq!(alpha.dimensions(), (10, 7));
    assert!(alpha.enumerate_pixels().all(|(x, _, p)| p.0[3] == (x * 20) as u8), "alpha is kept as is");
    assert_eq!(size("deep.png").to_rgb8().dimensions(), (5, 5));
    assert_eq!(size("rotated.png").to_rgb8().dimensions(), (8, 12), "EXIF orientation applied");
    assert!(!out.join("broken.png").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn translate_a_single_file_and_convert() {
    let dir = scratch("single");
    let w = weights(&dir);
    let input = dir.join("a.png");
    ImageBuffer::from_fn(13, 17, |x, y| Rgb([x as u8 * 9, y as u8 * 5, 77])).save(&input).unwrap();
    let out = dir.join("b.png");
    let run = trainer()
        .args(["translate", "--weights"])
        .arg(&w)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(image::open(&out).unwrap().to_rgb8().dimensions(), (13, 17));

    let converted = dir.join("c.safetensors");
    let run = trainer().arg("convert").arg(&w).arg(&converted).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let sd = shaders::nn::io::weights::StateDict::load(&std::fs::read(&converted).unwrap()).unwrap();
    assert_eq!(sd.metadata().get("n_blocks").map(String::as_str), Some("2"));

    let garbage = dir.join("garbage.pth");
    std::fs::write(&garbage, b"definitely not weights").unwrap();
    let run = trainer()
        .args(["translate", "--weights"])
        .arg(&garbage)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("garbage.pth"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn translate_with_a_full_resnet_9blocks() {
    let dir = scratch("r9");
    let arch = Architecture::Generator(GeneratorConfig::resnet(9, 64));
    let w = dir.join("latest_net_G_A.safetensors");
    let mut sd = Network::init_state_dict(&arch, 3).unwrap();
    // Reference checkpoints may carry legacy InstanceNorm statistics; they are ignored on load.
    sd.insert("model.2.running_mean", shaders::nn::io::weights::HostTensor::new(vec![64], vec![0.0; 64])).unwrap();
    std::fs::write(&w, sd.to_safetensors()).unwrap();
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    ImageBuffer::from_fn(23, 18, |x, y| Rgb([x as u8 * 11, y as u8 * 13, 200])).save(input.join("one.png")).unwrap();
    ImageBuffer::from_fn(16, 16, |x, y| Rgb([x as u8 * 3, 50, y as u8 * 9])).save(input.join("two.bmp")).unwrap();
    let out = dir.join("out");
    let run = trainer()
        .args(["translate", "--weights"])
        .arg(&w)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("resnet_9blocks ngf 64"), "{stderr}");
    assert_eq!(image::open(out.join("one.png")).unwrap().to_rgb8().dimensions(), (23, 18));
    assert_eq!(image::open(out.join("two.png")).unwrap().to_rgb8().dimensions(), (16, 16));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn translate_folder(w: &Path, input: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let run = trainer()
        .args(["translate", "--weights"])
        .arg(w)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (run.status.success(), String::from_utf8_lossy(&run.stderr).into_owned())
}

#[test]
fn bombs_truncated_jpegs_and_tiny_images_never_abort_a_folder_run() {
    let dir = scratch("hostile");
    let w = weights(&dir);
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("bomb.png"), png_bomb(100_000, 100_000)).unwrap();
    let jpg = jpeg_with_orientation(40, 24);
    std::fs::write(input.join("cut.jpg"), &jpg[..jpg.len() * 3 / 4]).unwrap();
    ImageBuffer::from_fn(1, 1, |_, _| Rgb([200u8, 10, 10])).save(input.join("one.png")).unwrap();
    ImageBuffer::from_fn(3, 2, |x, y| Rgb([x as u8 * 80, y as u8 * 90, 5])).save(input.join("three.png")).unwrap();
    ImageBuffer::from_fn(12, 9, |x, y| Rgb([x as u8 * 20, y as u8 * 20, 5])).save(input.join("plain.png")).unwrap();
    let out = dir.join("out");
    let (ok, stderr) = translate_folder(&w, &input, &out, &[]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("3 translated, 2 failed"), "{stderr}");
    assert!(
        stderr.contains("bomb.png: the file declares 100000x100000 pixels, more than --max-image-side 20000"),
        "{stderr}"
    );
    assert!(stderr.contains("cut.jpg: truncated JPEG"), "{stderr}");
    let size = |name: &str| image::open(out.join(name)).unwrap().to_rgb8().dimensions();
    assert_eq!(size("one.png"), (1, 1), "a 1x1 image is padded to the generator's minimum and cropped back");
    assert_eq!(size("three.png"), (3, 2));
    assert_eq!(size("plain.png"), (12, 9));
    assert!(!out.join("bomb.png").exists() && !out.join("cut.png").exists());

    // The limits are options: a larger side lets the memory limit speak.
    let (ok, stderr) = translate_folder(
        &w,
        &input.join("bomb.png"),
        &dir.join("bomb_out.png"),
        &["--max-image-side", "200000", "--max-image-mib", "64"],
    );
    assert!(!ok);
    assert!(
        stderr.contains("bomb.png: decoding its 100000x100000 pixels takes") && stderr.contains("--max-image-mib 64"),
        "{stderr}"
    );
    // A small limit refuses ordinary images with the same clarity.
    let (ok, stderr) = translate_folder(&w, &input.join("plain.png"), &dir.join("p.png"), &["--max-image-side", "8"]);
    assert!(!ok && stderr.contains("12x9 pixels, more than --max-image-side 8"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
}

#[test]
fn generators_of_other_code_bases_translate_convert_and_inspect() {
    let dir = scratch("variants");
    let input = dir.join("a.png");
    ImageBuffer::from_fn(20, 14, |x, y| Rgb([x as u8 * 12, y as u8 * 15, 60])).save(&input).unwrap();
    let pth = fixture("variant_g_a2b_f16.pth");

    let run = trainer().arg("inspect").arg(&pth).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for line in [
        "format:       PyTorch torch.save zip archive, 76 tensors (F16 x 76)",
        "network:      `G_A2B` (the file also holds G_B2A)",
        "architecture: generator resnet_2blocks ngf 4, norm instance_affine, upsampling by 4x4 transposed convs",
        "layout:       mapped by structure onto the reference's keys",
        "Upsample(scale_factor=2, nearest) + Conv2d(3, padding 1)",
        "  model.10.conv_block.1.weight <- G_A2B.model.10.conv_block.1.weight",
        "  model.12.weight <- G_A2B.model.13.weight",
    ] {
        assert!(stdout.contains(line), "`{line}` in:\n{stdout}");
    }
    let run = trainer().args(["inspect", "--net", "G_B2A"]).arg(&pth).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains("network:      `G_B2A` (the file also holds G_A2B)"));

    // translate from the .pth, and from its conversion to safetensors: the same pixels.
    let (from_pth, from_st) = (dir.join("pth.png"), dir.join("st.png"));
    let (ok, stderr) = translate_folder(&pth, &input, &from_pth, &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("using `G_A2B`"), "{stderr}");
    let converted = dir.join("g.safetensors");
    let run = trainer().arg("convert").arg(&pth).arg(&converted).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let sd = shaders::nn::io::weights::StateDict::load(&std::fs::read(&converted).unwrap()).unwrap();
    assert_eq!(sd.metadata().get("norm").map(String::as_str), Some("instance_affine"));
    assert_eq!(sd.metadata().get("upsampling").map(String::as_str), Some("transposed4"));
    let (ok, stderr) = translate_folder(&converted, &input, &from_st, &[]);
    assert!(ok, "{stderr}");
    let (a, b) = (image::open(&from_pth).unwrap().to_rgb8(), image::open(&from_st).unwrap().to_rgb8());
    assert_eq!(a.dimensions(), (20, 14));
    assert_eq!(a, b, "the converted file translates the same");

    // A file that fits nothing says what it holds.
    let run = trainer().arg("inspect").arg(fixture("resnet_zip.pth")).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("resnet_zip.pth") && stderr.contains("the file holds 12 tensors"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
