//! U-GAT-IT's networks (znxlwm/UGATIT-pytorch `networks.py`): the
//! generator with its class activation map (CAM), the γ/β MLP and the
//! adaILN decoder, and the spectrally normalized discriminators with their
//! CAM logits. Each keeps the reference's state_dict keys and is one
//! [`Sequential`] of [`Layer`]s: the encoder and `model` as the reference's
//! Sequentials, the CAM block (whose logits, and the generator's heatmap,
//! are returned as features), the γ/β MLP with the adaILN blocks it
//! conditions, UpBlock2 with its ILNs, and the spectrally normalized
//! convolutions and fcs, whose power iteration updates their buffers in
//! training.
//!
//! Quirks kept from the reference:
//! - the CAM feature weighting multiplies by the fc weight itself
//!   (`list(self.gap_fc.parameters())[0]`), which in the discriminators is
//!   the spectral norm's unnormalized `weight_orig`, while the CAM logits use
//!   the normalized weight; that weight so receives gradient from two paths;
//! - every training-mode discriminator call runs one power iteration and
//!   updates `weight_u` and `weight_v`; each call's backward uses that call's
//!   vectors, as PyTorch's autograd does.

use std::collections::BTreeMap;

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::{HostTensor, StateDict};
use crate::nn::layers::arena::ParamArena;
use crate::nn::layers::params::{ParamSpec, SplitMix64};
use crate::nn::layers::{
    add_residual, Backward, Entry, Forward, Layer, Mode, Registry, Residual, SeqBuilder, Sequential, Tape,
};
use crate::nn::nets::arch::Norm;
use crate::nn::nets::network::{spec_order, state_dict_of, Loaded, LEAKY_SLOPE};
use crate::ops::{
    accumulate, activation_backward_input, add, add_assign, channel_scale, channel_scale_backward_weight, channel_sum,
    concat_channels, concat_channels_backward_input, conv2d_backward_bias, conv2d_backward_input,
    conv2d_backward_weight, conv2d_pack_weight, conv2d_packed, global_avg_pool, global_avg_pool_backward_input,
    global_max_pool, global_max_pool_backward_input, layer_instance_norm, layer_instance_norm_backward, linear,
    linear_backward_input, linear_backward_input_parts, linear_backward_weight, linear_backward_weight_accumulate,
    linear_parts, spectral_norm, spectral_norm_backward, upsample_nearest2x, upsample_nearest2x_backward_input,
    Activation, Conv2dParams, LayerInstanceNormParams, Padding, SpectralNorm,
};
use crate::tensor::Tensor;

/// A generator's shape (the reference's `--ch`, `--n_res`, `--light`, `--img_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeneratorShape {
    /// Channels of the first layer [64]; the bottleneck has 4 ch.
    pub ch: usize,
    /// Residual blocks in the encoder and adaILN blocks in the decoder [4].
    pub n_res: usize,
    /// The light γ/β MLP (global average pooling first) rather than the full one.
    pub light: bool,
    /// The training image size [256]: the full MLP's input is the bottleneck
    /// flattened, (size / 4)² · 4 ch values, so that model takes only this size.
    pub img_size: usize,
}

impl GeneratorShape {
    /// Bottleneck channels, 4 ch.
    pub fn bottleneck(&self) -> usize {
        4 * self.ch
    }

    /// Input features of the MLP's first layer.
    pub fn fc_in(&self) -> usize {
        if self.light {
            self.bottleneck()
        } else {
            (self.img_size / 4) * (self.img_size / 4) * self.bottleneck()
        }
    }

    /// One line for messages.
    pub fn describe(&self) -> String {
        format!(
            "U-GAT-IT{} generator (ch {}, {} residual blocks{})",
            if self.light { " light" } else { "" },
            self.ch,
            self.n_res,
            if self.light { String::new() } else { format!(", {}x{} images", self.img_size, self.img_size) }
        )
    }

    /// Checks an input: [N, 3, H, W] with H, W multiples of 4 and at least 8
    /// (the reflection pads need planes of two pixels at the bottleneck); the
    /// full model takes only its image size.
    pub fn check_input(&self, x: &Tensor) -> Result<()> {
        let [_, c, h, w] = x.nchw("U-GAT-IT generator", "input")?;
        let fits = if self.light { h % 4 == 0 && w % 4 == 0 && h >= 8 && w >= 8 } else { h == self.img_size && w == h };
        if c != 3 || !fits {
            let need = if self.light {
                "[N, 3, H, W] with H and W multiples of 4, at least 8".to_string()
            } else {
                format!("[N, 3, {0}, {0}] (the full model's MLP takes only its image size)", self.img_size)
            };
            return Err(Error::shape("U-GAT-IT generator", format!("input {:?} must be {need}", x.shape())));
        }
        Ok(())
    }
}

/// The global (7 layers) or local (5 layers) discriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiscriminatorShape {
    /// Channels of the first layer [64].
    pub ch: usize,
    /// 7 for the global discriminators, 5 for the local ones.
    pub n_layers: usize,
}

impl DiscriminatorShape {
    /// Channels at the CAM: ch · 2^(n_layers - 2).
    pub fn cam_channels(&self) -> usize {
        self.ch << (self.n_layers - 2)
    }

    /// The smallest square input whose output is not empty.
    pub fn min_size(&self) -> usize {
        // Each stride-2 layer maps s to s / 2 (4x4 kernel, reflection pad 1);
        // the two stride-1 layers each take one pixel off. Going backwards
        // from a 1x1 output: before a stride-1 layer s + 1, before a
        // stride-2 layer 2 s; every reflection pad needs s >= 2.
        let mut s = 1usize;
        s += 1; // the final conv
        s = (s + 1).max(2); // the stride-1 layer
        for _ in 0..self.n_layers - 2 {
            s *= 2;
        }
        s
    }
}

