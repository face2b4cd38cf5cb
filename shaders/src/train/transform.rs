//! Per-image preprocessing as the reference's `get_transform`: resize
//! (bicubic), random crop, random horizontal flip.

use image::imageops::{self, FilterType};
pub use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::order::below;
use crate::error::{Error, Result};
use crate::nn::layers::params::SplitMix64;

/// Image preprocessing (the reference's `--preprocess`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preprocess {
    /// Resize to load-size x load-size (bicubic), then a random crop-size square.
    ResizeAndCrop,
    /// A random crop-size square of the image as it is.
    Crop,
    /// Scale the width to load-size keeping the aspect ratio (height at least crop-size).
    ScaleWidth,
    /// scale_width, then a random crop-size square.
    ScaleWidthAndCrop,
    /// Keep the image, resized only to make both sides multiples of 4.
    None,
    /// Scale the shorter side to load-size (bilinear), then the centre crop-size square (torchvision's
    /// Resize + CenterCrop, DCGAN's).
    CenterCrop,
}

impl Preprocess {
    /// Every value with its name (the reference's spelling) and what it does.
    pub const ALL: [(Preprocess, &'static str, &'static str); 6] = [
        (
            Preprocess::ResizeAndCrop,
            "resize_and_crop",
            "Resize to load-size x load-size (bicubic), then a random crop-size square",
        ),
        (Preprocess::Crop, "crop", "A random crop-size square of the image as it is"),
        (
            Preprocess::ScaleWidth,
            "scale_width",
            "Scale the width to load-size keeping the aspect ratio (height at least crop-size)",
        ),
        (Preprocess::ScaleWidthAndCrop, "scale_width_and_crop", "scale_width, then a random crop-size square"),
        (Preprocess::None, "none", "Keep the image, resized only to make both sides multiples of 4"),
        (
            Preprocess::CenterCrop,
            "center_crop",
            "Scale the shorter side to load-size (bilinear), then the centre crop-size square (torchvision's \
             Resize + CenterCrop, DCGAN's)",
        ),
    ];

    /// The reference's spelling.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(p, _, _)| *p == self).map(|(_, n, _)| *n).unwrap_or("")
    }

    /// Whether a random crop-size square is taken.
    pub fn crops(self) -> bool {
        matches!(self, Preprocess::ResizeAndCrop | Preprocess::Crop | Preprocess::ScaleWidthAndCrop)
    }
}

impl std::str::FromStr for Preprocess {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL.iter().find(|(_, n, _)| *n == s).map(|(p, _, _)| *p).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|(_, n, _)| *n).collect();
            format!("unknown preprocessing `{s}` (one of {})", names.join(", "))
        })
    }
}

impl std::fmt::Display for Preprocess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which half of an aligned image is the input: the reference's `--direction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Direction {
    /// The left half is A (the input), the right half B (the target).
    #[default]
    #[cfg_attr(feature = "cli", value(name = "AtoB"))]
    #[serde(rename = "AtoB")]
    AtoB,
    /// The right half is A, the left half B (facades: labels on the right).
    #[cfg_attr(feature = "cli", value(name = "BtoA"))]
    #[serde(rename = "BtoA")]
    BtoA,
}

fn data_error(msg: String) -> Error {
    Error::Data(msg)
}

/// The preprocessing of a run.
#[derive(Clone, Copy, Debug)]
pub struct Transform {
    /// `--preprocess`.
    pub preprocess: Preprocess,
    /// `--load-size`.
    pub load_size: u32,
    /// `--crop-size`.
    pub crop_size: u32,
    /// Random horizontal flips (not `--no-flip`).
    pub flip: bool,
    /// Resizes with PIL's BILINEAR, torchvision's `Resize` default (U-GAT-IT's
    /// loader), rather than the BICUBIC of pytorch-CycleGAN-and-pix2pix.
    pub bilinear: bool,
}

/// Bicubic, as PIL's BICUBIC (a = -0.5, widened when shrinking).
const BICUBIC: FilterType = FilterType::CatmullRom;
/// Bilinear, as PIL's BILINEAR (a triangle, widened when shrinking): torchvision's Resize default.
pub const BILINEAR: FilterType = FilterType::Triangle;

