//! The Generate mode's work for a DCGAN generator: how many images one
//! batch may hold on a device, the latents of a seed or of an interpolation
//! between two seeds (on the GPU), and running the generator over them in
//! batches. Independent of wasm-bindgen, so that it is tested natively.

use shaders::nn::generator::{latents, Generator};
use shaders::nn::layers::Mode;
use shaders::ops::{accumulate, tensor_to_image};
use shaders::{Gpu, Tensor};

/// Most images one request makes (samples, interpolation steps or latents).
pub const MAX_IMAGES: usize = 256;

/// Fewest steps of an interpolation (its two ends).
pub const MIN_STEPS: usize = 2;

/// Checks that `count` (what the request calls `what`) is within
/// 1..=[`MAX_IMAGES`] (`min` ..= for interpolation steps).
pub fn check_count(what: &str, count: usize, min: usize) -> Result<usize, String> {
    if count < min || count > MAX_IMAGES {
        return Err(format!("{what} {count} is out of range: ask for {min} to {MAX_IMAGES} images at a time."));
    }
    Ok(count)
}

/// The images per batch for `count` images of a generator (`what`) whose
/// images take `per_image` bytes, on a device whose storage bindings hold
/// `max_binding` bytes. With batch statistics (`eval` false)
/// the images share their BatchNorm statistics, so all must fit one batch;
/// in eval mode they are independent and run in batches that fit.
pub fn batch_size(per_image: u64, what: &str, count: usize, eval: bool, max_binding: u64) -> Result<usize, String> {
    let most = (max_binding / per_image.max(1)) as usize;
    if most == 0 {
        return Err(format!(
            "One image of this generator ({what}) needs {per_image} bytes in one GPU buffer, but this device \
             allows {max_binding}. Try a browser or GPU with larger storage buffers."
        ));
    }
    if !eval && count > most {
        return Err(format!(
            "{count} images with batch statistics must run as one batch (they share their BatchNorm statistics), \
             and at most {most} fit this device's GPU buffers with this generator ({what}). Ask for at most {most}, \
             or switch to eval (running statistics), which runs any number in batches."
        ));
    }
    Ok(count.min(most))
}