fn conv(stride: usize, padding: usize, padding_mode: Padding, activation: Activation) -> Conv2dParams {
    Conv2dParams { stride, padding, padding_mode, activation }
}

/// What an initial state_dict holds for each key.
fn init_value(name: &str, shape: &[usize], fan_in: &BTreeMap<String, usize>, rng: &mut SplitMix64) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let uniform =
        |rng: &mut SplitMix64, bound: f64| (0..n).map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32).collect();
    let module = name.rsplit_once('.').map(|(m, _)| m).unwrap_or("");
    if name.ends_with(".weight_u") || name.ends_with(".weight_v") {
        // torch.nn.utils.spectral_norm: normalize(normal(0, 1)).
        let v: Vec<f64> = (0..n).map(|_| rng.normal() as f64).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
        return v.iter().map(|x| (x / norm) as f32).collect();
    }
    if name.ends_with(".rho") {
        // adaILN starts at 0.9, ILN at 0.
        return vec![if module.contains(".norm") { 0.9 } else { 0.0 }; n];
    }
    if shape.len() == 4 && shape[0] == 1 && !name.ends_with(".weight") && !name.ends_with(".weight_orig") {
        // ILN's gamma (1) and beta (0).
        return vec![if name.ends_with(".gamma") { 1.0 } else { 0.0 }; n];
    }
    // PyTorch's default: kaiming_uniform(a = sqrt(5)) for weights, which is
    // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for biases.
    let fan = fan_in.get(module).copied().unwrap_or(1).max(1);
    uniform(rng, 1.0 / (fan as f64).sqrt())
}

/// A state_dict of freshly initialised weights for a registry (PyTorch's
/// default initialisation, from `seed`).
fn init_state_dict(reg: &Registry, seed: u64) -> Result<StateDict> {
    let mut fan_in = BTreeMap::new();
    for s in &reg.params {
        if let Some(m) = s.name.strip_suffix(".weight").or_else(|| s.name.strip_suffix(".weight_orig")) {
            if s.shape.len() >= 2 {
                fan_in.insert(m.to_string(), s.shape[1..].iter().product::<usize>());
            }
        }
    }
    let mut rng = SplitMix64(seed);
    let mut sd = StateDict::new();
    for (spec, _) in spec_order(reg).iter().zip(&reg.order) {
        let data = init_value(&spec.name, &spec.shape, &fan_in, &mut rng);
        sd.insert(spec.name.clone(), HostTensor::new(spec.shape.clone(), data))
            .map_err(|e| Error::Network(e.to_string()))?;
    }
    Ok(sd)
}

/// Concatenates two [N, 1] logits into [N, 2].
fn cat_logits(gpu: &Gpu, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let n = a.shape()[0];
    concat_channels(gpu, &a.reshape(&[n, 1, 1, 1])?, &b.reshape(&[n, 1, 1, 1])?)?.reshape(&[n, 2])
}

/// Splits the gradient of [N, 2] logits into its two [N, 1] columns.
fn split_logits(gpu: &Gpu, d: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = d.len() / 2;
    let (a, b) = concat_channels_backward_input(gpu, &d.reshape(&[n, 2, 1, 1])?, 1)?;
    Ok((a.reshape(&[n, 1])?, b.reshape(&[n, 1])?))
}

fn sum_into(gpu: &Gpu, acc: &mut Option<Tensor>, t: Tensor) -> Result<()> {
    match acc {
        Some(a) => add_assign(gpu, a, &t),
        None => {
            *acc = Some(t);
            Ok(())
        }
    }
}

fn no_input() -> Error {
    Error::Network("U-GAT-IT: a backward pass returned no input gradient".into())
}

/// The CAM's features of a forward pass: the logits, and the heatmap when the network has one.
fn cam_features<const N: usize>(f: &mut Forward) -> Result<[Tensor; N]> {
    std::mem::take(&mut f.features)
        .try_into()
        .map_err(|_| Error::Network(format!("U-GAT-IT: the forward pass did not return its {N} CAM feature(s)")))
}

fn forward_ctx<'a>(gpu: &'a Gpu, params: &'a ParamArena, tape: Option<&'a mut Tape>) -> Forward<'a> {
    Forward { gpu, params, buffers: &[], mode: Mode::TRAIN, rng: None, tape, features: Vec::new() }
}

// ---------------------------------------------------------------------------
// Generator

/// One ResnetAdaILNBlock: conv1, adaILN + ReLU, conv2, adaILN, + x.
struct AdaBlock {
    conv1: Sequential,
    rho1: usize,
    conv2: Sequential,
    rho2: usize,
}

/// adaILN with a ReLU (norm1) and without (norm2, which takes the block's
/// input as its fused residual).
const ADA_RELU: LayerInstanceNormParams = LayerInstanceNormParams { eps: 1e-5, activation: Activation::Relu };
const ADA_PLAIN: LayerInstanceNormParams = LayerInstanceNormParams { eps: 1e-5, activation: Activation::None };

/// What an adaILN saves: its input and statistics.
struct AdaIlnSaved {
    input: Tensor,
    stats: Tensor,
}

