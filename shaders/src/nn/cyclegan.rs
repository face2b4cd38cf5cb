//! The CycleGAN training step on the GPU with the reference semantics:
//! G_A: A -> B, G_B: B -> A, D_A judges domain B, D_B judges domain A; LSGAN
//! losses, cycle and identity L1, image pools, one Adam for both generators
//! and one for both discriminators.

use super::discriminator::{DiscriminatorConfig, NLayerDiscriminator};
use super::generator::{GeneratorConfig, ResnetGenerator};
use super::params::{init_normal, SplitMix64};
use super::weights::{HostTensor, StateDict};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::{add, l1_loss, mse_loss_const, Adam, AdamConfig};
use crate::tensor::Tensor;

/// Loss names in the order of [`StepOutput::losses`], as the reference logs them.
pub const LOSS_NAMES: [&str; 8] = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"];

/// Hyper-parameters of the model and its optimisers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CycleGanConfig {
    /// Both generators' architecture.
    pub generator: GeneratorConfig,
    /// Both discriminators' architecture.
    pub discriminator: DiscriminatorConfig,
    /// Weight of the A -> B -> A cycle loss (10).
    pub lambda_a: f32,
    /// Weight of the B -> A -> B cycle loss (10).
    pub lambda_b: f32,
    /// Identity loss weight relative to the cycle weight of the target domain (0.5; 0 disables).
    pub lambda_identity: f32,
    /// Adam beta1 (0.5).
    pub beta1: f32,
    /// Adam beta2 (0.999).
    pub beta2: f32,
    /// Fakes kept per discriminator for its history (50; 0 disables the pool).
    pub pool_size: usize,
}

/// Everything needed to resume training exactly: the four networks, both
/// optimisers, and both image pools.
#[derive(Clone, Debug)]
pub struct TrainState {
    /// G_A, G_B, D_A, D_B in reference layout, with metadata.
    pub nets: [StateDict; 4],
    /// Adam of the generators: tensors `m`, `v` (flat, G_A then G_B), metadata `step`.
    pub adam_g: StateDict,
    /// Adam of the discriminators (D_A then D_B), as `adam_g`.
    pub adam_d: StateDict,
    /// Pooled fake A images (for D_B), each [N, 3, H, W], oldest first.
    pub pool_a: Vec<HostTensor>,
    /// Pooled fake B images (for D_A).
    pub pool_b: Vec<HostTensor>,
}

/// What one training iteration leaves on the GPU.
pub struct StepOutput {
    /// The eight losses as a [8] tensor in [`LOSS_NAMES`] order; read it back
    /// only when logging.
    pub losses: Tensor,
    /// G_B(real_B).
    pub fake_a: Tensor,
    /// G_A(real_A).
    pub fake_b: Tensor,
    /// G_B(G_A(real_A)).
    pub rec_a: Tensor,
    /// G_A(G_B(real_B)).
    pub rec_b: Tensor,
}

/// Parameters of one or two networks in one flat buffer for Adam, next to the
/// per-layer tensors the kernels read, and per-layer gradient accumulators.
struct Group {
    flat: Tensor,
    flat_grad: Tensor,
    grads: Vec<Vec<Tensor>>,
    adam: Adam,
}

impl Group {
    fn new(gpu: &Gpu, nets: &[&[Tensor]], adam: AdamConfig) -> Result<Group> {
        let len: usize = nets.iter().flat_map(|p| p.iter()).map(Tensor::len).sum();
        let flat = Tensor::empty(gpu, &[len])?;
        for_each_slot(nets, |t, offset| gpu.copy(&t, 0, &flat, offset, t.byte_len()));
        let grads =
            nets.iter().map(|p| p.iter().map(|t| Tensor::zeros(gpu, t.shape())).collect()).collect::<Result<_>>()?;
        Ok(Group { flat, flat_grad: Tensor::empty(gpu, &[len])?, grads, adam: Adam::new(gpu, len, adam)? })
    }

    fn zero_grads(&self, gpu: &Gpu) {
        self.grads.iter().flatten().for_each(|g| gpu.clear(g));
    }

