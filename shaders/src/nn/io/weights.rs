//! Weight files on the host: an ordered state_dict of f32 tensors, read from
//! safetensors or a PyTorch checkpoint and written as safetensors.
//!
//! Names are the reference implementation's state_dict keys (`model.1.weight`,
//! `model.10.conv_block.5.bias`, ...). Parsers take bytes, so the same code
//! runs natively and in the browser; callers read the file and add its name to
//! errors.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use safetensors::tensor::TensorInfo;
use safetensors::{Dtype, SafeTensorError, SafeTensors};

use crate::nn::io::format::escape_head;
#[cfg(test)]
use crate::nn::io::format::f16_to_f32;
pub use crate::nn::io::format::{DType, WeightsError};
use crate::nn::io::pth;

/// Largest safetensors header the `safetensors` crate accepts.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// A tensor in host memory: row-major f32 values and their shape.
#[derive(Clone, PartialEq)]
pub struct HostTensor {
    /// Dimensions, outermost first (NCHW; ConvTranspose weights are [in, out, kh, kw]).
    pub shape: Vec<usize>,
    /// Row-major values; `data.len()` is the product of `shape`.
    pub data: Vec<f32>,
}

impl HostTensor {
    /// A tensor from its shape and values; panics if their sizes disagree.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        let numel: usize = shape.iter().product();
        assert_eq!(numel, data.len(), "HostTensor::new: shape {shape:?} needs {numel} values, got {}", data.len());
        HostTensor { shape, data }
    }

    /// Number of elements (product of the shape).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

impl fmt::Debug for HostTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = &self.data[..self.data.len().min(6)];
        let more = if self.data.len() > head.len() { ", ..." } else { "" };
        write!(f, "HostTensor {{ shape: {:?}, data: {head:?}{more} }}", self.shape)
    }
}

/// Which container a weight file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsFormat {
    /// safetensors (the project's own format).
    Safetensors,
    /// A torch.save zip archive (torch >= 1.6).
    PthZip,
    /// A legacy torch.save pickle stream (torch < 1.6).
    PthLegacy,
}

impl WeightsFormat {
    /// Recognises the format from the first bytes of a file.
    pub fn detect(bytes: &[u8]) -> Option<WeightsFormat> {
        // A safetensors header length of 0x480 bytes starts with 0x80 0x04,
        // which is also how a pickle starts: its JSON header decides first.
        let header = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
        let safetensors = bytes.get(8) == Some(&b'{') && header.is_some_and(|n| n <= bytes.len() as u64 - 8);
        if pth::is_zip(bytes) {
            Some(WeightsFormat::PthZip)
        } else if safetensors {
            Some(WeightsFormat::Safetensors)
        } else if pth::is_legacy(bytes) {
            Some(WeightsFormat::PthLegacy)
        } else if bytes.len() >= 9 && bytes[8] == b'{' {
            Some(WeightsFormat::Safetensors)
        } else {
            None
        }
    }
}

/// Keys a network that does not declare them ignores: the running
/// statistics of legacy InstanceNorm layers (and BatchNorm's batch counter).
pub fn is_ignored_key(name: &str) -> bool {
    ["running_mean", "running_var", "num_batches_tracked"].iter().any(|s| name.ends_with(s))
}

/// An ordered map from state_dict names to host tensors, plus string metadata.
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    entries: Vec<(String, HostTensor)>,
    index: HashMap<String, usize>,
    metadata: BTreeMap<String, String>,
}

impl PartialEq for StateDict {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries && self.metadata == other.metadata
    }
}

