//! pix2pix (`models/pix2pix_model.py`): a generator G: A -> B and a
//! conditional discriminator D on cat(A, B); D steps first on
//! 0.5 (GAN(D(A, G(A)), fake) + GAN(D(A, B), real)) in two separate calls
//! (separate batch statistics), then G on GAN(D(A, G(A)), real) +
//! lambda_L1 |G(A) - B| through the just-updated D.

use super::cyclegan::non_negative;
use super::image_to_image::{self, NetG, NetOptions};
use super::options::{Group, OptionGroup, SizeCheck, TrainOptions};
use super::{default_unset, BenchCase, Data, Demo, ModelCard, ModelSpec, PageForm};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::gan_loss::{gan_loss, gan_loss_scaled};
use crate::nn::layers::optim::AdamGroup;
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::Mode;
use crate::nn::model::{networks, BoxFuture, Init, Model, ModelInfo, StepOutput, TrainState};
use crate::nn::nets::arch::GeneratorArch;
use crate::nn::nets::arch::{DiscriminatorConfig, GanMode, GeneratorConfig};
use crate::nn::nets::network::{Architecture, Network};
use crate::nn::pool::ImagePool;
use crate::ops::{concat_channels, concat_channels_backward_input, l1_loss, AdamConfig};
use crate::tensor::Tensor;

/// Loss names in the order of [`StepOutput::losses`], as the reference logs them.
pub const LOSS_NAMES: [&str; 4] = ["G_GAN", "G_L1", "D_real", "D_fake"];
/// The networks, as the reference names its checkpoint files.
pub const NETWORKS: [&str; 2] = ["G", "D"];
/// pix2pix's names.
pub const INFO: ModelInfo = ModelInfo {
    kind: "pix2pix",
    networks: &NETWORKS,
    state: &["adam_G", "adam_D", "pool_AB"],
    losses: &LOSS_NAMES,
    visuals: &["real_A", "fake_B", "real_B"],
    translator: "G",
    batch_grid: false,
};

/// Hyper-parameters of the model and its optimisers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pix2PixConfig {
    /// The generator (unet_256, batch norm, dropout in the reference).
    pub generator: GeneratorConfig,
    /// The discriminator; its input is cat(A, B), so input_nc = A's + B's channels.
    pub discriminator: DiscriminatorConfig,
    /// Weight of the L1 loss (100).
    pub lambda_l1: f32,
    /// Adam beta1 (0.5).
    pub beta1: f32,
    /// Adam beta2 (0.999).
    pub beta2: f32,
    /// Fake pairs kept for the discriminator's history (0: none, the reference's pix2pix default).
    pub pool_size: usize,
    /// The GAN objective (vanilla).
    pub gan_mode: GanMode,
}

/// The two networks, their optimisers and the (usually empty) pool.
pub struct Pix2Pix {
    config: Pix2PixConfig,
    g: Network,
    d: Network,
    opt_g: AdamGroup,
    opt_d: AdamGroup,
    pool: ImagePool,
}

impl Pix2Pix {
    /// Builds the model from fresh weights, networks, or a saved state.
    pub fn new(gpu: &Gpu, config: Pix2PixConfig, init: Init) -> Result<Pix2Pix> {
        let g_in = config.generator.input_nc + config.generator.output_nc;
        if config.discriminator.input_nc != g_in {
            return Err(Error::Network(format!(
                "pix2pix: the discriminator takes cat(A, B), {g_in} channels, not {}",
                config.discriminator.input_nc
            )));
        }
        let archs = [Architecture::Generator(config.generator), Architecture::Discriminator(config.discriminator)];
        let (nets, rest) = networks(gpu, &NETWORKS, &archs, init)?;
        let [g, d]: [Network; 2] = nets.try_into().map_err(|_| Error::Network("two networks".into()))?;
        let adam = AdamConfig { beta1: config.beta1 as f64, beta2: config.beta2 as f64, ..AdamConfig::default() };
        let opt_g = AdamGroup::new(gpu, &[g.params()], adam)?;
        let opt_d = AdamGroup::new(gpu, &[d.params()], adam)?;
        let mut model = Pix2Pix { config, g, d, opt_g, opt_d, pool: ImagePool::new(config.pool_size) };
        if let Some(state) = rest {
            model.opt_g.restore(gpu, &[model.g.params()], state.get("adam_G")?, "adam_G")?;
            model.opt_d.restore(gpu, &[model.d.params()], state.get("adam_D")?, "adam_D")?;
            model.pool.restore(gpu, state.get("pool_AB")?)?;
        }
        Ok(model)
    }

