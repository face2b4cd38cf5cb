//! The GPU context: adapter and device selection, the pending command list,
//! and error capture.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::pipeline::{Kernel, PipelineCache};
use crate::tune::Tuners;
use crate::wgsl::Shader;

/// What kind of adapter the kernels run on; it picks the tile configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterClass {
    /// A software rasterizer (lavapipe, SwiftShader, WARP): each invocation is a
    /// SIMD lane of a CPU thread, barriers are expensive.
    Cpu,
    /// A hardware GPU (discrete, integrated or virtual) or the browser's WebGPU.
    Gpu,
}

impl AdapterClass {
    /// The class of an adapter: software rasterizers report a CPU device type.
    pub fn of(info: &wgpu::AdapterInfo) -> Self {
        match info.device_type {
            wgpu::DeviceType::Cpu => AdapterClass::Cpu,
            _ => AdapterClass::Gpu,
        }
    }
}

/// Per-adapter launch configuration, given to the kernels as `override`
/// constants. [`Gpu::new`] picks it from the adapter; callers may replace it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// The class it was chosen for.
    pub class: AdapterClass,
    /// Invocations per workgroup along the pixel axis of convolutions.
    pub conv_wg_pixels: u32,
    /// Invocations per workgroup along the channel axis of convolutions.
    pub conv_wg_channels: u32,
    /// Whether the Winograd forms' GEMM stages its operands in workgroup
    /// memory (`conv2d_winograd_gemm_tiled`) instead of register-blocking
    /// them alone; both give the same bits.
    pub winograd_gemm_tiled: bool,
}

impl Tuning {
    /// The configuration for an adapter class.
    pub fn for_class(class: AdapterClass) -> Self {
        match class {
            // One SIMD lane per invocation: a narrow workgroup, many of them, so
            // both CPU threads stay busy; each lane does an 8x4 register block.
            // Workgroup barriers cost a context switch per invocation there,
            // so the Winograd GEMM keeps to registers.
            AdapterClass::Cpu => Tuning { class, conv_wg_pixels: 16, conv_wg_channels: 1, winograd_gemm_tiled: false },
            // Warps of 32 or waves of 64 share one 8-channel weight block, so
            // weight loads broadcast and input loads coalesce; the Winograd
            // GEMM reuses each staged load across a 64 x 64 tile.
            AdapterClass::Gpu => Tuning { class, conv_wg_pixels: 64, conv_wg_channels: 1, winograd_gemm_tiled: true },
        }
    }

    /// A short text for benchmark tables.
    pub fn describe(&self) -> String {
        format!(
            "{:?}: register-blocked implicit GEMM, 8 channels x 4 pixels per invocation, workgroup {}x{}; Winograd \
             GEMM {}",
            self.class,
            self.conv_wg_pixels,
            self.conv_wg_channels,
            if self.winograd_gemm_tiled { "tiled in workgroup memory" } else { "register-blocked" }
        )
    }
}

/// A view of a GPU buffer that kernels bind and commands copy or clear
/// (a [`Tensor`](crate::Tensor)); the context knows buffers, not tensors.
pub trait BufferView {
    /// The buffer.
    fn buffer(&self) -> &wgpu::Buffer;
    /// Where the view starts in it, in bytes.
    fn offset(&self) -> u64;
    /// The view's length in bytes.
    fn byte_len(&self) -> u64;
    /// The view as a storage binding.
    fn binding(&self) -> wgpu::BindingResource<'_>;
}

/// How to pick the adapter and device.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Device limits to request; `None` requests `wgpu::Limits::default()`,
    /// the WebGPU default limits, so what runs natively runs in a browser.
    pub limits: Option<wgpu::Limits>,
    /// Prefer this adapter (case-insensitive substring of its name) over the
    /// `WGPU_ADAPTER_NAME` environment variable.
    pub adapter_name: Option<String>,
}

/// Storage buffers of dropped tensors, by byte size, for reuse.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    free: Mutex<std::collections::HashMap<u64, Vec<wgpu::Buffer>>>,
    allocated: std::sync::atomic::AtomicU64,
}

impl BufferPool {
    pub(crate) fn take(&self, size: u64) -> Option<wgpu::Buffer> {
        self.free.lock().unwrap().get_mut(&size).and_then(Vec::pop)
    }

