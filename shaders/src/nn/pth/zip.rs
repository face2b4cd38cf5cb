//! A minimal zip reader for torch.save archives: central directory (zip64
//! included) and stored entries only, which is what PyTorch writes
//! (`caffe2/serialize/inline_container.cc` stores every record uncompressed,
//! aligned to 64 bytes).

use crate::nn::weights::WeightsError;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END64: u32 = 0x0606_4b50;
const END64_LOCATOR: u32 = 0x0706_4b50;

/// One entry of the central directory.
struct Entry {
    name: String,
    method: u16,
    size: u64,
    local_offset: u64,
}

/// The entries of an archive held in memory.
pub(super) struct Zip<'a> {
    bytes: &'a [u8],
    entries: Vec<Entry>,
}

fn err(msg: impl Into<String>) -> WeightsError {
    WeightsError::Zip(msg.into())
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

fn to_usize(v: u64, what: &str) -> Result<usize, WeightsError> {
    usize::try_from(v).map_err(|_| err(format!("{what} {v} does not fit in memory")))
}

impl<'a> Zip<'a> {
    /// Reads the central directory.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, WeightsError> {
        // The end record is 22 bytes plus a comment of at most 65535 bytes.
        let lowest = bytes.len().saturating_sub(22 + 65535);
        let end = (lowest..=bytes.len().saturating_sub(22))
            .rev()
            .find(|&i| i + 22 <= bytes.len() && u32_at(bytes, i) == Some(END))
            .ok_or_else(|| WeightsError::Truncated("the zip archive has no end-of-central-directory record".into()))?;
        let field = |off: usize| u16_at(bytes, end + off).expect("inside the end record");
        let mut count = field(10) as u64;
        let mut cd_size = u32_at(bytes, end + 12).expect("inside the end record") as u64;
        let mut cd_offset = u32_at(bytes, end + 16).expect("inside the end record") as u64;
        if count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
            let loc = end.checked_sub(20).filter(|&l| u32_at(bytes, l) == Some(END64_LOCATOR));
            let loc = loc.ok_or_else(|| err("zip64 sizes without a zip64 end locator"))?;
            let rec = to_usize(u64_at(bytes, loc + 8).expect("inside the locator"), "zip64 end record offset")?;
            if u32_at(bytes, rec) != Some(END64) {
                return Err(err("the zip64 end locator points at no zip64 end record"));
            }
            let get = |off| u64_at(bytes, rec + off).ok_or_else(|| WeightsError::Truncated("zip64 end record".into()));
            count = get(32)?;
            cd_size = get(40)?;
            cd_offset = get(48)?;
        }
        let start = to_usize(cd_offset, "central directory offset")?;
        let cd_end = start.checked_add(to_usize(cd_size, "central directory size")?);
        let cd = cd_end.and_then(|e| bytes.get(start..e)).ok_or_else(|| {
            WeightsError::Truncated(format!("the central directory ({cd_size} bytes at {cd_offset}) lies past the end"))
        })?;
        let mut entries = Vec::new();
        let mut at = 0usize;
        for _ in 0..count {
            let trunc = || WeightsError::Truncated("central directory entry".into());
            if u32_at(cd, at) != Some(CENTRAL) {
                return Err(err(format!("no central directory entry at offset {}", start + at)));
            }
            let method = u16_at(cd, at + 10).ok_or_else(trunc)?;
            let mut size = u32_at(cd, at + 24).ok_or_else(trunc)? as u64;
            let name_len = u16_at(cd, at + 28).ok_or_else(trunc)? as usize;
            let extra_len = u16_at(cd, at + 30).ok_or_else(trunc)? as usize;
            let comment_len = u16_at(cd, at + 32).ok_or_else(trunc)? as usize;
            let mut local_offset = u32_at(cd, at + 42).ok_or_else(trunc)? as u64;
            let compressed_is_64 = u32_at(cd, at + 20).ok_or_else(trunc)? == 0xffff_ffff;
            let name = cd.get(at + 46..at + 46 + name_len).ok_or_else(trunc)?;
            let name = String::from_utf8_lossy(name).into_owned();
            let extra = cd.get(at + 46 + name_len..at + 46 + name_len + extra_len).ok_or_else(trunc)?;
            // Zip64 extended information: the 64-bit values replace the 0xffffffff fields, in this order.
            let mut e = 0;
            while e + 4 <= extra.len() {
                let id = u16_at(extra, e).expect("checked");
                let len = u16_at(extra, e + 2).expect("checked") as usize;
                if id == 1 {
                    let mut p = e + 4;
                    let mut next = || {
                        let v = u64_at(extra, p).filter(|_| p + 8 <= e + 4 + len);
                        p += 8;
                        v.ok_or_else(|| err(format!("short zip64 field for `{name}`")))
                    };
                    if size == 0xffff_ffff {
                        size = next()?;
                    }
                    if compressed_is_64 {
                        next()?;
                    }
                    if local_offset == 0xffff_ffff {
                        local_offset = next()?;
                    }
                }
                e += 4 + len;
            }
            entries.push(Entry { name, method, size, local_offset });
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Zip { bytes, entries })
    }

    /// Entry names in central-directory order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The contents of the named entry, or `None` if there is no such entry.
    pub(super) fn get(&self, name: &str) -> Option<Result<&'a [u8], WeightsError>> {
        let e = self.entries.iter().find(|e| e.name == name)?;
        Some(self.data(e))
    }

    fn data(&self, e: &Entry) -> Result<&'a [u8], WeightsError> {
        if e.method != 0 {
            return Err(err(format!(
                "entry `{}` is compressed (method {}); torch.save stores entries uncompressed",
                e.name, e.method
            )));
        }
        let trunc = || WeightsError::Truncated(format!("zip entry `{}`", e.name));
        let at = to_usize(e.local_offset, "local header offset")?;
        if u32_at(self.bytes, at) != Some(LOCAL) {
            return Err(err(format!("entry `{}` has no local header at offset {at}", e.name)));
        }
        let name_len = u16_at(self.bytes, at + 26).ok_or_else(trunc)? as usize;
        let extra_len = u16_at(self.bytes, at + 28).ok_or_else(trunc)? as usize;
        let start = at + 30 + name_len + extra_len;
        let end = start.checked_add(to_usize(e.size, "entry size")?).ok_or_else(trunc)?;
        self.bytes.get(start..end).ok_or_else(trunc)
    }
}
