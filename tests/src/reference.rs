//! f64 CPU reference implementations, written for clarity, not speed.

/// Index of padded coordinate `i` (may be negative or past the end) into an
/// axis of length `n`, or `None` for zero padding outside it.
pub fn pad_index(i: isize, n: usize, reflect: bool) -> Option<usize> {
    let n = n as isize;
    if reflect {
        let r = if i < 0 {
            -i
        } else if i >= n {
            2 * n - 2 - i
        } else {
            i
        };
        Some(r as usize)
    } else if i >= 0 && i < n {
        Some(i as usize)
    } else {
        None
    }
}

/// conv2d: x [N, Ci, H, W], w [Co, Ci, KH, KW], optional bias [Co].
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    x: &[f32],
    xs: [usize; 4],
    w: &[f32],
    ws: [usize; 4],
    bias: Option<&[f32]>,
    stride: usize,
    pad: usize,
    reflect: bool,
) -> (Vec<f64>, [usize; 4]) {
    let [n, ci, h, wd] = xs;
    let [co, _, kh, kw] = ws;
    let ho = (h + 2 * pad - kh) / stride + 1;
    let wo = (wd + 2 * pad - kw) / stride + 1;
    let mut y = vec![0f64; n * co * ho * wo];
    for b in 0..n {
        for o in 0..co {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = bias.map_or(0.0, |bb| bb[o] as f64);
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
                                acc += x[((b * ci + c) * h + iy) * wd + ix] as f64
                                    * w[((o * ci + c) * kh + ky) * kw + kx] as f64;
                            }
                        }
                    }
                    y[((b * co + o) * ho + oy) * wo + ox] = acc;
                }
            }
        }
    }
    (y, [n, co, ho, wo])
}

/// conv_transpose2d: x [N, Ci, H, W], w [Ci, Co, KH, KW] (PyTorch layout),
/// optional bias [Co]; H_out = (H-1)*stride - 2*pad + KH + output_padding.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d(
    x: &[f32],
    xs: [usize; 4],
    w: &[f32],
    ws: [usize; 4],
    bias: Option<&[f32]>,
    stride: usize,
    pad: usize,
    output_padding: usize,
) -> (Vec<f64>, [usize; 4]) {
    let [n, ci, h, wd] = xs;
    let [_, co, kh, kw] = ws;
    let ho = (h - 1) * stride + kh + output_padding - 2 * pad;
    let wo = (wd - 1) * stride + kw + output_padding - 2 * pad;
    let mut y = vec![0f64; n * co * ho * wo];
    for b in 0..n {
        for o in 0..co {
            let bv = bias.map_or(0.0, |bb| bb[o] as f64);
            y[(b * co + o) * ho * wo..(b * co + o + 1) * ho * wo].fill(bv);
        }
        for c in 0..ci {
            for iy in 0..h {
                for ix in 0..wd {
                    let xv = x[((b * ci + c) * h + iy) * wd + ix] as f64;
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
                                y[((b * co + o) * ho + oy as usize) * wo + ox as usize] +=
                                    xv * w[((c * co + o) * kh + ky) * kw + kx] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    (y, [n, co, ho, wo])
}
