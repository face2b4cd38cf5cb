//! NCHW f32 tensors in storage buffers.

use crate::context::Gpu;
use crate::error::{Error, Result};

/// A contiguous f32 tensor on the GPU. Cloning shares the buffer.
#[derive(Clone, Debug)]
pub struct Tensor {
    buffer: wgpu::Buffer,
    shape: Vec<usize>,
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

    /// An uninitialised (in practice zero-filled, as wgpu clears new buffers)
    /// tensor.
    pub fn empty(gpu: &Gpu, shape: &[usize]) -> Result<Tensor> {
        let len = Self::check_shape(gpu, "Tensor::empty", "tensor", shape)?;
        let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: (len * 4) as u64,
            usage: USAGE,
            mapped_at_creation: false,
        });
        Ok(Tensor { buffer, shape: shape.to_vec() })
    }

    /// A zero tensor.
    pub fn zeros(gpu: &Gpu, shape: &[usize]) -> Result<Tensor> {
        let t = Self::empty(gpu, shape)?;
        gpu.clear(&t.buffer);
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
        let buffer = gpu.buffer_init("tensor", bytemuck::cast_slice(data), USAGE);
        Ok(Tensor { buffer, shape: shape.to_vec() })
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
        gpu.queue.write_buffer(&self.buffer, 0, bytemuck::cast_slice(data));
        Ok(())
    }

    /// Copies the tensor back to the host.
    pub async fn read(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        let bytes = gpu.read_bytes(&self.buffer, self.byte_len()).await?;
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
        Ok(Tensor { buffer: self.buffer.clone(), shape: shape.to_vec() })
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

    /// The storage buffer.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// The shape as (N, C, H, W), or a shape error naming `op` and `what`.
    pub fn nchw(&self, op: &'static str, what: &str) -> Result<[usize; 4]> {
        match self.shape[..] {
            [n, c, h, w] => Ok([n, c, h, w]),
            _ => Err(Error::shape(op, format!("{what} must be 4-D (N, C, H, W), got {:?}", self.shape))),
        }
    }
}
