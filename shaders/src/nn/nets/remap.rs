//! Weight files of other PyTorch code bases, mapped onto the reference's
//! layout so that [`detect`] and [`Network::new`] take them as they are.
//!
//! The reference's key names are tried first. Where they do not fit, a
//! ResNet generator is recognised by structure: its tensors, grouped into
//! layers by module path, must come in the order and with the shapes of
//! [7x7 conv, norm], 2 x [3x3 stride-2 conv, norm], n x [3x3 conv, norm, 3x3
//! conv, norm], 2 x [upsampling conv, norm], 7x7 conv, whatever the modules
//! are called. What varies between code bases and is handled:
//! - `module.` segments (DataParallel) are dropped; a file holding several
//!   networks (`G_A2B.*`, `G_B2A.*`, `netG_A.*`) yields the first generator
//!   or the one selected by its prefix;
//! - instance norm with affine parameters ([`Norm::InstanceAffine`]);
//! - convolutions without a bias before a norm that cancels it (zero bias);
//!   with BatchNorm, a bias the file has is folded into the running mean;
//! - upsampling by ConvTranspose2d(3, stride 2, output_padding 1) (the
//!   reference's), ConvTranspose2d(4, stride 2, padding 1), or nearest
//!   `Upsample(scale_factor=2)` + Conv2d(3, padding 1), which is exactly a
//!   4x4 transposed conv whose taps are sums of the 3x3 taps
//!   ([`Upsampling::Transposed4`]).
//!
//! f16, bf16 and f64 tensors are already f32 in a [`StateDict`].

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::nn::io::weights::{HostTensor, StateDict};
use crate::nn::layers::params::match_state_dict;
use crate::nn::nets::arch::{GeneratorArch, GeneratorConfig, Norm, Upsampling};
use crate::nn::nets::network::{detect, Architecture, Network};

/// A network's weights in the reference's layout, with what was found.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// The architecture ([`detect`] of `state_dict` gives the same).
    pub arch: Architecture,
    /// The weights under the reference's keys.
    pub state_dict: StateDict,
    /// How the file was read.
    pub report: MapReport,
}

/// How a state_dict was mapped, for `trainer inspect` and messages.
#[derive(Clone, Debug, Default)]
pub struct MapReport {
    /// The prefix of the network taken from a file holding several (`G_A2B`).
    pub selected: Option<String>,
    /// The prefixes of the file's other networks.
    pub others: Vec<String>,
    /// `true` when the keys were the reference's own (after dropping `module.`).
    pub reference_keys: bool,
    /// What was recognised, one line each (DataParallel prefix, variant details).
    pub notes: Vec<String>,
    /// (keys of the file, key of the reference) for every tensor the network reads.
    pub mapped: Vec<(Vec<String>, String)>,
    /// Keys of the file the network does not read.
    pub ignored: Vec<String>,
}

impl MapReport {
    /// The network taken from a file of several, for messages: `` `G_A2B`
    /// (the file also holds G_B2A)``; `None` when the file held one network.
    pub fn selection(&self) -> Option<String> {
        let sel = self.selected.as_ref()?;
        Some(if self.others.is_empty() {
            format!("`{sel}`")
        } else {
            format!("`{sel}` (the file also holds {})", self.others.join(", "))
        })
    }
}

/// Maps any supported state_dict onto the reference's layout. `select` picks
/// the network of that prefix from a file holding several (`G_A2B`,
/// `netG_A`); without it the first generator is taken (or the only network).
pub fn map_state_dict(sd: &StateDict, select: Option<&str>) -> Result<Mapped> {
    let (stripped, renamed) = strip_module(sd);
    let mut notes = Vec::new();
    if !renamed.is_empty() {
        notes.push("`module.` prefixes (DataParallel) dropped".to_string());
    }
    let mut m = map_stripped(&stripped, select, notes)?;
    // The report names the file's own keys.
    let original = |k: &mut String| {
        if let Some(o) = renamed.get(k.as_str()) {
            *k = o.clone();
        }
    };
    m.report.mapped.iter_mut().flat_map(|(from, _)| from.iter_mut()).for_each(original);
    m.report.ignored.iter_mut().for_each(original);
    Ok(m)
}

