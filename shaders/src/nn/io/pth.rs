//! PyTorch state_dicts read without executing anything: torch.save's zip
//! archive (torch >= 1.6) and its legacy stream (torch < 1.6).
//!
//! Zip: `<archive>/data.pkl` is the pickled dict; each tensor's storage is the
//! raw little-endian record `<archive>/data/<key>` (`<archive>/byteorder` may
//! say `big`), with persistent ids `('storage', type, key, location, numel)`.
//! Legacy: five pickles in a row (magic number, protocol version 1001, system
//! info, the object with persistent ids `('storage', type, root_key, location,
//! numel, view)`, the sorted storage keys), then for each key a u64 element
//! count and the raw little-endian data. Layout as in `torch/serialization.py`.

mod pickle;
mod zip;

use std::collections::HashMap;
use std::rc::Rc;

use self::pickle::{TensorRef, Value};
use crate::nn::io::format::{escape_head, DType, WeightsError};

/// torch.save's legacy magic number 0x1950a86a20f9469cfc6c as a pickled long (little-endian).
const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/// torch.save's legacy protocol version.
const LEGACY_PROTOCOL: i64 = 1001;

/// One tensor of a checkpoint: its stored element type and its values converted to f32.
#[derive(Clone, Debug, PartialEq)]
pub struct PthTensor {
    /// Element type in the file.
    pub dtype: DType,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major values (strided storage views are materialised).
    pub data: Vec<f32>,
}

/// Whether the bytes start like a torch.save zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Whether the bytes start like a pickle (a legacy torch.save file starts with one).
pub fn is_legacy(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x80)
}

/// Reads the state_dict of a checkpoint, in its dict order. A top-level dict
/// with a `state_dict` entry (a training checkpoint) yields that entry; one
/// that wraps dicts of tensors yields their tensors (see `entries`).
pub fn read_state_dict(bytes: &[u8]) -> Result<Vec<(String, PthTensor)>, WeightsError> {
    if is_zip(bytes) {
        read_zip(bytes)
    } else if is_legacy(bytes) {
        read_legacy(bytes)
    } else {
        Err(WeightsError::UnknownFormat { head: escape_head(bytes) })
    }
}

fn read_zip(bytes: &[u8]) -> Result<Vec<(String, PthTensor)>, WeightsError> {
    let mut zip = zip::Zip::open(bytes)?;
    let Some(pkl) = zip.names().find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1) else {
        let msg = if zip.names().any(|n| n.ends_with("constants.pkl")) {
            "this is a TorchScript archive (torch.jit.save); save `model.state_dict()` with torch.save instead"
        } else {
            "no `<archive>/data.pkl` record; not a torch.save archive"
        };
        return Err(WeightsError::Zip(msg.into()));
    };
    let prefix = pkl[..pkl.len() - "data.pkl".len()].to_string();
    let big_endian = match zip.get(&format!("{prefix}byteorder")).transpose()?.as_deref() {
        None | Some(b"little") => false,
        Some(b"big") => true,
        Some(other) => {
            return Err(WeightsError::Zip(format!("byteorder record is {:?}", String::from_utf8_lossy(other))));
        }
    };
    let pkl = zip.get(&format!("{prefix}data.pkl")).expect("listed above")?;
    let root = pickle::load(&pkl, &mut 0, &mut HashMap::new())?;
    let mut out = Vec::new();
    let mut budget = Budget::new(bytes);
    for (name, t) in entries(&root)? {
        let record = format!("{prefix}data/{}", t.storage.key);
        let data = zip.get(&record).ok_or_else(|| WeightsError::Tensor {
            key: name.clone(),
            msg: format!("its storage `{record}` is missing from the archive"),
        })??;
        let tensor = materialize(&name, &t, &data, big_endian)?;
        budget.spend(&name, &tensor)?;
        out.push((name, tensor));
    }
    Ok(out)
}

