//! Everything before the first iteration: options, the checkpoint to resume
//! or the weights to start from, the data, the GPU and the model. Every
//! check that can refuse the run happens before anything is written.

use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use shaders::nn::arch::{GeneratorArch, Upsampling};
use shaders::nn::cyclegan::{self, CycleGan};
use shaders::nn::dcgan::{self, Dcgan};
use shaders::nn::discogan::{self, DiscoGan};
use shaders::nn::model::{Init, Model};
use shaders::nn::network::Architecture;
use shaders::nn::params::SplitMix64;
use shaders::nn::pix2pix::{self, Pix2Pix};
use shaders::nn::remap::map_state_dict;
use shaders::nn::ugatit::{self, detect_generator, split_checkpoint, Ugatit};
use shaders::nn::weights::StateDict;
use shaders::{Gpu, GpuOptions};

use super::checkpoint::{self, Loaded, LATEST, MANIFEST};
use super::data::{Domain, Source};
use super::options::{ModelKind, Preprocess, TrainArgs, RUN_CONTROL};
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

/// Resolves the options: the demo's defaults where it runs, then the checks.
pub fn options(mut args: TrainArgs, matches: &ArgMatches) -> Result<TrainArgs> {
    args.apply_model_defaults(matches);
    if args.is_demo() {
        args.apply_demo_defaults(matches);
    }
    args.resolve();
    args.validate()?;
    if args.model == ModelKind::Pix2Pix && (args.domain_a.is_some() || args.domain_b.is_some()) {
        bail!(
            "--model pix2pix trains on one folder of A|B side-by-side images: give it with --dataroot, not \
             --domain-a/--domain-b"
        );
    }
    if args.model == ModelKind::Dcgan && (args.domain_a.is_some() || args.domain_b.is_some()) {
        bail!("--model dcgan trains on one folder of images: give it with --dataroot, not --domain-a/--domain-b");
    }
    Ok(args)
}

/// The names of the networks and of the other state files of a model.
pub fn model_files(kind: ModelKind) -> (&'static [&'static str], &'static [&'static str]) {
    let info = match kind {
        ModelKind::CycleGan => &cyclegan::INFO,
        ModelKind::Pix2Pix => &pix2pix::INFO,
        ModelKind::Dcgan => &dcgan::INFO,
        ModelKind::DiscoGan => &discogan::INFO,
        ModelKind::Ugatit => &ugatit::INFO,
    };
    (info.networks, info.state)
}

/// The architectures of the model's networks, in [`model_files`] order.
fn architectures(args: &TrainArgs) -> Vec<Architecture> {
    match args.model {
        ModelKind::CycleGan => args.cycle_gan_config().architectures().to_vec(),
        ModelKind::Pix2Pix | ModelKind::Dcgan => {
            vec![Architecture::Generator(args.generator()), Architecture::Discriminator(args.discriminator())]
        }
        ModelKind::DiscoGan => {
            let (g, d) = (Architecture::Generator(args.generator()), Architecture::Discriminator(args.discriminator()));
            vec![g, g, d, d]
        }
        ModelKind::Ugatit => Vec::new(),
    }
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
                manifest.options.model.name(),
                args.model.name(),
                manifest.options.model.name()
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
        let (networks, state) = model_files(args.model);
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
        Some(path) if args.model == ModelKind::Ugatit => Ok(Start::Weights(ugatit_weights(args, path)?)),
        Some(dir) => {
            let nets = checkpoint::load_nets(dir, model_files(args.model).0).context("--init-weights")?;
            let nets = check_nets(nets, args, dir)?;
            Ok(Start::Weights(nets))
        }
        None => Ok(Start::Fresh),
    }
}

