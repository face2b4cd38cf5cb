//! The training images of a domain: every decodable image under a folder,
//! recursively, sorted by path.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

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
            match probe(&path) {
                Ok(size) => {
                    files.push(path);
                    sizes.push(size);
                }
                Err(e) => {
                    skipped += 1;
                    eprintln!("warning: skipping {}: {e:#}", path.display());
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

/// Reads only the header: format and dimensions.
fn probe(path: &Path) -> Result<(u32, u32)> {
    let reader = image::ImageReader::open(path).context("cannot open")?.with_guessed_format().context("cannot read")?;
    if reader.format().is_none() {
        bail!("not an image (unrecognised format)");
    }
    let (w, h) = reader.into_dimensions().context("cannot decode")?;
    if w == 0 || h == 0 {
        bail!("empty image ({w}x{h})");
    }
    Ok((w, h))
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
}
