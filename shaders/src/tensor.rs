//! NCHW f32 tensors in storage buffers.

use std::sync::{Arc, Weak};

use crate::context::{BufferPool, BufferView, Gpu};
use crate::error::{Error, Result};

/// A contiguous f32 tensor on the GPU. Cloning shares the buffer.
///
/// When the last handle drops, the buffer goes back to the [`Gpu`]'s pool and
/// a later tensor of the same byte size reuses it. That is safe without
/// waiting: the queue runs commands in order, so work recorded later sees the
/// buffer only after earlier work that used it, and host writes
/// ([`Tensor::write`]) flush pending work first.
#[derive(Clone, Debug)]
pub struct Tensor {
    storage: Arc<Storage>,
    /// Byte offset of the first element in the buffer (0 unless a view).
    offset: u64,
    shape: Vec<usize>,
}

#[derive(Debug)]
struct Storage {
    buffer: wgpu::Buffer,
    pool: Weak<BufferPool>,
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.put(self.buffer.clone());
        }
    }
}

const USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

impl Tensor {
    /// Checks that `shape` is non-empty, has no zero dimension, and fits in
    /// one storage binding; returns its element count.
    pub fn check_shape(gpu: &Gpu, op: &'static str, what: &str, shape: &[usize]) -> Result<usize> {
        if shape.is_empty() || shape.contains(&0) {
            return Err(Error::shape(op, format!("{what} has shape {shape:?}; every dimension must be at least 1")));
        }
        let len = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let bytes = len.and_then(|l| l.checked_mul(4)).map(|b| b as u64).unwrap_or(u64::MAX);
        let limit = gpu.max_binding_bytes();
        if bytes > limit {
            return Err(Error::TooLarge { op, what: format!("{what} {shape:?}"), bytes, limit });
        }
        Ok(bytes as usize / 4)
    }

    /// A tensor with unspecified contents (a recycled buffer may hold old
    /// values): for outputs that a kernel overwrites completely.
    pub fn empty(gpu: &Gpu, shape: &[usize]) -> Result<Tensor> {
        let len = Self::check_shape(gpu, "Tensor::empty", "tensor", shape)?;
        let pool = gpu.pool();
        let buffer = pool.take((len * 4) as u64).unwrap_or_else(|| {
            pool.record_allocation((len * 4) as u64);
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: (len * 4) as u64,
                usage: USAGE,
                mapped_at_creation: false,
            })
        });
        Ok(Tensor {
            storage: Arc::new(Storage { buffer, pool: Arc::downgrade(pool) }),
            offset: 0,
            shape: shape.to_vec(),
        })
    }

    /// A zero tensor.
    pub fn zeros(gpu: &Gpu, shape: &[usize]) -> Result<Tensor> {
        let t = Self::empty(gpu, shape)?;
        gpu.clear(&t);
        Ok(t)
    }

    /// Uploads `data` with the given shape.
    pub fn from_slice(gpu: &Gpu, shape: &[usize], data: &[f32]) -> Result<Tensor> {
        let len = Self::check_shape(gpu, "Tensor::from_slice", "tensor", shape)?;
        if len != data.len() {
            return Err(Error::shape(
                "Tensor::from_slice",
                format!("shape {shape:?} holds {len} values but {} were given", data.len()),
            ));
        }
        let t = Self::empty(gpu, shape)?;
        t.write(gpu, data)?;
        Ok(t)
    }

    /// Overwrites the tensor's contents from the host (queued before the next
    /// submission).
    pub fn write(&self, gpu: &Gpu, data: &[f32]) -> Result<()> {
        if data.len() != self.len() {
            return Err(Error::shape(
                "Tensor::write",
                format!("tensor {:?} holds {} values but {} were given", self.shape, self.len(), data.len()),
            ));
        }
        gpu.flush()?;
        gpu.queue.write_buffer(self.buffer(), self.offset, bytemuck::cast_slice(data));
        Ok(())
    }

    /// Overwrites the tensor's bytes from the host (for packed data such as
    /// RGBA8 words; `bytes` must fill the tensor exactly).
    pub(crate) fn write_bytes(&self, gpu: &Gpu, bytes: &[u8]) -> Result<()> {
        if bytes.len() as u64 != self.byte_len() {
            return Err(Error::shape(
                "Tensor::write_bytes",
                format!("tensor {:?} holds {} bytes but {} were given", self.shape, self.byte_len(), bytes.len()),
            ));
        }
        gpu.flush()?;
        gpu.queue.write_buffer(self.buffer(), self.offset, bytes);
        Ok(())
    }

    /// Copies the tensor back to the host.
    pub async fn read(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        let bytes = gpu.read_bytes(self.buffer(), self.offset, self.byte_len()).await?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// [`Tensor::read`] for native callers that are not async.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        pollster::block_on(self.read(gpu))
    }

    /// The same buffer seen with another shape of equal element count.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if shape.iter().product::<usize>() != self.len() || shape.contains(&0) {
            return Err(Error::shape("reshape", format!("cannot view {:?} as {shape:?}", self.shape)));
        }
        Ok(Tensor { storage: self.storage.clone(), offset: self.offset, shape: shape.to_vec() })
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Always false: tensors have no zero dimension.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size in bytes.
    pub fn byte_len(&self) -> u64 {
        self.len() as u64 * 4
    }

    /// The storage buffer (shared with other views of it; see [`Tensor::offset`]).
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.storage.buffer
    }

    /// Byte offset of the tensor in [`Tensor::buffer`].
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The tensor's byte range of its buffer, as a binding.
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.storage.buffer,
            offset: self.offset,
            size: std::num::NonZeroU64::new(self.byte_len()),
        })
    }

    /// A view of `shape` starting `start` elements into this tensor, sharing
    /// its buffer. Views that are bound to kernels must start at a multiple
    /// of the adapter's storage offset alignment (256 bytes by default).
    pub fn view(&self, start: usize, shape: &[usize]) -> Result<Tensor> {
        let len: usize = shape.iter().product();
        if shape.is_empty() || shape.contains(&0) || start + len > self.len() {
            return Err(Error::shape(
                "Tensor::view",
                format!("a view {shape:?} at element {start} does not fit in a tensor of {} values", self.len()),
            ));
        }
        Ok(Tensor { storage: self.storage.clone(), offset: self.offset + 4 * start as u64, shape: shape.to_vec() })
    }

    /// Whether the two tensors share any byte of a buffer.
    pub fn overlaps(&self, other: &Tensor) -> bool {
        self.buffer() == other.buffer()
            && self.offset < other.offset + other.byte_len()
            && other.offset < self.offset + self.byte_len()
    }

    /// The shape as (N, C, H, W), or a shape error naming `op` and `what`.
    pub fn nchw(&self, op: &'static str, what: &str) -> Result<[usize; 4]> {
        match self.shape[..] {
            [n, c, h, w] => Ok([n, c, h, w]),
            _ => Err(Error::shape(op, format!("{what} must be 4-D (N, C, H, W), got {:?}", self.shape))),
        }
    }
}

impl BufferView for Tensor {
    fn buffer(&self) -> &wgpu::Buffer {
        Tensor::buffer(self)
    }

    fn offset(&self) -> u64 {
        Tensor::offset(self)
    }

    fn byte_len(&self) -> u64 {
        Tensor::byte_len(self)
    }

    fn binding(&self) -> wgpu::BindingResource<'_> {
        Tensor::binding(self)
    }
}
