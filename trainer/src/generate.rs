//! `trainer generate`: images from a DCGAN generator, with latents drawn
//! from a seed or read from a `.npy` file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use image::DynamicImage;
use shaders::models::detect_generator;
use shaders::nn::generator::{latents, LoadOptions};
use shaders::nn::layers::Mode;
use shaders::{Gpu, GpuOptions, Tensor};

use crate::files::load_state_dict;
use crate::imageio::{grid, images_of, save_png_atomic};

/// Options of `trainer generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// Generator weights: a DCGAN `G.safetensors` of ours, or the reference's `netG_epoch_N.pth`
    /// (keys `main.N.*`).
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// Number of images (with --latent: the file's count).
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// Seed of the latents: the same seed gives the same images.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Take the latents from this float32 .npy file, [N, nz] or [N, nz, 1, 1], instead of drawing them.
    #[arg(long, value_name = "FILE")]
    latent: Option<PathBuf>,
    /// Folder for the images, generated_0000.png, ... (created if missing).
    #[arg(long, value_name = "DIR", default_value = "generated")]
    output: PathBuf,
    /// Also write every image into one grid (8 per row) at this path.
    #[arg(long, value_name = "FILE")]
    grid: Option<PathBuf>,
    /// Eval mode: BatchNorm uses the running statistics of the file. By default it uses the statistics of the
    /// batch being generated, as the reference's netG does in training mode.
    #[arg(long)]
    eval: bool,
}

/// Reads latents from a float32 .npy file of shape [N, nz] or [N, nz, 1, 1].
pub fn read_latents(path: &Path, nz: usize) -> Result<(usize, Vec<f32>)> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read"))?;
    let npy = npyz::NpyFile::new(&bytes[..]).with_context(|| format!("{name}: not a .npy file"))?;
    let dtype = npy.dtype();
    let shape: Vec<u64> = npy.shape().to_vec();
    match &dtype {
        npyz::DType::Plain(t) if t.to_string() == "<f4" => {}
        other => bail!("{name}: latents must be float32 (`<f4`), the file holds {}", other.descr()),
    }
    if npy.order() != npyz::Order::C {
        bail!("{name}: latents must be stored in C order, the file is Fortran-ordered");
    }
    let n = match shape[..] {
        [n, z] | [n, z, 1, 1] if z as usize == nz => n as usize,
        _ => bail!("{name}: latents of shape {shape:?}; this generator takes [N, {nz}] or [N, {nz}, 1, 1]"),
    };
    if n == 0 {
        bail!("{name}: the file holds no latents (shape {shape:?})");
    }
    let data: Vec<f32> = npy.into_vec().with_context(|| format!("{name}: cannot read the values"))?;
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        bail!("{name}: latent value {i} is {}", data[i]);
    }
    Ok((n, data))
}

/// Runs `trainer generate`.
pub fn generate(args: GenerateArgs) -> Result<()> {
    let name = args.weights.display().to_string();
    let detected =
        detect_generator(load_state_dict(&args.weights)?, &LoadOptions::default()).with_context(|| name.clone())?;
    let gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    let net = detected.build(&gpu).with_context(|| name.clone())?;
    let summary = net.summary();
    if summary.translates() {
        bail!(
            "{name}: these are the weights of a {} image translator, which takes an image rather than a latent; \
             use `trainer translate`",
            summary.architecture
        );
    }
    let nz = summary.nz;
    let latent = args.latent.as_deref().map(|p| read_latents(p, nz)).transpose()?;
    let count = latent.as_ref().map_or(args.count, |(n, _)| *n);
    if count == 0 {
        bail!("--count 0: nothing to generate; give at least 1");
    }
    // The widest tensor of each image must fit one binding.
    let most = (gpu.max_binding_bytes() / net.bytes_per_sample().max(1)).max(1) as usize;
    if !args.eval && count > most {
        bail!(
            "--count {count}: in training mode the images share their BatchNorm statistics, so they are generated \
             in one batch, and at most {most} fit this device; ask for fewer, or pass --eval (running statistics, \
             any count)"
        );
    }
    let mode = if args.eval { Mode::EVAL } else { Mode::TEST };
    eprintln!(
        "{} on {}: {count} images, {}",
        summary.architecture,
        gpu.describe(),
        if args.eval { "eval mode (running statistics)" } else { "batch statistics, as the reference's netG" }
    );
    std::fs::create_dir_all(&args.output).with_context(|| format!("{}: cannot create", args.output.display()))?;
    let z_all = match latent {
        Some((_, data)) => data,
        None => latents(&gpu, count, nz, args.seed)?.read_blocking(&gpu).context("drawing the latents")?,
    };
    let mut all = Vec::with_capacity(count);
    let mut start = 0;
    while start < count {
        let n = (count - start).min(most);
        let z = Tensor::from_slice(&gpu, &[n, nz, 1, 1], &z_all[start * nz..][..n * nz])?;
        let y = net.generate(&gpu, &z, mode)?;
        all.extend(images_of(&gpu, &y)?);
        start += n;
    }
    for (i, img) in all.iter().enumerate() {
        let path = args.output.join(format!("generated_{i:04}.png"));
        save_png_atomic(&DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(img.clone()).to_rgb8()), &path)?;
    }
    eprintln!("{count} images written to {}", args.output.display());
    if let Some(path) = &args.grid {
        save_png_atomic(&DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(grid(&all, 8)).to_rgb8()), path)?;
        eprintln!("grid written to {}", path.display());
    }
    Ok(())
}