fn map_stripped(sd: &StateDict, select: Option<&str>, notes: Vec<String>) -> Result<Mapped> {
    if let Some(sel) = select {
        let groups = groups(sd);
        let sel = sel.trim_end_matches('.');
        let Some(group) = groups.iter().find(|(p, _)| p == sel) else {
            let names: Vec<&str> = groups.iter().map(|(p, _)| p.as_str()).collect();
            return Err(Error::Network(format!(
                "no network `{sel}` in the file; its top-level names are {}",
                quote_list(&names)
            )));
        };
        let mut m = map_one(&group.1).map_err(|e| Error::Network(format!("`{sel}`: {e}")))?;
        m.report.selected = Some(sel.to_string());
        m.report.others = groups.iter().filter(|(p, _)| p != sel).map(|(p, _)| p.clone()).collect();
        m.report.notes.splice(0..0, notes);
        prefix_keys(&mut m.report, sel);
        return Ok(m);
    }
    let whole_err = match map_one(sd) {
        Ok(mut m) => {
            m.report.notes.splice(0..0, notes);
            return Ok(m);
        }
        Err(e) => e,
    };
    let groups = groups(sd);
    if !groups.is_empty() {
        let mut found: Vec<(String, Mapped)> = Vec::new();
        let mut errors = Vec::new();
        for (prefix, sub) in &groups {
            match map_one(sub) {
                Ok(m) => found.push((prefix.clone(), m)),
                Err(e) => errors.push(format!("`{prefix}`: {e}")),
            }
        }
        let pick = found
            .iter()
            .position(|(_, m)| matches!(m.arch, Architecture::Generator(_)))
            .or(if found.is_empty() { None } else { Some(0) });
        if let Some(i) = pick {
            let others = groups.iter().filter(|(p, _)| *p != found[i].0).map(|(p, _)| p.clone()).collect();
            let (prefix, mut m) = found.swap_remove(i);
            m.report.selected = Some(prefix.clone());
            m.report.others = others;
            m.report.notes.splice(0..0, notes);
            prefix_keys(&mut m.report, &prefix);
            return Ok(m);
        }
        if groups.len() > 1 {
            return Err(Error::Network(format!(
                "no network of a known architecture in the file: as a whole, {whole_err}; per top-level name: {}",
                errors.join("; ")
            )));
        }
    }
    Err(whole_err)
}

