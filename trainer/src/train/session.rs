//! The training loop: batches from the loader threads, one GPU step per
//! iteration, and at their frequencies the loss log, sample grids and
//! checkpoints. Losses are read back only when logged and before a save.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use shaders::nn::model::StepOutput;
use shaders::ops::image_to_tensor;
use shaders::train::Run;
use shaders::Gpu;

use super::checkpoint::{self, Manifest, LATEST};
use super::losslog::{check_finite, Diverged, LossLog, Point};
use super::options::TrainArgs;
use super::prefetch::Prefetch;
use super::progress::Progress;
use super::{plot, samples};

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every epoch is done.
    Finished,
    /// `--max-iters` reached.
    MaxIters,
    /// Ctrl-C.
    Interrupted,
}

/// A run in progress.
pub struct Session<'a> {
    /// The options.
    pub args: &'a TrainArgs,
    /// The GPU.
    pub gpu: &'a Gpu,
    /// The model, data order, schedule and position.
    pub run: Run,
    /// Total iteration to stop at.
    pub end: u64,
    /// `<checkpoints-dir>/<name>`.
    pub run_dir: PathBuf,
    /// Images in domain A and B.
    pub images: [usize; 2],
    /// `loss_log.jsonl`.
    pub log: LossLog,
    /// The display.
    pub progress: Progress,
    /// Set by Ctrl-C.
    pub interrupted: Arc<AtomicBool>,
    /// Output of the latest step and the epoch it belonged to.
    last: Option<(StepOutput, u64)>,
    saved_at: Option<u64>,
    /// False while a step may have changed the model without the position following.
    consistent: bool,
}

