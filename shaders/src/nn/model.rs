//! The interface a training model (CycleGAN, pix2pix, ...) offers the
//! trainer: named networks, named losses, sample images, one training step,
//! and its whole state as named state_dicts for checkpoints.

use std::future::Future;
use std::pin::Pin;

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::StateDict;
use crate::nn::layers::params::SplitMix64;
use crate::nn::nets::network::{Architecture, Network};
use crate::tensor::Tensor;

/// A future returned by a [`Model`] method (boxed so models are objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The data a model trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// Two folders of images with no correspondence (CycleGAN).
    Unaligned,
    /// One folder of A|B side-by-side pairs (pix2pix).
    Aligned,
}

/// What one training iteration leaves on the GPU.
pub struct StepOutput {
    /// The losses as a [n] tensor in [`Model::loss_names`] order; read it
    /// back only when logging.
    pub losses: Tensor,
    /// The sample images of [`Model::visual_names`], in that order, each
    /// [N, 3, H, W] in [-1, 1].
    pub visuals: Vec<Tensor>,
}

/// Everything needed to resume a run exactly, as named state_dicts: first
/// the networks ([`Model::network_names`]), then the optimizers, pools and
/// other state ([`Model::state_names`]). Each is saved as `<name>.safetensors`.
#[derive(Clone, Debug, Default)]
pub struct TrainState {
    /// (name, state_dict) pairs.
    pub files: Vec<(String, StateDict)>,
}

impl TrainState {
    /// The state_dict called `name`.
    pub fn get(&self, name: &str) -> Result<&StateDict> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, sd)| sd)
            .ok_or_else(|| Error::Network(format!("the training state has no `{name}`")))
    }

    /// Takes the state_dict called `name` out.
    pub fn take(&mut self, name: &str) -> Result<StateDict> {
        let i = self
            .files
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| Error::Network(format!("the training state has no `{name}`")))?;
        Ok(self.files.remove(i).1)
    }
}

/// How a model's networks begin.
pub enum Init {
    /// Fresh weights drawn from this seed.
    Fresh(u64),
    /// The networks from state_dicts, in [`Model::network_names`] order;
    /// fresh optimizers and pools.
    Networks(Vec<StateDict>),
    /// Everything from a saved [`TrainState`].
    Resume(TrainState),
}

/// What a model is called and what it names: the reference's spelling of
/// each, as checkpoints, loss logs and sample pages use them.
#[derive(Debug)]
pub struct ModelInfo {
    /// The reference's `--model` name, e.g. `cycle_gan` or `pix2pix`.
    pub kind: &'static str,
    /// The networks, e.g. `G_A G_B D_A D_B`; checkpoints save each as
    /// `<name>.safetensors` in the reference's state_dict layout.
    pub networks: &'static [&'static str],
    /// The rest of the state a resume needs (optimizers, pools).
    pub state: &'static [&'static str],
    /// The losses, in [`StepOutput::losses`] order.
    pub losses: &'static [&'static str],
    /// The sample images of [`StepOutput::visuals`], e.g. `real_A fake_B rec_A`.
    pub visuals: &'static [&'static str],
    /// The network that translates A to B, the one to translate with after training.
    pub translator: &'static str,
    /// Sample grids show every image of the last visual (a batch of
    /// generated images, 8 per row) rather than the first image of each.
    pub batch_grid: bool,
}

/// A training model.
pub trait Model {
    /// Its names ([`ModelInfo`]).
    fn info(&self) -> &'static ModelInfo;

    /// The reference's `--model` name.
    fn kind(&self) -> &'static str {
        self.info().kind
    }

    /// Names of the networks.
    fn network_names(&self) -> &'static [&'static str] {
        self.info().networks
    }

    /// Names of the rest of the state a resume needs.
    fn state_names(&self) -> &'static [&'static str] {
        self.info().state
    }

    /// Loss names in the reference's spelling, in [`StepOutput::losses`] order.
    fn loss_names(&self) -> &'static [&'static str] {
        self.info().losses
    }

    /// Names of the sample images of [`StepOutput::visuals`].
    fn visual_names(&self) -> &'static [&'static str] {
        self.info().visuals
    }

    /// The network that translates A to B.
    fn translator(&self) -> &'static str {
        self.info().translator
    }

    /// One iteration on a batch: `real_a` and `real_b` are [N, 3, H, W] in
    /// [-1, 1] (for aligned data, the two halves of the same pairs); `rng`
    /// drives the model's randomness (pools, dropout). Everything is
    /// recorded and submitted; nothing is read back.
    fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        real_b: &Tensor,
        lr: f32,
        rng: &mut SplitMix64,
    ) -> Result<StepOutput>;

    /// The sample images of [`Model::visual_names`] after the step that
    /// returned `out`, computed only when samples are shown. Most models
    /// return the step's own visuals; a generator from noise runs its
    /// fixed latents here.
    fn sample_visuals(&mut self, gpu: &Gpu, out: &StepOutput) -> Result<Vec<Tensor>> {
        let _ = gpu;
        Ok(out.visuals.clone())
    }

    /// Snapshot of everything needed to resume (reads the GPU back).
    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>>;
}

/// The state_dicts of the networks `names` from an [`Init`]: fresh ones
/// drawn by `fresh` (one seed per network from the init's stream), the
/// given ones, or a saved state's, which comes back with the rest of that
/// state (empty otherwise).
pub(crate) fn state_dicts(
    names: &[&str],
    init: Init,
    fresh: impl FnOnce(&mut SplitMix64) -> Result<Vec<StateDict>>,
) -> Result<(Vec<StateDict>, Option<TrainState>)> {
    let (dicts, rest): (Vec<StateDict>, Option<TrainState>) = match init {
        Init::Fresh(seed) => (fresh(&mut SplitMix64(seed))?, None),
        Init::Networks(dicts) => (dicts, None),
        Init::Resume(mut state) => {
            let dicts = names.iter().map(|n| state.take(n)).collect::<Result<_>>()?;
            (dicts, Some(state))
        }
    };
    if dicts.len() != names.len() {
        return Err(Error::Network(format!("{} state_dicts for the {} networks {names:?}", dicts.len(), names.len())));
    }
    Ok((dicts, rest))
}

/// Builds the networks of `archs` named `names` from an [`Init`], returning
/// them with the state that a resume restores (empty otherwise).
pub(crate) fn networks(
    gpu: &Gpu,
    names: &[&str],
    archs: &[Architecture],
    init: Init,
) -> Result<(Vec<Network>, Option<TrainState>)> {
    let named = |name: &str| {
        let name = name.to_string();
        move |e: Error| Error::Network(format!("{name}: {e}"))
    };
    let (dicts, rest) =
        state_dicts(names, init, |rng| archs.iter().map(|a| Network::init_state_dict(a, rng.next_u64())).collect())?;
    let nets = names
        .iter()
        .zip(archs)
        .zip(&dicts)
        .map(|((n, a), sd)| Network::new(gpu, *a, sd, true).map_err(named(n)))
        .collect::<Result<_>>()?;
    Ok((nets, rest))
}
