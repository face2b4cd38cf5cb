//! The loss curve: one coloured line per loss against iterations, with
//! axes, ticks and a legend, drawn with the image crate.

use std::path::Path;

use anyhow::Result;
use image::{DynamicImage, Rgb, RgbImage};

use super::font::{draw_text, text_width, GLYPH};
use super::losslog::Point;
use crate::imageio::save_png_atomic;

const SIZE: (u32, u32) = (960, 540);
/// Plot area: left, top, right, bottom.
const AREA: (i64, i64, i64, i64) = (80, 40, 790, 480);
const BLACK: Rgb<u8> = Rgb([30, 30, 30]);
const GRID: Rgb<u8> = Rgb([225, 225, 225]);
/// matplotlib's tab10, one colour per loss in the model's order.
const COLORS: [Rgb<u8>; 10] = [
    Rgb([31, 119, 180]),
    Rgb([255, 127, 14]),
    Rgb([44, 160, 44]),
    Rgb([214, 39, 40]),
    Rgb([148, 103, 189]),
    Rgb([140, 86, 75]),
    Rgb([227, 119, 194]),
    Rgb([127, 127, 127]),
    Rgb([188, 189, 34]),
    Rgb([23, 190, 207]),
];

/// Renders the curve of `points` of the losses called `names` (none yet gives empty axes).
pub fn render(names: &[&str], points: &[Point], title: &str) -> RgbImage {
    let mut img = RgbImage::from_pixel(SIZE.0, SIZE.1, Rgb([255, 255, 255]));
    let (l, t, r, b) = AREA;
    let x_min = points.first().map_or(0, |p| p.iters) as f64;
    let x_max = (points.last().map_or(1, |p| p.iters) as f64).max(x_min + 1.0);
    let y_top =
        points.iter().flat_map(|p| p.losses.iter().copied()).filter(|v| v.is_finite()).fold(0.0f32, f32::max) as f64;
    let (y_step, y_max) = nice_axis(y_top.max(1e-3));
    let (x_step, _) = nice_axis(x_max - x_min);
    let px = |x: f64| l as f64 + (x - x_min) / (x_max - x_min) * (r - l) as f64;
    let py = |y: f64| b as f64 - y / y_max * (b - t) as f64;

    // Grid and tick labels.
    let mut y = 0.0;
    while y <= y_max + y_step * 1e-6 {
        let yy = py(y).round() as i64;
        hline(&mut img, l, r, yy, GRID);
        let label = tick_label(y, y_step);
        draw_text(&mut img, l - 8 - text_width(&label, 1) as i64, yy - 3, &label, BLACK, 1);
        y += y_step;
    }
    let mut x = (x_min / x_step).ceil() * x_step;
    while x <= x_max + x_step * 1e-6 {
        let xx = px(x).round() as i64;
        vline(&mut img, xx, t, b, GRID);
        vline(&mut img, xx, b, b + 5, BLACK);
        let label = tick_label(x, x_step);
        draw_text(&mut img, xx - text_width(&label, 1) as i64 / 2, b + 9, &label, BLACK, 1);
        x += x_step;
    }
    hline(&mut img, l, r, b, BLACK);
    vline(&mut img, l, t, b, BLACK);
    draw_text(&mut img, (l + r) / 2 - text_width("iterations", 2) as i64 / 2, b + 26, "iterations", BLACK, 2);
    draw_text(&mut img, 12, t - 28, "loss", BLACK, 2);
    draw_text(&mut img, (l + r) / 2 - text_width(title, 2) as i64 / 2, 10, title, BLACK, 2);

    // One polyline per loss, two pixels thick.
    for (k, color) in COLORS.iter().cycle().take(names.len()).enumerate() {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.losses.get(k).is_some_and(|v| v.is_finite()))
            .map(|p| (px(p.iters as f64), py(p.losses[k] as f64)))
            .collect();
        if let [only] = pts[..] {
            dot(&mut img, only, *color);
        }
        for w in pts.windows(2) {
            line(&mut img, w[0], w[1], *color);
        }
    }

    // Legend right of the plot.
    let (lx, ly) = (r + 20, t + 10);
    for (k, name) in names.iter().enumerate() {
        let y = ly + k as i64 * 22;
        for d in 0..4 {
            hline(&mut img, lx, lx + 28, y + 6 + d - 2, COLORS[k % COLORS.len()]);
        }
        draw_text(&mut img, lx + 36, y + 6 - GLYPH.1 as i64, name, BLACK, 2);
    }
    img
}

/// Writes the curve of `points` of the losses called `names` to `path` as PNG.
pub fn save(names: &[&str], points: &[Point], title: &str, path: &Path) -> Result<()> {
    save_png_atomic(&DynamicImage::ImageRgb8(render(names, points, title)), path)
}

/// A 1-2-5 tick step giving about five ticks over `span`, and the axis end (a multiple of it).
fn nice_axis(span: f64) -> (f64, f64) {
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    (step, (span / step).ceil().max(1.0) * step)
}

fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{v:.decimals$}")
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn hline(img: &mut RgbImage, x0: i64, x1: i64, y: i64, c: Rgb<u8>) {
    for x in x0..=x1 {
        put(img, x, y, c);
    }
}

fn vline(img: &mut RgbImage, x: i64, y0: i64, y1: i64, c: Rgb<u8>) {
    for y in y0..=y1 {
        put(img, x, y, c);
    }
}

fn dot(img: &mut RgbImage, (x, y): (f64, f64), c: Rgb<u8>) {
    for dy in -2..=2 {
        for dx in -2..=2 {
            put(img, x.round() as i64 + dx, y.round() as i64 + dy, c);
        }
    }
}

fn line(img: &mut RgbImage, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: Rgb<u8>) {
    let n = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i64;
    for i in 0..=n {
        let f = i as f64 / n as f64;
        let (x, y) = ((x0 + (x1 - x0) * f).round() as i64, (y0 + (y1 - y0) * f).round() as i64);
        put(img, x, y, c);
        put(img, x, y + 1, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_1_2_5() {
        assert_eq!(nice_axis(1.0), (0.2, 1.0));
        assert_eq!(nice_axis(7.3).0, 2.0);
        assert_eq!(nice_axis(7.3).1, 8.0);
        assert_eq!(nice_axis(1000.0), (200.0, 1000.0));
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(400.0, 200.0), "400");
    }

    #[test]
    fn curve_has_every_colour() {
        let points: Vec<Point> = (1..=20)
            .map(|i| Point {
                iters: i * 10,
                epoch: 1,
                losses: (0..10).map(|k| (k as f32 + 1.0) * 0.3 / (i as f32).sqrt()).collect(),
            })
            .collect();
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let img = render(&names, &points, "losses");
        for c in COLORS {
            let n = img.pixels().filter(|p| **p == c).count();
            assert!(n > 150, "colour {c:?} drawn on {n} pixels (line and legend)");
        }
        assert_eq!(render(&names, &[], "empty").dimensions(), SIZE);
    }
}
