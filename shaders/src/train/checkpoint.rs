//! What a checkpoint holds, shared by `trainer`'s folders and the browser's
//! zip files: the model's state as `<name>.safetensors` files plus
//! `manifest.json` (position, RNG state, learning rate, architecture,
//! options, and each file's size). `latest/` is resumable; `epoch_<n>/`
//! holds the networks only.
//!
//! A zip of a checkpoint holds one folder, `latest/`, with those files
//! stored uncompressed (safetensors barely compress); unzipped into
//! `<checkpoints-dir>/<name>/` it is the folder `trainer --continue-train`
//! resumes, and [`from_zip`] reads it back with the checks a download
//! needs (no paths outside the folder, sizes as the manifest says).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::order::Position;
use crate::error::{Error, Result};
use crate::nn::model::TrainState;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The resumable checkpoint's folder.
pub const LATEST: &str = "latest";
/// Version of the folder layout.
pub const FORMAT: u32 = 1;
/// Largest checkpoint zip [`from_zip`] unpacks (a full-size CycleGAN's
/// `latest/` is about 0.3 GB).
pub const MAX_ZIP_BYTES: u64 = 4 << 30;

/// What a checkpoint folder holds besides its tensors; `O` is the run's
/// options (`trainer`'s command line, or the browser's settings).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest<O> {
    /// Layout version.
    pub format: u32,
    /// "latest" (resumable) or "epoch" (networks only).
    pub kind: String,
    /// Where training stood when it was saved.
    pub position: Position,
    /// State of the generator that drives the model's randomness (image pools, dropout).
    pub rng: u64,
    /// Learning rate of the epoch under way.
    pub lr: f64,
    /// The networks' architecture, e.g. "resnet_9blocks ngf 64, n_layers_d 3 ndf 64".
    pub architecture: String,
    /// Images in domain A and B when it was saved.
    pub images: [usize; 2],
    /// The run's options.
    pub options: O,
    /// Every other file of the folder and its size in bytes.
    pub files: BTreeMap<String, u64>,
    /// The convolution forms autotuning chose (absent when it was off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv_forms: Option<ConvForms>,
}

/// The autotuned convolution forms of a run and the adapter they were
/// measured on: a resumed run on the same adapter takes them as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvForms {
    /// [`Gpu::describe`](crate::Gpu::describe) of the adapter.
    pub adapter: String,
    /// One entry per convolution shape.
    pub forms: Vec<ConvFormEntry>,
}

/// One autotuned convolution shape and its form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvFormEntry {
    /// Input shape [N, C_in, H, W].
    pub input: [usize; 4],
    /// Weight shape [C_out, C_in, KH, KW].
    pub weight: [usize; 4],
    /// Stride.
    pub stride: usize,
    /// Padding on every side.
    pub padding: usize,
    /// Reflect (else zero) padding.
    pub reflect: bool,
    /// The form's name ([`ConvForm::name`](crate::ops::ConvForm::name)).
    pub form: String,
}

impl ConvForms {
    /// The forms autotuning chose on `gpu`, or `None` where it is off.
    pub fn of(gpu: &crate::Gpu) -> Option<ConvForms> {
        if !gpu.conv_autotune() {
            return None;
        }
        let mut forms: Vec<ConvFormEntry> = gpu
            .tuned_convs()
            .into_iter()
            .map(|t| ConvFormEntry {
                input: t.input,
                weight: t.weight,
                stride: t.stride,
                padding: t.padding,
                reflect: t.padding_mode == crate::ops::Padding::Reflect,
                form: t.form.name().to_string(),
            })
            .collect();
        forms.sort_by(|a, b| {
            (a.input, a.weight, a.stride, a.padding, a.reflect)
                .cmp(&(b.input, b.weight, b.stride, b.padding, b.reflect))
        });
        Some(ConvForms { adapter: gpu.describe(), forms })
    }

