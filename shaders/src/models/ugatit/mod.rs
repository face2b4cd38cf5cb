//! U-GAT-IT (znxlwm/UGATIT-pytorch `UGATIT.py`): two attention generators
//! (genA2B, genB2A) and four spectrally normalized discriminators, a global
//! and a local one per domain (disGA, disLA judge domain A; disGB, disLB
//! domain B). One iteration is the reference's loop body:
//!
//! 1. Discriminators: fake_A2B = genA2B(A), fake_B2A = genB2A(B); each
//!    discriminator judges its domain's real batch, then the fake one;
//!    D_loss_A = adv · Σ_{GA, LA} [MSE(real → 1) + MSE(fake → 0)] over the
//!    patch and CAM logits (D_loss_B the same for GB, LB); Adam steps the four
//!    on D_loss_A + D_loss_B.
//! 2. Generators: A2B, B2A, A2B2A, B2A2B, A2A = genB2A(A), B2B = genA2B(B),
//!    the discriminators on the fakes again (one more power iteration each);
//!    G_loss_A = adv · Σ_{GA, LA} MSE(fake → 1) (patch and CAM) + cycle ·
//!    L1(A2B2A, A) + identity · L1(A2A, A) + cam · [BCEWithLogits(cam of
//!    B2A → 1) + BCEWithLogits(cam of A2A → 0)], and G_loss_B likewise; Adam
//!    steps both generators on the sum, then every ρ is clamped to [0, 1].
//!
//! Both optimizers are Adam(lr, (0.5, 0.999)) with weight decay 1e-4 added
//! to the gradient. The discriminators' gradients of the generator step and
//! the generators' of the discriminator step are never used (the reference
//! zeroes them before its next step), so they are not computed.

pub mod nets;
pub mod translate;

pub use translate::Translator;

use self::nets::{Discriminator, DiscriminatorShape, Generator, GeneratorShape};
use super::cyclegan::non_negative;
use super::options::{Group, OptionGroup, SizeCheck, TrainOptions};
use super::{default_unset, BenchCase, Data, Demo, ModelCard, ModelSpec};
use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::nn::generator::{Detected, Detection, Generator as GeneratorApi, LoadOptions};
use crate::nn::io::weights::StateDict;
use crate::nn::layers::optim::AdamGroup;
use crate::nn::layers::params::SplitMix64;
use crate::nn::model::{state_dicts, BoxFuture, Init, Model, ModelInfo, StepOutput, TrainState};
use crate::ops::{accumulate, add_assign, const_loss, l1_loss, AdamConfig, ConstLoss};
use crate::tensor::Tensor;
use crate::train::transform::Preprocess;
use translate::ugatit_fit_pixels;

/// The networks, by the reference's names (the keys of its checkpoint dict).
pub const NETWORKS: [&str; 6] = ["genA2B", "genB2A", "disGA", "disGB", "disLA", "disLB"];

/// Loss names in [`StepOutput::losses`] order: the reference's D_loss_A,
/// D_loss_B, G_loss_A, G_loss_B, then the generators' terms unweighted:
/// the four adversarial MSEs summed, the cycle and identity L1s, the two CAM
/// BCEs summed.
pub const LOSS_NAMES: [&str; 12] = [
    "D_A",
    "D_B",
    "G_A",
    "G_B",
    "G_adv_A",
    "G_adv_B",
    "G_cycle_A",
    "G_cycle_B",
    "G_identity_A",
    "G_identity_B",
    "G_cam_A",
    "G_cam_B",
];

/// U-GAT-IT's names.
pub const INFO: ModelInfo = ModelInfo {
    kind: "ugatit",
    networks: &NETWORKS,
    state: &["adam_G", "adam_D"],
    losses: &LOSS_NAMES,
    visuals: &["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"],
    translator: "genA2B",
    batch_grid: false,
};

