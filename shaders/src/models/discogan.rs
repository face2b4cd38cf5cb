//! DiscoGAN (SKTBrain/DiscoGAN `discogan/image_translation.py`): two
//! encoder-decoder generators, G_B: A -> B and G_A: B -> A (the reference's
//! `generator_B` and `generator_A`), and two discriminators that also
//! return their features. Every iteration computes everything: AB = G_B(A),
//! BA = G_A(B), ABA = G_A(AB), BAB = G_B(BA); MSE reconstructions of A and
//! B; for each domain the GAN losses (D: 0.5 BCE(D(real), 1) + 0.5
//! BCE(D(fake), 0); G: BCE(D(fake), 1)) and feature matching (per feature
//! map, the mean of the squared difference of the batch means of real and
//! fake, summed over the three maps); and
//!
//!   gen_A_total = (gen_B 0.1 + fm_B 0.9) (1 - rate) + recon_A rate
//!   gen_B_total = (gen_A 0.1 + fm_A 0.9) (1 - rate) + recon_B rate
//!
//! with rate 0.01 for the first 10,000 iterations, 0.5 after. Then either
//! the discriminators take an Adam step on dis_A + dis_B (iterations 0, 3,
//! 6, ...: the reference's `iters % update_interval == 0`), or the
//! generators on gen_A_total + gen_B_total (the others). Both optimizers
//! are Adam(2e-4, (0.5, 0.999)) with weight decay 1e-5. All networks stay in
//! training mode (batch statistics, running statistics updated by every pass).
//!
//! Images are [0, 1] BGR, as the reference reads them with OpenCV; the
//! model converts the trainer's [-1, 1] RGB batches on the GPU.

use super::image_to_image;
use super::options::{Group, OptionGroup, TrainOptions};
use super::{default_unset, BenchCase, Data, Demo, ModelCard, ModelSpec, PageForm};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::layers::optim::AdamGroup;
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::{Mode, Tape};
use crate::nn::model::{networks, BoxFuture, Init, Model, ModelInfo, StepOutput, TrainState};
use crate::nn::nets::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorArch, GeneratorConfig};
use crate::nn::nets::network::{Architecture, Network};
use crate::ops::{add, add_assign, channel_affine, const_loss, feature_matching_loss, mse_loss, AdamConfig, ConstLoss};
use crate::tensor::Tensor;
use crate::train::transform::Preprocess;

/// Loss names in the order of [`StepOutput::losses`]: the reference's GEN,
/// FM, RECON and DIS losses of each domain.
pub const LOSS_NAMES: [&str; 8] = ["gen_A", "gen_B", "fm_A", "fm_B", "recon_A", "recon_B", "dis_A", "dis_B"];
/// The networks: G_A maps B to A, G_B maps A to B (the reference's naming).
pub const NETWORKS: [&str; 4] = ["G_A", "G_B", "D_A", "D_B"];
/// DiscoGAN's names.
pub const INFO: ModelInfo = ModelInfo {
    kind: "discogan",
    networks: &NETWORKS,
    state: &["adam_G", "adam_D"],
    losses: &LOSS_NAMES,
    visuals: &["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"],
    translator: "G_B",
    batch_grid: false,
};

/// Hyper-parameters (the reference's defaults in brackets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiscoGanConfig {
    /// The generators ([`GeneratorConfig::discogan`], ngf 64).
    pub generator: GeneratorConfig,
    /// The discriminators ([`DiscriminatorConfig::discogan`], ndf 64).
    pub discriminator: DiscriminatorConfig,
    /// Adam beta1 [0.5].
    pub beta1: f32,
    /// Adam beta2 [0.999].
    pub beta2: f32,
    /// Adam's coupled weight decay [1e-5].
    pub weight_decay: f32,
    /// Iterations at the starting rate [10000].
    pub gan_curriculum: u64,
    /// Weight of the reconstruction loss during the curriculum [0.01].
    pub starting_rate: f32,
    /// Weight of the reconstruction loss after it [0.5].
    pub default_rate: f32,
    /// The discriminators step every this many iterations, the generators otherwise [3].
    pub update_interval: u64,
}

