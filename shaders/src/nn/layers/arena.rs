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
//!
//! A parameter larger than one chunk that its spec allows to split
//! ([`ParamSpec::row_blocks`]) is stored as row blocks: whole rows (the
//! first dimension) per chunk, as many as fit, each block starting a chunk.
//! [`ParamArena::value_parts`] gives the blocks, which
//! [`crate::ops::linear_parts`] and its gradients take as they lie.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::HostTensor;
use crate::nn::layers::params::ParamSpec;
use crate::tensor::Tensor;

/// Where one block of rows of a parameter lives.
#[derive(Clone, Debug)]
struct Piece {
    chunk: usize,
    start: usize,
    len: usize,
}

/// Where one parameter lives: one piece, or row blocks in consecutive chunks.
#[derive(Clone, Debug)]
struct Slot {
    pieces: Vec<Piece>,
    /// Values per row (the product of the shape past its first dimension).
    row_len: usize,
}

impl Slot {
    fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.len).sum()
    }
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
            let row_len: usize = s.shape.iter().skip(1).product::<usize>().max(1);
            let too_large = || Error::TooLarge {
                op: OP,
                what: format!("parameter `{}` {:?}", s.name, s.shape),
                bytes: 4 * len as u64,
                limit: chunk_bytes,
            };
            if len > limit {
                // Row blocks, each opening a chunk of its own.
                if !s.row_blocks || row_len > limit {
                    return Err(too_large());
                }
                let rows_per_block = limit / row_len;
                let mut pieces = Vec::new();
                let mut rows = len / row_len;
                while rows > 0 {
                    let r = rows.min(rows_per_block);
                    if *sizes.last().expect("one chunk at least") > 0 {
                        sizes.push(0);
                    }
                    *sizes.last_mut().expect("one chunk at least") = r * row_len;
                    pieces.push(Piece { chunk: sizes.len() - 1, start: 0, len: r * row_len });
                    rows -= r;
                }
                slots.push(Slot { pieces, row_len });
                continue;
            }
            let mut start = sizes.last().copied().unwrap_or(0).next_multiple_of(align);
            if start + len > limit {
                sizes.push(0);
                start = 0;
            }
            *sizes.last_mut().expect("one chunk at least") = start + len;
            slots.push(Slot { pieces: vec![Piece { chunk: sizes.len() - 1, start, len }], row_len });
        }
        let mut host: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n.max(1)]).collect();
        for ((slot, spec), t) in slots.iter().zip(&specs).zip(data) {
            if t.data.len() != slot.len() || t.shape != spec.shape {
                return Err(Error::shape(
                    OP,
                    format!("`{}` has shape {:?}, the parameter needs {:?}", spec.name, t.shape, spec.shape),
                ));
            }
            let mut at = 0;
            for p in &slot.pieces {
                host[p.chunk][p.start..][..p.len].copy_from_slice(&t.data[at..at + p.len]);
                at += p.len;
            }
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
        self.slots.iter().map(Slot::len).sum()
    }

    fn view_of(&self, chunks: &[Tensor], i: usize) -> Tensor {
        let (slot, spec) = (&self.slots[i], &self.specs[i]);
        let [piece] = &slot.pieces[..] else {
            panic!("parameter `{}` is stored as row blocks: take its value_parts", spec.name)
        };
        let shape = if spec.shape.is_empty() { vec![1] } else { spec.shape.clone() };
        chunks[piece.chunk].view(piece.start, &shape).expect("slots lie inside their chunk")
    }

    fn parts_of(&self, chunks: &[Tensor], i: usize) -> Vec<Tensor> {
        let slot = &self.slots[i];
        let view = |p: &Piece| chunks[p.chunk].view(p.start, &[p.len / slot.row_len, slot.row_len]);
        slot.pieces.iter().map(|p| view(p).expect("slots lie inside their chunk")).collect()
    }

    /// Parameter `i` as a tensor view. Panics for a parameter stored as row
    /// blocks ([`ParamArena::is_split`]), which only
    /// [`ParamArena::value_parts`] gives.
    pub fn value(&self, i: usize) -> Tensor {
        self.view_of(&self.values, i)
    }

    /// The gradient of parameter `i` as a tensor view (see
    /// [`ParamArena::value`]).
    pub fn grad(&self, i: usize) -> Tensor {
        self.view_of(&self.grads, i)
    }

    /// Whether parameter `i` is stored as more than one row block.
    pub fn is_split(&self, i: usize) -> bool {
        self.slots[i].pieces.len() > 1
    }

    /// Parameter `i` as row blocks `[rows, row length]` in row order (one
    /// block when it fits a chunk).
    pub fn value_parts(&self, i: usize) -> Vec<Tensor> {
        self.parts_of(&self.values, i)
    }

    /// The gradient of parameter `i` as row blocks, as
    /// [`ParamArena::value_parts`].
    pub fn grad_parts(&self, i: usize) -> Vec<Tensor> {
        self.parts_of(&self.grads, i)
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
        for p in self.slots.iter().flat_map(|s| &s.pieces) {
            out.extend_from_slice(&host[p.chunk][p.start..][..p.len]);
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
        for p in self.slots.iter().flat_map(|s| &s.pieces) {
            host[p.chunk][p.start..][..p.len].copy_from_slice(&flat[at..at + p.len]);
            at += p.len;
        }
        host.iter().map(|h| Tensor::from_slice(gpu, &[h.len()], h)).collect()
    }
}