/// Hyper-parameters (the reference's defaults in brackets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UgatitConfig {
    /// The generators (ch [64], n_res [4], light [false], img_size [256]);
    /// the discriminators take the same ch.
    pub generator: GeneratorShape,
    /// Adam's coupled weight decay [1e-4].
    pub weight_decay: f32,
    /// Weight of the adversarial terms [1].
    pub adv_weight: f32,
    /// Weight of the cycle L1 [10].
    pub cycle_weight: f32,
    /// Weight of the identity L1 [10].
    pub identity_weight: f32,
    /// Weight of the CAM BCEs [1000].
    pub cam_weight: f32,
}

impl UgatitConfig {
    /// The reference's defaults with this generator.
    pub fn reference(generator: GeneratorShape) -> Self {
        UgatitConfig {
            generator,
            weight_decay: 1e-4,
            adv_weight: 1.0,
            cycle_weight: 10.0,
            identity_weight: 10.0,
            cam_weight: 1000.0,
        }
    }

    /// The global (7-layer) discriminators.
    pub fn global(&self) -> DiscriminatorShape {
        DiscriminatorShape { ch: self.generator.ch, n_layers: 7 }
    }

    /// The local (5-layer) discriminators.
    pub fn local(&self) -> DiscriminatorShape {
        DiscriminatorShape { ch: self.generator.ch, n_layers: 5 }
    }

    /// The smallest image side the model trains on (the global
    /// discriminator's), rounded up to the generator's multiple of 4.
    pub fn min_size(&self) -> usize {
        self.global().min_size().div_ceil(4) * 4
    }
}

/// The six networks and the two optimizers.
pub struct Ugatit {
    config: UgatitConfig,
    gen_a2b: Generator,
    gen_b2a: Generator,
    /// disGA, disGB, disLA, disLB.
    dis: [Discriminator; 4],
    opt_g: AdamGroup,
    opt_d: AdamGroup,
}

/// Index of each discriminator in [`Ugatit::dis`].
const GA: usize = 0;
const GB: usize = 1;
const LA: usize = 2;
const LB: usize = 3;

/// A sum of [1] losses, each added with a weight.
struct Sum(Tensor);

impl Sum {
    fn new(gpu: &Gpu) -> Result<Sum> {
        Ok(Sum(Tensor::zeros(gpu, &[1])?))
    }

    fn add(&self, gpu: &Gpu, loss: &Tensor, weight: f32) -> Result<()> {
        accumulate(gpu, &self.0, loss, weight)
    }
}

impl Ugatit {
    /// Builds the model from fresh weights, networks (in [`NETWORKS`] order),
    /// or a saved state.
    pub fn new(gpu: &Gpu, config: UgatitConfig, init: Init) -> Result<Ugatit> {
        let g = config.generator;
        if g.ch == 0 || (!g.light && (g.img_size < 8 || g.img_size % 4 != 0)) {
            return Err(Error::Network(format!("U-GAT-IT: {} is not a valid generator", g.describe())));
        }
        let shapes = [config.global(), config.global(), config.local(), config.local()];
        let (mut dicts, rest) = state_dicts(&NETWORKS, init, |rng| {
            let mut dicts =
                vec![Generator::init_state_dict(&g, rng.next_u64())?, Generator::init_state_dict(&g, rng.next_u64())?];
            for d in &shapes {
                dicts.push(Discriminator::init_state_dict(d, rng.next_u64())?);
            }
            Ok(dicts)
        })?;
        let named = |i: usize| move |e: Error| Error::Network(format!("{}: {e}", NETWORKS[i]));
        let dis_dicts = dicts.split_off(2);
        let gen_a2b = Generator::new(gpu, g, &dicts[0]).map_err(named(0))?;
        let gen_b2a = Generator::new(gpu, g, &dicts[1]).map_err(named(1))?;
        let dis = [0, 1, 2, 3].map(|k| Discriminator::new(gpu, shapes[k], &dis_dicts[k]).map_err(named(2 + k)));
        let [ga, gb, la, lb] = dis;
        let dis = [ga?, gb?, la?, lb?];
        let adam =
            AdamConfig { beta1: 0.5, beta2: 0.999, weight_decay: config.weight_decay as f64, ..Default::default() };
        let opt_g = AdamGroup::new(gpu, &[gen_a2b.params(), gen_b2a.params()], adam)?;
        let opt_d = AdamGroup::new(gpu, &dis.each_ref().map(|d| d.params()), adam)?;
        let mut model = Ugatit { config, gen_a2b, gen_b2a, dis, opt_g, opt_d };
        if let Some(state) = rest {
            let gs = [model.gen_a2b.params(), model.gen_b2a.params()];
            model.opt_g.restore(gpu, &gs, state.get("adam_G")?, "adam_G")?;
            let ds = model.dis.each_ref().map(|d| d.params());
            model.opt_d.restore(gpu, &ds, state.get("adam_D")?, "adam_D")?;
        }
        Ok(model)
    }

