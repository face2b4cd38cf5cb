//! f64 CPU reference of the convolution gradients, written as the adjoints of
//! [`crate::reference::conv2d`] and [`crate::reference::conv_transpose2d`]:
//! every (input, weight, output) product of the forward loop sends dy back to
//! the operands it multiplied.

use crate::reference::pad_index;

/// Gradients of conv2d (x [N, Ci, H, W], w [Co, Ci, KH, KW]) given dy
/// [N, Co, Ho, Wo]: (dx, dw, db) in the operands' layouts.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward(
    x: &[f32],
    xs: [usize; 4],
    w: &[f32],
    ws: [usize; 4],
    dy: &[f32],
    stride: usize,
    pad: usize,
    reflect: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [n, ci, h, wd] = xs;
    let [co, _, kh, kw] = ws;
    let ho = (h + 2 * pad - kh) / stride + 1;
    let wo = (wd + 2 * pad - kw) / stride + 1;
    assert_eq!(dy.len(), n * co * ho * wo, "dy length");
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; w.len()];
    let mut db = vec![0f64; co];
    for b in 0..n {
        for o in 0..co {
            for oy in 0..ho {
                for ox in 0..wo {
                    let g = dy[((b * co + o) * ho + oy) * wo + ox] as f64;
                    db[o] += g;
                    for c in 0..ci {
                        for ky in 0..kh {
                            let Some(iy) = pad_index((oy * stride + ky) as isize - pad as isize, h, reflect) else {
                                continue;
                            };
                            for kx in 0..kw {
                                let Some(ix) = pad_index((ox * stride + kx) as isize - pad as isize, wd, reflect)
                                else {
                                    continue;
                                };
                                let xi = ((b * ci + c) * h + iy) * wd + ix;
                                let wi = ((o * ci + c) * kh + ky) * kw + kx;
                                dx[xi] += g * w[wi] as f64;
                                dw[wi] += g * x[xi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    (dx, dw, db)
}

/// Gradients of conv_transpose2d (x [N, Ci, H, W], w [Ci, Co, KH, KW]) given
/// dy [N, Co, Ho, Wo] with Ho = (H-1)*stride - 2*pad + KH + output_padding:
/// (dx, dw, db) in the operands' layouts.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d_backward(
    x: &[f32],
    xs: [usize; 4],
    w: &[f32],
    ws: [usize; 4],
    dy: &[f32],
    stride: usize,
    pad: usize,
    output_padding: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [n, ci, h, wd] = xs;
    let [_, co, kh, kw] = ws;
    let ho = (h - 1) * stride + kh + output_padding - 2 * pad;
    let wo = (wd - 1) * stride + kw + output_padding - 2 * pad;
    assert_eq!(dy.len(), n * co * ho * wo, "dy length");
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; w.len()];
    let mut db = vec![0f64; co];
    for b in 0..n {
        for o in 0..co {
            db[o] += dy[(b * co + o) * ho * wo..(b * co + o + 1) * ho * wo].iter().map(|&v| v as f64).sum::<f64>();
        }
        for c in 0..ci {
            for iy in 0..h {
                for ix in 0..wd {
                    let xi = ((b * ci + c) * h + iy) * wd + ix;
                    for o in 0..co {
                        for ky in 0..kh {
                            let oy = (iy * stride + ky) as isize - pad as isize;
                            if oy < 0 || oy >= ho as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ox = (ix * stride + kx) as isize - pad as isize;
                                if ox < 0 || ox >= wo as isize {
                                    continue;
                                }
                                let g = dy[((b * co + o) * ho + oy as usize) * wo + ox as usize] as f64;
                                let wi = ((c * co + o) * kh + ky) * kw + kx;
                                dx[xi] += g * w[wi] as f64;
                                dw[wi] += g * x[xi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    (dx, dw, db)
}
