//! Checkpoint folders under `<checkpoints-dir>/<name>/`:
//!
//! - `latest/`: the model's networks as `<name>.safetensors` (CycleGAN's
//!   `G_A G_B D_A D_B`, pix2pix's `G D`; reference state_dict layout,
//!   loadable by `trainer translate`), plus what resuming needs: the
//!   optimizers (`adam_G`/`adam_D.safetensors`: moments and step), the image
//!   pools (`pool_*.safetensors`, oldest first) and `manifest.json`
//!   (position, RNG state, learning rate, options, file sizes).
//! - `epoch_<n>/`: the networks and a manifest, after epoch n.
//!
//! A folder is written as `<folder>.tmp-<pid>/` (each file fsynced, the
//! manifest last), then switched in by two renames: the old folder to
//! `<folder>.old-<pid>/`, the new one into place. Killed at any instant,
//! either `<folder>/` or `<folder>.old-<pid>/` holds a complete checkpoint,
//! and [`recover`] puts the latter back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use shaders::nn::io::weights::StateDict;
use shaders::nn::model::TrainState;

use super::options::TrainArgs;
use crate::files::load_state_dict;

pub use shaders::train::checkpoint::{first_non_finite, state_files, FORMAT, LATEST, MANIFEST};

/// What a checkpoint folder holds besides its tensors, with the run's options.
pub type Manifest = shaders::train::checkpoint::Manifest<TrainArgs>;

/// A checkpoint read back: its manifest and training state.
pub struct Loaded {
    /// The folder it came from.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The state to resume.
    pub state: TrainState,
}

static WRITES: AtomicUsize = AtomicUsize::new(0);

/// Test hook: `CYCLEGAN_TEST_CRASH_CHECKPOINT=<n>:<files|swap>` aborts the
/// process during this process's n-th checkpoint write, after its first file
/// (`files`) or between the two renames (`swap`).
fn crash_point(write: usize, stage: &str) {
    if let Ok(spec) = std::env::var("CYCLEGAN_TEST_CRASH_CHECKPOINT") {
        if spec == format!("{write}:{stage}") {
            eprintln!("\nCYCLEGAN_TEST_CRASH_CHECKPOINT: aborting during checkpoint write {write} ({stage})");
            std::process::abort();
        }
    }
}

/// Writes `files` and the manifest as `run_dir/folder/`, atomically.
pub fn write_folder(run_dir: &Path, folder: &str, files: &[(String, Vec<u8>)], manifest: &mut Manifest) -> Result<()> {
    let write = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    let pid = std::process::id();
    let target = run_dir.join(folder);
    let tmp = run_dir.join(format!("{folder}.tmp-{pid}"));
    let old = run_dir.join(format!("{folder}.old-{pid}"));
    let fail = |what: &str, p: &Path| format!("checkpoint {}: cannot {what} {}", target.display(), p.display());
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| fail("remove", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| fail("create", &tmp))?;
    manifest.files.clear();
    for (name, bytes) in files {
        write_synced(&tmp.join(name), bytes).with_context(|| fail("write", &tmp.join(name)))?;
        manifest.files.insert(name.clone(), bytes.len() as u64);
        crash_point(write, "files");
    }
    let json = serde_json::to_vec_pretty(manifest).context("serialising the manifest")?;
    write_synced(&tmp.join(MANIFEST), &json).with_context(|| fail("write", &tmp.join(MANIFEST)))?;
    sync_dir(&tmp);
    if target.exists() {
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| fail("remove", &old))?;
        }
        std::fs::rename(&target, &old).with_context(|| fail("move aside", &target))?;
    }
    crash_point(write, "swap");
    std::fs::rename(&tmp, &target).with_context(|| fail("move into place", &tmp))?;
    sync_dir(run_dir);
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| fail("remove", &old))?;
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Makes renames in `dir` durable (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Finishes a switch that a killed run left half done: if `folder/` has no
/// manifest but a complete `folder.old-<pid>/` exists, it is moved back.
/// Unfinished `folder.tmp-<pid>/` folders are removed when `clean` is set.
pub fn recover(run_dir: &Path, folder: &str, clean: bool) -> Result<()> {
    let target = run_dir.join(folder);
    let Ok(entries) = std::fs::read_dir(run_dir) else { return Ok(()) };
    let mut olds = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{folder}.old-")) && e.path().join(MANIFEST).is_file() {
            olds.push(e.path());
        } else if clean && name.starts_with(&format!("{folder}.tmp-")) {
            std::fs::remove_dir_all(e.path())
                .with_context(|| format!("cannot remove the unfinished checkpoint {}", e.path().display()))?;
        }
    }
    if !target.join(MANIFEST).is_file() {
        if let Some(best) = olds.iter().max_by_key(|p| read_manifest(p).map(|m| m.position.total_iters).unwrap_or(0)) {
            if target.exists() {
                bail!("{}: neither it nor {} is complete; remove one by hand", target.display(), best.display());
            }
            std::fs::rename(best, &target)
                .with_context(|| format!("cannot restore {} as {}", best.display(), target.display()))?;
            eprintln!("restored {} from an interrupted checkpoint write", target.display());
        }
    }
    Ok(())
}

