//! A network's parameters on the GPU, in state_dict order, checked against
//! the shapes its architecture expects.

use crate::error::{Error, Result};
use crate::nn::io::weights::{is_ignored_key, HostTensor, StateDict};

/// One expected parameter: its state_dict name and shape.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// state_dict key, e.g. `model.1.weight`.
    pub name: String,
    /// PyTorch shape.
    pub shape: Vec<usize>,
    /// Whether the parameter may be stored as row blocks across several
    /// arena chunks when it exceeds one (a weight only
    /// [`crate::ops::linear_parts`] consumes); otherwise such a parameter
    /// is refused.
    pub row_blocks: bool,
}

impl ParamSpec {
    pub(crate) fn new(name: impl Into<String>, shape: &[usize]) -> Self {
        ParamSpec { name: name.into(), shape: shape.to_vec(), row_blocks: false }
    }
}

/// Checks a state_dict against the expected parameters: every one present
/// with its shape, nothing else but legacy InstanceNorm running statistics
/// (ignored, in any file format). Returns the tensors in `specs` order.
pub fn match_state_dict<'a>(net: &str, specs: &[ParamSpec], sd: &'a StateDict) -> Result<Vec<&'a HostTensor>> {
    let mut out = Vec::with_capacity(specs.len());
    let mut missing = Vec::new();
    for s in specs {
        match sd.get(&s.name) {
            Some(t) if t.shape == s.shape => out.push(t),
            Some(t) => {
                return Err(Error::Network(format!(
                    "{net}: tensor `{}` has shape {:?}, the architecture needs {:?}",
                    s.name, t.shape, s.shape
                )))
            }
            None => missing.push(s.name.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Network(format!("{net}: missing tensors {}", list(&missing))));
    }
    let extra: Vec<&str> = sd.names().filter(|n| !is_ignored_key(n) && !specs.iter().any(|s| s.name == *n)).collect();
    if !extra.is_empty() {
        return Err(Error::Network(format!("{net}: unexpected tensors {} (a different architecture?)", list(&extra))));
    }
    Ok(out)
}

fn list(names: &[&str]) -> String {
    const SHOW: usize = 6;
    let shown: Vec<String> = names.iter().take(SHOW).map(|n| format!("`{n}`")).collect();
    let more = names.len().saturating_sub(SHOW);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A small, portable pseudo-random generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
}