impl DiscoGanConfig {
    /// The reference's defaults with these widths.
    pub fn reference(ngf: usize, ndf: usize) -> Self {
        DiscoGanConfig {
            generator: GeneratorConfig::discogan(ngf),
            discriminator: DiscriminatorConfig::discogan(ndf),
            beta1: 0.5,
            beta2: 0.999,
            weight_decay: 1e-5,
            gan_curriculum: 10_000,
            starting_rate: 0.01,
            default_rate: 0.5,
            update_interval: 3,
        }
    }
}

/// The four networks and the two optimizers.
pub struct DiscoGan {
    config: DiscoGanConfig,
    g_a: Network,
    g_b: Network,
    d_a: Network,
    d_b: Network,
    opt_g: AdamGroup,
    opt_d: AdamGroup,
}

/// One domain's discriminator passes of an iteration.
struct Judged {
    real: Tensor,
    real_features: Vec<Tensor>,
    real_tape: Tape,
    fake: Tensor,
    fake_features: Vec<Tensor>,
    fake_tape: Tape,
}

impl DiscoGan {
    /// Builds the model from fresh weights, networks (G_A, G_B, D_A, D_B), or a saved state.
    pub fn new(gpu: &Gpu, config: DiscoGanConfig, init: Init) -> Result<DiscoGan> {
        let (g, d) = (config.generator, config.discriminator);
        if g.arch != GeneratorArch::DiscoGan || d.arch != DiscriminatorArch::DiscoGan {
            return Err(Error::Network(format!(
                "DiscoGAN needs its own generators and discriminators, not {} and {}",
                g.describe(),
                d.describe()
            )));
        }
        if config.update_interval == 0 {
            return Err(Error::Network("DiscoGAN: the update interval must be at least 1".into()));
        }
        let archs = [
            Architecture::Generator(g),
            Architecture::Generator(g),
            Architecture::Discriminator(d),
            Architecture::Discriminator(d),
        ];
        let (nets, rest) = networks(gpu, &NETWORKS, &archs, init)?;
        let [g_a, g_b, d_a, d_b]: [Network; 4] = nets.try_into().map_err(|_| Error::Network("four networks".into()))?;
        let adam = AdamConfig {
            beta1: config.beta1 as f64,
            beta2: config.beta2 as f64,
            weight_decay: config.weight_decay as f64,
            ..AdamConfig::default()
        };
        let opt_g = AdamGroup::new(gpu, &[g_a.params(), g_b.params()], adam)?;
        let opt_d = AdamGroup::new(gpu, &[d_a.params(), d_b.params()], adam)?;
        let mut model = DiscoGan { config, g_a, g_b, d_a, d_b, opt_g, opt_d };
        if let Some(state) = rest {
            model.opt_g.restore(gpu, &[model.g_a.params(), model.g_b.params()], state.get("adam_G")?, "adam_G")?;
            model.opt_d.restore(gpu, &[model.d_a.params(), model.d_b.params()], state.get("adam_D")?, "adam_D")?;
        }
        Ok(model)
    }

    /// The configuration.
    pub fn config(&self) -> DiscoGanConfig {
        self.config
    }

    /// Iterations taken: every iteration steps exactly one of the optimizers.
    pub fn iterations(&self) -> u64 {
        self.opt_g.t() + self.opt_d.t()
    }

