//! Adam against CPU implementations of torch.optim.Adam over 10 steps with a
//! changing learning rate.

use shaders::ops::{Adam, AdamConfig};
use shaders::Tensor;
use tests::ref_train::{AdamF32, AdamF64};
use tests::{assert_close, gpu, random};

const LRS: [f32; 10] = [2e-4, 2e-4, 1e-3, 5e-4, 1e-4, 0.0, 3e-3, 2e-4, 1.5e-4, 1e-5];

/// Gradients of mixed magnitude (1e-6 to 1) with some exact zeros.
fn grads(len: usize, step: usize) -> Vec<f32> {
    let r = random(len, 1000 + step as u64);
    let scale = random(len, 2000 + step as u64);
    r.iter()
        .zip(&scale)
        .enumerate()
        .map(|(i, (&g, &s))| if i % 17 == 0 { 0.0 } else { g * 10f32.powf(-3.0 * (s + 1.0)) })
        .collect()
}

#[test]
fn adam_matches_torch_formula() {
    let g = gpu();
    let len = 5003;
    for config in [
        AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
        AdamConfig::default(),
        // Coupled decay (DiscoGAN's 1e-5, U-GAT-IT's 1e-4), exaggerated so that it shows.
        AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.05 },
    ] {
        let p0 = random(len, 7);
        let params = Tensor::from_slice(&g, &[len], &p0).unwrap();
        let gt = Tensor::zeros(&g, &[len]).unwrap();
        let mut adam = Adam::new(&g, len, config).unwrap();
        let mut cpu = AdamF32::new(len, config.beta1, config.beta2, config.eps);
        cpu.weight_decay = config.weight_decay;
        let mut cpu_p = p0.clone();
        let mut ref64 = AdamF64::new(len, config.beta1, config.beta2, config.eps);
        ref64.weight_decay = config.weight_decay;
        let mut p64: Vec<f64> = p0.iter().map(|&v| v as f64).collect();
        for (step, &lr) in LRS.iter().enumerate() {
            let gr = grads(len, step);
            gt.write(&g, &gr).unwrap();
            adam.step(&g, &params, &gt, lr).unwrap();
            cpu.step(&mut cpu_p, &gr, lr);
            ref64.step(&mut p64, &gr.iter().map(|&v| v as f64).collect::<Vec<_>>(), lr as f64);
        }
        assert_eq!(adam.t(), 10);
        let what = format!("adam {config:?} after 10 steps");
        let got_p = params.read_blocking(&g).unwrap();
        let got_m = adam.m().read_blocking(&g).unwrap();
        let got_v = adam.v().read_blocking(&g).unwrap();
        // Against the f32 CPU mirror of torch's operation order: bit-exact on
        // lavapipe; other drivers may fuse a multiply-add, so allow a few ulp.
        let f = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
        assert_close(&format!("{what}: params vs f32 reference"), &got_p, &f(&cpu_p), &[len], 1e-9, 5e-7);
        assert_close(&format!("{what}: m vs f32 reference"), &got_m, &f(&cpu.m), &[len], 1e-12, 5e-7);
        assert_close(&format!("{what}: v vs f32 reference"), &got_v, &f(&cpu.v), &[len], 1e-20, 5e-7);
        // Against f64: parameters of magnitude <= 1 are rounded to f32 (half an
        // ulp, <= 6e-8) at each of the 10 steps; m can cancel, so its error is
        // relative to the gradients (<= 1), v's to itself.
        assert_close(&format!("{what}: params vs f64 reference"), &got_p, &p64, &[len], 6e-7, 0.0);
        assert_close(&format!("{what}: m vs f64 reference"), &got_m, &ref64.m, &[len], 1e-7, 1e-6);
        assert_close(&format!("{what}: v vs f64 reference"), &got_v, &ref64.v, &[len], 1e-20, 2e-6);
    }
}

#[test]
fn adam_resumes_from_saved_state() {
    let g = gpu();
    let len = 1031;
    let config = AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    let p0 = random(len, 11);
    let run_through = Tensor::from_slice(&g, &[len], &p0).unwrap();
    let resumed = Tensor::from_slice(&g, &[len], &p0).unwrap();
    let gt = Tensor::zeros(&g, &[len]).unwrap();
    let mut a = Adam::new(&g, len, config).unwrap();
    let mut b = Adam::new(&g, len, config).unwrap();
    for (step, &lr) in LRS.iter().enumerate() {
        gt.write(&g, &grads(len, step)).unwrap();
        a.step(&g, &run_through, &gt, lr).unwrap();
        b.step(&g, &resumed, &gt, lr).unwrap();
        if step == 4 {
            // Checkpoint b through the host, as a weight file would.
            let m = Tensor::from_slice(&g, &[len], &b.m().read_blocking(&g).unwrap()).unwrap();
            let v = Tensor::from_slice(&g, &[len], &b.v().read_blocking(&g).unwrap()).unwrap();
            b = Adam::from_state(b.config(), m, v, b.t()).unwrap();
        }
    }
    let bits = |t: &Tensor| t.read_blocking(&g).unwrap().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&run_through), bits(&resumed), "resuming from (m, v, t) changes the result");
    assert_eq!(a.t(), b.t());
}

#[test]
fn adam_rejects_mismatched_buffers() {
    let g = gpu();
    let mut adam = Adam::new(&g, 10, AdamConfig::default()).unwrap();
    let p = Tensor::zeros(&g, &[10]).unwrap();
    let short = Tensor::zeros(&g, &[9]).unwrap();
    let e = adam.step(&g, &p, &short, 1e-3).unwrap_err().to_string();
    assert!(e.contains("adam") && e.contains("[9]") && e.contains("10"), "{e}");
    assert_eq!(adam.t(), 0, "a refused step must not advance t");
}