impl Transform {
    /// Preprocesses one image; crop position and flip come from `seed`.
    pub fn apply(&self, img: RgbImage, seed: u64) -> Result<RgbImage> {
        let mut rng = SplitMix64(seed);
        let (load, crop) = (self.load_size, self.crop_size);
        let mut img = match self.preprocess {
            Preprocess::ResizeAndCrop => self.resize(img, load, load),
            Preprocess::ScaleWidth | Preprocess::ScaleWidthAndCrop => {
                let (w, h) = scale_width_size(img.dimensions(), load, crop);
                self.resize(img, w, h)
            }
            Preprocess::Crop => img,
            Preprocess::CenterCrop => {
                let (w, h) = shorter_side_size(img.dimensions(), load);
                let img = if img.dimensions() == (w, h) { img } else { imageops::resize(&img, w, h, BILINEAR) };
                if w < crop || h < crop {
                    return Err(data_error(format!("image is {w}x{h} after scaling, smaller than the crop {crop}")));
                }
                // torchvision's CenterCrop: offsets int(round((side - crop) / 2)).
                let x = ((w - crop) as f64 / 2.0).round_ties_even() as u32;
                let y = ((h - crop) as f64 / 2.0).round_ties_even() as u32;
                imageops::crop_imm(&img, x, y, crop, crop).to_image()
            }
            Preprocess::None => {
                let (w, h) = img.dimensions();
                let (nw, nh) = (multiple_of_4(w), multiple_of_4(h));
                if nw == 0 || nh == 0 {
                    return Err(data_error(format!("image is {w}x{h}; too small to train on")));
                }
                self.resize(img, nw, nh)
            }
        };
        if self.preprocess.crops() {
            let (w, h) = img.dimensions();
            if w < crop || h < crop {
                return Err(data_error(format!(
                    "image is {w}x{h} after preprocessing, smaller than --crop-size {crop}"
                )));
            }
            let y = below(&mut rng, (h - crop + 1) as usize) as u32;
            let x = below(&mut rng, (w - crop + 1) as usize) as u32;
            if (w, h) != (crop, crop) {
                img = imageops::crop_imm(&img, x, y, crop, crop).to_image();
            }
        }
        if self.flip && rng.uniform() < 0.5 {
            imageops::flip_horizontal_in_place(&mut img);
        }
        Ok(img)
    }
}

/// Whether a `w` x `h` image is an aligned A|B pair: two squares side by
/// side, so an even width twice the height.
pub fn is_pair((w, h): (u32, u32)) -> bool {
    w % 2 == 0 && w as u64 == 2 * h as u64
}

/// The halves of an aligned pair (the reference's `w2 = w // 2`) as (A, B):
/// left then right, or with `b_to_a` (`--direction BtoA`) right then left.
pub fn split_pair(img: &RgbImage, b_to_a: bool) -> (RgbImage, RgbImage) {
    let (w, h) = img.dimensions();
    let w2 = w / 2;
    let left = imageops::crop_imm(img, 0, 0, w2, h).to_image();
    let right = imageops::crop_imm(img, w2, 0, w - w2, h).to_image();
    if b_to_a {
        (right, left)
    } else {
        (left, right)
    }
}

impl Transform {
    fn resize(&self, img: RgbImage, w: u32, h: u32) -> RgbImage {
        if img.dimensions() == (w, h) {
            img
        } else {
            imageops::resize(&img, w, h, if self.bilinear { BILINEAR } else { BICUBIC })
        }
    }
}

/// The reference's `__scale_width`: width `load`, aspect ratio kept, height
/// truncated and at least `crop`; unchanged if already that wide and tall enough.
pub fn scale_width_size((ow, oh): (u32, u32), load: u32, crop: u32) -> (u32, u32) {
    if ow == load && oh >= crop {
        return (ow, oh);
    }
    let h = (load as f64 * oh as f64 / ow as f64) as u32;
    (load, h.max(crop))
}

/// torchvision's Resize(size) for an int size: the shorter side becomes
/// `size`, the longer `int(size * long / short)`.
pub fn shorter_side_size((w, h): (u32, u32), size: u32) -> (u32, u32) {
    let long = |l: u32, s: u32| ((size as f64 * l as f64 / s as f64) as u32).max(1);
    if w <= h {
        (size, long(h, w))
    } else {
        (long(w, h), size)
    }
}

