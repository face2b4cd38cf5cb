//! Everything before the first iteration: options, the checkpoint to resume
//! or the weights to start from, the data, the GPU and the model. Every
//! check that can refuse the run happens before anything is written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use shaders::nn::cyclegan::{CycleGan, CycleGanConfig};
use shaders::nn::discriminator::DiscriminatorConfig;
use shaders::nn::generator::GeneratorConfig;
use shaders::nn::params::SplitMix64;
use shaders::nn::weights::StateDict;
use shaders::{Gpu, GpuOptions};

use super::checkpoint::{self, Loaded, LATEST, MANIFEST};
use super::data::Domain;
use super::demo;
use super::options::{describe_architecture, Preprocess, TrainArgs, RUN_CONTROL};
use super::order::{self, stream, Order, Position};

/// How the run begins.
pub enum Start {
    /// Fresh weights from the seed.
    Fresh,
    /// Networks from `--init-weights`, fresh optimisers.
    Weights(Box<[StateDict; 4]>),
    /// Everything from `latest/` (`--continue-train`).
    Resume(Box<Loaded>),
}

impl Start {
    /// Where training begins.
    pub fn position(&self) -> Position {
        match self {
            Start::Resume(loaded) => loaded.manifest.position,
            _ => Position::start(),
        }
    }
}

/// Resolves the options: the demo's defaults where it runs, then the checks.
pub fn options(mut args: TrainArgs, matches: &ArgMatches) -> Result<TrainArgs> {
    if args.is_demo() {
        args.apply_demo_defaults(matches);
    }
    args.validate()?;
    Ok(args)
}

/// Finds what the run starts from, refusing (before writing anything) a
/// checkpoint of another architecture, a missing one, or a fresh start over
/// an existing one.
pub fn start(args: &TrainArgs, run_dir: &Path) -> Result<Start> {
    checkpoint::recover(run_dir, LATEST, false)?;
    let latest = run_dir.join(LATEST);
    let have = latest.join(MANIFEST).is_file();
    if args.continue_train {
        if !have {
            bail!(
                "--continue-train: no checkpoint at {} (check --name and --checkpoints-dir, or leave out \
                 --continue-train to start a new run)",
                latest.display()
            );
        }
        let manifest = checkpoint::read_manifest(&latest)?;
        if manifest.architecture != args.architecture() {
            bail!(
                "--continue-train: {} holds {} networks, but the options ask for {}; pass the checkpoint's \
                 --net-g, --ngf, --ndf and --n-layers-d, or another --name for a new run (nothing was changed)",
                latest.display(),
                manifest.architecture,
                args.architecture()
            );
        }
        let loaded = checkpoint::load(&latest).context("--continue-train")?;
        note_changed_options(args, &loaded.manifest.options);
        return Ok(Start::Resume(Box::new(loaded)));
    }
    if have {
        let at = checkpoint::read_manifest(&latest).map(|m| m.position.total_iters).unwrap_or(0);
        bail!(
            "{} already holds a checkpoint (iteration {at}); pass --continue-train to resume it, or choose another \
             --name (nothing was changed)",
            latest.display()
        );
    }
    match &args.init_weights {
        Some(dir) => {
            let nets = checkpoint::load_nets(dir).context("--init-weights")?;
            check_nets(&nets, &args.model_config(), dir)?;
            Ok(Start::Weights(Box::new(nets)))
        }
        None => Ok(Start::Fresh),
    }
}

/// The architecture the four state_dicts hold must be the one the options ask for.
fn check_nets(nets: &[StateDict; 4], config: &CycleGanConfig, dir: &Path) -> Result<()> {
    let ctx = || format!("--init-weights {}", dir.display());
    let g = [
        GeneratorConfig::from_state_dict(&nets[0]).with_context(ctx)?,
        GeneratorConfig::from_state_dict(&nets[1]).with_context(ctx)?,
    ];
    let d = [
        DiscriminatorConfig::from_state_dict(&nets[2]).with_context(ctx)?,
        DiscriminatorConfig::from_state_dict(&nets[3]).with_context(ctx)?,
    ];
    let mut found = *config;
    found.generator = g.into_iter().find(|g| *g != config.generator).unwrap_or(config.generator);
    found.discriminator = d.into_iter().find(|d| *d != config.discriminator).unwrap_or(config.discriminator);
    if found.generator != config.generator || found.discriminator != config.discriminator {
        bail!(
            "--init-weights {}: the weights are {} networks, but the options ask for {}; pass matching --net-g, \
             --ngf, --ndf and --n-layers-d",
            dir.display(),
            describe_architecture(&found),
            describe_architecture(config)
        );
    }
    Ok(())
}

