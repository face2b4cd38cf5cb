//! The options of a training run, named after the reference's `train.py`
//! flags: those every model has ([`CommonOptions`]) and the groups each model
//! declares ([`OptionGroup`]). `trainer` turns them into its command line
//! (with the `cli` feature); the page reads the same type from JSON; a
//! checkpoint's manifest records them as one flat JSON object.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::train::transform::{Direction, Preprocess, Transform};
use crate::train::Schedule;

/// `--model`: the registry's names, each with its help line.
#[cfg(feature = "cli")]
pub fn model_parser() -> impl clap::builder::TypedValueParser<Value = String> {
    use clap::builder::{PossibleValue, PossibleValuesParser};
    let values = super::MODELS.iter().map(|m| PossibleValue::new(m.info().kind).help(m.about()));
    PossibleValuesParser::new(values)
}

/// `--preprocess`: the reference's names, each with its help line.
#[cfg(feature = "cli")]
pub fn preprocess_parser() -> impl clap::builder::TypedValueParser<Value = Preprocess> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let values = Preprocess::ALL.map(|(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(values).map(|s| s.parse::<Preprocess>().expect("one of the possible values"))
}

/// Options every model has: data, run name, schedule, optimiser,
/// preprocessing, frequencies and run control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct CommonOptions {
    /// The model: cycle_gan (two unpaired folders), pix2pix (one folder of A|B pairs), dcgan (one folder of
    /// images, generated from noise), discogan (two unpaired folders, or A|B pairs taken apart, at 64x64) or
    /// ugatit (two unpaired folders; attention-guided, for translations that change shape).
    #[cfg_attr(feature = "cli", arg(long, default_value = "cycle_gan", value_parser = model_parser()))]
    pub model: String,
    /// Folder of domain A training images, searched recursively (e.g. monet2photo/trainA).
    /// Leave out the data to train on the model's built-in demo.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR", requires = "domain_b"))]
    pub domain_a: Option<PathBuf>,
    /// Folder of domain B training images, searched recursively (e.g. monet2photo/trainB).
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR", requires = "domain_a"))]
    pub domain_b: Option<PathBuf>,
    /// The data set: for pix2pix a folder of A|B side-by-side images (e.g. facades/train); for cycle_gan
    /// a folder holding trainA/ and trainB/ (instead of --domain-a/--domain-b); for dcgan a folder of images,
    /// searched recursively.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR", conflicts_with_all = ["domain_a", "domain_b"]))]
    pub dataroot: Option<PathBuf>,
    /// pix2pix: AtoB translates the left half into the right, BtoA the right into the left (facades: BtoA).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "AtoB"))]
    pub direction: Direction,
    /// Experiment name: results go to <checkpoints-dir>/<name>/ [demo: demo].
    #[cfg_attr(feature = "cli", arg(long, default_value = "experiment"))]
    pub name: String,
    /// Folder that holds one subfolder of results per experiment.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR", default_value = "checkpoints"))]
    pub checkpoints_dir: PathBuf,
    /// Filters in the generators' first conv layer [demo: 16].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub ngf: usize,
    /// Filters in the discriminators' first conv layer [demo: 16].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub ndf: usize,
    /// dcgan, discogan: side of the square images (the reference's --imageSize / --image_size; DCGAN's networks
    /// are built for 64, DiscoGAN's take multiples of 16 from 64).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub image_size: u32,
    /// Epochs at the initial learning rate [demo: 4].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 100))]
    pub n_epochs: u64,
    /// Epochs over which the learning rate then decays linearly to zero [demo: 4].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 100))]
    pub n_epochs_decay: u64,
    /// Initial learning rate of Adam (both optimizers).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0002))]
    pub lr: f64,
    /// Adam momentum term beta1.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.5))]
    pub beta1: f32,
    /// Images per iteration from each domain.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1))]
    pub batch_size: usize,
    /// Scale images to this size before cropping [demo: 72].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 286))]
    pub load_size: u32,
    /// Then crop to this size: the size the networks train at [demo: 64].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 256))]
    pub crop_size: u32,
    /// How images are scaled and cropped before training.
    #[cfg_attr(feature = "cli", arg(long, value_parser = preprocess_parser(), default_value = "resize_and_crop"))]
    pub preprocess: Preprocess,
    /// Do not flip images horizontally at random.
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_flip: bool,
    /// Take images in order (A and B by iteration) instead of shuffling A and picking B at random.
    #[cfg_attr(feature = "cli", arg(long))]
    pub serial_batches: bool,
    /// Seed of the weight init, data order, augmentation and image pools: same seed, same run.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0))]
    pub seed: u64,
    /// Iterations between loss log lines, progress-bar losses and loss-curve updates [demo: 10].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 100))]
    pub print_freq: u64,
    /// Epochs between the per-epoch checkpoints epoch_<n>/ [demo: 2].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5))]
    pub save_epoch_freq: u64,
    /// Iterations between saves of the latest/ checkpoint [demo: 200].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5000))]
    pub save_latest_freq: u64,
    /// Iterations between sample grids in web/images/ [demo: 40].
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 400))]
    pub display_freq: u64,
    /// Resume from <checkpoints-dir>/<name>/latest/: weights, Adam states, schedule, RNG and image pools.
    #[cfg_attr(feature = "cli", arg(long, conflicts_with = "init_weights"))]
    pub continue_train: bool,
    /// Stop after this many iterations in total (counting those before a resume); latest/ is saved.
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub max_iters: Option<u64>,
    /// Start from the networks' .safetensors in DIR (G_A G_B D_A D_B, or G D for pix2pix; e.g. another run's
    /// latest/, or a reference run's latest_net_*.pth) with fresh optimizers. ugatit also takes the
    /// reference's checkpoint file (<dataset>_params_NNNNNNN.pt) as is.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR"))]
    pub init_weights: Option<PathBuf>,
}

