//! Decoding and preprocessing of an iteration's images into RGBA8 batches,
//! ready for `image_to_tensor`.

use std::collections::BTreeSet;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use image::{DynamicImage, RgbImage};

use super::data::Domain;
use super::options::check_net_size;
use super::order::{Order, Position};
use super::transform::Transform;
use crate::imageio;

/// One iteration's images: `n` RGBA8 images of `width` x `height` per domain.
pub struct Batch {
    /// The iteration these images belong to.
    pub pos: Position,
    /// Images per domain.
    pub n: usize,
    /// Width of every image.
    pub width: usize,
    /// Height of every image.
    pub height: usize,
    /// Domain A's pixels, images one after another.
    pub a: Vec<u8>,
    /// Domain B's pixels.
    pub b: Vec<u8>,
}

/// Builds batches; shared by the loader threads.
pub struct Loader {
    /// Domain A.
    pub a: Domain,
    /// Domain B.
    pub b: Domain,
    /// The data order.
    pub order: Order,
    /// The preprocessing.
    pub transform: Transform,
    /// Discriminator depth, for the size check of uncropped images.
    pub n_layers_d: usize,
    unreadable: Mutex<BTreeSet<(&'static str, usize)>>,
}

impl Loader {
    /// A loader over two scanned domains.
    pub fn new(a: Domain, b: Domain, order: Order, transform: Transform, n_layers_d: usize) -> Self {
        Loader { a, b, order, transform, n_layers_d, unreadable: Mutex::default() }
    }

    /// Files that failed to decode during training (each was replaced by the next readable one).
    pub fn unreadable(&self) -> usize {
        self.unreadable.lock().unwrap().len()
    }

    /// The images of the iteration at `pos`; `permutation` is `order.permutation(pos.epoch)`.
    pub fn batch(&self, permutation: &[usize], pos: Position) -> Result<Batch> {
        let picks = self.order.picks(permutation, pos);
        let mut size = None;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for p in &picks {
            for (domain, index, seed, out) in [(&self.a, p.a, p.augment_a, &mut a), (&self.b, p.b, p.augment_b, &mut b)]
            {
                let (img, path) = self.image(domain, index, seed)?;
                let dims = img.dimensions();
                match size {
                    None => {
                        self.check_size(dims, path)?;
                        size = Some((dims, path));
                    }
                    Some((first, first_path)) if first != dims => bail!(
                        "images of one batch differ in size after preprocessing: {} is {}x{}, {} is {}x{}; use \
                         --batch-size 1 or a --preprocess that crops",
                        first_path.display(),
                        first.0,
                        first.1,
                        path.display(),
                        dims.0,
                        dims.1
                    ),
                    Some(_) => {}
                }
                out.reserve(img.len() / 3 * 4);
                for px in img.pixels() {
                    out.extend_from_slice(&[px[0], px[1], px[2], 255]);
                }
            }
        }
        let ((w, h), _) = size.expect("a batch has at least one pair");
        Ok(Batch { pos, n: picks.len(), width: w as usize, height: h as usize, a, b })
    }

    fn check_size(&self, (w, h): (u32, u32), path: &std::path::Path) -> Result<()> {
        if self.transform.preprocess.crops() {
            return Ok(());
        }
        for side in [w, h] {
            check_net_size(side, self.n_layers_d, "a side of").with_context(|| {
                format!("{}: {w}x{h} after --preprocess {:?}", path.display(), self.transform.preprocess)
            })?;
        }
        Ok(())
    }

    /// Decodes and preprocesses image `index` of `domain`. A file that does
    /// not decode is reported once, counted, and replaced by the next
    /// readable one in path order (deterministically).
    fn image<'d>(&self, domain: &'d Domain, index: usize, seed: u64) -> Result<(RgbImage, &'d std::path::Path)> {
        let n = domain.len();
        for k in 0..n {
            let i = (index + k) % n;
            let path = &domain.files[i];
            match imageio::load(path) {
                Ok(pic) => {
                    let rgb = DynamicImage::ImageRgba8(pic.rgba).to_rgb8();
                    let img = self.transform.apply(rgb, seed).with_context(|| format!("{}", path.display()))?;
                    return Ok((img, path));
                }
                Err(e) => {
                    if self.unreadable.lock().unwrap().insert((domain.label, i)) {
                        eprintln!("\nwarning: skipping unreadable image {e:#}");
                    }
                }
            }
        }
        bail!("domain {} ({}): none of its {n} images could be decoded", domain.label, domain.root.display())
    }
}
