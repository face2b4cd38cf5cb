//! The built-in aligned demo for pix2pix: label maps -> building facades,
//! generated deterministically and written as side-by-side PNG pairs that
//! training then reads like any other aligned folder. Each pair shows, on
//! the left, a facade label map in flat class colours (sky, roof, wall,
//! windows, door) and, on the right, the same geometry rendered as a shaded,
//! textured building, so the translation A -> B (`--direction AtoB`) is
//! learnable. (The real facades data set has them the other way round and
//! trains with `--direction BtoA`.)
//!
//! The renderer uses only arithmetic, floor and comparisons on f64 (no
//! transcendental functions), so the files are identical on every machine.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use image::{DynamicImage, Rgb, RgbImage};
use shaders::nn::layers::params::SplitMix64;

use super::order::derive_seed;
use crate::imageio::save_png_atomic;

/// Pairs written.
pub const COUNT: usize = 48;
/// Side of each half in pixels: the files are 2 * SIZE x SIZE.
pub const SIZE: u32 = 64;
/// Fixed seed: the demo data is the same on every machine and for every `--seed`.
const SEED: u64 = 0xFACA_DE5E_ED00_2018;
/// Sub-samples per pixel side of the rendered half (anti-aliasing).
const SUPER: u32 = 3;

/// The classes of the label map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Background above and beside the building.
    Sky,
    /// Gable or flat cornice.
    Roof,
    /// The facade.
    Wall,
    /// A window with its frame.
    Window,
    /// The door.
    Door,
}

impl Class {
    /// The flat colour of the class in the label map.
    pub fn color(self) -> [u8; 3] {
        match self {
            Class::Sky => [0, 0, 170],
            Class::Roof => [255, 85, 0],
            Class::Wall => [0, 120, 255],
            Class::Window => [0, 255, 255],
            Class::Door => [170, 255, 85],
        }
    }
}

/// Writes the demo pairs into `dir/train` (files already there are kept)
/// and returns that folder.
pub fn ensure(dir: &Path) -> Result<PathBuf> {
    let folder = dir.join("train");
    std::fs::create_dir_all(&folder).with_context(|| format!("{}: cannot create", folder.display()))?;
    for i in 0..COUNT {
        let path = folder.join(format!("facade_{i:03}.png"));
        if !path.exists() {
            save_png_atomic(&DynamicImage::ImageRgb8(pair(derive_seed(SEED, 0, i as u64))), &path)?;
        }
    }
    Ok(folder)
}

/// An axis-aligned rectangle in pixel units, [x0, x1) x [y0, y1).
#[derive(Clone, Copy, Debug)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    /// Position inside as fractions of the width and height.
    fn local(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.x0) / (self.x1 - self.x0), (y - self.y0) / (self.y1 - self.y0))
    }

    /// Distance from (x, y), inside, to the nearest edge.
    fn inset(&self, x: f64, y: f64) -> f64 {
        (x - self.x0).min(self.x1 - x).min(y - self.y0).min(self.y1 - y)
    }
}

/// The geometry and materials of one building.
struct Facade {
    /// Left and right edges of the wall.
    left: f64,
    right: f64,
    /// Top of the wall (the eaves).
    eaves: f64,
    /// A gable's peak height above the eaves, or None for a flat cornice band.
    gable: Option<f64>,
    /// Height of the cornice band (flat roof) or overhang of the gable.
    roof_depth: f64,
    windows: Vec<Rect>,
    door: Rect,
    /// Light from the left (true) or the right.
    light_left: bool,
    sky_top: [f64; 3],
    sky_low: [f64; 3],
    roof_color: [f64; 3],
    wall_color: [f64; 3],
    /// Brick courses (true) or plaster.
    brick: bool,
    frame_color: [f64; 3],
    door_color: [f64; 3],
    /// Seed of the cloud and plaster noise.
    noise: u64,
}

fn range(r: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * r.uniform()
}

fn int_range(r: &mut SplitMix64, lo: u32, hi: u32) -> u32 {
    lo + (r.next_u64() % (hi - lo + 1) as u64) as u32
}

fn mix(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    std::array::from_fn(|i| a[i] + (b[i] - a[i]) * t)
}

fn scale(c: [f64; 3], k: f64) -> [f64; 3] {
    c.map(|v| v * k)
}

fn pick(r: &mut SplitMix64, colors: &[[f64; 3]]) -> [f64; 3] {
    let base = colors[(r.next_u64() % colors.len() as u64) as usize];
    let k = range(r, 0.9, 1.1);
    scale(base, k)
}

