//! The training images of a domain: every decodable image under a folder,
//! recursively, sorted by path; and the two kinds of training data, two
//! unaligned domains (CycleGAN) or one folder of side-by-side A|B pairs
//! (pix2pix, the reference's aligned dataset).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::RgbImage;
use shaders::train::order::Order;

use crate::imageio;

/// One domain's images.
pub struct Domain {
    /// "A" or "B".
    pub label: &'static str,
    /// The folder searched.
    pub root: PathBuf,
    /// Image files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Their stored width and height (before EXIF rotation).
    pub sizes: Vec<(u32, u32)>,
    /// Files with an image extension whose header could not be read.
    pub skipped: usize,
}

/// Deepest folder nesting searched (guards against symlink loops).
const MAX_DEPTH: usize = 32;

impl Domain {
    /// Lists the images under `root`. Files with an image extension whose
    /// header does not decode are skipped with a warning and counted; a
    /// missing folder or one without images is an error naming `flag`.
    pub fn scan(label: &'static str, flag: &str, root: &Path) -> Result<Domain> {
        if !root.exists() {
            bail!("{flag} {}: no such folder", root.display());
        }
        if !root.is_dir() {
            bail!("{flag} {}: not a folder (give the folder that holds the domain's images)", root.display());
        }
        let mut candidates = Vec::new();
        walk(root, 0, &mut candidates)?;
        candidates.sort();
        let mut files = Vec::with_capacity(candidates.len());
        let mut sizes = Vec::with_capacity(candidates.len());
        let mut skipped = 0;
        for path in candidates {
            match imageio::probe(&path) {
                Ok(size) => {
                    files.push(path);
                    sizes.push(size);
                }
                Err(e) => {
                    skipped += 1;
                    eprintln!("warning: skipping {e:#}");
                }
            }
        }
        if files.is_empty() {
            let also = if skipped > 0 { format!(" ({skipped} unreadable image files skipped)") } else { String::new() };
            bail!(
                "{flag} {}: no images found in this folder or its subfolders{also}; expected png, jpg, bmp, webp, \
                 tiff or gif files",
                root.display()
            );
        }
        Ok(Domain { label, root: root.to_path_buf(), files, sizes, skipped })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Checks, from the headers `scan` read, that every image is an aligned
    /// A|B pair (see [`check_pair_size`]); the error names the first file
    /// that is not and counts the others.
    pub fn check_aligned(&self) -> Result<()> {
        let mut bad = self.files.iter().zip(&self.sizes).filter_map(|(p, &size)| check_pair_size(p, size).err());
        let Some(first) = bad.next() else { return Ok(()) };
        match bad.count() {
            0 => Err(first),
            more => bail!("{first} ({more} more images in {} are not A|B pairs either)", self.root.display()),
        }
    }
}

pub use shaders::train::transform::Direction;

/// The training data of a run.
pub enum Source {
    /// Two folders of unrelated images (CycleGAN).
    Unaligned {
        /// Domain A.
        a: Domain,
        /// Domain B.
        b: Domain,
    },
    /// One folder of A|B pairs side by side (pix2pix).
    Aligned {
        /// The pair images, checked with [`Domain::check_aligned`].
        pairs: Domain,
        /// Which half is the input.
        direction: Direction,
    },
    /// One folder of A|B pairs taken apart: A from one pair, B from
    /// another, drawn independently (DiscoGAN on edges2* data, whose
    /// reference shuffles the A and B lists separately).
    Halves {
        /// The pair images, checked with [`Domain::check_aligned`].
        pairs: Domain,
        /// Which half is A.
        direction: Direction,
    },
    /// One folder of images (DCGAN).
    Single {
        /// The images.
        images: Domain,
    },
}

impl Source {
    /// Aligned data: the pairs must all be A|B images (checked from their headers).
    pub fn aligned(pairs: Domain, direction: Direction) -> Result<Source> {
        pairs.check_aligned()?;
        Ok(Source::Aligned { pairs, direction })
    }

    /// Images of A and B: |A| and |B|, or the number of pairs twice.
    pub fn lens(&self) -> [usize; 2] {
        match self {
            Source::Unaligned { a, b } => [a.len(), b.len()],
            Source::Aligned { pairs, .. } => [pairs.len(); 2],
            Source::Single { images } => [images.len(); 2],
            Source::Halves { pairs, .. } => [pairs.len(); 2],
        }
    }

    /// Files skipped by the scans because their headers did not decode.
    pub fn skipped(&self) -> usize {
        match self {
            Source::Unaligned { a, b } => a.skipped + b.skipped,
            Source::Aligned { pairs, .. } => pairs.skipped,
            Source::Single { images } => images.skipped,
            Source::Halves { pairs, .. } => pairs.skipped,
        }
    }

    /// Whether each iteration takes one index per image (aligned pairs, or
    /// a single folder) rather than one into each of two domains.
    pub fn is_aligned(&self) -> bool {
        matches!(self, Source::Aligned { .. } | Source::Single { .. })
    }