impl Default for CommonOptions {
    /// The command line's defaults (a test checks the two agree).
    fn default() -> Self {
        CommonOptions {
            model: "cycle_gan".into(),
            domain_a: None,
            domain_b: None,
            dataroot: None,
            direction: Direction::AtoB,
            name: "experiment".into(),
            checkpoints_dir: "checkpoints".into(),
            ngf: 64,
            ndf: 64,
            image_size: 64,
            n_epochs: 100,
            n_epochs_decay: 100,
            lr: 0.0002,
            beta1: 0.5,
            batch_size: 1,
            load_size: 286,
            crop_size: 256,
            preprocess: Preprocess::ResizeAndCrop,
            no_flip: false,
            serial_batches: false,
            seed: 0,
            print_freq: 100,
            save_epoch_freq: 5,
            save_latest_freq: 5000,
            display_freq: 400,
            continue_train: false,
            max_iters: None,
            init_weights: None,
        }
    }
}

/// Options that only record what a run did; they may change between a run and its resume.
pub const RUN_CONTROL: [&str; 8] = [
    "continue_train",
    "max_iters",
    "init_weights",
    "domain_a",
    "domain_b",
    "dataroot",
    "max_image_side",
    "max_image_mib",
];

/// A model's own options: one struct, with its reference defaults as
/// `Default` (and as the command line's defaults, which a test compares),
/// serialized flat beside the common options.
pub trait Group: Serialize + DeserializeOwned + Default + Clone {
    /// Its options under `trainer --help`'s heading of this name.
    const HEADING: &'static str;
}

/// Picks a group's options out of a flat JSON object.
pub type Pick = fn(&Map<String, Value>) -> Result<Map<String, Value>, String>;

/// A group of options as the registry lists it: its defaults and, with the
/// `cli` feature, how it joins a clap command.
#[derive(Clone, Copy)]
pub struct OptionGroup {
    /// The `--help` heading the group's flags are listed under; also its identity.
    pub heading: &'static str,
    /// The group's options at their defaults, as a JSON object.
    pub defaults: fn() -> Map<String, Value>,
    /// The group's options picked from a flat JSON object (others ignored, absent ones at their defaults).
    pub pick: Pick,
    /// Adds the group's flags to a command.
    #[cfg(feature = "cli")]
    pub augment: fn(clap::Command) -> clap::Command,
    /// The group's options from parsed flags, as a JSON object.
    #[cfg(feature = "cli")]
    pub from_matches: fn(&clap::ArgMatches) -> Result<Map<String, Value>, clap::Error>,
}

