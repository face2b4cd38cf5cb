//! CycleGAN (`models/cycle_gan_model.py`): G_A: A -> B, G_B: B -> A, D_A
//! judges domain B, D_B judges domain A; GAN losses, cycle and identity L1,
//! image pools, one Adam for both generators and one for both discriminators.

use super::image_to_image::{self, NetG, NetOptions};
use super::options::{Group, OptionGroup, SizeCheck, TrainOptions};
use super::{default_unset, BenchCase, Data, Demo, ModelCard, ModelSpec, PageForm};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::gan_loss::gan_loss;
use crate::nn::layers::optim::AdamGroup;
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::Mode;
use crate::nn::model::{networks, BoxFuture, Init, Model, ModelInfo, StepOutput, TrainState};
use crate::nn::nets::arch::{DiscriminatorConfig, GanMode, GeneratorConfig};
use crate::nn::nets::arch::{GeneratorArch, Upsampling};
use crate::nn::nets::network::{Architecture, Network};
use crate::nn::pool::ImagePool;
use crate::ops::{add, l1_loss, AdamConfig};
use crate::tensor::Tensor;

/// Loss names in the order of [`StepOutput::losses`], as the reference logs them.
pub const LOSS_NAMES: [&str; 8] = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"];
/// The networks, as the reference names its checkpoint files.
pub const NETWORKS: [&str; 4] = ["G_A", "G_B", "D_A", "D_B"];
/// CycleGAN's names.
pub const INFO: ModelInfo = ModelInfo {
    kind: "cycle_gan",
    networks: &NETWORKS,
    state: &["adam_G", "adam_D", "pool_A", "pool_B"],
    losses: &LOSS_NAMES,
    visuals: &["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"],
    translator: "G_A",
    batch_grid: false,
};

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
    /// The GAN objective (lsgan).
    pub gan_mode: GanMode,
}

impl CycleGanConfig {
    /// The architectures of G_A, G_B, D_A, D_B.
    pub fn architectures(&self) -> [Architecture; 4] {
        let (g, d) = (Architecture::Generator(self.generator), Architecture::Discriminator(self.discriminator));
        [g, g, d, d]
    }
}

/// The four networks, their optimisers and the image pools.
pub struct CycleGan {
    config: CycleGanConfig,
    g_a: Network,
    g_b: Network,
    d_a: Network,
    d_b: Network,
    opt_g: AdamGroup,
    opt_d: AdamGroup,
    pool_a: ImagePool,
    pool_b: ImagePool,
}

impl CycleGan {
    /// Builds the model from fresh weights, networks, or a saved state.
    pub fn new(gpu: &Gpu, config: CycleGanConfig, init: Init) -> Result<CycleGan> {
        let (nets, rest) = networks(gpu, &NETWORKS, &config.architectures(), init)?;
        let [g_a, g_b, d_a, d_b]: [Network; 4] = nets.try_into().map_err(|_| Error::Network("four networks".into()))?;
        let adam = AdamConfig { beta1: config.beta1 as f64, beta2: config.beta2 as f64, ..AdamConfig::default() };
        let opt_g = AdamGroup::new(gpu, &[g_a.params(), g_b.params()], adam)?;
        let opt_d = AdamGroup::new(gpu, &[d_a.params(), d_b.params()], adam)?;
        let mut gan = CycleGan {
            config,
            g_a,
            g_b,
            d_a,
            d_b,
            opt_g,
            opt_d,
            pool_a: ImagePool::new(config.pool_size),
            pool_b: ImagePool::new(config.pool_size),
        };
        if let Some(state) = rest {
            gan.opt_g.restore(gpu, &[gan.g_a.params(), gan.g_b.params()], state.get("adam_G")?, "adam_G")?;
            gan.opt_d.restore(gpu, &[gan.d_a.params(), gan.d_b.params()], state.get("adam_D")?, "adam_D")?;
            gan.pool_a.restore(gpu, state.get("pool_A")?)?;
            gan.pool_b.restore(gpu, state.get("pool_B")?)?;
        }
        Ok(gan)
    }

    /// The configuration.
    pub fn config(&self) -> CycleGanConfig {
        self.config
    }

    /// G_A (A -> B).
    pub fn g_a(&self) -> &Network {
        &self.g_a
    }

    /// G_B (B -> A).
    pub fn g_b(&self) -> &Network {
        &self.g_b
    }
}

