//! `trainer translate` and `trainer convert` end to end on a folder of mixed
//! images, on the first GPU adapter (lavapipe where there is no GPU).

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{DynamicImage, ImageBuffer, Luma, Rgb, Rgba};
use shaders::nn::arch::GeneratorConfig;
use shaders::nn::network::{Architecture, Network};

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
    let sd = shaders::nn::weights::StateDict::load(&std::fs::read(&converted).unwrap()).unwrap();
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
    sd.insert("model.2.running_mean", shaders::nn::weights::HostTensor::new(vec![64], vec![0.0; 64])).unwrap();
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