/// A hash of integer lattice point (x, y) to [0, 1).
fn hash01(seed: u64, x: i64, y: i64) -> f64 {
    let h = derive_seed(seed, x as u64, y as u64);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in [0, 1) with lattice spacing `cell` pixels.
fn value_noise(seed: u64, x: f64, y: f64, cell: f64) -> f64 {
    let (gx, gy) = (x / cell, y / cell);
    let (ix, iy) = (gx.floor(), gy.floor());
    let (fx, fy) = (gx - ix, gy - iy);
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let (sx, sy) = (s(fx), s(fy));
    let (ix, iy) = (ix as i64, iy as i64);
    let top = hash01(seed, ix, iy) * (1.0 - sx) + hash01(seed, ix + 1, iy) * sx;
    let bottom = hash01(seed, ix, iy + 1) * (1.0 - sx) + hash01(seed, ix + 1, iy + 1) * sx;
    top * (1.0 - sy) + bottom * sy
}

impl Facade {
    fn new(seed: u64) -> Facade {
        let mut r = SplitMix64(seed);
        let n = SIZE as f64;
        let left = int_range(&mut r, 3, 12) as f64;
        let right = n - int_range(&mut r, 3, 12) as f64;
        let eaves = int_range(&mut r, 14, 26) as f64;
        let gable = (r.uniform() < 0.5).then(|| int_range(&mut r, 7, (eaves as u32 - 3).min(14)) as f64);
        let roof_depth = int_range(&mut r, 2, 4) as f64;
        let floors = int_range(&mut r, 2, 4);
        let columns = int_range(&mut r, 2, 5);
        let top = eaves + 2.0;
        let floor_h = ((n - top) / floors as f64).floor();
        let column_w = ((right - left) / columns as f64).floor();
        let margin = ((right - left) - column_w * columns as f64) / 2.0;
        let window_w = (column_w * range(&mut r, 0.4, 0.65)).round().max(2.0);
        let window_h = (floor_h * range(&mut r, 0.45, 0.65)).round().max(3.0);
        let door_column = int_range(&mut r, 0, columns - 1);
        let door_w = (column_w * range(&mut r, 0.5, 0.75)).round().max(3.0);
        let mut windows = Vec::new();
        let mut door = Rect { x0: 0.0, y0: 0.0, x1: 0.0, y1: 0.0 };
        for f in 0..floors {
            let cell_y = n - (floors - f) as f64 * floor_h;
            for c in 0..columns {
                let cell_x = left + margin.floor() + c as f64 * column_w;
                if f == floors - 1 && c == door_column {
                    let x0 = cell_x + ((column_w - door_w) / 2.0).floor();
                    let y0 = cell_y + (floor_h * 0.2).round();
                    door = Rect { x0, y0, x1: x0 + door_w, y1: n };
                } else {
                    let x0 = cell_x + ((column_w - window_w) / 2.0).floor();
                    let y0 = cell_y + ((floor_h - window_h) * 0.4).round();
                    windows.push(Rect { x0, y0, x1: x0 + window_w, y1: y0 + window_h });
                }
            }
        }
        let light_left = r.uniform() < 0.5;
        let sky_top = mix([50.0, 100.0, 200.0], [110.0, 150.0, 215.0], r.uniform());
        let sky_low = mix([190.0, 215.0, 240.0], [240.0, 220.0, 200.0], r.uniform() * 0.7);
        let roof_color = pick(&mut r, &[[150.0, 60.0, 40.0], [75.0, 80.0, 90.0], [95.0, 60.0, 45.0]]);
        let wall_color =
            pick(&mut r, &[[170.0, 85.0, 60.0], [215.0, 200.0, 170.0], [160.0, 160.0, 155.0], [210.0, 170.0, 90.0]]);
        let brick = r.uniform() < 0.5;
        let frame_color = pick(&mut r, &[[235.0, 235.0, 225.0], [60.0, 55.0, 50.0], [120.0, 40.0, 35.0]]);
        let door_color = pick(&mut r, &[[100.0, 60.0, 30.0], [40.0, 80.0, 50.0], [110.0, 30.0, 30.0]]);
        let noise = r.next_u64();
        Facade {
            left,
            right,
            eaves,
            gable,
            roof_depth,
            windows,
            door,
            light_left,
            sky_top,
            sky_low,
            roof_color,
            wall_color,
            brick,
            frame_color,
            door_color,
            noise,
        }
    }

    /// The class at (x, y), in pixels.
    fn class(&self, x: f64, y: f64) -> Class {
        if x >= self.left && x < self.right && y >= self.eaves {
            if self.door.contains(x, y) {
                return Class::Door;
            }
            if self.windows.iter().any(|w| w.contains(x, y)) {
                return Class::Window;
            }
            return Class::Wall;
        }
        let (l, r) = (self.left - self.roof_depth, self.right + self.roof_depth);
        match self.gable {
            None if x >= l && x < r && y >= self.eaves - self.roof_depth && y < self.eaves => Class::Roof,
            Some(h) if y < self.eaves && x >= l && x < r => {
                let half = (r - l) / 2.0;
                let from_mid = (x - (l + half)).abs() / half;
                if y >= self.eaves - h * (1.0 - from_mid) {
                    Class::Roof
                } else {
                    Class::Sky
                }
            }
            _ => Class::Sky,
        }
    }

    /// Brightness of sunlit surfaces across the building, 0.8 to 1.1.
    fn light(&self, x: f64) -> f64 {
        let t = ((x - self.left) / (self.right - self.left)).clamp(0.0, 1.0);
        let t = if self.light_left { 1.0 - t } else { t };
        0.8 + 0.3 * t
    }

    /// The rendered colour at (x, y), in pixels.
    fn shade(&self, x: f64, y: f64) -> [f64; 3] {
        let n = SIZE as f64;
        match self.class(x, y) {
            Class::Sky => {
                let c = mix(self.sky_top, self.sky_low, (y / (0.6 * n)).clamp(0.0, 1.0));
                let cloud =
                    value_noise(self.noise, x * 0.5, y, 12.0) * 0.7 + value_noise(self.noise ^ 1, x, y, 5.0) * 0.3;
                let cover = ((cloud - 0.55) / 0.2).clamp(0.0, 1.0);
                mix(c, [245.0, 245.0, 245.0], cover * 0.8)
            }
            Class::Roof => match self.gable {
                // Tile courses: a dark line every 2 pixels, tiles varying in tone.
                Some(_) => {
                    let course = (y / 2.0).floor();
                    let tile = ((x + course * 1.5) / 3.0).floor();
                    let line = if y - course * 2.0 < 0.5 { 0.7 } else { 1.0 };
                    let slope_lit = (x < (self.left + self.right) / 2.0) == self.light_left;
                    let side = if slope_lit { 1.1 } else { 0.8 };
                    scale(self.roof_color, line * side * (0.9 + 0.2 * hash01(self.noise, tile as i64, course as i64)))
                }
                // A stone cornice, its underside in shadow.
                None => {
                    let from_bottom = self.eaves - y;
                    let k = if from_bottom < 1.0 { 0.6 } else { 1.0 };
                    scale(mix(self.wall_color, [225.0, 220.0, 205.0], 0.6), k * self.light(x))
                }
            },
            Class::Wall => {
                let mut c = if self.brick {
                    let course = (y / 3.0).floor();
                    let offset = if course as i64 % 2 == 0 { 0.0 } else { 3.0 };
                    let brick = ((x + offset) / 6.0).floor();
                    let mortar = y - course * 3.0 < 0.6 || x + offset - brick * 6.0 < 0.6;
                    if mortar {
                        mix(self.wall_color, [200.0, 195.0, 185.0], 0.6)
                    } else {
                        scale(self.wall_color, 0.88 + 0.24 * hash01(self.noise, brick as i64, course as i64))
                    }
                } else {
                    scale(self.wall_color, 0.93 + 0.14 * value_noise(self.noise ^ 2, x, y, 4.0))
                };
                // Window sills: a light ledge just below each window.
                if self.windows.iter().any(|w| x >= w.x0 - 0.5 && x < w.x1 + 0.5 && y >= w.y1 && y < w.y1 + 1.0) {
                    c = [215.0, 210.0, 200.0];
                }
                let mut k = self.light(x);
                // The shadow of the eaves.
                let below = y - self.eaves;
                if below < 3.0 {
                    k *= 0.65 + 0.35 * below / 3.0;
                }
                scale(c, k)
            }
            Class::Window => {
                let w = self.windows.iter().find(|w| w.contains(x, y)).expect("a window holds this point");
                let (u, v) = w.local(x, y);
                let muntin = (u - 0.5).abs() * (w.x1 - w.x0) < 0.4 || (v - 0.4).abs() * (w.y1 - w.y0) < 0.4;
                if w.inset(x, y) < 0.7 || muntin {
                    return scale(self.frame_color, self.light(x));
                }
                // Glass: the sky's reflection at the top, darker below, in shadow under the lintel
                // and on the side away from the light.
                let glass = mix([150.0, 175.0, 200.0], [35.0, 45.0, 60.0], (v * 1.4).clamp(0.0, 1.0));
                let side = if self.light_left { u } else { 1.0 - u };
                let shadow = if v < 0.2 || side < 0.2 { 0.7 } else { 1.0 };
                scale(glass, shadow)
            }
            Class::Door => {
                let (u, v) = self.door.local(x, y);
                let d = self.door;
                if (x - d.x0).min(d.x1 - x).min(y - d.y0) < 0.7 {
                    return scale(self.frame_color, 0.9 * self.light(x));
                }
                let plank = ((x - self.door.x0) / 1.5).floor();
                let seam = x - self.door.x0 - plank * 1.5 < 0.3;
                let mut c = scale(self.door_color, if seam { 0.7 } else { 1.0 });
                if v < 0.12 {
                    c = scale(c, 0.6);
                }
                // A brass handle on the side away from the hinge.
                let handle_u = if self.light_left { 0.8 } else { 0.2 };
                if (u - handle_u).abs() * (self.door.x1 - self.door.x0) < 0.5 && (v - 0.55).abs() < 0.04 {
                    c = [220.0, 180.0, 60.0];
                }
                c
            }
        }
    }
}

/// One pair, 2 * SIZE x SIZE: the label map on the left, the rendered facade on the right.
pub fn pair(seed: u64) -> RgbImage {
    let facade = Facade::new(seed);
    RgbImage::from_fn(2 * SIZE, SIZE, |px, py| {
        if px < SIZE {
            return Rgb(facade.class(px as f64 + 0.5, py as f64 + 0.5).color());
        }
        let px = px - SIZE;
        let mut acc = [0.0; 3];
        for sy in 0..SUPER {
            for sx in 0..SUPER {
                let x = px as f64 + (sx as f64 + 0.5) / SUPER as f64;
                let y = py as f64 + (sy as f64 + 0.5) / SUPER as f64;
                let c = facade.shade(x, y);
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

    const ALL: [Class; 5] = [Class::Sky, Class::Roof, Class::Wall, Class::Window, Class::Door];

    #[test]
    fn pairs_are_deterministic_and_labels_flat() {
        assert_eq!(pair(5), pair(5));
        assert_ne!(pair(5), pair(6));
        for i in 0..COUNT as u64 {
            let img = pair(derive_seed(SEED, 0, i));
            assert_eq!(img.dimensions(), (2 * SIZE, SIZE));
            let mut seen = [false; 5];
            for y in 0..SIZE {
                for x in 0..SIZE {
                    let c = img.get_pixel(x, y).0;
                    let k = ALL.iter().position(|k| k.color() == c);
                    seen[k.unwrap_or_else(|| panic!("pair {i}: ({x}, {y}) is {c:?}, not a class colour"))] = true;
                }
            }
            assert_eq!(seen, [true; 5], "pair {i} shows every class");
        }
    }

    #[test]
    fn the_photo_follows_the_labels() {
        // Mean rendered colour per class: sky is blue-ish and bright, windows dark.
        let mut sum = [[0.0f64; 4]; 5];
        for i in 0..8 {
            let img = pair(derive_seed(SEED, 0, i));
            for y in 0..SIZE {
                for x in 0..SIZE {
                    let k = ALL.iter().position(|k| k.color() == img.get_pixel(x, y).0).unwrap();
                    let p = img.get_pixel(x + SIZE, y).0;
                    for c in 0..3 {
                        sum[k][c] += p[c] as f64;
                    }
                    sum[k][3] += 1.0;
                }
            }
        }
        let mean = |k: Class| {
            let s = sum[k as usize];
            [s[0] / s[3], s[1] / s[3], s[2] / s[3]]
        };
        let (sky, window, wall) = (mean(Class::Sky), mean(Class::Window), mean(Class::Wall));
        assert!(sky[2] > sky[0] && sky[2] > 150.0, "{sky:?}");
        assert!(window.iter().sum::<f64>() < wall.iter().sum::<f64>(), "{window:?} {wall:?}");
    }

    #[test]
    fn ensure_writes_the_same_files_everywhere() {
        let base = std::env::temp_dir().join(format!("train-demo-aligned-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (one, two) = (ensure(&base.join("1")).unwrap(), ensure(&base.join("2")).unwrap());
        assert_eq!(one, base.join("1/train"));
        let names: Vec<_> = std::fs::read_dir(&one).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), COUNT);
        for name in names {
            let a = std::fs::read(one.join(&name)).unwrap();
            assert_eq!(a, std::fs::read(two.join(&name)).unwrap(), "{name:?}");
        }
        // Kept, not rewritten.
        assert_eq!(ensure(&base.join("1")).unwrap(), one);
        let scanned = super::super::data::Domain::scan("AB", "--dataroot", &one).unwrap();
        assert_eq!(scanned.len(), COUNT);
        scanned.check_aligned().unwrap();
        std::fs::remove_dir_all(&base).unwrap();
    }
}