impl AdaBlock {
    /// conv1, adaILN + ReLU, conv2, adaILN + x with the MLP's γ and β.
    fn forward(&self, f: &mut Forward, x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<Tensor> {
        let (gpu, p) = (f.gpu, f.params);
        let c1 = self.conv1.forward(f, x, None)?;
        let (n1, s1) = layer_instance_norm(gpu, &c1, &p.value(self.rho1), gamma, beta, &ADA_RELU, None)?;
        f.save(AdaIlnSaved { input: c1, stats: s1 });
        let c2 = self.conv2.forward(f, &n1, None)?;
        let (n2, s2) = layer_instance_norm(gpu, &c2, &p.value(self.rho2), gamma, beta, &ADA_PLAIN, Some(x))?;
        f.save(AdaIlnSaved { input: c2, stats: s2 });
        Ok(n2)
    }

    /// Backward: dL/dx; the gradients wrt γ and β are added into `d_gamma`, `d_beta`.
    fn backward(
        &self,
        b: &mut Backward,
        dy: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        d_gamma: &mut Option<Tensor>,
        d_beta: &mut Option<Tensor>,
    ) -> Result<Tensor> {
        let (gpu, p) = (b.gpu, b.params);
        let AdaIlnSaved { input: c2, stats: s2 } = b.tape.pop("adaILN")?;
        let g2 = layer_instance_norm_backward(gpu, &c2, &s2, dy, &p.value(self.rho2), gamma, beta, &ADA_PLAIN)?;
        if b.param_grads {
            accumulate(gpu, &p.grad(self.rho2), &g2.drho, 1.0)?;
        }
        sum_into(gpu, d_gamma, g2.dgamma)?;
        sum_into(gpu, d_beta, g2.dbeta)?;
        let dn1 = self.conv2.backward(b, &g2.dx, true)?.ok_or_else(no_input)?;
        let AdaIlnSaved { input: c1, stats: s1 } = b.tape.pop("adaILN")?;
        let g1 = layer_instance_norm_backward(gpu, &c1, &s1, &dn1, &p.value(self.rho1), gamma, beta, &ADA_RELU)?;
        if b.param_grads {
            accumulate(gpu, &p.grad(self.rho1), &g1.drho, 1.0)?;
        }
        sum_into(gpu, d_gamma, g1.dgamma)?;
        sum_into(gpu, d_beta, g1.dbeta)?;
        let dh = self.conv1.backward(b, &g1.dx, true)?.ok_or_else(no_input)?;
        // out + x: the block's input gets the output's gradient too.
        add(gpu, &dh, dy)
    }
}

/// The γ/β MLP (`FC`, `gamma`, `beta`) and the adaILN residual blocks it
/// conditions (`UpBlock1_1` ... `UpBlock1_n`): one layer from the
/// bottleneck features, which both take, to the decoder's UpBlock2.
struct AdaIlnBlocks {
    /// The light MLP pools the features first; the full one flattens them.
    light: bool,
    /// `FC.0` (possibly in row blocks) and `FC.2`, each followed by a ReLU.
    fc: [usize; 2],
    gamma: usize,
    beta: usize,
    blocks: Vec<AdaBlock>,
}

/// What the MLP saves, pushed after the blocks' entries so that backward
/// has γ and β before it walks the blocks.
struct MlpSaved {
    h_shape: [usize; 4],
    fc_in: Tensor,
    f1: Tensor,
    f2: Tensor,
    gamma: Tensor,
    beta: Tensor,
}

impl Layer for AdaIlnBlocks {
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        for b in &mut self.blocks {
            b.conv1.refresh(gpu, params, backward)?;
            b.conv2.refresh(gpu, params, backward)?;
        }
        Ok(())
    }

    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let (gpu, p) = (f.gpu, f.params);
        let h_shape = x.nchw("U-GAT-IT generator", "features")?;
        let n = h_shape[0];
        let fc_in = if self.light { global_avg_pool(gpu, x)? } else { x.reshape(&[n, x.len() / n])? };
        let f1 = linear_parts(gpu, &fc_in, &p.value_parts(self.fc[0]), Activation::Relu)?;
        let f2 = linear(gpu, &f1, &p.value(self.fc[1]), Activation::Relu)?;
        let gamma = linear(gpu, &f2, &p.value(self.gamma), Activation::None)?;
        let beta = linear(gpu, &f2, &p.value(self.beta), Activation::None)?;
        let mut h = x.clone();
        for b in &self.blocks {
            h = b.forward(f, &h, &gamma, &beta)?;
        }
        f.save(MlpSaved { h_shape, fc_in, f1, f2, gamma, beta });
        add_residual(gpu, h, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let MlpSaved { h_shape, fc_in, f1, f2, gamma, beta } = b.tape.pop("U-GAT-IT γ/β MLP")?;
        let (gpu, p) = (b.gpu, b.params);
        let mut d = dy.clone();
        let (mut d_gamma, mut d_beta): (Option<Tensor>, Option<Tensor>) = (None, None);
        for blk in self.blocks.iter().rev() {
            d = blk.backward(b, &d, &gamma, &beta, &mut d_gamma, &mut d_beta)?;
        }
        // γ = gamma(f2), β = beta(f2), f2 = relu(FC.2(f1)), f1 = relu(FC.0(fc_in)).
        if let (Some(dg), Some(db)) = (d_gamma, d_beta) {
            let (wg, wb) = (p.value(self.gamma), p.value(self.beta));
            if b.param_grads {
                linear_backward_weight_accumulate(gpu, &f2, &dg, &p.grad_parts(self.gamma))?;
                linear_backward_weight_accumulate(gpu, &f2, &db, &p.grad_parts(self.beta))?;
            }
            let df2 = linear_backward_input(gpu, &dg, &wg)?;
            add_assign(gpu, &df2, &linear_backward_input(gpu, &db, &wb)?)?;
            let df2 = activation_backward_input(gpu, Activation::Relu, &f2, &df2)?;
            if b.param_grads {
                linear_backward_weight_accumulate(gpu, &f1, &df2, &p.grad_parts(self.fc[1]))?;
            }
            let df1 = linear_backward_input(gpu, &df2, &p.value(self.fc[1]))?;
            let df1 = activation_backward_input(gpu, Activation::Relu, &f1, &df1)?;
            if b.param_grads {
                linear_backward_weight_accumulate(gpu, &fc_in, &df1, &p.grad_parts(self.fc[0]))?;
            }
            let d_in = linear_backward_input_parts(gpu, &df1, &p.value_parts(self.fc[0]))?;
            let d_h =
                if self.light { global_avg_pool_backward_input(gpu, &d_in, h_shape)? } else { d_in.reshape(&h_shape)? };
            add_assign(gpu, &d, &d_h)?;
        }
        Ok(input_grad.then_some(d))
    }
}

