//! Files `trainer` reads and writes whatever the command: weight files in
//! any supported format, and atomic writes.

use std::path::Path;

use anyhow::{Context, Result};
use shaders::nn::io::weights::StateDict;
use shaders::nn::nets::remap::{map_state_dict, Mapped};

use crate::imageio;

/// Reads a weight file in any supported format; errors name the file.
pub fn load_state_dict(path: &Path) -> Result<StateDict> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    StateDict::load(&bytes).with_context(|| format!("{}", path.display()))
}

/// Reads a weight file and maps it onto the reference's layout
/// ([`map_state_dict`]); `net` selects one of several networks.
pub fn load_network(path: &Path, net: Option<&str>) -> Result<Mapped> {
    let sd = load_state_dict(path)?;
    map_state_dict(&sd, net).with_context(|| path.display().to_string())
}

/// Writes bytes to `path` atomically: temporary file, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = imageio::temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}: cannot write", path.display()))
}