    /// The data order of these images.
    pub fn order(&self, batch_size: usize, serial: bool, seed: u64) -> Order {
        let [a, b] = self.lens();
        if self.is_aligned() {
            Order::aligned(a, batch_size, serial, seed)
        } else {
            Order::unaligned(a, b, batch_size, serial, seed)
        }
    }
}

/// An aligned image must be an A|B pair: even width, twice its height.
pub fn check_pair_size(path: &Path, (w, h): (u32, u32)) -> Result<()> {
    if !shaders::train::transform::is_pair((w, h)) {
        bail!(
            "{}: {w}x{h}: an aligned image is an A|B pair side by side, so its width must be even and twice its \
             height",
            path.display()
        );
    }
    Ok(())
}

/// Splits an aligned image into its left and right halves (the reference's
/// `w2 = w // 2`), after checking its size with [`check_pair_size`], and
/// returns them as (A, B) in `direction`.
pub fn split_pair(img: &RgbImage, path: &Path, direction: Direction) -> Result<(RgbImage, RgbImage)> {
    let (w, h) = img.dimensions();
    check_pair_size(path, (w, h))?;
    Ok(shaders::train::transform::split_pair(img, direction == Direction::BtoA))
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    if depth > MAX_DEPTH {
        bail!("{}: folders nested deeper than {MAX_DEPTH} levels (a symlink loop?)", dir.display());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, depth + 1, out)?;
        } else if path.is_file() && imageio::is_image_path(&path) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_is_recursive_sorted_and_skips_broken_files() {
        let dir = std::env::temp_dir().join(format!("train-data-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
        let img = image::RgbImage::from_pixel(4, 3, image::Rgb([1, 2, 3]));
        for p in ["b.png", "a.jpg", "sub/c.png", "sub/deeper/d.bmp"] {
            img.save(dir.join(p)).unwrap();
        }
        std::fs::write(dir.join("broken.png"), b"not a png").unwrap();
        std::fs::write(dir.join("notes.txt"), b"text").unwrap();
        std::fs::write(dir.join(".hidden.png"), b"x").unwrap();
        let d = Domain::scan("A", "--domain-a", &dir).unwrap();
        let names: Vec<String> =
            d.files.iter().map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.jpg", "b.png", "sub/c.png", "sub/deeper/d.bmp"]);
        assert_eq!(d.sizes, vec![(4, 3); 4]);
        assert_eq!(d.skipped, 1);
        let empty = dir.join("sub/empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = Domain::scan("B", "--domain-b", &empty).err().unwrap().to_string();
        assert!(e.contains("--domain-b") && e.contains("no images"), "{e}");
        let e = Domain::scan("B", "--domain-b", &dir.join("missing")).err().unwrap().to_string();
        assert!(e.contains("no such folder"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn domain(sizes: &[(u32, u32)]) -> Domain {
        let files = (0..sizes.len()).map(|i| PathBuf::from(format!("facades/train/{}.jpg", i + 1))).collect();
        Domain { label: "AB", root: "facades/train".into(), files, sizes: sizes.to_vec(), skipped: 0 }
    }

    #[test]
    fn aligned_images_must_be_pairs_of_squares() {
        check_pair_size(Path::new("x.png"), (512, 256)).unwrap();
        let e = check_pair_size(Path::new("facades/train/1.jpg"), (513, 256)).unwrap_err().to_string();
        assert_eq!(
            e,
            "facades/train/1.jpg: 513x256: an aligned image is an A|B pair side by side, so its width must be even \
             and twice its height"
        );
        let e = check_pair_size(Path::new("a.png"), (256, 256)).unwrap_err().to_string();
        assert!(e.starts_with("a.png: 256x256: "), "{e}");
        domain(&[(8, 4), (16, 8)]).check_aligned().unwrap();
        let e = domain(&[(8, 4), (9, 4), (8, 8), (6, 3)]).check_aligned().unwrap_err().to_string();
        assert!(e.starts_with("facades/train/2.jpg: 9x4: ") && e.contains("(1 more images in facades/train"), "{e}");
        let e = Source::aligned(domain(&[(8, 8)]), Direction::AtoB).err().unwrap().to_string();
        assert!(e.starts_with("facades/train/1.jpg: 8x8: "), "{e}");
        let source = Source::aligned(domain(&[(8, 4), (16, 8)]), Direction::BtoA).unwrap();
        assert_eq!((source.lens(), source.is_aligned()), ([2, 2], true));
    }

    #[test]
    fn split_takes_left_and_right_halves() {
        let img = RgbImage::from_fn(8, 4, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let path = Path::new("p.png");
        let (a, b) = split_pair(&img, path, Direction::AtoB).unwrap();
        assert_eq!((a.dimensions(), b.dimensions()), ((4, 4), (4, 4)));
        assert_eq!((a.get_pixel(0, 1).0, b.get_pixel(0, 1).0, b.get_pixel(3, 3).0), ([0, 1, 0], [4, 1, 0], [7, 3, 0]));
        let (a2, b2) = split_pair(&img, path, Direction::BtoA).unwrap();
        assert_eq!((a2, b2), (b, a));
        let e = split_pair(&RgbImage::new(7, 4), path, Direction::AtoB).unwrap_err().to_string();
        assert!(e.starts_with("p.png: 7x4: "), "{e}");
    }

    #[test]
    fn direction_is_spelt_as_the_reference() {
        use clap::ValueEnum;
        assert_eq!(serde_json::to_string(&Direction::BtoA).unwrap(), "\"BtoA\"");
        assert_eq!(serde_json::from_str::<Direction>("\"AtoB\"").unwrap(), Direction::AtoB);
        assert_eq!(Direction::from_str("BtoA", false).unwrap(), Direction::BtoA);
        assert!(Direction::from_str("b_to_a", false).is_err());
    }
}
