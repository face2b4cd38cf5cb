//! `loss_log.jsonl`: one JSON object per logged iteration (epoch, iters,
//! lr and the model's losses by name), and the check that stops training on
//! a non-finite loss.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::files::write_atomic;
use anyhow::{Context, Result};

/// One logged iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Iterations done in total.
    pub iters: u64,
    /// Epoch it belongs to.
    pub epoch: u64,
    /// Losses in the model's loss-name order.
    pub losses: Vec<f32>,
}

/// The log file and the points logged so far (for the loss curve).
pub struct LossLog {
    names: &'static [&'static str],
    path: PathBuf,
    file: std::fs::File,
    /// Every point in the file, oldest first.
    pub points: Vec<Point>,
}

impl LossLog {
    /// Opens `path` for losses called `names`: emptied for a fresh run, or,
    /// when resuming from iteration `resume_at`, keeping only the lines up to it.
    pub fn open(names: &'static [&'static str], path: &Path, resume_at: Option<u64>) -> Result<LossLog> {
        let mut points = Vec::new();
        if let Some(at) = resume_at {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let mut kept = String::new();
            for line in text.lines() {
                if let Some(p) = parse(names, line) {
                    if p.iters <= at {
                        points.push(p);
                        kept.push_str(line);
                        kept.push('\n');
                    }
                }
            }
            write_atomic(path, kept.as_bytes())?;
        } else {
            write_atomic(path, b"")?;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for appending", path.display()))?;
        Ok(LossLog { names, path: path.to_path_buf(), file, points })
    }

    /// Appends one line.
    pub fn append(&mut self, p: Point, lr: f64) -> Result<()> {
        let line = format_line(self.names, &p, lr);
        self.file.write_all(line.as_bytes()).with_context(|| format!("{}: cannot write", self.path.display()))?;
        self.points.push(p);
        Ok(())
    }
}

/// `{"epoch":1,"iters":100,"lr":0.0002,"D_A":0.25,...}` and a newline; a
/// non-finite loss is written as null.
pub fn format_line(names: &[&str], p: &Point, lr: f64) -> String {
    let mut s = format!("{{\"epoch\":{},\"iters\":{},\"lr\":{}", p.epoch, p.iters, serde_json::json!(lr));
    for (name, v) in names.iter().zip(&p.losses) {
        s.push_str(&format!(",\"{name}\":{}", serde_json::json!(v)));
    }
    s.push_str("}\n");
    s
}

fn parse(names: &[&str], line: &str) -> Option<Point> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let mut losses = vec![f32::NAN; names.len()];
    for (slot, name) in losses.iter_mut().zip(names) {
        *slot = v.get(name)?.as_f64().map(|x| x as f32).unwrap_or(f32::NAN);
    }
    Some(Point { iters: v.get("iters")?.as_u64()?, epoch: v.get("epoch")?.as_u64()?, losses })
}

/// Training produced a non-finite number; nothing may be saved after it.
#[derive(Debug)]
pub struct Diverged(pub String);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; training was stopped and the last checkpoint was not overwritten (try a lower --lr)", self.0)
    }
}

impl std::error::Error for Diverged {}

/// A [`Diverged`] error naming the first non-finite loss and where it happened.
pub fn check_finite(names: &[&str], losses: &[f32], iters: u64, epoch: u64) -> Result<()> {
    if let Some((name, v)) = names.iter().zip(losses).find(|(_, v)| !v.is_finite()) {
        return Err(Diverged(format!("loss {name} is {v} at iteration {iters} (epoch {epoch})")).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 8] = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"];

    #[test]
    fn lines_round_trip_and_resume_truncates() {
        let p = Point { iters: 10, epoch: 2, losses: vec![0.25, 0.5, 1.0, 0.125, 0.3, 0.4, 2.0, 1.5] };
        let line = format_line(&NAMES, &p, 2e-4);
        assert!(line.starts_with("{\"epoch\":2,\"iters\":10,\"lr\":0.0002,\"D_A\":0.25,\"G_A\":0.5,"), "{line}");
        assert_eq!(parse(&NAMES, line.trim_end()), Some(p.clone()));
        let path = std::env::temp_dir().join(format!("losslog-{}.jsonl", std::process::id()));
        let mut log = LossLog::open(&NAMES, &path, None).unwrap();
        for i in 1..=4 {
            log.append(Point { iters: i * 10, ..p.clone() }, 1e-4).unwrap();
        }
        let log = LossLog::open(&NAMES, &path, Some(25)).unwrap();
        assert_eq!(log.points.iter().map(|p| p.iters).collect::<Vec<_>>(), vec![10, 20]);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        std::fs::remove_file(&path).unwrap();
        let mut bad = p.losses.clone();
        bad[6] = f32::NAN;
        let e = check_finite(&NAMES, &bad, 77, 3).unwrap_err().to_string();
        assert!(e.contains("cycle_B is NaN at iteration 77 (epoch 3)"), "{e}");
        assert!(format_line(&NAMES, &Point { losses: bad, ..p }, 1.0).contains("\"cycle_B\":null"));
    }
}