/// `value` as a JSON object. Through text, so that an f32 keeps its own
/// shortest form (0.01, not the 0.009999999776482582 of its f64 widening).
fn object<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_string(value).and_then(|text| serde_json::from_str(&text)) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn defaults_of<G: Group>() -> Map<String, Value> {
    object(&G::default())
}

fn pick_of<G: Group>(all: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let keys = defaults_of::<G>();
    let mine: Map<String, Value> =
        all.iter().filter(|(k, _)| keys.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let g: G = serde_json::from_value(Value::Object(mine)).map_err(|e| e.to_string())?;
    Ok(object(&g))
}

impl OptionGroup {
    /// The entry of group `G`.
    #[cfg(not(feature = "cli"))]
    pub const fn of<G: Group>() -> OptionGroup {
        OptionGroup { heading: G::HEADING, defaults: defaults_of::<G>, pick: pick_of::<G> }
    }

    /// The entry of group `G`.
    #[cfg(feature = "cli")]
    pub const fn of<G: Group + clap::Args + clap::FromArgMatches>() -> OptionGroup {
        fn from_matches<G: Group + clap::FromArgMatches>(
            m: &clap::ArgMatches,
        ) -> Result<Map<String, Value>, clap::Error> {
            Ok(object(&G::from_arg_matches(m)?))
        }
        fn augment<G: Group + clap::Args>(cmd: clap::Command) -> clap::Command {
            G::augment_args(cmd.next_help_heading(G::HEADING))
        }
        OptionGroup {
            heading: G::HEADING,
            defaults: defaults_of::<G>,
            pick: pick_of::<G>,
            augment: augment::<G>,
            from_matches: from_matches::<G>,
        }
    }
}

/// Every option of a run: the common ones and every model's groups (all of
/// them, so a manifest records the same keys whatever the model).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// The options every model has.
    pub common: CommonOptions,
    /// The models' groups, flat: option name to value.
    pub groups: Map<String, Value>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        let mut groups = Map::new();
        for g in super::option_groups() {
            groups.extend((g.defaults)());
        }
        TrainOptions { common: CommonOptions::default(), groups }
    }
}

impl std::ops::Deref for TrainOptions {
    type Target = CommonOptions;

    fn deref(&self) -> &CommonOptions {
        &self.common
    }
}

impl std::ops::DerefMut for TrainOptions {
    fn deref_mut(&mut self) -> &mut CommonOptions {
        &mut self.common
    }
}

impl TrainOptions {
    /// The defaults, for the model called `model`.
    pub fn of(model: &str) -> TrainOptions {
        let mut o = TrainOptions::default();
        o.common.model = model.into();
        o
    }

    /// Options from a flat JSON object (a manifest's `options`, the page's
    /// settings); absent ones take their defaults, unknown ones are ignored.
    pub fn from_map(map: &Map<String, Value>) -> Result<TrainOptions, String> {
        let common: CommonOptions = serde_json::from_value(Value::Object(map.clone())).map_err(|e| e.to_string())?;
        super::spec(&common.model)?;
        let mut groups = Map::new();
        for g in super::option_groups() {
            groups.extend((g.pick)(map)?);
        }
        Ok(TrainOptions { common, groups })
    }

