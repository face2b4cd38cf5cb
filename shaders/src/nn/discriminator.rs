//! NLayerDiscriminator of the reference implementation (the 70x70 PatchGAN
//! for n_layers 3), layer for layer, with its state_dict names.
//!
//! Reference `model` indices (norm = InstanceNorm2d, so every conv has a
//! bias): 0 Conv4x4 s2 p1 (input_nc -> ndf), 1 LeakyReLU(0.2); for n in
//! 1..n_layers: Conv4x4 s2 p1 at 3n-1, IN, LeakyReLU; then Conv4x4 s1 p1 at
//! 3*n_layers - 1, IN, LeakyReLU; and Conv4x4 s1 p1 (-> 1) at 3*n_layers + 2.
//! Channels: ndf * min(2^n, 8).

use std::collections::BTreeMap;

use super::params::{download, init_normal, upload, ParamSpec};
use super::weights::StateDict;
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::{
    accumulate, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, conv2d_pack_weight, conv2d_packed,
    instance_norm, instance_norm_backward_input, leaky_relu_backward_input, Activation, Conv2dParams,
    InstanceNormParams,
};
use crate::tensor::Tensor;

/// Slope of the discriminator's LeakyReLU.
pub const LEAKY_SLOPE: f32 = 0.2;

/// Architecture of an NLayerDiscriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscriminatorConfig {
    /// Input channels.
    pub input_nc: usize,
    /// Filters of the first layer (64 in the reference).
    pub ndf: usize,
    /// Strided conv layers (3 for the 70x70 PatchGAN, the reference's `basic`).
    pub n_layers: usize,
}

impl DiscriminatorConfig {
    /// The basic 70x70 PatchGAN with the given ndf on RGB.
    pub fn basic(ndf: usize) -> Self {
        DiscriminatorConfig { input_nc: 3, ndf, n_layers: 3 }
    }

    /// (prefix, [out, in, 4, 4], stride, instance norm after it) per conv.
    fn layers(&self) -> Vec<(String, [usize; 4], usize, bool)> {
        let mult = |n: usize| 1usize << n.min(3);
        let mut l = vec![("model.0".to_string(), [self.ndf, self.input_nc, 4, 4], 2, false)];
        for n in 1..self.n_layers {
            l.push((format!("model.{}", 3 * n - 1), [self.ndf * mult(n), self.ndf * mult(n - 1), 4, 4], 2, true));
        }
        let n = self.n_layers;
        l.push((format!("model.{}", 3 * n - 1), [self.ndf * mult(n), self.ndf * mult(n - 1), 4, 4], 1, true));
        l.push((format!("model.{}", 3 * n + 2), [1, self.ndf * mult(n), 4, 4], 1, false));
        l
    }

    /// Every parameter in state_dict order with its shape.
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        self.layers()
            .into_iter()
            .flat_map(|(p, w, _, _)| {
                [ParamSpec::new(format!("{p}.weight"), &w), ParamSpec::new(format!("{p}.bias"), &[w[0]])]
            })
            .collect()
    }

    /// Infers the architecture from state_dict names and shapes.
    pub fn from_state_dict(sd: &StateDict) -> Result<Self> {
        let net = "NLayerDiscriminator";
        let head = sd.get("model.0.weight").ok_or_else(|| {
            Error::Network(format!("{net}: no `model.0.weight`; is this a discriminator's state_dict?"))
        })?;
        let [ndf, input_nc, 4, 4] = head.shape[..] else {
            return Err(Error::Network(format!(
                "{net}: `model.0.weight` has shape {:?}, expected [ndf, in, 4, 4]",
                head.shape
            )));
        };
        let convs = sd.names().filter(|n| n.starts_with("model.") && n.ends_with(".weight")).count();
        if convs < 3 {
            return Err(Error::Network(format!("{net}: {convs} conv weights, at least 3 expected")));
        }
        Ok(DiscriminatorConfig { input_nc, ndf, n_layers: convs - 2 })
    }

    /// Metadata written into saved weight files.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("arch".into(), "NLayerDiscriminator".into()),
            ("input_nc".into(), self.input_nc.to_string()),
            ("ndf".into(), self.ndf.to_string()),
            ("n_layers".into(), self.n_layers.to_string()),
        ])
    }
}

/// An NLayerDiscriminator on the GPU.
pub struct NLayerDiscriminator {
    config: DiscriminatorConfig,
    specs: Vec<ParamSpec>,
    params: Vec<Tensor>,
    packed: Vec<Tensor>,
}

impl NLayerDiscriminator {
    /// Builds the network from a state_dict in reference layout.
    pub fn from_state_dict(gpu: &Gpu, sd: &StateDict) -> Result<Self> {
        Self::with_config(gpu, DiscriminatorConfig::from_state_dict(sd)?, sd)
    }

    /// Builds a network of a known architecture from a state_dict.
    pub fn with_config(gpu: &Gpu, config: DiscriminatorConfig, sd: &StateDict) -> Result<Self> {
        let specs = config.param_specs();
        let params = upload(gpu, "NLayerDiscriminator", &specs, sd)?;
        let mut net = NLayerDiscriminator { config, specs, params, packed: Vec::new() };
        net.repack(gpu)?;
        Ok(net)
    }