/// `nn.Upsample(scale_factor=2, mode='nearest')`.
struct Upsample2x;

impl Layer for Upsample2x {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let y = upsample_nearest2x(f.gpu, x)?;
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        Ok(Some(upsample_nearest2x_backward_input(b.gpu, dy)?))
    }
}

/// The reference's ILN: layer-instance normalization mixing the instance
/// and layer statistics by ρ, with learned γ and β per channel (`rho`,
/// `gamma`, `beta` [1, C, 1, 1]), and a fused activation.
struct Iln {
    rho: usize,
    gamma: usize,
    beta: usize,
    params: LayerInstanceNormParams,
}

/// What an [`Iln`] saves: its input and statistics.
struct IlnSaved {
    input: Tensor,
    stats: Tensor,
}

impl Iln {
    /// Registers `<path>.rho`, `.gamma` and `.beta` over `channels`.
    fn new(reg: &mut Registry, path: &str, channels: usize, activation: Activation) -> Iln {
        let shape = [1, channels, 1, 1];
        let rho = reg.param(format!("{path}.rho"), &shape);
        let gamma = reg.param(format!("{path}.gamma"), &shape);
        let beta = reg.param(format!("{path}.beta"), &shape);
        Iln { rho, gamma, beta, params: LayerInstanceNormParams { eps: 1e-5, activation } }
    }
}

impl Layer for Iln {
    /// The residual, when given, is fused into the kernel.
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let p = f.params;
        let (rho, gamma, beta) = (p.value(self.rho), p.value(self.gamma), p.value(self.beta));
        let (y, stats) = layer_instance_norm(f.gpu, x, &rho, &gamma, &beta, &self.params, residual)?;
        f.save(IlnSaved { input: x.clone(), stats });
        Ok(y)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let IlnSaved { input, stats } = b.tape.pop("ILN")?;
        let (gpu, p) = (b.gpu, b.params);
        let (rho, gamma, beta) = (p.value(self.rho), p.value(self.gamma), p.value(self.beta));
        let grads = layer_instance_norm_backward(gpu, &input, &stats, dy, &rho, &gamma, &beta, &self.params)?;
        if b.param_grads {
            accumulate(gpu, &p.grad(self.rho), &grads.drho, 1.0)?;
            accumulate(gpu, &p.grad(self.gamma), &grads.dgamma, 1.0)?;
            accumulate(gpu, &p.grad(self.beta), &grads.dbeta, 1.0)?;
        }
        Ok(input_grad.then_some(grads.dx))
    }
}

/// The U-GAT-IT generator (`ResnetGenerator`).
pub struct Generator {
    shape: GeneratorShape,
    /// DownBlock, the CAM, the γ/β MLP with the adaILN blocks, and UpBlock2
    /// (the decoder's ILN stages, the output conv and Tanh).
    net: Sequential,
    /// Every ρ (adaILN and ILN).
    rhos: Vec<usize>,
    params: ParamArena,
    order: Vec<(String, Entry)>,
}

/// A generator pass's outputs.
pub struct GeneratorOutput {
    /// The image, [N, 3, H, W] in [-1, 1].
    pub image: Tensor,
    /// The CAM logits [N, 2] (average- and max-pooled).
    pub cam_logit: Tensor,
    /// The attention map [N, 1, H/4, W/4]: the CAM-weighted features summed over channels.
    pub heatmap: Tensor,
}

/// What a generator's backward needs from its training forward.
pub struct GeneratorTape {
    layers: Tape,
}

/// The modules and parameter indices of a generator, registered in the
/// reference's state_dict order (modules in assignment order: gap_fc,
/// gmp_fc, conv1x1, gamma, beta, UpBlock1_*, then DownBlock, FC, UpBlock2).
struct GeneratorParts {
    net: Sequential,
    rhos: Vec<usize>,
}