    /// Every option as one flat JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = object(&self.common);
        map.extend(self.groups.clone());
        map
    }

    /// The options of group `G`.
    pub fn get<G: Group>(&self) -> G {
        pick_of::<G>(&self.groups)
            .and_then(|m| serde_json::from_value(Value::Object(m)).map_err(|e| e.to_string()))
            .unwrap_or_default()
    }

    /// Replaces the options of group `G`.
    pub fn set<G: Group>(&mut self, g: &G) {
        self.groups.extend(object(g));
    }

    /// Changes the options of group `G`.
    pub fn update<G: Group>(&mut self, f: impl FnOnce(&mut G)) {
        let mut g = self.get::<G>();
        f(&mut g);
        self.set(&g);
    }

    /// Whether no data was given, so the built-in demo runs.
    pub fn is_demo(&self) -> bool {
        self.domain_a.is_none() && self.domain_b.is_none() && self.dataroot.is_none()
    }

    /// The model's entry in the registry.
    pub fn spec(&self) -> Result<&'static dyn super::ModelSpec, String> {
        super::spec(&self.model)
    }

    /// The model's entry for options whose name was checked when they were
    /// made ([`TrainOptions::from_map`], the command line's parser); a name
    /// changed by hand since then to one of no model gives the first model.
    pub fn checked_spec(&self) -> &'static dyn super::ModelSpec {
        self.spec().unwrap_or(super::MODELS[0])
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> Schedule {
        let iterations = self.spec().ok().and_then(|s| s.iterations(self));
        Schedule { lr: self.lr, n_epochs: self.n_epochs, n_epochs_decay: self.n_epochs_decay, iterations }
    }

    /// The preprocessing of each image.
    pub fn transform(&self) -> Transform {
        Transform {
            preprocess: self.preprocess,
            load_size: self.load_size,
            crop_size: self.crop_size,
            flip: !self.no_flip,
            bilinear: self.spec().is_ok_and(|s| s.bilinear()),
        }
    }

    /// One line naming the model and its networks, as checkpoints record it.
    pub fn architecture(&self) -> Result<String, String> {
        Ok(self.spec()?.architecture(self))
    }

    /// Fills the options whose default depends on the model, as the
    /// reference's `modify_commandline_options` does: the model's defaults
    /// where `unset(option)`, with `demo` the demo's too, then the options
    /// the model fixes; then checks everything.
    pub fn resolve(&mut self, unset: &dyn Fn(&str) -> bool, demo: bool) -> Result<(), String> {
        let spec = self.spec()?;
        spec.model_defaults(self, unset);
        if demo {
            spec.demo_defaults(self, unset);
        }
        spec.resolve(self);
        self.validate()
    }

    /// Checks the options among themselves; every message names the flag.
    pub fn validate(&self) -> Result<(), String> {
        let spec = self.spec()?;
        for (flag, v) in [
            ("--ngf", self.ngf),
            ("--ndf", self.ndf),
            ("--batch-size", self.batch_size),
            ("--print-freq", self.print_freq as usize),
            ("--save-epoch-freq", self.save_epoch_freq as usize),
            ("--save-latest-freq", self.save_latest_freq as usize),
            ("--display-freq", self.display_freq as usize),
        ] {
            if v == 0 {
                return Err(format!("{flag} must be at least 1"));
            }
        }
        if self.n_epochs + self.n_epochs_decay == 0 {
            return Err("--n-epochs plus --n-epochs-decay must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!("--lr must be a positive number, not {}", self.lr));
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return Err(format!("--beta1 must be in [0, 1), not {}", self.beta1));
        }
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name == "." || self.name == ".." {
            return Err(format!("--name {:?} must be a plain folder name (no slashes)", self.name));
        }
        spec.validate(self)?;
        let p = self.preprocess;
        let sizes = spec.size_check(self);
        if p.crops() {
            if self.crop_size == 0 {
                return Err("--crop-size must be at least 1".into());
            }
            if p != Preprocess::Crop && self.crop_size > self.load_size {
                return Err(format!(
                    "--crop-size {} is larger than --load-size {}: with --preprocess {} images are scaled to the \
                     load size first, so the crop must fit in it (use a crop size <= load size)",
                    self.crop_size,
                    self.load_size,
                    p.name()
                ));
            }
            sizes.check(self.crop_size, "--crop-size")?;
        } else if p == Preprocess::ScaleWidth {
            sizes.check(self.load_size, "--load-size")?;
        }
        if matches!(p, Preprocess::ResizeAndCrop | Preprocess::ScaleWidth | Preprocess::ScaleWidthAndCrop)
            && self.load_size == 0
        {
            return Err("--load-size must be at least 1".into());
        }
        Ok(())
    }
}

impl Serialize for TrainOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for TrainOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        TrainOptions::from_map(&map).map_err(serde::de::Error::custom)
    }
}