/// Takes a generator's norm as `norm` where the file cannot tell (a file
/// without norm parameters and without conv biases reads as `none`; with
/// biases, as `instance`). Convs that lose their norm keep no bias; convs
/// that gain an instance norm get zero biases, which the norm cancels.
pub fn override_norm(m: &mut Mapped, norm: Norm) -> Result<()> {
    let Architecture::Generator(g) = &mut m.arch else { return Ok(()) };
    if g.norm == norm {
        return Ok(());
    }
    let params = |n: Norm| matches!(n, Norm::Batch | Norm::InstanceAffine);
    if params(g.norm) || params(norm) {
        return Err(Error::Network(format!(
            "--norm {} does not fit these weights: the file's norm layers have parameters of norm {}",
            norm.name(),
            g.norm.name()
        )));
    }
    g.norm = norm;
    let specs = Network::specs_of(&m.arch)?;
    let mut out = StateDict::new();
    for (k, v) in m.state_dict.metadata() {
        out.set_metadata(k.clone(), v.clone());
    }
    for spec in &specs {
        let t = match m.state_dict.get(&spec.name) {
            Some(t) => t.clone(),
            None if spec.name.ends_with(".bias") && spec.shape.len() == 1 => {
                m.report.mapped.push((vec![], spec.name.clone()));
                HostTensor::new(spec.shape.clone(), vec![0.0; spec.shape[0]])
            }
            None => return Err(Error::Network(format!("--norm {}: no tensor `{}`", norm.name(), spec.name))),
        };
        out.insert(spec.name.clone(), t).map_err(|e| Error::Network(e.to_string()))?;
    }
    let dropped: Vec<String> = m.state_dict.names().filter(|n| out.get(n).is_none()).map(str::to_string).collect();
    if !dropped.is_empty() {
        return Err(Error::Network(format!(
            "--norm {}: the file's conv biases {} have no place in that architecture (the reference builds convs \
             before `none` without biases)",
            norm.name(),
            dropped.iter().take(3).map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    m.report.mapped.retain(|(_, to)| out.get(to).is_some());
    m.report.notes.push(format!("norm {} as --norm says", norm.name()));
    m.state_dict = out;
    Ok(())
}

/// Puts a group's prefix back on the file keys of a report.
fn prefix_keys(report: &mut MapReport, prefix: &str) {
    for (from, _) in &mut report.mapped {
        for k in from {
            *k = format!("{prefix}.{k}");
        }
    }
    for k in &mut report.ignored {
        *k = format!("{prefix}.{k}");
    }
}

fn quote_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The state_dict without `module` path segments (borrowed when it has none),
/// and the original name of each key it renamed.
fn strip_module(sd: &StateDict) -> (Cow<'_, StateDict>, HashMap<String, String>) {
    let mut renamed = HashMap::new();
    if !sd.names().any(|n| n.split('.').any(|p| p == "module")) {
        return (Cow::Borrowed(sd), renamed);
    }
    let mut out = StateDict::new();
    for (k, v) in sd.metadata() {
        out.set_metadata(k.clone(), v.clone());
    }
    for (name, t) in sd.iter() {
        let kept: Vec<&str> = name.split('.').filter(|p| *p != "module").collect();
        let key = if kept.is_empty() { name.to_string() } else { kept.join(".") };
        // A key that becomes another key's name keeps its own (no silent overwrite).
        let key = if out.get(&key).is_some() { name.to_string() } else { key };
        if key != name {
            renamed.insert(key.clone(), name.to_string());
        }
        out.insert(key, t.clone()).expect("a valid tensor stays valid");
    }
    (Cow::Owned(out), renamed)
}

/// The state_dict split by first path segment, in order of appearance.
fn groups(sd: &StateDict) -> Vec<(String, StateDict)> {
    let mut out: Vec<(String, StateDict)> = Vec::new();
    for (name, t) in sd.iter() {
        let Some((head, rest)) = name.split_once('.') else { continue };
        let i = match out.iter().position(|(p, _)| p == head) {
            Some(i) => i,
            None => {
                out.push((head.to_string(), StateDict::new()));
                out.len() - 1
            }
        };
        out[i].1.insert(rest, t.clone()).expect("a valid tensor stays valid");
    }
    out
}

/// One network: the reference's keys, or a ResNet generator by structure.
fn map_one(sd: &StateDict) -> Result<Mapped> {
    let reference = detect(sd).and_then(|arch| {
        let specs = Network::specs_of(&arch)?;
        match_state_dict(&arch.describe(), &specs, sd)?;
        Ok((arch, specs))
    });
    match reference {
        Ok((arch, specs)) => {
            let mut out = StateDict::new();
            let mut mapped = Vec::new();
            for s in &specs {
                out.insert(s.name.clone(), sd.get(&s.name).expect("matched").clone())
                    .map_err(|e| Error::Network(e.to_string()))?;
                mapped.push((vec![s.name.clone()], s.name.clone()));
            }
            let ignored = sd.names().filter(|n| !specs.iter().any(|s| s.name == *n)).map(str::to_string).collect();
            for (k, v) in sd.metadata() {
                out.set_metadata(k.clone(), v.clone());
            }
            let report = MapReport { reference_keys: true, mapped, ignored, ..MapReport::default() };
            Ok(Mapped { arch, state_dict: out, report })
        }
        Err(reference_err) => resnet_by_structure(sd).map_err(|structure_err| {
            Error::Network(format!(
                "{reference_err}; nor is it a ResNet generator of another code base: {structure_err}; the file holds {}",
                summary(sd)
            ))
        }),
    }
}

/// A module's tensors: `<path>.weight`, `.bias`, `.running_mean`, `.running_var`.
#[derive(Default)]
struct Layer<'a> {
    path: String,
    weight: Option<(&'a str, &'a HostTensor)>,
    bias: Option<(&'a str, &'a HostTensor)>,
    running_mean: Option<(&'a str, &'a HostTensor)>,
    running_var: Option<(&'a str, &'a HostTensor)>,
}

impl Layer<'_> {
    fn conv_shape(&self) -> Option<[usize; 4]> {
        let (_, w) = self.weight?;
        w.shape.as_slice().try_into().ok()
    }

    /// A norm: 1-D weight and bias, or running statistics alone.
    fn is_norm(&self) -> bool {
        let one_d = |t: Option<(&str, &HostTensor)>| t.is_some_and(|(_, t)| t.shape.len() == 1);
        let stats = one_d(self.running_mean) == self.running_mean.is_some()
            && one_d(self.running_var) == self.running_var.is_some();
        stats
            && match self.weight {
                Some(_) => one_d(self.weight) && one_d(self.bias),
                None => self.bias.is_none() && self.running_mean.is_some(),
            }
    }

    fn keys(&self) -> Vec<String> {
        [self.weight, self.bias, self.running_mean, self.running_var]
            .iter()
            .flatten()
            .map(|(k, _)| k.to_string())
            .collect()
    }

    fn describe(&self) -> String {
        match (self.weight, self.running_mean) {
            (Some((_, w)), _) => format!("`{}` {:?}", self.path, w.shape),
            (None, Some((_, m))) => format!("`{}` running statistics {:?}", self.path, m.shape),
            _ => format!("`{}`", self.path),
        }
    }
}

/// Groups the tensors into layers by module path, in order; keys of other
/// kinds are returned apart.
fn layers(sd: &StateDict) -> (Vec<Layer<'_>>, Vec<String>) {
    let mut out: Vec<Layer> = Vec::new();
    let mut other = Vec::new();
    for (name, t) in sd.iter() {
        let Some((path, field)) = name.rsplit_once('.') else {
            other.push(name.to_string());
            continue;
        };
        let i = match out.iter().rposition(|l| l.path == path) {
            Some(i) => i,
            None => {
                out.push(Layer { path: path.to_string(), ..Layer::default() });
                out.len() - 1
            }
        };
        let slot = match field {
            "weight" => &mut out[i].weight,
            "bias" => &mut out[i].bias,
            "running_mean" => &mut out[i].running_mean,
            "running_var" => &mut out[i].running_var,
            _ => {
                other.push(name.to_string());
                continue;
            }
        };
        *slot = Some((name, t));
    }
    (out, other)
}

/// One line: how many tensors and the first layers with their shapes.
fn summary(sd: &StateDict) -> String {
    let (layers, _) = layers(sd);
    const SHOW: usize = 8;
    let shown: Vec<String> = layers.iter().take(SHOW).map(Layer::describe).collect();
    let more = layers.len().saturating_sub(SHOW);
    format!(
        "{} tensors in {} layers: {}{}",
        sd.len(),
        layers.len(),
        shown.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    )
}

/// A conv of the structure with the norm after it (if any).
struct Stage<'l, 'a> {
    conv: &'l Layer<'a>,
    norm: Option<&'l Layer<'a>>,
}

/// Walks the layers in order.
struct Cursor<'l, 'a> {
    layers: &'l [Layer<'a>],
    at: usize,
}

impl<'l, 'a> Cursor<'l, 'a> {
    fn peek_conv(&self) -> Option<[usize; 4]> {
        self.layers.get(self.at).and_then(Layer::conv_shape)
    }

    /// A conv whose shape passes `ok`, then an optional norm over `channels`.
    fn stage(&mut self, what: &str, ok: impl Fn([usize; 4]) -> bool, channels: usize) -> Result<Stage<'l, 'a>, String> {
        let Some(conv) = self.layers.get(self.at) else {
            return Err(format!("the tensors end where the {what} should be"));
        };
        match conv.conv_shape() {
            Some(s) if ok(s) => {}
            _ => return Err(format!("{} stands where the {what} should be", conv.describe())),
        }
        if conv.bias.is_some_and(|(_, b)| b.shape != [channels]) {
            return Err(format!("the bias of {} does not match its output channels", conv.describe()));
        }
        self.at += 1;
        let norm = match self.layers.get(self.at) {
            Some(n) if n.is_norm() => {
                let c = n.weight.or(n.running_mean).and_then(|(_, t)| t.shape.first().copied());
                if c != Some(channels) {
                    return Err(format!("{} follows the {what}, which has {channels} channels", n.describe()));
                }
                self.at += 1;
                Some(n)
            }
            _ => None,
        };
        Ok(Stage { conv, norm })
    }
}

/// How a layer's norm reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NormKind {
    Absent,
    /// Running statistics only (legacy InstanceNorm): ignored.
    StatsOnly,
    Affine,
    Batch,
}