    /// One iteration on [0, 1] BGR batches (the reference's tensors).
    pub fn step_bgr01(&mut self, gpu: &Gpu, a: &Tensor, b: &Tensor, lr: f32) -> Result<StepOutput> {
        let c = self.config;
        let [n, _, h, w] = a.nchw("DiscoGan::step", "A")?;
        if b.nchw("DiscoGan::step", "B")? != [n, 3, h, w] {
            return Err(Error::shape("DiscoGan::step", format!("A {:?} and B {:?} differ", a.shape(), b.shape())));
        }
        let iters = self.iterations();
        let rate = if iters < c.gan_curriculum { c.starting_rate } else { c.default_rate };
        let d_step = iters % c.update_interval == 0;
        let m = Mode::TRAIN;
        let losses = Tensor::zeros(gpu, &[LOSS_NAMES.len()])?;
        let put = |i: usize, t: &Tensor| gpu.copy(t, 0, &losses, 4 * i as u64, 4);
        let no_input = || Error::Network("no input gradient".into());

        let (ab, tape_ab) = self.g_b.forward_train(gpu, a, m, None)?;
        let (ba, tape_ba) = self.g_a.forward_train(gpu, b, m, None)?;
        let (aba, tape_aba) = self.g_a.forward_train(gpu, &ab, m, None)?;
        let (bab, tape_bab) = self.g_b.forward_train(gpu, &ba, m, None)?;
        let (recon_a, d_aba) = mse_loss(gpu, &aba, a, 1.0, rate, None)?;
        let (recon_b, d_bab) = mse_loss(gpu, &bab, b, 1.0, rate, None)?;
        put(4, &recon_a);
        put(5, &recon_b);
        let judge = |d: &Network, real: &Tensor, fake: &Tensor| -> Result<Judged> {
            let (real_out, real_features, real_tape) = d.forward_features(gpu, real, m, None)?;
            let (fake_out, fake_features, fake_tape) = d.forward_features(gpu, fake, m, None)?;
            Ok(Judged { real: real_out, real_features, real_tape, fake: fake_out, fake_features, fake_tape })
        };
        let ja = judge(&self.d_a, a, &ba)?;
        let jb = judge(&self.d_b, b, &ab)?;

        // The generators' GAN and feature-matching terms through each
        // discriminator, weighted as in gen_{A,B}_total (domain A's terms
        // belong to gen_B_total and the reverse, with the same weights).
        let g_weight = 0.1 * (1.0 - rate);
        let fm_weight = 0.9 * (1.0 - rate);
        let mut adversarial = Vec::with_capacity(2);
        for (k, j) in [&ja, &jb].into_iter().enumerate() {
            let (gen, d_out) = const_loss(gpu, ConstLoss::Bce, &j.fake, 1.0, 1.0, g_weight, None)?;
            put(k, &gen);
            let mut fm_total: Option<Tensor> = None;
            let mut fm_grads = Vec::with_capacity(3);
            for (real, fake) in j.real_features.iter().zip(&j.fake_features) {
                let (fm, grad) = feature_matching_loss(gpu, real, fake, 1.0, fm_weight, None)?;
                fm_total = Some(match fm_total {
                    Some(t) => add(gpu, &t, &fm)?,
                    None => fm,
                });
                fm_grads.push(Some(grad));
            }
            put(2 + k, &fm_total.ok_or_else(|| Error::Network("a discriminator without features".into()))?);
            adversarial.push((d_out, fm_grads));
        }

        // dis_{A,B} = 0.5 BCE(D(real), 1) + 0.5 BCE(D(fake), 0).
        let mut dis_grads = Vec::with_capacity(2);
        for (k, j) in [&ja, &jb].into_iter().enumerate() {
            let (l_real, g_real) = const_loss(gpu, ConstLoss::Bce, &j.real, 1.0, 0.5, 0.5, None)?;
            let (l_fake, g_fake) = const_loss(gpu, ConstLoss::Bce, &j.fake, 0.0, 0.5, 0.5, None)?;
            put(6 + k, &add(gpu, &l_real, &l_fake)?);
            dis_grads.push((g_real, g_fake));
        }

        if d_step {
            drop((tape_ab, tape_ba, tape_aba, tape_bab));
            let [(ga_real, ga_fake), (gb_real, gb_fake)]: [(Tensor, Tensor); 2] =
                dis_grads.try_into().map_err(|_| Error::Network("two domains".into()))?;
            for (d, j, g_real, g_fake) in [(&self.d_a, ja, ga_real, ga_fake), (&self.d_b, jb, gb_real, gb_fake)] {
                d.params().zero_grads(gpu);
                d.backward(gpu, j.real_tape, &g_real, true, false)?;
                d.backward(gpu, j.fake_tape, &g_fake, true, false)?;
            }
            self.opt_d.step(gpu, &[self.d_a.params(), self.d_b.params()], lr)?;
            self.d_a.refresh(gpu)?;
            self.d_b.refresh(gpu)?;
        } else {
            self.g_a.params().zero_grads(gpu);
            self.g_b.params().zero_grads(gpu);
            let [(da_out, da_fm), (db_out, db_fm)]: [(Tensor, Vec<Option<Tensor>>); 2] =
                adversarial.try_into().map_err(|_| Error::Network("two domains".into()))?;
            // D_A judged BA = G_A(B); D_B judged AB = G_B(A).
            let d_ba =
                self.d_a.backward_features(gpu, ja.fake_tape, &da_out, da_fm, false, true)?.ok_or_else(no_input)?;
            let d_ab =
                self.d_b.backward_features(gpu, jb.fake_tape, &db_out, db_fm, false, true)?.ok_or_else(no_input)?;
            // Reconstructions: ABA = G_A(AB) feeds AB's gradient, BAB = G_B(BA) BA's.
            let d_ab2 = self.g_a.backward(gpu, tape_aba, &d_aba, true, true)?.ok_or_else(no_input)?;
            add_assign(gpu, &d_ab, &d_ab2)?;
            let d_ba2 = self.g_b.backward(gpu, tape_bab, &d_bab, true, true)?.ok_or_else(no_input)?;
            add_assign(gpu, &d_ba, &d_ba2)?;
            self.g_b.backward(gpu, tape_ab, &d_ab, true, false)?;
            self.g_a.backward(gpu, tape_ba, &d_ba, true, false)?;
            self.opt_g.step(gpu, &[self.g_a.params(), self.g_b.params()], lr)?;
            self.g_a.refresh(gpu)?;
            self.g_b.refresh(gpu)?;
        }
        gpu.flush()?;
        Ok(StepOutput { losses, visuals: vec![a.clone(), ab, aba, b.clone(), ba, bab] })
    }
}

