//! CPU reference forward passes of the reference's networks
//! (`models/networks.py`: ResnetGenerator, UnetGenerator,
//! NLayerDiscriminator, PixelDiscriminator), in f64, written from the
//! PyTorch module definitions (not from `shaders::nn::layers`): every module
//! takes the Sequential index PyTorch gives it, so the state_dict keys the
//! reference reads are PyTorch's, and [`RefNet::unused`] lists any tensor of
//! the file that the reference did not read.
//!
//! Training mode normalises BatchNorm with the batch statistics and updates
//! the running statistics (momentum 0.1, unbiased variance), and applies
//! Dropout(0.5) with the mask [`shaders::ops::dropout_mask`] draws from a seed
//! taken from a [`SplitMix64`] once per dropout layer in forward order, as
//! the GPU layers do. Optionally every module's output is rounded to f32, as
//! the GPU stores it.

use std::collections::{BTreeMap, BTreeSet};

use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::arch::{DiscriminatorArch, GeneratorArch, Norm};
use shaders::nn::nets::network::Architecture;
use shaders::ops::{dropout_mask, Activation};

use crate::reference::pad_index;
use crate::{ref_batch, ref_norm, ref_train};

/// An activation: f64 values of an [N, C, H, W] tensor.
#[derive(Clone, Debug)]
pub struct T {
    /// Values, row-major NCHW.
    pub data: Vec<f64>,
    /// [N, C, H, W].
    pub shape: [usize; 4],
}

impl T {
    /// From f32 values.
    pub fn from_f32(data: &[f32], shape: [usize; 4]) -> T {
        assert_eq!(data.len(), shape.iter().product::<usize>());
        T { data: data.iter().map(|&v| v as f64).collect(), shape }
    }
}

/// Slope of the reference's LeakyReLUs.
pub const SLOPE: f32 = 0.2;
/// BatchNorm's and InstanceNorm's eps.
pub const EPS: f64 = 1e-5;
/// BatchNorm's momentum.
pub const MOMENTUM: f64 = 0.1;
/// The reference's dropout probability.
pub const DROPOUT: f32 = 0.5;

/// One reference forward pass over a state_dict.
pub struct RefNet<'a> {
    sd: &'a StateDict,
    used: BTreeSet<String>,
    mode: Mode,
    rng: Option<SplitMix64>,
    round: bool,
    /// BatchNorm running statistics after the pass, by module path
    /// (`model.model.1.model.2`): (running_mean, running_var).
    pub running: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
    /// The dropout seeds drawn, in forward order.
    pub seeds: Vec<u64>,
    perturbed: Option<(String, usize, f64)>,
}

impl<'a> RefNet<'a> {
    /// A pass in `mode`; `rng` draws dropout seeds (required when dropout
    /// is on and the network has dropout); `round` rounds every module's
    /// output to f32.
    pub fn new(sd: &'a StateDict, mode: Mode, rng: Option<SplitMix64>, round: bool) -> Self {
        RefNet {
            sd,
            used: BTreeSet::new(),
            mode,
            rng,
            round,
            running: BTreeMap::new(),
            seeds: Vec::new(),
            perturbed: None,
        }
    }

    /// The network's output for x.
    pub fn forward(&mut self, arch: &Architecture, x: &T) -> T {
        match arch {
            Architecture::Generator(g) => match g.arch {
                GeneratorArch::Resnet { n_blocks, upsampling } => {
                    self.resnet(g.norm, g.dropout, n_blocks, upsampling.output_padding(), x)
                }
                GeneratorArch::Unet { num_downs } => self.unet(g.norm, g.dropout, num_downs, g.ngf, x),
                GeneratorArch::Dcgan => self.dcgan_g(x),
                GeneratorArch::DiscoGan => self.discogan_g(x),
            },
            Architecture::Discriminator(d) => match d.arch {
                DiscriminatorArch::NLayer { n_layers } => self.nlayer(d.norm, n_layers, x),
                DiscriminatorArch::Pixel => self.pixel(d.norm, x),
                DiscriminatorArch::Dcgan => self.dcgan_d(x),
                DiscriminatorArch::DiscoGan => self.discogan_d(x),
            },
        }
    }

