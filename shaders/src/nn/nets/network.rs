//! A network: a layer tree, its parameter arena and its buffers, with the
//! reference's state_dict keys; built for an architecture or detected from
//! a weight file.

use std::collections::BTreeMap;

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::{HostTensor, StateDict};
use crate::nn::layers::arena::ParamArena;
use crate::nn::layers::params::{match_state_dict, ParamSpec, SplitMix64};
use crate::nn::layers::{
    Backward, Entry, Forward, Layer, Mode, Registry, Residual, SeqBuilder, Sequential, SkipCat, Tape,
};
use crate::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorArch, GeneratorConfig, Norm, Upsampling};
use crate::ops::{Activation, Conv2dParams, ConvTranspose2dParams, Padding};
use crate::tensor::Tensor;

/// Slope of every LeakyReLU of the reference's networks.
pub const LEAKY_SLOPE: f32 = 0.2;

/// What a network is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// A generator (image to image).
    Generator(GeneratorConfig),
    /// A discriminator (image to patch logits).
    Discriminator(DiscriminatorConfig),
}

impl Architecture {
    /// One line for messages.
    pub fn describe(&self) -> String {
        match self {
            Architecture::Generator(g) => g.describe(),
            Architecture::Discriminator(d) => d.describe(),
        }
    }

    /// Metadata written into saved weight files.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        match self {
            Architecture::Generator(g) => g.metadata(),
            Architecture::Discriminator(d) => d.metadata(),
        }
    }

    /// Builds the layer tree and registers its state_dict keys.
    fn build(&self) -> Result<(Box<dyn Layer>, Registry)> {
        let mut reg = Registry::default();
        let root = match self {
            Architecture::Generator(g) => match g.arch {
                GeneratorArch::Resnet { n_blocks, upsampling } => resnet(&mut reg, g, n_blocks, upsampling),
                GeneratorArch::Unet { num_downs } => {
                    if num_downs < 5 {
                        return Err(Error::Network(format!(
                            "UnetGenerator: {num_downs} downsamplings; the reference's U-Net has at least 5"
                        )));
                    }
                    unet(&mut reg, g, num_downs)
                }
                GeneratorArch::Dcgan => dcgan_generator(&mut reg, g),
                GeneratorArch::DiscoGan => discogan_generator(&mut reg, g),
            },
            Architecture::Discriminator(d) => match d.arch {
                DiscriminatorArch::NLayer { n_layers } => {
                    if n_layers == 0 {
                        return Err(Error::Network("NLayerDiscriminator: n_layers must be at least 1".into()));
                    }
                    nlayer(&mut reg, d, n_layers)
                }
                DiscriminatorArch::Pixel => pixel(&mut reg, d),
                DiscriminatorArch::Dcgan => dcgan_discriminator(&mut reg, d),
                DiscriminatorArch::DiscoGan => discogan_discriminator(&mut reg, d),
            },
        };
        Ok((Box::new(root), reg))
    }
}

fn conv(stride: usize, padding: usize, padding_mode: Padding, activation: Activation) -> Conv2dParams {
    Conv2dParams { stride, padding, padding_mode, activation }
}

