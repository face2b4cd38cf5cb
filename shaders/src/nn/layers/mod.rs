//! Layers that own their parameters (as indices into a network's
//! [`ParamArena`]) and run forward and backward through the ops, and the
//! compositions that make networks of them.
//!
//! A network is a tree of [`Layer`]s built like the reference's PyTorch
//! modules: a [`SeqBuilder`] numbers the children of a [`Sequential`] as
//! `nn.Sequential` does, so state_dict keys are module paths
//! (`model.10.conv_block.1.weight`). Modules the kernels fuse into their
//! neighbour (a reflection pad into the convolution's index arithmetic, a
//! ReLU into the norm's epilogue) still take their index.
//!
//! [`Layer`] is an open trait: the kinds here ([`Conv`], [`Norm`], [`Act`],
//! [`Dropout`], [`Sequential`], [`Residual`], [`SkipCat`], [`Tap`]) and a
//! model's own layers defined elsewhere compose alike.
//!
//! A training forward pushes what backward needs onto a [`Tape`], a stack
//! of entries of any type; backward walks the tree in reverse and each layer
//! pops its own entries with their types.

pub mod arena;
pub mod optim;
pub mod params;

use std::any::Any;

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::layers::arena::ParamArena;
use crate::nn::layers::params::{ParamSpec, SplitMix64};
use crate::ops::{
    accumulate, activation_backward_input, add, batch_norm, batch_norm_backward_bias, batch_norm_backward_input,
    batch_norm_backward_weight, concat_channels, concat_channels_backward_input, conv2d_backward_bias,
    conv2d_backward_input_packed, conv2d_backward_weight, conv2d_pack_weight, conv2d_packed,
    conv_transpose2d_backward_bias, conv_transpose2d_backward_input_packed, conv_transpose2d_backward_weight,
    conv_transpose2d_pack_weight, conv_transpose2d_packed, dropout, dropout_backward_input, instance_norm,
    instance_norm_backward_bias, instance_norm_backward_input, instance_norm_backward_weight, leaky_relu, relu,
    sigmoid, tanh, Activation, BatchNormParams, Conv2dParams, ConvTranspose2dParams, InstanceNormParams,
};
use crate::tensor::Tensor;

/// How a forward pass treats the layers whose behaviour depends on the
/// mode: PyTorch's `train()` / `eval()` and the reference's test options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// BatchNorm normalizes with the batch's statistics; otherwise with the
    /// running statistics.
    pub batch_stats: bool,
    /// With `batch_stats`, BatchNorm also updates its running statistics (momentum 0.1).
    pub update_running: bool,
    /// Dropout is applied.
    pub dropout: bool,
}

impl Mode {
    /// PyTorch's `train()`: batch statistics (running statistics updated), dropout on.
    pub const TRAIN: Mode = Mode { batch_stats: true, update_running: true, dropout: true };
    /// PyTorch's `eval()`: running statistics, no dropout.
    pub const EVAL: Mode = Mode { batch_stats: false, update_running: false, dropout: false };
    /// The reference's test.py without `--eval`: `train()` outputs (batch
    /// statistics, dropout on), leaving the running statistics as loaded, so
    /// a later eval-mode pass still uses the file's. (PyTorch updates them
    /// there too, but test.py never reads them back; the outputs are the same.)
    pub const TEST: Mode = Mode { batch_stats: true, update_running: false, dropout: true };
}

/// What a training forward keeps for backward, in forward order: a stack
/// of entries of any type, each pushed by the layer that reads it back.
#[derive(Default)]
pub struct Tape {
    entries: Vec<Box<dyn Any>>,
}

impl Tape {
    /// Saves `entry` for the backward of the layer pushing it.
    pub fn push<T: Any>(&mut self, entry: T) {
        self.entries.push(Box::new(entry));
    }

    /// Takes the last entry, which `what` (for messages) saved as a `T`: an
    /// error when the tape is exhausted or its last entry is of another type.
    pub fn pop<T: Any>(&mut self, what: &str) -> Result<T> {
        let entry = self
            .entries
            .pop()
            .ok_or_else(|| Error::Network(format!("{what}: the tape is exhausted (a tape of another pass?)")))?;
        entry.downcast::<T>().map(|b| *b).map_err(|_| mismatch(what))
    }

