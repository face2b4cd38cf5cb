//! Pipeline cache: each (shader, entry point, override constants) is compiled
//! once per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::wgsl::Shader;

type Key = (&'static str, &'static str, Vec<(&'static str, u64)>);

#[derive(Default)]
pub(crate) struct PipelineCache {
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<Key, Kernel>>,
}

/// A compiled entry point and its name.
#[derive(Clone)]
pub(crate) struct Kernel {
    pub(crate) pipeline: Arc<wgpu::ComputePipeline>,
    /// Read by the native profiler only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) entry: &'static str,
}

impl PipelineCache {
    pub(crate) fn get(
        &self,
        device: &wgpu::Device,
        shader: &Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
    ) -> Kernel {
        let key: Key = (shader.name, entry, constants.iter().map(|&(k, v)| (k, v.to_bits())).collect());
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return p.clone();
        }
        let module = self
            .modules
            .lock()
            .unwrap()
            .entry(shader.name)
            .or_insert_with(|| {
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(shader.name),
                    source: wgpu::ShaderSource::Wgsl(shader.source.into()),
                })
            })
            .clone();
        let pipeline = Arc::new(device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                // Kernels initialise the workgroup memory they read.
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        }));
        let kernel = Kernel { pipeline, entry };
        self.pipelines.lock().unwrap().insert(key, kernel.clone());
        kernel
    }
}