impl Model for CycleGan {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    /// One iteration: generators forward, G losses and backward, Adam on both
    /// G; then pooled fakes, D losses and backward, Adam on both D.
    fn step(
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
        let put = |i: usize, t: &Tensor| gpu.copy(t, 0, &losses, 4 * i as u64, 4);
        let m = Mode::TRAIN;

        // Generators: forward with tapes.
        let (fake_b, tape_fb) = self.g_a.forward_train(gpu, real_a, m, Some(rng))?;
        let (rec_a, tape_ra) = self.g_b.forward_train(gpu, &fake_b, m, Some(rng))?;
        let (fake_a, tape_fa) = self.g_b.forward_train(gpu, real_b, m, Some(rng))?;
        let (rec_b, tape_rb) = self.g_a.forward_train(gpu, &fake_a, m, Some(rng))?;
        self.g_a.params().zero_grads(gpu);
        self.g_b.params().zero_grads(gpu);

        // Identity: G_A(real_B) ~ real_B, G_B(real_A) ~ real_A.
        if c.lambda_identity > 0.0 {
            let (idt_a, tape) = self.g_a.forward_train(gpu, real_b, m, Some(rng))?;
            let (loss, grad) = l1_loss(gpu, &idt_a, real_b, c.lambda_b * c.lambda_identity, None)?;
            put(3, &loss);
            self.g_a.backward(gpu, tape, &grad, true, false)?;
            let (idt_b, tape) = self.g_b.forward_train(gpu, real_a, m, Some(rng))?;
            let (loss, grad) = l1_loss(gpu, &idt_b, real_a, c.lambda_a * c.lambda_identity, None)?;
            put(7, &loss);
            self.g_b.backward(gpu, tape, &grad, true, false)?;
        }

        // GAN losses through the (frozen) discriminators, into the fakes.
        let input = |d: &Network, tape, grad: &Tensor| -> Result<Tensor> {
            d.backward(gpu, tape, grad, false, true)?.ok_or_else(|| Error::Network("no input gradient".into()))
        };
        let (score, tape) = self.d_a.forward_train(gpu, &fake_b, m, Some(rng))?;
        let (loss, grad) = gan_loss(gpu, c.gan_mode, &score, true, 1.0)?;
        put(1, &loss);
        let d_fake_b = input(&self.d_a, tape, &grad)?;
        let (score, tape) = self.d_b.forward_train(gpu, &fake_a, m, Some(rng))?;
        let (loss, grad) = gan_loss(gpu, c.gan_mode, &score, true, 1.0)?;
        put(5, &loss);
        let d_fake_a = input(&self.d_b, tape, &grad)?;

        // Cycle losses, back through the second generator into the fakes.
        let through = |g: &Network, tape, grad: &Tensor| -> Result<Tensor> {
            g.backward(gpu, tape, grad, true, true)?.ok_or_else(|| Error::Network("no input gradient".into()))
        };
        let (loss, grad) = l1_loss(gpu, &rec_a, real_a, c.lambda_a, None)?;
        put(2, &loss);
        let d_fake_b = add(gpu, &d_fake_b, &through(&self.g_b, tape_ra, &grad)?)?;
        let (loss, grad) = l1_loss(gpu, &rec_b, real_b, c.lambda_b, None)?;
        put(6, &loss);
        let d_fake_a = add(gpu, &d_fake_a, &through(&self.g_a, tape_rb, &grad)?)?;

        // And through the first generator.
        self.g_a.backward(gpu, tape_fb, &d_fake_b, true, false)?;
        self.g_b.backward(gpu, tape_fa, &d_fake_a, true, false)?;
        self.opt_g.step(gpu, &[self.g_a.params(), self.g_b.params()], lr)?;
        self.g_a.refresh(gpu)?;
        self.g_b.refresh(gpu)?;

        // Discriminators: 0.5 * (GAN(D(real), 1) + GAN(D(pooled fake), 0)).
        self.d_a.params().zero_grads(gpu);
        self.d_b.params().zero_grads(gpu);
        let pooled_b = self.pool_b.query(gpu, &fake_b, rng)?;
        let pooled_a = self.pool_a.query(gpu, &fake_a, rng)?;
        for (i, d, real, fake) in [(0, &self.d_a, real_b, &pooled_b), (4, &self.d_b, real_a, &pooled_a)] {
            let (score, tape) = d.forward_train(gpu, real, m, Some(rng))?;
            let (loss_real, grad) = gan_loss(gpu, c.gan_mode, &score, true, 0.5)?;
            d.backward(gpu, tape, &grad, true, false)?;
            let (score, tape) = d.forward_train(gpu, fake, m, Some(rng))?;
            let (loss_fake, grad) = gan_loss(gpu, c.gan_mode, &score, false, 0.5)?;
            d.backward(gpu, tape, &grad, true, false)?;
            put(i, &add(gpu, &loss_real, &loss_fake)?);
        }
        self.opt_d.step(gpu, &[self.d_a.params(), self.d_b.params()], lr)?;
        self.d_a.refresh(gpu)?;
        self.d_b.refresh(gpu)?;
        gpu.flush()?;
        let visuals = vec![real_a.clone(), fake_b, rec_a, real_b.clone(), fake_a, rec_b];
        Ok(StepOutput { losses, visuals })
    }

    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>> {
        Box::pin(async move {
            let mut files = Vec::new();
            for (name, net) in NETWORKS.iter().zip([&self.g_a, &self.g_b, &self.d_a, &self.d_b]) {
                files.push((name.to_string(), net.to_state_dict(gpu).await?));
            }
            files.push(("adam_G".into(), self.opt_g.state(gpu, &[self.g_a.params(), self.g_b.params()]).await?));
            files.push(("adam_D".into(), self.opt_d.state(gpu, &[self.d_a.params(), self.d_b.params()]).await?));
            files.push(("pool_A".into(), self.pool_a.state(gpu).await?));
            files.push(("pool_B".into(), self.pool_b.state(gpu).await?));
            Ok(TrainState { files })
        })
    }
}