    /// Takes the last entry if it is a `T`; leaves the tape as it is
    /// otherwise (for a layer that saves nothing in some passes).
    pub fn pop_if<T: Any>(&mut self) -> Option<T> {
        if self.entries.last()?.is::<T>() {
            self.entries.pop()?.downcast::<T>().ok().map(|b| *b)
        } else {
            None
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tape holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The error of a tape whose entry is not what the layer popping it saved.
pub fn mismatch(what: &str) -> Error {
    Error::Network(format!("{what}: the tape does not match the network (a tape of another pass?)"))
}

/// One forward pass: the GPU, the parameters, the mode, the randomness
/// (dropout seeds) and, in training, the tape.
pub struct Forward<'a> {
    /// The GPU.
    pub gpu: &'a Gpu,
    /// The network's parameters.
    pub params: &'a ParamArena,
    /// The network's buffers (BatchNorm running statistics), updated in place.
    pub buffers: &'a [Tensor],
    /// Train or eval behaviour.
    pub mode: Mode,
    /// Draws dropout seeds; required when dropout is on and the network has dropout.
    pub rng: Option<&'a mut SplitMix64>,
    /// Where a training pass saves activations.
    pub tape: Option<&'a mut Tape>,
    /// The outputs of the [`Tap`]s, in forward order.
    pub features: Vec<Tensor>,
}

impl Forward<'_> {
    /// Saves `entry` on the tape of a training pass (nothing otherwise).
    pub fn save<T: Any>(&mut self, entry: T) {
        if let Some(t) = self.tape.as_deref_mut() {
            t.push(entry);
        }
    }
}

/// One backward pass through a tape.
pub struct Backward<'a> {
    /// The GPU.
    pub gpu: &'a Gpu,
    /// The network's parameters; gradients are added into its gradient views.
    pub params: &'a ParamArena,
    /// Whether parameter gradients are accumulated (false for a frozen network).
    pub param_grads: bool,
    /// The forward's tape, consumed.
    pub tape: Tape,
    /// Gradients wrt the [`Tap`] outputs, in forward order (None:
    /// none for that feature); backward takes them from the end.
    pub feature_grads: Vec<Option<Tensor>>,
}

/// A layer: a node of a network's tree that owns its parameters (indices
/// registered in the network's [`Registry`] when it is built) and runs
/// forward and backward through the ops. Its forward saves what its
/// backward needs on the [`Tape`] ([`Forward::save`]); its backward pops the
/// same entries, in reverse order ([`Tape::pop`]).
pub trait Layer {
    /// Rebuilds what the layer derives from its parameters (packed
    /// convolution weights) after loading and after each optimizer step;
    /// `backward` also builds what the input gradients read.
    fn refresh(&mut self, _gpu: &Gpu, _params: &ParamArena, _backward: bool) -> Result<()> {
        Ok(())
    }

    /// Forward pass; `residual`, when given, is added to the output (fused
    /// into a final norm where there is one; see [`add_residual`]).
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor>;

    /// Backward pass: pops this layer's tape entries, adds parameter
    /// gradients (when [`Backward::param_grads`]) and returns dL/dx when
    /// `input_grad`.
    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>>;

    /// Takes `a` into the layer's epilogue, applied after its output; false
    /// when the layer has no free epilogue (the caller then adds a
    /// standalone [`Act`]).
    fn fuse_activation(&mut self, _a: Activation) -> bool {
        false
    }
}

/// `y + residual`, or `y` without one: the end of a layer's forward whose
/// kernels do not fuse the residual.
pub fn add_residual(gpu: &Gpu, y: Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
    match residual {
        Some(r) => add(gpu, &y, r),
        None => Ok(y),
    }
}