    /// The configuration.
    pub fn config(&self) -> UgatitConfig {
        self.config
    }

    /// The generator A → B.
    pub fn gen_a2b(&self) -> &Generator {
        &self.gen_a2b
    }

    /// The generator B → A.
    pub fn gen_b2a(&self) -> &Generator {
        &self.gen_b2a
    }

    /// Iterations taken.
    pub fn iterations(&self) -> u64 {
        self.opt_g.t()
    }

    fn step_impl(&mut self, gpu: &Gpu, real_a: &Tensor, real_b: &Tensor, lr: f32) -> Result<StepOutput> {
        let c = self.config;
        let shape = real_a.nchw("U-GAT-IT", "A")?;
        if real_b.nchw("U-GAT-IT", "B")? != shape {
            return Err(Error::shape("U-GAT-IT", format!("A {:?} and B {:?} differ", real_a.shape(), real_b.shape())));
        }
        let sums = (0..LOSS_NAMES.len()).map(|_| Sum::new(gpu)).collect::<Result<Vec<_>>>()?;
        let no_input = || Error::Network("U-GAT-IT: no input gradient".into());
        let mse = |x: &Tensor, target: f32, w: f32| const_loss(gpu, ConstLoss::Mse, x, target, 1.0, w, None);

        // 1. The discriminators.
        let fake_a2b = self.gen_a2b.forward(gpu, real_a)?.image;
        let fake_b2a = self.gen_b2a.forward(gpu, real_b)?.image;
        for d in &self.dis {
            d.params().zero_grads(gpu);
        }
        for (k, real, fake, slot) in [
            (GA, real_a, &fake_b2a, 0),
            (LA, real_a, &fake_b2a, 0),
            (GB, real_b, &fake_a2b, 1),
            (LB, real_b, &fake_a2b, 1),
        ] {
            let d = &mut self.dis[k];
            let (r_out, r_cam, r_tape) = d.forward_train(gpu, real)?;
            let (f_out, f_cam, f_tape) = d.forward_train(gpu, fake)?;
            let mut grads = Vec::with_capacity(4);
            for (x, target) in [(&r_out, 1.0), (&r_cam, 1.0), (&f_out, 0.0), (&f_cam, 0.0)] {
                let (l, g) = mse(x, target, c.adv_weight)?;
                sums[slot].add(gpu, &l, c.adv_weight)?;
                grads.push(g);
            }
            d.backward(gpu, r_tape, &grads[0], &grads[1], true, false)?;
            d.backward(gpu, f_tape, &grads[2], &grads[3], true, false)?;
        }
        self.opt_d.step(gpu, &self.dis.each_ref().map(|d| d.params()), lr)?;
        for d in &mut self.dis {
            d.refresh(gpu)?;
        }

        // 2. The generators.
        self.gen_a2b.params().zero_grads(gpu);
        self.gen_b2a.params().zero_grads(gpu);
        let (a2b, t_a2b) = self.gen_a2b.forward_train(gpu, real_a)?;
        let (b2a, t_b2a) = self.gen_b2a.forward_train(gpu, real_b)?;
        let (a2b2a, t_a2b2a) = self.gen_b2a.forward_train(gpu, &a2b.image)?;
        let (b2a2b, t_b2a2b) = self.gen_a2b.forward_train(gpu, &b2a.image)?;
        let (a2a, t_a2a) = self.gen_b2a.forward_train(gpu, real_a)?;
        let (b2b, t_b2b) = self.gen_a2b.forward_train(gpu, real_b)?;

        // Adversarial terms: G_adv_A through disGA and disLA on B2A, G_adv_B
        // through disGB and disLB on A2B; their input gradients summed.
        let mut d_fake: [Option<Tensor>; 2] = [None, None];
        for (k, fake, side) in [(GA, &b2a.image, 0), (LA, &b2a.image, 0), (GB, &a2b.image, 1), (LB, &a2b.image, 1)] {
            let d = &mut self.dis[k];
            let (out, cam, tape) = d.forward_train(gpu, fake)?;
            let (l_out, g_out) = mse(&out, 1.0, c.adv_weight)?;
            let (l_cam, g_cam) = mse(&cam, 1.0, c.adv_weight)?;
            for l in [&l_out, &l_cam] {
                sums[4 + side].add(gpu, l, 1.0)?;
                sums[2 + side].add(gpu, l, c.adv_weight)?;
            }
            let dx = d.backward(gpu, tape, &g_out, &g_cam, false, true)?.ok_or_else(no_input)?;
            match &d_fake[side] {
                Some(acc) => add_assign(gpu, acc, &dx)?,
                None => d_fake[side] = Some(dx),
            }
        }
        let [Some(d_b2a), Some(d_a2b)] = d_fake else { return Err(no_input()) };

        // Cycle and identity L1s (each weighted in its gradient; the
        // component is logged unweighted).
        let l1 = |x: &Tensor, target: &Tensor, w: f32, slot: usize, total: usize| -> Result<Tensor> {
            let (l, g) = l1_loss(gpu, x, target, w, None)?;
            sums[slot].add(gpu, &l, 1.0 / w)?;
            sums[total].add(gpu, &l, 1.0)?;
            Ok(g)
        };
        let d_a2b2a = l1(&a2b2a.image, real_a, c.cycle_weight, 6, 2)?;
        let d_b2a2b = l1(&b2a2b.image, real_b, c.cycle_weight, 7, 3)?;
        let d_a2a = l1(&a2a.image, real_a, c.identity_weight, 8, 2)?;
        let d_b2b = l1(&b2b.image, real_b, c.identity_weight, 9, 3)?;

        // CAM BCEs: a generator's CAM says "other domain" (1) for its source
        // images and "own domain" (0) for images already in its target domain.
        let bce = |cam: &Tensor, target: f32, slot: usize, total: usize| -> Result<Tensor> {
            let (l, g) = const_loss(gpu, ConstLoss::BceWithLogits, cam, target, 1.0, c.cam_weight, None)?;
            sums[slot].add(gpu, &l, 1.0)?;
            sums[total].add(gpu, &l, c.cam_weight)?;
            Ok(g)
        };
        let dc_b2a = bce(&b2a.cam_logit, 1.0, 10, 2)?;
        let dc_a2a = bce(&a2a.cam_logit, 0.0, 10, 2)?;
        let dc_a2b = bce(&a2b.cam_logit, 1.0, 11, 3)?;
        let dc_b2b = bce(&b2b.cam_logit, 0.0, 11, 3)?;

        // Backward, the reconstructions first: they feed the fakes' gradients.
        let d = self.gen_b2a.backward(gpu, t_a2b2a, &d_a2b2a, None, true)?.ok_or_else(no_input)?;
        add_assign(gpu, &d_a2b, &d)?;
        let d = self.gen_a2b.backward(gpu, t_b2a2b, &d_b2a2b, None, true)?.ok_or_else(no_input)?;
        add_assign(gpu, &d_b2a, &d)?;
        self.gen_a2b.backward(gpu, t_a2b, &d_a2b, Some(&dc_a2b), false)?;
        self.gen_b2a.backward(gpu, t_b2a, &d_b2a, Some(&dc_b2a), false)?;
        self.gen_b2a.backward(gpu, t_a2a, &d_a2a, Some(&dc_a2a), false)?;
        self.gen_a2b.backward(gpu, t_b2b, &d_b2b, Some(&dc_b2b), false)?;
        self.opt_g.step(gpu, &[self.gen_a2b.params(), self.gen_b2a.params()], lr)?;
        for g in [&mut self.gen_a2b, &mut self.gen_b2a] {
            g.clip_rho(gpu)?;
            g.refresh(gpu)?;
        }

        let losses = Tensor::zeros(gpu, &[LOSS_NAMES.len()])?;
        for (i, s) in sums.iter().enumerate() {
            gpu.copy(&s.0, 0, &losses, 4 * i as u64, 4);
        }
        gpu.flush()?;
        Ok(StepOutput {
            losses,
            visuals: vec![real_a.clone(), a2b.image, a2b2a.image, real_b.clone(), b2a.image, b2a2b.image],
        })
    }
}

