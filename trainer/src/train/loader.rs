//! Decoding and preprocessing of an iteration's images into RGBA8 batches,
//! ready for `image_to_tensor`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use image::{DynamicImage, RgbImage};

use super::data::{split_pair, Direction, Domain, Source};
use super::options::SizeCheck;
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
    /// Domain B's pixels (empty for a single folder of images).
    pub b: Vec<u8>,
}

/// Builds batches; shared by the loader threads.
pub struct Loader {
    /// The images.
    pub source: Source,
    /// The data order (made for `source`).
    pub order: Order,
    /// The preprocessing.
    pub transform: Transform,
    /// The sides the networks take, for the size check of uncropped images.
    pub sizes: SizeCheck,
    unreadable: Mutex<BTreeSet<(&'static str, usize)>>,
}

impl Loader {
    /// A loader over `source`; `order` must be `source.order(..)`.
    pub fn from_source(source: Source, order: Order, transform: Transform, sizes: SizeCheck) -> Self {
        assert!(
            source.lens() == [order.len_a, order.len_b] && source.is_aligned() == order.aligned,
            "the data order was made for other data"
        );
        Loader { source, order, transform, sizes, unreadable: Mutex::default() }
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
            let images = match &self.source {
                Source::Unaligned { a, b } => {
                    vec![self.image(a, p.a, p.augment_a)?, self.image(b, p.b, p.augment_b)?]
                }
                Source::Aligned { pairs, direction } => self.pair(pairs, *direction, p.a, p.augment_a)?.into(),
                Source::Single { images } => vec![self.image(images, p.a, p.augment_a)?],
                Source::Halves { pairs, direction } => {
                    let [a, _] = self.pair(pairs, *direction, p.a, p.augment_a)?;
                    let [_, b] = self.pair(pairs, *direction, p.b, p.augment_b)?;
                    vec![a, b]
                }
            };
            for ((img, path), out) in images.into_iter().zip([&mut a, &mut b]) {
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

    fn check_size(&self, (w, h): (u32, u32), path: &Path) -> Result<()> {
        if self.transform.preprocess.crops() {
            return Ok(());
        }
        for side in [w, h] {
            self.sizes.check(side, "a side of").map_err(anyhow::Error::msg).with_context(|| {
                format!("{}: {w}x{h} after --preprocess {:?}", path.display(), self.transform.preprocess)
            })?;
        }
        Ok(())
    }

    /// Decodes and preprocesses image `index` of `domain`.
    fn image<'d>(&self, domain: &'d Domain, index: usize, seed: u64) -> Result<(RgbImage, &'d Path)> {
        let (rgb, path) = self.decode(domain, index)?;
        let img = self.transform.apply(rgb, seed).with_context(|| format!("{}", path.display()))?;
        Ok((img, path))
    }

    /// Decodes aligned image `index` of `pairs` and splits it into its A and
    /// B halves, which get the same preprocessing (one `seed`, so the same
    /// resize, crop and flip).
    fn pair<'d>(
        &self,
        pairs: &'d Domain,
        direction: Direction,
        index: usize,
        seed: u64,
    ) -> Result<[(RgbImage, &'d Path); 2]> {
        let (rgb, path) = self.decode(pairs, index)?;
        let (a, b) = split_pair(&rgb, path, direction)?;
        let ctx = || format!("{}", path.display());
        Ok([
            (self.transform.apply(a, seed).with_context(ctx)?, path),
            (self.transform.apply(b, seed).with_context(ctx)?, path),
        ])
    }

    /// Decodes image `index` of `domain` as RGB. A file that does not decode
    /// is reported once, counted, and replaced by the next readable one in
    /// path order (deterministically).
    fn decode<'d>(&self, domain: &'d Domain, index: usize) -> Result<(RgbImage, &'d Path)> {
        let n = domain.len();
        for k in 0..n {
            let i = (index + k) % n;
            let path = &domain.files[i];
            match imageio::load(path) {
                Ok(pic) => return Ok((DynamicImage::ImageRgba8(pic.rgba).to_rgb8(), path)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::options::Preprocess;

    /// Pair `i`: both halves hold their own coordinates in red and green; blue is 10 i on the left, 10 i + 100
    /// on the right.
    fn write_pairs(dir: &Path, count: u8) {
        std::fs::create_dir_all(dir).unwrap();
        for i in 0..count {
            let img = RgbImage::from_fn(40, 20, |x, y| {
                let (half, x) = (x / 20, x % 20);
                image::Rgb([(x * 12) as u8, (y * 12) as u8, 10 * i + 100 * half as u8])
            });
            img.save(dir.join(format!("{i}.png"))).unwrap();
        }
    }

    fn loader(dir: &Path, direction: Direction, serial: bool, preprocess: Preprocess) -> Loader {
        let source = Source::aligned(Domain::scan("AB", "--dataroot", dir).unwrap(), direction).unwrap();
        let order = source.order(2, serial, 3);
        let transform = Transform { preprocess, load_size: 12, crop_size: 8, flip: true, bilinear: false };
        Loader::from_source(
            source,
            order,
            transform,
            SizeCheck { multiple: 4, min: 8, min_by: "the generator", d_layers: Some(3) },
        )
    }

    #[test]
    fn aligned_halves_share_index_and_geometry() {
        let dir = std::env::temp_dir().join(format!("train-loader-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_pairs(&dir, 5);
        for (direction, serial, preprocess) in [
            (Direction::AtoB, true, Preprocess::Crop),
            (Direction::BtoA, false, Preprocess::Crop),
            (Direction::AtoB, false, Preprocess::ResizeAndCrop),
        ] {
            let l = loader(&dir, direction, serial, preprocess);
            assert_eq!(l.order.iters_per_epoch(), 3);
            let mut seen = Vec::new();
            let mut flips = 0;
            for pos in l.order.positions(Position::start(), 9) {
                let perm = l.order.permutation(pos.epoch);
                let batch = l.batch(&perm, pos).unwrap();
                // Five pairs in batches of 2: the epoch's last batch holds one.
                let n = if pos.epoch_iter == 2 { 1 } else { 2 };
                assert_eq!((batch.n, batch.width, batch.height), (n, 8, 8));
                let picks = l.order.picks(&perm, pos);
                for (k, pick) in picks.iter().enumerate() {
                    seen.push(pick.a);
                    let (a, b) = (&batch.a[k * 256..(k + 1) * 256], &batch.b[k * 256..(k + 1) * 256]);
                    let blue = [10 * pick.a as u8, 10 * pick.a as u8 + 100];
                    let blue = if direction == Direction::AtoB { blue } else { [blue[1], blue[0]] };
                    for (pa, pb) in a.chunks(4).zip(b.chunks(4)) {
                        assert_eq!((pa[0], pa[1]), (pb[0], pb[1]), "the same crop and flip for both halves");
                        assert_eq!([pa[2], pb[2], pa[3], pb[3]], [blue[0], blue[1], 255, 255]);
                    }
                    flips += (a[0] > a[7 * 4]) as usize;
                }
            }
            if serial {
                assert_eq!(seen, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
            } else {
                assert_eq!(seen[..5].iter().copied().collect::<BTreeSet<_>>().len(), 5);
            }
            assert!((2..=13).contains(&flips), "{flips} of 15 flipped");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn aligned_data_refuses_images_that_are_not_pairs() {
        let dir = std::env::temp_dir().join(format!("train-loader-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_pairs(&dir, 2);
        RgbImage::new(30, 20).save(dir.join("odd.png")).unwrap();
        let e = Source::aligned(Domain::scan("AB", "--dataroot", &dir).unwrap(), Direction::AtoB).err().unwrap();
        let e = e.to_string();
        assert!(e.contains("odd.png: 30x20: an aligned image is an A|B pair") && e.contains("twice its height"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
