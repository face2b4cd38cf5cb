//! Loader threads that decode and augment batches ahead of the GPU. Thread
//! k builds iterations k, k + T, k + 2T, ... into its own bounded channel
//! and the trainer takes them round-robin, so batches arrive in order and
//! their content never depends on thread timing.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{anyhow, Result};

use super::loader::{Batch, Loader};
use super::order::Position;

/// Batches of the iterations from a start position to an end, in order.
pub struct Prefetch {
    channels: Vec<Receiver<Result<Batch>>>,
    taken: usize,
    threads: Vec<JoinHandle<()>>,
}

impl Prefetch {
    /// Starts `threads` loader threads, each keeping up to `depth` batches
    /// ready, for the iterations from `from` up to total iteration `end`.
    pub fn start(loader: Arc<Loader>, from: Position, end: u64, threads: usize, depth: usize) -> Prefetch {
        let threads = threads.max(1);
        let mut channels = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for k in 0..threads {
            let (tx, rx) = sync_channel(depth.max(1));
            let loader = loader.clone();
            let handle = std::thread::Builder::new()
                .name(format!("loader-{k}"))
                .spawn(move || {
                    let mut permutation: Option<(u64, Vec<usize>)> = None;
                    for pos in loader.order.positions(from, end).skip(k).step_by(threads) {
                        if permutation.as_ref().is_none_or(|(e, _)| *e != pos.epoch) {
                            permutation = Some((pos.epoch, loader.order.permutation(pos.epoch)));
                        }
                        let perm = &permutation.as_ref().expect("set above").1;
                        let batch = loader.batch(perm, pos);
                        let failed = batch.is_err();
                        if tx.send(batch).is_err() || failed {
                            return;
                        }
                    }
                })
                .expect("spawning a loader thread");
            channels.push(rx);
            handles.push(handle);
        }
        Prefetch { channels, taken: 0, threads: handles }
    }

    /// The next iteration's batch (blocks until it is ready).
    pub fn next_batch(&mut self) -> Result<Batch> {
        let k = self.taken % self.channels.len();
        self.taken += 1;
        self.channels[k].recv().map_err(|_| anyhow!("a data loader thread stopped unexpectedly"))?
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Closing the channels makes every blocked sender return.
        self.channels.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Loader threads for this machine: all cores but the one feeding the GPU, at most 4.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get().saturating_sub(1)).unwrap_or(1).clamp(1, 4)
}
