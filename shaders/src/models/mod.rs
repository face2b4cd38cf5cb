//! The training models, one file each: its networks' step ([`Model`]), its
//! options with the reference's defaults, its demo defaults, checks, data
//! and schedule, and how it is built ([`ModelSpec`]). [`MODELS`] lists
//! them; `trainer` and the page know a model only through it.
//!
//! This level sits above `train` (data order, preprocessing, schedule),
//! whose types a model's options name; `nn` below knows no model.

#[cfg(feature = "cli")]
pub mod cli;
pub mod cyclegan;
pub mod dcgan;
pub mod discogan;
pub mod image_to_image;
pub mod options;
pub mod pix2pix;
pub mod ugatit;

use crate::context::Gpu;
use crate::error::Result;
use crate::nn::generator::{Detected, Detection, LoadOptions};
use crate::nn::io::weights::StateDict;
use crate::nn::model::{Init, Model, ModelInfo};
use crate::nn::nets::arch::GeneratorConfig;
use crate::nn::nets::network::Architecture;
use crate::nn::nets::remap::map_state_dict;
use crate::nn::translate::max_pixels;
pub use options::{OptionGroup, SizeCheck, TrainOptions};

/// Every model, in the order `--model`'s help lists them. A new model adds
/// its line here.
pub static MODELS: &[&dyn ModelSpec] =
    &[&cyclegan::CycleGanSpec, &pix2pix::Pix2PixSpec, &dcgan::DcganSpec, &discogan::DiscoGanSpec, &ugatit::UgatitSpec];

/// The generator in a weight file: a model's own networks (each model's
/// [`ModelSpec::detect_generator`]), else the shared network family.
pub fn detect_generator(sd: StateDict, opts: &LoadOptions) -> Result<Detected> {
    let mut sd = sd;
    for m in MODELS {
        match m.detect_generator(sd, opts)? {
            Detection::Found(d) => return Ok(d),
            Detection::Other(back) => sd = back,
        }
    }
    Detected::network(&sd, opts)
}

/// The model called `name` (the reference's `--model` spelling).
pub fn spec(name: &str) -> std::result::Result<&'static dyn ModelSpec, String> {
    MODELS.iter().copied().find(|m| m.info().kind == name).ok_or_else(|| {
        let names: Vec<&str> = MODELS.iter().map(|m| m.info().kind).collect();
        format!("there is no model `{name}`; the models are {}", names.join(", "))
    })
}

/// Every model's option groups, each once, in [`MODELS`] order.
pub fn option_groups() -> Vec<OptionGroup> {
    let mut groups: Vec<OptionGroup> = Vec::new();
    for g in MODELS.iter().flat_map(|m| m.groups()) {
        if !groups.iter().any(|have| have.heading == g.heading) {
            groups.push(*g);
        }
    }
    groups
}

/// What a model trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// Two folders of images with no correspondence (`--domain-a`/`--domain-b`,
    /// or `--dataroot` holding trainA/ and trainB/).
    Unaligned,
    /// As [`Data::Unaligned`], or one `--dataroot` folder of A|B pairs taken
    /// apart (A and B from independently drawn pairs).
    UnalignedOrHalves,
    /// One `--dataroot` folder of A|B side-by-side pairs.
    Aligned,
    /// One `--dataroot` folder of images.
    Single,
}

impl Data {
    /// Whether the model takes `--domain-a`/`--domain-b`.
    pub fn takes_domains(self) -> bool {
        matches!(self, Data::Unaligned | Data::UnalignedOrHalves)
    }

    /// What the one `--dataroot` folder holds, for models that take no domains.
    pub fn describe(self) -> &'static str {
        match self {
            Data::Aligned => "one folder of A|B side-by-side images",
            Data::Single => "one folder of images",
            _ => "two folders of images",
        }
    }
}

/// The built-in demo data a model trains on when given none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// Daytime landscapes (A) and night landscapes (B).
    Landscapes,
    /// Facade label maps beside the rendered buildings (A|B pairs).
    Facades,
    /// Coloured discs, squares and triangles (one set).
    Shapes,
    /// Round blobs (A) and square blocks (B) of the same colours.
    Blobs,
}

