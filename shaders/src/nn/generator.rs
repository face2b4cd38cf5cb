//! ResnetGenerator of the reference implementation (resnet_9blocks,
//! resnet_6blocks, any ngf), layer for layer, with its state_dict names.
//!
//! Reference `model` indices (norm = InstanceNorm2d(affine=False), so every
//! conv has a bias): 0 ReflectionPad2d(3), 1 Conv7x7, 2 IN, 3 ReLU; 4/7 Conv3x3
//! s2 p1, 5/8 IN, 6/9 ReLU; 10..10+B ResnetBlocks (`conv_block`: 0 pad, 1 conv,
//! 2 IN, 3 ReLU, [4 Dropout], 4|5 pad, 5|6 conv, 6|7 IN); then per upsampling
//! step ConvTranspose3x3 s2 p1 op1, IN, ReLU at 10+B and 13+B; ReflectionPad(3)
//! at 16+B, Conv7x7 at 17+B, Tanh at 18+B.

use std::collections::BTreeMap;

use super::params::{download, init_normal, upload, ParamSpec};
use super::weights::StateDict;
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::{
    accumulate, add, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, conv2d_pack_weight,
    conv2d_packed, conv_transpose2d_backward_input, conv_transpose2d_backward_weight, conv_transpose2d_pack_weight,
    conv_transpose2d_packed, instance_norm, instance_norm_backward_input, tanh_backward_input, Activation,
    Conv2dParams, ConvTranspose2dParams, InstanceNormParams, Padding,
};
use crate::tensor::Tensor;

/// Architecture of a ResnetGenerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Input channels (3 for RGB).
    pub input_nc: usize,
    /// Output channels.
    pub output_nc: usize,
    /// Filters of the first layer (64 in the reference).
    pub ngf: usize,
    /// Residual blocks (9 for resnet_9blocks, 6 for resnet_6blocks).
    pub n_blocks: usize,
    /// Whether each block has a Dropout(0.5) (shifts the second conv's index).
    pub dropout: bool,
}

impl GeneratorConfig {
    /// resnet_9blocks or resnet_6blocks with the given ngf, RGB in and out, no dropout.
    pub fn resnet(n_blocks: usize, ngf: usize) -> Self {
        GeneratorConfig { input_nc: 3, output_nc: 3, ngf, n_blocks, dropout: false }
    }

    /// The reference's name for this depth, if it has one.
    pub fn net_name(&self) -> String {
        format!("resnet_{}blocks", self.n_blocks)
    }

