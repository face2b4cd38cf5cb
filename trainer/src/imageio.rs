//! Image files: decoding as the user sees them (EXIF orientation applied,
//! any bit depth and channel count), padding to the generator's size
//! multiple, and atomic PNG writes.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::{bail, Context, Result};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Rgba, RgbaImage};
use serde::{Deserialize, Serialize};
use shaders::ops::tensor_to_image_blocking;
use shaders::{Gpu, Tensor};

/// Default of `--max-image-side`.
pub const DEFAULT_MAX_SIDE: u32 = 20_000;
/// Default of `--max-image-mib`.
pub const DEFAULT_MAX_MIB: u64 = 1024;

/// What decoding one image file may take. A file's header may declare any
/// size (100000x100000 in a few hundred bytes), so both are checked from
/// the header before anything is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest width or height.
    pub max_side: u32,
    /// Largest memory for the decoded pixels (as stored, plus their 8-bit RGBA copy), in bytes.
    pub max_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits { max_side: DEFAULT_MAX_SIDE, max_bytes: DEFAULT_MAX_MIB << 20 }
    }
}

static LIMITS: RwLock<DecodeLimits> =
    RwLock::new(DecodeLimits { max_side: DEFAULT_MAX_SIDE, max_bytes: DEFAULT_MAX_MIB << 20 });

/// Sets the limits every later [`load`] and [`probe`] of this process applies.
pub fn set_limits(limits: DecodeLimits) {
    *LIMITS.write().unwrap_or_else(|e| e.into_inner()) = limits;
}

fn limits() -> DecodeLimits {
    *LIMITS.read().unwrap_or_else(|e| e.into_inner())
}

/// The decoding limits as command-line options (translate and training).
#[derive(clap::Args, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeArgs {
    /// Largest width or height of an image file that is decoded; a larger one (or a corrupt header claiming
    /// one) is an error in translate and skipped with a warning in training.
    #[arg(long, value_name = "PIXELS", default_value_t = DEFAULT_MAX_SIDE,
          value_parser = clap::value_parser!(u32).range(1..))]
    #[serde(default = "default_max_side")]
    pub max_image_side: u32,
    /// Most memory one image decode may take, in MiB: its pixels as the file stores them plus their 8-bit
    /// RGBA copy (a 24-megapixel RGB photo takes about 160 MiB).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_MIB,
          value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    #[serde(default = "default_max_mib")]
    pub max_image_mib: u64,
}

fn default_max_side() -> u32 {
    DEFAULT_MAX_SIDE
}

fn default_max_mib() -> u64 {
    DEFAULT_MAX_MIB
}

impl Default for DecodeArgs {
    fn default() -> Self {
        DecodeArgs { max_image_side: DEFAULT_MAX_SIDE, max_image_mib: DEFAULT_MAX_MIB }
    }
}

impl DecodeArgs {
    /// The limits these options set.
    pub fn limits(&self) -> DecodeLimits {
        DecodeLimits { max_side: self.max_image_side, max_bytes: self.max_image_mib << 20 }
    }
}

/// A decoded image as 8-bit RGBA plus whether its alpha channel is real.
pub struct Picture {
    /// Pixels, alpha 255 where the file had none.
    pub rgba: RgbaImage,
    /// The file carried an alpha channel.
    pub has_alpha: bool,
}

/// Checks a decoder's declared size against the limits before decoding.
fn check_size(path: &Path, decoder: &impl ImageDecoder, limits: DecodeLimits) -> Result<(u32, u32)> {
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        bail!("{}: empty image ({w}x{h})", path.display());
    }
    if w > limits.max_side || h > limits.max_side {
        bail!(
            "{}: the file declares {w}x{h} pixels, more than --max-image-side {} allows (a corrupt or hostile \
             header, or a picture to scale down first; raise the limit to decode it)",
            path.display(),
            limits.max_side
        );
    }
    let need = decoder.total_bytes().saturating_add(4 * w as u64 * h as u64);
    if need > limits.max_bytes {
        bail!(
            "{}: decoding its {w}x{h} pixels takes {} MiB, more than --max-image-mib {} allows (raise the limit \
             to decode it)",
            path.display(),
            need.div_ceil(1 << 20),
            limits.max_bytes >> 20
        );
    }
    Ok((w, h))
}

fn reader<R: std::io::BufRead + std::io::Seek>(path: &Path, r: ImageReader<R>) -> Result<ImageReader<R>> {
    let mut reader = r.with_guessed_format().with_context(|| format!("{}: cannot read", path.display()))?;
    if reader.format().is_none() {
        bail!("{}: not an image file (unrecognised format)", path.display());
    }
    // The decoders' own allocations (the PNG decoder's buffers) stay within the limit too.
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits().max_bytes);
    reader.limits(l);
    Ok(reader)
}

/// Reads only the header: the image's dimensions, within the decoding limits.
pub fn probe(path: &Path) -> Result<(u32, u32)> {
    let r = ImageReader::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let decoder = reader(path, r)?.into_decoder().with_context(|| format!("{}: cannot decode", path.display()))?;
    check_size(path, &decoder, limits())
}

/// Decodes an image file, applying its EXIF orientation. Grayscale becomes
/// RGB, 16-bit and float images are scaled to 8 bits. The size the header
/// declares is checked against the decoding limits ([`set_limits`]) before
/// anything is allocated, and a JPEG whose data ends before its end-of-image
/// marker (a truncated file, which the decoder would fill with grey) is an error.
pub fn load(path: &Path) -> Result<Picture> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let reader = reader(path, ImageReader::new(std::io::Cursor::new(&bytes[..])))?;
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_is_complete(&bytes) {
        bail!(
            "{}: truncated JPEG: its {} bytes end without the end-of-image marker after the image data (an \
             interrupted download or copy?)",
            path.display(),
            bytes.len()
        );
    }
    let mut decoder = reader.into_decoder().with_context(|| format!("{}: cannot decode", path.display()))?;
    check_size(path, &decoder, limits())?;
    let orientation = decoder.orientation().with_context(|| format!("{}: cannot read orientation", path.display()))?;
    let mut img = DynamicImage::from_decoder(decoder).with_context(|| format!("{}: cannot decode", path.display()))?;
    img.apply_orientation(orientation);
    let has_alpha = img.color().has_alpha();
    Ok(Picture { rgba: img.to_rgba8(), has_alpha })
}

/// Whether a JPEG stream has an end-of-image marker (FF D9) after its last
/// start-of-scan marker (FF DA). Inside entropy-coded data every FF byte is
/// followed by 00 or a restart marker, so neither pair occurs there by chance;
/// a file cut short ends inside a scan, without its EOI.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else { return false };
    bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
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

    #[test]
    fn jpeg_completeness_needs_eoi_after_the_last_scan() {
        assert!(jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 0xFF, 0x00, 0xFF, 0xD9]));
        assert!(jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 0xFF, 0xD9, 0, 0, 0]), "trailing bytes after EOI");
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 3]));
        // A thumbnail's EOI before the main scan does not count.
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 0xFF, 0xD9, 0xFF, 0xDA, 5, 6]));
        assert!(!jpeg_is_complete(&[0xFF, 0xD8]));
    }
}
