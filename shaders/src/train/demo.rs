//! The built-in demo domains: daytime landscapes (A) and night landscapes
//! (B), generated deterministically as independent scenes, so the pairs are
//! unaligned as in real CycleGAN data. `trainer` writes them as PNG files;
//! the browser trains on them as they are made, the same pixels.

use image::{Rgb, RgbImage};

use super::order::derive_seed;
use crate::nn::layers::params::SplitMix64;

/// Images per domain.
pub const COUNT: usize = 48;
/// Side of each image in pixels.
pub const SIZE: u32 = 80;
/// Fixed seed: the demo data is the same on every machine and for every `--seed`.
const SEED: u64 = 0x00C1_C1E6_A4DE_3000;
/// Sub-samples per pixel side (anti-aliasing).
const SUPER: u32 = 3;

/// Image `index` (0 to [`COUNT`] - 1) of domain A (day) or B (`night`).
pub fn image(index: usize, night: bool) -> RgbImage {
    landscape(derive_seed(SEED, night as u64, index as u64), night)
}

struct Hill {
    base: f64,
    waves: [(f64, f64, f64); 3],
    color: [f64; 3],
}

impl Hill {
    fn height(&self, x: f64) -> f64 {
        self.base + self.waves.iter().map(|(amp, freq, phase)| amp * (x * freq + phase).sin()).sum::<f64>()
    }
}

fn mix(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    std::array::from_fn(|i| a[i] + (b[i] - a[i]) * t)
}

fn range(r: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * r.uniform()
}

/// One scene: sky gradient, sun or moon (and stars at night), three ranges
/// of rolling hills shaded towards their foot.
pub fn landscape(seed: u64, night: bool) -> RgbImage {
    let mut r = SplitMix64(seed);
    let warmth = range(&mut r, 0.0, 1.0);
    let (sky_top, sky_low) = if night {
        ([6.0, 8.0, 30.0], mix([30.0, 32.0, 80.0], [55.0, 40.0, 90.0], warmth))
    } else {
        ([60.0, 120.0, 215.0], mix([175.0, 215.0, 245.0], [250.0, 210.0, 170.0], warmth * 0.6))
    };
    let disc = (range(&mut r, 0.15, 0.85), range(&mut r, 0.1, 0.4), range(&mut r, 0.06, 0.1));
    let disc_color = if night { [235.0, 235.0, 215.0] } else { [255.0, 235.0, 140.0] };
    let palette: [[f64; 3]; 3] = if night {
        [[58.0, 66.0, 110.0], [36.0, 56.0, 78.0], [20.0, 40.0, 46.0]]
    } else {
        [[120.0, 165.0, 140.0], [75.0, 145.0, 70.0], [45.0, 115.0, 40.0]]
    };
    let hills: Vec<Hill> = (0..3)
        .map(|k| Hill {
            base: range(&mut r, 0.38, 0.58) + 0.11 * k as f64,
            waves: std::array::from_fn(|j| {
                (
                    range(&mut r, 0.02, 0.08) / (j + 1) as f64,
                    range(&mut r, 3.0, 9.0) * (j + 1) as f64,
                    range(&mut r, 0.0, 6.3),
                )
            }),
            color: mix(palette[k], [range(&mut r, 0.0, 40.0), range(&mut r, 0.0, 40.0), 0.0], 0.15),
        })
        .collect();
    let stars: Vec<(f64, f64, f64)> = if night {
        (0..40).map(|_| (r.uniform(), range(&mut r, 0.0, 0.6), range(&mut r, 0.5, 1.0))).collect()
    } else {
        Vec::new()
    };
    let n = SIZE as f64;
    let shade = |x: f64, y: f64| -> [f64; 3] {
        for hill in hills.iter().rev() {
            let top = hill.height(x);
            if y >= top {
                let depth = ((y - top) / (1.0 - top).max(1e-3)).clamp(0.0, 1.0);
                return mix(hill.color, [hill.color[0] * 0.45, hill.color[1] * 0.45, hill.color[2] * 0.45], depth);
            }
        }
        let mut c = mix(sky_top, sky_low, (y / 0.7).clamp(0.0, 1.0));
        let d = ((x - disc.0).powi(2) + (y - disc.1).powi(2)).sqrt();
        let glow = (-((d - disc.2).max(0.0) / 0.08)).exp() * if night { 0.25 } else { 0.5 };
        c = mix(c, disc_color, if d <= disc.2 { 1.0 } else { glow });
        for &(sx, sy, b) in &stars {
            if (x - sx).abs() < 0.6 / n && (y - sy).abs() < 0.6 / n {
                c = mix(c, [255.0, 255.0, 240.0], b);
            }
        }
        c
    };
    RgbImage::from_fn(SIZE, SIZE, |px, py| {
        let mut acc = [0.0; 3];
        for sy in 0..SUPER {
            for sx in 0..SUPER {
                let x = (px as f64 + (sx as f64 + 0.5) / SUPER as f64) / n;
                let y = (py as f64 + (sy as f64 + 0.5) / SUPER as f64) / n;
                let c = shade(x, y);
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
    fn scenes_are_deterministic_and_night_is_darker() {
        assert_eq!(landscape(5, false), landscape(5, false));
        assert_ne!(landscape(5, false), landscape(6, false));
        let mean = |img: &RgbImage| img.pixels().map(|p| p.0.iter().map(|&v| v as f64).sum::<f64>()).sum::<f64>();
        assert!(mean(&landscape(1, true)) * 2.0 < mean(&landscape(1, false)));
    }
}