/// The reference's `__make_power_2` with base 4: Python's round (half to even).
pub fn multiple_of_4(n: u32) -> u32 {
    (n as f64 / 4.0).round_ties_even() as u32 * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(preprocess: Preprocess, flip: bool) -> Transform {
        Transform { preprocess, load_size: 12, crop_size: 8, flip, bilinear: false }
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 7]))
    }

    #[test]
    fn sizes_follow_the_reference() {
        assert_eq!(t(Preprocess::ResizeAndCrop, true).apply(gradient(30, 20), 1).unwrap().dimensions(), (8, 8));
        assert_eq!(t(Preprocess::Crop, true).apply(gradient(30, 20), 1).unwrap().dimensions(), (8, 8));
        assert_eq!(t(Preprocess::ScaleWidth, false).apply(gradient(24, 10), 1).unwrap().dimensions(), (12, 8));
        assert_eq!(t(Preprocess::ScaleWidth, false).apply(gradient(24, 30), 1).unwrap().dimensions(), (12, 15));
        assert_eq!(t(Preprocess::ScaleWidthAndCrop, true).apply(gradient(24, 30), 1).unwrap().dimensions(), (8, 8));
        assert_eq!(t(Preprocess::None, false).apply(gradient(30, 21), 1).unwrap().dimensions(), (32, 20));
        assert_eq!(t(Preprocess::CenterCrop, false).apply(gradient(30, 20), 1).unwrap().dimensions(), (8, 8));
        assert_eq!(shorter_side_size((30, 20), 8), (12, 8));
        assert_eq!(shorter_side_size((20, 31), 8), (8, 12));
        assert_eq!((multiple_of_4(10), multiple_of_4(14), multiple_of_4(13)), (8, 16, 12));
        let e = t(Preprocess::Crop, true).apply(gradient(30, 6), 1).unwrap_err().to_string();
        assert!(e.contains("smaller than --crop-size 8"), "{e}");
    }

    #[test]
    fn crop_is_exact_and_seeded() {
        let src = gradient(30, 20);
        let out = t(Preprocess::Crop, false).apply(src.clone(), 5).unwrap();
        // The crop is a window of the source: find its offset from the gradient.
        let p = out.get_pixel(0, 0);
        let (x, y) = (p[0] as u32 / 8, p[1] as u32 / 8);
        assert_eq!(out, imageops::crop_imm(&src, x, y, 8, 8).to_image());
        assert_eq!(out, t(Preprocess::Crop, false).apply(src.clone(), 5).unwrap());
        let offsets: std::collections::HashSet<(u8, u8)> = (0..40)
            .map(|s| {
                let p = *t(Preprocess::Crop, false).apply(src.clone(), s).unwrap().get_pixel(0, 0);
                (p[0], p[1])
            })
            .collect();
        assert!(offsets.len() > 10, "crops vary with the seed");
        let flips = (0..40)
            .filter(|&s| {
                let a = t(Preprocess::Crop, true).apply(src.clone(), s).unwrap();
                a.get_pixel(0, 0)[0] > a.get_pixel(7, 0)[0]
            })
            .count();
        assert!((8..=32).contains(&flips), "about half the images are flipped: {flips} of 40");
    }

    #[test]
    fn one_seed_gives_two_images_the_same_geometry() {
        // Two halves of an aligned pair: the same coordinates in red and green, different blue.
        let half = |blue: u8| RgbImage::from_fn(20, 14, |x, y| image::Rgb([(x * 12) as u8, (y * 12) as u8, blue]));
        let mut flipped = 0;
        for preprocess in [Preprocess::ResizeAndCrop, Preprocess::Crop, Preprocess::ScaleWidthAndCrop] {
            for seed in 0..30 {
                let a = t(preprocess, true).apply(half(0), seed).unwrap();
                let b = t(preprocess, true).apply(half(200), seed).unwrap();
                assert_eq!(a.dimensions(), b.dimensions());
                for (pa, pb) in a.pixels().zip(b.pixels()) {
                    assert_eq!((pa[0], pa[1]), (pb[0], pb[1]), "{preprocess:?} seed {seed}");
                    assert_eq!((pa[2], pb[2]), (0, 200));
                }
                flipped += (a.get_pixel(0, 0)[0] > a.get_pixel(7, 0)[0]) as usize;
            }
        }
        assert!((15..=75).contains(&flipped), "flips happen: {flipped} of 90");
    }
}