impl<'a> Session<'a> {
    /// A session that continues `run`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        args: &'a TrainArgs,
        gpu: &'a Gpu,
        run: Run,
        end: u64,
        run_dir: PathBuf,
        images: [usize; 2],
        log: LossLog,
        interrupted: Arc<AtomicBool>,
    ) -> Self {
        let progress = Progress::new(run.model.loss_names(), end, run.epochs(), run.iters_per_epoch());
        let saved_at = Some(run.pos.total_iters).filter(|&t| t > 0);
        Session {
            args,
            gpu,
            run,
            end,
            run_dir,
            images,
            log,
            progress,
            interrupted,
            last: None,
            saved_at,
            consistent: true,
        }
    }

    /// Trains until the end, `--max-iters` or Ctrl-C, then saves `latest/`.
    pub fn train(&mut self, prefetch: &mut Prefetch) -> Result<Stop> {
        let stop = loop {
            if self.run.pos.total_iters >= self.end {
                break if self.end < self.run.total_iters() { Stop::MaxIters } else { Stop::Finished };
            }
            if self.interrupted.load(Ordering::SeqCst) {
                break Stop::Interrupted;
            }
            if let Err(e) = self.iteration(prefetch) {
                self.save_after_error(&e);
                return Err(e);
            }
        };
        if self.saved_at != Some(self.run.pos.total_iters) {
            self.save(&[LATEST])?;
        }
        if !self.log.points.is_empty() {
            let names = self.run.model.loss_names();
            plot::save(names, &self.log.points, &self.args.name, &self.run_dir.join("loss_curve.png"))?;
        }
        Ok(stop)
    }

    fn iteration(&mut self, prefetch: &mut Prefetch) -> Result<()> {
        let (a, gpu) = (self.args, self.gpu);
        let batch = prefetch.next_batch()?;
        debug_assert_eq!(batch.pos, self.run.pos, "batches arrive in iteration order");
        let real_a = image_to_tensor(gpu, &batch.a, batch.n, batch.width, batch.height).context("uploading images")?;
        let real_b = if batch.b.is_empty() {
            real_a.clone()
        } else {
            image_to_tensor(gpu, &batch.b, batch.n, batch.width, batch.height).context("uploading images")?
        };
        let (iteration, epoch) = (self.run.pos.total_iters + 1, self.run.pos.epoch);
        self.consistent = false;
        let stepped = self
            .run
            .step(gpu, &real_a, &real_b)
            .with_context(|| format!("training step {iteration} (epoch {epoch})"))?;
        self.consistent = true;
        let (lr, epoch_done) = (stepped.lr, stepped.epoch_done);
        let iters = self.run.pos.total_iters;
        let out = &self.last.insert((stepped.out, epoch)).0;

        let names = self.run.model.loss_names();
        let mut read = None;
        if iters % a.print_freq == 0 {
            let losses = read_losses(gpu, names, out)?;
            self.log.append(Point { iters, epoch, losses: losses.clone() }, lr)?;
            check_finite(names, &losses, iters, epoch)?;
            plot::save(names, &self.log.points, &a.name, &self.run_dir.join("loss_curve.png"))?;
            read = Some(losses);
        }
        if iters % a.display_freq == 0 {
            let web = self.run_dir.join("web");
            let grid = web.join("images").join(samples::grid_name(iters, epoch));
            let visuals = self.run.model.sample_visuals(gpu, out).context("sample images")?;
            let info = self.run.model.info();
            match visuals.last() {
                Some(batch) if info.batch_grid => {
                    samples::save_batch_grid(gpu, batch, &grid)?;
                    let last = info.visuals.len() - 1;
                    samples::write_index(&web, &a.name, info.kind, &info.visuals[last..])?;
                }
                _ => {
                    samples::save_grid(gpu, &visuals, &grid)?;
                    samples::write_index(&web, &a.name, info.kind, info.visuals)?;
                }
            }
        }
        self.progress.update(self.run.pos, read);

        let epoch_save = epoch_done && epoch % a.save_epoch_freq == 0;
        if iters % a.save_latest_freq == 0 && !epoch_save {
            self.save(&[LATEST])?;
        }
        if epoch_done {
            let next = self.run.lr();
            let change =
                if next != lr && self.run.schedule.iterations.is_none() && epoch < a.n_epochs + a.n_epochs_decay {
                    format!("; learning rate {lr:.7} -> {next:.7}")
                } else {
                    String::new()
                };
            if epoch_save {
                self.save(&[LATEST, &format!("epoch_{epoch}")])?;
                self.progress.println(&format!("end of epoch {epoch}: saved latest/ and epoch_{epoch}/{change}"));
            } else {
                self.progress.println(&format!("end of epoch {epoch}{change}"));
            }
        }
        Ok(())
    }

    /// After an error that is neither divergence nor inside a step (a data
    /// or output error), keeps the progress made: saves `latest/` if it is behind.
    fn save_after_error(&mut self, e: &anyhow::Error) {
        let diverged = e.chain().any(|c| c.is::<Diverged>());
        let iters = self.run.pos.total_iters;
        if diverged || !self.consistent || self.saved_at == Some(iters) || iters == 0 {
            return;
        }
        self.progress.clear();
        match self.save(&[LATEST]) {
            Ok(()) => eprintln!("saved latest/ at iteration {iters} before stopping"),
            Err(s) => eprintln!("could not save latest/ before stopping: {s:#}"),
        }
    }

    /// Saves the model into each of `folders` (the first `latest/`
    /// resumable, `epoch_<n>/` networks only), after checking that the last
    /// losses and every saved value are finite.
    fn save(&mut self, folders: &[&str]) -> Result<()> {
        let iters = self.run.pos.total_iters;
        let names = self.run.model.loss_names();
        if let Some((out, epoch)) = &self.last {
            check_finite(names, &read_losses(self.gpu, names, out)?, iters, *epoch)?;
        }
        let snapshot = pollster::block_on(self.run.snapshot(self.gpu)).context("reading the model back to save it")?;
        if let Some(bad) = checkpoint::first_non_finite(&snapshot.state) {
            return Err(Diverged(format!("non-finite value at iteration {iters}: {bad}")).into());
        }
        let mut manifest = Manifest {
            format: checkpoint::FORMAT,
            kind: String::new(),
            position: snapshot.position,
            rng: snapshot.rng,
            lr: snapshot.lr,
            architecture: self.args.architecture(),
            images: self.images,
            options: self.args.clone(),
            files: Default::default(),
            conv_forms: shaders::train::checkpoint::ConvForms::of(self.gpu),
        };
        let networks = self.run.model.network_names().len();
        let full = checkpoint::state_files(&snapshot.state, networks, true);
        for folder in folders {
            let resumable = *folder == LATEST;
            manifest.kind = if resumable { LATEST.into() } else { "epoch".into() };
            let files = if resumable { &full[..] } else { &full[..networks] };
            checkpoint::write_folder(&self.run_dir, folder, files, &mut manifest)?;
        }
        self.saved_at = Some(iters);
        Ok(())
    }
}

fn read_losses(gpu: &Gpu, names: &[&str], out: &StepOutput) -> Result<Vec<f32>> {
    let v = out.losses.read_blocking(gpu).context("reading the losses back")?;
    if v.len() != names.len() {
        anyhow::bail!("the step returned {} losses, expected {} ({})", v.len(), names.len(), names.join(" "));
    }
    Ok(v)
}
