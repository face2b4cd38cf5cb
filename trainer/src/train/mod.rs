//! Training, the default command: any model of [`shaders::nn::model`]
//! (CycleGAN on two folders of images, pix2pix on one folder of pairs, or
//! their built-in demos), with the reference's options, checkpoints, loss
//! log, sample grids and loss curve under `<checkpoints-dir>/<name>/`.

mod checkpoint;
mod data;
mod demo;
mod demo_aligned;
mod demo_shapes;
mod font;
mod import;
mod loader;
mod losslog;
mod options;
mod plot;
mod prefetch;
mod progress;
mod samples;
mod session;
mod setup;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::ArgMatches;
use shaders::train::{order, transform, Run};

pub use data::Direction;
pub use import::{import, ImportArgs};
pub use options::{NormArg, TrainArgs};

use loader::Loader;
use losslog::LossLog;
use prefetch::Prefetch;
use session::{Session, Stop};

/// Batches each loader thread keeps ready.
const PREFETCH_DEPTH: usize = 2;

/// Runs training with the parsed options; `matches` tells which options
/// the user set (the demo replaces only the others).
pub fn run(args: TrainArgs, matches: &ArgMatches) -> Result<()> {
    let args = setup::options(args, matches)?;
    crate::imageio::set_limits(args.decode.limits());
    let run_dir = args.checkpoints_dir.join(&args.name);
    let start = setup::start(&args, &run_dir)?;
    let source = setup::source(&args, &run_dir)?;
    let order = setup::order(&args, &source);
    let iters_per_epoch = order.iters_per_epoch();
    let epochs = args.n_epochs + args.n_epochs_decay;
    let total = args.schedule().iterations.unwrap_or(epochs * iters_per_epoch);
    let end = args.max_iters.unwrap_or(u64::MAX).min(total);
    let images = source.lens();
    if let setup::Start::Resume(loaded) = &start {
        if loaded.manifest.images != images {
            eprintln!(
                "note: the domains held {:?} images at the checkpoint and hold {images:?} now, so the data order \
                 differs from the interrupted run's",
                loaded.manifest.images
            );
        }
    }
    let skipped = source.skipped();
    let stop = args.max_iters.map(|m| format!(", stopping at iteration {m}")).unwrap_or_default();
    match args.schedule().iterations {
        Some(n) => eprintln!(
            "{iters_per_epoch} iterations per epoch, {n} iterations (the learning rate decays over the last {}){stop}",
            n - n / 2
        ),
        None => eprintln!(
            "{iters_per_epoch} iterations per epoch, {epochs} epochs ({} + {} decaying){stop}",
            args.n_epochs, args.n_epochs_decay
        ),
    }
    if start.position().total_iters >= end {
        let at = start.position().total_iters;
        eprintln!("nothing to do: the checkpoint is at iteration {at}, the run ends at iteration {end}");
        println!("results in {}", run_dir.display());
        return Ok(());
    }
    let (gpu, model, rng, pos) = setup::model(&args, start)?;
    eprintln!("networks: {}", args.architecture());

    let web = run_dir.join("web");
    std::fs::create_dir_all(web.join("images")).with_context(|| format!("{}: cannot create", web.display()))?;
    checkpoint::recover(&run_dir, checkpoint::LATEST, true)?;
    let resumed = (pos.total_iters > 0).then_some(pos.total_iters);
    let log = LossLog::open(model.loss_names(), &run_dir.join("loss_log.jsonl"), resumed)?;
    samples::write_index(&web, &args.name, model.kind(), model.visual_names())?;
    let (kind, translator) = (model.kind(), model.translator());
    let networks = model.network_names().join(" ");

    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\nsecond Ctrl-C: quitting without saving (the last checkpoint is intact)");
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: finishing this iteration, then saving latest/ (press again to quit at once)");
    })
    .context("installing the Ctrl-C handler")?;

    let loader = Arc::new(Loader::from_source(source, order, args.transform(), args.size_check()));
    let mut prefetch = Prefetch::start(loader.clone(), pos, end, prefetch::default_threads(), PREFETCH_DEPTH);
    let run = Run { model, rng, pos, order, schedule: args.schedule() };
    let mut session = Session::new(&args, &gpu, run, end, run_dir.clone(), images, log, interrupted);
    let result = session.train(&mut prefetch);
    session.progress.clear();
    drop(prefetch);
    let unreadable = skipped + loader.unreadable();
    if unreadable > 0 {
        eprintln!("{unreadable} unreadable image files were skipped");
    }
    let stop = result?;
    let at = session.run.pos.total_iters;
    match stop {
        Stop::Finished => eprintln!("training finished: {at} iterations, {epochs} epochs"),
        Stop::MaxIters => eprintln!("stopped at iteration {at} (--max-iters); resume with --continue-train"),
        Stop::Interrupted => eprintln!("interrupted at iteration {at}; resume with --continue-train"),
    }
    let r = run_dir.display();
    eprintln!("{}", args.spec().next_step(&format!("{r}/latest/{translator}.safetensors")));
    println!(
        "results in {r}: latest/ ({kind}: {networks} .safetensors and the resume state), loss_log.jsonl, \
         loss_curve.png, web/index.html"
    );
    Ok(())
}