/// ResnetGenerator: `model.N` as the reference numbers it.
fn resnet(reg: &mut Registry, g: &GeneratorConfig, n_blocks: usize, upsampling: Upsampling) -> Sequential {
    let (ngf, norm, bias) = (g.ngf, g.norm, g.norm.conv_bias());
    let mut s = SeqBuilder::new(reg, "model");
    s.fused(); // ReflectionPad2d(3)
    s.conv([ngf, g.input_nc, 7, 7], bias, conv(1, 3, Padding::Reflect, Activation::None));
    s.norm(norm, ngf, Activation::Relu).fused();
    for i in 0..2 {
        let m = ngf << i;
        s.conv([2 * m, m, 3, 3], bias, conv(2, 1, Padding::Zero, Activation::None));
        s.norm(norm, 2 * m, Activation::Relu).fused();
    }
    let c = 4 * ngf;
    for _ in 0..n_blocks {
        s.child(|reg, path| {
            let mut b = SeqBuilder::new(reg, format!("{path}.conv_block"));
            b.fused(); // ReflectionPad2d(1)
            b.conv([c, c, 3, 3], bias, conv(1, 1, Padding::Reflect, Activation::None));
            b.norm(norm, c, Activation::Relu).fused();
            if g.dropout {
                b.dropout(0.5);
            }
            b.fused(); // ReflectionPad2d(1)
            b.conv([c, c, 3, 3], bias, conv(1, 1, Padding::Reflect, Activation::None));
            b.norm(norm, c, Activation::None);
            Residual(Box::new(b.finish()))
        });
    }
    for i in 0..2 {
        let m = ngf << (2 - i);
        let (k, output_padding) = (upsampling.kernel(), upsampling.output_padding());
        let up = ConvTranspose2dParams { stride: 2, padding: 1, output_padding, activation: Activation::None };
        s.conv_transpose([m, m / 2, k, k], bias, up);
        s.norm(norm, m / 2, Activation::Relu).fused();
    }
    s.fused(); // ReflectionPad2d(3)
    s.conv([g.output_nc, ngf, 7, 7], true, conv(1, 3, Padding::Reflect, Activation::Tanh));
    s.fused(); // Tanh
    s.finish()
}

/// UnetGenerator: nested UnetSkipConnectionBlocks, `model.model.1.model.3...`.
fn unet(reg: &mut Registry, g: &GeneratorConfig, num_downs: usize) -> Sequential {
    // Blocks from the outside in: (outer_nc, inner_nc, dropout).
    let ngf = g.ngf;
    let mut levels = vec![(ngf, 2 * ngf, false), (2 * ngf, 4 * ngf, false), (4 * ngf, 8 * ngf, false)];
    levels.extend(std::iter::repeat_n((8 * ngf, 8 * ngf, g.dropout), num_downs - 5));
    let mut s = SeqBuilder::new(reg, "model.model");
    let down = conv(2, 1, Padding::Zero, Activation::None);
    s.conv([ngf, g.input_nc, 4, 4], g.norm.conv_bias(), down);
    s.child(|reg, path| unet_block(reg, g, path, &levels));
    s.act(Activation::Relu);
    let up = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 0, activation: Activation::Tanh };
    s.conv_transpose([2 * ngf, g.output_nc, 4, 4], true, up);
    s.fused(); // Tanh
    s.finish()
}

/// A middle block (levels[0]) with the rest inside, or the innermost block.
fn unet_block(reg: &mut Registry, g: &GeneratorConfig, path: &str, levels: &[(usize, usize, bool)]) -> SkipCat {
    let (norm, bias) = (g.norm, g.norm.conv_bias());
    let down = conv(2, 1, Padding::Zero, Activation::None);
    let up = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 0, activation: Activation::None };
    let mut s = SeqBuilder::new(reg, format!("{path}.model"));
    s.act(Activation::LeakyRelu(LEAKY_SLOPE));
    match levels {
        [(outer, inner, dropout), rest @ ..] => {
            s.conv([*inner, *outer, 4, 4], bias, down);
            s.norm(norm, *inner, Activation::None);
            s.child(|reg, p| unet_block(reg, g, p, rest));
            s.act(Activation::Relu);
            s.conv_transpose([2 * inner, *outer, 4, 4], bias, up);
            s.norm(norm, *outer, Activation::None);
            if *dropout {
                s.dropout(0.5);
            }
        }
        [] => {
            // Innermost: no norm after its down-conv; the ReLU fuses into it.
            let c = 8 * g.ngf;
            s.conv([c, c, 4, 4], bias, conv(2, 1, Padding::Zero, Activation::Relu));
            s.fused(); // ReLU
            s.conv_transpose([c, c, 4, 4], bias, up);
            s.norm(norm, c, Activation::None);
        }
    }
    SkipCat(Box::new(s.finish()))
}