/// A convolution or transposed convolution with its fused epilogue
/// activation and its packed weights (rebuilt by [`Layer::refresh`]).
pub struct Conv {
    weight: usize,
    bias: Option<usize>,
    shape: [usize; 4],
    kind: ConvKind,
    packed: Option<Tensor>,
    packed_backward: Option<Tensor>,
}

/// Geometry of a [`Conv`].
#[derive(Clone, Copy, Debug)]
pub enum ConvKind {
    /// conv2d; its activation field is the fused epilogue.
    Conv(Conv2dParams),
    /// conv_transpose2d; its activation field is the fused epilogue.
    Transposed(ConvTranspose2dParams),
}

impl ConvKind {
    fn activation(&self) -> Activation {
        match self {
            ConvKind::Conv(p) => p.activation,
            ConvKind::Transposed(p) => p.activation,
        }
    }

    fn set_activation(&mut self, a: Activation) {
        match self {
            ConvKind::Conv(p) => p.activation = a,
            ConvKind::Transposed(p) => p.activation = a,
        }
    }
}

/// Instance or batch normalization with a fused activation.
pub struct Norm {
    kind: NormKind,
    affine: Option<(usize, usize)>,
    /// BatchNorm's running (mean, var): indices of the network's buffers.
    running: Option<(usize, usize)>,
    activation: Activation,
}

/// Which statistics a [`Norm`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormKind {
    /// Per (sample, channel) plane.
    Instance,
    /// Per channel over the batch.
    Batch,
}

const EPS: f32 = 1e-5;
const MOMENTUM: f32 = 0.1;

/// A standalone activation (one that no neighbour fuses).
pub struct Act(pub Activation);

/// Dropout with this probability (active only when [`Mode::dropout`]).
pub struct Dropout(pub f32);

/// Children in order: `nn.Sequential`.
#[derive(Default)]
pub struct Sequential(pub Vec<Box<dyn Layer>>);

/// x + f(x).
pub struct Residual(pub Box<dyn Layer>);

/// cat([x, f(x)], channels): the U-Net's skip connection.
pub struct SkipCat(pub Box<dyn Layer>);

/// The identity, whose output a network also returns as a feature
/// (DiscoGAN's discriminator); backward adds the feature's gradient.
pub struct Tap;

/// What a [`Conv`] saves: its input and, with an epilogue activation, its output.
struct ConvSaved {
    input: Tensor,
    output: Option<Tensor>,
}

/// What a [`Norm`] saves.
struct NormSaved {
    input: Tensor,
    stats: Tensor,
    batch_stats: bool,
}

/// What an [`Act`] saves: its output.
struct ActSaved(Tensor);

/// What a [`Dropout`] that was on saves: its mask's seed.
struct DropoutSeed(u64);

/// What a [`SkipCat`] saves: the channels of its input.
struct CatChannels(usize);

type PackFn = fn(&Gpu, &Tensor) -> Result<Tensor>;

