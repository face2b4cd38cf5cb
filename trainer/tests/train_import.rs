//! `trainer import`: a checkpoint zip (as the page's Train mode downloads
//! it) becomes a `latest/` folder that resumes exactly; damaged zips and
//! existing checkpoints are refused without writing anything.

mod train_util;

use shaders::train::checkpoint::{to_zip, Manifest};
use train_util::*;

/// `latest/` of a run as the zip the page writes.
fn zip_of(latest: &std::path::Path, edit: impl FnOnce(&mut Manifest<serde_json::Value>)) -> Vec<u8> {
    let mut m: Manifest<serde_json::Value> = serde_json::from_value(manifest(latest)).unwrap();
    edit(&mut m);
    to_zip(&state_bytes(latest), &mut m).unwrap()
}

#[test]
fn an_imported_zip_resumes_exactly_and_bad_zips_are_refused() {
    let dir = scratch("import");
    let a = domain(&dir.join("A"), 3, 1);
    let b = domain(&dir.join("B"), 2, 2);
    let ckpts = dir.join("checkpoints");
    run_ok(args(&dir, "orig", &a, &b, &["--max-iters", "2"]));
    let latest = ckpts.join("orig/latest");

    // Options the zip does not name (the page names only its own) take their defaults.
    let zip = dir.join("run.zip");
    std::fs::write(&zip, zip_of(&latest, |m| m.options = serde_json::json!({ "model": "cycle_gan", "ngf": 4 })))
        .unwrap();
    let import = |name: &str, zip: &std::path::Path| {
        let ckpts = ckpts.display().to_string();
        vec![
            "import".to_string(),
            zip.display().to_string(),
            "--name".into(),
            name.into(),
            "--checkpoints-dir".into(),
            ckpts,
        ]
    };
    let (stdout, stderr) = run_ok(import("imported", &zip));
    assert!(stdout.contains("imported/latest"), "{stdout}");
    assert!(
        stderr.contains("at iteration 2") && stderr.contains("trainer --continue-train --name imported"),
        "{stderr}"
    );
    assert_same_state(&latest, &ckpts.join("imported/latest"));
    assert_eq!(manifest(&ckpts.join("imported/latest"))["options"]["name"], "imported");

    // Both resume to iteration 3 with the same state.
    for name in ["orig", "imported"] {
        run_ok(args(&dir, name, &a, &b, &["--max-iters", "3", "--continue-train"]));
    }
    assert_eq!(saved_at(&ckpts.join("imported/latest")), 3);
    assert_same_state(&latest, &ckpts.join("imported/latest"));

    // An existing checkpoint is never replaced.
    let before = state_bytes(&ckpts.join("imported/latest"));
    let e = run_err(import("imported", &zip));
    assert!(e.contains("already exists") && e.contains("nothing was changed"), "{e}");
    assert!(before == state_bytes(&ckpts.join("imported/latest")));

    // A truncated zip, a changed byte, and a zip without its optimizer state: refused, nothing written.
    let bytes = std::fs::read(&zip).unwrap();
    let cut = dir.join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = run_err(import("cut", &cut));
    assert!(e.contains("cut.zip") && e.contains("not a zip file"), "{e}");
    let flipped = dir.join("flipped.zip");
    let mut changed = bytes.clone();
    let at = changed.len() / 3;
    changed[at] ^= 0x55;
    std::fs::write(&flipped, changed).unwrap();
    let e = run_err(import("flipped", &flipped));
    assert!(e.contains("flipped.zip") && e.contains("checkpoint zip"), "{e}");
    let partial = dir.join("partial.zip");
    let mut m: Manifest<serde_json::Value> = serde_json::from_value(manifest(&latest)).unwrap();
    let files: Vec<_> = state_bytes(&latest).into_iter().filter(|(n, _)| n != "adam_G.safetensors").collect();
    std::fs::write(&partial, to_zip(&files, &mut m).unwrap()).unwrap();
    let e = run_err(import("partial", &partial));
    assert!(e.contains("adam_G.safetensors is missing"), "{e}");
    for name in ["cut", "flipped", "partial"] {
        assert!(!ckpts.join(name).join("latest").exists(), "{name}: nothing is written");
    }
}