/// NLayerDiscriminator: `model.N`.
fn nlayer(reg: &mut Registry, d: &DiscriminatorConfig, n_layers: usize) -> Sequential {
    let (ndf, norm, bias) = (d.ndf, d.norm, d.norm.conv_bias());
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let mult = |n: usize| ndf << n.min(3);
    let mut s = SeqBuilder::new(reg, "model");
    s.conv([ndf, d.input_nc, 4, 4], true, conv(2, 1, Padding::Zero, leaky));
    s.fused(); // LeakyReLU
    for n in 1..=n_layers {
        let stride = if n < n_layers { 2 } else { 1 };
        s.conv([mult(n), mult(n - 1), 4, 4], bias, conv(stride, 1, Padding::Zero, Activation::None));
        s.norm(norm, mult(n), leaky).fused();
    }
    s.conv([1, mult(n_layers), 4, 4], true, conv(1, 1, Padding::Zero, Activation::None));
    s.finish()
}

/// PixelDiscriminator: `net.N`, 1x1 convolutions.
fn pixel(reg: &mut Registry, d: &DiscriminatorConfig) -> Sequential {
    let (ndf, norm, bias) = (d.ndf, d.norm, d.norm.conv_bias());
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let mut s = SeqBuilder::new(reg, "net");
    s.conv([ndf, d.input_nc, 1, 1], true, conv(1, 0, Padding::Zero, leaky));
    s.fused(); // LeakyReLU
    s.conv([2 * ndf, ndf, 1, 1], bias, conv(1, 0, Padding::Zero, Activation::None));
    s.norm(norm, 2 * ndf, leaky).fused();
    s.conv([1, 2 * ndf, 1, 1], bias, conv(1, 0, Padding::Zero, Activation::None));
    s.finish()
}

/// DCGAN's generator, `main.N`: ConvT(nz, 8ngf, 4, 1, 0) to 4x4, then
/// ConvT(k4 s2 p1) to 4ngf, 2ngf, ngf (each BN + ReLU), ConvT(ngf, nc) + Tanh
/// at 64x64; no biases.
fn dcgan_generator(reg: &mut Registry, g: &GeneratorConfig) -> Sequential {
    let (nz, ngf) = (g.input_nc, g.ngf);
    let mut s = SeqBuilder::new(reg, "main");
    let up = |stride, padding, activation| ConvTranspose2dParams { stride, padding, output_padding: 0, activation };
    s.conv_transpose([nz, 8 * ngf, 4, 4], false, up(1, 0, Activation::None));
    s.norm(Norm::Batch, 8 * ngf, Activation::Relu).fused();
    for m in [8, 4, 2] {
        s.conv_transpose([m * ngf, m / 2 * ngf, 4, 4], false, up(2, 1, Activation::None));
        s.norm(Norm::Batch, m / 2 * ngf, Activation::Relu).fused();
    }
    s.conv_transpose([ngf, g.output_nc, 4, 4], false, up(2, 1, Activation::Tanh));
    s.fused(); // Tanh
    s.finish()
}

/// DCGAN's discriminator, `main.N`: Conv(nc, ndf, 4, 2, 1) + LeakyReLU(0.2),
/// then 2ndf, 4ndf, 8ndf (each BN + LeakyReLU), Conv(8ndf, 1, 4, 1, 0) +
/// Sigmoid; no biases.
fn dcgan_discriminator(reg: &mut Registry, d: &DiscriminatorConfig) -> Sequential {
    let ndf = d.ndf;
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let mut s = SeqBuilder::new(reg, "main");
    s.conv([ndf, d.input_nc, 4, 4], false, conv(2, 1, Padding::Zero, leaky));
    s.fused(); // LeakyReLU
    for m in [1, 2, 4] {
        s.conv([2 * m * ndf, m * ndf, 4, 4], false, conv(2, 1, Padding::Zero, Activation::None));
        s.norm(Norm::Batch, 2 * m * ndf, leaky).fused();
    }
    s.conv([1, 8 * ndf, 4, 4], false, conv(1, 0, Padding::Zero, Activation::Sigmoid));
    s.fused(); // Sigmoid
    s.finish()
}

