//! The built-in demo: the procedural day (A) and night (B) landscapes of
//! [`shaders::train::demo`], written as PNG files that training then reads
//! like any other folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use image::DynamicImage;
pub use shaders::train::demo::{COUNT, SIZE};

use crate::imageio::save_png_atomic;

/// Writes the demo domains under `dir` (files already there are kept) and
/// returns the folders of domain A and B.
pub fn ensure(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let a = dir.join("trainA");
    let b = dir.join("trainB");
    for (folder, night, prefix) in [(&a, false, "day"), (&b, true, "night")] {
        std::fs::create_dir_all(folder).with_context(|| format!("{}: cannot create", folder.display()))?;
        for i in 0..COUNT {
            let path = folder.join(format!("{prefix}_{i:03}.png"));
            if !path.exists() {
                let img = shaders::train::demo::image(i, night);
                save_png_atomic(&DynamicImage::ImageRgb8(img), &path)?;
            }
        }
    }
    Ok((a, b))
}

/// Writes U-GAT-IT's demo domains (blobs A, blocks B) under `dir` (files
/// already there are kept) and returns the folders of domain A and B.
pub fn ensure_blobs(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    use shaders::train::demo_blobs;
    let a = dir.join("trainA");
    let b = dir.join("trainB");
    for (folder, blocks, prefix) in [(&a, false, "blob"), (&b, true, "block")] {
        std::fs::create_dir_all(folder).with_context(|| format!("{}: cannot create", folder.display()))?;
        for i in 0..demo_blobs::COUNT {
            let path = folder.join(format!("{prefix}_{i:03}.png"));
            if !path.exists() {
                save_png_atomic(&DynamicImage::ImageRgb8(demo_blobs::image(i, blocks)), &path)?;
            }
        }
    }
    Ok((a, b))
}
