//! `trainer translate` and `trainer convert`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use image::DynamicImage;
use shaders::nn::discriminator::DiscriminatorConfig;
use shaders::nn::generator::{GeneratorConfig, ResnetGenerator};
use shaders::nn::params::match_state_dict;
use shaders::nn::translate::translate_rgba;
use shaders::nn::weights::StateDict;
use shaders::{Gpu, GpuOptions};

use crate::imageio;

/// Options of `trainer translate`.
#[derive(Args)]
pub struct TranslateArgs {
    /// Generator weights: our .safetensors, or a reference `latest_net_G.pth`
    /// (read natively; nothing in it is executed).
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// An image file, or a folder whose images are all translated.
    #[arg(long, value_name = "PATH")]
    input: PathBuf,
    /// Output PNG file (for a file input) or folder (for a folder input; made
    /// if missing; outputs keep the input's file stem).
    #[arg(long, value_name = "PATH")]
    output: PathBuf,
}

/// Options of `trainer convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// A PyTorch state_dict (`latest_net_G.pth`, zip or legacy format) or a
    /// safetensors file.
    input: PathBuf,
    /// The safetensors file to write.
    output: PathBuf,
}

/// Reads a weight file in any supported format; errors name the file.
pub fn load_state_dict(path: &Path) -> Result<StateDict> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    StateDict::load(&bytes).with_context(|| format!("{}", path.display()))
}

/// Writes bytes to `path` atomically: temporary file, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = imageio::temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}: cannot write", path.display()))
}

/// Runs `trainer convert`.
pub fn convert(args: ConvertArgs) -> Result<()> {
    let mut sd = load_state_dict(&args.input)?;
    let what = if let Ok(cfg) = GeneratorConfig::from_state_dict(&sd) {
        match_state_dict("ResnetGenerator", &cfg.param_specs(), &sd)
            .with_context(|| args.input.display().to_string())?;
        for (k, v) in cfg.metadata() {
            sd.set_metadata(k, v);
        }
        format!("ResnetGenerator {} ngf {}", cfg.net_name(), cfg.ngf)
    } else {
        let cfg = DiscriminatorConfig::from_state_dict(&sd).map_err(|_| {
            anyhow::anyhow!("{}: neither a ResnetGenerator nor an NLayerDiscriminator state_dict", args.input.display())
        })?;
        match_state_dict("NLayerDiscriminator", &cfg.param_specs(), &sd)
            .with_context(|| args.input.display().to_string())?;
        for (k, v) in cfg.metadata() {
            sd.set_metadata(k, v);
        }
        format!("NLayerDiscriminator ndf {} n_layers {}", cfg.ndf, cfg.n_layers)
    };
    write_atomic(&args.output, &sd.to_safetensors())?;
    println!("{what}: {} tensors written to {}", sd.len(), args.output.display());
    Ok(())
}

/// Runs `trainer translate`.
pub fn translate(args: TranslateArgs) -> Result<()> {
    let sd = load_state_dict(&args.weights)?;
    let gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    let net = ResnetGenerator::from_state_dict(&gpu, &sd).with_context(|| args.weights.display().to_string())?;
    let cfg = net.config();
    eprintln!("{} ngf {} on {}", cfg.net_name(), cfg.ngf, gpu.describe());
    if args.input.is_dir() {
        translate_folder(&gpu, &net, &args.input, &args.output)
    } else {
        let out = if args.output.is_dir() { output_name(&args.input, &args.output) } else { args.output.clone() };
        let ms = translate_file(&gpu, &net, &args.input, &out)?;
        eprintln!("{} -> {} ({ms:.0} ms)", args.input.display(), out.display());
        Ok(())
    }
}

fn output_name(input: &Path, dir: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    dir.join(format!("{stem}.png"))
}

fn translate_folder(gpu: &Gpu, net: &ResnetGenerator, input: &Path, output: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(input)
        .with_context(|| format!("{}: cannot list", input.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    let (images, others): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|p| imageio::is_image_path(p));
    if images.is_empty() {
        bail!("{}: no image files (png, jpg, bmp, webp, tiff, gif) in this folder", input.display());
    }
    for o in &others {
        eprintln!("skipped {} (not an image extension)", o.display());
    }
    std::fs::create_dir_all(output).with_context(|| format!("{}: cannot create", output.display()))?;
    let (mut ok, mut failed) = (0usize, 0usize);
    for (i, path) in images.iter().enumerate() {
        let out = output_name(path, output);
        match translate_file(gpu, net, path, &out) {
            Ok(ms) => {
                ok += 1;
                eprintln!("[{}/{}] {} -> {} ({ms:.0} ms)", i + 1, images.len(), path.display(), out.display());
            }
            Err(e) => {
                failed += 1;
                eprintln!("[{}/{}] failed: {e:#}", i + 1, images.len());
            }
        }
    }
    eprintln!("{ok} translated, {failed} failed; results in {}", output.display());
    if failed > 0 {
        bail!("{failed} of {} images failed", images.len());
    }
    Ok(())
}

/// Translates one file; returns the milliseconds it took.
fn translate_file(gpu: &Gpu, net: &ResnetGenerator, input: &Path, output: &Path) -> Result<f64> {
    let start = Instant::now();
    let pic = imageio::load(input)?;
    let (w, h) = pic.rgba.dimensions();
    let out = pollster::block_on(translate_rgba(gpu, net, pic.rgba.as_raw(), w as usize, h as usize))
        .with_context(|| format!("{}", input.display()))?;
    let rgba = image::RgbaImage::from_raw(w, h, out).expect("translate_rgba returns width * height * 4 bytes");
    let img = if pic.has_alpha {
        DynamicImage::ImageRgba8(rgba)
    } else {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
    };
    imageio::save_png_atomic(&img, output)?;
    Ok(start.elapsed().as_secs_f64() * 1e3)
}
