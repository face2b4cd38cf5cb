//! Sample grids under `web/images/` and the `web/index.html` that shows
//! them, newest first, under the loss curve.

use std::path::Path;

use anyhow::{Context, Result};
use image::{DynamicImage, Rgba, RgbaImage};
use shaders::ops::tensor_to_image_blocking;
use shaders::{Gpu, Tensor};

use crate::files::write_atomic;
use crate::imageio::save_png_atomic;

/// Pixels between the tiles of a grid.
const GAP: u32 = 4;

/// The grid's file name for an iteration.
pub fn grid_name(iters: u64, epoch: u64) -> String {
    format!("iter_{iters:08}_epoch_{epoch:03}.png")
}

/// The first image of a batch tensor as RGBA8.
fn first_image(gpu: &Gpu, t: &Tensor) -> Result<RgbaImage> {
    let [_, _, h, w] = t.nchw("sample grid", "image").context("sample grid")?;
    let bytes = tensor_to_image_blocking(gpu, t).context("reading a sample image back")?;
    Ok(RgbaImage::from_raw(w as u32, h as u32, bytes[..w * h * 4].to_vec()).expect("w * h * 4 bytes"))
}

/// Saves the first image of each of a step's sample tensors as a grid of
/// three columns in the model's order: for CycleGAN real A, G_A(A),
/// G_B(G_A(A)) over real B, G_B(B), G_A(G_B(B)); for pix2pix A, G(A), B.
pub fn save_grid(gpu: &Gpu, visuals: &[Tensor], path: &Path) -> Result<()> {
    const COLUMNS: u32 = 3;
    let tiles = visuals.iter().map(|t| first_image(gpu, t)).collect::<Result<Vec<_>>>()?;
    let Some(first) = tiles.first() else { return Ok(()) };
    let (w, h) = first.dimensions();
    let rows = (tiles.len() as u32).div_ceil(COLUMNS);
    let cols = COLUMNS.min(tiles.len() as u32);
    let mut grid =
        RgbaImage::from_pixel(cols * w + (cols + 1) * GAP, rows * h + (rows + 1) * GAP, Rgba([255, 255, 255, 255]));
    for (i, tile) in tiles.iter().enumerate() {
        let (col, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
        image::imageops::replace(&mut grid, tile, (GAP + col * (w + GAP)) as i64, (GAP + row * (h + GAP)) as i64);
    }
    save_png_atomic(&DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(grid).to_rgb8()), path)
}

/// Saves every image of `t` (a batch of generated images) as a grid, 8 per row.
pub fn save_batch_grid(gpu: &Gpu, t: &Tensor, path: &Path) -> Result<()> {
    let images = crate::imageio::images_of(gpu, t)?;
    let grid = crate::imageio::grid(&images, 8);
    save_png_atomic(&DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(grid).to_rgb8()), path)
}

/// Rewrites `web_dir/index.html` listing every grid in `web_dir/images`,
/// newest first.
/// `model` is the reference's model name, `visuals` the grid's tiles in order.
pub fn write_index(web_dir: &Path, name: &str, model: &str, visuals: &[&str]) -> Result<()> {
    let images = web_dir.join("images");
    let mut grids: Vec<String> = std::fs::read_dir(&images)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("iter_") && n.ends_with(".png"))
                .collect()
        })
        .unwrap_or_default();
    grids.sort_by(|a, b| b.cmp(a));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 2em; }}\n\
         img.grid {{ image-rendering: pixelated; min-width: 480px; max-width: 100%; }}\n\
         figure {{ margin: 0 0 2em 0; }}\n</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <p><img src=\"../loss_curve.png\" alt=\"loss curve\" style=\"max-width: 100%\"></p>\n\
         <p>Each grid, left to right and top to bottom: {tiles}. Newest first.</p>\n",
        title = escape(&format!("{model} training: {name}")),
        tiles = escape(&visuals.join(", "))
    );
    for g in &grids {
        let label = caption(g);
        html.push_str(&format!(
            "<figure><figcaption>{label}</figcaption><img class=\"grid\" src=\"images/{g}\" alt=\"{label}\"></figure>\n"
        ));
    }
    html.push_str("</body>\n</html>\n");
    write_atomic(&web_dir.join("index.html"), html.as_bytes())
}

/// "iteration 400, epoch 3" from a grid's file name.
fn caption(file: &str) -> String {
    let parts: Vec<&str> = file.trim_end_matches(".png").split('_').collect();
    match parts[..] {
        ["iter", i, "epoch", e] => format!(
            "iteration {}, epoch {}",
            i.trim_start_matches('0').parse::<u64>().unwrap_or(0),
            e.trim_start_matches('0').parse::<u64>().unwrap_or(0)
        ),
        _ => escape(file),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_newest_first() {
        let web = std::env::temp_dir().join(format!("train-web-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&web);
        std::fs::create_dir_all(web.join("images")).unwrap();
        for (i, e) in [(40, 1), (1200, 3), (400, 2)] {
            std::fs::write(web.join("images").join(grid_name(i, e)), b"png").unwrap();
        }
        write_index(&web, "a<b", "cycle_gan", &["real_A", "fake_B"]).unwrap();
        let html = std::fs::read_to_string(web.join("index.html")).unwrap();
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing from {html}"));
        assert!(at("iteration 1200, epoch 3") < at("iteration 400, epoch 2"));
        assert!(at("iteration 400, epoch 2") < at("iteration 40, epoch 1"));
        assert!(html.contains("a&lt;b") && html.contains("../loss_curve.png"));
        std::fs::remove_dir_all(&web).unwrap();
    }
}