impl Model for DiscoGan {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    /// One iteration on the trainer's [-1, 1] RGB batches, converted to the
    /// reference's [0, 1] BGR; the visuals come back as [-1, 1] RGB.
    fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        real_b: &Tensor,
        lr: f32,
        _rng: &mut SplitMix64,
    ) -> Result<StepOutput> {
        let a = channel_affine(gpu, real_a, 0.5, 0.5, true)?;
        let b = channel_affine(gpu, real_b, 0.5, 0.5, true)?;
        let out = self.step_bgr01(gpu, &a, &b, lr)?;
        let visuals = out.visuals.iter().map(|v| channel_affine(gpu, v, 2.0, -1.0, true)).collect::<Result<_>>()?;
        Ok(StepOutput { losses: out.losses, visuals })
    }

    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>> {
        Box::pin(async move {
            let gs = [self.g_a.params(), self.g_b.params()];
            let ds = [self.d_a.params(), self.d_b.params()];
            let files = vec![
                ("G_A".to_string(), self.g_a.to_state_dict(gpu).await?),
                ("G_B".to_string(), self.g_b.to_state_dict(gpu).await?),
                ("D_A".to_string(), self.d_a.to_state_dict(gpu).await?),
                ("D_B".to_string(), self.d_b.to_state_dict(gpu).await?),
                ("adam_G".to_string(), self.opt_g.state(gpu, &gs).await?),
                ("adam_D".to_string(), self.opt_d.state(gpu, &ds).await?),
            ];
            Ok(TrainState { files })
        })
    }
}

/// DiscoGAN's own options (`image_translation.py`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct DiscoGanOptions {
    /// discogan: iterations at --starting-rate before --default-rate (the reconstruction weight's curriculum).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10_000))]
    pub gan_curriculum: u64,
    /// discogan: weight of the reconstruction loss during the curriculum.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.01))]
    pub starting_rate: f32,
    /// discogan: weight of the reconstruction loss after it.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.5))]
    pub default_rate: f32,
    /// discogan: the discriminators step every this many iterations, the generators on the others.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3))]
    pub update_interval: u64,
}

impl Default for DiscoGanOptions {
    fn default() -> Self {
        DiscoGanOptions { gan_curriculum: 10_000, starting_rate: 0.01, default_rate: 0.5, update_interval: 3 }
    }
}

impl Group for DiscoGanOptions {
    const HEADING: &'static str = "DiscoGAN";
}