/// The architectures the state_dicts hold must be those the options ask
/// for. The state_dicts are mapped onto the reference's layout (weights of
/// other code bases, [`map_state_dict`]) and returned in it.
fn check_nets(nets: Vec<StateDict>, args: &TrainArgs, dir: &Path) -> Result<Vec<StateDict>> {
    let names = model_files(args.model).0;
    let mut out = Vec::with_capacity(nets.len());
    for ((name, sd), want) in names.iter().zip(nets).zip(architectures(args)) {
        let ctx = || format!("--init-weights {}: {name}", dir.display());
        let mapped = map_state_dict(&sd, None).with_context(ctx)?;
        for note in &mapped.report.notes {
            eprintln!("--init-weights {}: {name}: {note}", dir.display());
        }
        let mut found = mapped.arch;
        // Dropout has no weights: take the options' word for it.
        if let (Architecture::Generator(f), Architecture::Generator(w)) = (&mut found, &want) {
            f.dropout = w.dropout;
        }
        if found != want {
            let hint = match found {
                Architecture::Generator(g) => {
                    let up = match g.arch {
                        GeneratorArch::Resnet { upsampling: Upsampling::Transposed4, .. } => {
                            " --upsampling transposed4"
                        }
                        _ => "",
                    };
                    format!("--net-g {} --ngf {} --norm {}{up}", g.net_name(), g.ngf, g.norm.name())
                }
                Architecture::Discriminator(d) => format!("--ndf {} --norm {}", d.ndf, d.norm.name()),
            };
            bail!(
                "--init-weights {}: {name} is a {} network, but the options ask for {}; pass matching options \
                 ({hint} for this one; --net-d and --n-layers-d for the discriminators)",
                dir.display(),
                found.describe(),
                want.describe()
            );
        }
        out.push(mapped.state_dict);
    }
    Ok(out)
}