impl Layer for Conv {
    /// Re-packs the weights from the current parameters; `backward` also
    /// packs the layout the input gradient reads.
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        let w = params.value(self.weight);
        let (fwd, bwd) = match self.kind {
            ConvKind::Conv(_) => (conv2d_pack_weight as PackFn, conv_transpose2d_pack_weight as PackFn),
            ConvKind::Transposed(_) => (conv_transpose2d_pack_weight as PackFn, conv2d_pack_weight as PackFn),
        };
        self.packed = Some(fwd(gpu, &w)?);
        self.packed_backward = if backward { Some(bwd(gpu, &w)?) } else { None };
        Ok(())
    }

    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let packed = self.packed.as_ref().ok_or_else(|| Error::Network("convolution weights are not packed".into()))?;
        let bias = self.bias.map(|i| f.params.value(i));
        let y = match &self.kind {
            ConvKind::Conv(p) => conv2d_packed(f.gpu, x, packed, self.shape, bias.as_ref(), p)?,
            ConvKind::Transposed(p) => conv_transpose2d_packed(f.gpu, x, packed, self.shape, bias.as_ref(), p)?,
        };
        let output = (self.kind.activation() != Activation::None).then(|| y.clone());
        f.save(ConvSaved { input: x.clone(), output });
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let gpu = b.gpu;
        let ConvSaved { input, output } = b.tape.pop("convolution")?;
        let d = match &output {
            Some(y) => activation_backward_input(gpu, self.kind.activation(), y, dy)?,
            None => dy.clone(),
        };
        if b.param_grads {
            let (dw, db) = match &self.kind {
                ConvKind::Conv(p) => (
                    conv2d_backward_weight(gpu, &input, &d, self.shape, p)?,
                    self.bias.map(|_| conv2d_backward_bias(gpu, &d)).transpose()?,
                ),
                ConvKind::Transposed(p) => (
                    conv_transpose2d_backward_weight(gpu, &input, &d, self.shape, p)?,
                    self.bias.map(|_| conv_transpose2d_backward_bias(gpu, &d)).transpose()?,
                ),
            };
            accumulate(gpu, &b.params.grad(self.weight), &dw, 1.0)?;
            if let (Some(i), Some(db)) = (self.bias, db) {
                accumulate(gpu, &b.params.grad(i), &db, 1.0)?;
            }
        }
        if !input_grad {
            return Ok(None);
        }
        let packed = self
            .packed_backward
            .as_ref()
            .ok_or_else(|| Error::Network("convolution weights are not packed for backward".into()))?;
        let dx = match &self.kind {
            ConvKind::Conv(p) => {
                conv2d_backward_input_packed(gpu, &d, packed, self.shape, input.nchw("conv2d", "input")?, p)?
            }
            ConvKind::Transposed(p) => conv_transpose2d_backward_input_packed(gpu, &d, packed, self.shape, p)?,
        };
        Ok(Some(dx))
    }

    /// Fuses `a` into the epilogue when the convolution has none yet.
    fn fuse_activation(&mut self, a: Activation) -> bool {
        if self.kind.activation() != Activation::None {
            return false;
        }
        self.kind.set_activation(a);
        true
    }
}

impl Norm {
    fn affine(&self, params: &ParamArena) -> Option<(Tensor, Tensor)> {
        self.affine.map(|(w, b)| (params.value(w), params.value(b)))
    }
}

impl Layer for Norm {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let gpu = f.gpu;
        let affine = self.affine(f.params);
        let affine = affine.as_ref().map(|(w, b)| (w, b));
        let (y, stats) = match self.kind {
            NormKind::Instance => {
                let p = InstanceNormParams { eps: EPS, activation: self.activation };
                instance_norm(gpu, x, affine, &p, residual)?
            }
            NormKind::Batch => {
                let p = BatchNormParams { eps: EPS, momentum: MOMENTUM, activation: self.activation };
                let keep = f.mode.batch_stats && !f.mode.update_running;
                let running = self.running.filter(|_| !keep).map(|(m, v)| (&f.buffers[m], &f.buffers[v]));
                let (y, stats) = batch_norm(gpu, x, affine, running, &p, f.mode.batch_stats)?;
                (add_residual(gpu, y, residual)?, stats)
            }
        };
        f.save(NormSaved { input: x.clone(), stats, batch_stats: f.mode.batch_stats });
        Ok(y)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let gpu = b.gpu;
        let NormSaved { input, stats, batch_stats } = b.tape.pop("norm")?;
        if self.kind == NormKind::Batch && !batch_stats {
            return Err(Error::Network(
                "BatchNorm backward needs a forward with batch statistics (Mode::TRAIN); this one used the running \
                 statistics"
                    .into(),
            ));
        }
        let affine = self.affine(b.params);
        let affine_ref = affine.as_ref().map(|(w, bias)| (w, bias));
        let (dx, sums, weight_grad, bias_grad): (Tensor, Tensor, WeightReduce, WeightReduce) = match self.kind {
            NormKind::Instance => {
                let p = InstanceNormParams { eps: EPS, activation: self.activation };
                let (dx, sums) = instance_norm_backward_input(gpu, &input, &stats, dy, affine_ref, &p)?;
                (dx, sums, instance_norm_backward_weight, instance_norm_backward_bias)
            }
            NormKind::Batch => {
                let p = BatchNormParams { eps: EPS, momentum: MOMENTUM, activation: self.activation };
                let (dx, sums) = batch_norm_backward_input(gpu, &input, &stats, dy, affine_ref, &p)?;
                (dx, sums, batch_norm_backward_weight, batch_norm_backward_bias)
            }
        };
        if let (true, Some((w, bias))) = (b.param_grads, self.affine) {
            accumulate(gpu, &b.params.grad(w), &weight_grad(gpu, &sums)?, 1.0)?;
            accumulate(gpu, &b.params.grad(bias), &bias_grad(gpu, &sums)?, 1.0)?;
        }
        Ok(input_grad.then_some(dx))
    }
}