fn generator_parts(reg: &mut Registry, g: &GeneratorShape) -> GeneratorParts {
    let (ch, c) = (g.ch, g.bottleneck());
    let fc = [CamFc::plain(reg, "gap_fc", c), CamFc::plain(reg, "gmp_fc", c)];
    let mut s = SeqBuilder::new(reg, "");
    s.named("conv1x1").conv([c, 2 * c, 1, 1], true, conv(1, 0, Padding::Zero, Activation::Relu));
    let cam = Cam { fc, conv1x1: s.finish(), heatmap: true };
    let gamma = reg.param("gamma.weight".into(), &[c, c]);
    let beta = reg.param("beta.weight".into(), &[c, c]);
    let block_conv = |reg: &mut Registry, name: String| {
        let mut s = SeqBuilder::new(reg, "");
        s.named(&name).conv([c, c, 3, 3], false, conv(1, 1, Padding::Reflect, Activation::None));
        s.finish()
    };
    let mut blocks = Vec::with_capacity(g.n_res);
    for i in 1..=g.n_res {
        let conv1 = block_conv(reg, format!("UpBlock1_{i}.conv1"));
        let rho1 = reg.param(format!("UpBlock1_{i}.norm1.rho"), &[1, c, 1, 1]);
        let conv2 = block_conv(reg, format!("UpBlock1_{i}.conv2"));
        let rho2 = reg.param(format!("UpBlock1_{i}.norm2.rho"), &[1, c, 1, 1]);
        blocks.push(AdaBlock { conv1, rho1, conv2, rho2 });
    }

    let mut s = SeqBuilder::new(reg, "DownBlock");
    s.fused(); // ReflectionPad2d(3)
    s.conv([ch, 3, 7, 7], false, conv(1, 3, Padding::Reflect, Activation::None));
    s.norm(Norm::Instance, ch, Activation::Relu).fused();
    for i in 0..2 {
        let m = ch << i;
        s.fused(); // ReflectionPad2d(1)
        s.conv([2 * m, m, 3, 3], false, conv(2, 1, Padding::Reflect, Activation::None));
        s.norm(Norm::Instance, 2 * m, Activation::Relu).fused();
    }
    for _ in 0..g.n_res {
        s.child(|reg, path| {
            let mut b = SeqBuilder::new(reg, format!("{path}.conv_block"));
            b.fused(); // ReflectionPad2d(1)
            b.conv([c, c, 3, 3], false, conv(1, 1, Padding::Reflect, Activation::None));
            b.norm(Norm::Instance, c, Activation::Relu).fused();
            b.fused(); // ReflectionPad2d(1)
            b.conv([c, c, 3, 3], false, conv(1, 1, Padding::Reflect, Activation::None));
            b.norm(Norm::Instance, c, Activation::None);
            Residual(Box::new(b.finish()))
        });
    }
    let down = s.finish();

    // FC.0 of the full model at 256x256 (ch 64) is 256 x 1,048,576, 1 GiB:
    // it may lie in row blocks, which the linear ops take as they are.
    let fc = [reg.param_row_blocks("FC.0.weight".into(), &[c, g.fc_in()]), reg.param("FC.2.weight".into(), &[c, c])];

    // UpBlock2: [Upsample, pad, conv, ILN, ReLU] x 2 at indices 0-4 and 5-9,
    // then pad (10), conv (11), Tanh (12).
    let mut up_rhos = Vec::with_capacity(2);
    let mut s = SeqBuilder::new(reg, "UpBlock2");
    for i in 0..2 {
        let m = c >> i;
        s.push(Upsample2x);
        s.fused(); // ReflectionPad2d(1)
        s.conv([m / 2, m, 3, 3], false, conv(1, 1, Padding::Reflect, Activation::None));
        s.child(|reg, path| {
            let iln = Iln::new(reg, path, m / 2, Activation::Relu);
            up_rhos.push(iln.rho);
            iln
        });
        s.fused(); // ReLU
    }
    s.fused(); // ReflectionPad2d(3)
    s.conv([3, ch, 7, 7], false, conv(1, 3, Padding::Reflect, Activation::Tanh));
    s.fused(); // Tanh
    let up = s.finish();
    let rhos = blocks.iter().flat_map(|b| [b.rho1, b.rho2]).chain(up_rhos).collect();
    let ada = AdaIlnBlocks { light: g.light, fc, gamma, beta, blocks };
    let net = Sequential(vec![Box::new(down), Box::new(cam), Box::new(ada), Box::new(up)]);
    GeneratorParts { net, rhos }
}

impl Generator {
    /// Fresh weights (PyTorch's default initialisation) from `seed`.
    pub fn init_state_dict(g: &GeneratorShape, seed: u64) -> Result<StateDict> {
        let mut reg = Registry::default();
        generator_parts(&mut reg, g);
        init_state_dict(&reg, seed)
    }

    /// Builds the generator from a state_dict in the reference's layout.
    pub fn new(gpu: &Gpu, g: GeneratorShape, sd: &StateDict) -> Result<Generator> {
        let mut reg = Registry::default();
        let parts = generator_parts(&mut reg, &g);
        let Loaded { params, order, .. } = Loaded::new(gpu, &g.describe(), reg, sd)?;
        let GeneratorParts { net, rhos } = parts;
        let mut net = Generator { shape: g, net, rhos, params, order };
        net.refresh(gpu)?;
        Ok(net)
    }

    /// The shape.
    pub fn shape(&self) -> GeneratorShape {
        self.shape
    }

    /// The parameters.
    pub fn params(&self) -> &ParamArena {
        &self.params
    }

    /// Re-packs the convolution weights after the parameters changed.
    pub fn refresh(&mut self, gpu: &Gpu) -> Result<()> {
        self.net.refresh(gpu, &self.params, true)
    }

    /// Clamps every ρ (adaILN and ILN) to [0, 1]: the reference's RhoClipper
    /// after each generator step.
    pub fn clip_rho(&self, gpu: &Gpu) -> Result<()> {
        for &i in &self.rhos {
            crate::ops::clamp_in_place(gpu, &self.params.value(i), 0.0, 1.0)?;
        }
        Ok(())
    }

    /// The forward pass (the generator has no train/eval difference).
    pub fn forward(&self, gpu: &Gpu, input: &Tensor) -> Result<GeneratorOutput> {
        Ok(self.run(gpu, input, false)?.0)
    }

    /// A training forward: the outputs and what [`Generator::backward`] needs.
    pub fn forward_train(&self, gpu: &Gpu, input: &Tensor) -> Result<(GeneratorOutput, GeneratorTape)> {
        let (out, tape) = self.run(gpu, input, true)?;
        Ok((out, tape.ok_or_else(no_input)?))
    }

    fn run(&self, gpu: &Gpu, input: &Tensor, keep: bool) -> Result<(GeneratorOutput, Option<GeneratorTape>)> {
        self.shape.check_input(input)?;
        let mut layers = Tape::default();
        let mut f = forward_ctx(gpu, &self.params, keep.then_some(&mut layers));
        let image = self.net.forward(&mut f, input, None)?;
        let [cam_logit, heatmap] = cam_features(&mut f)?;
        drop(f);
        let tape = keep.then(|| GeneratorTape { layers });
        Ok((GeneratorOutput { image, cam_logit, heatmap }, tape))
    }

    /// Backward from the gradients wrt the image and (optionally) the CAM
    /// logits: adds the parameter gradients; returns dL/dinput when `input_grad`.
    pub fn backward(
        &self,
        gpu: &Gpu,
        t: GeneratorTape,
        d_image: &Tensor,
        d_cam: Option<&Tensor>,
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        // The CAM logits' gradient, and none for the heatmap.
        let feature_grads = vec![d_cam.cloned(), None];
        let mut b = Backward { gpu, params: &self.params, param_grads: true, tape: t.layers, feature_grads };
        self.net.backward(&mut b, d_image, input_grad)
    }

