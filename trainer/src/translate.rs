//! `trainer translate` and `trainer convert`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::files::{load_network, load_state_dict, write_atomic};
use anyhow::{bail, Context, Result};
use clap::Args;
use image::DynamicImage;
use shaders::models::detect_generator;
use shaders::nn::generator::{Generator, LoadOptions, Rgba};
use shaders::nn::layers::Mode;
use shaders::nn::nets::remap::Mapped;
use shaders::{Gpu, GpuOptions};

use crate::imageio;

/// Options of `trainer translate`.
#[derive(Args)]
pub struct TranslateArgs {
    /// Generator weights: our .safetensors, a reference `latest_net_G.pth`, or a U-GAT-IT checkpoint
    /// (the reference's `<dataset>_params_NNNNNNN.pt`, or our genA2B/genB2A .safetensors); read natively,
    /// nothing in them is executed.
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// U-GAT-IT checkpoints: which generator of the two translates, AtoB (genA2B) or BtoA (genB2A).
    #[arg(long, value_enum, default_value = "AtoB")]
    direction: crate::train::Direction,
    /// U-GAT-IT: also write each image's attention map (the generator's CAM heatmap, jet-coloured, as the
    /// reference draws it) beside its output, as <output stem>_attention.png.
    #[arg(long)]
    attention: bool,
    /// An image file, or a folder whose images are all translated.
    #[arg(long, value_name = "PATH")]
    input: PathBuf,
    /// Output PNG file (for a file input) or folder (for a folder input; made
    /// if missing; outputs keep the input's file stem).
    #[arg(long, value_name = "PATH")]
    output: PathBuf,
    /// Test-time eval mode, as the reference's `test.py --eval`: BatchNorm uses its running statistics and
    /// dropout is off. Without it (the reference's default), BatchNorm uses each image's own statistics
    /// and dropout stays on (seeded by --seed). CycleGAN's generators give the same output either way.
    #[arg(long)]
    eval: bool,
    /// Keep each image's own BatchNorm statistics but turn dropout off.
    #[arg(long, conflicts_with = "eval")]
    no_dropout: bool,
    /// Seed of the dropout masks (each image starts from it, so outputs do not depend on the order).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The norm, where the file cannot tell it: a file without norm parameters and without conv biases
    /// is taken as `none`; give `instance` for weights of code that drops the conv biases before its
    /// instance norms (they get zero biases, which the norm cancels). Default: detected (batch norm has
    /// running statistics, affine instance norm a weight and bias, plain instance norm convs have biases).
    #[arg(long, value_enum)]
    norm: Option<crate::train::NormArg>,
    /// In a file holding several networks (`G_A2B`/`G_B2A`, `netG_A`/`netG_B`), the one to use, by its
    /// top-level name. Default: the first generator (`trainer inspect` lists them).
    #[arg(long, value_name = "NAME")]
    net: Option<String>,
    #[command(flatten)]
    limits: imageio::DecodeArgs,
}

/// A generator loaded for translation, with its test-time mode.
pub struct Translator {
    /// The network.
    pub net: Box<dyn Generator>,
    /// Eval mode (running statistics, no dropout) rather than test.py's default.
    pub eval: bool,
    /// Seed of each image's dropout masks.
    pub seed: u64,
}

impl Translator {
    /// Loads generator weights, detecting the architecture.
    pub fn load(gpu: &Gpu, path: &Path, args: &TranslateArgs) -> Result<Self> {
        let name = path.display().to_string();
        let opts = LoadOptions {
            net: args.net.clone(),
            norm: args.norm.map(|n| n.norm()),
            b_to_a: args.direction == crate::train::Direction::BtoA,
            no_dropout: args.no_dropout,
        };
        let detected = detect_generator(load_state_dict(path)?, &opts).with_context(|| name.clone())?;
        for note in &detected.notes {
            eprintln!("{name}: {note}");
        }
        let net = detected.build(gpu).with_context(|| name.clone())?;
        let summary = net.summary();
        if !summary.translates() {
            bail!(
                "{name}: these are the weights of a {} generator, which makes images from random latents rather \
                 than translating them; generate images with it (`trainer generate`)",
                summary.architecture
            );
        }
        if args.attention && !summary.attention {
            bail!(
                "{name}: --attention needs a generator with an attention map (U-GAT-IT's); this is a {}",
                summary.architecture
            );
        }
        Ok(Translator { net, eval: args.eval, seed: args.seed })
    }

