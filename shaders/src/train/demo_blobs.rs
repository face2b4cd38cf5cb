//! U-GAT-IT's built-in demo domains: round blobs (A) and square blocks (B),
//! the same colours and backgrounds, so what the model must learn is a
//! change of shape, not of colour. Each image is an independent scene (the
//! domains are unaligned); `trainer` writes them as PNG files, the browser
//! trains on them as they are made, the same pixels.

use image::{Rgb, RgbImage};

use super::order::derive_seed;
use crate::nn::layers::params::SplitMix64;

/// Images per domain.
pub const COUNT: usize = 48;
/// Side of each image in pixels (the demo crops 96, the global
/// discriminator's smallest input).
pub const SIZE: u32 = 104;
/// Fixed seed: the demo data is the same on every machine and for every `--seed`.
const SEED: u64 = 0x0B10_B5B1_0C45_0001;
/// Sub-samples per pixel side (anti-aliasing).
const SUPER: u32 = 3;

/// Image `index` (0 to [`COUNT`] - 1) of domain A (blobs) or B (`blocks`).
pub fn image(index: usize, blocks: bool) -> RgbImage {
    scene(derive_seed(SEED, blocks as u64, index as u64), blocks)
}

struct Shape {
    x: f64,
    y: f64,
    r: f64,
    color: [f64; 3],
}

/// One scene: a two-colour gradient background and two or three shapes,
/// discs or squares of the same size (a square's half side is 0.85 times the
/// disc's radius, so both cover about the same area).
pub fn scene(seed: u64, blocks: bool) -> RgbImage {
    let mut r = SplitMix64(seed);
    let mut range = |lo: f64, hi: f64| lo + (hi - lo) * r.uniform();
    const PALETTE: [[f64; 3]; 5] =
        [[230.0, 70.0, 60.0], [245.0, 200.0, 60.0], [70.0, 170.0, 90.0], [70.0, 120.0, 230.0], [200.0, 90.0, 200.0]];
    let top = [range(20.0, 60.0), range(30.0, 70.0), range(50.0, 100.0)];
    let bottom = [range(150.0, 210.0), range(150.0, 210.0), range(140.0, 200.0)];
    let count = 2 + (range(0.0, 2.0) as usize).min(1);
    let shapes: Vec<Shape> = (0..count)
        .map(|_| Shape {
            x: range(0.22, 0.78),
            y: range(0.22, 0.78),
            r: range(0.11, 0.2),
            color: PALETTE[(range(0.0, 5.0) as usize).min(4)],
        })
        .collect();
    let shade = |x: f64, y: f64| -> [f64; 3] {
        for s in shapes.iter().rev() {
            let inside = if blocks {
                (x - s.x).abs().max((y - s.y).abs()) <= 0.85 * s.r
            } else {
                (x - s.x).powi(2) + (y - s.y).powi(2) <= s.r * s.r
            };
            if inside {
                return s.color;
            }
        }
        std::array::from_fn(|i| top[i] + (bottom[i] - top[i]) * y)
    };
    let n = SIZE as f64;
    RgbImage::from_fn(SIZE, SIZE, |px, py| {
        let mut acc = [0.0; 3];
        for sy in 0..SUPER {
            for sx in 0..SUPER {
                let c = shade(
                    (px as f64 + (sx as f64 + 0.5) / SUPER as f64) / n,
                    (py as f64 + (sy as f64 + 0.5) / SUPER as f64) / n,
                );
                for i in 0..3 {
                    acc[i] += c[i];
                }
            }
        }
        let k = (SUPER * SUPER) as f64;
        Rgb(acc.map(|v| (v / k).round().clamp(0.0, 255.0) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_are_deterministic_and_differ_in_shape() {
        assert_eq!(image(3, false), image(3, false));
        assert_ne!(image(3, false), image(4, false));
        // The same seed as a blob scene and as a block scene: the same
        // colours, and the squares' corners stand out of the discs.
        let (a, b) = (scene(9, false), scene(9, true));
        assert_eq!(a.dimensions(), (SIZE, SIZE));
        let differ = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
        assert!(differ > 100, "{differ} pixels differ");
    }
}