    /// Every parameter in state_dict order with its shape.
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        let (g, b) = (self.ngf, self.n_blocks);
        // (prefix, weight shape); a ConvTranspose weight is [in, out, k, k], its bias [out].
        let mut layers = vec![
            ("model.1".to_string(), [g, self.input_nc, 7, 7], g),
            ("model.4".into(), [2 * g, g, 3, 3], 2 * g),
            ("model.7".into(), [4 * g, 2 * g, 3, 3], 4 * g),
        ];
        let second = if self.dropout { 6 } else { 5 };
        for i in 0..b {
            layers.push((format!("model.{}.conv_block.1", 10 + i), [4 * g, 4 * g, 3, 3], 4 * g));
            layers.push((format!("model.{}.conv_block.{second}", 10 + i), [4 * g, 4 * g, 3, 3], 4 * g));
        }
        layers.push((format!("model.{}", 10 + b), [4 * g, 2 * g, 3, 3], 2 * g));
        layers.push((format!("model.{}", 13 + b), [2 * g, g, 3, 3], g));
        layers.push((format!("model.{}", 17 + b), [self.output_nc, g, 7, 7], self.output_nc));
        let mut s = Vec::new();
        for (prefix, w, bias) in layers {
            s.push(ParamSpec::new(format!("{prefix}.weight"), &w));
            s.push(ParamSpec::new(format!("{prefix}.bias"), &[bias]));
        }
        s
    }

    /// Infers the architecture from state_dict names and shapes (metadata,
    /// where present, is checked against it).
    pub fn from_state_dict(sd: &StateDict) -> Result<Self> {
        let net = "ResnetGenerator";
        let head = sd
            .get("model.1.weight")
            .ok_or_else(|| Error::Network(format!("{net}: no `model.1.weight`; is this a generator's state_dict?")))?;
        let [ngf, input_nc, 7, 7] = head.shape[..] else {
            return Err(Error::Network(format!(
                "{net}: `model.1.weight` has shape {:?}, expected [ngf, in, 7, 7]",
                head.shape
            )));
        };
        let n_blocks = (0..).take_while(|i| sd.get(&format!("model.{}.conv_block.1.weight", 10 + i)).is_some()).count();
        if n_blocks == 0 {
            return Err(Error::Network(format!("{net}: no residual blocks (`model.10.conv_block.1.weight`)")));
        }
        let dropout = sd.get("model.10.conv_block.6.weight").is_some();
        let tail = format!("model.{}.weight", 17 + n_blocks);
        let output_nc = sd
            .get(&tail)
            .map(|t| t.shape[0])
            .ok_or_else(|| Error::Network(format!("{net}: {n_blocks} blocks found but no final conv `{tail}`")))?;
        let config = GeneratorConfig { input_nc, output_nc, ngf, n_blocks, dropout };
        if let Some(meta) = sd.metadata().get("n_blocks") {
            if meta != &n_blocks.to_string() {
                return Err(Error::Network(format!("{net}: metadata says n_blocks {meta}, tensors say {n_blocks}")));
            }
        }
        Ok(config)
    }

    /// Metadata written into saved weight files.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("arch".into(), "ResnetGenerator".into()),
            ("net_g".into(), self.net_name()),
            ("input_nc".into(), self.input_nc.to_string()),
            ("output_nc".into(), self.output_nc.to_string()),
            ("ngf".into(), self.ngf.to_string()),
            ("n_blocks".into(), self.n_blocks.to_string()),
            ("dropout".into(), self.dropout.to_string()),
        ])
    }
}

fn is_transposed(prefix: &str, n_blocks: usize) -> bool {
    prefix == format!("model.{}", 10 + n_blocks) || prefix == format!("model.{}", 13 + n_blocks)
}

/// A ResnetGenerator on the GPU. Weights are kept in PyTorch layout (for
/// training and saving) and packed for the kernels at load.
pub struct ResnetGenerator {
    config: GeneratorConfig,
    specs: Vec<ParamSpec>,
    params: Vec<Tensor>,
    packed: Vec<Tensor>,
}

impl ResnetGenerator {
    /// Builds the network from a state_dict in reference layout.
    pub fn from_state_dict(gpu: &Gpu, sd: &StateDict) -> Result<Self> {
        let config = GeneratorConfig::from_state_dict(sd)?;
        Self::with_config(gpu, config, sd)
    }

    /// Builds a network of a known architecture from a state_dict.
    pub fn with_config(gpu: &Gpu, config: GeneratorConfig, sd: &StateDict) -> Result<Self> {
        let specs = config.param_specs();
        let params = upload(gpu, "ResnetGenerator", &specs, sd)?;
        let mut net = ResnetGenerator { config, specs, params, packed: Vec::new() };
        net.repack(gpu)?;
        Ok(net)
    }

    /// A freshly initialised network (weights N(0, 0.02), biases 0).
    pub fn init(gpu: &Gpu, config: GeneratorConfig, seed: u64) -> Result<Self> {
        Self::with_config(gpu, config, &init_normal(&config.param_specs(), seed))
    }

    /// The architecture.
    pub fn config(&self) -> GeneratorConfig {
        self.config
    }