    /// Reads the weights back as a state_dict in the reference's layout.
    pub async fn to_state_dict(&self, gpu: &Gpu) -> Result<StateDict> {
        let mut meta = BTreeMap::new();
        meta.insert("model".to_string(), "ugatit".to_string());
        meta.insert("light".to_string(), self.shape.light.to_string());
        meta.insert("img_size".to_string(), self.shape.img_size.to_string());
        state_dict_of(gpu, &self.params, &self.order, &[], &[], meta).await
    }
}

// ---------------------------------------------------------------------------
// The CAM block of both networks

/// A bias-free fc of the CAM (`gap_fc`, `gmp_fc`: weight [1, C]) on
/// pooled [N, C] features; spectrally normalized in the discriminators.
struct CamFc {
    /// The weight (`weight`, or the spectral norm's `weight_orig`).
    weight: usize,
    sn: Option<SnWeight>,
}

/// What a [`CamFc`] saves: its input and that call's normalization.
struct CamFcSaved {
    input: Tensor,
    sn: Option<SpectralNorm>,
}

impl CamFc {
    /// Registers `<path>.weight` [1, c].
    fn plain(reg: &mut Registry, path: &str, c: usize) -> CamFc {
        CamFc { weight: reg.param(format!("{path}.weight"), &[1, c]), sn: None }
    }

    /// Registers `<path>.weight_orig` [1, c], `.weight_u` and `.weight_v`.
    fn spectral(reg: &mut Registry, path: &str, c: usize) -> CamFc {
        let sn = SnWeight::new(reg, path, &[1, c]);
        CamFc { weight: sn.weight, sn: Some(sn) }
    }
}

impl Layer for CamFc {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let sn = self.sn.as_ref().map(|s| s.normalize(f)).transpose()?;
        let w = sn.as_ref().map_or_else(|| f.params.value(self.weight), |sn| sn.w_sn.clone());
        let y = linear(f.gpu, x, &w, Activation::None)?;
        f.save(CamFcSaved { input: x.clone(), sn });
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let CamFcSaved { input, sn } = b.tape.pop("CAM fc")?;
        let (gpu, p) = (b.gpu, b.params);
        if b.param_grads {
            let dw = linear_backward_weight(gpu, &input, dy)?;
            match (&self.sn, &sn) {
                (Some(w), Some(sn)) => w.accumulate_grad(b, sn, &dw)?,
                _ => accumulate(gpu, &p.grad(self.weight), &dw, 1.0)?,
            }
        }
        if !input_grad {
            return Ok(None);
        }
        let w = sn.map_or_else(|| p.value(self.weight), |sn| sn.w_sn);
        Ok(Some(linear_backward_input(gpu, dy, &w)?))
    }
}

/// The class activation map block of both networks: the logits
/// gap_fc(avgpool x) and gmp_fc(maxpool x), returned as a feature ([N, 2],
/// [`Forward::features`]); the features weighted by the fc weights
/// themselves, cat(x · w_gap, x · w_gmp), through `conv1x1` and its
/// activation; and, in the generator, the heatmap (the result summed over
/// channels) as a second feature. Backward takes the logits' gradient from
/// [`Backward::feature_grads`] (none: the logits are not in the loss); the
/// heatmap takes none.
struct Cam {
    fc: [CamFc; 2],
    conv1x1: Sequential,
    heatmap: bool,
}

/// What a [`Cam`] saves after its children's entries: its input.
struct CamSaved(Tensor);

impl Layer for Cam {
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        self.conv1x1.refresh(gpu, params, backward)
    }

    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let gpu = f.gpu;
        let gap = global_avg_pool(gpu, x)?;
        let gmp = global_max_pool(gpu, x)?;
        let gap_logit = self.fc[0].forward(f, &gap, None)?;
        let gmp_logit = self.fc[1].forward(f, &gmp, None)?;
        f.features.push(cat_logits(gpu, &gap_logit, &gmp_logit)?);
        let (w_gap, w_gmp) = (f.params.value(self.fc[0].weight), f.params.value(self.fc[1].weight));
        let weighted = concat_channels(gpu, &channel_scale(gpu, x, &w_gap)?, &channel_scale(gpu, x, &w_gmp)?)?;
        let h = self.conv1x1.forward(f, &weighted, None)?;
        if self.heatmap {
            f.features.push(channel_sum(gpu, &h)?);
        }
        f.save(CamSaved(x.clone()));
        add_residual(gpu, h, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let CamSaved(x) = b.tape.pop("CAM")?;
        if self.heatmap && b.feature_grads.pop().flatten().is_some() {
            return Err(Error::Network("U-GAT-IT: the CAM heatmap takes no gradient".into()));
        }
        let d_cam = b.feature_grads.pop().flatten();
        let gpu = b.gpu;
        let d_weighted = self.conv1x1.backward(b, dy, true)?.ok_or_else(no_input)?;
        // The fc weights weight the features: their raw values get this gradient first.
        let c = x.nchw("U-GAT-IT CAM", "features")?[1];
        let (d_gap_x, d_gmp_x) = concat_channels_backward_input(gpu, &d_weighted, c)?;
        let p = b.params;
        let dx = channel_scale(gpu, &d_gap_x, &p.value(self.fc[0].weight))?;
        add_assign(gpu, &dx, &channel_scale(gpu, &d_gmp_x, &p.value(self.fc[1].weight))?)?;
        if b.param_grads {
            for (fc, d) in [(&self.fc[0], &d_gap_x), (&self.fc[1], &d_gmp_x)] {
                let dw = channel_scale_backward_weight(gpu, &x, d)?.reshape(&[1, c])?;
                accumulate(gpu, &p.grad(fc.weight), &dw, 1.0)?;
            }
        }
        // The logits' fcs, popped in reverse; their pooling gradients are added in forward order.
        let Some(d_cam) = d_cam else {
            b.tape.pop::<CamFcSaved>("CAM fc")?;
            b.tape.pop::<CamFcSaved>("CAM fc")?;
            return Ok(Some(dx));
        };
        let (d_gap, d_gmp) = split_logits(gpu, &d_cam)?;
        let d_gmp = self.fc[1].backward(b, &d_gmp, true)?.ok_or_else(no_input)?;
        let d_gap = self.fc[0].backward(b, &d_gap, true)?.ok_or_else(no_input)?;
        add_assign(gpu, &dx, &global_avg_pool_backward_input(gpu, &d_gap, x.nchw("U-GAT-IT CAM", "features")?)?)?;
        add_assign(gpu, &dx, &global_max_pool_backward_input(gpu, &x, &d_gmp)?)?;
        Ok(Some(dx))
    }
}