/// One row of `trainer bench train`: a model's options at a benchmark size.
pub struct BenchCase {
    /// The row's name, e.g. `resnet_9blocks`.
    pub label: String,
    /// Filters of the first generator layer, for the table.
    pub ngf: usize,
    /// Image side.
    pub size: usize,
    /// Images per iteration.
    pub batch: usize,
    /// The model's options.
    pub options: TrainOptions,
}

impl BenchCase {
    /// The model's reference options (resolved) at `size` and `batch`.
    pub fn reference(spec: &dyn ModelSpec, label: &str, size: usize, batch: usize) -> BenchCase {
        let mut options = TrainOptions::of(spec.info().kind);
        spec.resolve(&mut options);
        BenchCase { label: label.into(), ngf: options.ngf, size, batch, options }
    }
}

/// A training model as the front ends see it: its names, options and
/// construction. Each model file implements it once.
pub trait ModelSpec: Sync {
    /// What it is, as plain data ([`ModelCard`]).
    fn card(&self) -> &'static ModelCard;

    /// Its names ([`ModelInfo`]); `info().kind` is the `--model` value.
    fn info(&self) -> &'static ModelInfo {
        self.card().info
    }

    /// Its name for people, e.g. `CycleGAN`.
    fn title(&self) -> &'static str {
        self.card().title
    }

    /// One line on what it does, for `--model`'s help.
    fn about(&self) -> &'static str {
        self.card().about
    }

    /// Its option groups (shared groups may appear in several models).
    fn groups(&self) -> &'static [OptionGroup] {
        self.card().groups
    }

    /// What it trains on.
    fn data(&self) -> Data {
        self.card().data
    }

    /// Its built-in demo data.
    fn demo(&self) -> Demo {
        self.card().demo
    }

    /// Replaces the defaults the user did not set (`unset(option)`) by the
    /// model's where they differ from the reference's `train.py`.
    fn model_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool) {
        let _ = (o, unset);
    }

    /// Replaces the defaults the user did not set by the demo's small ones.
    fn demo_defaults(&self, o: &mut TrainOptions, unset: &dyn Fn(&str) -> bool);

    /// Fills the options the model fixes or whose default depends on it.
    fn resolve(&self, o: &mut TrainOptions) {
        let _ = o;
    }

    /// Checks its own options; the message names the flag.
    fn validate(&self, o: &TrainOptions) -> std::result::Result<(), String> {
        let _ = o;
        Ok(())
    }

    /// Its generator, where it is one of the reference family's ([`GeneratorConfig`]).
    fn generator(&self, o: &TrainOptions) -> Option<GeneratorConfig> {
        let _ = o;
        None
    }

    /// The image sides its networks take (by default, its generator's).
    fn size_check(&self, o: &TrainOptions) -> SizeCheck {
        match self.generator(o) {
            Some(g) => SizeCheck::generator(&g, None),
            None => SizeCheck { multiple: 1, min: 1, min_by: "the generator", d_layers: None },
        }
    }

    /// One line naming its networks, as checkpoints record it: a resume must build the same.
    fn architecture(&self, o: &TrainOptions) -> String;

    /// The run's length in iterations where the schedule counts iterations, not epochs.
    fn iterations(&self, o: &TrainOptions) -> Option<u64> {
        let _ = o;
        None
    }

    /// Whether images are resized with PIL's BILINEAR rather than BICUBIC.
    fn bilinear(&self) -> bool {
        false
    }

    /// The architectures of its networks in [`ModelInfo::networks`] order,
    /// where each is one of [`Architecture`] (checked by `--init-weights`).
    fn architectures(&self, o: &TrainOptions) -> Vec<Architecture> {
        let _ = o;
        Vec::new()
    }

    /// The networks from one weight file holding them all (U-GAT-IT's
    /// reference checkpoint), if the model takes such a file.
    fn split_weights(&self, sd: &StateDict) -> Option<Result<Vec<StateDict>>> {
        let _ = sd;
        None
    }

    /// Checks `--init-weights` networks against the options and returns them
    /// in the reference's layout; `what` names their source in messages.
    fn check_init(
        &self,
        o: &TrainOptions,
        nets: Vec<StateDict>,
        what: &str,
    ) -> std::result::Result<(Vec<StateDict>, Vec<String>), String> {
        check_architectures(self.info().networks, &self.architectures(o), nets, what)
    }

    /// Builds the model on `gpu`.
    fn build(&self, gpu: &Gpu, o: &TrainOptions, init: Init) -> Result<Box<dyn Model>>;

    /// The widest batch of crops (pixels per batch) its generator fits in one binding.
    fn max_pixels(&self, gpu: &Gpu, o: &TrainOptions) -> usize {
        self.generator(o).map_or(usize::MAX, |g| max_pixels(gpu, &g))
    }

    /// The rows `trainer bench train` measures.
    fn bench_cases(&self) -> Vec<BenchCase>;

    /// The generator in a weight file of this model's own networks (ones the
    /// shared network family does not cover), with its translation; any
    /// other file comes back as [`Detection::Other`].
    fn detect_generator(&self, sd: StateDict, opts: &LoadOptions) -> Result<Detection> {
        let _ = opts;
        Ok(Detection::Other(sd))
    }

    /// How the page's Train mode offers the model; `None`: not offered there.
    fn page_form(&self) -> Option<PageForm> {
        self.card().page
    }

    /// What the user should run after training, e.g. `trainer translate --weights ...`.
    fn next_step(&self, weights: &str) -> String {
        format!("translate with: trainer translate --weights {weights} --input IMAGE --output OUT.png")
    }
}