    /// The configuration.
    pub fn config(&self) -> Pix2PixConfig {
        self.config
    }

    /// The generator.
    pub fn g(&self) -> &Network {
        &self.g
    }

    /// The discriminator.
    pub fn d(&self) -> &Network {
        &self.d
    }
}

impl Model for Pix2Pix {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        real_b: &Tensor,
        lr: f32,
        rng: &mut SplitMix64,
    ) -> Result<StepOutput> {
        let c = self.config;
        let [n, ca, h, w] = real_a.nchw("Pix2Pix::step", "real_A")?;
        let [nb, _, hb, wb] = real_b.nchw("Pix2Pix::step", "real_B")?;
        if (n, h, w) != (nb, hb, wb) {
            return Err(Error::shape(
                "Pix2Pix::step",
                format!("real_A {:?} and real_B {:?} differ in size", real_a.shape(), real_b.shape()),
            ));
        }
        let losses = Tensor::zeros(gpu, &[4])?;
        let put = |i: usize, t: &Tensor| gpu.copy(t, 0, &losses, 4 * i as u64, 4);
        let m = Mode::TRAIN;
        let no_input = || Error::Network("no input gradient".into());

        // fake_B = G(A), keeping the tape (and the dropout masks) for the G step.
        let (fake_b, tape_g) = self.g.forward_train(gpu, real_a, m, Some(rng))?;
        let fake_ab = concat_channels(gpu, real_a, &fake_b)?;
        let real_ab = concat_channels(gpu, real_a, real_b)?;

        // D: fake (detached) and real pairs in separate calls.
        self.d.params().zero_grads(gpu);
        let pooled = self.pool.query(gpu, &fake_ab, rng)?;
        let (pred, tape) = self.d.forward_train(gpu, &pooled, m, Some(rng))?;
        let (loss, grad) = gan_loss_scaled(gpu, c.gan_mode, &pred, false, 1.0, 0.5)?;
        put(3, &loss);
        self.d.backward(gpu, tape, &grad, true, false)?;
        let (pred, tape) = self.d.forward_train(gpu, &real_ab, m, Some(rng))?;
        let (loss, grad) = gan_loss_scaled(gpu, c.gan_mode, &pred, true, 1.0, 0.5)?;
        put(2, &loss);
        self.d.backward(gpu, tape, &grad, true, false)?;
        self.opt_d.step(gpu, &[self.d.params()], lr)?;
        self.d.refresh(gpu)?;

        // G: through the updated (frozen) D into fake_B, plus L1.
        self.g.params().zero_grads(gpu);
        let (pred, tape) = self.d.forward_train(gpu, &fake_ab, m, Some(rng))?;
        let (loss, grad) = gan_loss(gpu, c.gan_mode, &pred, true, 1.0)?;
        put(0, &loss);
        let d_ab = self.d.backward(gpu, tape, &grad, false, true)?.ok_or_else(no_input)?;
        let (_, d_fake_b) = concat_channels_backward_input(gpu, &d_ab, ca)?;
        let (loss, d_fake_b) = l1_loss(gpu, &fake_b, real_b, c.lambda_l1, Some(&d_fake_b))?;
        put(1, &loss);
        self.g.backward(gpu, tape_g, &d_fake_b, true, false)?;
        self.opt_g.step(gpu, &[self.g.params()], lr)?;
        self.g.refresh(gpu)?;
        gpu.flush()?;
        Ok(StepOutput { losses, visuals: vec![real_a.clone(), fake_b, real_b.clone()] })
    }

    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>> {
        Box::pin(async move {
            let files = vec![
                ("G".to_string(), self.g.to_state_dict(gpu).await?),
                ("D".to_string(), self.d.to_state_dict(gpu).await?),
                ("adam_G".to_string(), self.opt_g.state(gpu, &[self.g.params()]).await?),
                ("adam_D".to_string(), self.opt_d.state(gpu, &[self.d.params()]).await?),
                ("pool_AB".to_string(), self.pool.state(gpu).await?),
            ];
            Ok(TrainState { files })
        })
    }
}