    /// One line naming the model it runs and its mode.
    pub fn describe(&self) -> String {
        let summary = self.net.summary();
        match summary.mode_description(self.eval, self.seed) {
            mode if mode.is_empty() => summary.architecture.clone(),
            mode => format!("{}, {mode}", summary.architecture),
        }
    }
}

/// Options of `trainer convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// A PyTorch state_dict (`latest_net_G.pth`, zip or legacy format) or a
    /// safetensors file.
    input: PathBuf,
    /// The safetensors file to write.
    output: PathBuf,
    /// In a file holding several networks, the one to convert, by its top-level name (default: the first
    /// generator).
    #[arg(long, value_name = "NAME")]
    net: Option<String>,
}

/// Runs `trainer convert`.
pub fn convert(args: ConvertArgs) -> Result<()> {
    let Mapped { arch, state_dict: mut sd, report } = load_network(&args.input, args.net.as_deref())?;
    if let Some(sel) = report.selection() {
        eprintln!("{}: converting {sel}", args.input.display());
    }
    for note in &report.notes {
        eprintln!("{}: {note}", args.input.display());
    }
    for (k, v) in arch.metadata() {
        sd.set_metadata(k, v);
    }
    write_atomic(&args.output, &sd.to_safetensors())?;
    println!("{}: {} tensors written to {}", arch.describe(), sd.len(), args.output.display());
    Ok(())
}

/// Runs `trainer translate`.
pub fn translate(args: TranslateArgs) -> Result<()> {
    let gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    imageio::set_limits(args.limits.limits());
    let net = Translator::load(&gpu, &args.weights, &args)?;
    eprintln!("{} on {}", net.describe(), gpu.describe());
    if args.input.is_dir() {
        translate_folder(&gpu, &net, &args.input, &args.output, args.attention)
    } else {
        let out = if args.output.is_dir() { output_name(&args.input, &args.output) } else { args.output.clone() };
        let ms = translate_file(&gpu, &net, &args.input, &out, args.attention)?;
        eprintln!("{} -> {} ({ms:.0} ms)", args.input.display(), out.display());
        Ok(())
    }
}

fn output_name(input: &Path, dir: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    dir.join(format!("{stem}.png"))
}

fn translate_folder(gpu: &Gpu, net: &Translator, input: &Path, output: &Path, attention: bool) -> Result<()> {
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
        match translate_file(gpu, net, path, &out, attention) {
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

/// Translates one file; returns the milliseconds it took. With
/// `attention`, a U-GAT-IT generator's attention map goes beside the output.
fn translate_file(gpu: &Gpu, net: &Translator, input: &Path, output: &Path, attention: bool) -> Result<f64> {
    let start = Instant::now();
    let mut pic = imageio::load(input)?;
    let side = net.net.summary().fixed_size as u32;
    if side != 0 && pic.rgba.dimensions() != (side, side) {
        // A generator that takes only its own size (the full U-GAT-IT): the
        // image is scaled to it as the reference's test transform does
        // (Resize, PIL's BILINEAR), and the output stays at that size, as the
        // reference writes it.
        let (w0, h0) = pic.rgba.dimensions();
        pic.rgba = image::imageops::resize(&pic.rgba, side, side, shaders::train::transform::BILINEAR);
        eprintln!("{}: scaled from {w0}x{h0} to {side}x{side}, the only size this generator takes", input.display());
    }
    let (w, h) = pic.rgba.dimensions();
    let mode = if net.eval { Mode::EVAL } else { Mode::TEST };
    let image = Rgba { pixels: pic.rgba.as_raw(), width: w as usize, height: h as usize };
    let out = net.net.translate(gpu, image, mode, net.seed);
    let out = pollster::block_on(out).with_context(|| format!("{}", input.display()))?;
    let (out, heat) = (out.pixels, out.attention);
    let rgb = |bytes: Vec<u8>| {
        let img = image::RgbaImage::from_raw(w, h, bytes).expect("translation returns width * height * 4 bytes");
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(img).to_rgb8())
    };
    if let (true, Some(heat)) = (attention, heat) {
        imageio::save_png_atomic(&rgb(heat), &attention_name(output))?;
    }
    let img = if pic.has_alpha {
        DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, out).expect("width * height * 4 bytes"))
    } else {
        rgb(out)
    };
    imageio::save_png_atomic(&img, output)?;
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

/// `<stem>_attention.png` beside an output file.
pub fn attention_name(output: &Path) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    output.with_file_name(format!("{stem}_attention.png"))
}