// ---------------------------------------------------------------------------
// Discriminator

/// `torch.nn.utils.spectral_norm` on a weight: the parameter `weight_orig`
/// and the buffers `weight_u` [O] and `weight_v` [K] of its [O, K] matrix.
struct SnWeight {
    weight: usize,
    u: usize,
    v: usize,
}

impl SnWeight {
    /// Registers `<path>.weight_orig`, `.weight_u` and `.weight_v`.
    fn new(reg: &mut Registry, path: &str, shape: &[usize]) -> SnWeight {
        let weight = reg.param(format!("{path}.weight_orig"), shape);
        let u = reg.buffer(format!("{path}.weight_u"), &[shape[0]], 0.0);
        let v = reg.buffer(format!("{path}.weight_v"), &[shape[1..].iter().product()], 0.0);
        SnWeight { weight, u, v }
    }

    /// W / σ(W). With training behaviour ([`Mode::batch_stats`], PyTorch's
    /// `train()`) one power iteration runs first, and with
    /// [`Mode::update_running`] its u and v are written into the buffers (in
    /// place); otherwise the stored vectors are used as they are.
    fn normalize(&self, f: &Forward) -> Result<SpectralNorm> {
        let power_iteration = f.mode.batch_stats;
        let (u, v) = (&f.buffers[self.u], &f.buffers[self.v]);
        let sn = spectral_norm(f.gpu, &f.params.value(self.weight), u, v, power_iteration)?;
        if power_iteration && f.mode.update_running {
            f.gpu.copy(&sn.u, 0, u, 0, u.byte_len());
            f.gpu.copy(&sn.v, 0, v, 0, v.byte_len());
        }
        Ok(sn)
    }

    /// Adds dL/dW, from dL/dw_sn, through the normalization `sn` of the forward.
    fn accumulate_grad(&self, b: &Backward, sn: &SpectralNorm, dw_sn: &Tensor) -> Result<()> {
        accumulate(b.gpu, &b.params.grad(self.weight), &spectral_norm_backward(b.gpu, sn, dw_sn)?, 1.0)
    }
}

/// A spectrally normalized convolution with its fused epilogue activation;
/// the normalized weight is packed at every call.
struct SnConv {
    sn: SnWeight,
    bias: Option<usize>,
    shape: [usize; 4],
    p: Conv2dParams,
}

/// What an [`SnConv`] saves: its input, its output (with an epilogue
/// activation) and that call's normalization.
struct SnConvSaved {
    input: Tensor,
    output: Option<Tensor>,
    sn: SpectralNorm,
}

impl SnConv {
    /// Registers `<path>.bias` (when `bias`), `.weight_orig`, `.weight_u`
    /// and `.weight_v`, in the reference's order.
    fn new(reg: &mut Registry, path: &str, shape: [usize; 4], bias: bool, p: Conv2dParams) -> SnConv {
        let bias = bias.then(|| reg.param(format!("{path}.bias"), &[shape[0]]));
        let sn = SnWeight::new(reg, path, &shape);
        SnConv { sn, bias, shape, p }
    }
}

impl Layer for SnConv {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let sn = self.sn.normalize(f)?;
        let gpu = f.gpu;
        let bias = self.bias.map(|b| f.params.value(b));
        let y = conv2d_packed(gpu, x, &conv2d_pack_weight(gpu, &sn.w_sn)?, self.shape, bias.as_ref(), &self.p)?;
        let output = (self.p.activation != Activation::None).then(|| y.clone());
        f.save(SnConvSaved { input: x.clone(), output, sn });
        add_residual(gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let SnConvSaved { input, output, sn } = b.tape.pop("spectrally normalized convolution")?;
        let gpu = b.gpu;
        let dz = match &output {
            Some(y) => activation_backward_input(gpu, self.p.activation, y, dy)?,
            None => dy.clone(),
        };
        if b.param_grads {
            let dw = conv2d_backward_weight(gpu, &input, &dz, self.shape, &self.p)?;
            self.sn.accumulate_grad(b, &sn, &dw)?;
            if let Some(bias) = self.bias {
                accumulate(gpu, &b.params.grad(bias), &conv2d_backward_bias(gpu, &dz)?, 1.0)?;
            }
        }
        if !input_grad {
            return Ok(None);
        }
        let in_shape = input.nchw("U-GAT-IT discriminator", "input")?;
        Ok(Some(conv2d_backward_input(gpu, &dz, &sn.w_sn, in_shape, &self.p)?))
    }
}

/// The U-GAT-IT discriminator (`Discriminator`).
pub struct Discriminator {
    shape: DiscriminatorShape,
    /// `model` ([pad, SN conv, LeakyReLU] per layer), the CAM and `conv`,
    /// the final SN conv to the patch logits.
    net: Sequential,
    params: ParamArena,
    buffers: Vec<Tensor>,
    buffer_specs: Vec<ParamSpec>,
    order: Vec<(String, Entry)>,
}

/// What a discriminator's backward needs from its training forward.
pub struct DiscriminatorTape {
    layers: Tape,
}

