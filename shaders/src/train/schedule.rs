//! The learning-rate schedule of the reference (`lambda_rule` under
//! LambdaLR, stepped at the end of every epoch): constant for `n_epochs`,
//! then linear decay towards zero over `n_epochs_decay`.

/// Factor on the initial learning rate during `epoch` (1-based). The
/// scheduler has been stepped `epoch - 1` times by then, so the factor is
/// 1 - max(0, (epoch - 1) + 1 - n_epochs) / (n_epochs_decay + 1).
pub fn lr_factor(epoch: u64, n_epochs: u64, n_epochs_decay: u64) -> f64 {
    let steps = epoch.saturating_sub(1);
    let over = (steps + 1).saturating_sub(n_epochs);
    1.0 - over as f64 / (n_epochs_decay + 1) as f64
}

/// The learning rate during `epoch` (1-based).
pub fn lr_at(base: f64, epoch: u64, n_epochs: u64, n_epochs_decay: u64) -> f64 {
    base * lr_factor(epoch, n_epochs, n_epochs_decay)
}

/// U-GAT-IT's rate at `step` (1-based) of a run of `iterations`: `base`
/// for the first half, then the reference's `lr -= base / (iterations // 2)`
/// at every step past it, here in closed form (never below 0): the last
/// step of an even length runs at 0, as the reference's does.
pub fn lr_at_iteration(base: f64, step: u64, iterations: u64) -> f64 {
    let half = (iterations / 2).max(1);
    let past = step.saturating_sub(half);
    (base - base / half as f64 * past as f64).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_then_linear_decay() {
        // n_epochs 2, n_epochs_decay 3: epochs 1..=5.
        let f: Vec<f64> = (1..=5).map(|e| lr_factor(e, 2, 3)).collect();
        assert_eq!(f, vec![1.0, 1.0, 0.75, 0.5, 0.25]);
        // The reference's 100 + 100: the last epoch runs at lr / 101.
        assert_eq!(lr_factor(100, 100, 100), 1.0);
        assert!((lr_factor(101, 100, 100) - 100.0 / 101.0).abs() < 1e-15);
        assert!((lr_at(2e-4, 200, 100, 100) - 2e-4 / 101.0).abs() < 1e-18);
    }

    #[test]
    fn iteration_decay_as_the_reference_subtracts() {
        // iteration 10: steps 1-5 at lr, then lr -= lr / 5 before each step.
        let mut lr = 1e-4f64;
        for step in 1..=10u64 {
            if step > 5 {
                lr -= 1e-4 / 5.0;
            }
            assert!((lr_at_iteration(1e-4, step, 10) - lr.max(0.0)).abs() < 1e-18, "step {step}");
        }
        assert_eq!(lr_at_iteration(1e-4, 5, 10), 1e-4);
        assert!((lr_at_iteration(1e-4, 9, 10) - 2e-5).abs() < 1e-18);
    }
}