fn norm_kind(n: Option<&Layer>) -> NormKind {
    match n {
        None => NormKind::Absent,
        Some(l) if l.weight.is_none() => NormKind::StatsOnly,
        Some(l) if l.running_mean.is_some() && l.running_var.is_some() => NormKind::Batch,
        Some(_) => NormKind::Affine,
    }
}

/// The upsampling conv of a stage from `cin` to `cout` channels.
fn up_kind(s: [usize; 4], cin: usize, cout: usize) -> Option<Upsampling> {
    match s {
        [i, o, 3, 3] if i == cin && o == cout => Some(Upsampling::Transposed3),
        [i, o, 4, 4] if i == cin && o == cout => Some(Upsampling::Transposed4),
        _ => None,
    }
}

/// Taps of the 3x3 conv after a nearest x2 upsampling that each tap of the
/// equivalent 4x4 transposed conv sums, per axis.
const UP_TAPS: [&[usize]; 4] = [&[2], &[1, 2], &[0, 1], &[0]];

/// Conv2d weight [out, in, 3, 3] after `Upsample(x2, nearest)` as the
/// ConvTranspose2d(4, stride 2, padding 1) weight [in, out, 4, 4] with the
/// same output.
pub fn upsample_conv_as_transposed(w: &HostTensor) -> HostTensor {
    let [co, ci, 3, 3] = w.shape[..] else { panic!("upsample_conv_as_transposed: weight {:?}", w.shape) };
    let mut out = vec![0f32; ci * co * 16];
    for o in 0..co {
        for i in 0..ci {
            for (a, ya) in UP_TAPS.iter().enumerate() {
                for (b, xb) in UP_TAPS.iter().enumerate() {
                    let mut s = 0f32;
                    for &ky in *ya {
                        for &kx in *xb {
                            s += w.data[((o * ci + i) * 3 + ky) * 3 + kx];
                        }
                    }
                    out[((i * co + o) * 4 + a) * 4 + b] = s;
                }
            }
        }
    }
    HostTensor::new(vec![ci, co, 4, 4], out)
}