    pub(crate) fn put(&self, buffer: wgpu::Buffer) {
        self.free.lock().unwrap().entry(buffer.size()).or_default().push(buffer);
    }

    pub(crate) fn record_allocation(&self, bytes: u64) {
        self.allocated.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

pub(crate) enum Command {
    Dispatch { pipeline: Arc<wgpu::ComputePipeline>, bind_group: wgpu::BindGroup, groups: [u32; 3] },
    Copy { src: wgpu::Buffer, src_offset: u64, dst: wgpu::Buffer, dst_offset: u64, size: u64 },
    Clear { buffer: wgpu::Buffer, offset: u64, size: u64 },
}

/// Bytes of one uniform chunk: 64 KiB, the WebGPU default
/// `max_uniform_buffer_binding_size`, and 256 parameter slots at the default
/// 256-byte offset alignment.
const UNIFORM_CHUNK_BYTES: u64 = 64 << 10;

/// One uniform buffer of the arena and the bytes to upload into it at the
/// next flush.
struct UniformChunk {
    buffer: wgpu::Buffer,
    staging: Vec<u8>,
}

/// The kernels' uniform parameters of the dispatches recorded since the last
/// flush, packed at aligned offsets into a few reusable buffers. A flush
/// uploads each used chunk with `queue.write_buffer` before it submits; the
/// queue orders that write after earlier submissions and before this one, so
/// every flush rewrites the chunks from the start.
#[derive(Default)]
struct UniformArena {
    chunks: Vec<UniformChunk>,
    /// The chunk being filled; the ones before it are full.
    current: usize,
}

impl UniformArena {
    /// Copies `bytes` to the next offset aligned to `align`, growing the arena
    /// by a chunk when the current one is full; returns the chunk's buffer and
    /// the offset.
    fn push(&mut self, device: &wgpu::Device, bytes: &[u8], align: u64) -> (wgpu::Buffer, u64) {
        debug_assert!(bytes.len() as u64 <= UNIFORM_CHUNK_BYTES && bytes.len() % 4 == 0);
        loop {
            if self.current == self.chunks.len() {
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("uniform arena"),
                    size: UNIFORM_CHUNK_BYTES,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                self.chunks.push(UniformChunk { buffer, staging: Vec::with_capacity(UNIFORM_CHUNK_BYTES as usize) });
            }
            let chunk = &mut self.chunks[self.current];
            let offset = (chunk.staging.len() as u64).next_multiple_of(align);
            if offset + bytes.len() as u64 <= UNIFORM_CHUNK_BYTES {
                chunk.staging.resize(offset as usize, 0);
                chunk.staging.extend_from_slice(bytes);
                return (chunk.buffer.clone(), offset);
            }
            self.current += 1;
        }
    }

    /// Queues the upload of every chunk written since the last upload and
    /// starts filling from the first chunk again.
    fn upload(&mut self, queue: &wgpu::Queue) {
        for chunk in &mut self.chunks {
            if !chunk.staging.is_empty() {
                queue.write_buffer(&chunk.buffer, 0, &chunk.staging);
                chunk.staging.clear();
            }
        }
        self.current = 0;
    }
}

/// The commands recorded since the last flush and their uniform parameters.
#[derive(Default)]
struct Pending {
    commands: Vec<Command>,
    uniforms: UniformArena,
}

/// Wall time of one kernel's dispatches while profiling
/// ([`Gpu::set_profiling`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KernelTime {
    /// The operation that recorded the dispatches (e.g. `conv2d_backward_weight`).
    pub op: &'static str,
    /// The WGSL entry point that ran.
    pub entry: &'static str,
    /// How many dispatches ran.
    pub dispatches: u64,
    /// Their seconds, each from its submission to its completion.
    pub seconds: f64,
}

/// Dispatches and seconds per (op, entry point).
type KernelTimes = HashMap<(&'static str, &'static str), (u64, f64)>;

/// A device, its queue, the pipeline cache and the commands recorded since the
/// last submission.
pub struct Gpu {
    /// The wgpu device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    tuning: Tuning,
    /// The autotuners of the ops that choose between kernels, one per op,
    /// with the settings each op keeps beside its own.
    tuners: Tuners,
    pipelines: PipelineCache,
    pending: Mutex<Pending>,
    dispatches: AtomicU64,
    /// Dispatches and seconds per (op, entry point) while profiling.
    profile: Mutex<Option<KernelTimes>>,
    /// Whether `profile` is on, read by every dispatch without locking.
    #[cfg(not(target_arch = "wasm32"))]
    profiling: std::sync::atomic::AtomicBool,
    errors: Arc<Mutex<Vec<String>>>,
    pool: Arc<BufferPool>,
}

impl Gpu {
    /// Finds an adapter (honouring `WGPU_BACKEND` and `WGPU_ADAPTER_NAME`)
    /// and opens a device with the WebGPU default limits unless `options`
    /// asks for others. An op that chooses between kernels keeps its choice
    /// and its autotuner in the device's tuners, made at the op's first use
    /// (that is when it reads its settings from the environment).
    pub async fn new(options: GpuOptions) -> Result<Gpu> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pick_adapter(&instance, &options).await?;
        let info = adapter.get_info();
        let limits = options.limits.clone().unwrap_or_default();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("cyclegan"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::RequestDevice(format!("{} ({:?}): {e}", info.name, info.backend)))?;
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = errors.clone();
        // wgpu's default handler panics; keep the error and report it from the
        // next flush or readback instead.
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().push(e.to_string());
        }));
        let class = AdapterClass::of(&info);
        Ok(Gpu {
            device,
            queue,
            info,
            limits,
            tuning: Tuning::for_class(class),
            tuners: Tuners::new(cfg!(target_arch = "wasm32")),
            pipelines: PipelineCache::default(),
            pending: Mutex::default(),
            dispatches: AtomicU64::new(0),
            profile: Mutex::default(),
            #[cfg(not(target_arch = "wasm32"))]
            profiling: Default::default(),
            errors,
            pool: Arc::default(),
        })
    }

    /// [`Gpu::new`] for native callers that are not async.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking(options: GpuOptions) -> Result<Gpu> {
        pollster::block_on(Self::new(options))
    }

    /// The adapter's description.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// One line naming the adapter, its backend and driver.
    pub fn describe(&self) -> String {
        let i = &self.info;
        format!("{} ({:?}, {:?}, driver {} {})", i.name, i.backend, i.device_type, i.driver, i.driver_info)
    }

    /// The limits the device was opened with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// The kernel launch configuration in use.
    pub fn tuning(&self) -> Tuning {
        self.tuning
    }

    /// Replaces the launch configuration (for benchmarks and tests).
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
    }

    /// The autotuners of the ops that choose between kernels.
    pub(crate) fn tuners(&self) -> &Tuners {
        &self.tuners
    }

    /// Whether autotuning measures a shape at its first use (natively, the
    /// default) or notes it for a later measurement that the op's caller
    /// asks for and lets the op's default choice serve until then (in a
    /// browser, where waiting for the GPU cannot block, always).
    pub fn autotune_deferred(&self) -> bool {
        self.tuners.defers()
    }

    /// Natively, chooses between measuring at first use and deferring (see
    /// [`Gpu::autotune_deferred`]); a browser always defers.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_autotune_deferred(&mut self, deferred: bool) {
        self.tuners.set_defers(deferred);
    }

    /// How many shapes wait for their deferred measurement.
    pub fn deferred_tunes(&self) -> usize {
        self.tuners.deferred()
    }

    pub(crate) fn pool(&self) -> &Arc<BufferPool> {
        &self.pool
    }

    /// How many dispatches have been recorded since the device was opened
    /// (dispatches of zero workgroups, which record nothing, not counted).
    pub fn dispatches(&self) -> u64 {
        self.dispatches.load(Ordering::Relaxed)
    }

    /// Bytes of tensor storage allocated so far, live or pooled for reuse:
    /// the peak tensor memory since the last [`Gpu::release_pooled`].
    pub fn tensor_bytes_allocated(&self) -> u64 {
        self.pool.allocated.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Frees the pooled buffers of dropped tensors.
    pub fn release_pooled(&self) {
        let mut free = self.pool.free.lock().unwrap();
        let bytes: u64 = free.values().flatten().map(|b| b.size()).sum();
        free.clear();
        self.pool.allocated.fetch_sub(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// Largest storage buffer, in bytes, that one binding may hold.
    pub fn max_binding_bytes(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size)
    }

    pub(crate) fn pipeline(
        &self,
        shader: &Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
    ) -> Result<Kernel> {
        let p = self.pipelines.get(&self.device, shader, entry, constants);
        self.check_errors()?;
        Ok(p)
    }

    /// Records one dispatch: binding 0 is `params` as a uniform, the others
    /// are `(binding, buffer)` pairs as the kernel in `wgsl/` declares them.
    pub(crate) fn dispatch<P: bytemuck::Pod, B: BufferView>(
        &self,
        op: &'static str,
        kernel: Kernel,
        params: &P,
        buffers: &[(u32, &B)],
        groups: [u32; 3],
    ) -> Result<()> {
        let max = self.limits.max_compute_workgroups_per_dimension;
        if let Some(&g) = groups.iter().find(|&&g| g > max) {
            return Err(Error::DispatchTooLarge { op, count: g as u64, limit: max });
        }
        if groups.contains(&0) {
            return Ok(());
        }
        let bytes = bytemuck::bytes_of(params);
        let size = wgpu::BufferSize::new(bytes.len() as u64).expect("kernel parameters are never empty");
        let align = self.limits.min_uniform_buffer_offset_alignment as u64;
        // One lock from the parameters' slot to the command: the slot is
        // uploaded by the flush that submits the command.
        let mut pending = self.pending.lock().unwrap();
        let (chunk, offset) = pending.uniforms.push(&self.device, bytes, align);
        let mut entries = Vec::with_capacity(buffers.len() + 1);
        entries.push(wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: &chunk, offset, size: Some(size) }),
        });
        for &(binding, t) in buffers {
            entries.push(wgpu::BindGroupEntry { binding, resource: t.binding() });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(op),
            layout: &kernel.pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        pending.commands.push(Command::Dispatch { pipeline: kernel.pipeline, bind_group, groups });
        drop(pending);
        self.dispatches.fetch_add(1, Ordering::Relaxed);
        #[cfg(not(target_arch = "wasm32"))]
        if self.profiling.load(Ordering::Relaxed) {
            let start = std::time::Instant::now();
            self.sync()?;
            let seconds = start.elapsed().as_secs_f64();
            if let Some(times) = self.profile.lock().unwrap().as_mut() {
                let t = times.entry((op, kernel.entry)).or_default();
                t.0 += 1;
                t.1 += seconds;
            }
        }
        Ok(())
    }

    /// Natively, turns per-kernel timing on (clearing what was measured) or
    /// off, after finishing the pending work. While it is on, every
    /// dispatch is submitted alone and waited for, so each kernel's time is
    /// the wall clock of its own submission: slower overall, but attributed.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_profiling(&self, on: bool) -> Result<()> {
        self.sync()?;
        *self.profile.lock().unwrap() = on.then(HashMap::new);
        self.profiling.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// The time per kernel measured since [`Gpu::set_profiling`] turned
    /// timing on, slowest first (empty while it is off).
    pub fn profile(&self) -> Vec<KernelTime> {
        let times = self.profile.lock().unwrap();
        let mut rows: Vec<KernelTime> = times
            .iter()
            .flatten()
            .map(|(&(op, entry), &(dispatches, seconds))| KernelTime { op, entry, dispatches, seconds })
            .collect();
        rows.sort_by(|a, b| b.seconds.total_cmp(&a.seconds).then(a.op.cmp(b.op)).then(a.entry.cmp(b.entry)));
        rows
    }

    /// Records copying `size` bytes from `src_offset` bytes into `src` to
    /// `dst_offset` bytes into `dst` (offsets relative to the tensors' views).
    pub fn copy<T: BufferView>(&self, src: &T, src_offset: u64, dst: &T, dst_offset: u64, size: u64) {
        self.copy_buffer(src.buffer(), src.offset() + src_offset, dst.buffer(), dst.offset() + dst_offset, size);
    }

    fn copy_buffer(&self, src: &wgpu::Buffer, src_offset: u64, dst: &wgpu::Buffer, dst_offset: u64, size: u64) {
        self.pending.lock().unwrap().commands.push(Command::Copy {
            src: src.clone(),
            src_offset,
            dst: dst.clone(),
            dst_offset,
            size,
        });
    }

    /// Records zero-filling the tensor's bytes.
    pub fn clear<T: BufferView>(&self, t: &T) {
        self.pending.lock().unwrap().commands.push(Command::Clear {
            buffer: t.buffer().clone(),
            offset: t.offset(),
            size: t.byte_len(),
        });
    }

    /// Submits everything recorded since the last flush as one command buffer,
    /// consecutive dispatches sharing one compute pass, after uploading
    /// their uniform parameters.
    pub fn flush(&self) -> Result<Option<wgpu::SubmissionIndex>> {
        let index = self.submit_pending();
        self.check_errors()?;
        Ok(index)
    }

    /// Encodes and submits the pending commands. The lock is held until the
    /// submission so that no other flush can rewrite the uniform chunks
    /// between this one's upload and its submit.
    fn submit_pending(&self) -> Option<wgpu::SubmissionIndex> {
        let mut pending = self.pending.lock().unwrap();
        if pending.commands.is_empty() {
            return None;
        }
        let commands = std::mem::take(&mut pending.commands);
        pending.uniforms.upload(&self.queue);
        let mut encoder =
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("cyclegan") });
        let mut i = 0;
        while i < commands.len() {
            match &commands[i] {
                Command::Dispatch { .. } => {
                    let mut pass = encoder
                        .begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
                    while let Some(Command::Dispatch { pipeline, bind_group, groups }) = commands.get(i) {
                        pass.set_pipeline(pipeline);
                        pass.set_bind_group(0, bind_group, &[]);
                        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                        i += 1;
                    }
                }
                Command::Copy { src, src_offset, dst, dst_offset, size } => {
                    encoder.copy_buffer_to_buffer(src, *src_offset, dst, *dst_offset, *size);
                    i += 1;
                }
                Command::Clear { buffer, offset, size } => {
                    encoder.clear_buffer(buffer, *offset, Some(*size));
                    i += 1;
                }
            }
        }
        let index = self.queue.submit([encoder.finish()]);
        drop(pending);
        Some(index)
    }

    /// Submits pending work and, natively, blocks until the GPU has finished
    /// it (in a browser it returns at once; the browser drives the queue).
    pub fn sync(&self) -> Result<()> {
        self.flush()?;
        #[cfg(not(target_arch = "wasm32"))]
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| Error::Gpu(e.to_string()))?;
        self.check_errors()
    }

    /// Submits pending work and waits until the GPU has finished it: natively
    /// by blocking ([`Gpu::sync`]), in a browser by awaiting the queue.
    pub async fn finish(&self) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        return self.sync();
        #[cfg(target_arch = "wasm32")]
        {
            self.flush()?;
            let (tx, rx) = futures_channel::oneshot::channel();
            self.queue.on_submitted_work_done(move || {
                let _ = tx.send(());
            });
            rx.await.map_err(|_| Error::Gpu("the device dropped the queue's completion callback".into()))?;
            self.check_errors()
        }
    }

    /// Returns the first error wgpu reported since the last check, if any.
    pub fn check_errors(&self) -> Result<()> {
        let mut errors = self.errors.lock().unwrap();
        if errors.is_empty() {
            return Ok(());
        }
        let msg = errors.join("; ");
        errors.clear();
        Err(Error::Gpu(msg))
    }

    /// Reads `size` bytes of `buffer` from `offset` back to the host (async; natively it
    /// polls the device, in a browser it awaits the mapping).
    pub(crate) async fn read_bytes(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<Vec<u8>> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.copy_buffer(buffer, offset, &staging, 0, size);
        self.flush()?;
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| Error::Gpu(e.to_string()))?;
        let mapped = rx.await.map_err(|_| Error::Readback("the device dropped the mapping request".into()))?;
        self.check_errors()?;
        mapped.map_err(|e| Error::Readback(e.to_string()))?;
        let bytes = staging.slice(..).get_mapped_range().map_err(|e| Error::Readback(e.to_string()))?.to_vec();
        staging.unmap();
        Ok(bytes)
    }
}

async fn pick_adapter(instance: &wgpu::Instance, options: &GpuOptions) -> Result<wgpu::Adapter> {
    let wanted = options
        .adapter_name
        .clone()
        .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase());
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(wanted) = wanted {
        let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        return adapters
            .into_iter()
            .find(|a| a.get_info().name.to_lowercase().contains(&wanted))
            .ok_or_else(|| Error::NoAdapter(format!("none named like {wanted:?}; found {names:?}")));
    }
    #[cfg(target_arch = "wasm32")]
    let _ = wanted;
    instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or(wgpu::PowerPreference::HighPerformance),
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::NoAdapter(e.to_string()))
}
