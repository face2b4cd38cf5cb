//! A complete tiny training run on lavapipe (or the first GPU): checkpoints,
//! loss log, sample grids, index.html and loss curve; and the built-in demo.

mod train_util;

use train_util::*;

const LOSSES: [&str; 8] = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"];

fn log_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn a_run_writes_checkpoints_logs_samples_and_curve() {
    let dir = scratch("run");
    let a = domain(&dir.join("A"), 3, 1);
    let b = domain(&dir.join("B"), 2, 2);
    let extra = [
        "--n-epochs",
        "1",
        "--n-epochs-decay",
        "1",
        "--print-freq",
        "2",
        "--display-freq",
        "3",
        "--save-latest-freq",
        "4",
        "--save-epoch-freq",
        "1",
        "--pool-size",
        "2",
    ];
    let (stdout, stderr) = run_ok(args(&dir, "exp", &a, &b, &extra));
    let run = dir.join("checkpoints/exp");
    assert!(stdout.contains(&format!("results in {}", run.display())), "{stdout}");
    assert!(stderr.contains("training finished: 6 iterations"), "{stderr}");

    // latest/ resumes; epoch_<n>/ hold the networks.
    state_bytes(&run.join("latest"));
    let m = manifest(&run.join("latest"));
    assert_eq!(m["position"], serde_json::json!({"epoch": 3, "epoch_iter": 0, "total_iters": 6}));
    assert_eq!(m["architecture"], "resnet_6blocks ngf 4, n_layers_d 2 ndf 4");
    for e in ["epoch_1", "epoch_2"] {
        for f in &STATE_FILES[..4] {
            assert!(run.join(e).join(f).is_file(), "{e}/{f} missing");
        }
        assert!(!run.join(e).join("adam_G.safetensors").exists());
    }
    assert_eq!(saved_at(&run.join("epoch_1")), 3);

    // One log line per print: epoch, iters, lr (halved in the decay epoch), the eight losses.
    let log = log_lines(&run.join("loss_log.jsonl"));
    assert_eq!(log.len(), 3);
    for (line, (iters, epoch, lr)) in log.iter().zip([(2, 1, 2e-4), (4, 2, 1e-4), (6, 2, 1e-4)]) {
        assert_eq!(line["iters"], iters);
        assert_eq!(line["epoch"], epoch);
        assert!((line["lr"].as_f64().unwrap() - lr).abs() < 1e-12, "{line}");
        for name in LOSSES {
            let v = line[name].as_f64().unwrap_or_else(|| panic!("{name} missing from {line}"));
            assert!(v.is_finite() && v >= 0.0, "{name} = {v}");
        }
    }

    // Sample grids (3 x 2 tiles of 16x16 with 4-pixel gaps), newest first in index.html.
    let images = run.join("web/images");
    let grids = ["iter_00000003_epoch_001.png", "iter_00000006_epoch_002.png"];
    for g in grids {
        assert_eq!(image::image_dimensions(images.join(g)).unwrap(), (3 * 16 + 16, 2 * 16 + 12), "{g}");
    }
    let html = std::fs::read_to_string(run.join("web/index.html")).unwrap();
    let (new, old) = (html.find(grids[1]).unwrap(), html.find(grids[0]).unwrap());
    assert!(new < old, "newest first:\n{html}");
    assert_eq!(image::image_dimensions(run.join("loss_curve.png")).unwrap(), (960, 540));

    // No temporary folders are left, and the generator translates images.
    let mut entries: Vec<String> =
        std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    entries.sort();
    assert_eq!(entries, ["epoch_1", "epoch_2", "latest", "loss_curve.png", "loss_log.jsonl", "web"]);
    let out = dir.join("translated.png");
    run_ok([
        "translate".as_ref(),
        "--weights".as_ref(),
        run.join("latest/G_A.safetensors").as_os_str(),
        "--input".as_ref(),
        a.join("000.png").as_os_str(),
        "--output".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(image::image_dimensions(&out).unwrap(), (24, 24));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_short_run_on_the_demo_lowers_the_cycle_loss() {
    let dir = scratch("demo");
    let ck = dir.join("checkpoints");
    let (_, stderr) = run_ok([
        "--checkpoints-dir".as_ref(),
        ck.as_os_str(),
        "--ngf".as_ref(),
        "8".as_ref(),
        "--ndf".as_ref(),
        "8".as_ref(),
        "--load-size".as_ref(),
        "36".as_ref(),
        "--crop-size".as_ref(),
        "32".as_ref(),
        "--max-iters".as_ref(),
        "40".as_ref(),
        "--print-freq".as_ref(),
        "1".as_ref(),
    ]);
    assert!(stderr.contains("built-in demo"), "{stderr}");
    let run = ck.join("demo");
    for (d, n) in [("trainA", 48), ("trainB", 48)] {
        assert_eq!(std::fs::read_dir(run.join("demo_data").join(d)).unwrap().count(), n);
    }
    let log = log_lines(&run.join("loss_log.jsonl"));
    assert_eq!(log.len(), 40);
    let cycle = |l: &serde_json::Value| l["cycle_A"].as_f64().unwrap() + l["cycle_B"].as_f64().unwrap();
    let first: f64 = log[..5].iter().map(cycle).sum::<f64>() / 5.0;
    let last: f64 = log[35..].iter().map(cycle).sum::<f64>() / 5.0;
    assert!(last < 0.7 * first, "cycle loss A + B: first 5 iterations {first:.3}, last 5 {last:.3}");
    std::fs::remove_dir_all(&dir).unwrap();
}
