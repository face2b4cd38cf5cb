//! RGBA8 <-> [N, 3, H, W] conversion against the f64 CPU reference.

use rand::{Rng, SeedableRng};
use shaders::ops::{image_to_tensor, tensor_to_image_blocking};
use shaders::{Error, Tensor};
use tests::{assert_close, gpu, random, ref_norm};

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen()).collect()
}

/// A 256 x 3 image where every channel takes every byte value, then a
/// random image: the batch round-trips to the same bytes with alpha 255.
#[test]
fn image_round_trip_is_exact() {
    let g = gpu();
    let (w, h) = (256, 3);
    let mut rgba = Vec::with_capacity(2 * w * h * 4);
    for y in 0..h {
        for x in 0..w {
            rgba.extend([x as u8, (255 - x) as u8, ((x + 85 * y) % 256) as u8, (x * 7) as u8]);
        }
    }
    rgba.extend(random_bytes(w * h * 4, 1));
    let t = image_to_tensor(&g, &rgba, 2, w, h).unwrap();
    assert_eq!(t.shape(), &[2, 3, h, w]);
    let back = tensor_to_image_blocking(&g, &t).unwrap();
    let want: Vec<u8> = rgba.chunks(4).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    if let Some(i) = (0..want.len()).find(|&i| back[i] != want[i]) {
        panic!("round trip: byte {i} (pixel {}, channel {}) is {}, want {}", i / 4, i % 4, back[i], want[i]);
    }
}

#[test]
fn rgba8_to_nchw_matches_reference() {
    let g = gpu();
    let (n, w, h) = (2, 37, 29);
    let rgba = random_bytes(n * w * h * 4, 2);
    let t = image_to_tensor(&g, &rgba, n, w, h).unwrap();
    let want = ref_norm::rgba8_to_nchw(&rgba, n, w, h);
    // A division, a multiplication and a subtraction: a few ulp of 1.
    assert_close("rgba8_to_nchw", &t.read_blocking(&g).unwrap(), &want, &[n, 3, h, w], 5e-7, 0.0);
}

#[test]
fn nchw_to_rgba8_matches_reference() {
    let g = gpu();
    let (n, w, h) = (2, 37, 29);
    let shape = [n, 3, h, w];
    // [-1.2, 1.2) exercises the clamp; exact byte boundaries are mixed in.
    let mut x: Vec<f32> = random(n * 3 * h * w, 3).iter().map(|v| v * 1.2).collect();
    for (i, b) in (0..256).enumerate() {
        x[i * 5] = b as f32 / 127.5 - 1.0;
    }
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    let got = tensor_to_image_blocking(&g, &xt).unwrap();
    let want = ref_norm::nchw_to_rgba8(&x, n, w, h);
    assert_eq!(got.len(), want.len());
    let hw = w * h;
    for (i, (&gb, &wb)) in got.iter().zip(&want).enumerate() {
        let (img, pix, c) = (i / (4 * hw), i / 4 % hw, i % 4);
        if gb == wb {
            continue;
        }
        // f32 rounding may only move a value lying within 1e-4 of an
        // integer (in byte units) across it.
        let v = if c < 3 { ref_norm::byte_value(x[(img * 3 + c) * hw + pix]) } else { 255.0 };
        let near = (v - v.round()).abs() < 1e-4;
        assert!(
            near && gb.abs_diff(wb) == 1,
            "nchw_to_rgba8: image {img} pixel {pix} channel {c}: got {gb}, want {wb} (exact value {v})"
        );
    }
}

#[test]
fn image_shape_errors() {
    let g = gpu();
    let bytes = vec![0u8; 2 * 4 * 5 * 4];
    assert!(image_to_tensor(&g, &bytes, 2, 4, 5).is_ok());
    let shape_err = |r: shaders::Result<Tensor>| matches!(r, Err(Error::Shape { op: "image_to_tensor", .. }));
    assert!(shape_err(image_to_tensor(&g, &bytes, 2, 5, 5)));
    assert!(shape_err(image_to_tensor(&g, &bytes[..bytes.len() - 1], 2, 4, 5)));
    assert!(shape_err(image_to_tensor(&g, &[], 0, 4, 5)));
    assert!(shape_err(image_to_tensor(&g, &[], 1, 0, 5)));
    let image_err = |r: shaders::Result<Vec<u8>>| matches!(r, Err(Error::Shape { op: "tensor_to_image", .. }));
    assert!(image_err(tensor_to_image_blocking(&g, &Tensor::zeros(&g, &[1, 4, 2, 2]).unwrap())));
    assert!(image_err(tensor_to_image_blocking(&g, &Tensor::zeros(&g, &[3, 2, 2]).unwrap())));
    g.sync().unwrap();
}
