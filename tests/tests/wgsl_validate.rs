//! Every WGSL file parses and validates with naga, without a GPU: each kernel
//! with the helper files it uses in front of it, as the library builds it.

use std::path::Path;

fn parse(source: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .map_err(|e| e.emit_to_string(source))?;
    Ok(module)
}

fn validate(name: &str, source: &str) -> Result<(), String> {
    if parse(source)?.entry_points.is_empty() {
        return Err(format!("{name} has no entry point"));
    }
    Ok(())
}

fn wgsl_stems(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn every_registered_shader_validates() {
    let mut failures = Vec::new();
    for s in shaders::wgsl::ALL {
        if let Err(e) = validate(s.name, s.source) {
            failures.push(format!("{}.wgsl (with helpers {:?}):\n{e}", s.name, s.helpers));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every helper file is registered and valid WGSL on its own, and declares
/// no entry point or binding (it goes in front of kernels that have their own);
/// its only global variables are workgroup arrays.
#[test]
fn every_helper_file_is_registered_and_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders/wgsl/common");
    let mut registered: Vec<String> = shaders::wgsl::HELPERS.iter().map(|h| h.name.to_string()).collect();
    registered.sort();
    assert_eq!(wgsl_stems(&dir), registered, "files in shaders/wgsl/common vs shaders::wgsl::HELPERS");
    for h in shaders::wgsl::HELPERS {
        let module = parse(h.source).unwrap_or_else(|e| panic!("common/{}.wgsl:\n{e}", h.name));
        assert!(module.entry_points.is_empty(), "common/{}.wgsl declares an entry point", h.name);
        for (_, var) in module.global_variables.iter() {
            assert!(
                var.space == naga::AddressSpace::WorkGroup && var.binding.is_none(),
                "common/{}.wgsl declares {:?}, a global variable outside workgroup memory",
                h.name,
                var.name
            );
        }
    }
}

/// Every file under shaders/wgsl is registered, so none escapes the check
/// above, and its registered source is its helpers' text followed by its own.
#[test]
fn every_wgsl_file_is_registered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders/wgsl");
    let files = wgsl_stems(&dir);
    let mut registered: Vec<String> = shaders::wgsl::ALL.iter().map(|s| s.name.to_string()).collect();
    registered.sort();
    assert_eq!(files, registered, "files in shaders/wgsl vs shaders::wgsl::ALL");
    for s in shaders::wgsl::ALL {
        let mut source = String::new();
        for name in s.helpers {
            let h = shaders::wgsl::HELPERS
                .iter()
                .find(|h| h.name == *name)
                .unwrap_or_else(|| panic!("{}.wgsl uses unknown helper file {name}", s.name));
            source.push_str(&std::fs::read_to_string(dir.join(format!("common/{}.wgsl", h.name))).unwrap());
        }
        source.push_str(&std::fs::read_to_string(dir.join(format!("{}.wgsl", s.name))).unwrap());
        assert_eq!(source, s.source, "{}.wgsl: the registered source is not its helpers followed by the file", s.name);
        validate(s.name, &source).unwrap_or_else(|e| panic!("{}.wgsl:\n{e}", s.name));
    }
}
