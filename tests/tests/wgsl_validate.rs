//! Every WGSL file parses and validates with naga, without a GPU.

use std::path::Path;

fn validate(name: &str, source: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .map_err(|e| e.emit_to_string(source))?;
    if module.entry_points.is_empty() {
        return Err(format!("{name} has no entry point"));
    }
    Ok(())
}

#[test]
fn every_registered_shader_validates() {
    let mut failures = Vec::new();
    for s in shaders::wgsl::ALL {
        if let Err(e) = validate(s.name, s.source) {
            failures.push(format!("{}.wgsl:\n{e}", s.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every file under shaders/wgsl is registered, so none escapes the check above.
#[test]
fn every_wgsl_file_is_registered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders/wgsl");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut registered: Vec<String> = shaders::wgsl::ALL.iter().map(|s| s.name.to_string()).collect();
    registered.sort();
    assert_eq!(files, registered, "files in shaders/wgsl vs shaders::wgsl::ALL");
    for f in &files {
        let source = std::fs::read_to_string(dir.join(format!("{f}.wgsl"))).unwrap();
        validate(f, &source).unwrap_or_else(|e| panic!("{f}.wgsl:\n{e}"));
    }
}
