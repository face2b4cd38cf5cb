//! Optimizers over network parameter arenas.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::io::weights::{HostTensor, StateDict};
use crate::nn::layers::arena::ParamArena;
use crate::ops::{adam_update, AdamConfig};
use crate::tensor::Tensor;

/// torch.optim.Adam over the parameters of one or more networks (one
/// optimizer for both CycleGAN generators, say): one dispatch per arena
/// chunk, moments laid out as the chunks, one step count.
pub struct AdamGroup {
    config: AdamConfig,
    /// Per network, per chunk: (m, v).
    moments: Vec<Vec<(Tensor, Tensor)>>,
    t: u64,
}

impl AdamGroup {
    /// Fresh moments (zero) for the networks' arenas, in order.
    pub fn new(gpu: &Gpu, arenas: &[&ParamArena], config: AdamConfig) -> Result<AdamGroup> {
        let moments = arenas
            .iter()
            .map(|a| {
                a.value_chunks()
                    .iter()
                    .map(|c| Ok((Tensor::zeros(gpu, c.shape())?, Tensor::zeros(gpu, c.shape())?)))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        Ok(AdamGroup { config, moments, t: 0 })
    }

    /// The hyperparameters.
    pub fn config(&self) -> AdamConfig {
        self.config
    }

    /// Updates taken so far.
    pub fn t(&self) -> u64 {
        self.t
    }

    fn check(&self, arenas: &[&ParamArena]) -> Result<()> {
        let fits = arenas.len() == self.moments.len()
            && arenas.iter().zip(&self.moments).all(|(a, m)| a.value_chunks().len() == m.len());
        if !fits {
            return Err(Error::Network("AdamGroup: called with other networks than it was made for".into()));
        }
        Ok(())
    }

    /// Records one Adam update of every parameter from its accumulated gradient.
    pub fn step(&mut self, gpu: &Gpu, arenas: &[&ParamArena], lr: f32) -> Result<()> {
        self.check(arenas)?;
        let t = self.t + 1;
        for (arena, moments) in arenas.iter().zip(&self.moments) {
            for ((p, g), (m, v)) in arena.value_chunks().iter().zip(arena.grad_chunks()).zip(moments) {
                adam_update(gpu, self.config, t, lr, p, g, m, v)?;
            }
        }
        self.t = t;
        Ok(())
    }

    /// The state to save: tensors `m` and `v`, each every parameter of the
    /// networks in order, flat and without padding, and metadata `step`.
    pub async fn state(&self, gpu: &Gpu, arenas: &[&ParamArena]) -> Result<StateDict> {
        self.check(arenas)?;
        let mut sd = StateDict::new();
        for (name, pick) in [("m", 0), ("v", 1)] {
            let mut flat = Vec::new();
            for (arena, moments) in arenas.iter().zip(&self.moments) {
                let chunks: Vec<Tensor> =
                    moments.iter().map(|(m, v)| if pick == 0 { m.clone() } else { v.clone() }).collect();
                flat.extend(arena.gather(gpu, &chunks).await?);
            }
            sd.insert(name, HostTensor::new(vec![flat.len()], flat)).map_err(|e| Error::Network(e.to_string()))?;
        }
        sd.set_metadata("step", self.t.to_string());
        Ok(sd)
    }

    /// Restores a saved [`AdamGroup::state`]; `what` names it in errors.
    pub fn restore(&mut self, gpu: &Gpu, arenas: &[&ParamArena], sd: &StateDict, what: &str) -> Result<()> {
        self.check(arenas)?;
        let len: usize = arenas.iter().map(|a| a.numel()).sum();
        let get = |name: &str| -> Result<&[f32]> {
            match sd.get(name) {
                Some(t) if t.data.len() == len => Ok(&t.data),
                Some(t) => Err(Error::Network(format!(
                    "{what}: `{name}` holds {} values, the networks have {len} parameters",
                    t.data.len()
                ))),
                None => Err(Error::Network(format!("{what}: no `{name}` tensor"))),
            }
        };
        let t = sd
            .metadata()
            .get("step")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::Network(format!("{what}: no `step` metadata")))?;
        let (m, v) = (get("m")?, get("v")?);
        let mut at = 0;
        let mut moments = Vec::with_capacity(arenas.len());
        for arena in arenas {
            let n = arena.numel();
            let ms = arena.scatter(gpu, &m[at..at + n])?;
            let vs = arena.scatter(gpu, &v[at..at + n])?;
            moments.push(ms.into_iter().zip(vs).collect());
            at += n;
        }
        self.moments = moments;
        self.t = t;
        Ok(())
    }
}
