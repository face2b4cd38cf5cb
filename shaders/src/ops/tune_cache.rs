//! Natively, the autotuned convolution forms on disk, so later runs on the
//! same adapter and driver reuse them instead of measuring again: one JSON
//! file, `{"version": 1, "adapters": {ADAPTER: {SHAPE: FORM}}}`, ADAPTER
//! being [`Gpu::describe`](crate::Gpu::describe) (name, backend, driver and
//! its version). It is rewritten whole through a temporary file and a
//! rename, so a reader never sees half of it; an unreadable or foreign file
//! is treated as empty and replaced on the next write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ops::conv_geometry::Padding;

/// A convolution's shape as autotuning keys it (`conv_form.rs`'s `ConvKey`):
/// input and weight shapes, stride, padding and its mode.
type ConvKey = ([usize; 4], [usize; 4], usize, usize, Padding);

const VERSION: u64 = 1;

/// Where the cache lives: `GAN_TUNE_CACHE` (empty or `off`: no cache), else
/// `$XDG_CACHE_HOME/gan-webgpu/conv-forms.json`, else
/// `$HOME/.cache/gan-webgpu/conv-forms.json`.
pub(crate) fn default_path() -> Option<PathBuf> {
    if let Ok(v) = std::env::var("GAN_TUNE_CACHE") {
        let v = v.trim();
        return (!v.is_empty() && v != "off").then(|| PathBuf::from(v));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("gan-webgpu").join("conv-forms.json"))
}

/// The text a shape is stored under, e.g. `x1,8,10,9 w8,8,3,3 s1 p1 reflect`.
pub(crate) fn shape_key(key: &ConvKey) -> String {
    let (xs, ws, stride, padding, mode) = key;
    let join = |a: &[usize; 4]| a.map(|v| v.to_string()).join(",");
    let mode = match mode {
        Padding::Zero => "zero",
        Padding::Reflect => "reflect",
    };
    format!("x{} w{} s{stride} p{padding} {mode}", join(xs), join(ws))
}

type Adapters = BTreeMap<String, BTreeMap<String, String>>;

fn read(path: &Path) -> Adapters {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Adapters::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Adapters::new();
    };
    if v.get("version").and_then(|v| v.as_u64()) != Some(VERSION) {
        return Adapters::new();
    }
    v.get("adapters").and_then(|a| serde_json::from_value(a.clone()).ok()).unwrap_or_default()
}

/// The name of the form stored for `key` on `adapter`, if any.
pub(crate) fn lookup(path: &Path, adapter: &str, key: &ConvKey) -> Option<String> {
    read(path).get(adapter)?.get(&shape_key(key)).cloned()
}

/// Stores the form called `form` for `key` on `adapter`, keeping every
/// other entry.
pub(crate) fn store(path: &Path, adapter: &str, key: &ConvKey, form: &str) -> std::io::Result<()> {
    let mut adapters = read(path);
    adapters.entry(adapter.to_string()).or_default().insert(shape_key(key), form.to_string());
    let text = serde_json::to_string_pretty(&serde_json::json!({ "version": VERSION, "adapters": adapters }))
        .map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