    /// Reads value `i` of tensor `name` as its value plus `delta` (in f64,
    /// for finite differences).
    pub fn perturb(&mut self, name: &str, i: usize, delta: f64) {
        assert!(self.sd.get(name).is_some_and(|t| i < t.data.len()), "no value {i} in `{name}`");
        self.perturbed = Some((name.to_string(), i, delta));
    }

    /// Keys of the state_dict the pass did not read.
    pub fn unused(&self) -> Vec<String> {
        self.sd.names().filter(|n| !self.used.contains(*n)).map(str::to_string).collect()
    }

    /// The random generator after the pass.
    pub fn rng(&self) -> Option<&SplitMix64> {
        self.rng.as_ref()
    }

    fn tensor(&mut self, key: &str) -> (Vec<f64>, Vec<usize>) {
        let t = self.sd.get(key).unwrap_or_else(|| panic!("the reference reads `{key}`, which the state_dict lacks"));
        self.used.insert(key.to_string());
        let mut data: Vec<f64> = t.data.iter().map(|&v| v as f64).collect();
        if let Some((name, i, delta)) = &self.perturbed {
            if name == key {
                data[*i] += delta;
            }
        }
        (data, t.shape.clone())
    }

    fn out(&self, mut t: T) -> T {
        if self.round {
            t.data.iter_mut().for_each(|v| *v = *v as f32 as f64);
        }
        t
    }

    /// nn.Conv2d at `path` (weight [out, in, k, k]); zero or reflect padding
    /// (a ReflectionPad2d before it with padding 0 in the conv).
    #[allow(clippy::too_many_arguments)]
    fn conv(&mut self, path: &str, x: &T, stride: usize, pad: usize, reflect: bool, bias: bool) -> T {
        let (w, ws) = self.tensor(&format!("{path}.weight"));
        let b = bias.then(|| self.tensor(&format!("{path}.bias")).0);
        let [n, ci, h, wd] = x.shape;
        let [co, wci, kh, kw]: [usize; 4] = ws[..].try_into().expect("4-D conv weight");
        assert_eq!(wci, ci, "{path}: weight {ws:?} for input {:?}", x.shape);
        let ho = (h + 2 * pad - kh) / stride + 1;
        let wo = (wd + 2 * pad - kw) / stride + 1;
        let mut y = vec![0f64; n * co * ho * wo];
        for s in 0..n {
            for o in 0..co {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut acc = b.as_ref().map_or(0.0, |b| b[o]);
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
                                    acc += x.data[((s * ci + c) * h + iy) * wd + ix]
                                        * w[((o * ci + c) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        y[((s * co + o) * ho + oy) * wo + ox] = acc;
                    }
                }
            }
        }
        self.out(T { data: y, shape: [n, co, ho, wo] })
    }

