//! DCGAN (pytorch/examples `dcgan/main.py`): a generator G from latents
//! z ~ N(0, 1) [N, nz, 1, 1] to 64x64 images and a discriminator D to one
//! probability per image, trained with nn.BCELoss. Per iteration, as the
//! reference: D on the real batch (label 1) and on G(z) detached (label 0),
//! gradients summed, a D step; then G through the updated D on the same
//! G(z) (label 1), a G step. Both networks stay in training mode: every
//! BatchNorm normalizes with the batch's statistics, and the reference's
//! three D passes each update D's running statistics.

use super::image_to_image;
use super::options::{Group, OptionGroup, TrainOptions};
use super::{default_unset, BenchCase, Data, Demo, ModelCard, ModelSpec, PageForm};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::generator::latents;
use crate::nn::layers::optim::AdamGroup;
use crate::nn::layers::params::SplitMix64;
use crate::nn::layers::Mode;
use crate::nn::model::{networks, BoxFuture, Init, Model, ModelInfo, StepOutput, TrainState};
use crate::nn::nets::arch::{DiscriminatorConfig, GeneratorConfig};
use crate::nn::nets::network::{Architecture, Network};
use crate::ops::{add, bce_loss_const, mean, AdamConfig};
use crate::tensor::Tensor;
use crate::train::order::{derive_seed, stream};
use crate::train::transform::Preprocess;

/// Loss names in the order of [`StepOutput::losses`], as the reference prints
/// them: Loss_D = errD_real + errD_fake, Loss_G, D(x) = mean D(real), D(G(z))
/// before (D_G_z1) and after (D_G_z2) the D step.
pub const LOSS_NAMES: [&str; 5] = ["Loss_D", "Loss_G", "D_x", "D_G_z1", "D_G_z2"];
/// The networks, as the reference names its files (`netG`, `netD`).
pub const NETWORKS: [&str; 2] = ["G", "D"];
/// DCGAN's names.
pub const INFO: ModelInfo = ModelInfo {
    kind: "dcgan",
    networks: &NETWORKS,
    state: &["adam_G", "adam_D"],
    losses: &LOSS_NAMES,
    visuals: &["real", "fake"],
    translator: "G",
    batch_grid: true,
};

/// Hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DcganConfig {
    /// The generator ([`GeneratorConfig::dcgan`]).
    pub generator: GeneratorConfig,
    /// The discriminator ([`DiscriminatorConfig::dcgan`]).
    pub discriminator: DiscriminatorConfig,
    /// Adam beta1 (0.5).
    pub beta1: f32,
    /// Adam beta2 (0.999).
    pub beta2: f32,
    /// Seed of the fixed latents the sample grids show.
    pub fixed_seed: u64,
    /// Number of fixed latents (the reference's batch size, 64).
    pub fixed_count: usize,
}

/// G, D and their optimisers.
pub struct Dcgan {
    config: DcganConfig,
    g: Network,
    d: Network,
    opt_g: AdamGroup,
    opt_d: AdamGroup,
}

impl Dcgan {
    /// Builds the model from fresh weights, networks, or a saved state.
    pub fn new(gpu: &Gpu, config: DcganConfig, init: Init) -> Result<Dcgan> {
        let (g, d) = (config.generator, config.discriminator);
        if g.translates() || d.arch != crate::nn::nets::arch::DiscriminatorArch::Dcgan {
            return Err(Error::Network(format!(
                "DCGAN needs its own generator and discriminator, not {} and {}",
                g.describe(),
                d.describe()
            )));
        }
        if g.output_nc != d.input_nc {
            return Err(Error::Network(format!(
                "DCGAN: the generator makes {} channels, the discriminator takes {}",
                g.output_nc, d.input_nc
            )));
        }
        let archs = [Architecture::Generator(g), Architecture::Discriminator(d)];
        let (nets, rest) = networks(gpu, &NETWORKS, &archs, init)?;
        let [g, d]: [Network; 2] = nets.try_into().map_err(|_| Error::Network("two networks".into()))?;
        let adam = AdamConfig { beta1: config.beta1 as f64, beta2: config.beta2 as f64, ..AdamConfig::default() };
        let opt_g = AdamGroup::new(gpu, &[g.params()], adam)?;
        let opt_d = AdamGroup::new(gpu, &[d.params()], adam)?;
        let mut model = Dcgan { config, g, d, opt_g, opt_d };
        if let Some(state) = rest {
            model.opt_g.restore(gpu, &[model.g.params()], state.get("adam_G")?, "adam_G")?;
            model.opt_d.restore(gpu, &[model.d.params()], state.get("adam_D")?, "adam_D")?;
        }
        Ok(model)
    }