/// How many latents of `nz` values `len` values are; they must be finite.
pub fn latent_count(values: &[f32], nz: usize) -> Result<usize, String> {
    let len = values.len();
    if nz == 0 || len == 0 || len % nz != 0 {
        return Err(format!(
            "{len} latent values do not make whole latents of {nz} values each (this generator's nz). \
             Give N x {nz} values, N from 1 to {MAX_IMAGES}."
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("Latent value {i} is {}; latents must be finite numbers. Give finite values.", values[i]));
    }
    check_count("The latent count", len / nz, 1)
}

/// The weights of the second end at each of `steps` evenly spaced points
/// from the first end (0) to the second (1); both ends are exact.
pub fn interpolation_weights(steps: usize) -> Vec<f32> {
    let last = steps.saturating_sub(1).max(1);
    (0..steps).map(|k| if k == last { 1.0 } else { k as f32 / last as f32 }).collect()
}

/// The latents [steps, nz, 1, 1] on the straight line from seed `a`'s first
/// latent to seed `b`'s (z = (1 - t) z_a + t z_b, t from 0 to 1), computed
/// on the GPU; step 0 is exactly z_a and the last exactly z_b, the first
/// latents that [`latents`] draws for the seeds.
pub fn interpolation_latents(gpu: &Gpu, nz: usize, a: u64, b: u64, steps: usize) -> shaders::Result<Tensor> {
    let za = latents(gpu, 1, nz, a)?;
    let zb = latents(gpu, 1, nz, b)?;
    let z = Tensor::empty(gpu, &[steps, nz, 1, 1])?;
    let bytes = 4 * nz as u64;
    for (k, t) in interpolation_weights(steps).into_iter().enumerate() {
        let zk = Tensor::zeros(gpu, &[1, nz, 1, 1])?;
        accumulate(gpu, &zk, &za, 1.0 - t)?;
        accumulate(gpu, &zk, &zb, t)?;
        gpu.copy(&zk, 0, &z, k as u64 * bytes, bytes);
    }
    Ok(z)
}

/// Runs the generator on latents `z` [N, nz, 1, 1] in batches of `batch`
/// (eval mode: running statistics; else each batch's own statistics) and
/// returns N RGBA8 images, one after another, with their width and height.
pub async fn images(
    gpu: &Gpu,
    net: &dyn Generator,
    z: &Tensor,
    eval: bool,
    batch: usize,
) -> shaders::Result<(Vec<u8>, usize, usize)> {
    let (count, nz) = (z.shape()[0], z.shape()[1]);
    let mode = if eval { Mode::EVAL } else { Mode::TEST };
    let mut pixels = Vec::new();
    let (mut width, mut height) = (0, 0);
    let mut start = 0;
    while start < count {
        let n = (count - start).min(batch.max(1));
        let part = if n == count {
            z.clone()
        } else {
            let part = Tensor::empty(gpu, &[n, nz, 1, 1])?;
            gpu.copy(z, (start * nz * 4) as u64, &part, 0, (n * nz * 4) as u64);
            part
        };
        let y = net.generate(gpu, &part, mode)?;
        [_, _, height, width] = y.nchw("generate", "output")?;
        pixels.extend(tensor_to_image(gpu, &y).await?);
        start += n;
    }
    Ok((pixels, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_batches() {
        assert_eq!(check_count("count", 64, 1), Ok(64));
        let e = check_count("count", 0, 1).unwrap_err();
        assert!(e.contains("count 0 is out of range: ask for 1 to 256"), "{e}");
        assert!(check_count("steps", 1, MIN_STEPS).unwrap_err().contains("ask for 2 to 256"));
        assert!(check_count("count", 257, 1).is_err());

        // DCGAN nz 100 ngf 64: [64, 32, 32] floats per image.
        let (g, what) = (4 * 64 * 1024, "DCGAN");
        let limit = 128 << 20;
        assert_eq!(batch_size(g, what, 64, false, limit), Ok(64));
        let e = batch_size(g, what, 256, false, 32 << 20).unwrap_err();
        assert!(e.contains("at most 128 fit"), "{e}");
        assert!(e.contains("switch to eval"), "{e}");
        assert_eq!(batch_size(g, what, 256, true, 32 << 20), Ok(128));
        let e = batch_size(g, what, 1, true, 1000).unwrap_err();
        assert!(e.contains("needs 262144 bytes") && e.contains("allows 1000"), "{e}");
    }

    #[test]
    fn latent_values() {
        assert_eq!(latent_count(&[0.5; 40], 8), Ok(5));
        assert!(latent_count(&[0.5; 41], 8).unwrap_err().contains("41 latent values do not make whole latents of 8"));
        assert!(latent_count(&[], 8).is_err());
        let mut v = vec![0.0; 16];
        v[9] = f32::NAN;
        assert!(latent_count(&v, 8).unwrap_err().contains("Latent value 9 is NaN"));
        assert!(latent_count(&vec![0.0; 8 * 257], 8).unwrap_err().contains("257 is out of range"));
    }

    #[test]
    fn weights_run_from_zero_to_one() {
        assert_eq!(interpolation_weights(2), vec![0.0, 1.0]);
        assert_eq!(interpolation_weights(5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let w = interpolation_weights(7);
        assert_eq!((w[0], w[6]), (0.0, 1.0));
        assert!(w.windows(2).all(|p| p[0] < p[1]));
    }

    /// On the first adapter: the ends are the seeds' first latents exactly,
    /// the points between them the straight line within f32 rounding.
    #[test]
    fn interpolation_on_the_gpu() {
        let gpu = Gpu::new_blocking(shaders::GpuOptions::default()).expect("a WebGPU adapter (lavapipe on CI)");
        let (nz, steps) = (100, 6);
        let z = interpolation_latents(&gpu, nz, 3, 9, steps).unwrap().read_blocking(&gpu).unwrap();
        let za = latents(&gpu, 4, nz, 3).unwrap().read_blocking(&gpu).unwrap();
        let zb = latents(&gpu, 1, nz, 9).unwrap().read_blocking(&gpu).unwrap();
        assert_eq!(z.len(), steps * nz);
        assert_eq!(&z[..nz], &za[..nz], "step 0 is seed 3's first latent");
        assert_eq!(&z[(steps - 1) * nz..], &zb[..], "the last step is seed 9's first latent");
        for (k, t) in interpolation_weights(steps).into_iter().enumerate() {
            for i in 0..nz {
                let want = (1.0 - t as f64) * za[i] as f64 + t as f64 * zb[i] as f64;
                let got = z[k * nz + i] as f64;
                assert!((got - want).abs() <= 1e-6 * (1.0 + want.abs()), "step {k} value {i}: {got} vs {want}");
            }
        }
    }
}