impl Layer for Act {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let gpu = f.gpu;
        let y = match self.0 {
            Activation::None => x.clone(),
            Activation::Relu => relu(gpu, x)?,
            Activation::LeakyRelu(s) => leaky_relu(gpu, x, s)?,
            Activation::Tanh => tanh(gpu, x)?,
            Activation::Sigmoid => sigmoid(gpu, x)?,
        };
        f.save(ActSaved(y.clone()));
        add_residual(gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let ActSaved(output) = b.tape.pop("activation")?;
        Ok(Some(activation_backward_input(b.gpu, self.0, &output, dy)?))
    }
}

impl Layer for Dropout {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let y = if !f.mode.dropout {
            x.clone()
        } else {
            let rng = f.rng.as_deref_mut().ok_or_else(|| {
                Error::Network("dropout is on but the forward pass was given no random generator".into())
            })?;
            let seed = rng.next_u64();
            f.save(DropoutSeed(seed));
            dropout(f.gpu, x, self.0, seed)?
        };
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        // A pass with dropout off saved nothing.
        match b.tape.pop_if::<DropoutSeed>() {
            Some(DropoutSeed(seed)) => Ok(Some(dropout_backward_input(b.gpu, dy, self.0, seed)?)),
            None => Ok(Some(dy.clone())),
        }
    }
}

impl Sequential {
    /// Appends a layer.
    pub fn push(&mut self, layer: impl Layer + 'static) {
        self.0.push(Box::new(layer));
    }
}

impl Layer for Sequential {
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        self.0.iter_mut().try_for_each(|m| m.refresh(gpu, params, backward))
    }

    /// Runs the children in order; the last one takes `residual`.
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let mut h = x.clone();
        let last = self.0.len().saturating_sub(1);
        for (i, m) in self.0.iter().enumerate() {
            h = m.forward(f, &h, if i == last { residual } else { None })?;
        }
        Ok(h)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let mut d = dy.clone();
        for (i, m) in self.0.iter().enumerate().rev() {
            match m.backward(b, &d, i > 0 || input_grad)? {
                Some(next) => d = next,
                None => return Ok(None),
            }
        }
        Ok(Some(d))
    }
}

impl Layer for Residual {
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        self.0.refresh(gpu, params, backward)
    }

    /// f(x) with x as its residual (fused into f's last norm).
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let y = self.0.forward(f, x, Some(x))?;
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let d = self.0.backward(b, dy, true)?.ok_or_else(|| mismatch("residual"))?;
        Ok(Some(add(b.gpu, dy, &d)?))
    }
}

impl Layer for SkipCat {
    fn refresh(&mut self, gpu: &Gpu, params: &ParamArena, backward: bool) -> Result<()> {
        self.0.refresh(gpu, params, backward)
    }

    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let inner_y = self.0.forward(f, x, None)?;
        f.save(CatChannels(x.nchw("skip connection", "input")?[1]));
        let y = concat_channels(f.gpu, x, &inner_y)?;
        add_residual(f.gpu, y, residual)
    }

    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let CatChannels(channels) = b.tape.pop("skip connection")?;
        let (dx, d_inner) = concat_channels_backward_input(b.gpu, dy, channels)?;
        let d = self.0.backward(b, &d_inner, true)?.ok_or_else(|| mismatch("skip connection"))?;
        Ok(Some(add(b.gpu, &dx, &d)?))
    }
}