/// DiscoGAN in the registry.
pub struct DiscoGanSpec;

impl DiscoGanSpec {
    /// The model's configuration from the options.
    pub fn config(o: &TrainOptions) -> DiscoGanConfig {
        let d = o.get::<DiscoGanOptions>();
        DiscoGanConfig {
            beta1: o.beta1,
            gan_curriculum: d.gan_curriculum,
            starting_rate: d.starting_rate,
            default_rate: d.default_rate,
            update_interval: d.update_interval,
            ..DiscoGanConfig::reference(o.ngf, o.ndf)
        }
    }
}

/// DiscoGAN, as plain data.
static CARD: ModelCard = ModelCard {
    info: &INFO,
    title: "DiscoGAN",
    about: "DiscoGAN: unpaired translation at 64x64 with reconstruction and feature-matching losses",
    groups: &[OptionGroup::of::<DiscoGanOptions>()],
    data: Data::UnalignedOrHalves,
    demo: Demo::Landscapes,
    page: Some(PageForm {
        label: "DiscoGAN: two sets of images, 64×64",
        defaults: r#"{"ngf": 64, "ndf": 64, "image_size": 64, "batch_size": 64, "n_epochs": 5000,
            "n_epochs_decay": 0}"#,
        shows: &["image_size"],
        fixed: &[],
    }),
};

impl ModelSpec for DiscoGanSpec {
    fn card(&self) -> &'static ModelCard {
        &CARD
    }

    /// image_translation.py: batch 64, 5000 epochs at a constant rate, a log
    /// line every 10 iterations, test images every 1000.
    fn model_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(
            o,
            unset,
            batch_size = 64,
            n_epochs = 5000,
            n_epochs_decay = 0,
            print_freq = 10,
            display_freq = 1000
        );
    }

    /// As for DCGAN's demo: at the reference's 2e-4 such small nets are still
    /// grey after a few hundred iterations, at 1e-3 the night's colours show
    /// within 240 (the same in PyTorch).
    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(
            o,
            unset,
            name = "demo_discogan".into(),
            ngf = 8,
            ndf = 8,
            lr = 1e-3,
            batch_size = 8,
            n_epochs = 60,
            display_freq = 24,
            print_freq = 6,
            save_epoch_freq = 10,
            save_latest_freq = 120
        );
        o.update::<DiscoGanOptions>(|d| {
            if unset("gan_curriculum") {
                d.gan_curriculum = 120;
            }
        });
    }

    /// image_translation.py: cv2.resize to image_size x image_size, no crops or flips.
    fn resolve(&self, o: &mut TrainOptions) {
        image_to_image::whole_images(o, Preprocess::ResizeAndCrop);
    }

    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        if o.image_size < 64 || o.image_size % 16 != 0 {
            return Err(format!(
                "--image-size {}: DiscoGAN's networks halve the image four times and its discriminator's last \
                 layer needs 4x4 there, so the size must be a multiple of 16 and at least 64",
                o.image_size
            ));
        }
        let d = o.get::<DiscoGanOptions>();
        if d.update_interval == 0 {
            return Err("--update-interval must be at least 1".into());
        }
        for (flag, v) in [("--starting-rate", d.starting_rate), ("--default-rate", d.default_rate)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{flag} must be in [0, 1], not {v}"));
            }
        }
        Ok(())
    }

    fn generator(&self, o: &TrainOptions) -> Option<GeneratorConfig> {
        Some(Self::config(o).generator)
    }

    fn architecture(&self, o: &TrainOptions) -> String {
        format!("discogan ngf {} ndf {}", o.ngf, o.ndf)
    }

    fn architectures(&self, o: &TrainOptions) -> Vec<Architecture> {
        let c = Self::config(o);
        let (g, d) = (Architecture::Generator(c.generator), Architecture::Discriminator(c.discriminator));
        vec![g, g, d, d]
    }

    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>> {
        Ok(Box::new(DiscoGan::new(gpu, Self::config(o), init)?))
    }

    fn bench_cases(&self) -> Vec<BenchCase> {
        vec![BenchCase::reference(self, "discogan", 64, 64)]
    }
}
