//! The DCGAN demo data: 64x64 images of one or two coloured shapes (discs,
//! squares, triangles) on a soft two-colour gradient, generated
//! deterministically and written as PNG files that training then reads like
//! any other folder. Few enough modes that a small DCGAN visibly learns them
//! in minutes on a CPU.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use image::{DynamicImage, Rgb, RgbImage};
use shaders::nn::layers::params::SplitMix64;

use super::order::derive_seed;
use crate::imageio::save_png_atomic;

/// Images in the data set.
pub const COUNT: usize = 384;
/// Side of each image in pixels.
pub const SIZE: u32 = 64;
/// Fixed seed: the demo data is the same on every machine and for every `--seed`.
const SEED: u64 = 0x5EA9_E5DC_6A40_0001;
/// Sub-samples per pixel side (anti-aliasing).
const SUPER: u32 = 3;

/// A saturated palette the shapes take their colours from.
const PALETTE: [[f64; 3]; 6] = [
    [0.90, 0.20, 0.20],
    [0.95, 0.75, 0.15],
    [0.20, 0.70, 0.30],
    [0.20, 0.45, 0.90],
    [0.60, 0.30, 0.80],
    [0.95, 0.95, 0.95],
];

/// Writes the demo images under `dir` (files already there are kept) and returns the folder.
pub fn ensure(dir: &Path) -> Result<PathBuf> {
    let folder = dir.join("shapes");
    std::fs::create_dir_all(&folder).with_context(|| format!("{}: cannot create", folder.display()))?;
    for i in 0..COUNT {
        let path = folder.join(format!("shapes_{i:03}.png"));
        if !path.exists() {
            save_png_atomic(&DynamicImage::ImageRgb8(shapes(derive_seed(SEED, 0, i as u64))), &path)?;
        }
    }
    Ok(folder)
}

#[derive(Clone, Copy)]
enum Kind {
    Disc,
    Square,
    Triangle,
}

struct Shape {
    kind: Kind,
    cx: f64,
    cy: f64,
    r: f64,
    color: [f64; 3],
}

impl Shape {
    /// Whether (x, y), in pixels, lies inside the shape.
    fn contains(&self, x: f64, y: f64) -> bool {
        let (dx, dy) = (x - self.cx, y - self.cy);
        match self.kind {
            Kind::Disc => dx * dx + dy * dy <= self.r * self.r,
            Kind::Square => dx.abs() <= self.r * 0.85 && dy.abs() <= self.r * 0.85,
            // Apex up: inside the three half-planes of an equilateral triangle.
            Kind::Triangle => dy <= self.r * 0.5 && dy >= -self.r + 1.732 * dx.abs(),
        }
    }
}

fn range(r: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * r.uniform()
}

/// One image from `seed`.
pub fn shapes(seed: u64) -> RgbImage {
    let mut r = SplitMix64(seed);
    let pick = |r: &mut SplitMix64, n: usize| ((r.uniform() * n as f64) as usize).min(n - 1);
    let top: [f64; 3] = std::array::from_fn(|_| range(&mut r, 0.05, 0.35));
    let bottom: [f64; 3] = std::array::from_fn(|_| range(&mut r, 0.05, 0.35));
    let count = 1 + pick(&mut r, 2);
    let s = SIZE as f64;
    let items: Vec<Shape> = (0..count)
        .map(|_| {
            let kind = [Kind::Disc, Kind::Square, Kind::Triangle][pick(&mut r, 3)];
            let rad = range(&mut r, 0.14, 0.28) * s;
            Shape {
                kind,
                cx: range(&mut r, rad, s - rad),
                cy: range(&mut r, rad, s - rad),
                r: rad,
                color: PALETTE[pick(&mut r, PALETTE.len())],
            }
        })
        .collect();
    RgbImage::from_fn(SIZE, SIZE, |px, py| {
        let mut acc = [0.0; 3];
        for sy in 0..SUPER {
            for sx in 0..SUPER {
                let x = px as f64 + (sx as f64 + 0.5) / SUPER as f64;
                let y = py as f64 + (sy as f64 + 0.5) / SUPER as f64;
                let t = y / s;
                let mut c: [f64; 3] = std::array::from_fn(|i| top[i] + (bottom[i] - top[i]) * t);
                for shape in items.iter().filter(|sh| sh.contains(x, y)) {
                    c = shape.color;
                }
                for i in 0..3 {
                    acc[i] += c[i];
                }
            }
        }
        let n = (SUPER * SUPER) as f64;
        Rgb(std::array::from_fn(|i| (acc[i] / n * 255.0).round().clamp(0.0, 255.0) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_deterministic_and_varied() {
        assert_eq!(shapes(1), shapes(1));
        assert_ne!(shapes(1), shapes(2));
        let img = shapes(3);
        assert_eq!(img.dimensions(), (SIZE, SIZE));
        let distinct: std::collections::BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 8, "a gradient and a shape: {} colours", distinct.len());
    }
}