impl Model for Ugatit {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn step(
        &mut self,
        gpu: &Gpu,
        real_a: &Tensor,
        real_b: &Tensor,
        lr: f32,
        _rng: &mut SplitMix64,
    ) -> Result<StepOutput> {
        self.step_impl(gpu, real_a, real_b, lr)
    }

    fn state<'a>(&'a self, gpu: &'a Gpu) -> BoxFuture<'a, Result<TrainState>> {
        Box::pin(async move {
            let mut files = vec![
                ("genA2B".to_string(), self.gen_a2b.to_state_dict(gpu).await?),
                ("genB2A".to_string(), self.gen_b2a.to_state_dict(gpu).await?),
            ];
            for (k, name) in [(GA, "disGA"), (GB, "disGB"), (LA, "disLA"), (LB, "disLB")] {
                files.push((name.to_string(), self.dis[k].to_state_dict(gpu).await?));
            }
            let gs = [self.gen_a2b.params(), self.gen_b2a.params()];
            files.push(("adam_G".to_string(), self.opt_g.state(gpu, &gs).await?));
            let ds = self.dis.each_ref().map(|d| d.params());
            files.push(("adam_D".to_string(), self.opt_d.state(gpu, &ds).await?));
            Ok(TrainState { files })
        })
    }
}

