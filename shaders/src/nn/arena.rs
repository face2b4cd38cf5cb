//! A network's parameters and their gradients in a few large GPU buffers,
//! each parameter a [`Tensor`] view at an aligned offset.
//!
//! Parameters are laid out in state_dict order, each starting at a multiple
//! of the adapter's storage offset alignment (so a view binds on its own),
//! and packed into chunks of at most one storage binding. The padding between
//! parameters is zero in the values, the gradients and the optimizer moments,
//! and stays zero under Adam (a zero gradient on a zero value moves nothing),
//! so an optimizer runs one dispatch per chunk over all of a network's
//! parameters with no gather or scatter.

use super::params::ParamSpec;
use super::weights::HostTensor;
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Where one parameter lives.
#[derive(Clone, Debug)]
struct Slot {
    chunk: usize,
    start: usize,
    len: usize,
}

/// Parameter values and gradients of one network.
pub struct ParamArena {
    specs: Vec<ParamSpec>,
    slots: Vec<Slot>,
    values: Vec<Tensor>,
    grads: Vec<Tensor>,
}

impl ParamArena {
    /// Lays out `specs` and uploads `data` (one host tensor per spec, in
    /// order); gradients start at zero.
    pub fn new(gpu: &Gpu, specs: Vec<ParamSpec>, data: &[&HostTensor]) -> Result<ParamArena> {
        Self::with_chunk_limit(gpu, specs, data, gpu.max_binding_bytes())
    }

    /// [`ParamArena::new`] with chunks of at most `chunk_bytes` (tests use
    /// small chunks to exercise the layout).
    pub fn with_chunk_limit(
        gpu: &Gpu,
        specs: Vec<ParamSpec>,
        data: &[&HostTensor],
        chunk_bytes: u64,
    ) -> Result<ParamArena> {
        const OP: &str = "ParamArena";
        if data.len() != specs.len() {
            return Err(Error::shape(OP, format!("{} tensors for {} parameters", data.len(), specs.len())));
        }
        let align = (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(1);
        let limit = (chunk_bytes / 4) as usize;
        let mut slots = Vec::with_capacity(specs.len());
        let mut sizes = vec![0usize];
        for s in &specs {
            let len: usize = s.shape.iter().product::<usize>().max(1);
            if len > limit {
                return Err(Error::TooLarge {
                    op: OP,
                    what: format!("parameter `{}` {:?}", s.name, s.shape),
                    bytes: 4 * len as u64,
                    limit: chunk_bytes,
                });
            }
            let mut start = sizes.last().copied().unwrap_or(0).next_multiple_of(align);
            if start + len > limit {
                sizes.push(0);
                start = 0;
            }
            *sizes.last_mut().expect("one chunk at least") = start + len;
            slots.push(Slot { chunk: sizes.len() - 1, start, len });
        }
        let mut host: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n.max(1)]).collect();
        for ((slot, spec), t) in slots.iter().zip(&specs).zip(data) {
            if t.data.len() != slot.len || t.shape != spec.shape {
                return Err(Error::shape(
                    OP,
                    format!("`{}` has shape {:?}, the parameter needs {:?}", spec.name, t.shape, spec.shape),
                ));
            }
            host[slot.chunk][slot.start..][..slot.len].copy_from_slice(&t.data);
        }
        let values = host.iter().map(|h| Tensor::from_slice(gpu, &[h.len()], h)).collect::<Result<Vec<_>>>()?;
        let grads = host.iter().map(|h| Tensor::zeros(gpu, &[h.len()])).collect::<Result<Vec<_>>>()?;
        Ok(ParamArena { specs, slots, values, grads })
    }

    /// Names and shapes, in state_dict order.
    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// Number of parameters (tensors).
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the network has no parameters.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Total number of parameter values, padding excluded.
    pub fn numel(&self) -> usize {
        self.slots.iter().map(|s| s.len).sum()
    }

    fn view_of(&self, chunks: &[Tensor], i: usize) -> Tensor {
        let (slot, spec) = (&self.slots[i], &self.specs[i]);
        let shape = if spec.shape.is_empty() { vec![1] } else { spec.shape.clone() };
        chunks[slot.chunk].view(slot.start, &shape).expect("slots lie inside their chunk")
    }

    /// Parameter `i` as a tensor view.
    pub fn value(&self, i: usize) -> Tensor {
        self.view_of(&self.values, i)
    }

    /// The gradient of parameter `i` as a tensor view.
    pub fn grad(&self, i: usize) -> Tensor {
        self.view_of(&self.grads, i)
    }

    /// The value chunks (what an optimizer updates).
    pub fn value_chunks(&self) -> &[Tensor] {
        &self.values
    }

    /// The gradient chunks, laid out as [`ParamArena::value_chunks`].
    pub fn grad_chunks(&self) -> &[Tensor] {
        &self.grads
    }

    /// Records zeroing every gradient.
    pub fn zero_grads(&self, gpu: &Gpu) {
        self.grads.iter().for_each(|g| gpu.clear(g));
    }

    /// Reads chunk-laid-out data (values, or optimizer moments of the same
    /// layout) back as one flat vector in state_dict order without padding.
    pub async fn gather(&self, gpu: &Gpu, chunks: &[Tensor]) -> Result<Vec<f32>> {
        let mut host = Vec::with_capacity(chunks.len());
        for c in chunks {
            host.push(c.read(gpu).await?);
        }
        let mut out = Vec::with_capacity(self.numel());
        for s in &self.slots {
            out.extend_from_slice(&host[s.chunk][s.start..][..s.len]);
        }
        Ok(out)
    }

    /// The reverse of [`ParamArena::gather`]: a flat vector in state_dict
    /// order laid out into new chunk tensors (zero padding).
    pub fn scatter(&self, gpu: &Gpu, flat: &[f32]) -> Result<Vec<Tensor>> {
        if flat.len() != self.numel() {
            return Err(Error::shape(
                "ParamArena::scatter",
                format!("{} values for {} parameters", flat.len(), self.numel()),
            ));
        }
        let mut host: Vec<Vec<f32>> = self.values.iter().map(|c| vec![0.0; c.len()]).collect();
        let mut at = 0;
        for s in &self.slots {
            host[s.chunk][s.start..][..s.len].copy_from_slice(&flat[at..at + s.len]);
            at += s.len;
        }
        host.iter().map(|h| Tensor::from_slice(gpu, &[h.len()], h)).collect()
    }
}