/// U-GAT-IT's `--init-weights`: the reference's checkpoint file
/// (`<dataset>_params_NNNNNNN.pt`, all six networks in one dict) or a folder
/// of the six `.safetensors` (another run's `latest/`). The generators must
/// be of the shape the options ask for.
fn ugatit_weights(args: &TrainArgs, path: &Path) -> Result<Vec<StateDict>> {
    let ctx = || format!("--init-weights {}", path.display());
    let nets = if path.is_file() {
        let sd = crate::translate::load_state_dict(path).with_context(ctx)?;
        split_checkpoint(&sd).with_context(ctx)?
    } else {
        checkpoint::load_nets(path, model_files(ModelKind::Ugatit).0).with_context(ctx)?
    };
    let want = args.ugatit_generator();
    for (name, sd) in ["genA2B", "genB2A"].iter().zip(&nets) {
        let found = detect_generator(sd).with_context(|| format!("--init-weights {}: {name}", path.display()))?;
        let same = found.ch == want.ch
            && found.n_res == want.n_res
            && found.light == want.light
            && (found.light || found.img_size == want.img_size);
        if !same {
            let light = if found.light { " --light" } else { "" };
            let size = if found.light { String::new() } else { format!(" --crop-size {}", found.img_size) };
            bail!(
                "--init-weights {}: {name} is a {}, but the options ask for a {}; pass --ch {} --n-res {}{light}{size} \
                 (nothing was changed)",
                path.display(),
                found.describe(),
                want.describe(),
                found.ch,
                found.n_res
            );
        }
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
    let source = match args.model {
        ModelKind::Dcgan => {
            let dir = match &args.dataroot {
                Some(d) => d.clone(),
                None => {
                    let dir = run_dir.join("demo_data");
                    eprintln!(
                        "no --dataroot given: training the built-in DCGAN demo, {} procedural {s}x{s} images of \
                         coloured shapes in {}",
                        demo_shapes::COUNT,
                        dir.display(),
                        s = demo_shapes::SIZE
                    );
                    eprintln!(
                        "demo settings: {}, batch {}, {} epochs (any option overrides them; `trainer --help` lists \
                         them)",
                        args.architecture(),
                        args.batch_size,
                        args.n_epochs
                    );
                    demo_shapes::ensure(&dir)?
                }
            };
            Source::Single { images: Domain::scan("images", "--dataroot", &dir)? }
        }
        ModelKind::Pix2Pix => {
            let dir = match &args.dataroot {
                Some(d) => d.clone(),
                None => {
                    let dir = run_dir.join("demo_data");
                    eprintln!(
                        "no --dataroot given: training the built-in pix2pix demo, facade label maps (A) -> rendered \
                         facades (B), {} procedural {s}x{s} pairs in {}",
                        demo_aligned::COUNT,
                        dir.display(),
                        s = demo_aligned::SIZE
                    );
                    demo_note(args);
                    demo_aligned::ensure(&dir)?
                }
            };
            let pairs = Domain::scan("AB", "--dataroot", &dir)?;
            Source::aligned(pairs, args.direction)?
        }
        ModelKind::DiscoGan => match (&args.domain_a, &args.domain_b, &args.dataroot) {
            (Some(a), Some(b), _) => {
                Source::Unaligned { a: Domain::scan("A", "--domain-a", a)?, b: Domain::scan("B", "--domain-b", b)? }
            }
            (_, _, Some(root)) if root.join("trainA").is_dir() => Source::Unaligned {
                a: Domain::scan("A", "--dataroot", &root.join("trainA"))?,
                b: Domain::scan("B", "--dataroot", &root.join("trainB"))?,
            },
            (_, _, Some(root)) => {
                let pairs = Domain::scan("AB", "--dataroot", root)?;
                pairs.check_aligned()?;
                eprintln!("{}: A|B pairs, taken apart: A and B from independently drawn pairs", root.display());
                Source::Halves { pairs, direction: args.direction }
            }
            _ => {
                let dir = run_dir.join("demo_data");
                eprintln!(
                    "no --domain-a/--domain-b given: training the built-in DiscoGAN demo, daytime landscapes (A) <-> \
                     night landscapes (B), {} procedural images per domain in {}",
                    demo::COUNT,
                    dir.display()
                );
                eprintln!(
                    "demo settings: {}, {}x{}, batch {}, {} epochs (any option overrides them; `trainer --help` lists \
                     them)",
                    args.architecture(),
                    args.image_size,
                    args.image_size,
                    args.batch_size,
                    args.n_epochs
                );
                let (a, b) = demo::ensure(&dir)?;
                Source::Unaligned { a: Domain::scan("A", "--domain-a", &a)?, b: Domain::scan("B", "--domain-b", &b)? }
            }
        },
        ModelKind::Ugatit if args.is_demo() => {
            let dir = run_dir.join("demo_data");
            eprintln!(
                "no --domain-a/--domain-b given: training the built-in U-GAT-IT demo, round blobs (A) <-> square \
                 blocks (B) of the same colours, {} procedural {s}x{s} images per domain in {}",
                shaders::train::demo_blobs::COUNT,
                dir.display(),
                s = shaders::train::demo_blobs::SIZE
            );
            eprintln!(
                "demo settings: {}, load {} crop {}, {} iterations (any option overrides them; `trainer --help` \
                 lists them)",
                args.architecture(),
                args.load_size,
                args.crop_size,
                args.iteration
            );
            let (a, b) = demo::ensure_blobs(&dir)?;
            Source::Unaligned { a: Domain::scan("A", "--domain-a", &a)?, b: Domain::scan("B", "--domain-b", &b)? }
        }
        ModelKind::CycleGan | ModelKind::Ugatit => {
            let (a, b) = match (&args.domain_a, &args.domain_b, &args.dataroot) {
                (Some(a), Some(b), _) => (a.clone(), b.clone()),
                (_, _, Some(root)) => (root.join("trainA"), root.join("trainB")),
                _ => {
                    let dir = run_dir.join("demo_data");
                    eprintln!(
                        "no --domain-a/--domain-b given: training the built-in demo, daytime landscapes (A) <-> \
                         night landscapes (B), {} procedural {s}x{s} images per domain in {}",
                        demo::COUNT,
                        dir.display(),
                        s = demo::SIZE
                    );
                    demo_note(args);
                    demo::ensure(&dir)?
                }
            };
            let a = Domain::scan("A", "--domain-a", &a)?;
            let b = Domain::scan("B", "--domain-b", &b)?;
            Source::Unaligned { a, b }
        }
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

fn demo_note(args: &TrainArgs) {
    eprintln!(
        "demo settings: {}, load {} crop {}, {} + {} epochs (any option overrides them; `trainer --help` lists them)",
        args.architecture(),
        args.load_size,
        args.crop_size,
        args.n_epochs,
        args.n_epochs_decay
    );
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
    let model: Box<dyn Model> = match args.model {
        ModelKind::CycleGan => Box::new(CycleGan::new(&gpu, args.cycle_gan_config(), init).context(context)?),
        ModelKind::Pix2Pix => Box::new(Pix2Pix::new(&gpu, args.pix2pix_config(), init).context(context)?),
        ModelKind::Dcgan => Box::new(Dcgan::new(&gpu, args.dcgan_config(), init).context(context)?),
        ModelKind::DiscoGan => Box::new(DiscoGan::new(&gpu, args.discogan_config(), init).context(context)?),
        ModelKind::Ugatit => Box::new(Ugatit::new(&gpu, args.ugatit_config(), init).context(context)?),
    };
    Ok((gpu, model, rng, pos))
}
