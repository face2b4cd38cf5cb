//! `trainer inspect`: what a weight file holds and how it is read.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use shaders::nn::io::pth;
use shaders::nn::io::weights::{StateDict, WeightsFormat};
use shaders::nn::nets::remap::map_state_dict;

/// Options of `trainer inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// A weight file: safetensors, or a PyTorch `.pth` (zip or legacy; nothing in it is executed).
    weights: PathBuf,
    /// In a file holding several networks, the one to describe, by its top-level name (default: the first
    /// generator).
    #[arg(long, value_name = "NAME")]
    net: Option<String>,
}

/// Element types of the file's tensors with their counts, e.g. `F16 x 40`.
fn dtypes(bytes: &[u8], format: WeightsFormat) -> Result<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    match format {
        WeightsFormat::PthZip | WeightsFormat::PthLegacy => {
            for (_, t) in pth::read_state_dict(bytes)? {
                *counts.entry(t.dtype.to_string()).or_default() += 1;
            }
        }
        WeightsFormat::Safetensors => {
            // The header is a u64 length and a JSON object of {name: {dtype, shape, data_offsets}}.
            let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
            let header = bytes.get(8..8usize.saturating_add(len)).context("truncated safetensors header")?;
            let header: BTreeMap<String, serde_json::Value> =
                serde_json::from_slice(header).context("safetensors header")?;
            for (name, info) in header {
                if name == "__metadata__" {
                    continue;
                }
                let dtype = info.get("dtype").and_then(|d| d.as_str()).unwrap_or("?");
                *counts.entry(dtype.to_string()).or_default() += 1;
            }
        }
    }
    Ok(counts)
}

/// Runs `trainer inspect`.
pub fn inspect(args: InspectArgs) -> Result<()> {
    let path = &args.weights;
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let sd = StateDict::load(&bytes).with_context(|| path.display().to_string())?;
    let format = WeightsFormat::detect(&bytes).expect("StateDict::load recognised it");
    let container = match format {
        WeightsFormat::Safetensors => "safetensors",
        WeightsFormat::PthZip => "PyTorch torch.save zip archive",
        WeightsFormat::PthLegacy => "PyTorch legacy torch.save stream",
    };
    let dtypes = dtypes(&bytes, format).with_context(|| path.display().to_string())?;
    let total: usize = dtypes.values().sum();
    let dtypes: Vec<String> = dtypes.iter().map(|(d, n)| format!("{d} x {n}")).collect();
    let skipped = match total.saturating_sub(sd.len()) {
        0 => String::new(),
        n => format!("; {n} BatchNorm batch counters skipped"),
    };
    let mut out = String::new();
    // Lines into `out`, written at the end in one go.
    macro_rules! w {
        ($($t:tt)*) => {{
            out.push_str(&format!($($t)*));
            out.push('\n');
        }};
    }
    w!("file:         {}", path.display());
    w!("format:       {container}, {total} tensors ({}){skipped}", dtypes.join(", "));
    if !sd.metadata().is_empty() {
        let meta: Vec<String> = sd.metadata().iter().map(|(k, v)| format!("{k}={v}")).collect();
        w!("metadata:     {}", meta.join(", "));
    }
    let mapped = map_state_dict(&sd, args.net.as_deref()).with_context(|| path.display().to_string())?;
    let r = &mapped.report;
    if let Some(sel) = r.selection() {
        w!("network:      {sel}");
    }
    let kind = match mapped.arch {
        shaders::nn::nets::network::Architecture::Generator(_) => "generator",
        shaders::nn::nets::network::Architecture::Discriminator(_) => "discriminator",
    };
    w!("architecture: {kind} {}", mapped.arch.describe());
    w!(
        "layout:       {}",
        if r.reference_keys {
            "the reference's state_dict keys"
        } else {
            "mapped by structure onto the reference's keys"
        }
    );
    for note in &r.notes {
        w!("note:         {note}");
    }
    w!("mapping ({} tensors of the network):", r.mapped.len());
    for (from, to) in &r.mapped {
        let from = if from.is_empty() { "(zeros)".to_string() } else { from.join(" + ") };
        if from == *to {
            w!("  {to}");
        } else {
            w!("  {to} <- {from}");
        }
    }
    if r.ignored.is_empty() {
        w!("ignored:      nothing");
    } else {
        w!("ignored ({}):", r.ignored.len());
        for k in &r.ignored {
            w!("  {k}");
        }
    }
    // A reader that stops early (`| head`) is not an error.
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}
