//! Everything before the first iteration: options, the checkpoint to resume
//! or the weights to start from, the data, the GPU and the model. Every
//! check that can refuse the run happens before anything is written.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use clap::ArgMatches;
use shaders::models::{Data, Demo};
use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::model::{Init, Model};
use shaders::{Gpu, GpuOptions};

use super::checkpoint::{self, Loaded, LATEST, MANIFEST};
use super::data::{Domain, Source};
use super::options::{Preprocess, TrainArgs, RUN_CONTROL};
use super::order::{self, stream, Order, Position};
use super::{demo, demo_aligned, demo_shapes};

/// How the run begins.
pub enum Start {
    /// Fresh weights from the seed.
    Fresh,
    /// Networks from `--init-weights`, fresh optimisers.
    Weights(Vec<StateDict>),
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

/// Resolves the options: the model's and the demo's defaults where they
/// apply, then the checks.
pub fn options(mut args: TrainArgs, matches: &ArgMatches) -> Result<TrainArgs> {
    args.resolve(matches)?;
    let spec = args.spec();
    if !spec.data().takes_domains() && (args.domain_a.is_some() || args.domain_b.is_some()) {
        bail!(
            "--model {} trains on {}: give it with --dataroot, not --domain-a/--domain-b",
            args.model,
            spec.data().describe()
        );
    }
    Ok(args)
}

/// The names of the networks and of the other state files of a model.
pub fn model_files(args: &TrainArgs) -> (&'static [&'static str], &'static [&'static str]) {
    let info = args.spec().info();
    (info.networks, info.state)
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
        if manifest.options.model != args.model {
            bail!(
                "--continue-train: {} is a {} run, but the options ask for --model {}; pass --model {} or another \
                 --name for a new run (nothing was changed)",
                latest.display(),
                manifest.options.model,
                args.model,
                manifest.options.model
            );
        }
        if manifest.architecture != args.architecture() {
            bail!(
                "--continue-train: {} holds {} networks, but the options ask for {}; pass the checkpoint's \
                 --net-g, --ngf, --ndf, --net-d, --n-layers-d and --norm, or another --name for a new run (nothing \
                 was changed)",
                latest.display(),
                manifest.architecture,
                args.architecture()
            );
        }
        let (networks, state) = model_files(args);
        let loaded = checkpoint::load(&latest, networks, state).context("--continue-train")?;
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
        Some(path) => Ok(Start::Weights(init_weights(args, path)?)),
        None => Ok(Start::Fresh),
    }
}

