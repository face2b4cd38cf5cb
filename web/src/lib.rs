//! The browser API over `shaders`: adapter discovery for now; network
//! loading and translation build on it.

use wasm_bindgen::prelude::*;

/// Opens a WebGPU device and returns a line describing the adapter.
#[wasm_bindgen]
pub async fn adapter_info() -> Result<String, JsError> {
    let gpu = shaders::Gpu::new(shaders::GpuOptions::default()).await.map_err(|e| JsError::new(&e.to_string()))?;
    Ok(gpu.describe())
}