/// What a model is, as plain data: its names, how people and `--help` call
/// it, its option groups, its data, its demo and its form in the page.
pub struct ModelCard {
    /// Its names; `info.kind` is the `--model` value.
    pub info: &'static ModelInfo,
    /// Its name for people, e.g. `CycleGAN`.
    pub title: &'static str,
    /// One line on what it does, for `--model`'s help.
    pub about: &'static str,
    /// Its option groups (shared groups may appear in several models).
    pub groups: &'static [OptionGroup],
    /// What it trains on.
    pub data: Data,
    /// Its built-in demo data.
    pub demo: Demo,
    /// How the page's Train mode offers it; `None`: not offered there.
    pub page: Option<PageForm>,
}

/// How the page's Train mode offers a model.
#[derive(Clone, Copy, Debug)]
pub struct PageForm {
    /// The model menu's entry, e.g. `CycleGAN: two sets of images`.
    pub label: &'static str,
    /// The form's starting values as a JSON object of [`TrainOptions`] keys:
    /// small enough for a laptop GPU where the reference's are large.
    pub defaults: &'static str,
    /// The options the form shows besides ngf, ndf, the batch, the learning
    /// rate, the epochs and the seed, which it shows for every model.
    pub shows: &'static [&'static str],
    /// Of those, the ones shown but fixed by the model.
    pub fixed: &'static [&'static str],
}

/// The models the page's Train mode offers, in [`MODELS`]' order, as JSON:
/// `[{kind, label, data, shows, fixed, defaults}]`, where `data` is
/// `unaligned` (two sets of images), `aligned` (A|B pairs) or `single` (one
/// set) and `defaults` the form's starting values.
pub fn page_catalog() -> serde_json::Value {
    let entries = MODELS.iter().filter_map(|m| {
        let form = m.page_form()?;
        let data = match m.data() {
            Data::Unaligned | Data::UnalignedOrHalves => "unaligned",
            Data::Aligned => "aligned",
            Data::Single => "single",
        };
        let defaults: serde_json::Value = serde_json::from_str(form.defaults).unwrap_or_default();
        Some(serde_json::json!({
            "kind": m.info().kind,
            "label": form.label,
            "data": data,
            "shows": form.shows,
            "fixed": form.fixed,
            "defaults": defaults,
        }))
    });
    serde_json::Value::Array(entries.collect())
}