/// DiscoGAN's generator, `main.N`: Conv(k4 s2 p1) to ngf (LeakyReLU 0.2),
/// 2ngf, 4ngf, 8ngf (each BN + LeakyReLU), then ConvT(k4 s2 p1) to 4ngf,
/// 2ngf, ngf (each BN + ReLU) and ConvT(ngf, 3) + Sigmoid; no biases.
fn discogan_generator(reg: &mut Registry, g: &GeneratorConfig) -> Sequential {
    let ngf = g.ngf;
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let down = |a| conv(2, 1, Padding::Zero, a);
    let up = |a| ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 0, activation: a };
    let mut s = SeqBuilder::new(reg, "main");
    s.conv([ngf, g.input_nc, 4, 4], false, down(leaky));
    s.fused(); // LeakyReLU
    for m in [1, 2, 4] {
        s.conv([2 * m * ngf, m * ngf, 4, 4], false, down(Activation::None));
        s.norm(Norm::Batch, 2 * m * ngf, leaky).fused();
    }
    for m in [8, 4, 2] {
        s.conv_transpose([m * ngf, m / 2 * ngf, 4, 4], false, up(Activation::None));
        s.norm(Norm::Batch, m / 2 * ngf, Activation::Relu).fused();
    }
    s.conv_transpose([ngf, g.output_nc, 4, 4], false, up(Activation::Sigmoid));
    s.fused(); // Sigmoid
    s.finish()
}

/// DiscoGAN's discriminator: `conv1` + LeakyReLU, then `conv<k>`, `bn<k>` +
/// LeakyReLU for k = 2, 3, 4 (each output a feature), `conv5` + Sigmoid; no
/// biases.
fn discogan_discriminator(reg: &mut Registry, d: &DiscriminatorConfig) -> Sequential {
    let ndf = d.ndf;
    let leaky = Activation::LeakyRelu(LEAKY_SLOPE);
    let mut s = SeqBuilder::new(reg, "");
    s.named("conv1").conv([ndf, d.input_nc, 4, 4], false, conv(2, 1, Padding::Zero, leaky));
    for (k, m) in [(2, 1), (3, 2), (4, 4)] {
        s.named(&format!("conv{k}")).conv(
            [2 * m * ndf, m * ndf, 4, 4],
            false,
            conv(2, 1, Padding::Zero, Activation::None),
        );
        s.named(&format!("bn{k}")).norm(Norm::Batch, 2 * m * ndf, leaky);
        s.tap();
    }
    s.named("conv5").conv([1, 8 * ndf, 4, 4], false, conv(1, 0, Padding::Zero, Activation::Sigmoid));
    s.finish()
}

/// A network on the GPU.
pub struct Network {
    arch: Architecture,
    root: Box<dyn Layer>,
    params: ParamArena,
    buffers: Vec<Tensor>,
    buffer_specs: Vec<ParamSpec>,
    order: Vec<(String, Entry)>,
    trainable: bool,
}

impl Network {
    /// Every state_dict key of the architecture with its shape, in PyTorch's order.
    pub fn specs_of(arch: &Architecture) -> Result<Vec<ParamSpec>> {
        let (_, reg) = arch.build()?;
        Ok(spec_order(&reg))
    }

    /// The reference's init_weights('normal', 0.02): conv weights N(0, 0.02),
    /// BatchNorm weights N(1, 0.02), biases 0, running statistics (0, 1).
    /// `seed` makes it reproducible on every platform.
    pub fn init_state_dict(arch: &Architecture, seed: u64) -> Result<StateDict> {
        let (_, reg) = arch.build()?;
        let mut rng = SplitMix64(seed);
        let mut sd = StateDict::new();
        for (name, entry) in &reg.order {
            let t = match *entry {
                Entry::Param(i) => {
                    let s = &reg.params[i];
                    let n: usize = s.shape.iter().product();
                    let data = if name.ends_with(".bias") {
                        vec![0.0; n]
                    } else if s.shape.len() == 1 {
                        (0..n).map(|_| 1.0 + 0.02 * rng.normal()).collect()
                    } else {
                        (0..n).map(|_| 0.02 * rng.normal()).collect()
                    };
                    HostTensor::new(s.shape.clone(), data)
                }
                Entry::Buffer(i) => HostTensor::new(reg.buffers[i].0.shape.clone(), reg.buffers[i].1.clone()),
            };
            sd.insert(name.clone(), t).map_err(|e| Error::Network(e.to_string()))?;
        }
        Ok(sd)
    }