fn read_legacy(bytes: &[u8]) -> Result<Vec<(String, PthTensor)>, WeightsError> {
    let mut pos = 0;
    let mut storages = HashMap::new();
    let magic = pickle::load(bytes, &mut pos, &mut storages)?;
    if !matches!(&magic, Value::BigInt(b) if b[..] == LEGACY_MAGIC) {
        return Err(WeightsError::Pickle {
            offset: 0,
            msg: format!("not a torch.save file: the first pickle holds {}, not torch's magic number", magic.kind()),
        });
    }
    let at = pos;
    let protocol = pickle::load(bytes, &mut pos, &mut storages)?;
    if !matches!(protocol, Value::Int(LEGACY_PROTOCOL)) {
        let msg = format!("legacy protocol version is {}, expected {LEGACY_PROTOCOL}", protocol.kind());
        return Err(WeightsError::Pickle { offset: at, msg });
    }
    let at = pos;
    if let Value::Dict(info) = pickle::load(bytes, &mut pos, &mut storages)? {
        if info.borrow().iter().any(|(k, v)| k.as_str() == Some("little_endian") && matches!(v, Value::Bool(false))) {
            let msg = "the checkpoint was saved on a big-endian machine; re-save it on a little-endian one".into();
            return Err(WeightsError::Pickle { offset: at, msg });
        }
    }
    let root = pickle::load(bytes, &mut pos, &mut storages)?;
    let at = pos;
    let Value::List(keys) = pickle::load(bytes, &mut pos, &mut storages)? else {
        return Err(WeightsError::Pickle { offset: at, msg: "the storage key list is not a list".into() });
    };
    let mut data: HashMap<String, &[u8]> = HashMap::new();
    for key in keys.borrow().iter() {
        let key = match key {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            other => {
                return Err(WeightsError::Pickle { offset: at, msg: format!("storage key is {}", other.kind()) });
            }
        };
        let dtype = *storages.get(&key).ok_or_else(|| WeightsError::Pickle {
            offset: at,
            msg: format!("storage `{key}` is listed but no tensor refers to it"),
        })?;
        let trunc = || WeightsError::Truncated(format!("the data of storage `{key}` (at byte {pos})"));
        let count = bytes.get(pos..pos + 8).ok_or_else(trunc)?;
        let count = u64::from_le_bytes(count.try_into().expect("8 bytes"));
        let len = usize::try_from(count).ok().and_then(|c| c.checked_mul(dtype.size())).ok_or_else(trunc)?;
        let raw = (pos + 8).checked_add(len).and_then(|end| bytes.get(pos + 8..end)).ok_or_else(trunc)?;
        pos += 8 + len;
        data.insert(key, raw);
    }
    let mut out = Vec::new();
    let mut budget = Budget::new(bytes);
    for (name, t) in entries(&root)? {
        let raw = data.get(&t.storage.key).ok_or_else(|| WeightsError::Tensor {
            key: name.clone(),
            msg: format!("its storage `{}` has no data in the file", t.storage.key),
        })?;
        let tensor = materialize(&name, &t, raw, false)?;
        budget.spend(&name, &tensor)?;
        out.push((name, tensor));
    }
    Ok(out)
}

/// How many values a checkpoint may load: four per byte of the file. Tensors
/// that share a storage (tied weights, views) read its values again, so a
/// small file naming one storage under thousands of keys could otherwise
/// fill gigabytes; a real state_dict stays far below (at most one value per
/// byte without sharing).
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    fn new(file: &[u8]) -> Self {
        let limit = file.len().saturating_mul(4).max(1 << 16);
        Budget { left: limit, limit }
    }

    fn spend(&mut self, name: &str, t: &PthTensor) -> Result<(), WeightsError> {
        self.left = self.left.checked_sub(t.data.len()).ok_or_else(|| WeightsError::Tensor {
            key: name.to_string(),
            msg: format!(
                "the checkpoint's tensors add up to more than {} values, four per byte of the file: \
                 storages shared under many names?",
                self.limit
            ),
        })?;
        Ok(())
    }
}

/// The (name, tensor) pairs of the unpickled state_dict. A top-level dict
/// with a `state_dict` dict yields that one. Otherwise, where the top-level
/// dict holds dicts of tensors (a checkpoint wrapping one or several
/// networks: `{'model': {...}}`, `{'G_A2B': {...}, 'G_B2A': {...}}`), their
/// tensors are taken: one such dict's under their own keys, several under
/// `<name>.<key>`; the checkpoint's other entries (epoch, optimizer state)
/// are skipped. A plain dict must hold tensors only.
fn entries(root: &Value) -> Result<Vec<(String, Rc<TensorRef>)>, WeightsError> {
    let Value::Dict(dict) = root else {
        return Err(WeightsError::NoStateDict(format!("the file holds {}, not a dict", root.kind())));
    };
    let dict = dict.borrow();
    let inner = dict.iter().find(|(k, _)| k.as_str() == Some("state_dict")).map(|(_, v)| v);
    let dict = match inner {
        Some(Value::Dict(inner)) => inner.borrow().clone(),
        _ => dict.clone(),
    };
    let nested: Vec<&str> = dict.iter().filter(|(_, v)| holds_tensors(v, 0)).filter_map(|(k, _)| k.as_str()).collect();
    if !nested.is_empty() {
        let mut out = Vec::new();
        if nested.len() == 1 {
            let v = &dict.iter().find(|(k, _)| k.as_str() == Some(nested[0])).expect("found above").1;
            flatten(v, "", 0, &mut out);
        } else {
            for (k, v) in &dict {
                match (k.as_str(), v) {
                    (Some(k), Value::Tensor(t)) => out.push((k.to_string(), t.clone())),
                    (Some(k), v) => flatten(v, &format!("{k}."), 0, &mut out),
                    _ => {}
                }
            }
        }
        return Ok(out);
    }
    dict.into_iter()
        .map(|(k, v)| {
            let Some(key) = k.as_str() else {
                return Err(WeightsError::NoStateDict(format!("a dict key is {}, not a string", k.kind())));
            };
            match v {
                Value::Tensor(t) => Ok((key.to_string(), t)),
                other => Err(WeightsError::NotATensor { key: key.to_string(), found: other.kind() }),
            }
        })
        .collect()
}