/// Splits the reference's checkpoint (`<dataset>_params_NNNNNNN.pt`, one dict
/// {genA2B, genB2A, disGA, disGB, disLA, disLB}, read as one state_dict with
/// `<network>.` prefixes) into the six networks' state_dicts, in
/// [`NETWORKS`] order.
pub fn split_checkpoint(sd: &StateDict) -> Result<Vec<StateDict>> {
    let mut out: Vec<StateDict> = NETWORKS.iter().map(|_| StateDict::new()).collect();
    let mut stray = Vec::new();
    for (key, t) in sd.iter() {
        let found = NETWORKS.iter().position(|n| key.strip_prefix(n).is_some_and(|rest| rest.starts_with('.')));
        match found {
            Some(i) => {
                let name = &key[NETWORKS[i].len() + 1..];
                out[i].insert(name, t.clone()).map_err(|e| Error::Network(e.to_string()))?;
            }
            None => stray.push(key.to_string()),
        }
    }
    let missing: Vec<&str> = NETWORKS.iter().zip(&out).filter(|(_, sd)| sd.is_empty()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(Error::Network(format!(
            "not a complete U-GAT-IT checkpoint: it has no {} (it needs genA2B, genB2A, disGA, disGB, disLA and disLB)",
            missing.join(", ")
        )));
    }
    if let Some(k) = stray.first() {
        return Err(Error::Network(format!(
            "not a U-GAT-IT checkpoint: `{k}` belongs to none of its six networks ({} such keys)",
            stray.len()
        )));
    }
    Ok(out)
}

/// A weight file's state_dict, sorted by what it holds for translation.
pub enum WeightFile {
    /// A U-GAT-IT generator's state_dict (one generator, or taken out of a whole checkpoint).
    Generator(StateDict),
    /// Anything else, as read.
    Other(StateDict),
}