/// `--init-weights`: a folder of the networks' `.safetensors` (another run's
/// `latest/`, or a reference run's `.pth` files), or for a model that takes
/// one (U-GAT-IT) the reference's checkpoint file holding them all. They
/// must be the architectures the options ask for.
fn init_weights(args: &TrainArgs, path: &Path) -> Result<Vec<StateDict>> {
    let spec = args.spec();
    let what = format!("--init-weights {}", path.display());
    let nets = if path.is_file() {
        let sd = crate::files::load_state_dict(path).with_context(|| what.clone())?;
        match spec.split_weights(&sd) {
            Some(nets) => nets.with_context(|| what.clone())?,
            None => bail!(
                "{what}: --model {} starts from a folder holding {}, not from one file",
                args.model,
                spec.info().networks.join(" ")
            ),
        }
    } else {
        checkpoint::load_nets(path, model_files(args).0).with_context(|| what.clone())?
    };
    let (nets, notes) = spec.check_init(args, nets, &what).map_err(|e| anyhow!(e))?;
    for note in notes {
        eprintln!("{note}");
    }
    Ok(nets)
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

/// The training data: the options' folders, or the model's demo (written on first use).
pub fn source(args: &TrainArgs, run_dir: &Path) -> Result<Source> {
    let spec = args.spec();
    let source = match (spec.data(), &args.domain_a, &args.domain_b, &args.dataroot) {
        (_, None, None, None) => demo_source(args, run_dir)?,
        (Data::Single, _, _, Some(dir)) => Source::Single { images: Domain::scan("images", "--dataroot", dir)? },
        (Data::Aligned, _, _, Some(dir)) => Source::aligned(Domain::scan("AB", "--dataroot", dir)?, args.direction)?,
        (Data::UnalignedOrHalves, _, _, Some(root)) if !root.join("trainA").is_dir() => {
            let pairs = Domain::scan("AB", "--dataroot", root)?;
            pairs.check_aligned()?;
            eprintln!("{}: A|B pairs, taken apart: A and B from independently drawn pairs", root.display());
            Source::Halves { pairs, direction: args.direction }
        }
        (_, Some(a), Some(b), _) => {
            Source::Unaligned { a: Domain::scan("A", "--domain-a", a)?, b: Domain::scan("B", "--domain-b", b)? }
        }
        (_, _, _, Some(root)) => Source::Unaligned {
            a: Domain::scan("A", "--domain-a", &root.join("trainA"))?,
            b: Domain::scan("B", "--domain-b", &root.join("trainB"))?,
        },
        _ => bail!("give both --domain-a and --domain-b, or --dataroot"),
    };
    let domains: Vec<&Domain> = match &source {
        Source::Unaligned { a, b } => vec![a, b],
        Source::Aligned { pairs, .. } => vec![pairs],
        Source::Single { images } => vec![images],
        Source::Halves { pairs, .. } => vec![pairs],
    };
    for d in domains {
        let skipped = if d.skipped > 0 { format!(" ({} unreadable files skipped)", d.skipped) } else { String::new() };
        eprintln!(
            "{} {}: {} images in {}{skipped}",
            match d.label {
                "AB" => "pairs",
                "images" => "data",
                _ => "domain",
            },
            d.label,
            d.len(),
            d.root.display()
        );
        if args.preprocess == Preprocess::Crop {
            let half = d.label == "AB";
            let small: Vec<String> = d
                .files
                .iter()
                .zip(&d.sizes)
                .filter(|(_, (w, h))| (if half { *w / 2 } else { *w }).min(*h) < args.crop_size)
                .map(|(p, (w, h))| format!("{} ({w}x{h})", p.display()))
                .collect();
            if !small.is_empty() {
                bail!(
                    "--preprocess crop --crop-size {}: {} images of {} are smaller, e.g. {}; use \
                     resize_and_crop or a smaller crop",
                    args.crop_size,
                    small.len(),
                    d.label,
                    small[0]
                );
            }
        }
    }
    Ok(source)
}

/// The model's built-in demo data, written under `run_dir` on first use.
fn demo_source(args: &TrainArgs, run_dir: &Path) -> Result<Source> {
    let spec = args.spec();
    let dir = run_dir.join("demo_data");
    let what = match spec.demo() {
        Demo::Landscapes => format!(
            "daytime landscapes (A) <-> night landscapes (B), {} procedural {s}x{s} images per domain",
            demo::COUNT,
            s = demo::SIZE
        ),
        Demo::Facades => format!(
            "facade label maps (A) -> rendered facades (B), {} procedural {s}x{s} pairs",
            demo_aligned::COUNT,
            s = demo_aligned::SIZE
        ),
        Demo::Shapes => {
            format!("{} procedural {s}x{s} images of coloured shapes", demo_shapes::COUNT, s = demo_shapes::SIZE)
        }
        Demo::Blobs => format!(
            "round blobs (A) <-> square blocks (B) of the same colours, {} procedural {s}x{s} images per domain",
            shaders::train::demo_blobs::COUNT,
            s = shaders::train::demo_blobs::SIZE
        ),
    };
    let given = if spec.data().takes_domains() { "--domain-a/--domain-b" } else { "--dataroot" };
    eprintln!("no {given} given: training the built-in demo ({}), {what} in {}", spec.title(), dir.display());
    let length = match spec.iterations(args) {
        Some(n) => format!("{n} iterations"),
        None => format!("{} + {} epochs", args.n_epochs, args.n_epochs_decay),
    };
    eprintln!(
        "demo settings: {}, load {} crop {}, batch {}, {length} (any option overrides them; `trainer --help` lists \
         them)",
        args.architecture(),
        args.load_size,
        args.crop_size,
        args.batch_size
    );
    let unaligned = |(a, b): (std::path::PathBuf, std::path::PathBuf)| -> Result<Source> {
        Ok(Source::Unaligned { a: Domain::scan("A", "--domain-a", &a)?, b: Domain::scan("B", "--domain-b", &b)? })
    };
    match spec.demo() {
        Demo::Landscapes => unaligned(demo::ensure(&dir)?),
        Demo::Blobs => unaligned(demo::ensure_blobs(&dir)?),
        Demo::Facades => {
            let pairs = Domain::scan("AB", "--dataroot", &demo_aligned::ensure(&dir)?)?;
            Source::aligned(pairs, args.direction)
        }
        Demo::Shapes => {
            Ok(Source::Single { images: Domain::scan("images", "--dataroot", &demo_shapes::ensure(&dir)?)? })
        }
    }
}

/// The data order of the run.
pub fn order(args: &TrainArgs, source: &Source) -> Order {
    source.order(args.batch_size, args.serial_batches, args.seed)
}

/// Opens the GPU and builds the model; returns it with the RNG of its
/// randomness (pools, dropout) and the start position.
pub fn model(args: &TrainArgs, start: Start) -> Result<(Gpu, Box<dyn Model>, SplitMix64, Position)> {
    let gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    eprintln!("GPU: {}", gpu.describe());
    let fresh_rng = order::rng(args.seed, stream::POOL, 0);
    let (init, rng, pos, context) = match start {
        Start::Fresh => {
            let seed = order::derive_seed(args.seed, stream::INIT, 0);
            (Init::Fresh(seed), fresh_rng, Position::start(), "building the networks".to_string())
        }
        Start::Weights(nets) => (Init::Networks(nets), fresh_rng, Position::start(), "--init-weights".to_string()),
        Start::Resume(loaded) => {
            let Loaded { dir, manifest, state } = *loaded;
            eprintln!(
                "resuming from {} at iteration {} (epoch {}, {} iterations into it)",
                dir.display(),
                manifest.position.total_iters,
                manifest.position.epoch,
                manifest.position.epoch_iter
            );
            if let Some(forms) = &manifest.conv_forms {
                let pinned = forms.apply(&gpu);
                if pinned > 0 {
                    eprintln!(
                        "autotuning: {pinned} convolution forms from the checkpoint, as the interrupted run chose"
                    );
                }
            }
            let context = format!("--continue-train from {}", dir.display());
            (Init::Resume(state), SplitMix64(manifest.rng), manifest.position, context)
        }
    };
    let model = args.spec().build(&gpu, args, init).context(context)?;
    Ok((gpu, model, rng, pos))
}
