//! Training as `trainer` and the browser both run it: the data order and
//! augmentation of the reference's data loaders, the learning-rate
//! schedule, the iteration itself ([`run::Run`]), checkpoints, and the
//! procedural demo domains. Nothing here touches files or a terminal.

pub mod checkpoint;
pub mod demo;
pub mod demo_blobs;
pub mod order;
pub mod run;
pub mod schedule;
pub mod transform;

pub use run::{Run, Schedule, Snapshot, Stepped};

use crate::nn::arch::{DiscriminatorArch, DiscriminatorConfig, GeneratorArch, GeneratorConfig, Norm, Upsampling};

/// The networks of a model (`kind`, the reference's `--model` name) as a
/// checkpoint's manifest records them, e.g. "resnet_9blocks ngf 64,
/// n_layers_d 3 ndf 64": a resume must build the same.
pub fn architecture(kind: &str, g: &GeneratorConfig, d: &DiscriminatorConfig) -> String {
    match kind {
        "dcgan" => return format!("dcgan nz {} ngf {} ndf {}", g.input_nc, g.ngf, d.ndf),
        "discogan" => return format!("discogan ngf {} ndf {}", g.ngf, d.ndf),
        _ => {}
    }
    let ds = match d.arch {
        DiscriminatorArch::NLayer { n_layers } => format!("n_layers_d {n_layers}"),
        DiscriminatorArch::Pixel => "pixel".into(),
        DiscriminatorArch::Dcgan => "dcgan".into(),
        DiscriminatorArch::DiscoGan => "discogan".into(),
    };
    let up = match g.arch {
        GeneratorArch::Resnet { upsampling: Upsampling::Transposed4, .. } => " upsampling transposed4",
        _ => "",
    };
    let base = format!("{}{up} ngf {}, {ds} ndf {}", g.net_name(), g.ngf, d.ndf);
    match (kind, g.norm) {
        ("cycle_gan", Norm::Instance) => base,
        ("cycle_gan", n) => format!("{base}, norm {}", n.name()),
        (kind, n) => format!("{kind} {base}, norm {}", n.name()),
    }
}
