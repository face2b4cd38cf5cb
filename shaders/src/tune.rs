//! A tuner that knows no op, after cubecl's `LocalTuner` and `AutotuneKey`
//! (`cubecl-runtime/src/tune/`). The op supplies a key type (its shape), its
//! candidates, a way to run one, and optionally a cache hook that keeps
//! winners across runs; the tuner keeps, per key, each candidate's measured
//! time and the winner, and the keys whose measurement waits (in a browser,
//! where waiting for the GPU cannot block). A [`Gpu`](crate::Gpu) keeps
//! one tuner per op in its [`Tuners`], found by type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::error::Result;

/// What an op's tuned results are kept by: its shape (operand shapes,
/// stride, padding, ...).
pub trait AutotuneKey: Clone + Eq + Hash + Debug + Send + Sync + 'static {}

impl<T: Clone + Eq + Hash + Debug + Send + Sync + 'static> AutotuneKey for T {}

/// One of the ways an op can run (a kernel form).
pub trait Candidate: Copy + PartialEq + Debug + Send + Sync + 'static {}

impl<T: Copy + PartialEq + Debug + Send + Sync + 'static> Candidate for T {}

/// What a key was tuned to.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuned<C> {
    /// Milliseconds per run of each candidate (best of the timed runs), in
    /// the order they were measured; empty where the winner was pinned or
    /// came from the cache.
    pub ms: Vec<(C, f64)>,
    /// The fastest, which every later run of the key takes.
    pub winner: C,
}

/// Where an op keeps its winners across runs (natively, a file).
pub trait TuneCache<K, C> {
    /// The winner stored for `key`, if any.
    fn lookup(&self, key: &K) -> Option<C>;
    /// Stores `winner` for `key`. A cache that cannot be written costs a
    /// measurement next time, nothing more, so the hook reports its own
    /// failures.
    fn store(&self, key: &K, winner: C);
}

/// Timed runs per candidate after one warm-up run.
pub const TUNE_RUNS: usize = 2;

/// The tuned keys of one op on one device and the keys waiting for their
/// measurement.
#[derive(Debug)]
pub struct LocalTuner<K, C> {
    tuned: Mutex<HashMap<K, Tuned<C>>>,
    /// Keys whose measurement was deferred, in first-use order.
    deferred: Mutex<Vec<K>>,
}

impl<K, C> Default for LocalTuner<K, C> {
    fn default() -> Self {
        LocalTuner { tuned: Mutex::default(), deferred: Mutex::default() }
    }
}

impl<K: AutotuneKey, C: Candidate> LocalTuner<K, C> {
    /// What `key` was tuned to, if it was.
    pub fn get(&self, key: &K) -> Option<Tuned<C>> {
        self.tuned.lock().unwrap().get(key).cloned()
    }

    /// Every tuned key with what it was tuned to.
    pub fn results(&self) -> Vec<(K, Tuned<C>)> {
        self.tuned.lock().unwrap().iter().map(|(k, t)| (k.clone(), t.clone())).collect()
    }

    /// Makes `winner` the choice for `key` without measuring.
    pub fn pin(&self, key: K, winner: C) {
        self.tuned.lock().unwrap().insert(key, Tuned { ms: Vec::new(), winner });
    }