    /// The parameters in state_dict order.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// Names and shapes of [`ResnetGenerator::params`].
    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// Re-packs the convolution weights after the parameters changed.
    pub fn repack(&mut self, gpu: &Gpu) -> Result<()> {
        let b = self.config.n_blocks;
        self.packed = self
            .specs
            .iter()
            .zip(&self.params)
            .step_by(2)
            .map(|(s, w)| {
                let prefix = s.name.trim_end_matches(".weight");
                if is_transposed(prefix, b) {
                    conv_transpose2d_pack_weight(gpu, w)
                } else {
                    conv2d_pack_weight(gpu, w)
                }
            })
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// Reads the weights back as a state_dict with metadata.
    pub async fn to_state_dict(&self, gpu: &Gpu) -> Result<StateDict> {
        download(gpu, &self.specs, &self.params, self.config.metadata()).await
    }

    /// Checks an input's shape: [N, input_nc, H, W] with H and W multiples of
    /// 4 (two stride-2 steps) and above 3 (reflect padding of 3).
    pub fn check_input(&self, x: &Tensor) -> Result<()> {
        let [_, c, h, w] = x.nchw("ResnetGenerator", "input")?;
        if c != self.config.input_nc || h % 4 != 0 || w % 4 != 0 || h < 4 || w < 4 {
            return Err(Error::shape(
                "ResnetGenerator",
                format!(
                    "input {:?} must be [N, {}, H, W] with H and W multiples of 4, at least 4",
                    x.shape(),
                    self.config.input_nc
                ),
            ));
        }
        Ok(())
    }

    /// Inference forward pass (dropout, if any, is off as in eval mode);
    /// everything is recorded into the pending command list, nothing submitted.
    pub fn forward(&self, gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
        self.run(gpu, x, None)
    }

    /// Forward pass that keeps what [`ResnetGenerator::backward`] needs.
    pub fn forward_train(&self, gpu: &Gpu, x: &Tensor) -> Result<(Tensor, Tape)> {
        let mut tape = Tape::default();
        let y = self.run(gpu, x, Some(&mut tape))?;
        tape.output = Some(y.clone());
        Ok((y, tape))
    }

    fn shape(&self, layer: usize) -> [usize; 4] {
        self.specs[2 * layer].shape[..].try_into().expect("conv weights are 4-D")
    }

    /// (stride, padding, mode) of conv layer `i` (transposed layers excluded).
    fn conv_params(&self, i: usize, act: Activation) -> Conv2dParams {
        let last = 5 + 2 * self.config.n_blocks;
        let (stride, padding, padding_mode) = match i {
            0 => (1, 3, Padding::Reflect),
            1 | 2 => (2, 1, Padding::Zero),
            i if i == last => (1, 3, Padding::Reflect),
            _ => (1, 1, Padding::Reflect),
        };
        Conv2dParams { stride, padding, padding_mode, activation: act }
    }

    const UP: ConvTranspose2dParams =
        ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 1, activation: Activation::None };
    const NORM: InstanceNormParams = InstanceNormParams { eps: 1e-5, activation: Activation::Relu };
    const NORM_LINEAR: InstanceNormParams = InstanceNormParams { eps: 1e-5, activation: Activation::None };

    fn run(&self, gpu: &Gpu, x: &Tensor, mut tape: Option<&mut Tape>) -> Result<Tensor> {
        self.check_input(x)?;
        let (p, k) = (&self.params, &self.packed);
        let up = 3 + 2 * self.config.n_blocks;
        // Conv i (+ its IN with `norm`, + `residual`), recording into the tape.
        let mut layer =
            |h: &Tensor, i: usize, norm: &InstanceNormParams, residual: Option<&Tensor>| -> Result<Tensor> {
                let pre = if i == up || i == up + 1 {
                    conv_transpose2d_packed(gpu, h, &k[i], self.shape(i), Some(&p[2 * i + 1]), &Self::UP)?
                } else {
                    conv2d_packed(
                        gpu,
                        h,
                        &k[i],
                        self.shape(i),
                        Some(&p[2 * i + 1]),
                        &self.conv_params(i, Activation::None),
                    )?
                };
                let (y, stats) = instance_norm(gpu, &pre, None, norm, residual)?;
                if let Some(t) = tape.as_deref_mut() {
                    t.layers.push(Saved { input: h.clone(), pre, stats });
                }
                Ok(y)
            };
        let mut h = layer(x, 0, &Self::NORM, None)?;
        h = layer(&h, 1, &Self::NORM, None)?;
        h = layer(&h, 2, &Self::NORM, None)?;
        for blk in 0..self.config.n_blocks {
            let t = layer(&h, 3 + 2 * blk, &Self::NORM, None)?;
            h = layer(&t, 4 + 2 * blk, &Self::NORM_LINEAR, Some(&h))?;
        }
        h = layer(&h, up, &Self::NORM, None)?;
        h = layer(&h, up + 1, &Self::NORM, None)?;
        let last = up + 2;
        if let Some(t) = tape {
            t.tail_input = Some(h.clone());
        }
        conv2d_packed(
            gpu,
            &h,
            &k[last],
            self.shape(last),
            Some(&p[2 * last + 1]),
            &self.conv_params(last, Activation::Tanh),
        )
    }