/// The sides a run's networks take: a multiple of what the generator halves
/// to, and enough for the discriminator's layers.
#[derive(Clone, Copy, Debug)]
pub struct SizeCheck {
    /// The generator's multiple (4 for a ResNet, 2^num_downs for a U-Net).
    pub multiple: u32,
    /// The generator's smallest side (8 for a ResNet, its multiple for a U-Net).
    pub min: u32,
    /// What needs `min` (for messages), e.g. "the generator".
    pub min_by: &'static str,
    /// Strided layers of a PatchGAN discriminator.
    pub d_layers: Option<usize>,
}

impl SizeCheck {
    /// The sides generator `g` takes, and a PatchGAN of `d_layers` layers if any.
    pub fn generator(g: &crate::nn::nets::arch::GeneratorConfig, d_layers: Option<usize>) -> SizeCheck {
        SizeCheck { multiple: g.size_multiple() as u32, min: g.min_size() as u32, min_by: "the generator", d_layers }
    }

    /// Checks one side; `flag` names it in the message.
    pub fn check(&self, size: u32, flag: &str) -> Result<(), String> {
        let m = self.multiple;
        if size % m != 0 || size < m {
            return Err(format!(
                "{flag} {size} must be a multiple of {m}: the generator halves the image {} times and doubles it back",
                m.trailing_zeros()
            ));
        }
        if size < self.min {
            return Err(format!(
                "{flag} {size} is too small: {} takes images of at least {m}x{m} pixels",
                self.min_by,
                m = self.min
            ));
        }
        if let Some(n_layers) = self.d_layers {
            check_d_size(size, n_layers, flag)?;
        }
        Ok(())
    }
}

/// Side of the PatchGAN's output for an input of side `size`, if positive.
pub fn discriminator_output(size: u32, n_layers: usize) -> Option<u32> {
    let mut s = size as i64;
    for _ in 0..n_layers {
        s = (s + 2 - 4).div_euclid(2) + 1;
    }
    for _ in 0..2 {
        s = s + 2 - 4 + 1;
    }
    (s >= 1).then_some(s as u32)
}

/// The PatchGAN needs enough pixels for its layers.
pub fn check_d_size(size: u32, n_layers: usize, flag: &str) -> Result<(), String> {
    if discriminator_output(size, n_layers).is_none() {
        let min = (4..).step_by(4).find(|&s| discriminator_output(s, n_layers).is_some()).unwrap_or(0);
        return Err(format!(
            "{flag} {size} is too small for a discriminator with --n-layers-d {n_layers} (its output would be \
             empty); use at least {min}, or fewer layers"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patchgan_output_sizes() {
        // 256 -> 128 -> 64 -> 32 -> 31 -> 30: the 70x70 PatchGAN's 30x30 map.
        assert_eq!(discriminator_output(256, 3), Some(30));
        assert_eq!(discriminator_output(16, 3), None);
        assert_eq!(discriminator_output(16, 2), Some(2));
        assert!(check_d_size(24, 3, "--crop-size").is_ok());
        assert!(check_d_size(16, 3, "--crop-size").unwrap_err().contains("at least 24"));
    }

    #[test]
    fn options_travel_as_one_flat_object() {
        let mut o = TrainOptions::of("cycle_gan");
        o.lr = 0.5;
        let map = o.to_map();
        assert_eq!(map["lr"], 0.5);
        assert!(map.contains_key("nz") && map.contains_key("net_g"), "every group's keys: {map:?}");
        let back = TrainOptions::from_map(&map).unwrap();
        assert_eq!(back, o);
        // An f32 is written in its own shortest form.
        assert_eq!(serde_json::to_string(&map["starting_rate"]).unwrap(), "0.01");
        // Absent keys take their defaults; unknown keys are ignored.
        let mut partial = Map::new();
        partial.insert("model".into(), "pix2pix".into());
        partial.insert("max_image_side".into(), 10.into());
        let p = TrainOptions::from_map(&partial).unwrap();
        assert_eq!((p.model.as_str(), p.lr), ("pix2pix", 0.0002));
        assert!(!p.to_map().contains_key("max_image_side"));
    }
}