    /// Gathers the gradients, runs Adam once over the flat buffer, and
    /// scatters the new parameters back into the per-layer tensors.
    fn update(&mut self, gpu: &Gpu, nets: &[&[Tensor]], lr: f32) -> Result<()> {
        let grads: Vec<&[Tensor]> = self.grads.iter().map(Vec::as_slice).collect();
        for_each_slot(&grads, |g, offset| gpu.copy(&g, 0, &self.flat_grad, offset, g.byte_len()));
        self.adam.step(gpu, &self.flat, &self.flat_grad, lr)?;
        for_each_slot(nets, |t, offset| gpu.copy(&self.flat, offset, &t, 0, t.byte_len()));
        Ok(())
    }

    async fn state(&self, gpu: &Gpu) -> Result<StateDict> {
        let mut sd = StateDict::new();
        for (name, t) in [("m", self.adam.m()), ("v", self.adam.v())] {
            sd.insert(name, HostTensor::new(vec![t.len()], t.read(gpu).await?))
                .map_err(|e| Error::Network(e.to_string()))?;
        }
        sd.set_metadata("step", self.adam.t().to_string());
        Ok(sd)
    }

    fn restore(&mut self, gpu: &Gpu, sd: &StateDict, what: &str) -> Result<()> {
        let len = self.flat.len();
        let get = |name: &str| -> Result<Tensor> {
            match sd.get(name) {
                Some(t) if t.data.len() == len => Tensor::from_slice(gpu, &[len], &t.data),
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
        self.adam = Adam::from_state(self.adam.config(), get("m")?, get("v")?, t)?;
        Ok(())
    }
}

/// Calls `f(tensor, byte offset in the flat buffer)` for every parameter.
fn for_each_slot(nets: &[&[Tensor]], mut f: impl FnMut(&Tensor, u64)) {
    let mut offset = 0;
    for t in nets.iter().flat_map(|p| p.iter()) {
        f(t, offset);
        offset += t.byte_len();
    }
}

/// The reference's ImagePool: up to `size` earlier fakes; each query returns,
/// per image, either the new fake (adding it while the pool fills, or with
/// probability 1/2 once full) or a random pooled one that the new fake replaces.
struct ImagePool {
    size: usize,
    images: Vec<Tensor>,
}

impl ImagePool {
    fn query(&mut self, gpu: &Gpu, fakes: &Tensor, rng: &mut SplitMix64) -> Result<Tensor> {
        if self.size == 0 {
            return Ok(fakes.clone());
        }
        let [n, c, h, w] = fakes.nchw("ImagePool", "fakes")?;
        let one = (c * h * w * 4) as u64;
        let out = if n == 1 { None } else { Some(Tensor::empty(gpu, fakes.shape())?) };
        let mut result = fakes.clone();
        for i in 0..n {
            let image = if n == 1 {
                fakes.clone()
            } else {
                let t = Tensor::empty(gpu, &[1, c, h, w])?;
                gpu.copy(&fakes, i as u64 * one, &t, 0, one);
                t
            };
            let chosen = if self.images.len() < self.size {
                self.images.push(image.clone());
                image
            } else if rng.uniform() > 0.5 {
                let id = (rng.next_u64() % self.size as u64) as usize;
                std::mem::replace(&mut self.images[id], image)
            } else {
                image
            };
            match &out {
                Some(o) => gpu.copy(&chosen, 0, &o, i as u64 * one, one),
                None => result = chosen,
            }
        }
        Ok(out.unwrap_or(result))
    }
}

/// The four networks, their gradients and optimisers, and the image pools.
pub struct CycleGan {
    config: CycleGanConfig,
    g_a: ResnetGenerator,
    g_b: ResnetGenerator,
    d_a: NLayerDiscriminator,
    d_b: NLayerDiscriminator,
    opt_g: Group,
    opt_d: Group,
    pool_a: ImagePool,
    pool_b: ImagePool,
}

impl CycleGan {
    /// Fresh networks initialised N(0, 0.02) from `seed`.
    pub fn new(gpu: &Gpu, config: CycleGanConfig, seed: u64) -> Result<CycleGan> {
        let (g, d) = (config.generator.param_specs(), config.discriminator.param_specs());
        let mut rng = SplitMix64(seed);
        let nets = [&g, &g, &d, &d].map(|specs| init_normal(specs, rng.next_u64()));
        Self::from_nets(gpu, config, nets)
    }

    /// Networks from state_dicts G_A, G_B, D_A, D_B; fresh optimisers and pools.
    pub fn from_nets(gpu: &Gpu, config: CycleGanConfig, nets: [StateDict; 4]) -> Result<CycleGan> {
        let [ga, gb, da, db] = &nets;
        let named = |name: &'static str| move |e: Error| Error::Network(format!("{name}: {e}"));
        let g_a = ResnetGenerator::with_config(gpu, config.generator, ga).map_err(named("G_A"))?;
        let g_b = ResnetGenerator::with_config(gpu, config.generator, gb).map_err(named("G_B"))?;
        let d_a = NLayerDiscriminator::with_config(gpu, config.discriminator, da).map_err(named("D_A"))?;
        let d_b = NLayerDiscriminator::with_config(gpu, config.discriminator, db).map_err(named("D_B"))?;
        let adam = AdamConfig { beta1: config.beta1 as f64, beta2: config.beta2 as f64, ..AdamConfig::default() };
        let opt_g = Group::new(gpu, &[g_a.params(), g_b.params()], adam)?;
        let opt_d = Group::new(gpu, &[d_a.params(), d_b.params()], adam)?;
        let pool = || ImagePool { size: config.pool_size, images: Vec::new() };
        Ok(CycleGan { config, g_a, g_b, d_a, d_b, opt_g, opt_d, pool_a: pool(), pool_b: pool() })
    }

    /// Resumes from a saved [`TrainState`].
    pub fn from_state(gpu: &Gpu, config: CycleGanConfig, state: TrainState) -> Result<CycleGan> {
        let mut gan = Self::from_nets(gpu, config, state.nets)?;
        gan.opt_g.restore(gpu, &state.adam_g, "generator optimizer")?;
        gan.opt_d.restore(gpu, &state.adam_d, "discriminator optimizer")?;
        for (pool, images) in [(&mut gan.pool_a, state.pool_a), (&mut gan.pool_b, state.pool_b)] {
            pool.images = images.iter().map(|t| Tensor::from_slice(gpu, &t.shape, &t.data)).collect::<Result<_>>()?;
            pool.images.truncate(config.pool_size);
        }
        Ok(gan)
    }

    /// The configuration.
    pub fn config(&self) -> CycleGanConfig {
        self.config
    }

    /// G_A (A -> B).
    pub fn g_a(&self) -> &ResnetGenerator {
        &self.g_a
    }

    /// G_B (B -> A).
    pub fn g_b(&self) -> &ResnetGenerator {
        &self.g_b
    }

    /// Snapshot of everything needed to resume (reads the GPU back).
    pub async fn state(&self, gpu: &Gpu) -> Result<TrainState> {
        let mut pools = Vec::new();
        for pool in [&self.pool_a, &self.pool_b] {
            let mut images = Vec::new();
            for t in &pool.images {
                images.push(HostTensor::new(t.shape().to_vec(), t.read(gpu).await?));
            }
            pools.push(images);
        }
        let pool_b = pools.pop().unwrap_or_default();
        let pool_a = pools.pop().unwrap_or_default();
        Ok(TrainState {
            nets: [
                self.g_a.to_state_dict(gpu).await?,
                self.g_b.to_state_dict(gpu).await?,
                self.d_a.to_state_dict(gpu).await?,
                self.d_b.to_state_dict(gpu).await?,
            ],
            adam_g: self.opt_g.state(gpu).await?,
            adam_d: self.opt_d.state(gpu).await?,
            pool_a,
            pool_b,
        })
    }

    /// One iteration: generators forward, G losses and backward, Adam on both
    /// G; then pooled fakes, D losses and backward, Adam on both D. `real_a`
    /// and `real_b` are [N, 3, H, W] in [-1, 1]; `rng` drives the pools.
    /// Everything is recorded and submitted; nothing is read back.
    pub fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        real_b: &Tensor,
        lr: f32,
        rng: &mut SplitMix64,
    ) -> Result<StepOutput> {
        let c = self.config;
        if real_a.shape() != real_b.shape() {
            return Err(Error::shape(
                "CycleGan::step",
                format!("real_A {:?} and real_B {:?} differ in shape", real_a.shape(), real_b.shape()),
            ));
        }
        let losses = Tensor::zeros(gpu, &[8])?;
        let put = |i: usize, t: &Tensor| gpu.copy(&t, 0, &losses, 4 * i as u64, 4);

        // Generators: forward with tapes.
        let (fake_b, tape_fb) = self.g_a.forward_train(gpu, real_a)?;
        let (rec_a, tape_ra) = self.g_b.forward_train(gpu, &fake_b)?;
        let (fake_a, tape_fa) = self.g_b.forward_train(gpu, real_b)?;
        let (rec_b, tape_rb) = self.g_a.forward_train(gpu, &fake_a)?;
        self.opt_g.zero_grads(gpu);
        let (ga_grads, gb_grads) = (&self.opt_g.grads[0], &self.opt_g.grads[1]);

        // Identity: G_A(real_B) ~ real_B, G_B(real_A) ~ real_A.
        if c.lambda_identity > 0.0 {
            let (idt_a, tape) = self.g_a.forward_train(gpu, real_b)?;
            let (loss, grad) = l1_loss(gpu, &idt_a, real_b, c.lambda_b * c.lambda_identity, None)?;
            put(3, &loss);
            self.g_a.backward(gpu, &tape, &grad, ga_grads, false)?;
            let (idt_b, tape) = self.g_b.forward_train(gpu, real_a)?;
            let (loss, grad) = l1_loss(gpu, &idt_b, real_a, c.lambda_a * c.lambda_identity, None)?;
            put(7, &loss);
            self.g_b.backward(gpu, &tape, &grad, gb_grads, false)?;
        }

        // GAN losses through the (fixed) discriminators, into the fakes.
        let (score, tape) = self.d_a.forward_train(gpu, &fake_b)?;
        let (loss, grad) = mse_loss_const(gpu, &score, 1.0, 1.0, None)?;
        put(1, &loss);
        let d_fake_b = self.d_a.backward(gpu, &tape, &grad, None, true)?.expect("input gradient requested");
        let (score, tape) = self.d_b.forward_train(gpu, &fake_a)?;
        let (loss, grad) = mse_loss_const(gpu, &score, 1.0, 1.0, None)?;
        put(5, &loss);
        let d_fake_a = self.d_b.backward(gpu, &tape, &grad, None, true)?.expect("input gradient requested");

        // Cycle losses, back through the second generator into the fakes.
        let (loss, grad) = l1_loss(gpu, &rec_a, real_a, c.lambda_a, None)?;
        put(2, &loss);
        let d = self.g_b.backward(gpu, &tape_ra, &grad, gb_grads, true)?.expect("input gradient requested");
        let d_fake_b = add(gpu, &d_fake_b, &d)?;
        let (loss, grad) = l1_loss(gpu, &rec_b, real_b, c.lambda_b, None)?;
        put(6, &loss);
        let d = self.g_a.backward(gpu, &tape_rb, &grad, ga_grads, true)?.expect("input gradient requested");
        let d_fake_a = add(gpu, &d_fake_a, &d)?;

        // And through the first generator.
        self.g_a.backward(gpu, &tape_fb, &d_fake_b, ga_grads, false)?;
        self.g_b.backward(gpu, &tape_fa, &d_fake_a, gb_grads, false)?;
        self.opt_g.update(gpu, &[self.g_a.params(), self.g_b.params()], lr)?;
        self.g_a.repack(gpu)?;
        self.g_b.repack(gpu)?;

        // Discriminators: 0.5 * (MSE(D(real), 1) + MSE(D(pooled fake), 0)).
        self.opt_d.zero_grads(gpu);
        let pooled_b = self.pool_b.query(gpu, &fake_b, rng)?;
        let pooled_a = self.pool_a.query(gpu, &fake_a, rng)?;
        for (i, d, grads, real, fake) in [
            (0, &self.d_a, &self.opt_d.grads[0], real_b, &pooled_b),
            (4, &self.d_b, &self.opt_d.grads[1], real_a, &pooled_a),
        ] {
            let (score, tape) = d.forward_train(gpu, real)?;
            let (loss_real, grad) = mse_loss_const(gpu, &score, 1.0, 0.5, None)?;
            d.backward(gpu, &tape, &grad, Some(grads), false)?;
            let (score, tape) = d.forward_train(gpu, fake)?;
            let (loss_fake, grad) = mse_loss_const(gpu, &score, 0.0, 0.5, None)?;
            d.backward(gpu, &tape, &grad, Some(grads), false)?;
            put(i, &add(gpu, &loss_real, &loss_fake)?);
        }
        self.opt_d.update(gpu, &[self.d_a.params(), self.d_b.params()], lr)?;
        self.d_a.repack(gpu)?;
        self.d_b.repack(gpu)?;
        gpu.flush()?;
        Ok(StepOutput { losses, fake_a, fake_b, rec_a, rec_b })
    }
}
