//! torch.save's zip container, read with the `zip` crate. PyTorch stores
//! every record uncompressed (`caffe2/serialize/inline_container.cc`, aligned
//! to 64 bytes), and those are read in place; a checkpoint folder re-zipped by
//! hand has deflated records, which are inflated. Every record's CRC-32 is
//! checked.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::ops::Range;

use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use crate::nn::io::format::WeightsError;

/// The most bytes all compressed records of one archive may inflate to: far
/// more than any generator's weights (unet_256 at ngf 64 is 218 MB of f32), far
/// less than a decompression bomb would.
const MAX_INFLATED_BYTES: u64 = 1 << 30;

/// A zip archive held in memory.
pub(super) struct Zip<'a> {
    bytes: &'a [u8],
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Stored records already read through once (CRC checked): name to byte range.
    checked: HashMap<String, Range<usize>>,
    /// Bytes inflated from compressed records so far.
    inflated: u64,
}

fn err(msg: impl Into<String>) -> WeightsError {
    WeightsError::Zip(msg.into())
}

/// The zip crate's error as ours; `entry` names the record being read, if any.
fn convert(e: ZipError, entry: Option<&str>) -> WeightsError {
    let what = entry.map(|n| format!("entry `{n}`: ")).unwrap_or_default();
    match e {
        ZipError::InvalidArchive(m) if entry.is_none() && m.contains("EOCD") => {
            WeightsError::Truncated("the zip archive has no valid end-of-central-directory record".into())
        }
        ZipError::InvalidArchive(m) if m.starts_with("Unexpected end") => {
            WeightsError::Truncated(format!("zip archive: {what}{m}"))
        }
        ZipError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            WeightsError::Truncated(format!("zip archive: {what}{e}"))
        }
        ZipError::Io(e) if e.to_string().contains("checksum") => {
            err(format!("{what}the data does not match its CRC-32 (a corrupted file)"))
        }
        ZipError::Io(e) => err(format!("{what}{e}")),
        ZipError::InvalidArchive(m) => err(format!("{what}{m}")),
        ZipError::UnsupportedArchive(m) => err(format!("{what}unsupported: {m}")),
        ZipError::FileNotFound => err(format!("{what}not found")),
        ZipError::InvalidPassword => err(format!("{what}encrypted")),
        other => err(format!("{what}{other}")),
    }
}

impl<'a> Zip<'a> {
    /// Reads the central directory.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, WeightsError> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| convert(e, None))?;
        Ok(Zip { bytes, archive, checked: HashMap::new(), inflated: 0 })
    }

    /// Entry names in central-directory order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.archive.file_names()
    }

    /// The contents of the named entry, or `None` if there is no such entry.
    /// A stored record (what torch.save writes) is borrowed from the file; a
    /// compressed one is inflated.
    pub(super) fn get(&mut self, name: &str) -> Option<Result<Cow<'a, [u8]>, WeightsError>> {
        self.archive.index_for_name(name)?;
        Some(self.read(name))
    }

    fn read(&mut self, name: &str) -> Result<Cow<'a, [u8]>, WeightsError> {
        // Tensors that share a storage read its record again: check it once.
        if let Some(range) = self.checked.get(name) {
            return Ok(Cow::Borrowed(&self.bytes[range.clone()]));
        }
        let file_len = self.bytes.len() as u64;
        let mut file = self.archive.by_name(name).map_err(|e| convert(e, Some(name)))?;
        if file.encrypted() {
            return Err(err(format!("entry `{name}` is encrypted")));
        }
        let size = file.size();
        let read_err = |e| convert(ZipError::Io(e), Some(name));
        let wrong_size = |n: u64| {
            let n = if n > size { "more".to_string() } else { n.to_string() };
            err(format!("entry `{name}` holds {n} bytes, not the {size} it declares"))
        };
        if file.compression() == CompressionMethod::Stored {
            // Read through the crate once, for its checks (local header, CRC), keeping nothing.
            let n = std::io::copy(&mut file.by_ref().take(size.saturating_add(1)), &mut std::io::sink());
            let n = n.map_err(read_err)?;
            if n != size {
                return Err(wrong_size(n));
            }
            let start = file.data_start().and_then(|s| usize::try_from(s).ok());
            let range = start.and_then(|s| Some(s..s.checked_add(usize::try_from(size).ok()?)?));
            let range = range.filter(|r| r.end <= self.bytes.len()).ok_or_else(|| {
                WeightsError::Truncated(format!("zip entry `{name}` declares {size} bytes past the end of the file"))
            })?;
            self.checked.insert(name.to_string(), range.clone());
            return Ok(Cow::Borrowed(&self.bytes[range]));
        }
        if size > MAX_INFLATED_BYTES - self.inflated {
            return Err(err(format!(
                "entry `{name}` inflates to {size} bytes, past the {MAX_INFLATED_BYTES}-byte limit for compressed \
                 records (torch.save stores records uncompressed)"
            )));
        }
        self.inflated += size;
        // Reserve no more than the file holds: the declared size may be a lie.
        let mut out = Vec::with_capacity(size.min(file_len) as usize);
        file.by_ref().take(size + 1).read_to_end(&mut out).map_err(read_err)?;
        if out.len() as u64 != size {
            return Err(wrong_size(out.len() as u64));
        }
        Ok(Cow::Owned(out))
    }
}