    /// The configuration.
    pub fn config(&self) -> DcganConfig {
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

    /// One iteration on `real` [N, 3, 64, 64] in [-1, 1] with the latents `z`
    /// [N, nz, 1, 1] (what [`Model::step`] draws from its random generator).
    pub fn step_with_latents(&mut self, gpu: &Gpu, real: &Tensor, z: &Tensor, lr: f32) -> Result<StepOutput> {
        let [n, ..] = real.nchw("Dcgan::step", "real")?;
        let nz = self.config.generator.input_nc;
        if z.shape() != [n, nz, 1, 1] {
            return Err(Error::shape("Dcgan::step", format!("latents {:?} must be [{n}, {nz}, 1, 1]", z.shape())));
        }
        let losses = Tensor::zeros(gpu, &[LOSS_NAMES.len()])?;
        let put = |i: usize, t: &Tensor| gpu.copy(t, 0, &losses, 4 * i as u64, 4);
        let m = Mode::TRAIN;
        let no_input = || Error::Network("no input gradient".into());

        // D: real (label 1), then G(z) detached (label 0); the gradients add up.
        self.d.params().zero_grads(gpu);
        let (out, tape) = self.d.forward_train(gpu, real, m, None)?;
        let (err_real, grad) = bce_loss_const(gpu, &out, 1.0, 1.0, None)?;
        self.d.backward(gpu, tape, &grad, true, false)?;
        put(2, &mean(gpu, &out)?);
        let (fake, tape_g) = self.g.forward_train(gpu, z, m, None)?;
        let (out, tape) = self.d.forward_train(gpu, &fake, m, None)?;
        let (err_fake, grad) = bce_loss_const(gpu, &out, 0.0, 1.0, None)?;
        self.d.backward(gpu, tape, &grad, true, false)?;
        put(3, &mean(gpu, &out)?);
        put(0, &add(gpu, &err_real, &err_fake)?);
        self.opt_d.step(gpu, &[self.d.params()], lr)?;
        self.d.refresh(gpu)?;

        // G: the same G(z) through the updated D, label 1.
        self.g.params().zero_grads(gpu);
        let (out, tape) = self.d.forward_train(gpu, &fake, m, None)?;
        let (err_g, grad) = bce_loss_const(gpu, &out, 1.0, 1.0, None)?;
        let d_fake = self.d.backward(gpu, tape, &grad, false, true)?.ok_or_else(no_input)?;
        self.g.backward(gpu, tape_g, &d_fake, true, false)?;
        put(1, &err_g);
        put(4, &mean(gpu, &out)?);
        self.opt_g.step(gpu, &[self.g.params()], lr)?;
        self.g.refresh(gpu)?;
        gpu.flush()?;
        Ok(StepOutput { losses, visuals: vec![real.clone()] })
    }
}

impl Model for Dcgan {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    /// One iteration on `real_a` (`real_b` is not used: DCGAN has one domain)
    /// with latents drawn from `rng`.
    fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        _real_b: &Tensor,
        lr: f32,
        rng: &mut SplitMix64,
    ) -> Result<StepOutput> {
        let [n, ..] = real_a.nchw("Dcgan::step", "real")?;
        let z = latents(gpu, n, self.config.generator.input_nc, rng.next_u64())?;
        self.step_with_latents(gpu, real_a, &z, lr)
    }

    /// The real batch and G(fixed latents), the reference's
    /// `netG(fixed_noise)`: in training mode, so G's BatchNorm uses the
    /// fixed batch's statistics and updates its running statistics, as the
    /// reference's sample pass does.
    fn sample_visuals(&mut self, gpu: &Gpu, out: &StepOutput) -> Result<Vec<Tensor>> {
        let c = self.config;
        let z = latents(gpu, c.fixed_count, c.generator.input_nc, c.fixed_seed)?;
        let fake = self.g.forward(gpu, &z, Mode::TRAIN, None)?;
        Ok(vec![out.visuals[0].clone(), fake])
    }

    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>> {
        Box::pin(async move {
            let files = vec![
                ("G".to_string(), self.g.to_state_dict(gpu).await?),
                ("D".to_string(), self.d.to_state_dict(gpu).await?),
                ("adam_G".to_string(), self.opt_g.state(gpu, &[self.g.params()]).await?),
                ("adam_D".to_string(), self.opt_d.state(gpu, &[self.d.params()]).await?),
            ];
            Ok(TrainState { files })
        })
    }
}