/// A ResNet generator recognised by the order and shapes of its tensors.
fn resnet_by_structure(sd: &StateDict) -> Result<Mapped, String> {
    let (layers, other) = layers(sd);
    if !other.is_empty() {
        return Err(format!("tensors that no conv or norm has: {}", other.join(", ")));
    }
    let mut cur = Cursor { layers: &layers, at: 0 };
    let Some([ngf, input_nc, 7, 7]) = cur.peek_conv() else {
        let first = layers.first().map(Layer::describe).unwrap_or_else(|| "nothing".into());
        return Err(format!("a ResNet generator starts with a 7x7 conv [ngf, in, 7, 7]; this one starts with {first}"));
    };
    if ngf == 0 || input_nc == 0 {
        return Err(format!("the first 7x7 conv has shape [{ngf}, {input_nc}, 7, 7]"));
    }
    let mut stages = vec![cur.stage("first 7x7 conv", |_| true, ngf)?];
    stages.push(cur.stage("first downsampling conv [2 ngf, ngf, 3, 3]", |s| s == [2 * ngf, ngf, 3, 3], 2 * ngf)?);
    stages.push(cur.stage(
        "second downsampling conv [4 ngf, 2 ngf, 3, 3]",
        |s| s == [4 * ngf, 2 * ngf, 3, 3],
        4 * ngf,
    )?);
    let c = 4 * ngf;
    let mut n_blocks = 0;
    while cur.peek_conv() == Some([c, c, 3, 3]) {
        stages.push(cur.stage("residual block's first conv", |_| true, c)?);
        stages.push(cur.stage(
            &format!("residual block {n_blocks}'s second conv [{c}, {c}, 3, 3]"),
            |s| s == [c, c, 3, 3],
            c,
        )?);
        n_blocks += 1;
    }
    if n_blocks == 0 {
        return Err(format!("no residual blocks ([{c}, {c}, 3, 3] convs) after the downsampling"));
    }
    // The decoder: transposed convs [in, out, k, k], or Upsample + Conv2d [out, in, 3, 3].
    let mut ups = Vec::new();
    for (cin, cout) in [(c, c / 2), (c / 2, ngf)] {
        let kind = match cur.peek_conv() {
            Some(s) if up_kind(s, cin, cout).is_some() => (up_kind(s, cin, cout).expect("checked"), false),
            Some([o, i, 3, 3]) if o == cout && i == cin => (Upsampling::Transposed4, true),
            _ => {
                let found = cur.layers.get(cur.at).map(Layer::describe).unwrap_or_else(|| "the end".into());
                return Err(format!(
                    "after {n_blocks} residual blocks, an upsampling layer from {cin} to {cout} channels (ConvTranspose2d \
                     [{cin}, {cout}, 3 or 4, 3 or 4] or Upsample + Conv2d [{cout}, {cin}, 3, 3]) should come; found {found}"
                ));
            }
        };
        stages.push(cur.stage("upsampling conv", |_| true, cout)?);
        ups.push(kind);
    }
    if ups[0] != ups[1] {
        return Err("the two upsampling layers are of different kinds".into());
    }
    let (upsampling, from_upsample) = ups[0];
    let Some([output_nc, last_in, 7, 7]) = cur.peek_conv().filter(|s| s[1] == ngf) else {
        let found = cur.layers.get(cur.at).map(Layer::describe).unwrap_or_else(|| "the end".into());
        return Err(format!("the last layer should be a 7x7 conv [out, {ngf}, 7, 7]; found {found}"));
    };
    debug_assert_eq!(last_in, ngf);
    if output_nc == 0 {
        return Err("the last 7x7 conv has no output channels".into());
    }
    let last = &layers[cur.at];
    cur.at += 1;
    let mut ignored = Vec::new();
    for l in &layers[cur.at..] {
        if l.weight.is_some() || l.bias.is_some() {
            return Err(format!("{} follows the last 7x7 conv", l.describe()));
        }
        ignored.extend(l.keys());
    }
    // One norm throughout.
    let kinds: Vec<NormKind> = stages.iter().map(|s| norm_kind(s.norm)).collect();
    let kind = kinds[0];
    if let Some(i) = kinds.iter().position(|k| *k != kind) {
        return Err(format!(
            "the norms differ between layers ({} has {kind:?}, {} has {:?})",
            stages[0].conv.describe(),
            stages[i].conv.describe(),
            kinds[i]
        ));
    }
    let biases = stages.iter().filter(|s| s.conv.bias.is_some()).count();
    let norm = match kind {
        NormKind::Batch => Norm::Batch,
        NormKind::Affine => Norm::InstanceAffine,
        NormKind::Absent | NormKind::StatsOnly if biases > 0 => Norm::Instance,
        NormKind::Absent | NormKind::StatsOnly => Norm::None,
    };
    let g = GeneratorConfig {
        input_nc,
        output_nc,
        ngf,
        arch: GeneratorArch::Resnet { n_blocks, upsampling },
        norm,
        dropout: false,
    };
    let mut notes = vec!["ResNet generator recognised by the order and shapes of its tensors".to_string()];
    match norm {
        Norm::InstanceAffine => notes.push("instance norm with affine weight and bias".into()),
        Norm::Batch => notes.push("batch norm (running statistics)".into()),
        _ => {}
    }
    if kind == NormKind::StatsOnly {
        notes.push("instance norm running statistics (track_running_stats) ignored, as the reference does".into());
    }
    if from_upsample {
        notes.push(
            "upsampling by Upsample(scale_factor=2, nearest) + Conv2d(3, padding 1), read as the equivalent 4x4 \
             stride-2 transposed conv"
                .into(),
        );
    } else if upsampling == Upsampling::Transposed4 {
        notes.push("upsampling by 4x4 stride-2 transposed convs".into());
    }
    // Reference paths of each stage's conv and norm.
    let mut paths: Vec<(String, String)> = vec![("model.1".into(), "model.2".into())];
    paths.push(("model.4".into(), "model.5".into()));
    paths.push(("model.7".into(), "model.8".into()));
    for b in 0..n_blocks {
        let p = format!("model.{}.conv_block", 10 + b);
        paths.push((format!("{p}.1"), format!("{p}.2")));
        paths.push((format!("{p}.5"), format!("{p}.6")));
    }
    paths.push((format!("model.{}", 10 + n_blocks), format!("model.{}", 11 + n_blocks)));
    paths.push((format!("model.{}", 13 + n_blocks), format!("model.{}", 14 + n_blocks)));
    let mut out = StateDict::new();
    let mut mapped = Vec::new();
    let mut put = |key: String, t: HostTensor, from: Vec<String>| -> Result<(), String> {
        mapped.push((from, key.clone()));
        out.insert(key, t).map_err(|e| e.to_string())
    };
    let mut zero_bias = false;
    let mut folded = false;
    let n_up_first = stages.len() - 2;
    for (k, (stage, (conv_path, norm_path))) in stages.iter().zip(&paths).enumerate() {
        let (wkey, w) = stage.conv.weight.expect("a conv has a weight");
        let weight = if from_upsample && k >= n_up_first { upsample_conv_as_transposed(w) } else { w.clone() };
        put(format!("{conv_path}.weight"), weight, vec![wkey.to_string()])?;
        let cout = stage.conv.conv_shape().map(|s| if k >= n_up_first && !from_upsample { s[1] } else { s[0] });
        let cout = cout.expect("a conv has a 4-D weight");
        let mut bias = stage.conv.bias.map(|(k, b)| (k.to_string(), b.clone()));
        if norm.conv_bias() {
            let (from, b) = bias.take().unwrap_or_else(|| {
                zero_bias = true;
                (String::new(), HostTensor::new(vec![cout], vec![0.0; cout]))
            });
            put(format!("{conv_path}.bias"), b, if from.is_empty() { vec![] } else { vec![from] })?;
        }
        match (norm, stage.norm) {
            (Norm::Batch, Some(n)) => {
                let (wk, nw) = n.weight.expect("batch norm");
                let (bk, nb) = n.bias.expect("batch norm");
                let (mk, m) = n.running_mean.expect("batch norm");
                let (vk, v) = n.running_var.expect("batch norm");
                let mut m = m.clone();
                let mut mean_from = vec![mk.to_string()];
                if let Some((from, b)) = bias.take() {
                    // BatchNorm subtracts the mean: a bias before it moves only the running mean.
                    folded = true;
                    for (mv, bv) in m.data.iter_mut().zip(&b.data) {
                        *mv -= bv;
                    }
                    mean_from.push(from);
                }
                put(format!("{norm_path}.weight"), nw.clone(), vec![wk.to_string()])?;
                put(format!("{norm_path}.bias"), nb.clone(), vec![bk.to_string()])?;
                put(format!("{norm_path}.running_mean"), m, mean_from)?;
                put(format!("{norm_path}.running_var"), v.clone(), vec![vk.to_string()])?;
            }
            (Norm::InstanceAffine, Some(n)) => {
                let (wk, nw) = n.weight.expect("affine norm");
                let (bk, nb) = n.bias.expect("affine norm");
                put(format!("{norm_path}.weight"), nw.clone(), vec![wk.to_string()])?;
                put(format!("{norm_path}.bias"), nb.clone(), vec![bk.to_string()])?;
                ignored.extend(n.running_mean.iter().chain(&n.running_var).map(|(k, _)| k.to_string()));
            }
            (_, Some(n)) => ignored.extend(n.keys()),
            (_, None) => {}
        }
        if let Some((k, _)) = bias {
            // Norm::None never gets here (a bias means Instance); kept for completeness.
            return Err(format!("`{k}`: a conv bias the architecture has no place for"));
        }
    }
    let (wkey, w) = last.weight.expect("a conv has a weight");
    let last_path = format!("model.{}", 17 + n_blocks);
    put(format!("{last_path}.weight"), w.clone(), vec![wkey.to_string()])?;
    let (from, b) = match last.bias {
        Some((k, b)) => (vec![k.to_string()], b.clone()),
        None => {
            zero_bias = true;
            (vec![], HostTensor::new(vec![output_nc], vec![0.0; output_nc]))
        }
    };
    put(format!("{last_path}.bias"), b, from)?;
    if zero_bias {
        notes.push("convs without a bias: zero biases".into());
    }
    if folded {
        notes.push("conv biases before batch norm folded into its running means".into());
    }
    let arch = Architecture::Generator(g);
    // The mapped file must read back as the architecture it was mapped to.
    let specs = Network::specs_of(&arch).map_err(|e| e.to_string())?;
    match_state_dict(&arch.describe(), &specs, &out).map_err(|e| e.to_string())?;
    let again = detect(&out).map_err(|e| e.to_string())?;
    if again != arch {
        return Err(format!("mapped to {} but it reads back as {}", arch.describe(), again.describe()));
    }
    let report = MapReport { notes, mapped, ignored, ..MapReport::default() };
    Ok(Mapped { arch, state_dict: out, report })
}