    /// Backward pass through a [`ResnetGenerator::forward_train`] tape: adds
    /// the parameter gradients into `grads` (one tensor per parameter, in
    /// [`ResnetGenerator::params`] order) and returns dL/dx when `input_grad`.
    pub fn backward(
        &self,
        gpu: &Gpu,
        tape: &Tape,
        dy: &Tensor,
        grads: &[Tensor],
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        let w = &self.params;
        let up = 3 + 2 * self.config.n_blocks;
        let last = up + 2;
        let missing = || Error::Network("ResnetGenerator::backward needs a tape from forward_train".into());
        let (y, tail_in) = (tape.output.as_ref().ok_or_else(missing)?, tape.tail_input.as_ref().ok_or_else(missing)?);
        let weights = |i: usize, x: &Tensor, d: &Tensor| -> Result<()> {
            let g = if i == up || i == up + 1 {
                conv_transpose2d_backward_weight(gpu, x, d, self.shape(i), &Self::UP)?
            } else {
                conv2d_backward_weight(gpu, x, d, self.shape(i), &self.conv_params(i, Activation::None))?
            };
            accumulate(gpu, &grads[2 * i], &g, 1.0)?;
            accumulate(gpu, &grads[2 * i + 1], &conv2d_backward_bias(gpu, d)?, 1.0)
        };
        let input = |i: usize, d: &Tensor, x: &Tensor| -> Result<Tensor> {
            if i == up || i == up + 1 {
                conv_transpose2d_backward_input(gpu, d, &w[2 * i], &Self::UP)
            } else {
                conv2d_backward_input(
                    gpu,
                    d,
                    &w[2 * i],
                    x.nchw("ResnetGenerator", "input")?,
                    &self.conv_params(i, Activation::None),
                )
            }
        };
        // Through IN(+act) of layer i, then its conv: weight grads, and dL/d(input).
        let through = |i: usize, dh: &Tensor, norm: &InstanceNormParams, want_input: bool| -> Result<Option<Tensor>> {
            let s = &tape.layers[i];
            let (d, _) = instance_norm_backward_input(gpu, &s.pre, &s.stats, dh, None, norm)?;
            weights(i, &s.input, &d)?;
            want_input.then(|| input(i, &d, &s.input)).transpose()
        };
        let d = tanh_backward_input(gpu, y, dy)?;
        weights(last, tail_in, &d)?;
        let mut dh = input(last, &d, tail_in)?;
        for i in [up + 1, up] {
            dh = through(i, &dh, &Self::NORM, true)?.expect("input gradient requested");
        }
        for blk in (0..self.config.n_blocks).rev() {
            let dt = through(4 + 2 * blk, &dh, &Self::NORM_LINEAR, true)?.expect("input gradient requested");
            let dx = through(3 + 2 * blk, &dt, &Self::NORM, true)?.expect("input gradient requested");
            dh = add(gpu, &dh, &dx)?;
        }
        for i in [2, 1] {
            dh = through(i, &dh, &Self::NORM, true)?.expect("input gradient requested");
        }
        through(0, &dh, &Self::NORM, input_grad)
    }
}

/// What one conv + instance norm layer keeps for the backward pass.
#[derive(Clone)]
struct Saved {
    input: Tensor,
    pre: Tensor,
    stats: Tensor,
}

/// Activations a training forward pass keeps for [`ResnetGenerator::backward`].
#[derive(Clone, Default)]
pub struct Tape {
    layers: Vec<Saved>,
    tail_input: Option<Tensor>,
    output: Option<Tensor>,
}
