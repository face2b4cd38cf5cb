//! The progress display on stderr: on a terminal, two lines redrawn in
//! place (epoch, iteration, it/s, ETA; the current losses); otherwise one
//! plain line per logged iteration.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::order::Position;

/// Redraws at most this often on a terminal.
const REDRAW: Duration = Duration::from_millis(150);
const BAR: usize = 24;

/// Progress of a run from one iteration to another.
pub struct Progress {
    tty: bool,
    /// Iteration the run started from, and when its first iteration finished.
    first: Option<(u64, Instant)>,
    end_iters: u64,
    epochs: u64,
    iters_per_epoch: u64,
    last_draw: Option<Instant>,
    shown: bool,
    names: &'static [&'static str],
    losses: Option<Vec<f32>>,
}

impl Progress {
    /// A display for iterations up to `end_iters` over `epochs` epochs, of losses called `names`.
    pub fn new(names: &'static [&'static str], end_iters: u64, epochs: u64, iters_per_epoch: u64) -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
            first: None,
            end_iters,
            epochs,
            iters_per_epoch,
            last_draw: None,
            shown: false,
            names,
            losses: None,
        }
    }

    /// Records a finished iteration; `losses` when they were read.
    pub fn update(&mut self, pos: Position, losses: Option<Vec<f32>>) {
        let now = Instant::now();
        if self.first.is_none() {
            self.first = Some((pos.total_iters, now));
        }
        let logged = losses.is_some();
        if losses.is_some() {
            self.losses = losses;
        }
        if self.tty {
            if self.last_draw.is_none_or(|t| now - t >= REDRAW) || logged || pos.total_iters == self.end_iters {
                self.draw(pos);
                self.last_draw = Some(now);
            }
        } else if logged {
            eprintln!("{} | {}", self.status(pos), self.loss_line());
        }
    }

    /// Prints a message above the display.
    pub fn println(&mut self, msg: &str) {
        self.clear();
        eprintln!("{msg}");
    }

    /// Removes the display (before the final messages).
    pub fn clear(&mut self) {
        if self.shown {
            eprint!("\x1b[1A\r\x1b[J");
            let _ = std::io::stderr().flush();
            self.shown = false;
        }
    }

    fn draw(&mut self, pos: Position) {
        let up = if self.shown { "\x1b[1A\r" } else { "" };
        eprint!("{up}\x1b[2K{}\n\x1b[2K{}", self.status(pos), self.loss_line());
        let _ = std::io::stderr().flush();
        self.shown = true;
    }

    fn status(&self, pos: Position) -> String {
        // The epoch just finished shows as complete, not as the next one at 0.
        let (epoch, in_epoch) = if pos.epoch_iter == 0 && pos.total_iters > 0 {
            (pos.epoch - 1, self.iters_per_epoch)
        } else {
            (pos.epoch, pos.epoch_iter)
        };
        let filled = (in_epoch as usize * BAR / self.iters_per_epoch.max(1) as usize).min(BAR);
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(BAR - filled));
        let (rate, eta) = match self.first {
            Some((start, t)) if pos.total_iters > start => {
                let rate = (pos.total_iters - start) as f64 / t.elapsed().as_secs_f64().max(1e-9);
                (format!("{rate:.2} it/s"), duration((self.end_iters - pos.total_iters) as f64 / rate))
            }
            _ => ("- it/s".into(), "-".into()),
        };
        format!(
            "epoch {epoch}/{} [{bar}] {in_epoch}/{} | iter {}/{} | {rate} | ETA {eta}",
            self.epochs, self.iters_per_epoch, pos.total_iters, self.end_iters
        )
    }

    fn loss_line(&self) -> String {
        match &self.losses {
            Some(l) => self.names.iter().zip(l).map(|(n, v)| format!("{n} {v:.3}")).collect::<Vec<_>>().join("  "),
            None => "losses: not read yet".into(),
        }
    }
}

/// "1h02m", "3m05s", "12s".
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "-".into();
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_status() {
        assert_eq!(duration(5.2), "5s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(3720.0), "1h02m");
        let p = Progress::new(&["D_A", "G_A"], 80, 4, 20);
        let s = p.status(Position { epoch: 2, epoch_iter: 10, total_iters: 30 });
        assert!(s.starts_with("epoch 2/4 [############------------] 10/20 | iter 30/80"), "{s}");
        let s = p.status(Position { epoch: 3, epoch_iter: 0, total_iters: 40 });
        assert!(s.starts_with("epoch 2/4 [########################] 20/20"), "{s}");
    }
}