    /// Pins the recorded forms on `gpu` when it autotunes and is the adapter
    /// they were measured on; returns how many were pinned.
    pub fn apply(&self, gpu: &crate::Gpu) -> usize {
        if !gpu.conv_autotune() || self.adapter != gpu.describe() {
            return 0;
        }
        let mut pinned = 0;
        for e in &self.forms {
            let Some(form) = crate::ops::ConvForm::parse(&e.form) else { continue };
            let p = crate::ops::Conv2dParams {
                stride: e.stride,
                padding: e.padding,
                padding_mode: if e.reflect { crate::ops::Padding::Reflect } else { crate::ops::Padding::Zero },
                ..Default::default()
            };
            pinned += gpu.pin_tuned_conv(e.input, e.weight, &p, form) as usize;
        }
        pinned
    }
}

/// A checkpoint's files: (name, bytes) pairs.
pub type Files = Vec<(String, Vec<u8>)>;

/// The files of a checkpoint: the networks (the first `networks` entries of
/// the state), and with `resumable` everything else too.
pub fn state_files(state: &TrainState, networks: usize, resumable: bool) -> Files {
    let take = if resumable { state.files.len() } else { networks.min(state.files.len()) };
    state.files[..take].iter().map(|(n, sd)| (format!("{n}.safetensors"), sd.to_safetensors())).collect()
}

/// The first non-finite value of a state, named, if any.
pub fn first_non_finite(state: &TrainState) -> Option<String> {
    for (file, sd) in &state.files {
        for (name, t) in sd.iter() {
            if let Some(v) = t.data.iter().find(|v| !v.is_finite()) {
                return Some(format!("{file} tensor `{name}` holds {v}"));
            }
        }
    }
    None
}

fn zip_error(e: impl std::fmt::Display) -> Error {
    Error::Data(format!("checkpoint zip: {e}"))
}

