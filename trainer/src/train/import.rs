//! `trainer import`: a checkpoint zip (the page's Train mode downloads
//! `latest/` as one) unpacked into `<checkpoints-dir>/<name>/latest/`,
//! checked and written atomically, for `--continue-train`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use shaders::train::checkpoint::from_zip;

use super::checkpoint::{self, parse_manifest, LATEST, MANIFEST};
use super::options::{TrainArgs, RUN_CONTROL};
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
    let (networks, state) = model_files(&manifest.options);
    for name in networks.iter().chain(state) {
        if !files.iter().any(|(n, _)| *n == format!("{name}.safetensors")) {
            bail!(
                "{}: {name}.safetensors is missing: not a complete {} checkpoint",
                zip.display(),
                manifest.options.model
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
        m.options.model, m.position.total_iters, m.position.epoch, m.architecture
    );
    println!("{}", run_dir.join(LATEST).display());
    eprintln!("resume with: trainer --continue-train --name {} {}", args.name, resume_flags(m));
    Ok(())
}

/// The options a resume must repeat (those the manifest records away from
/// their command-line defaults, and the data), from the manifest.
fn resume_flags(m: &checkpoint::Manifest) -> String {
    let o = &m.options;
    let defaults = TrainArgs::defaults();
    let (Ok(serde_json::Value::Object(now)), Ok(serde_json::Value::Object(default))) =
        (serde_json::to_value(o), serde_json::to_value(&defaults))
    else {
        return String::new();
    };
    let mut flags = format!("--checkpoints-dir {}", o.checkpoints_dir.display());
    for (key, value) in &now {
        let skip = RUN_CONTROL.contains(&key.as_str()) || ["name", "checkpoints_dir"].contains(&key.as_str());
        if skip || value.is_null() || default.get(key) == Some(value) {
            continue;
        }
        let flag = key.replace('_', "-");
        match value {
            serde_json::Value::Bool(true) => flags += &format!(" --{flag}"),
            serde_json::Value::Bool(false) => {}
            serde_json::Value::String(s) => flags += &format!(" --{flag} {s}"),
            v => flags += &format!(" --{flag} {v}"),
        }
    }
    let data = if o.spec().data().takes_domains() { "--domain-a DIR --domain-b DIR" } else { "--dataroot DIR" };
    format!("{flags} {data}")
}