/// Sorts a weight file's state_dict: the reference's whole checkpoint (a key
/// under one of the six networks) gives genB2A with `b_to_a`, genA2B
/// otherwise, and is an error when incomplete; one U-GAT-IT generator is
/// taken as is; anything else comes back as [`WeightFile::Other`].
pub fn generator_weights(sd: StateDict, b_to_a: bool) -> Result<WeightFile> {
    let in_checkpoint = |k: &str| NETWORKS.iter().any(|n| k.strip_prefix(n).is_some_and(|r| r.starts_with('.')));
    if sd.names().any(in_checkpoint) {
        let mut nets = split_checkpoint(&sd)?;
        return Ok(WeightFile::Generator(nets.swap_remove(usize::from(b_to_a))));
    }
    Ok(if is_generator(&sd) { WeightFile::Generator(sd) } else { WeightFile::Other(sd) })
}

/// Whether a state_dict looks like a U-GAT-IT generator (its own keys, or a
/// whole checkpoint's `genA2B.` ones).
pub fn is_generator(sd: &StateDict) -> bool {
    sd.get("gap_fc.weight").is_some() && sd.get("UpBlock2.2.weight").is_some()
}

/// The shape of a U-GAT-IT generator from its state_dict: ch from the first
/// convolution, n_res from the adaILN blocks, light from the MLP's first
/// layer (4 ch inputs; otherwise the flattened bottleneck of a square image).
pub fn detect_generator(sd: &StateDict) -> Result<GeneratorShape> {
    let shape = |k: &str| {
        sd.get(k).map(|t| t.shape.clone()).ok_or_else(|| Error::Network(format!("not a U-GAT-IT generator: no `{k}`")))
    };
    let ch = shape("DownBlock.1.weight")?[0];
    let n_res = (1..).take_while(|i| sd.get(&format!("UpBlock1_{i}.conv1.weight")).is_some()).count();
    let fc = shape("FC.0.weight")?;
    let c = 4 * ch;
    let fc_in = *fc.get(1).ok_or_else(|| Error::Network(format!("FC.0.weight has shape {fc:?}")))?;
    let (light, img_size) = if fc_in == c {
        (true, 256)
    } else {
        let side = ((fc_in / c) as f64).sqrt().round() as usize;
        if side * side * c != fc_in {
            return Err(Error::Network(format!(
                "FC.0.weight {fc:?}: {fc_in} inputs are neither the light model's {c} nor a square bottleneck of {c} \
                 channels"
            )));
        }
        (false, 4 * side)
    };
    Ok(GeneratorShape { ch, n_res, light, img_size })
}

/// U-GAT-IT's own options (`main.py`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct UgatitOptions {
    /// ugatit: the light model (the γ/β MLP on globally pooled features) instead of the full one, whose
    /// first MLP layer takes the whole flattened bottleneck (268 M weights at 256x256).
    #[cfg_attr(feature = "cli", arg(long))]
    pub light: bool,
    /// ugatit: the run's length in iterations; the learning rate decays linearly over its second half
    /// (--max-iters stops a run earlier) [demo: 1000].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1_000_000))]
    pub iteration: u64,
    /// ugatit: channels of the networks' first layer (the reference's --ch) [demo: 8].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub ch: usize,
    /// ugatit: residual blocks of the generators' encoder and adaILN blocks of their decoder.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 4))]
    pub n_res: usize,
    /// ugatit: weight of the adversarial losses.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1.0))]
    pub adv_weight: f32,
    /// ugatit: weight of the cycle L1 losses.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10.0))]
    pub cycle_weight: f32,
    /// ugatit: weight of the identity L1 losses.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10.0))]
    pub identity_weight: f32,
    /// ugatit: weight of the generators' CAM losses.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1000.0))]
    pub cam_weight: f32,
    /// ugatit: Adam's weight decay, added to the gradient as the reference's torch.optim.Adam does.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1e-4))]
    pub weight_decay: f32,
}