/// CycleGAN's own options (`cycle_gan_model.py`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct CycleGanOptions {
    /// Weight of the cycle loss A -> B -> A.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10.0))]
    pub lambda_a: f32,
    /// Weight of the cycle loss B -> A -> B.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10.0))]
    pub lambda_b: f32,
    /// Weight of the identity loss, relative to the cycle weight of the target domain (0 disables it).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.5))]
    pub lambda_identity: f32,
}

impl Default for CycleGanOptions {
    fn default() -> Self {
        CycleGanOptions { lambda_a: 10.0, lambda_b: 10.0, lambda_identity: 0.5 }
    }
}

impl Group for CycleGanOptions {
    const HEADING: &'static str = "CycleGAN";
}

/// CycleGAN in the registry.
pub struct CycleGanSpec;

impl CycleGanSpec {
    /// The model's configuration from the options.
    pub fn config(o: &TrainOptions) -> CycleGanConfig {
        let (n, c) = (o.get::<NetOptions>(), o.get::<CycleGanOptions>());
        CycleGanConfig {
            generator: n.generator(o.ngf, false),
            discriminator: n.discriminator(3, o.ndf),
            lambda_a: c.lambda_a,
            lambda_b: c.lambda_b,
            lambda_identity: c.lambda_identity,
            beta1: o.beta1,
            beta2: 0.999,
            pool_size: n.pool_size.unwrap_or(50),
            gan_mode: n.gan_mode(),
        }
    }
}

/// CycleGAN, as plain data.
static CARD: ModelCard = ModelCard {
    info: &INFO,
    title: "CycleGAN",
    about: "CycleGAN: unpaired translation between two folders of images",
    groups: &[OptionGroup::of::<NetOptions>(), OptionGroup::of::<CycleGanOptions>()],
    data: Data::Unaligned,
    demo: Demo::Landscapes,
    page: Some(PageForm {
        label: "CycleGAN: two sets of images",
        defaults: r#"{"net_g": "resnet_6blocks", "ngf": 32, "ndf": 32, "load_size": 143, "crop_size": 128,
            "batch_size": 1, "n_epochs": 100, "n_epochs_decay": 100}"#,
        shows: &["net_g", "load_size", "crop_size"],
        fixed: &[],
    }),
};

impl ModelSpec for CycleGanSpec {
    fn card(&self) -> &'static ModelCard {
        &CARD
    }

    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        let resnet6 = NetG(GeneratorArch::Resnet { n_blocks: 6, upsampling: Upsampling::Transposed3 });
        default_unset!(o, unset, name = "demo".into(), n_epochs = 4, n_epochs_decay = 4, display_freq = 40);
        image_to_image::demo_defaults(o, unset, resnet6);
    }

    fn resolve(&self, o: &mut TrainOptions) {
        o.update::<NetOptions>(|n| n.resolve(false));
    }

    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        o.get::<NetOptions>().validate()?;
        let c = o.get::<CycleGanOptions>();
        non_negative(&[
            ("--lambda-a", c.lambda_a),
            ("--lambda-b", c.lambda_b),
            ("--lambda-identity", c.lambda_identity),
        ])
    }

    fn size_check(&self, o: &TrainOptions) -> SizeCheck {
        o.get::<NetOptions>().size_check(o.ngf)
    }

    fn architecture(&self, o: &TrainOptions) -> String {
        let c = Self::config(o);
        image_to_image::architecture(INFO.kind, &c.generator, &c.discriminator)
    }

    fn architectures(&self, o: &TrainOptions) -> Vec<Architecture> {
        Self::config(o).architectures().to_vec()
    }

    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>> {
        Ok(Box::new(CycleGan::new(gpu, Self::config(o), init)?))
    }

    fn generator(&self, o: &TrainOptions) -> Option<GeneratorConfig> {
        Some(Self::config(o).generator)
    }

    fn bench_cases(&self) -> Vec<BenchCase> {
        [(6, 32, 128), (9, 64, 256)]
            .into_iter()
            .map(|(n_blocks, ngf, size)| {
                let net_g = NetG(GeneratorArch::Resnet { n_blocks, upsampling: Upsampling::Transposed3 });
                let mut o = TrainOptions::of(INFO.kind);
                o.ngf = ngf;
                o.update::<NetOptions>(|n| n.net_g = Some(net_g));
                self.resolve(&mut o);
                BenchCase { label: net_g.to_string(), ngf, size, batch: 1, options: o }
            })
            .collect()
    }
}

/// Checks that each weight is a finite number >= 0; the message names the flag.
pub(crate) fn non_negative(weights: &[(&str, f32)]) -> std::result::Result<(), String> {
    for (flag, v) in weights {
        if !(v.is_finite() && *v >= 0.0) {
            return Err(format!("{flag} must be a number >= 0, not {v}"));
        }
    }
    Ok(())
}
