//! Which images an iteration trains on, as the reference's unaligned
//! dataset picks them: domain A in order (a fresh shuffle per epoch unless
//! `--serial-batches`), domain B at random (or in order with
//! `--serial-batches`); slot s of an epoch takes A[s mod |A|] and
//! B[s mod |B|]. An epoch is max(|A|, |B|) slots; a batch takes the next
//! `batch_size` slots, and the epoch's last batch wraps round to its first
//! slots, so every batch is full.
//!
//! Aligned data (pix2pix) has one index per pair, as the reference's
//! aligned dataset under its DataLoader: an epoch is the pairs in order (a
//! fresh shuffle per epoch unless `--serial-batches`), and both halves of a
//! pair share its index and its crop and flip.
//!
//! Every random choice of an iteration (the epoch's shuffle, B's index, the
//! crop and flip of each image) comes from a generator seeded by (seed,
//! epoch or iteration) alone, so a resumed run sees exactly the data an
//! uninterrupted one would, whatever the timing of the loader threads.

use serde::{Deserialize, Serialize};

use crate::nn::layers::params::SplitMix64;

/// Independent random streams derived from the run's seed.
pub mod stream {
    /// The per-epoch shuffle of domain A.
    pub const SHUFFLE: u64 = 1;
    /// The random index into domain B.
    pub const PICK_B: u64 = 2;
    /// Crop position and flip of one image.
    pub const AUGMENT: u64 = 3;
    /// The image pools' 50% swaps, driven by the training step.
    pub const POOL: u64 = 4;
    /// Weight initialisation.
    pub const INIT: u64 = 5;
    /// DCGAN's fixed latents of the sample grids.
    pub const FIXED_LATENTS: u64 = 6;
}