/// How deep nested dicts of tensors are followed.
const MAX_NESTING: usize = 4;

/// Whether `v` is a dict with string keys that holds tensors (directly or in such dicts).
fn holds_tensors(v: &Value, depth: usize) -> bool {
    let Value::Dict(d) = v else { return false };
    let d = d.borrow();
    depth < MAX_NESTING
        && d.iter().all(|(k, _)| k.as_str().is_some())
        && d.iter().any(|(_, v)| matches!(v, Value::Tensor(_)) || holds_tensors(v, depth + 1))
}

/// The tensors of a dict of tensors, under `prefix` + their key path; other values are skipped.
fn flatten(v: &Value, prefix: &str, depth: usize, out: &mut Vec<(String, Rc<TensorRef>)>) {
    if !holds_tensors(v, depth) {
        return;
    }
    let Value::Dict(d) = v else { return };
    for (k, v) in d.borrow().iter() {
        let Some(k) = k.as_str() else { continue };
        match v {
            Value::Tensor(t) => out.push((format!("{prefix}{k}"), t.clone())),
            v => flatten(v, &format!("{prefix}{k}."), depth + 1, out),
        }
    }
}

/// Reads a strided view of `root` (the raw bytes of its root storage) into a row-major tensor.
fn materialize(name: &str, t: &TensorRef, root: &[u8], big_endian: bool) -> Result<PthTensor, WeightsError> {
    let bad = |msg: String| WeightsError::Tensor { key: name.to_string(), msg };
    let dtype = t.storage.dtype;
    let es = dtype.size();
    let root_len = (root.len() / es) as u64;
    let (view_base, view_len) = t.storage.view.unwrap_or((0, root_len));
    if view_base.checked_add(view_len).is_none_or(|e| e > root_len) {
        return Err(bad(format!("storage view [{view_base}, +{view_len}) exceeds its storage of {root_len} elements")));
    }
    let shape = t.shape.iter().map(|&d| usize::try_from(d).ok()).collect::<Option<Vec<usize>>>();
    let numel = shape.as_ref().and_then(|s| s.iter().try_fold(1usize, |a, &d| a.checked_mul(d)));
    let (Some(shape), Some(numel)) = (shape, numel) else {
        return Err(bad(format!("size {:?} is too large", t.shape)));
    };
    if numel == 0 {
        return Ok(PthTensor { dtype, shape, data: Vec::new() });
    }
    let last = t.shape.iter().zip(&t.stride).try_fold(t.offset, |a, (&d, &s)| a.checked_add((d - 1).checked_mul(s)?));
    let describe = || format!("offset {} size {:?} stride {:?}", t.offset, t.shape, t.stride);
    let last = match last {
        Some(l) if l < view_len => l,
        _ => return Err(bad(format!("{} reaches past its storage of {view_len} elements", describe()))),
    };
    // Bounded by the storage, hence by the file size.
    let span = (last - t.offset + 1) as usize;
    if numel > span {
        return Err(bad(format!("{} repeats elements (an expanded view); save `tensor.contiguous()`", describe())));
    }
    let start = (view_base + t.offset) as usize * es;
    let raw = &root[start..start + span * es];
    let mut data = Vec::with_capacity(numel);
    let mut expected = 1u64;
    let mut contiguous = true;
    for (&d, &s) in t.shape.iter().zip(&t.stride).rev() {
        contiguous &= d == 1 || s == expected;
        expected *= d;
    }
    if contiguous {
        dtype.decode_into(raw, big_endian, &mut data);
    } else {
        let mut values = Vec::new();
        dtype.decode_into(raw, big_endian, &mut values);
        // Size-1 dimensions never step, so their (arbitrary) strides are dropped.
        let stride: Vec<usize> =
            t.shape.iter().zip(&t.stride).map(|(&d, &s)| if d == 1 { 0 } else { s as usize }).collect();
        let mut index = vec![0usize; shape.len()];
        let mut at = 0usize;
        for _ in 0..numel {
            data.push(values[at]);
            for d in (0..shape.len()).rev() {
                index[d] += 1;
                at += stride[d];
                if index[d] < shape[d] {
                    break;
                }
                at -= stride[d] * shape[d];
                index[d] = 0;
            }
        }
    }
    Ok(PthTensor { dtype, shape, data })
}
