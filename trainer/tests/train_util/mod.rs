//! Helpers of the training tests: the binary, scratch folders, small
//! seeded image domains and the tiny network options that keep runs on
//! lavapipe to about a second.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// resnet_6blocks ngf 4, a 2-layer PatchGAN with ndf 4, 16x16 crops.
pub const TINY: &[&str] = &[
    "--net-g",
    "resnet_6blocks",
    "--ngf",
    "4",
    "--ndf",
    "4",
    "--n-layers-d",
    "2",
    "--load-size",
    "20",
    "--crop-size",
    "16",
];

/// The weight and resume files of a `latest/` checkpoint.
pub const STATE_FILES: [&str; 8] = [
    "G_A.safetensors",
    "G_B.safetensors",
    "D_A.safetensors",
    "D_B.safetensors",
    "adam_G.safetensors",
    "adam_D.safetensors",
    "pool_A.safetensors",
    "pool_B.safetensors",
];

/// The trainer binary.
pub fn trainer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
}

/// An empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainer-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `count` seeded 24x24 RGB images (smooth blobs on a tinted
/// background) into `dir`.
pub fn domain(dir: &Path, count: usize, seed: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        let s = seed.wrapping_mul(7919).wrapping_add(i as u32 * 104_729);
        let (cx, cy) = ((s % 17 + 4) as f32, (s / 17 % 17 + 4) as f32);
        let tint = [(s % 200) as f32, (s / 200 % 200) as f32, (seed * 60 % 255) as f32];
        let img = image::RgbImage::from_fn(24, 24, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let blob = (1.0 - d / 10.0).max(0.0);
            image::Rgb(std::array::from_fn(|c| (tint[c] * (1.0 - blob) + 255.0 * blob) as u8))
        });
        img.save(dir.join(format!("{i:03}.png"))).unwrap();
    }
    dir.to_path_buf()
}

/// Runs the trainer with `args` (strings or paths).
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    trainer().args(args).output().unwrap()
}

/// Runs and asserts success; returns stdout and stderr.
pub fn run_ok<I, S>(args: I) -> (String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = run(args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "trainer failed ({}):\n{stderr}\n{stdout}", out.status);
    (stdout, stderr)
}

/// Runs and asserts failure; returns stderr.
pub fn run_err<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = run(args);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "trainer should have failed:\n{stderr}\n{stdout}");
    stderr
}

/// stdout and stderr as text.
pub fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Training arguments for domains `a` and `b` under `dir` with experiment
/// `name`: [`TINY`] (less the flags `extra` sets) and `extra`.
pub fn args(dir: &Path, name: &str, a: &Path, b: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "--domain-a".into(),
        a.display().to_string(),
        "--domain-b".into(),
        b.display().to_string(),
        "--checkpoints-dir".into(),
        dir.join("checkpoints").display().to_string(),
        "--name".into(),
        name.into(),
    ];
    for pair in TINY.chunks(2) {
        if !extra.contains(&pair[0]) {
            v.extend(pair.iter().map(|s| s.to_string()));
        }
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// The manifest of a checkpoint folder.
pub fn manifest(folder: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Total iterations a checkpoint folder was saved at.
pub fn saved_at(folder: &Path) -> u64 {
    manifest(folder)["position"]["total_iters"].as_u64().unwrap()
}

/// The bytes of every state file of a `latest/` folder.
pub fn state_bytes(folder: &Path) -> Vec<(String, Vec<u8>)> {
    STATE_FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read(folder.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))))
        .collect()
}

/// Asserts two `latest/` folders hold bit-identical state files.
pub fn assert_same_state(a: &Path, b: &Path) {
    for ((name, x), (_, y)) in state_bytes(a).iter().zip(state_bytes(b)) {
        assert!(*x == y, "{name} differs between {} and {}", a.display(), b.display());
    }
}

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A valid PNG header declaring `w` x `h` RGB pixels, with a tiny IDAT: a
/// decompression bomb's header in 60 bytes.
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // zlib stream of one empty stored block: the first rows' data would follow.
    png.extend(chunk(b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}