    /// Builds a network of a known architecture from a state_dict in the
    /// reference's layout; `trainable` also packs the weights' backward layouts.
    pub fn new(gpu: &Gpu, arch: Architecture, sd: &StateDict, trainable: bool) -> Result<Network> {
        let (mut root, reg) = arch.build()?;
        let label = match arch {
            Architecture::Generator(g) => format!("{} generator", g.net_name()),
            Architecture::Discriminator(d) => format!("{} discriminator", d.net_name()),
        };
        let Loaded { params, buffers, buffer_specs, order } = Loaded::new(gpu, &label, reg, sd)?;
        root.refresh(gpu, &params, trainable)?;
        Ok(Network { arch, root, params, buffers, buffer_specs, order, trainable })
    }

    /// A freshly initialised network ([`Network::init_state_dict`]).
    pub fn init(gpu: &Gpu, arch: Architecture, seed: u64, trainable: bool) -> Result<Network> {
        Self::new(gpu, arch, &Self::init_state_dict(&arch, seed)?, trainable)
    }

    /// The architecture.
    pub fn arch(&self) -> Architecture {
        self.arch
    }

    /// The parameters and their gradients.
    pub fn params(&self) -> &ParamArena {
        &self.params
    }

    /// Re-packs the convolution weights after the parameters changed.
    pub fn refresh(&mut self, gpu: &Gpu) -> Result<()> {
        self.root.refresh(gpu, &self.params, self.trainable)
    }

    /// Forward pass in `mode`; `rng` draws dropout seeds where dropout is on.
    /// Everything is recorded into the pending command list, nothing submitted.
    pub fn forward(&self, gpu: &Gpu, x: &Tensor, mode: Mode, rng: Option<&mut SplitMix64>) -> Result<Tensor> {
        self.check_input(x)?;
        let mut f =
            Forward { gpu, params: &self.params, buffers: &self.buffers, mode, rng, tape: None, features: Vec::new() };
        self.root.forward(&mut f, x, None)
    }

    /// Forward pass that keeps what [`Network::backward`] needs.
    pub fn forward_train(
        &self,
        gpu: &Gpu,
        x: &Tensor,
        mode: Mode,
        rng: Option<&mut SplitMix64>,
    ) -> Result<(Tensor, Tape)> {
        if !self.trainable {
            return Err(Error::Network("forward_train on a network built for inference only".into()));
        }
        self.check_input(x)?;
        let mut tape = Tape::default();
        let mut f = Forward {
            gpu,
            params: &self.params,
            buffers: &self.buffers,
            mode,
            rng,
            tape: Some(&mut tape),
            features: Vec::new(),
        };
        let y = self.root.forward(&mut f, x, None)?;
        Ok((y, tape))
    }

    /// [`Network::forward_train`] that also returns the network's features
    /// (the outputs of its taps, in forward order).
    pub fn forward_features(
        &self,
        gpu: &Gpu,
        x: &Tensor,
        mode: Mode,
        rng: Option<&mut SplitMix64>,
    ) -> Result<(Tensor, Vec<Tensor>, Tape)> {
        if !self.trainable {
            return Err(Error::Network("forward_features on a network built for inference only".into()));
        }
        self.check_input(x)?;
        let mut tape = Tape::default();
        let mut f = Forward {
            gpu,
            params: &self.params,
            buffers: &self.buffers,
            mode,
            rng,
            tape: Some(&mut tape),
            features: Vec::new(),
        };
        let y = self.root.forward(&mut f, x, None)?;
        Ok((y, f.features, tape))
    }

    /// [`Network::backward`] with gradients wrt the features of
    /// [`Network::forward_features`] too (one per feature, None for none).
    pub fn backward_features(
        &self,
        gpu: &Gpu,
        tape: Tape,
        dy: &Tensor,
        feature_grads: Vec<Option<Tensor>>,
        param_grads: bool,
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        let mut b = Backward { gpu, params: &self.params, param_grads, tape, feature_grads };
        let dx = self.root.backward(&mut b, dy, input_grad)?;
        if !b.feature_grads.is_empty() {
            return Err(Error::Network(format!(
                "{} feature gradients for features the pass did not have",
                b.feature_grads.len()
            )));
        }
        Ok(dx)
    }