impl Default for UgatitOptions {
    fn default() -> Self {
        UgatitOptions {
            light: false,
            iteration: 1_000_000,
            ch: 64,
            n_res: 4,
            adv_weight: 1.0,
            cycle_weight: 10.0,
            identity_weight: 10.0,
            cam_weight: 1000.0,
            weight_decay: 1e-4,
        }
    }
}

impl Group for UgatitOptions {
    const HEADING: &'static str = "U-GAT-IT";
}

/// U-GAT-IT in the registry.
pub struct UgatitSpec;

impl UgatitSpec {
    /// The generators' shape: the crop size is the full model's image size.
    pub fn generator(o: &TrainOptions) -> GeneratorShape {
        let u = o.get::<UgatitOptions>();
        GeneratorShape { ch: u.ch, n_res: u.n_res, light: u.light, img_size: o.crop_size as usize }
    }

    /// The model's configuration from the options.
    pub fn config(o: &TrainOptions) -> UgatitConfig {
        let u = o.get::<UgatitOptions>();
        UgatitConfig {
            weight_decay: u.weight_decay,
            adv_weight: u.adv_weight,
            cycle_weight: u.cycle_weight,
            identity_weight: u.identity_weight,
            cam_weight: u.cam_weight,
            ..UgatitConfig::reference(Self::generator(o))
        }
    }
}

/// U-GAT-IT, as plain data.
static CARD: ModelCard = ModelCard {
    info: &INFO,
    title: "U-GAT-IT",
    about: "U-GAT-IT: unpaired translation with attention (CAM) and adaptive layer-instance normalization",
    groups: &[OptionGroup::of::<UgatitOptions>()],
    data: Data::Unaligned,
    demo: Demo::Blobs,
    page: None,
};