/// pix2pix's own options (`pix2pix_model.py`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct Pix2PixOptions {
    /// pix2pix: weight of the L1 loss between G(A) and B.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 100.0))]
    pub lambda_l1: f32,
}

impl Default for Pix2PixOptions {
    fn default() -> Self {
        Pix2PixOptions { lambda_l1: 100.0 }
    }
}

impl Group for Pix2PixOptions {
    const HEADING: &'static str = "pix2pix";
}

/// pix2pix in the registry.
pub struct Pix2PixSpec;

impl Pix2PixSpec {
    /// The model's configuration from the options.
    pub fn config(o: &TrainOptions) -> Pix2PixConfig {
        let n = o.get::<NetOptions>();
        Pix2PixConfig {
            generator: n.generator(o.ngf, true),
            discriminator: n.discriminator(6, o.ndf),
            lambda_l1: o.get::<Pix2PixOptions>().lambda_l1,
            beta1: o.beta1,
            beta2: 0.999,
            pool_size: n.pool_size.unwrap_or(0),
            gan_mode: n.gan_mode(),
        }
    }
}

/// pix2pix, as plain data.
static CARD: ModelCard = ModelCard {
    info: &INFO,
    title: "pix2pix",
    about: "pix2pix: paired translation from one folder of A|B side-by-side images",
    groups: &[OptionGroup::of::<NetOptions>(), OptionGroup::of::<Pix2PixOptions>()],
    data: Data::Aligned,
    demo: Demo::Facades,
    page: Some(PageForm {
        label: "pix2pix: A|B pairs",
        defaults: r#"{"net_g": "unet_128", "ngf": 32, "ndf": 32, "load_size": 143, "crop_size": 128,
            "batch_size": 1, "n_epochs": 100, "n_epochs_decay": 100}"#,
        shows: &["net_g", "direction", "load_size", "crop_size"],
        fixed: &[],
    }),
};

impl ModelSpec for Pix2PixSpec {
    fn card(&self) -> &'static ModelCard {
        &CARD
    }

    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(o, unset, name = "demo_pix2pix".into(), n_epochs = 5, n_epochs_decay = 5, display_freq = 48);
        image_to_image::demo_defaults(o, unset, NetG(GeneratorArch::Unet { num_downs: 6 }));
    }

    fn resolve(&self, o: &mut TrainOptions) {
        o.update::<NetOptions>(|n| n.resolve(true));
    }

    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        o.get::<NetOptions>().validate()?;
        non_negative(&[("--lambda-l1", o.get::<Pix2PixOptions>().lambda_l1)])
    }

    fn size_check(&self, o: &TrainOptions) -> SizeCheck {
        o.get::<NetOptions>().size_check(o.ngf)
    }

    fn architecture(&self, o: &TrainOptions) -> String {
        let c = Self::config(o);
        image_to_image::architecture(INFO.kind, &c.generator, &c.discriminator)
    }

    fn architectures(&self, o: &TrainOptions) -> Vec<Architecture> {
        let c = Self::config(o);
        vec![Architecture::Generator(c.generator), Architecture::Discriminator(c.discriminator)]
    }

    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>> {
        Ok(Box::new(Pix2Pix::new(gpu, Self::config(o), init)?))
    }

    fn generator(&self, o: &TrainOptions) -> Option<GeneratorConfig> {
        Some(Self::config(o).generator)
    }

    fn bench_cases(&self) -> Vec<BenchCase> {
        [(7, 32, 128), (8, 64, 256)]
            .into_iter()
            .map(|(num_downs, ngf, size)| {
                let net_g = NetG(GeneratorArch::Unet { num_downs });
                let mut o = TrainOptions::of(INFO.kind);
                o.ngf = ngf;
                o.update::<NetOptions>(|n| n.net_g = Some(net_g));
                self.resolve(&mut o);
                BenchCase { label: net_g.to_string(), ngf, size, batch: 1, options: o }
            })
            .collect()
    }
}