/// Prints the training options that differ from the checkpoint's.
fn note_changed_options(args: &TrainArgs, saved: &TrainArgs) {
    let (now, then) = (serde_json::to_value(args), serde_json::to_value(saved));
    let (Ok(serde_json::Value::Object(now)), Ok(serde_json::Value::Object(then))) = (now, then) else { return };
    for (key, value) in &now {
        if RUN_CONTROL.contains(&key.as_str()) {
            continue;
        }
        if let Some(old) = then.get(key).filter(|old| *old != value) {
            eprintln!("note: --{} is {value} now, {old} in the checkpoint", key.replace('_', "-"));
        }
    }
}

/// The domains' folders: the options', or the demo's (written on first use).
pub fn domain_dirs(args: &TrainArgs, run_dir: &Path) -> Result<(PathBuf, PathBuf)> {
    match (&args.domain_a, &args.domain_b) {
        (Some(a), Some(b)) => Ok((a.clone(), b.clone())),
        _ => {
            let dir = run_dir.join("demo_data");
            eprintln!(
                "no --domain-a/--domain-b given: training the built-in demo, daytime landscapes (A) <-> night \
                 landscapes (B), {} procedural {s}x{s} images per domain in {}",
                demo::COUNT,
                dir.display(),
                s = demo::SIZE
            );
            eprintln!(
                "demo settings: {} ngf {} ndf {}, load {} crop {}, {} + {} epochs (any option overrides them; \
                 `trainer --help` lists them)",
                args.model_config().generator.net_name(),
                args.ngf,
                args.ndf,
                args.load_size,
                args.crop_size,
                args.n_epochs,
                args.n_epochs_decay
            );
            demo::ensure(&dir)
        }
    }
}

/// Scans both domains and checks their images against `--preprocess crop`.
pub fn domains(args: &TrainArgs, dir_a: &Path, dir_b: &Path) -> Result<(Domain, Domain)> {
    let a = Domain::scan("A", "--domain-a", dir_a)?;
    let b = Domain::scan("B", "--domain-b", dir_b)?;
    for d in [&a, &b] {
        let skipped = if d.skipped > 0 { format!(" ({} unreadable files skipped)", d.skipped) } else { String::new() };
        eprintln!("domain {}: {} images in {}{skipped}", d.label, d.len(), d.root.display());
        if args.preprocess == Preprocess::Crop {
            let small: Vec<String> = d
                .files
                .iter()
                .zip(&d.sizes)
                .filter(|(_, (w, h))| (*w).min(*h) < args.crop_size)
                .map(|(p, (w, h))| format!("{} ({w}x{h})", p.display()))
                .collect();
            if !small.is_empty() {
                bail!(
                    "--preprocess crop --crop-size {}: {} images of domain {} are smaller, e.g. {}; use \
                     resize_and_crop or a smaller crop",
                    args.crop_size,
                    small.len(),
                    d.label,
                    small[0]
                );
            }
        }
    }
    Ok((a, b))
}

/// The data order of the run.
pub fn order(args: &TrainArgs, a: &Domain, b: &Domain) -> Order {
    Order::unaligned(a.len(), b.len(), args.batch_size, args.serial_batches, args.seed)
}

/// Opens the GPU and builds the model; returns it with the pool RNG and the start position.
pub fn model(args: &TrainArgs, start: Start) -> Result<(Gpu, CycleGan, SplitMix64, Position)> {
    let gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    eprintln!("GPU: {}", gpu.describe());
    let config = args.model_config();
    let fresh_rng = order::rng(args.seed, stream::POOL, 0);
    let built = match start {
        Start::Fresh => {
            let seed = order::derive_seed(args.seed, stream::INIT, 0);
            (CycleGan::new(&gpu, config, seed).context("building the networks")?, fresh_rng, Position::start())
        }
        Start::Weights(nets) => {
            let model = CycleGan::from_nets(&gpu, config, *nets).context("--init-weights")?;
            (model, fresh_rng, Position::start())
        }
        Start::Resume(loaded) => {
            let Loaded { dir, manifest, state } = *loaded;
            let model = CycleGan::from_state(&gpu, config, state)
                .with_context(|| format!("--continue-train from {}", dir.display()))?;
            eprintln!(
                "resuming from {} at iteration {} (epoch {}, {} iterations into it)",
                dir.display(),
                manifest.position.total_iters,
                manifest.position.epoch,
                manifest.position.epoch_iter
            );
            (model, SplitMix64(manifest.rng), manifest.position)
        }
    };
    Ok((gpu, built.0, built.1, built.2))
}
