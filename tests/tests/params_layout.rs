//! Every kernel's uniform parameter struct has the same layout in WGSL as
//! the `#[repr(C)]` Rust struct that fills it: the same members in the same
//! order, with the same names, types, offsets and sizes, and the same total
//! size. The WGSL side comes from naga's reflection of each shader (with its
//! helper files in front, as the library builds it), the Rust side from
//! `shaders::ops::PARAMS_LAYOUTS`, which `params!` records with `offset_of!`
//! and `size_of`.

use naga::proc::Layouter;
use naga::{AddressSpace, Module, Scalar, ScalarKind, TypeInner};
use shaders::ops::{ParamsLayout, PARAMS_LAYOUTS};

/// One struct member as (name, type, offset, size).
type Member = (String, String, usize, usize);

/// One uniform of a shader: the WGSL struct type's name, its members and its size.
struct Uniform {
    wgsl_type: String,
    members: Vec<Member>,
    size: usize,
}

fn parse(name: &str, source: &str) -> Module {
    naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{name}.wgsl:\n{}", e.emit_to_string(source)))
}

/// A WGSL type spelled as a Rust parameter struct spells it.
fn rust_spelling(inner: &TypeInner) -> String {
    match *inner {
        TypeInner::Scalar(Scalar { kind: ScalarKind::Uint, width: 4 }) => "u32".into(),
        TypeInner::Scalar(Scalar { kind: ScalarKind::Sint, width: 4 }) => "i32".into(),
        TypeInner::Scalar(Scalar { kind: ScalarKind::Float, width: 4 }) => "f32".into(),
        // No Rust parameter struct spells anything else the same way, so
        // such a member is reported as a mismatch.
        ref other => format!("{other:?}"),
    }
}

/// The uniform-address-space globals of `module` and their struct layouts.
fn uniforms(name: &str, module: &Module) -> Vec<Uniform> {
    let mut layouter = Layouter::default();
    layouter.update(module.to_ctx()).unwrap_or_else(|e| panic!("{name}.wgsl: {e}"));
    let mut found = Vec::new();
    for (_, var) in module.global_variables.iter() {
        if var.space != AddressSpace::Uniform {
            continue;
        }
        let ty = &module.types[var.ty];
        let TypeInner::Struct { ref members, span } = ty.inner else {
            panic!("{name}.wgsl: uniform {:?} is not a struct", var.name);
        };
        let members = members
            .iter()
            .map(|m| {
                (
                    m.name.clone().unwrap_or_default(),
                    rust_spelling(&module.types[m.ty].inner),
                    m.offset as usize,
                    layouter[m.ty].size as usize,
                )
            })
            .collect();
        found.push(Uniform { wgsl_type: ty.name.clone().unwrap_or_default(), members, size: span as usize });
    }
    found
}

fn rust_members(layout: &ParamsLayout) -> Vec<Member> {
    layout.fields.iter().map(|f| (f.name.to_string(), f.ty.to_string(), f.offset, f.size)).collect()
}

/// Lines describing where two member lists first differ, empty when they agree.
fn member_diff(wgsl: &[Member], rust: &[Member]) -> Vec<String> {
    let mut diff = Vec::new();
    for i in 0..wgsl.len().max(rust.len()) {
        let (w, r) = (wgsl.get(i), rust.get(i));
        if w != r {
            let show = |m: Option<&Member>| match m {
                Some((name, ty, offset, size)) => format!("{name}: {ty} at {offset}, {size} bytes"),
                None => "nothing".to_string(),
            };
            diff.push(format!("    member {i}: WGSL has {}, Rust has {}", show(w), show(r)));
        }
    }
    diff
}

#[test]
fn every_uniform_struct_matches_its_rust_struct() {
    let mut failures = Vec::new();
    let mut used = vec![0usize; PARAMS_LAYOUTS.len()];
    for s in shaders::wgsl::ALL {
        let module = parse(s.name, s.source);
        let found = uniforms(s.name, &module);
        if found.is_empty() {
            failures.push(format!("{}.wgsl declares no uniform parameter struct", s.name));
        }
        for u in found {
            let entry = PARAMS_LAYOUTS.iter().position(|l| l.shader == s.name && l.wgsl_type == u.wgsl_type);
            let Some(at) = entry else {
                failures.push(format!(
                    "{}.wgsl: uniform struct {} has no Rust struct in shaders::ops::PARAMS_LAYOUTS \
                     (define it with params! and list it there)",
                    s.name, u.wgsl_type
                ));
                continue;
            };
            used[at] += 1;
            let layout = &PARAMS_LAYOUTS[at];
            let mut diff = member_diff(&u.members, &rust_members(layout));
            if u.size != layout.size {
                diff.push(format!("    size: WGSL {} bytes, Rust {} bytes", u.size, layout.size));
            }
            if !diff.is_empty() {
                failures.push(format!(
                    "{}.wgsl struct {} vs {}:\n{}",
                    s.name,
                    u.wgsl_type,
                    layout.rust_type,
                    diff.join("\n")
                ));
            }
        }
    }
    for (layout, n) in PARAMS_LAYOUTS.iter().zip(&used) {
        if *n != 1 {
            failures.push(format!(
                "{} names {}.wgsl struct {}, which {} uniform of the registered shaders has",
                layout.rust_type,
                layout.shader,
                layout.wgsl_type,
                if *n == 0 { "no" } else { "more than one" }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