/// A manifest from its JSON. Options it does not name (a checkpoint the
/// browser wrote names those it has) take their command-line defaults.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
    if let Some(serde_json::Value::Object(options)) = value.get_mut("options") {
        if let serde_json::Value::Object(defaults) = serde_json::to_value(TrainArgs::defaults())? {
            for (key, default) in defaults {
                options.entry(key).or_insert(default);
            }
        }
    }
    Ok(serde_json::from_value(value)?)
}

/// Reads a folder's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    let m = parse_manifest(&bytes).with_context(|| format!("{}: not a checkpoint manifest", path.display()))?;
    if m.format != FORMAT {
        bail!("{}: checkpoint format {} is not the supported {FORMAT}", path.display(), m.format);
    }
    Ok(m)
}

/// Loads a resumable checkpoint folder of a model with these networks and
/// state files, checking every file against the manifest.
pub fn load(dir: &Path, networks: &[&str], state: &[&str]) -> Result<Loaded> {
    let manifest = read_manifest(dir)?;
    for (name, &size) in &manifest.files {
        let path = dir.join(name);
        let got =
            std::fs::metadata(&path).with_context(|| format!("{}: missing from the checkpoint", path.display()))?;
        if got.len() != size {
            bail!("{}: {} bytes, the manifest says {size}: the checkpoint is damaged", path.display(), got.len());
        }
    }
    if manifest.kind != LATEST {
        bail!(
            "{}: an epoch checkpoint holds only the networks; resume from latest/ or start from it with --init-weights",
            dir.display()
        );
    }
    let mut files: Vec<(String, StateDict)> =
        networks.iter().map(|n| n.to_string()).zip(load_nets(dir, networks)?).collect();
    for name in state {
        files.push((name.to_string(), load_state_dict(&dir.join(format!("{name}.safetensors")))?));
    }
    Ok(Loaded { dir: dir.to_path_buf(), manifest, state: TrainState { files } })
}

/// Reads the named networks from a folder: ours (`G_A.safetensors`), or a
/// reference run's (`G_A.pth`, `latest_net_G_A.pth`).
pub fn load_nets(dir: &Path, names: &[&str]) -> Result<Vec<StateDict>> {
    let one = |name: &str| -> Result<StateDict> {
        let names = [format!("{name}.safetensors"), format!("{name}.pth"), format!("latest_net_{name}.pth")];
        match names.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
            Some(path) => load_state_dict(&path),
            None => bail!("{}: no {} (or {}, {})", dir.display(), names[0], names[1], names[2]),
        }
    };
    names.iter().map(|n| one(n)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use shaders::train::order::Position;

    fn manifest(total: u64) -> Manifest {
        Manifest {
            format: FORMAT,
            kind: LATEST.into(),
            position: Position { epoch: 1, epoch_iter: total, total_iters: total },
            rng: 3,
            lr: 2e-4,
            architecture: "x".into(),
            images: [1, 1],
            options: TrainArgs::defaults(),
            files: BTreeMap::new(),
            conv_forms: None,
        }
    }

    #[test]
    fn switch_replaces_and_recovery_restores() {
        let run = std::env::temp_dir().join(format!("train-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&run);
        std::fs::create_dir_all(&run).unwrap();
        let files = vec![("a.bin".to_string(), vec![1u8, 2, 3])];
        write_folder(&run, LATEST, &files, &mut manifest(1)).unwrap();
        write_folder(&run, LATEST, &files, &mut manifest(2)).unwrap();
        assert_eq!(read_manifest(&run.join(LATEST)).unwrap().position.total_iters, 2);
        assert_eq!(read_manifest(&run.join(LATEST)).unwrap().files["a.bin"], 3);
        let names: Vec<String> =
            std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec![LATEST.to_string()], "no temporary folders left");
        // A run killed between the renames leaves only latest.old-<pid>/.
        std::fs::rename(run.join(LATEST), run.join("latest.old-77")).unwrap();
        std::fs::create_dir_all(run.join("latest.tmp-77")).unwrap();
        recover(&run, LATEST, true).unwrap();
        assert_eq!(read_manifest(&run.join(LATEST)).unwrap().position.total_iters, 2);
        assert!(!run.join("latest.old-77").exists() && !run.join("latest.tmp-77").exists());
        std::fs::remove_dir_all(&run).unwrap();
    }

    #[test]
    fn manifests_of_earlier_versions_still_load() {
        // tests/fixtures/manifests: latest/ manifests that trainer wrote before
        // the models owned their options (one per model), and one the page's
        // Train mode wrote then (its settings only).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/manifests");
        for name in ["cycle_gan", "pix2pix", "dcgan", "discogan", "ugatit", "page_cycle_gan"] {
            let bytes = std::fs::read(dir.join(format!("{name}.json"))).unwrap();
            let m = parse_manifest(&bytes).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert_eq!(m.options.architecture(), m.architecture, "{name}");
            if name.starts_with("page") {
                continue;
            }
            // Every option reads back as written.
            let old: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let now = serde_json::to_value(&m.options).unwrap();
            for (key, value) in old["options"].as_object().unwrap() {
                assert_eq!(now.get(key), Some(value), "{name}: {key}");
            }
            assert_eq!(now.as_object().unwrap().len(), old["options"].as_object().unwrap().len(), "{name}");
        }
    }
}