    /// Keeps the measured times of `key`'s candidates and returns the
    /// fastest (the first of equals), now its winner, which `cache` keeps
    /// too; `None` where nothing was measured.
    pub fn record(&self, key: K, ms: Vec<(C, f64)>, cache: Option<&dyn TuneCache<K, C>>) -> Option<C> {
        let winner = ms.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|&(c, _)| c)?;
        self.tuned.lock().unwrap().insert(key.clone(), Tuned { ms, winner });
        if let Some(cache) = cache {
            cache.store(&key, winner);
        }
        Some(winner)
    }

    /// Queues `key` for [`LocalTuner::tune_deferred`], once.
    pub fn defer(&self, key: K) {
        let mut deferred = self.deferred.lock().unwrap();
        if !deferred.contains(&key) {
            deferred.push(key);
        }
    }

    /// How many keys wait for their measurement.
    pub fn deferred(&self) -> usize {
        self.deferred.lock().unwrap().len()
    }

    /// The winner for `key` among `candidates`: the one tuned on this device,
    /// else the one `cache` keeps (where it is still a candidate; it is
    /// pinned then), else measured. With `defer` the key is queued for
    /// [`LocalTuner::tune_deferred`] instead and `None` returned; otherwise
    /// `measure` (given a clock in milliseconds) runs now, natively blocking
    /// on it (in a browser, which always defers, it never runs); a failed
    /// measurement gives `None`. `None` also where fewer than two candidates
    /// apply: there is nothing to choose.
    pub fn choose(
        &self,
        key: &K,
        candidates: &[C],
        cache: Option<&dyn TuneCache<K, C>>,
        defer: bool,
        measure: impl AsyncFnOnce(&dyn Fn() -> f64) -> Result<C>,
    ) -> Option<C> {
        if candidates.len() < 2 {
            return None;
        }
        if let Some(t) = self.get(key) {
            return Some(t.winner);
        }
        if let Some(winner) = cache.and_then(|c| c.lookup(key)).filter(|c| candidates.contains(c)) {
            self.pin(key.clone(), winner);
            return Some(winner);
        }
        if defer {
            self.defer(key.clone());
            return None;
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let start = std::time::Instant::now();
            let now_ms = || start.elapsed().as_secs_f64() * 1e3;
            pollster::block_on(measure(&now_ms)).ok()
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = measure;
            None
        }
    }

    /// Measures the deferred keys that are not tuned by now with `measure`,
    /// in the order they were first met; returns how many were measured.
    pub async fn tune_deferred(&self, mut measure: impl AsyncFnMut(K) -> Result<()>) -> Result<usize> {
        let keys = std::mem::take(&mut *self.deferred.lock().unwrap());
        let mut measured = 0;
        for key in keys {
            if self.get(&key).is_some() {
                continue;
            }
            measure(key).await?;
            measured += 1;
        }
        Ok(measured)
    }
}

/// Times each candidate: one warm-up run, then the best of [`TUNE_RUNS`],
/// each submitted and awaited alone. `run` records one run of a candidate,
/// `finish` submits the recorded work and waits for it, `now_ms` is the
/// clock (milliseconds from any fixed origin). Returns (candidate,
/// milliseconds) in the order of `candidates`.
pub async fn time_candidates<C: Candidate>(
    candidates: &[C],
    mut run: impl FnMut(C) -> Result<()>,
    finish: impl AsyncFn() -> Result<()>,
    now_ms: &dyn Fn() -> f64,
) -> Result<Vec<(C, f64)>> {
    let mut ms = Vec::with_capacity(candidates.len());
    for &c in candidates {
        run(c)?;
        finish().await?;
        let mut best = f64::INFINITY;
        for _ in 0..TUNE_RUNS {
            let start = now_ms();
            run(c)?;
            finish().await?;
            best = best.min(now_ms() - start);
        }
        ms.push((c, best));
    }
    Ok(ms)
}

/// What a device asks of each of its tuners without knowing its op.
pub trait Tuner: Any + Send + Sync {
    /// How many keys wait for their deferred measurement.
    fn deferred(&self) -> usize;
}

impl<K: AutotuneKey, C: Candidate> Tuner for LocalTuner<K, C> {
    fn deferred(&self) -> usize {
        LocalTuner::deferred(self)
    }
}

/// The tuners of one device, one per type (each op's tuner, with whatever
/// settings the op keeps beside it), and whether they defer measurement.
pub struct Tuners {
    tuners: Mutex<HashMap<TypeId, Arc<dyn Tuner>>>,
    defer: bool,
}

impl Tuners {
    /// No tuners yet; `defer`: whether they defer measurement.
    pub fn new(defer: bool) -> Self {
        Tuners { tuners: Mutex::default(), defer }
    }

    /// The tuner of type `T`, made by `init` at its first use.
    pub fn get_or_init<T: Tuner>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let tuner: Arc<dyn Any + Send + Sync> =
            self.tuners.lock().unwrap().entry(TypeId::of::<T>()).or_insert_with(|| Arc::new(init())).clone();
        tuner.downcast::<T>().expect("a tuner is kept under its own type")
    }

    /// Whether the tuners defer measurement to their op's call (as in a
    /// browser) instead of measuring a key at its first use.
    pub fn defers(&self) -> bool {
        self.defer
    }

    /// Chooses between measuring at first use and deferring.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_defers(&mut self, defer: bool) {
        self.defer = defer;
    }

    /// How many keys of all tuners wait for their deferred measurement.
    pub fn deferred(&self) -> usize {
        self.tuners.lock().unwrap().values().map(|t| t.deferred()).sum()
    }
}