impl StateDict {
    /// An empty state_dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no tensors.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a tensor, or replaces the one of that name in place; fails if data and shape disagree.
    pub fn insert(&mut self, name: impl Into<String>, tensor: HostTensor) -> Result<(), WeightsError> {
        let name = name.into();
        if tensor.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(tensor.data.len()) {
            let msg = format!("shape {:?} does not match {} values", tensor.shape, tensor.data.len());
            return Err(WeightsError::Tensor { key: name, msg });
        }
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1 = tensor,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, tensor));
            }
        }
        Ok(())
    }

    /// The tensor of that name.
    pub fn get(&self, name: &str) -> Option<&HostTensor> {
        self.index.get(name).map(|&i| &self.entries[i].1)
    }

    /// Removes and returns the tensor of that name, keeping the others' order.
    pub fn remove(&mut self, name: &str) -> Option<HostTensor> {
        let i = self.index.remove(name)?;
        let (_, t) = self.entries.remove(i);
        for v in self.index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        Some(t)
    }

    /// Names and tensors in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &HostTensor)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The string metadata (safetensors `__metadata__`).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Sets one metadata entry.
    pub fn set_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metadata.insert(key.into(), value.into());
    }

    /// Reads any supported file: safetensors, a torch.save zip archive or a legacy torch.save pickle.
    pub fn load(bytes: &[u8]) -> Result<Self, WeightsError> {
        match WeightsFormat::detect(bytes) {
            Some(WeightsFormat::Safetensors) => Self::from_safetensors(bytes),
            Some(WeightsFormat::PthZip | WeightsFormat::PthLegacy) => Self::from_pth(bytes),
            None => Err(WeightsError::UnknownFormat { head: escape_head(bytes) }),
        }
    }

    /// Reads a PyTorch state_dict (zip or legacy torch.save) without executing any of it.
    pub fn from_pth(bytes: &[u8]) -> Result<Self, WeightsError> {
        let mut sd = StateDict::new();
        for (name, t) in pth::read_state_dict(bytes)? {
            // BatchNorm's int64 batch counter: momentum 0.1 never reads it.
            if name.ends_with("num_batches_tracked") {
                continue;
            }
            if !t.dtype.is_float() {
                return Err(WeightsError::DType { key: name, dtype: t.dtype.to_string() });
            }
            sd.push_loaded(name, HostTensor { shape: t.shape, data: t.data })?;
        }
        Ok(sd)
    }

    /// Reads a safetensors file; F32, F16, BF16 and F64 tensors are converted to f32.
    ///
    /// The `safetensors` crate parses and validates the file (header size and
    /// JSON, offsets that tile the data section exactly, shapes that fill
    /// them); tensors come in data order, which is the order they were written.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, WeightsError> {
        let (header_len, header) = SafeTensors::read_metadata(bytes).map_err(|e| explain_safetensors(bytes, e))?;
        // `read_metadata` checked that the data section is exactly the tensors' extent.
        let data = &bytes[8 + header_len..];
        let metadata = header.metadata().iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut sd = StateDict { metadata, ..Self::default() };
        for name in header.offset_keys() {
            let info = header.info(&name).expect("a name the header lists");
            // BatchNorm's int64 batch counter: momentum 0.1 never reads it.
            if name.ends_with("num_batches_tracked") {
                continue;
            }
            let dtype = match DType::from_safetensors(info.dtype) {
                Some(d) if d.is_float() => d,
                _ => return Err(WeightsError::DType { key: name, dtype: info.dtype.to_string() }),
            };
            let (begin, end) = info.data_offsets;
            let mut values = Vec::new();
            dtype.decode_into(&data[begin..end], false, &mut values);
            sd.push_loaded(name, HostTensor { shape: info.shape.clone(), data: values })?;
        }
        Ok(sd)
    }

    /// Writes safetensors: F32 tensors in this order, metadata in `__metadata__`.
    ///
    /// The header entries are the `safetensors` crate's [`TensorInfo`], but
    /// the header is laid out here: the crate's `serialize` sorts tensors by
    /// name and writes `__metadata__` from a `HashMap`, so it would lose the
    /// state_dict order and write different bytes for the same weights from
    /// run to run. Here tensors keep their order and metadata keys are
    /// sorted, so the same weights always give the same file.
    pub fn to_safetensors(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Header<'a> {
            #[serde(rename = "__metadata__", skip_serializing_if = "BTreeMap::is_empty")]
            metadata: &'a BTreeMap<String, String>,
            #[serde(flatten)]
            tensors: Ordered<'a>,
        }
        struct Ordered<'a>(Vec<(&'a str, TensorInfo)>);
        impl serde::Serialize for Ordered<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
            }
        }
        let mut offset = 0usize;
        let tensors = self
            .entries
            .iter()
            .map(|(name, t)| {
                let begin = offset;
                offset += 4 * t.data.len();
                (name.as_str(), TensorInfo { dtype: Dtype::F32, shape: t.shape.clone(), data_offsets: (begin, offset) })
            })
            .collect();
        let header = Header { metadata: &self.metadata, tensors: Ordered(tensors) };
        let mut header = serde_json::to_vec(&header).expect("string keys and numbers always serialise");
        header.resize(header.len().next_multiple_of(8), b' ');
        let mut out = Vec::with_capacity(8 + header.len() + offset);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for (_, t) in &self.entries {
            for v in &t.data {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Adds a freshly loaded tensor: a duplicate name or a non-finite value is an error.
    fn push_loaded(&mut self, name: String, t: HostTensor) -> Result<(), WeightsError> {
        if self.index.contains_key(&name) {
            return Err(WeightsError::Duplicate(name));
        }
        if let Some((index, &value)) = t.data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(WeightsError::NonFinite { key: name, index, value });
        }
        self.insert(name, t)
    }
}

