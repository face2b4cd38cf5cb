//! Image decoding as the trainer decodes a file (trainer/src/imageio.rs:
//! format guessed from the bytes, EXIF orientation applied, converted to
//! 8-bit RGBA), under decoding limits.
#![no_main]

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use libfuzzer_sys::fuzz_target;

/// The trainer's decode path on bytes. Keep in step with
/// trainer/src/imageio.rs (its limits included): this is the one call to
/// switch when the trainer's decoder moves to a library function.
fn decode(bytes: &[u8]) -> Result<image::RgbaImage, image::ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().expect("reading from memory");
    let mut limits = Limits::default();
    limits.max_alloc = Some(64 << 20);
    limits.max_image_width = Some(16384);
    limits.max_image_height = Some(16384);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    Ok(img.to_rgba8())
}

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
});
