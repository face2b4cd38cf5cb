//! The training core that `trainer` and the browser share: a model, the
//! data order, the learning-rate schedule and where the run stands. Each
//! iteration takes the images of [`Run::picks`], runs one
//! [`Model::step`] at the schedule's learning rate and advances the
//! position; [`Run::snapshot`] is everything a checkpoint holds. What the
//! hosts add is only where images come from and where results go (files
//! and a terminal, or the page).

use super::order::{Order, Pick, Position};
use super::schedule::lr_at;
use crate::context::Gpu;
use crate::error::Result;
use crate::nn::layers::params::SplitMix64;
use crate::nn::model::{Model, StepOutput, TrainState};
use crate::tensor::Tensor;

/// The reference's schedule: `lr` for `n_epochs`, then linear decay to zero
/// over `n_epochs_decay`; or, for a model whose reference counts iterations
/// (U-GAT-IT's `--iteration`), `lr` for the first half of `iterations`,
/// then a linear decay per iteration over the second half.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Schedule {
    /// Initial learning rate.
    pub lr: f64,
    /// Epochs at the initial rate.
    pub n_epochs: u64,
    /// Epochs of linear decay.
    pub n_epochs_decay: u64,
    /// The run's length in iterations, when the schedule counts iterations
    /// rather than epochs.
    pub iterations: Option<u64>,
}

impl Schedule {
    /// The learning rate during `epoch` (1-based) of an epoch schedule.
    pub fn lr_at(&self, epoch: u64) -> f64 {
        lr_at(self.lr, epoch, self.n_epochs, self.n_epochs_decay)
    }

    /// The learning rate of the iteration after `pos`.
    pub fn lr_for(&self, pos: Position) -> f64 {
        match self.iterations {
            Some(n) => super::schedule::lr_at_iteration(self.lr, pos.total_iters + 1, n),
            None => self.lr_at(pos.epoch),
        }
    }

    /// Epochs in the whole run.
    pub fn epochs(&self) -> u64 {
        self.n_epochs + self.n_epochs_decay
    }
}

/// One finished iteration.
pub struct Stepped {
    /// What the step left on the GPU (losses, sample images).
    pub out: StepOutput,
    /// The epoch it belonged to.
    pub epoch: u64,
    /// The learning rate it ran at.
    pub lr: f64,
    /// Whether it completed its epoch.
    pub epoch_done: bool,
}

/// What a checkpoint holds: the model's state and where the run stood.
pub struct Snapshot {
    /// The networks, then the optimizers and other state.
    pub state: TrainState,
    /// The position.
    pub position: Position,
    /// State of the generator of the model's randomness.
    pub rng: u64,
    /// Learning rate of the epoch under way.
    pub lr: f64,
}

/// A training run.
pub struct Run {
    /// The networks and optimizers.
    pub model: Box<dyn Model>,
    /// Drives the model's randomness (image pools, dropout).
    pub rng: SplitMix64,
    /// Where training stands.
    pub pos: Position,
    /// Which images each iteration takes.
    pub order: Order,
    /// The learning rate of each epoch.
    pub schedule: Schedule,
}

impl Run {
    /// Iterations per epoch.
    pub fn iters_per_epoch(&self) -> u64 {
        self.order.iters_per_epoch()
    }

    /// Iterations of the whole schedule.
    pub fn total_iters(&self) -> u64 {
        self.schedule.iterations.unwrap_or_else(|| self.schedule.epochs() * self.iters_per_epoch())
    }

    /// Epochs of the whole schedule (the last one may be partial).
    pub fn epochs(&self) -> u64 {
        match self.schedule.iterations {
            Some(n) => n.div_ceil(self.iters_per_epoch().max(1)),
            None => self.schedule.epochs(),
        }
    }

    /// Whether the schedule is done.
    pub fn finished(&self) -> bool {
        self.pos.total_iters >= self.total_iters()
    }

    /// The learning rate of the next iteration.
    pub fn lr(&self) -> f64 {
        self.schedule.lr_for(self.pos)
    }

    /// The images of the next iteration (a host that prefetches computes
    /// them ahead with the same [`Order`]).
    pub fn picks(&self) -> Vec<Pick> {
        self.order.picks(&self.order.permutation(self.pos.epoch), self.pos)
    }

    /// One iteration on `real_a` and `real_b` ([N, 3, H, W] in [-1, 1], the
    /// images of [`Run::picks`]): the model's step at the schedule's rate,
    /// then the position moves on. Nothing is read back.
    pub fn step(&mut self, gpu: &Gpu, real_a: &Tensor, real_b: &Tensor) -> Result<Stepped> {
        let (epoch, lr) = (self.pos.epoch, self.lr());
        let out = self.model.step(gpu, real_a, real_b, lr as f32, &mut self.rng)?;
        let epoch_done = self.pos.advance(self.iters_per_epoch());
        Ok(Stepped { out, epoch, lr, epoch_done })
    }

    /// Everything a resumable checkpoint holds (reads the GPU back).
    pub async fn snapshot(&self, gpu: &Gpu) -> Result<Snapshot> {
        let state = self.model.state(gpu).await?;
        Ok(Snapshot { state, position: self.pos, rng: self.rng.0, lr: self.lr() })
    }
}