    /// A freshly initialised network (weights N(0, 0.02), biases 0).
    pub fn init(gpu: &Gpu, config: DiscriminatorConfig, seed: u64) -> Result<Self> {
        Self::with_config(gpu, config, &init_normal(&config.param_specs(), seed))
    }

    /// The architecture.
    pub fn config(&self) -> DiscriminatorConfig {
        self.config
    }

    /// The parameters in state_dict order.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// Names and shapes of [`NLayerDiscriminator::params`].
    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// Re-packs the convolution weights after the parameters changed.
    pub fn repack(&mut self, gpu: &Gpu) -> Result<()> {
        self.packed = self.params.iter().step_by(2).map(|w| conv2d_pack_weight(gpu, w)).collect::<Result<_>>()?;
        Ok(())
    }

    /// Reads the weights back as a state_dict with metadata.
    pub async fn to_state_dict(&self, gpu: &Gpu) -> Result<StateDict> {
        download(gpu, &self.specs, &self.params, self.config.metadata()).await
    }

    /// Forward pass: x [N, input_nc, H, W] to the patch scores [N, 1, H', W'].
    pub fn forward(&self, gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
        self.run(gpu, x, None)
    }

    /// Forward pass that keeps what [`NLayerDiscriminator::backward`] needs.
    pub fn forward_train(&self, gpu: &Gpu, x: &Tensor) -> Result<(Tensor, Tape)> {
        let mut tape = Tape::default();
        let y = self.run(gpu, x, Some(&mut tape))?;
        Ok((y, tape))
    }

    fn run(&self, gpu: &Gpu, x: &Tensor, mut tape: Option<&mut Tape>) -> Result<Tensor> {
        let [_, c, _, _] = x.nchw("NLayerDiscriminator", "input")?;
        if c != self.config.input_nc {
            return Err(Error::shape(
                "NLayerDiscriminator",
                format!("input {:?} must have {} channels", x.shape(), self.config.input_nc),
            ));
        }
        let layers = self.config.layers();
        let mut h = x.clone();
        for (i, (_, shape, stride, norm)) in layers.into_iter().enumerate() {
            // The first conv fuses its LeakyReLU (no norm follows it).
            let act = if i == 0 { Activation::LeakyRelu(LEAKY_SLOPE) } else { Activation::None };
            let params = Conv2dParams { stride, padding: 1, activation: act, ..Default::default() };
            let pre = conv2d_packed(gpu, &h, &self.packed[i], shape, Some(&self.params[2 * i + 1]), &params)?;
            let input = std::mem::replace(&mut h, pre.clone());
            let mut stats = None;
            if norm {
                let (y, s) = instance_norm(gpu, &pre, None, &NORM, None)?;
                h = y;
                stats = Some(s);
            }
            if let Some(t) = tape.as_deref_mut() {
                t.layers.push(Saved { input, pre, stats, stride, shape });
            }
        }
        Ok(h)
    }

    /// Backward pass through a [`NLayerDiscriminator::forward_train`] tape:
    /// adds parameter gradients into `grads` when given (one tensor per
    /// parameter, in [`NLayerDiscriminator::params`] order) and returns dL/dx
    /// when `input_grad`.
    pub fn backward(
        &self,
        gpu: &Gpu,
        tape: &Tape,
        dy: &Tensor,
        grads: Option<&[Tensor]>,
        input_grad: bool,
    ) -> Result<Option<Tensor>> {
        let mut dh = dy.clone();
        for (i, s) in tape.layers.iter().enumerate().rev() {
            let d = match (&s.stats, i) {
                (Some(stats), _) => instance_norm_backward_input(gpu, &s.pre, stats, &dh, None, &NORM)?.0,
                (None, 0) => leaky_relu_backward_input(gpu, &s.pre, &dh, LEAKY_SLOPE)?,
                (None, _) => dh.clone(),
            };
            let params = Conv2dParams { stride: s.stride, padding: 1, ..Default::default() };
            if let Some(g) = grads {
                accumulate(gpu, &g[2 * i], &conv2d_backward_weight(gpu, &s.input, &d, s.shape, &params)?, 1.0)?;
                accumulate(gpu, &g[2 * i + 1], &conv2d_backward_bias(gpu, &d)?, 1.0)?;
            }
            if i == 0 && !input_grad {
                return Ok(None);
            }
            dh = conv2d_backward_input(
                gpu,
                &d,
                &self.params[2 * i],
                s.input.nchw("NLayerDiscriminator", "input")?,
                &params,
            )?;
        }
        Ok(Some(dh))
    }
}

const NORM: InstanceNormParams = InstanceNormParams { eps: 1e-5, activation: Activation::LeakyRelu(LEAKY_SLOPE) };

/// What one layer keeps for the backward pass: its input, its conv output
/// (after the fused LeakyReLU for the first layer) and its norm statistics.
#[derive(Clone)]
struct Saved {
    input: Tensor,
    pre: Tensor,
    stats: Option<Tensor>,
    stride: usize,
    shape: [usize; 4],
}

/// Activations a training forward pass keeps for [`NLayerDiscriminator::backward`].
#[derive(Clone, Default)]
pub struct Tape {
    layers: Vec<Saved>,
}
