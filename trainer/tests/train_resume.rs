//! Resuming: an interrupted and resumed run ends with bit-identical state
//! to an uninterrupted one; a process killed in the middle of a checkpoint
//! write leaves the previous checkpoint loadable; Ctrl-C saves and exits.

mod train_util;

use std::path::Path;
use std::time::{Duration, Instant};

use train_util::*;

/// 3 A and 5 B images: 5 iterations an epoch, so 8 iterations cross the
/// epoch boundary where the learning rate starts to decay; a pool of 2
/// fills and then swaps.
fn data(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (domain(&dir.join("A"), 3, 11), domain(&dir.join("B"), 5, 12))
}

const OPTS: &[&str] = &["--n-epochs", "1", "--n-epochs-decay", "2", "--pool-size", "2", "--print-freq", "1"];

fn with(extra: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = OPTS.to_vec();
    for e in extra {
        v.push(Box::leak(e.to_string().into_boxed_str()));
    }
    v
}

#[test]
fn resumed_run_matches_uninterrupted_run_bit_for_bit() {
    let dir = scratch("resume");
    let (a, b) = data(&dir);
    run_ok(args(&dir, "straight", &a, &b, &with(&["--max-iters", "8"])));
    let (_, stderr) = run_ok(args(&dir, "split", &a, &b, &with(&["--max-iters", "3", "--save-latest-freq", "2"])));
    assert!(stderr.contains("stopped at iteration 3 (--max-iters)"), "{stderr}");
    let split = dir.join("checkpoints/split");
    assert_eq!(saved_at(&split.join("latest")), 3, "a run always ends by saving latest/");
    let (_, stderr) = run_ok(args(&dir, "split", &a, &b, &with(&["--max-iters", "8", "--continue-train"])));
    assert!(stderr.contains("resuming from") && stderr.contains("at iteration 3"), "{stderr}");
    let straight = dir.join("checkpoints/straight");
    assert_eq!(saved_at(&split.join("latest")), 8);
    assert_same_state(&straight.join("latest"), &split.join("latest"));
    let log = |run: &Path| std::fs::read_to_string(run.join("loss_log.jsonl")).unwrap();
    assert_eq!(log(&straight), log(&split), "the resumed log continues the interrupted one exactly");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With autotuning on, latest/ records the forms it chose and the adapter;
/// a resumed run on that adapter takes them instead of measuring again (the
/// test rewrites every recorded form to `direct` and finds that in the next
/// checkpoint), so it computes as the interrupted run did.
#[test]
fn autotuned_forms_travel_with_the_checkpoint() {
    let dir = scratch("resume-forms");
    let (a, b) = data(&dir);
    let autotuned = |extra: &[&str]| {
        let out = trainer()
            .args(args(&dir, "tuned", &a, &b, &with(extra)))
            .env("GAN_KERNELS", "autotune")
            .env("GAN_TUNE_CACHE", "off")
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "trainer failed:\n{stderr}\n{stdout}");
        stderr
    };
    autotuned(&["--max-iters", "2"]);
    let latest = dir.join("checkpoints/tuned/latest");
    let m = manifest(&latest);
    let forms = m["conv_forms"]["forms"].as_array().unwrap();
    assert!(!forms.is_empty(), "{m}");
    assert!(!m["conv_forms"]["adapter"].as_str().unwrap().is_empty(), "{m}");
    let mut edited = m.clone();
    for f in edited["conv_forms"]["forms"].as_array_mut().unwrap() {
        f["form"] = "direct".into();
    }
    std::fs::write(latest.join("manifest.json"), serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
    let stderr = autotuned(&["--max-iters", "3", "--continue-train"]);
    assert!(stderr.contains(&format!("autotuning: {} convolution forms from the checkpoint", forms.len())), "{stderr}");
    let after = manifest(&latest);
    let names: Vec<&str> =
        after["conv_forms"]["forms"].as_array().unwrap().iter().map(|f| f["form"].as_str().unwrap()).collect();
    assert_eq!(names.len(), forms.len());
    assert!(names.iter().all(|&n| n == "direct"), "{names:?}");
    // Without autotuning nothing is recorded.
    run_ok(args(&dir, "plain", &a, &b, &with(&["--max-iters", "1"])));
    assert!(manifest(&dir.join("checkpoints/plain/latest")).get("conv_forms").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_kill_during_a_checkpoint_write_leaves_the_previous_one() {
    let dir = scratch("kill");
    let (a, b) = data(&dir);
    run_ok(args(&dir, "straight", &a, &b, &with(&["--max-iters", "6"])));
    let straight = dir.join("checkpoints/straight/latest");
    for stage in ["files", "swap"] {
        let name = format!("crash-{stage}");
        let run = dir.join("checkpoints").join(&name);
        // The second write (iteration 4) aborts: after its first file, or between its renames.
        let out = trainer()
            .args(args(&dir, &name, &a, &b, &with(&["--max-iters", "6", "--save-latest-freq", "2"])))
            .env("CYCLEGAN_TEST_CRASH_CHECKPOINT", format!("2:{stage}"))
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{stage}: the process should have aborted:\n{stderr}");
        assert!(stderr.contains("aborting during checkpoint write 2"), "{stderr}");
        let leftovers: Vec<String> = std::fs::read_dir(&run)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
            .collect();
        // After the first file: a partial latest.tmp-<pid>/; between the renames also latest.old-<pid>/.
        assert_eq!(leftovers.len(), if stage == "files" { 1 } else { 2 }, "{stage}: {leftovers:?}");
        if stage == "files" {
            assert_eq!(saved_at(&run.join("latest")), 2, "the previous checkpoint is still in place");
        } else {
            assert!(!run.join("latest").exists(), "killed between the renames");
        }
        let (_, stderr) = run_ok(args(&dir, &name, &a, &b, &with(&["--max-iters", "6", "--continue-train"])));
        assert!(stderr.contains("at iteration 2"), "{stage}: resumed from the previous checkpoint:\n{stderr}");
        assert_same_state(&straight, &run.join("latest"));
        let names: Vec<String> =
            std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-") && !n.contains(".old-")), "cleaned up: {names:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn ctrl_c_saves_latest_and_exits_cleanly() {
    let dir = scratch("ctrlc");
    let (a, b) = data(&dir);
    let run = dir.join("checkpoints/int");
    let long = ["--n-epochs", "1000", "--print-freq", "1"];
    let mut child = trainer()
        .args(args(&dir, "int", &a, &b, &long))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log = run.join("loss_log.jsonl");
    let start = Instant::now();
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 2 {
        assert!(start.elapsed() < Duration::from_secs(120), "no training progress");
        assert!(child.try_wait().unwrap().is_none(), "the trainer exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted at iteration"), "{stderr}");
    assert!(stdout.contains("results in"), "{stdout}");
    let at = saved_at(&run.join("latest"));
    assert!(at >= 2, "saved at iteration {at}");
    state_bytes(&run.join("latest"));
    std::fs::remove_dir_all(&dir).unwrap();
}