impl Layer for Tap {
    fn forward(&self, f: &mut Forward, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        f.features.push(x.clone());
        add_residual(f.gpu, x.clone(), residual)
    }

    // A plain backward has no feature gradients: the tap passes dy on.
    fn backward(&self, b: &mut Backward, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        match b.feature_grads.pop().flatten() {
            Some(g) => Ok(Some(add(b.gpu, dy, &g)?)),
            None => Ok(Some(dy.clone())),
        }
    }
}

type WeightReduce = fn(&Gpu, &Tensor) -> Result<Tensor>;

/// A state_dict entry of a network: a trainable parameter (index into the
/// arena) or a buffer (BatchNorm running statistics).
#[derive(Clone, Debug)]
pub enum Entry {
    /// Parameter `i` of the arena.
    Param(usize),
    /// Buffer `i` of the network.
    Buffer(usize),
}

/// Collects a network's parameters and buffers with their module paths
/// while its modules are built.
#[derive(Default)]
pub struct Registry {
    /// Trainable parameters, in registration order.
    pub params: Vec<ParamSpec>,
    /// Buffers with their initial values.
    pub buffers: Vec<(ParamSpec, Vec<f32>)>,
    /// Every state_dict key in PyTorch's order.
    pub order: Vec<(String, Entry)>,
}

impl Registry {
    /// Registers a parameter; returns its index.
    pub(crate) fn param(&mut self, name: String, shape: &[usize]) -> usize {
        self.params.push(ParamSpec::new(name.clone(), shape));
        self.order.push((name, Entry::Param(self.params.len() - 1)));
        self.params.len() - 1
    }

    /// Registers a parameter that may be stored as row blocks (see
    /// [`ParamSpec::row_blocks`]); returns its index.
    pub(crate) fn param_row_blocks(&mut self, name: String, shape: &[usize]) -> usize {
        let i = self.param(name, shape);
        self.params[i].row_blocks = true;
        i
    }

    /// Registers a buffer filled with `value`; returns its index.
    pub(crate) fn buffer(&mut self, name: String, shape: &[usize], value: f32) -> usize {
        let n = shape.iter().product();
        self.buffers.push((ParamSpec::new(name.clone(), shape), vec![value; n]));
        self.order.push((name, Entry::Buffer(self.buffers.len() - 1)));
        self.buffers.len() - 1
    }
}

/// Builds an `nn.Sequential` at a module path: each `push` takes the next
/// index, as PyTorch numbers a Sequential's children.
pub struct SeqBuilder<'r> {
    reg: &'r mut Registry,
    prefix: String,
    index: usize,
    children: Vec<Box<dyn Layer>>,
    next_name: Option<String>,
}

impl<'r> SeqBuilder<'r> {
    /// A Sequential whose children are `<prefix>.<index>`.
    pub fn new(reg: &'r mut Registry, prefix: impl Into<String>) -> Self {
        SeqBuilder { reg, prefix: prefix.into(), index: 0, children: Vec::new(), next_name: None }
    }

    /// Names the next child's parameters `name.*` instead of the next index
    /// (a module attribute such as `conv1` or `bn2`, as a PyTorch module
    /// that is not a Sequential names them).
    pub fn named(&mut self, name: &str) -> &mut Self {
        self.next_name = Some(name.to_string());
        self
    }

    /// A feature tap ([`Tap`]); it takes no index.
    pub fn tap(&mut self) -> &mut Self {
        self.children.push(Box::new(Tap));
        self
    }

    /// The path of the next child.
    pub fn next_path(&self) -> String {
        if let Some(name) = &self.next_name {
            return name.clone();
        }
        if self.prefix.is_empty() {
            self.index.to_string()
        } else {
            format!("{}.{}", self.prefix, self.index)
        }
    }

    /// A child with no parameters that a neighbour's kernel fuses (a
    /// reflection pad, an activation in an epilogue, an Identity norm).
    pub fn fused(&mut self) -> &mut Self {
        self.index += 1;
        self
    }