/// DCGAN's own options (`dcgan/main.py`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct DcganOptions {
    /// dcgan: length of the latent vectors z.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 100))]
    pub nz: usize,
}

impl Default for DcganOptions {
    fn default() -> Self {
        DcganOptions { nz: 100 }
    }
}

impl Group for DcganOptions {
    const HEADING: &'static str = "DCGAN";
}

/// DCGAN in the registry.
pub struct DcganSpec;

impl DcganSpec {
    /// The model's configuration from the options.
    pub fn config(o: &TrainOptions) -> DcganConfig {
        DcganConfig {
            generator: GeneratorConfig::dcgan(o.get::<DcganOptions>().nz, o.ngf),
            discriminator: DiscriminatorConfig::dcgan(o.ndf),
            beta1: o.beta1,
            beta2: 0.999,
            fixed_seed: derive_seed(o.seed, stream::FIXED_LATENTS, 0),
            fixed_count: 64,
        }
    }
}

/// DCGAN, as plain data.
static CARD: ModelCard = ModelCard {
    info: &INFO,
    title: "DCGAN",
    about: "DCGAN: 64x64 images from random latents, trained on one folder of images",
    groups: &[OptionGroup::of::<DcganOptions>()],
    data: Data::Single,
    demo: Demo::Shapes,
    page: Some(PageForm {
        label: "DCGAN: one set of images, generated from noise",
        defaults: r#"{"ngf": 64, "ndf": 64, "image_size": 64, "nz": 100, "batch_size": 64, "n_epochs": 25,
            "n_epochs_decay": 0}"#,
        shows: &["image_size", "nz"],
        fixed: &["image_size"],
    }),
};

impl ModelSpec for DcganSpec {
    fn card(&self) -> &'static ModelCard {
        &CARD
    }

    /// main.py: batch 64, 25 epochs at a constant rate, samples every 100 iterations.
    fn model_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(o, unset, batch_size = 64, n_epochs = 25, n_epochs_decay = 0, display_freq = 100);
    }

    /// At the reference's lr 2e-4 a net this small only starts to draw after
    /// some thousand iterations; at 1e-3 the shapes appear within 150-300
    /// (the same in PyTorch).
    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(
            o,
            unset,
            name = "demo_dcgan".into(),
            ngf = 16,
            ndf = 8,
            lr = 1e-3,
            batch_size = 16,
            n_epochs = 10,
            display_freq = 24,
            print_freq = 6,
            save_epoch_freq = 4,
            save_latest_freq = 96
        );
        o.update::<DcganOptions>(|d| {
            if unset("nz") {
                d.nz = 32;
            }
        });
    }

    /// main.py: Resize(imageSize) + CenterCrop(imageSize), no flips; batch norm.
    fn resolve(&self, o: &mut TrainOptions) {
        image_to_image::whole_images(o, Preprocess::CenterCrop);
    }

    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        if o.get::<DcganOptions>().nz == 0 {
            return Err("--nz must be at least 1".into());
        }
        if o.image_size != 64 {
            return Err(format!(
                "--image-size {}: DCGAN's networks are built for 64x64 images (four stride-2 layers from 4x4), as \
                 in the reference",
                o.image_size
            ));
        }
        Ok(())
    }

    fn generator(&self, o: &TrainOptions) -> Option<GeneratorConfig> {
        Some(Self::config(o).generator)
    }

    fn architecture(&self, o: &TrainOptions) -> String {
        let c = Self::config(o);
        format!("dcgan nz {} ngf {} ndf {}", c.generator.input_nc, c.generator.ngf, c.discriminator.ndf)
    }

    fn architectures(&self, o: &TrainOptions) -> Vec<Architecture> {
        let c = Self::config(o);
        vec![Architecture::Generator(c.generator), Architecture::Discriminator(c.discriminator)]
    }

    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>> {
        Ok(Box::new(Dcgan::new(gpu, Self::config(o), init)?))
    }

    fn bench_cases(&self) -> Vec<BenchCase> {
        vec![BenchCase::reference(self, "dcgan", 64, 64)]
    }

    fn next_step(&self, weights: &str) -> String {
        format!("generate with: trainer generate --weights {weights} --output DIR")
    }
}
