//! What every weight-file parser shares: the element types, the errors
//! (each naming the tensor or key), and helpers for their messages.

use std::fmt;

use safetensors::Dtype;

/// Why a weight file could not be read; each message names the tensor or key.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The bytes match no supported format.
    #[error("not a weight file: expected safetensors, a PyTorch zip checkpoint (torch >= 1.6) or a legacy PyTorch pickle; the file starts with {head}")]
    UnknownFormat {
        /// The first bytes, escaped.
        head: String,
    },
    /// The file ends before a structure it declares.
    #[error("the file ends early: {0} (truncated download or copy?)")]
    Truncated(String),
    /// The safetensors header is malformed.
    #[error("safetensors header: {0}")]
    Header(String),
    /// The zip container of a PyTorch checkpoint is malformed.
    #[error("zip archive: {0}")]
    Zip(String),
    /// The pickle stream of a PyTorch checkpoint is malformed or uses something unsupported.
    #[error("pickle at byte {offset}: {msg}")]
    Pickle {
        /// Byte offset of the offending opcode in its pickle stream.
        offset: usize,
        /// What is wrong there.
        msg: String,
    },
    /// The pickle names a global outside the allowlist; nothing was executed.
    #[error("the pickle refers to `{module}.{name}`, which a state_dict never needs; refusing to load the file (only collections.OrderedDict, torch storages and torch's tensor rebuild functions are allowed)")]
    ForbiddenGlobal {
        /// Module of the global.
        module: String,
        /// Name of the global.
        name: String,
    },
    /// The checkpoint holds no dict of tensors.
    #[error("no state_dict found: {0}; save `model.state_dict()` with torch.save")]
    NoStateDict(String),
    /// A state_dict entry is not a tensor.
    #[error("entry `{key}` is {found}, not a tensor")]
    NotATensor {
        /// The entry's key.
        key: String,
        /// What it is instead.
        found: String,
    },
    /// A tensor's element type cannot be used as weights.
    #[error("tensor `{key}` has dtype {dtype}; weights must be floating point (f32, f16, bf16 or f64)")]
    DType {
        /// The tensor's name.
        key: String,
        /// Its element type.
        dtype: String,
    },
    /// A tensor's shape, offsets or storage are inconsistent.
    #[error("tensor `{key}`: {msg}")]
    Tensor {
        /// The tensor's name.
        key: String,
        /// What is inconsistent.
        msg: String,
    },
    /// A tensor holds NaN or an infinity.
    #[error("tensor `{key}` holds {value} at flat index {index}; weights must be finite")]
    NonFinite {
        /// The tensor's name.
        key: String,
        /// Flat index of the first non-finite value.
        index: usize,
        /// That value.
        value: f32,
    },
    /// The same name occurs twice.
    #[error("tensor `{0}` appears twice")]
    Duplicate(String),
}

impl From<WeightsError> for crate::Error {
    fn from(e: WeightsError) -> Self {
        crate::Error::Weights(Box::new(e))
    }
}

/// Element types found in weight files; everything is converted to f32 on load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 64-bit float.
    F64,
    /// 32-bit float.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    BF16,
    /// 64-bit signed integer.
    I64,
    /// 32-bit signed integer.
    I32,
    /// 16-bit signed integer.
    I16,
    /// 8-bit signed integer.
    I8,
    /// 8-bit unsigned integer.
    U8,
    /// Boolean stored as one byte.
    Bool,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 | DType::I16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }

    /// Whether the type is floating point (usable as weights).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F64 | DType::F32 | DType::F16 | DType::BF16)
    }

    /// The safetensors name of the type (`F32`, `BF16`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "F64",
            DType::F32 => "F32",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::I64 => "I64",
            DType::I32 => "I32",
            DType::I16 => "I16",
            DType::I8 => "I8",
            DType::U8 => "U8",
            DType::Bool => "BOOL",
        }
    }

    /// The `safetensors` crate's type, if it is one weights can be read from.
    pub(crate) fn from_safetensors(dtype: Dtype) -> Option<DType> {
        Some(match dtype {
            Dtype::F64 => DType::F64,
            Dtype::F32 => DType::F32,
            Dtype::F16 => DType::F16,
            Dtype::BF16 => DType::BF16,
            Dtype::I64 => DType::I64,
            Dtype::I32 => DType::I32,
            Dtype::I16 => DType::I16,
            Dtype::I8 => DType::I8,
            Dtype::U8 => DType::U8,
            Dtype::BOOL => DType::Bool,
            _ => return None,
        })
    }

    /// Appends the elements of `bytes` (a whole number of elements) to `out` as f32.
    pub(crate) fn decode_into(self, bytes: &[u8], big_endian: bool, out: &mut Vec<f32>) {
        fn arr<const N: usize>(c: &[u8], be: bool) -> [u8; N] {
            let mut a: [u8; N] = c.try_into().expect("chunk of element size");
            if be {
                a.reverse();
            }
            a
        }
        let be = big_endian;
        let n = self.size();
        out.reserve(bytes.len() / n);
        let chunks = bytes.chunks_exact(n);
        match self {
            DType::F64 => out.extend(chunks.map(|c| f64::from_le_bytes(arr(c, be)) as f32)),
            DType::F32 => out.extend(chunks.map(|c| f32::from_le_bytes(arr(c, be)))),
            DType::F16 => out.extend(chunks.map(|c| f16_to_f32(u16::from_le_bytes(arr(c, be))))),
            DType::BF16 => out.extend(chunks.map(|c| f32::from_bits((u16::from_le_bytes(arr(c, be)) as u32) << 16))),
            DType::I64 => out.extend(chunks.map(|c| i64::from_le_bytes(arr(c, be)) as f32)),
            DType::I32 => out.extend(chunks.map(|c| i32::from_le_bytes(arr(c, be)) as f32)),
            DType::I16 => out.extend(chunks.map(|c| i16::from_le_bytes(arr(c, be)) as f32)),
            DType::I8 => out.extend(chunks.map(|c| c[0] as i8 as f32)),
            DType::U8 => out.extend(chunks.map(|c| c[0] as f32)),
            DType::Bool => out.extend(chunks.map(|c| (c[0] != 0) as u8 as f32)),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// IEEE binary16 to binary32, exact (subnormals, infinities and NaN included).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            let (mut e, mut m) = (127 - 15 + 1, man);
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// The first bytes of a file, escaped for an error message.
pub(crate) fn escape_head(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (empty file)".into();
    }
    let head: String =
        bytes[..bytes.len().min(16)].iter().flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    format!("b\"{head}\"")
}