impl ModelSpec for UgatitSpec {
    fn card(&self) -> &'static ModelCard {
        &CARD
    }

    /// UGATIT.py: lr 1e-4, Resize to img_size + 30, samples every 1000
    /// iterations (its print_freq).
    fn model_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        let load = o.crop_size + 30;
        default_unset!(o, unset, lr = 1e-4, load_size = load, display_freq = 1000);
    }

    /// Small networks on 96x96 crops (the global discriminator's smallest
    /// input). The reference's networks with these settings in PyTorch: at
    /// lr 2e-4 the discs are still round blurs after 400 iterations; at
    /// 5e-4, with the decay over the second half of 1000, the discs turn
    /// visibly square from about 750.
    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        default_unset!(
            o,
            unset,
            name = "demo_ugatit".into(),
            lr = 5e-4,
            crop_size = 96,
            load_size = 104,
            display_freq = 25,
            print_freq = 5,
            save_latest_freq = 100
        );
        o.update::<UgatitOptions>(|u| {
            if unset("light") {
                u.light = true;
            }
            if unset("ch") {
                u.ch = 8;
            }
            if unset("n_res") {
                u.n_res = 2;
            }
            if unset("iteration") {
                u.iteration = 1000;
            }
        });
    }

    /// UGATIT.py: RandomHorizontalFlip, Resize((img_size + 30) square), RandomCrop(img_size).
    fn resolve(&self, o: &mut TrainOptions) {
        if o.preprocess != Preprocess::Crop {
            o.preprocess = Preprocess::ResizeAndCrop;
        }
    }

    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        let u = o.get::<UgatitOptions>();
        if u.ch == 0 {
            return Err("--ch must be at least 1".into());
        }
        if u.iteration < 2 {
            return Err("--iteration must be at least 2 (the learning rate decays over its second half)".into());
        }
        non_negative(&[
            ("--adv-weight", u.adv_weight),
            ("--cycle-weight", u.cycle_weight),
            ("--identity-weight", u.identity_weight),
            ("--cam-weight", u.cam_weight),
            ("--weight-decay", u.weight_decay),
        ])
    }

    fn size_check(&self, o: &TrainOptions) -> SizeCheck {
        let min = Self::config(o).min_size() as u32;
        SizeCheck { multiple: 4, min, min_by: "U-GAT-IT's global discriminator", d_layers: None }
    }

    fn architecture(&self, o: &TrainOptions) -> String {
        let g = Self::generator(o);
        let full = if g.light { String::new() } else { format!(", full at {}x{}", g.img_size, g.img_size) };
        format!("ugatit{} ch {} n_res {}{full}", if g.light { " light" } else { "" }, g.ch, g.n_res)
    }

    fn iterations(&self, o: &TrainOptions) -> Option<u64> {
        Some(o.get::<UgatitOptions>().iteration)
    }

    fn bilinear(&self) -> bool {
        true
    }

    fn split_weights(&self, sd: &StateDict) -> Option<Result<Vec<StateDict>>> {
        Some(split_checkpoint(sd))
    }

    /// The generators must be of the shape the options ask for.
    fn check_init(
        &self,
        o: &TrainOptions,
        nets: Vec<StateDict>,
        what: &str,
    ) -> std::result::Result<(Vec<StateDict>, Vec<String>), String> {
        let want = Self::generator(o);
        for (name, sd) in ["genA2B", "genB2A"].iter().zip(&nets) {
            let found = detect_generator(sd).map_err(|e| format!("{what}: {name}: {e}"))?;
            let same = found.ch == want.ch
                && found.n_res == want.n_res
                && found.light == want.light
                && (found.light || found.img_size == want.img_size);
            if !same {
                let light = if found.light { " --light" } else { "" };
                let size = if found.light { String::new() } else { format!(" --crop-size {}", found.img_size) };
                return Err(format!(
                    "{what}: {name} is a {}, but the options ask for a {}; pass --ch {} --n-res {}{light}{size} \
                     (nothing was changed)",
                    found.describe(),
                    want.describe(),
                    found.ch,
                    found.n_res
                ));
            }
        }
        Ok((nets, Vec::new()))
    }

    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>> {
        Ok(Box::new(Ugatit::new(gpu, Self::config(o), init)?))
    }

    /// The reference's whole checkpoint (genB2A with `b_to_a`, else genA2B)
    /// or one generator; one of its discriminators is an error that names it.
    fn detect_generator(&self, sd: StateDict, opts: &LoadOptions) -> Result<Detection> {
        let sd = match generator_weights(sd, opts.b_to_a)? {
            WeightFile::Generator(sd) => sd,
            WeightFile::Other(sd) => {
                if sd.get("conv1x1.weight").is_some() && sd.get("gap_fc.weight_orig").is_some() {
                    // The convolutions at model.1, model.4, ...: n_layers - 1 of them.
                    let convs =
                        (0..).take_while(|k| sd.get(&format!("model.{}.weight_orig", 3 * k + 1)).is_some()).count();
                    let ch = sd.get("model.1.weight_orig").and_then(|t| t.shape.first().copied()).unwrap_or(0);
                    let which = if convs + 1 == 7 { "global" } else { "local" };
                    return Err(Error::Discriminator(format!("U-GAT-IT {which} discriminator, ch {ch}")));
                }
                return Ok(Detection::Other(sd));
            }
        };
        let shape = detect_generator(&sd)?;
        Ok(Detection::Found(Detected::new(Vec::new(), move |gpu| {
            Ok(Box::new(Translator::new(Generator::new(gpu, shape, &sd)?)) as Box<dyn GeneratorApi>)
        })))
    }

    fn max_pixels(&self, gpu: &Gpu, o: &TrainOptions) -> usize {
        ugatit_fit_pixels(gpu, &Self::generator(o))
    }

    fn bench_cases(&self) -> Vec<BenchCase> {
        [(true, "ugatit_light"), (false, "ugatit_full")]
            .into_iter()
            .map(|(light, label)| {
                let mut o = TrainOptions::of(INFO.kind);
                o.update::<UgatitOptions>(|u| u.light = light);
                self.resolve(&mut o);
                BenchCase { label: label.into(), ngf: 64, size: 256, batch: 1, options: o }
            })
            .collect()
    }
}