    /// Backward pass through a [`Network::forward_train`] tape: with
    /// `param_grads` adds the parameter gradients into the arena's gradient
    /// views; returns dL/dx when `input_grad`.
    pub fn backward(
        &self,
        gpu: &Gpu,
        tape: Tape,
        dy: &Tensor,
        param_grads: bool,
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        let mut b = Backward { gpu, params: &self.params, param_grads, tape, feature_grads: Vec::new() };
        self.root.backward(&mut b, dy, input_grad)
    }

    /// Checks an input's shape: channels, and for generators the sides the
    /// architecture needs.
    pub fn check_input(&self, x: &Tensor) -> Result<()> {
        let [_, c, h, w] = x.nchw("network", "input")?;
        match self.arch {
            Architecture::Generator(g) => {
                let (m, min) = (g.size_multiple(), g.min_size());
                if c != g.input_nc || h % m != 0 || w % m != 0 || h < min || w < min {
                    return Err(Error::shape(
                        "generator",
                        format!(
                            "input {:?} must be [N, {}, H, W] with H and W multiples of {m}, at least {min}x{min} \
                             pixels ({})",
                            x.shape(),
                            g.input_nc,
                            g.net_name()
                        ),
                    ));
                }
            }
            Architecture::Discriminator(d) => {
                if c != d.input_nc {
                    return Err(Error::shape(
                        "discriminator",
                        format!("input {:?} must have {} channels", x.shape(), d.input_nc),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads the weights and buffers back as a state_dict in the reference's
    /// layout, with the architecture as metadata.
    pub async fn to_state_dict(&self, gpu: &Gpu) -> Result<StateDict> {
        state_dict_of(gpu, &self.params, &self.order, &self.buffers, &self.buffer_specs, self.arch.metadata()).await
    }
}

/// A registry's parameters and buffers on the GPU, loaded from a state_dict.
pub(crate) struct Loaded {
    /// The parameters, in registration order.
    pub params: ParamArena,
    /// The buffers, in registration order.
    pub buffers: Vec<Tensor>,
    /// The buffers' names and shapes.
    pub buffer_specs: Vec<ParamSpec>,
    /// Every state_dict key in PyTorch's order.
    pub order: Vec<(String, Entry)>,
}

impl Loaded {
    /// Checks `sd` against the registry (every key with its shape, nothing
    /// else; `label` names the network in messages) and uploads it.
    pub(crate) fn new(gpu: &Gpu, label: &str, reg: Registry, sd: &StateDict) -> Result<Loaded> {
        let specs = spec_order(&reg);
        let tensors = match_state_dict(label, &specs, sd)?;
        let by_name =
            |name: &str| tensors[specs.iter().position(|s| s.name == name).expect("spec names come from reg")];
        let param_data: Vec<&HostTensor> = reg.params.iter().map(|s| by_name(&s.name)).collect();
        let params = ParamArena::new(gpu, reg.params.clone(), &param_data)?;
        let buffers = reg
            .buffers
            .iter()
            .map(|(s, _)| Tensor::from_slice(gpu, &s.shape, &by_name(&s.name).data))
            .collect::<Result<Vec<_>>>()?;
        let buffer_specs = reg.buffers.into_iter().map(|(s, _)| s).collect();
        Ok(Loaded { params, buffers, buffer_specs, order: reg.order })
    }
}

/// Reads parameters and buffers back as a state_dict in `order`, with `metadata`.
pub(crate) async fn state_dict_of(
    gpu: &Gpu,
    params: &ParamArena,
    order: &[(String, Entry)],
    buffers: &[Tensor],
    buffer_specs: &[ParamSpec],
    metadata: BTreeMap<String, String>,
) -> Result<StateDict> {
    let values = params.gather(gpu, params.value_chunks()).await?;
    let mut offsets = Vec::with_capacity(params.len());
    let mut at = 0;
    for s in params.specs() {
        offsets.push(at);
        at += s.shape.iter().product::<usize>();
    }
    let mut sd = StateDict::new();
    for (k, v) in metadata {
        sd.set_metadata(k, v);
    }
    for (name, entry) in order {
        let t = match *entry {
            Entry::Param(i) => {
                let s = &params.specs()[i];
                let n: usize = s.shape.iter().product();
                HostTensor::new(s.shape.clone(), values[offsets[i]..offsets[i] + n].to_vec())
            }
            Entry::Buffer(i) => HostTensor::new(buffer_specs[i].shape.clone(), buffers[i].read(gpu).await?),
        };
        sd.insert(name.clone(), t).map_err(|e| Error::Network(e.to_string()))?;
    }
    Ok(sd)
}

pub(crate) fn spec_order(reg: &Registry) -> Vec<ParamSpec> {
    reg.order
        .iter()
        .map(|(_, e)| match *e {
            Entry::Param(i) => reg.params[i].clone(),
            Entry::Buffer(i) => reg.buffers[i].0.clone(),
        })
        .collect()
}

/// Infers a network's architecture from its state_dict: the family from the
/// key layout, depth and widths from the shapes, the norm from which
/// tensors exist (BatchNorm has running statistics; with instance norm the
/// convolutions have biases; with none they have neither, as the reference
/// builds them). Dropout has no tensors: a U-Net is taken to have it (the
/// reference's pix2pix default) unless the file's metadata says otherwise,
/// and a ResNet has it when its blocks' second conv sits at index 6.
pub fn detect(sd: &StateDict) -> Result<Architecture> {
    let shape = |k: &str| sd.get(k).map(|t| t.shape.as_slice());
    let has = |k: &str| sd.get(k).is_some();
    let meta_dropout = sd.metadata().get("dropout").map(|v| v == "true");
    let norm_at = |norm_key: &str, bias_key: &str| {
        // Legacy InstanceNorm layers carry running statistics but no weight.
        if has(&format!("{norm_key}.running_mean")) && has(&format!("{norm_key}.weight")) {
            Norm::Batch
        } else if has(&format!("{norm_key}.weight")) {
            Norm::InstanceAffine
        } else if has(bias_key) {
            Norm::Instance
        } else {
            Norm::None
        }
    };
    if let Some(s) = shape("model.1.weight") {
        let &[ngf, input_nc, 7, 7] = s else {
            return Err(Error::Network(format!(
                "ResnetGenerator: `model.1.weight` is {s:?}, expected [ngf, in, 7, 7]"
            )));
        };
        let n_blocks = (0..).take_while(|i| has(&format!("model.{}.conv_block.1.weight", 10 + i))).count();
        if n_blocks == 0 {
            return Err(Error::Network("ResnetGenerator: no residual blocks (`model.10.conv_block.1.weight`)".into()));
        }
        let up_key = format!("model.{}.weight", 10 + n_blocks);
        let upsampling = match shape(&up_key) {
            Some([_, _, 3, 3]) => Upsampling::Transposed3,
            Some([_, _, 4, 4]) => Upsampling::Transposed4,
            other => {
                return Err(Error::Network(format!(
                    "ResnetGenerator: {n_blocks} blocks found, then `{up_key}` is {other:?}, expected a transposed \
                     conv [in, out, 3, 3] (or [in, out, 4, 4])"
                )))
            }
        };
        let tail = format!("model.{}.weight", 17 + n_blocks);
        let output_nc = shape(&tail).and_then(|s| s.first().copied()).ok_or_else(|| {
            Error::Network(format!("ResnetGenerator: {n_blocks} blocks found but no final conv `{tail}`"))
        })?;
        let g = GeneratorConfig {
            input_nc,
            output_nc,
            ngf,
            arch: GeneratorArch::Resnet { n_blocks, upsampling },
            norm: norm_at("model.2", "model.1.bias"),
            dropout: shape("model.10.conv_block.6.weight").is_some_and(|s| s.len() == 4),
        };
        return Ok(Architecture::Generator(g));
    }
    if let Some(s) = shape("model.model.0.weight") {
        let &[ngf, input_nc, 4, 4] = s else {
            return Err(Error::Network(format!(
                "UnetGenerator: `model.model.0.weight` is {s:?}, expected [ngf, in, 4, 4]"
            )));
        };
        let mut path = "model.model.1".to_string();
        let mut num_downs = 2;
        while has(&format!("{path}.model.3.model.1.weight")) {
            path.push_str(".model.3");
            num_downs += 1;
        }
        let output_nc = shape("model.model.3.weight").and_then(|s| s.get(1).copied()).ok_or_else(|| {
            Error::Network("UnetGenerator: no outermost transposed conv `model.model.3.weight`".into())
        })?;
        let g = GeneratorConfig {
            input_nc,
            output_nc,
            ngf,
            arch: GeneratorArch::Unet { num_downs },
            norm: norm_at("model.model.1.model.2", "model.model.0.bias"),
            dropout: meta_dropout.unwrap_or(true),
        };
        return Ok(Architecture::Generator(g));
    }
    if let Some(s) = shape("model.0.weight") {
        let &[ndf, input_nc, 4, 4] = s else {
            return Err(Error::Network(format!(
                "NLayerDiscriminator: `model.0.weight` is {s:?}, expected [ndf, in, 4, 4]"
            )));
        };
        let convs = sd
            .names()
            .filter(|n| n.starts_with("model.") && n.ends_with(".weight") && shape(n).is_some_and(|s| s.len() == 4))
            .count();
        if convs < 3 {
            return Err(Error::Network(format!("NLayerDiscriminator: {convs} conv weights, at least 3 expected")));
        }
        let d = DiscriminatorConfig {
            input_nc,
            ndf,
            arch: DiscriminatorArch::NLayer { n_layers: convs - 2 },
            norm: norm_at("model.3", "model.2.bias"),
        };
        return Ok(Architecture::Discriminator(d));
    }
    if let Some(s) = shape("net.0.weight") {
        let &[ndf, input_nc, 1, 1] = s else {
            return Err(Error::Network(format!(
                "PixelDiscriminator: `net.0.weight` is {s:?}, expected [ndf, in, 1, 1]"
            )));
        };
        let d =
            DiscriminatorConfig { input_nc, ndf, arch: DiscriminatorArch::Pixel, norm: norm_at("net.3", "net.2.bias") };
        return Ok(Architecture::Discriminator(d));
    }
    if let (Some(s), true) = (shape("main.0.weight"), has("main.20.weight")) {
        // DiscoGAN's generator: 4 convs down, 4 transposed convs up (main.20 the last).
        let &[ngf, 3, 4, 4] = s else {
            return Err(Error::Network(format!(
                "DiscoGAN generator: `main.0.weight` is {s:?}, expected [ngf, 3, 4, 4]"
            )));
        };
        return Ok(Architecture::Generator(GeneratorConfig::discogan(ngf)));
    }
    if let Some(s) = shape("conv1.weight").filter(|_| has("conv5.weight") && has("bn2.running_mean")) {
        let &[ndf, 3, 4, 4] = s else {
            return Err(Error::Network(format!(
                "DiscoGAN discriminator: `conv1.weight` is {s:?}, expected [ndf, 3, 4, 4]"
            )));
        };
        return Ok(Architecture::Discriminator(DiscriminatorConfig::discogan(ndf)));
    }
    if let Some(s) = shape("main.0.weight") {
        // DCGAN: the generator's main.1 is a BatchNorm, the discriminator's a LeakyReLU.
        let &[a, b, 4, 4] = s else {
            return Err(Error::Network(format!("DCGAN: `main.0.weight` is {s:?}, expected [_, _, 4, 4]")));
        };
        if has("main.1.running_mean") {
            let output_nc = shape("main.12.weight")
                .map(|s| s[1])
                .ok_or_else(|| Error::Network("DCGAN generator: no final transposed conv `main.12.weight`".into()))?;
            return Ok(Architecture::Generator(GeneratorConfig { output_nc, ..GeneratorConfig::dcgan(a, b / 8) }));
        }
        return Ok(Architecture::Discriminator(DiscriminatorConfig { input_nc: b, ..DiscriminatorConfig::dcgan(a) }));
    }
    let first: Vec<&str> = sd.names().take(4).collect();
    Err(Error::Network(format!(
        "not a network of the reference: no `model.1.weight` (ResnetGenerator), `model.model.0.weight` \
         (UnetGenerator), `model.0.weight` (NLayerDiscriminator), `net.0.weight` (PixelDiscriminator) or \
         `main.0.weight` (DCGAN); the file holds {} tensors, the first {first:?}",
        sd.len()
    )))
}