impl IntoIterator for StateDict {
    type Item = (String, HostTensor);
    type IntoIter = std::vec::IntoIter<(String, HostTensor)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// The `safetensors` crate's refusal as a message naming the tensor at fault.
///
/// Runs only after the crate has rejected the file: some of its errors
/// (a shape that does not fill its offsets, a missing field) do not say which
/// tensor, so the header is read once more, loosely, to find it.
fn explain_safetensors(bytes: &[u8], e: SafeTensorError) -> WeightsError {
    use SafeTensorError as E;
    let declared = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    let header = declared
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        .and_then(|h| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(h).ok());
    let header_len = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let data_len = bytes.len().saturating_sub(8).saturating_sub(header_len);
    match e {
        E::HeaderTooSmall => {
            WeightsError::Truncated(format!("{} bytes, shorter than the 8-byte header length", bytes.len()))
        }
        E::HeaderTooLarge => WeightsError::Header(format!(
            "declared length {} exceeds the {MAX_HEADER_BYTES}-byte limit",
            declared.unwrap_or_default()
        )),
        E::InvalidHeaderLength => WeightsError::Truncated(format!(
            "the header declares {} bytes but the file has {} after the length",
            declared.unwrap_or_default(),
            bytes.len().saturating_sub(8)
        )),
        E::InvalidHeader(e) => WeightsError::Header(format!("not UTF-8: {e}")),
        E::InvalidOffset(name) => WeightsError::Tensor {
            key: name,
            msg: "its data_offsets do not start where the previous tensor's end (tensors must tile the data section)"
                .into(),
        },
        other => {
            // Name the first entry that does not parse or whose shape does not fill its offsets.
            for (name, entry) in header.iter().flatten().filter(|(k, _)| *k != "__metadata__") {
                let info = match serde_json::from_value::<TensorInfo>(entry.clone()) {
                    Ok(info) => info,
                    Err(e) => {
                        let dtype = entry.get("dtype").and_then(|d| d.as_str());
                        if let Some(dtype) = dtype.filter(|d| {
                            serde_json::from_value::<Dtype>(serde_json::Value::String(d.to_string())).is_err()
                        }) {
                            return WeightsError::DType { key: name.clone(), dtype: dtype.to_string() };
                        }
                        let msg = format!("header entry needs `dtype`, `shape` and `data_offsets` [begin, end]: {e}");
                        return WeightsError::Tensor { key: name.clone(), msg };
                    }
                };
                let (begin, end) = info.data_offsets;
                let bits = info.shape.iter().try_fold(info.dtype.bitsize(), |a, &d| a.checked_mul(d));
                if bits.is_none_or(|b| b % 8 != 0 || end.checked_sub(begin) != Some(b / 8)) {
                    let msg = format!("{} {:?} does not fill data_offsets [{begin}, {end}]", info.dtype, info.shape);
                    return WeightsError::Tensor { key: name.clone(), msg };
                }
                if end > data_len {
                    return WeightsError::Truncated(format!(
                        "tensor `{name}` needs bytes up to {end} of the data section, which has {data_len}"
                    ));
                }
            }
            match other {
                E::MetadataIncompleteBuffer => WeightsError::Header(format!(
                    "the tensors do not cover the data section of {data_len} bytes exactly"
                )),
                E::InvalidHeaderDeserialization(e) => WeightsError::Header(format!("invalid header: {e}")),
                other => WeightsError::Header(other.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{f16_to_f32, WeightsFormat};

    #[test]
    fn a_header_length_that_looks_like_a_pickle_is_still_safetensors() {
        // 0x480 = 1152 header bytes: the file starts 0x80 0x04, a pickle's PROTO 4.
        let mut header = br#"{"__metadata__":{"a":"b"}}"#.to_vec();
        header.resize(0x480, b' ');
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header);
        assert_eq!(&bytes[..2], &[0x80, 0x04]);
        assert_eq!(WeightsFormat::detect(&bytes), Some(WeightsFormat::Safetensors));
        assert_eq!(
            WeightsFormat::detect(&[0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9]),
            Some(WeightsFormat::PthLegacy)
        );
    }

    #[test]
    fn f16_conversion_is_exact() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }
}
