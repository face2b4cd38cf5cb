//! `trainer import`: a checkpoint zip (the page's Train mode downloads
//! `latest/` as one) unpacked into `<checkpoints-dir>/<name>/latest/`,
//! checked and written atomically, for `--continue-train`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use shaders::train::checkpoint::from_zip;

use super::checkpoint::{self, parse_manifest, LATEST, MANIFEST};
use super::setup::model_files;

/// Options of `trainer import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The checkpoint zip (`latest/` with its manifest, as the page's Train mode downloads it).
    #[arg(value_name = "ZIP")]
    pub zip: PathBuf,
    /// Run name: the checkpoint goes to <checkpoints-dir>/<name>/latest/.
    #[arg(long)]
    pub name: String,
    /// Folder of the runs.
    #[arg(long, value_name = "DIR", default_value = "checkpoints")]
    pub checkpoints_dir: PathBuf,
}

/// Unpacks the zip; refuses a damaged one and never replaces a checkpoint.
pub fn import(args: ImportArgs) -> Result<()> {
    let zip = &args.zip;
    let bytes = std::fs::read(zip).with_context(|| format!("{}: cannot read", zip.display()))?;
    let (json, files) = from_zip(&bytes).with_context(|| zip.display().to_string())?;
    let mut manifest = parse_manifest(&json).with_context(|| format!("{}: {MANIFEST}", zip.display()))?;
    if manifest.kind != LATEST {
        bail!("{}: an epoch checkpoint holds only the networks; import a latest/ zip", zip.display());
    }
    let (networks, state) = model_files(manifest.options.model);
    for name in networks.iter().chain(state) {
        if !files.iter().any(|(n, _)| *n == format!("{name}.safetensors")) {
            bail!(
                "{}: {name}.safetensors is missing: not a complete {} checkpoint",
                zip.display(),
                manifest.options.model.name()
            );
        }
    }
    let run_dir = args.checkpoints_dir.join(&args.name);
    checkpoint::recover(&run_dir, LATEST, false)?;
    if run_dir.join(LATEST).exists() {
        bail!("{} already exists; choose another --name (nothing was changed)", run_dir.join(LATEST).display());
    }
    std::fs::create_dir_all(&run_dir).with_context(|| format!("{}: cannot create", run_dir.display()))?;
    manifest.options.name = args.name.clone();
    manifest.options.checkpoints_dir = args.checkpoints_dir.clone();
    checkpoint::write_folder(&run_dir, LATEST, &files, &mut manifest)?;
    let m = &manifest;
    eprintln!(
        "imported {} at iteration {} (epoch {}): {}",
        m.options.model.name(),
        m.position.total_iters,
        m.position.epoch,
        m.architecture
    );
    println!("{}", run_dir.join(LATEST).display());
    eprintln!("resume with: trainer --continue-train --name {} {}", args.name, resume_flags(m));
    Ok(())
}

/// The options a resume must repeat (the networks and the data size), from the manifest.
fn resume_flags(m: &checkpoint::Manifest) -> String {
    let o = &m.options;
    let net_g = o.net_g.map(|n| format!(" --net-g {n}")).unwrap_or_default();
    format!(
        "--checkpoints-dir {}{net_g} --ngf {} --ndf {} --n-layers-d {} --load-size {} --crop-size {} --batch-size {} \
         --n-epochs {} --n-epochs-decay {} --lr {} --seed {} --domain-a DIR --domain-b DIR",
        o.checkpoints_dir.display(),
        o.ngf,
        o.ndf,
        o.n_layers_d,
        o.load_size,
        o.crop_size,
        o.batch_size,
        o.n_epochs,
        o.n_epochs_decay,
        o.lr,
        o.seed
    )
}