/// A seed for item `index` of `stream` (SplitMix64 finalisers, so nearby
/// indices give unrelated seeds).
pub fn derive_seed(seed: u64, stream: u64, index: u64) -> u64 {
    let s = SplitMix64(seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64();
    SplitMix64(s ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

/// A generator for item `index` of `stream`.
pub fn rng(seed: u64, stream: u64, index: u64) -> SplitMix64 {
    SplitMix64(derive_seed(seed, stream, index))
}

/// Uniform integer in [0, n), n > 0.
pub fn below(rng: &mut SplitMix64, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// Where training stands: the epoch under way (1-based), the iterations
/// done in it and in total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Epoch the next iteration belongs to, from 1.
    pub epoch: u64,
    /// Iterations already done in that epoch.
    pub epoch_iter: u64,
    /// Iterations done in total; also the index of the next iteration.
    pub total_iters: u64,
}

impl Position {
    /// Before the first iteration.
    pub fn start() -> Self {
        Position { epoch: 1, epoch_iter: 0, total_iters: 0 }
    }

    /// Counts one finished iteration; returns whether it completed the
    /// epoch, in which case the position moves to the next epoch's start.
    pub fn advance(&mut self, iters_per_epoch: u64) -> bool {
        self.total_iters += 1;
        self.epoch_iter += 1;
        if self.epoch_iter >= iters_per_epoch {
            self.epoch += 1;
            self.epoch_iter = 0;
            true
        } else {
            false
        }
    }
}

/// One image pair of a batch: indices into the sorted file lists and the
/// seeds of their augmentation (for aligned data `a == b` and
/// `augment_a == augment_b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// Index into domain A.
    pub a: usize,
    /// Index into domain B.
    pub b: usize,
    /// Seed of A's crop and flip.
    pub augment_a: u64,
    /// Seed of B's crop and flip.
    pub augment_b: u64,
}

/// The data order of a run.
#[derive(Clone, Copy, Debug)]
pub struct Order {
    /// Images in domain A.
    pub len_a: usize,
    /// Images in domain B.
    pub len_b: usize,
    /// Pairs per iteration.
    pub batch_size: usize,
    /// `--serial-batches`.
    pub serial: bool,
    /// `--seed`.
    pub seed: u64,
    /// Aligned pairs: `len_a == len_b` and each pick takes one index and one
    /// augmentation seed for both halves.
    pub aligned: bool,
}

impl Order {
    /// The order of two unaligned domains of `len_a` and `len_b` images.
    pub fn unaligned(len_a: usize, len_b: usize, batch_size: usize, serial: bool, seed: u64) -> Order {
        Order { len_a, len_b, batch_size, serial, seed, aligned: false }
    }

    /// The order of `pairs` aligned pairs.
    pub fn aligned(pairs: usize, batch_size: usize, serial: bool, seed: u64) -> Order {
        Order { len_a: pairs, len_b: pairs, batch_size, serial, seed, aligned: true }
    }

    /// Slots in an epoch: max(|A|, |B|), the number of pairs for aligned data.
    pub fn epoch_len(&self) -> usize {
        self.len_a.max(self.len_b)
    }

    /// Iterations in an epoch.
    pub fn iters_per_epoch(&self) -> u64 {
        self.epoch_len().div_ceil(self.batch_size) as u64
    }

    /// Slot -> dataset index for `epoch`: the identity with
    /// `--serial-batches`, else a Fisher-Yates shuffle seeded by the epoch.
    pub fn permutation(&self, epoch: u64) -> Vec<usize> {
        let mut p: Vec<usize> = (0..self.epoch_len()).collect();
        if !self.serial {
            let mut r = rng(self.seed, stream::SHUFFLE, epoch);
            for i in (1..p.len()).rev() {
                p.swap(i, below(&mut r, i + 1));
            }
        }
        p
    }

    /// The pairs of the iteration at `pos`, given `permutation(pos.epoch)`:
    /// `batch_size` of them, fewer in an epoch's last iteration when the
    /// epoch does not divide evenly (PyTorch's DataLoader with drop_last
    /// False, as every reference uses it).
    pub fn picks(&self, permutation: &[usize], pos: Position) -> Vec<Pick> {
        let n = self.epoch_len();
        let start = pos.epoch_iter as usize * self.batch_size;
        let count = self.batch_size.min(n.saturating_sub(start)).max(1);
        let mut pick_b = rng(self.seed, stream::PICK_B, pos.total_iters);
        (0..count)
            .map(|k| {
                let index = permutation[(start + k) % n];
                let image = 2 * (pos.total_iters * self.batch_size as u64 + k as u64);
                let augment_a = derive_seed(self.seed, stream::AUGMENT, image);
                if self.aligned {
                    return Pick { a: index, b: index, augment_a, augment_b: augment_a };
                }
                let b = if self.serial { index % self.len_b } else { below(&mut pick_b, self.len_b) };
                Pick {
                    a: index % self.len_a,
                    b,
                    augment_a,
                    augment_b: derive_seed(self.seed, stream::AUGMENT, image + 1),
                }
            })
            .collect()
    }

    /// Positions of every iteration from `from` up to (not including) total iteration `end`.
    pub fn positions(&self, from: Position, end: u64) -> impl Iterator<Item = Position> {
        let ipe = self.iters_per_epoch();
        let mut pos = from;
        std::iter::from_fn(move || {
            (pos.total_iters < end).then(|| {
                let here = pos;
                pos.advance(ipe);
                here
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(len_a: usize, len_b: usize, batch_size: usize, serial: bool) -> Order {
        Order::unaligned(len_a, len_b, batch_size, serial, 7)
    }

    #[test]
    fn serial_takes_a_and_b_by_iteration() {
        let o = order(3, 5, 1, true);
        assert_eq!(o.iters_per_epoch(), 5);
        let got: Vec<(usize, usize)> = o
            .positions(Position::start(), 7)
            .map(|p| {
                let x = o.picks(&o.permutation(p.epoch), p)[0];
                (x.a, x.b)
            })
            .collect();
        assert_eq!(got, vec![(0, 0), (1, 1), (2, 2), (0, 3), (1, 4), (0, 0), (1, 1)]);
    }

    #[test]
    fn shuffled_epochs_cover_a_and_differ() {
        let o = order(6, 2, 1, false);
        let (p1, p2) = (o.permutation(1), o.permutation(2));
        let mut sorted = p1.clone();
        sorted.sort();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        assert_ne!(p1, p2);
        assert_eq!(p1, o.permutation(1), "the same epoch always shuffles the same way");
        let bs: Vec<usize> =
            o.positions(Position::start(), 60).map(|p| o.picks(&o.permutation(p.epoch), p)[0].b).collect();
        assert!(bs.iter().all(|&b| b < 2) && bs.contains(&0) && bs.contains(&1));
    }

    #[test]
    fn picks_depend_only_on_seed_and_position() {
        let o = order(10, 13, 2, false);
        let all: Vec<Position> = o.positions(Position::start(), 20).collect();
        let resumed: Vec<Position> = o.positions(all[9], 20).collect();
        assert_eq!(&all[9..], &resumed[..]);
        for p in &resumed {
            assert_eq!(o.picks(&o.permutation(p.epoch), *p), o.picks(&o.permutation(p.epoch), *p));
        }
        let first = o.picks(&o.permutation(1), all[0]);
        assert_ne!(first[0].augment_a, first[0].augment_b);
        assert_ne!(first[0].augment_a, first[1].augment_a);
    }

    #[test]
    fn last_batch_is_partial() {
        let o = order(5, 2, 2, true);
        assert_eq!(o.iters_per_epoch(), 3);
        let p = Position { epoch: 1, epoch_iter: 2, total_iters: 2 };
        let a: Vec<usize> = o.picks(&o.permutation(1), p).iter().map(|x| x.a).collect();
        assert_eq!(a, vec![4]);
        let p = Position { epoch: 1, epoch_iter: 1, total_iters: 1 };
        assert_eq!(o.picks(&o.permutation(1), p).len(), 2);
        let mut pos = Position::start();
        assert!(!pos.advance(3) && !pos.advance(3) && pos.advance(3));
        assert_eq!(pos, Position { epoch: 2, epoch_iter: 0, total_iters: 3 });
    }

    #[test]
    fn aligned_takes_one_index_and_one_seed_per_pair() {
        let serial = Order::aligned(5, 2, true, 7);
        assert_eq!((serial.epoch_len(), serial.iters_per_epoch()), (5, 3));
        let got: Vec<Vec<usize>> = serial
            .positions(Position::start(), 4)
            .map(|p| serial.picks(&serial.permutation(p.epoch), p).iter().map(|x| x.a).collect())
            .collect();
        assert_eq!(got, vec![vec![0, 1], vec![2, 3], vec![4], vec![0, 1]]);
        let shuffled = Order::aligned(9, 1, false, 7);
        let mut epochs = Vec::new();
        for epoch in 1..=3 {
            let perm = shuffled.permutation(epoch);
            let from = Position { epoch, epoch_iter: 0, total_iters: (epoch - 1) * 9 };
            let picks: Vec<Pick> = shuffled.positions(from, epoch * 9).map(|p| shuffled.picks(&perm, p)[0]).collect();
            assert!(picks.iter().all(|p| p.a == p.b && p.augment_a == p.augment_b));
            assert_eq!(
                picks,
                shuffled.positions(from, epoch * 9).map(|p| shuffled.picks(&perm, p)[0]).collect::<Vec<_>>()
            );
            let mut seen: Vec<usize> = picks.iter().map(|p| p.a).collect();
            epochs.push(seen.clone());
            seen.sort();
            assert_eq!(seen, (0..9).collect::<Vec<_>>(), "each epoch takes every pair once");
        }
        assert!(epochs[0] != epochs[1] && epochs[1] != epochs[2], "a fresh shuffle per epoch: {epochs:?}");
        // The augmentation seeds are those of the unaligned order's A images.
        let unaligned = Order::unaligned(9, 9, 1, false, 7);
        let p = Position::start();
        assert_eq!(
            shuffled.picks(&shuffled.permutation(1), p)[0].augment_a,
            unaligned.picks(&unaligned.permutation(1), p)[0].augment_a
        );
    }
}