/// Registers in the reference's order: gap_fc, gmp_fc, conv1x1, conv, model.
fn discriminator_parts(reg: &mut Registry, d: &DiscriminatorShape) -> Sequential {
    let (ch, c) = (d.ch, d.cam_channels());
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let fc = [CamFc::spectral(reg, "gap_fc", c), CamFc::spectral(reg, "gmp_fc", c)];
    let mut s = SeqBuilder::new(reg, "");
    s.named("conv1x1").conv([c, 2 * c, 1, 1], true, conv(1, 0, Padding::Zero, leaky));
    let cam = Cam { fc, conv1x1: s.finish(), heatmap: false };
    let last = SnConv::new(reg, "conv", [1, c, 4, 4], false, conv(1, 1, Padding::Reflect, Activation::None));
    // model: [pad, SN conv, LeakyReLU] per layer, the convs at 1, 4, 7, ...
    let mut widths = vec![(3, ch, 2)];
    for i in 1..d.n_layers - 2 {
        let m = ch << (i - 1);
        widths.push((m, 2 * m, 2));
    }
    let m = ch << (d.n_layers - 3);
    widths.push((m, 2 * m, 1));
    let mut s = SeqBuilder::new(reg, "model");
    for (cin, cout, stride) in widths {
        s.fused(); // ReflectionPad2d(1)
        s.child(|reg, path| SnConv::new(reg, path, [cout, cin, 4, 4], true, conv(stride, 1, Padding::Reflect, leaky)));
        s.fused(); // LeakyReLU(0.2)
    }
    let model = s.finish();
    Sequential(vec![Box::new(model), Box::new(cam), Box::new(last)])
}

impl Discriminator {
    /// Fresh weights (PyTorch's default initialisation, spectral norm
    /// vectors drawn as torch.nn.utils.spectral_norm does) from `seed`.
    pub fn init_state_dict(d: &DiscriminatorShape, seed: u64) -> Result<StateDict> {
        let mut reg = Registry::default();
        discriminator_parts(&mut reg, d);
        init_state_dict(&reg, seed)
    }

    /// Builds the discriminator from a state_dict in the reference's layout.
    pub fn new(gpu: &Gpu, d: DiscriminatorShape, sd: &StateDict) -> Result<Discriminator> {
        let mut reg = Registry::default();
        let mut net = discriminator_parts(&mut reg, &d);
        let label =
            format!("U-GAT-IT {} discriminator (ch {})", if d.n_layers == 7 { "global" } else { "local" }, d.ch);
        let Loaded { params, buffers, buffer_specs, order } = Loaded::new(gpu, &label, reg, sd)?;
        net.refresh(gpu, &params, true)?;
        Ok(Discriminator { shape: d, net, params, buffers, buffer_specs, order })
    }

    /// The shape.
    pub fn shape(&self) -> DiscriminatorShape {
        self.shape
    }

    /// The parameters.
    pub fn params(&self) -> &ParamArena {
        &self.params
    }

    /// Re-packs the 1x1 convolution after the parameters changed (the
    /// spectrally normalized weights are packed at every call).
    pub fn refresh(&mut self, gpu: &Gpu) -> Result<()> {
        self.net.refresh(gpu, &self.params, true)
    }

    /// The forward pass: (patch logits, CAM logits [N, 2]). `train` runs
    /// the spectral norm's power iteration (updating its vectors).
    pub fn forward(&mut self, gpu: &Gpu, input: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        let (out, cam, _) = self.run(gpu, input, train, false)?;
        Ok((out, cam))
    }

    /// A training forward (power iteration on) with what
    /// [`Discriminator::backward`] needs.
    pub fn forward_train(&mut self, gpu: &Gpu, input: &Tensor) -> Result<(Tensor, Tensor, DiscriminatorTape)> {
        let (out, cam, tape) = self.run(gpu, input, true, true)?;
        Ok((out, cam, tape.ok_or_else(no_input)?))
    }

    fn run(
        &self,
        gpu: &Gpu,
        input: &Tensor,
        train: bool,
        keep: bool,
    ) -> Result<(Tensor, Tensor, Option<DiscriminatorTape>)> {
        let [_, c, h, w] = input.nchw("U-GAT-IT discriminator", "input")?;
        let min = self.shape.min_size();
        if c != 3 || h < min || w < min {
            return Err(Error::shape(
                "U-GAT-IT discriminator",
                format!("input {:?} must be [N, 3, H, W] with H and W at least {min}", input.shape()),
            ));
        }
        let mut layers = Tape::default();
        let mut f = Forward {
            gpu,
            params: &self.params,
            buffers: &self.buffers,
            mode: if train { Mode::TRAIN } else { Mode::EVAL },
            rng: None,
            tape: keep.then_some(&mut layers),
            features: Vec::new(),
        };
        let out = self.net.forward(&mut f, input, None)?;
        let [cam_logit] = cam_features(&mut f)?;
        drop(f);
        let tape = keep.then(|| DiscriminatorTape { layers });
        Ok((out, cam_logit, tape))
    }

    /// Backward from the gradients wrt the patch and CAM logits: adds the
    /// parameter gradients when `param_grads`; returns dL/dinput when `input_grad`.
    pub fn backward(
        &self,
        gpu: &Gpu,
        t: DiscriminatorTape,
        d_out: &Tensor,
        d_cam: &Tensor,
        param_grads: bool,
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        let feature_grads = vec![Some(d_cam.clone())];
        let mut b = Backward { gpu, params: &self.params, param_grads, tape: t.layers, feature_grads };
        self.net.backward(&mut b, d_out, input_grad)
    }

    /// Reads the weights and spectral norm vectors back as a state_dict in the reference's layout.
    pub async fn to_state_dict(&self, gpu: &Gpu) -> Result<StateDict> {
        let mut meta = BTreeMap::new();
        meta.insert("model".to_string(), "ugatit".to_string());
        meta.insert("n_layers".to_string(), self.shape.n_layers.to_string());
        state_dict_of(gpu, &self.params, &self.order, &self.buffers, &self.buffer_specs, meta).await
    }
}