/// A zip of `latest/` holding `files` and the manifest, whose file sizes
/// it fills in.
pub fn to_zip<O: Serialize>(files: &[(String, Vec<u8>)], manifest: &mut Manifest<O>) -> Result<Vec<u8>> {
    manifest.files = files.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect();
    let json = serde_json::to_vec_pretty(manifest).map_err(zip_error)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp: the same state gives the same bytes.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .large_file(files.iter().any(|(_, b)| b.len() as u64 >= u32::MAX as u64));
    for (name, bytes) in files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).chain([(MANIFEST, json.as_slice())]) {
        zip.start_file(format!("{LATEST}/{name}"), options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(zip_error)?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

/// A plain file name: no folders, nothing hidden, nothing a shell or a
/// file system treats specially.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 128
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
}

/// The files of a checkpoint zip as [`to_zip`] writes it (also accepted:
/// the files at the zip's top level, or under one folder of another name),
/// checked: every file the manifest lists is present with its size, each
/// entry's CRC holds, and no entry leaves the folder. Returns the
/// manifest's bytes and the other files.
pub fn from_zip(bytes: &[u8]) -> Result<(Vec<u8>, Files)> {
    if bytes.len() as u64 > MAX_ZIP_BYTES {
        return Err(zip_error(format!("{} bytes, more than a checkpoint holds", bytes.len())));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| zip_error(format!("not a zip file ({e}); choose the checkpoint .zip the page downloaded")))?;
    let mut folder: Option<String> = None;
    let mut files = Vec::new();
    let mut manifest = None;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(zip_error)?;
        if entry.is_dir() {
            continue;
        }
        let full = entry.name().to_string();
        let (dir, name) = match full.rsplit_once('/') {
            Some((dir, name)) => (dir.to_string(), name.to_string()),
            None => (String::new(), full.clone()),
        };
        if !plain_name(&name) || (!dir.is_empty() && !plain_name(&dir)) {
            return Err(zip_error(format!("entry `{full}` is not a checkpoint file")));
        }
        match &folder {
            Some(f) if *f != dir => {
                return Err(zip_error(format!("entries in two folders (`{f}/` and `{dir}/`); a checkpoint is one")))
            }
            Some(_) => {}
            None => folder = Some(dir),
        }
        total = total.saturating_add(entry.size());
        if total > MAX_ZIP_BYTES {
            return Err(zip_error("its files unpack to more than a checkpoint holds"));
        }
        let mut data = Vec::with_capacity(entry.size().min(1 << 30) as usize);
        entry.read_to_end(&mut data).map_err(|e| zip_error(format!("{full}: {e}")))?;
        if name == MANIFEST {
            manifest = Some(data);
        } else {
            files.push((name, data));
        }
    }
    let manifest = manifest.ok_or_else(|| zip_error(format!("no {MANIFEST}: not a checkpoint")))?;
    #[derive(Deserialize)]
    struct Sizes {
        files: BTreeMap<String, u64>,
    }
    let sizes: Sizes = serde_json::from_slice(&manifest).map_err(|e| zip_error(format!("{MANIFEST}: {e}")))?;
    for (name, size) in &sizes.files {
        match files.iter().find(|(n, _)| n == name) {
            None => return Err(zip_error(format!("{name} is missing: the checkpoint is incomplete"))),
            Some((_, b)) if b.len() as u64 != *size => {
                return Err(zip_error(format!(
                    "{name} has {} bytes, the manifest says {size}: the checkpoint is damaged",
                    b.len()
                )))
            }
            Some(_) => {}
        }
    }
    Ok((manifest, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest<serde_json::Value> {
        Manifest {
            format: FORMAT,
            kind: LATEST.into(),
            position: Position { epoch: 2, epoch_iter: 1, total_iters: 5 },
            rng: 7,
            lr: 1e-4,
            architecture: "resnet_6blocks ngf 4, n_layers_d 3 ndf 4".into(),
            images: [3, 4],
            options: serde_json::json!({ "ngf": 4 }),
            files: BTreeMap::new(),
            conv_forms: None,
        }
    }

    #[test]
    fn zip_round_trip_and_checks() {
        let files = vec![("G_A.safetensors".to_string(), vec![1u8, 2, 3]), ("adam_G.safetensors".into(), vec![4])];
        let zip = to_zip(&files, &mut manifest()).unwrap();
        assert_eq!(zip, to_zip(&files, &mut manifest()).unwrap(), "the same state zips to the same bytes");
        let (json, back) = from_zip(&zip).unwrap();
        assert_eq!(back, files);
        let m: Manifest<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!((m.position.total_iters, m.files["G_A.safetensors"]), (5, 3));

        // A changed byte (the zip's CRC), a missing manifest, a path out of the folder, files of
        // other sizes than the manifest's or missing.
        let mut m = manifest();
        let mut changed = to_zip(&files, &mut m).unwrap();
        let at = changed.windows(3).position(|w| w == [1, 2, 3]).unwrap();
        changed[at + 2] = 9;
        assert!(from_zip(&changed).unwrap_err().to_string().contains("G_A.safetensors"));
        let bad = |entries: &[(&str, &[u8])]| {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for (name, bytes) in entries {
                zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
                zip.write_all(bytes).unwrap();
            }
            from_zip(&zip.finish().unwrap().into_inner()).unwrap_err().to_string()
        };
        let json = serde_json::to_vec(&m).unwrap();
        assert!(bad(&[("latest/G_A.safetensors", &[1])]).contains("no manifest.json"));
        assert!(bad(&[("latest/../../x", &[1])]).contains("not a checkpoint file"));
        assert!(bad(&[("latest/manifest.json", &json), ("other/G_A.safetensors", &[1, 2, 3])]).contains("two folders"));
        assert!(bad(&[("latest/manifest.json", &json), ("latest/G_A.safetensors", &[1, 2])]).contains("damaged"));
        assert!(bad(&[("latest/manifest.json", &json)]).contains("missing"));
        assert!(from_zip(b"not a zip").unwrap_err().to_string().contains("not a zip file"));
    }
}