/// The usual `--init-weights` check: each network, mapped onto the
/// reference's layout, must be the architecture the options ask for.
/// Returns the mapped networks and the notes of the mapping.
pub fn check_architectures(
    names: &[&str],
    archs: &[Architecture],
    nets: Vec<StateDict>,
    what: &str,
) -> std::result::Result<(Vec<StateDict>, Vec<String>), String> {
    use crate::nn::nets::arch::{GeneratorArch, Upsampling};
    let mut out = Vec::with_capacity(nets.len());
    let mut notes = Vec::new();
    for ((name, sd), want) in names.iter().zip(nets).zip(archs) {
        let mapped = map_state_dict(&sd, None).map_err(|e| format!("{what}: {name}: {e}"))?;
        notes.extend(mapped.report.notes.iter().map(|n| format!("{what}: {name}: {n}")));
        let mut found = mapped.arch;
        // Dropout has no weights: take the options' word for it.
        if let (Architecture::Generator(f), Architecture::Generator(w)) = (&mut found, want) {
            f.dropout = w.dropout;
        }
        if found != *want {
            let hint = match found {
                Architecture::Generator(g) => {
                    let up = match g.arch {
                        GeneratorArch::Resnet { upsampling: Upsampling::Transposed4, .. } => {
                            " --upsampling transposed4"
                        }
                        _ => "",
                    };
                    format!("--net-g {} --ngf {} --norm {}{up}", g.net_name(), g.ngf, g.norm.name())
                }
                Architecture::Discriminator(d) => format!("--ndf {} --norm {}", d.ndf, d.norm.name()),
            };
            return Err(format!(
                "{what}: {name} is a {} network, but the options ask for {}; pass matching options ({hint} for this \
                 one; --net-d and --n-layers-d for the discriminators)",
                found.describe(),
                want.describe()
            ));
        }
        out.push(mapped.state_dict);
    }
    Ok((out, notes))
}

/// Sets `$o.$field` to `$value` where the user did not set it.
macro_rules! default_unset {
    ($o:expr, $unset:expr, $($field:ident = $value:expr),* $(,)?) => {
        $(if $unset(stringify!($field)) {
            $o.$field = $value;
        })*
    };
}
pub(crate) use default_unset;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_forms_start_from_valid_options() {
        let catalog = page_catalog();
        let entries = catalog.as_array().unwrap();
        assert!(entries.len() >= 4, "{catalog}");
        for m in MODELS {
            let Some(form) = m.page_form() else { continue };
            let kind = m.info().kind;
            let mut map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(form.defaults).unwrap_or_else(|e| panic!("{kind}: {e}"));
            map.insert("model".into(), kind.into());
            let mut o = TrainOptions::from_map(&map).unwrap_or_else(|e| panic!("{kind}: {e}"));
            o.resolve(&|k| !map.contains_key(k), false).unwrap_or_else(|e| panic!("{kind}: {e}"));
            let keys = o.to_map();
            for k in form.shows {
                assert!(keys.contains_key(*k), "{kind} shows `{k}`, which is not one of its options");
            }
            for k in form.fixed {
                assert!(form.shows.contains(k), "{kind} fixes `{k}` but does not show it");
            }
            for (k, v) in &map {
                assert_eq!(keys.get(k), Some(v), "{kind}: `{k}` resolves to another value");
            }
        }
    }

    #[test]
    fn every_model_is_found_by_its_name_and_groups_are_distinct() {
        for m in MODELS {
            assert_eq!(spec(m.info().kind).unwrap().info().kind, m.info().kind);
        }
        assert!(spec("unit").err().unwrap().contains("cycle_gan, pix2pix"));
        let groups = option_groups();
        let mut keys = std::collections::BTreeSet::new();
        for g in &groups {
            for k in (g.defaults)().keys() {
                assert!(keys.insert(k.clone()), "option {k} is in two groups");
            }
        }
    }
}