    /// nn.ConvTranspose2d at `path` (weight [in, out, k, k]).
    fn conv_t(&mut self, path: &str, x: &T, stride: usize, pad: usize, output_padding: usize, bias: bool) -> T {
        let (w, ws) = self.tensor(&format!("{path}.weight"));
        let b = bias.then(|| self.tensor(&format!("{path}.bias")).0);
        let [n, ci, h, wd] = x.shape;
        let [wci, co, kh, kw]: [usize; 4] = ws[..].try_into().expect("4-D conv weight");
        assert_eq!(wci, ci, "{path}: weight {ws:?} for input {:?}", x.shape);
        let ho = (h - 1) * stride + kh + output_padding - 2 * pad;
        let wo = (wd - 1) * stride + kw + output_padding - 2 * pad;
        let mut y = vec![0f64; n * co * ho * wo];
        for s in 0..n {
            for o in 0..co {
                let bv = b.as_ref().map_or(0.0, |b| b[o]);
                y[(s * co + o) * ho * wo..][..ho * wo].fill(bv);
            }
            for c in 0..ci {
                for iy in 0..h {
                    for ix in 0..wd {
                        let xv = x.data[((s * ci + c) * h + iy) * wd + ix];
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
                                    y[((s * co + o) * ho + oy as usize) * wo + ox as usize] +=
                                        xv * w[((c * co + o) * kh + ky) * kw + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
        self.out(T { data: y, shape: [n, co, ho, wo] })
    }

    /// norm_layer(C) at `path`: BatchNorm2d(affine, running statistics),
    /// InstanceNorm2d(affine=False) or Identity.
    fn norm(&mut self, norm: Norm, path: &str, x: &T) -> T {
        let y = match norm {
            Norm::None => return x.clone(),
            Norm::Instance => ref_train::instance_norm(&x.data, x.shape, None, EPS, Activation::None).0,
            Norm::InstanceAffine => {
                let (g, _) = self.tensor(&format!("{path}.weight"));
                let (b, _) = self.tensor(&format!("{path}.bias"));
                ref_train::instance_norm(&x.data, x.shape, Some((&g, &b)), EPS, Activation::None).0
            }
            Norm::Batch => {
                let (g, _) = self.tensor(&format!("{path}.weight"));
                let (b, _) = self.tensor(&format!("{path}.bias"));
                let (m, _) = self.tensor(&format!("{path}.running_mean"));
                let (v, _) = self.tensor(&format!("{path}.running_var"));
                let (m, v) = self.running.get(path).cloned().unwrap_or((m, v));
                let training = self.mode.batch_stats;
                let out = ref_batch::batch_norm(
                    &x.data,
                    x.shape,
                    Some((&g, &b)),
                    Some((&m, &v)),
                    EPS,
                    MOMENTUM,
                    Activation::None,
                    training,
                );
                if self.mode.update_running {
                    self.running.insert(path.to_string(), out.running.expect("running statistics given"));
                }
                out.y
            }
        };
        self.out(T { data: y, shape: x.shape })
    }

    fn act(&self, x: &T, a: Activation) -> T {
        self.out(T { data: x.data.iter().map(|&v| ref_norm::activate(v, a)).collect(), shape: x.shape })
    }

    fn dropout(&mut self, x: &T) -> T {
        if !self.mode.dropout {
            return x.clone();
        }
        let seed = self.rng.as_mut().expect("dropout is on: the reference needs the random generator").next_u64();
        self.seeds.push(seed);
        let mask = dropout_mask(x.data.len(), DROPOUT, seed);
        self.out(T { data: ref_batch::dropout(&x.data, &mask, DROPOUT as f64), shape: x.shape })
    }

    fn cat(a: &T, b: &T) -> T {
        let [n, ca, h, w] = a.shape;
        assert_eq!((b.shape[0], b.shape[2], b.shape[3]), (n, h, w), "cat {:?} and {:?}", a.shape, b.shape);
        T { data: ref_batch::concat_channels(&a.data, &b.data, n), shape: [n, ca + b.shape[1], h, w] }
    }

    /// ResnetGenerator: [ReflectionPad2d(3), Conv 7x7, norm, ReLU] (0-3),
    /// two [Conv 3x3 s2, norm, ReLU] (4-9), n_blocks ResnetBlocks, two
    /// [ConvTranspose 3x3 s2 op1, norm, ReLU], [ReflectionPad2d(3), Conv 7x7
    /// (bias), Tanh].
    /// `output_padding` 0 is the 4x4 transposed-conv decoder (its kernel comes from the weights).
    fn resnet(&mut self, norm: Norm, dropout: bool, n_blocks: usize, output_padding: usize, x: &T) -> T {
        let bias = norm.conv_bias();
        let relu = Activation::Relu;
        let h = self.conv("model.1", x, 1, 3, true, bias);
        let h = self.norm(norm, "model.2", &h);
        let mut h = self.act(&h, relu);
        for (conv, nm) in [(4, 5), (7, 8)] {
            let t = self.conv(&format!("model.{conv}"), &h, 2, 1, false, bias);
            let t = self.norm(norm, &format!("model.{nm}"), &t);
            h = self.act(&t, relu);
        }
        for i in 0..n_blocks {
            // conv_block: [pad, conv, norm, ReLU, (Dropout), pad, conv, norm].
            let p = format!("model.{}.conv_block", 10 + i);
            let t = self.conv(&format!("{p}.1"), &h, 1, 1, true, bias);
            let t = self.norm(norm, &format!("{p}.2"), &t);
            let mut t = self.act(&t, relu);
            let mut at = 5;
            if dropout {
                t = self.dropout(&t);
                at = 6;
            }
            let t = self.conv(&format!("{p}.{at}"), &t, 1, 1, true, bias);
            let t = self.norm(norm, &format!("{p}.{}", at + 1), &t);
            h = self.out(T { data: h.data.iter().zip(&t.data).map(|(a, b)| a + b).collect(), shape: h.shape });
        }
        for at in [10 + n_blocks, 13 + n_blocks] {
            let t = self.conv_t(&format!("model.{at}"), &h, 2, 1, output_padding, bias);
            let t = self.norm(norm, &format!("model.{}", at + 1), &t);
            h = self.act(&t, relu);
        }
        let t = self.conv(&format!("model.{}", 17 + n_blocks), &h, 1, 3, true, true);
        self.act(&t, Activation::Tanh)
    }

    /// UnetGenerator: UnetSkipConnectionBlocks built innermost first, the
    /// outermost at `model` (its Sequential at `model.model`).
    fn unet(&mut self, norm: Norm, dropout: bool, num_downs: usize, ngf: usize, x: &T) -> T {
        assert!(num_downs >= 5);
        // (outer_nc, inner_nc, use_dropout) of the middle blocks, outside in.
        let mut levels = vec![(ngf, 2 * ngf, false), (2 * ngf, 4 * ngf, false), (4 * ngf, 8 * ngf, false)];
        levels.extend(std::iter::repeat_n((8 * ngf, 8 * ngf, dropout), num_downs - 5));
        // Outermost: [0 downconv, 1 submodule, 2 uprelu, 3 upconv (bias), 4 Tanh]; returns model(x).
        let use_bias = norm == Norm::Instance;
        let h = self.conv("model.model.0", x, 2, 1, false, use_bias);
        let h = self.unet_block(norm, "model.model.1", &levels, &h);
        let h = self.act(&h, Activation::Relu);
        let h = self.conv_t("model.model.3", &h, 2, 1, 0, true);
        self.act(&h, Activation::Tanh)
    }

    /// A middle or innermost UnetSkipConnectionBlock at `path` (its
    /// Sequential at `path.model`): cat([x, model(x)], 1).
    fn unet_block(&mut self, norm: Norm, path: &str, levels: &[(usize, usize, bool)], x: &T) -> T {
        let use_bias = norm == Norm::Instance;
        let p = format!("{path}.model");
        // downrelu is LeakyReLU(0.2, inplace=True): x itself becomes
        // LeakyReLU(x), and that is what the skip concatenates.
        let x = self.act(x, Activation::LeakyRelu(SLOPE));
        let y = match levels {
            [] => {
                // [0 downrelu, 1 downconv, 2 uprelu, 3 upconv, 4 upnorm].
                let h = self.conv(&format!("{p}.1"), &x, 2, 1, false, use_bias);
                let h = self.act(&h, Activation::Relu);
                let h = self.conv_t(&format!("{p}.3"), &h, 2, 1, 0, use_bias);
                self.norm(norm, &format!("{p}.4"), &h)
            }
            [(_, _, dropout), rest @ ..] => {
                // [0 downrelu, 1 downconv, 2 downnorm, 3 submodule, 4 uprelu,
                //  5 upconv, 6 upnorm, (7 Dropout(0.5))].
                let h = self.conv(&format!("{p}.1"), &x, 2, 1, false, use_bias);
                let h = self.norm(norm, &format!("{p}.2"), &h);
                let h = self.unet_block(norm, &format!("{p}.3"), rest, &h);
                let h = self.act(&h, Activation::Relu);
                let h = self.conv_t(&format!("{p}.5"), &h, 2, 1, 0, use_bias);
                let h = self.norm(norm, &format!("{p}.6"), &h);
                if *dropout {
                    self.dropout(&h)
                } else {
                    h
                }
            }
        };
        assert_eq!(y.shape[1], x.shape[1], "{path}: a block returns outer_nc channels");
        Self::cat(&x, &y)
    }

    /// NLayerDiscriminator: [Conv k4 s2 (bias), LReLU], n_layers - 1 ×
    /// [Conv k4 s2, norm, LReLU], [Conv k4 s1, norm, LReLU], Conv k4 s1 (bias) → 1.
    fn nlayer(&mut self, norm: Norm, n_layers: usize, x: &T) -> T {
        let use_bias = norm == Norm::Instance;
        let leaky = Activation::LeakyRelu(SLOPE);
        let h = self.conv("model.0", x, 2, 1, false, true);
        let mut h = self.act(&h, leaky);
        for n in 1..=n_layers {
            let stride = if n < n_layers { 2 } else { 1 };
            let t = self.conv(&format!("model.{}", 3 * n - 1), &h, stride, 1, false, use_bias);
            let t = self.norm(norm, &format!("model.{}", 3 * n), &t);
            h = self.act(&t, leaky);
        }
        self.conv(&format!("model.{}", 3 * n_layers + 2), &h, 1, 1, false, true)
    }

    /// PixelDiscriminator: [Conv 1x1 (bias), LReLU, Conv 1x1, norm, LReLU, Conv 1x1] at `net`.
    fn pixel(&mut self, norm: Norm, x: &T) -> T {
        let use_bias = norm == Norm::Instance;
        let leaky = Activation::LeakyRelu(SLOPE);
        let h = self.conv("net.0", x, 1, 0, false, true);
        let h = self.act(&h, leaky);
        let h = self.conv("net.2", &h, 1, 0, false, use_bias);
        let h = self.norm(norm, "net.3", &h);
        let h = self.act(&h, leaky);
        self.conv("net.5", &h, 1, 0, false, use_bias)
    }

    /// DCGAN's generator (pytorch/examples dcgan/main.py) at `main`:
    /// ConvT(k4 s1 p0), then ConvT(k4 s2 p1) x 4, BatchNorm + ReLU after all
    /// but the last, Tanh at the end; no biases.
    fn dcgan_g(&mut self, x: &T) -> T {
        let mut h = self.conv_t("main.0", x, 1, 0, 0, false);
        for i in 0..4 {
            let t = self.norm(Norm::Batch, &format!("main.{}", 3 * i + 1), &h);
            let t = self.act(&t, Activation::Relu);
            h = self.conv_t(&format!("main.{}", 3 * i + 3), &t, 2, 1, 0, false);
        }
        self.act(&h, Activation::Tanh)
    }

    /// DiscoGAN's generator at `main`: Conv(k4 s2 p1) + LeakyReLU, three
    /// (Conv, BatchNorm, LeakyReLU), three (ConvT, BatchNorm, ReLU), ConvT
    /// and Sigmoid; no biases.
    fn discogan_g(&mut self, x: &T) -> T {
        let leaky = Activation::LeakyRelu(SLOPE);
        let h = self.conv("main.0", x, 2, 1, false, false);
        let mut h = self.act(&h, leaky);
        for i in 0..3 {
            let t = self.conv(&format!("main.{}", 3 * i + 2), &h, 2, 1, false, false);
            let t = self.norm(Norm::Batch, &format!("main.{}", 3 * i + 3), &t);
            h = self.act(&t, leaky);
        }
        for i in 0..3 {
            let t = self.conv_t(&format!("main.{}", 3 * i + 11), &h, 2, 1, 0, false);
            let t = self.norm(Norm::Batch, &format!("main.{}", 3 * i + 12), &t);
            h = self.act(&t, Activation::Relu);
        }
        let h = self.conv_t("main.20", &h, 2, 1, 0, false);
        self.act(&h, Activation::Sigmoid)
    }

    /// DiscoGAN's discriminator: `conv1` + LeakyReLU, `conv<k>` + `bn<k>` +
    /// LeakyReLU for k = 2, 3, 4, `conv5` + Sigmoid.
    fn discogan_d(&mut self, x: &T) -> T {
        let leaky = Activation::LeakyRelu(SLOPE);
        let h = self.conv("conv1", x, 2, 1, false, false);
        let mut h = self.act(&h, leaky);
        for k in 2..=4 {
            let t = self.conv(&format!("conv{k}"), &h, 2, 1, false, false);
            let t = self.norm(Norm::Batch, &format!("bn{k}"), &t);
            h = self.act(&t, leaky);
        }
        let h = self.conv("conv5", &h, 1, 0, false, false);
        self.act(&h, Activation::Sigmoid)
    }

    /// DCGAN's discriminator at `main`: Conv(k4 s2 p1) + LeakyReLU(0.2), three
    /// Conv(k4 s2 p1) + BatchNorm + LeakyReLU, Conv(k4 s1 p0) + Sigmoid; no biases.
    fn dcgan_d(&mut self, x: &T) -> T {
        let leaky = Activation::LeakyRelu(SLOPE);
        let h = self.conv("main.0", x, 2, 1, false, false);
        let mut h = self.act(&h, leaky);
        for i in 0..3 {
            let t = self.conv(&format!("main.{}", 3 * i + 2), &h, 2, 1, false, false);
            let t = self.norm(Norm::Batch, &format!("main.{}", 3 * i + 3), &t);
            h = self.act(&t, leaky);
        }
        let h = self.conv("main.11", &h, 1, 0, false, false);
        self.act(&h, Activation::Sigmoid)
    }
}

/// One reference forward pass: the output, the updated running statistics
/// and the dropout seeds; panics if the state_dict holds tensors the
/// reference did not read.
pub fn forward<'a>(
    sd: &'a StateDict,
    arch: &Architecture,
    x: &T,
    mode: Mode,
    rng: Option<SplitMix64>,
    round: bool,
) -> (T, RefNet<'a>) {
    let mut r = RefNet::new(sd, mode, rng, round);
    let y = r.forward(arch, x);
    let unused: Vec<String> = r.unused().into_iter().filter(|k| !k.ends_with("num_batches_tracked")).collect();
    assert!(unused.is_empty(), "{}: the reference does not read {unused:?}", arch.describe());
    (y, r)
}

/// Weights for testing an architecture: every tensor uniform in [-1, 1)
/// scaled by 1/sqrt(fan-in) (fan-in = the product of the dims after the
/// first, so biases stay in [-1, 1)) so every layer matters and activations
/// stay O(1); BatchNorm weights 1 ± 0.5, biases ± 0.5, running means ± 0.5
/// and running variances 1 ± 0.5, so eval mode differs from training mode.
/// Tensor `i` in state_dict order is drawn from seed `seed + i`.
pub fn test_weights(arch: &Architecture, seed: u64) -> StateDict {
    let specs = shaders::nn::nets::network::Network::specs_of(arch).expect("a valid architecture");
    let mut sd = StateDict::new();
    for (i, s) in specs.iter().enumerate() {
        let n: usize = s.shape.iter().product();
        let r = crate::random(n, seed + i as u64);
        let module = s.name.rsplit_once('.').map_or("", |(m, _)| m);
        let batch_norm = specs.iter().any(|o| o.name == format!("{module}.running_mean"));
        let data: Vec<f32> = if batch_norm && s.name.ends_with(".weight") {
            r.iter().map(|v| 1.0 + 0.5 * v).collect()
        } else if batch_norm && s.name.ends_with(".bias") || s.name.ends_with(".running_mean") {
            r.iter().map(|v| 0.5 * v).collect()
        } else if s.name.ends_with(".running_var") {
            r.iter().map(|v| 1.0 + 0.5 * v).collect()
        } else {
            let fan_in: usize = s.shape.iter().skip(1).product::<usize>().max(1);
            r.iter().map(|v| v / (fan_in as f32).sqrt()).collect()
        };
        sd.insert(s.name.clone(), shaders::nn::io::weights::HostTensor::new(s.shape.clone(), data)).unwrap();
    }
    sd
}

/// The state_dict with the BatchNorm running statistics replaced by those a
/// reference pass left (`RefNet::running`), rounded to f32.
pub fn with_running(sd: &StateDict, running: &BTreeMap<String, (Vec<f64>, Vec<f64>)>) -> StateDict {
    let mut out = sd.clone();
    for (path, (mean, var)) in running {
        for (key, v) in [("running_mean", mean), ("running_var", var)] {
            let name = format!("{path}.{key}");
            let shape = sd.get(&name).expect("a running statistic of the state_dict").shape.clone();
            let t = shaders::nn::io::weights::HostTensor::new(shape, v.iter().map(|&x| x as f32).collect());
            out.insert(name, t).unwrap();
        }
    }
    out
}