    /// A convolution (`weight` [out, in, k, k]; `bias` [out] when `bias`).
    pub fn conv(&mut self, shape: [usize; 4], bias: bool, p: Conv2dParams) -> &mut Self {
        let path = self.next_path();
        let conv = self.make_conv(&path, shape, bias, ConvKind::Conv(p));
        self.push(conv)
    }

    /// A transposed convolution (`weight` [in, out, k, k]).
    pub fn conv_transpose(&mut self, shape: [usize; 4], bias: bool, p: ConvTranspose2dParams) -> &mut Self {
        let path = self.next_path();
        let conv = self.make_conv(&path, shape, bias, ConvKind::Transposed(p));
        self.push(conv)
    }

    fn make_conv(&mut self, path: &str, shape: [usize; 4], bias: bool, kind: ConvKind) -> Conv {
        let weight = self.reg.param(format!("{path}.weight"), &shape);
        let out = match kind {
            ConvKind::Conv(_) => shape[0],
            ConvKind::Transposed(_) => shape[1],
        };
        let bias = bias.then(|| self.reg.param(format!("{path}.bias"), &[out]));
        Conv { weight, bias, shape, kind, packed: None, packed_backward: None }
    }

    /// A norm over `channels` with a fused activation (whose module index the
    /// caller skips with [`SeqBuilder::fused`]). `Norm::None` is the
    /// reference's Identity: it takes an index and does nothing.
    pub fn norm(&mut self, norm: crate::nn::nets::arch::Norm, channels: usize, activation: Activation) -> &mut Self {
        use crate::nn::nets::arch::Norm as N;
        let path = self.next_path();
        let layer = match norm {
            N::None => {
                // Identity: the activation fuses into the convolution before it, or stands alone.
                self.index += 1;
                if activation != Activation::None
                    && !self.children.last_mut().is_some_and(|m| m.fuse_activation(activation))
                {
                    self.children.push(Box::new(Act(activation)));
                }
                return self;
            }
            N::Instance => Norm { kind: NormKind::Instance, affine: None, running: None, activation },
            N::InstanceAffine => {
                let w = self.reg.param(format!("{path}.weight"), &[channels]);
                let b = self.reg.param(format!("{path}.bias"), &[channels]);
                Norm { kind: NormKind::Instance, affine: Some((w, b)), running: None, activation }
            }
            N::Batch => {
                let w = self.reg.param(format!("{path}.weight"), &[channels]);
                let b = self.reg.param(format!("{path}.bias"), &[channels]);
                let m = self.reg.buffer(format!("{path}.running_mean"), &[channels], 0.0);
                let v = self.reg.buffer(format!("{path}.running_var"), &[channels], 1.0);
                Norm { kind: NormKind::Batch, affine: Some((w, b)), running: Some((m, v)), activation }
            }
        };
        self.push(layer)
    }

    /// A standalone activation.
    pub fn act(&mut self, a: Activation) -> &mut Self {
        self.push(Act(a))
    }

    /// Dropout(p).
    pub fn dropout(&mut self, p: f32) -> &mut Self {
        self.push(Dropout(p))
    }

    /// A child layer built by `f` at the next path (a block with its own
    /// attributes, or a layer of a kind defined elsewhere).
    pub fn child<L: Layer + 'static>(&mut self, f: impl FnOnce(&mut Registry, &str) -> L) -> &mut Self {
        let path = self.next_path();
        let m = f(self.reg, &path);
        self.push(m)
    }

    /// Appends a layer at the next index.
    pub fn push(&mut self, layer: impl Layer + 'static) -> &mut Self {
        self.push_boxed(Box::new(layer))
    }

    /// Appends a boxed layer at the next index.
    pub fn push_boxed(&mut self, layer: Box<dyn Layer>) -> &mut Self {
        self.children.push(layer);
        self.index += 1;
        self.next_name = None;
        self
    }

    /// The Sequential.
    pub fn finish(self) -> Sequential {
        Sequential(self.children)
    }
}
