//! The reference's ImagePool (`util/image_pool.py`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::{HostTensor, StateDict};
use crate::nn::layers::params::SplitMix64;
use crate::tensor::Tensor;

/// Up to `size` earlier fakes; each query returns, per image, either the new
/// fake (adding it while the pool fills, or with probability 1/2 once full)
/// or a random pooled one that the new fake replaces. Size 0 returns the
/// fakes as they are.
pub struct ImagePool {
    size: usize,
    images: Vec<Tensor>,
}

impl ImagePool {
    /// An empty pool of `size` images.
    pub fn new(size: usize) -> ImagePool {
        ImagePool { size, images: Vec::new() }
    }

    /// The pooled fakes for a batch of new ones; `rng` draws the choices.
    pub fn query(&mut self, gpu: &Gpu, fakes: &Tensor, rng: &mut SplitMix64) -> Result<Tensor> {
        if self.size == 0 {
            return Ok(fakes.clone());
        }
        let [n, c, h, w] = fakes.nchw("ImagePool", "fakes")?;
        let one = (c * h * w * 4) as u64;
        let out = if n == 1 { None } else { Some(Tensor::empty(gpu, fakes.shape())?) };
        let mut result = fakes.clone();
        for i in 0..n {
            let image = if n == 1 {
                fakes.clone()
            } else {
                let t = Tensor::empty(gpu, &[1, c, h, w])?;
                gpu.copy(fakes, i as u64 * one, &t, 0, one);
                t
            };
            let chosen = if self.images.len() < self.size {
                self.images.push(image.clone());
                image
            } else if rng.uniform() > 0.5 {
                let id = (rng.next_u64() % self.size as u64) as usize;
                std::mem::replace(&mut self.images[id], image)
            } else {
                image
            };
            match &out {
                Some(o) => gpu.copy(&chosen, 0, o, i as u64 * one, one),
                None => result = chosen,
            }
        }
        Ok(out.unwrap_or(result))
    }

    /// The pooled images as a state_dict (`pool.00000`, ... oldest first).
    pub async fn state(&self, gpu: &Gpu) -> Result<StateDict> {
        let mut sd = StateDict::new();
        for (i, t) in self.images.iter().enumerate() {
            sd.insert(format!("pool.{i:05}"), HostTensor::new(t.shape().to_vec(), t.read(gpu).await?))
                .map_err(|e| Error::Network(e.to_string()))?;
        }
        Ok(sd)
    }

    /// Refills the pool from a saved [`ImagePool::state`].
    pub fn restore(&mut self, gpu: &Gpu, sd: &StateDict) -> Result<()> {
        self.images = sd.iter().map(|(_, t)| Tensor::from_slice(gpu, &t.shape, &t.data)).collect::<Result<_>>()?;
        self.images.truncate(self.size);
        Ok(())
    }
}
