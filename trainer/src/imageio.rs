//! Image files: decoding as the user sees them (EXIF orientation applied,
//! any bit depth and channel count), padding to the generator's size
//! multiple, and atomic PNG writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use image::{DynamicImage, ImageDecoder, ImageReader, Rgba, RgbaImage};
use shaders::ops::tensor_to_image_blocking;
use shaders::{Gpu, Tensor};

/// A decoded image as 8-bit RGBA plus whether its alpha channel is real.
pub struct Picture {
    /// Pixels, alpha 255 where the file had none.
    pub rgba: RgbaImage,
    /// The file carried an alpha channel.
    pub has_alpha: bool,
}

/// Decodes an image file, applying its EXIF orientation. Grayscale becomes
/// RGB, 16-bit and float images are scaled to 8 bits.
pub fn load(path: &Path) -> Result<Picture> {
    let reader = ImageReader::open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if reader.format().is_none() {
        anyhow::bail!("{}: not an image file (unrecognised format)", path.display());
    }
    let mut decoder = reader.into_decoder().with_context(|| format!("{}: cannot decode", path.display()))?;
    let orientation = decoder.orientation().with_context(|| format!("{}: cannot read orientation", path.display()))?;
    let mut img = DynamicImage::from_decoder(decoder).with_context(|| format!("{}: cannot decode", path.display()))?;
    img.apply_orientation(orientation);
    let has_alpha = img.color().has_alpha();
    Ok(Picture { rgba: img.to_rgba8(), has_alpha })
}

/// Writes `img` as PNG through a temporary file and a rename, so a failure
/// never leaves a half-written output.
pub fn save_png_atomic(img: &DynamicImage, path: &Path) -> Result<()> {
    let tmp = temp_path(path);
    let result = img
        .save_with_format(&tmp, image::ImageFormat::Png)
        .with_context(|| format!("{}: cannot write", path.display()))
        .and_then(|_| {
            std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot move into place", path.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp-<pid>` next to `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether a path has an image extension the decoder knows.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| image::ImageFormat::from_extension(e).is_some_and(|f| f.can_read()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_write_is_atomic_and_readable() {
        let dir = std::env::temp_dir().join(format!("imageio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.png");
        let img = RgbaImage::from_fn(5, 3, |x, y| image::Rgba([x as u8, y as u8, 0, 128]));
        save_png_atomic(&DynamicImage::ImageRgba8(img.clone()), &path).unwrap();
        let back = load(&path).unwrap();
        assert!(back.has_alpha);
        assert_eq!(back.rgba, img);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Tiles `images` (RGBA, all `w` x `h`) in rows of `columns` with a 2-pixel
/// border, as torchvision's make_grid(nrow=columns, padding=2).
pub fn grid(images: &[RgbaImage], columns: u32) -> RgbaImage {
    const PAD: u32 = 2;
    let (w, h) = images.first().map(|i| i.dimensions()).unwrap_or((0, 0));
    let cols = columns.min(images.len() as u32).max(1);
    let rows = (images.len() as u32).div_ceil(cols);
    let mut out = RgbaImage::from_pixel(cols * (w + PAD) + PAD, rows * (h + PAD) + PAD, Rgba([0, 0, 0, 255]));
    for (i, img) in images.iter().enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        image::imageops::replace(&mut out, img, (PAD + c * (w + PAD)) as i64, (PAD + r * (h + PAD)) as i64);
    }
    out
}

/// Reads an [N, 3, H, W] tensor in [-1, 1] back as N RGBA images.
pub fn images_of(gpu: &Gpu, t: &Tensor) -> Result<Vec<RgbaImage>> {
    let [n, _, h, w] = t.nchw("images", "tensor")?;
    let bytes = tensor_to_image_blocking(gpu, t).context("reading the images back")?;
    Ok(bytes
        .chunks_exact(w * h * 4)
        .take(n)
        .map(|b| RgbaImage::from_raw(w as u32, h as u32, b.to_vec()).expect("w * h * 4 bytes"))
        .collect())
}
