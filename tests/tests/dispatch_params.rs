//! Many dispatches recorded before one flush each see their own uniform
//! parameters: the context packs them into shared uniform chunks, so this
//! records enough of them to cross chunk boundaries, and flushes twice so the
//! second flush rewrites chunks the first one used.

use shaders::ops::{add, leaky_relu};
use shaders::{Gpu, Tensor};
use tests::{gpu, random};

/// Dispatches per flush: several 64 KiB chunks of 256-byte slots.
const N: usize = 700;

fn slope(round: usize, i: usize) -> f32 {
    0.5 + (round * N + i) as f32 / 4096.0
}

/// Records N leaky_relu dispatches with distinct slopes (an `add`, whose
/// parameters differ, every 50th), and one chain of N dispatches each
/// reading the previous one's output; reads everything back after one flush.
fn round(g: &Gpu, round: usize) {
    let len = 300;
    // Negative inputs, so every output is slope * x.
    let x: Vec<f32> = random(len, 3 + round as u64).iter().map(|v| -1.0 - v.abs()).collect();
    let xt = Tensor::from_slice(g, &[len], &x).unwrap();
    let before = g.dispatches();
    let mut outputs = Vec::with_capacity(N);
    let mut chain = xt.clone();
    let mut chained = x.clone();
    for i in 0..N {
        let s = slope(round, i);
        outputs.push(leaky_relu(g, &xt, s).unwrap());
        if i % 50 == 0 {
            chain = add(g, &chain, &xt).unwrap();
            chained.iter_mut().zip(&x).for_each(|(c, x)| *c += x);
        } else {
            // Slopes near 1 keep the chain far from underflow.
            let t = 1.0 - (i % 7) as f32 / 64.0;
            chain = leaky_relu(g, &chain, t).unwrap();
            chained.iter_mut().for_each(|c| *c *= t);
        }
    }
    assert_eq!(g.dispatches() - before, 2 * N as u64);
    // The first readback flushes all 2N dispatches at once.
    let got_chain = chain.read_blocking(g).unwrap();
    for (j, (got, want)) in got_chain.iter().zip(&chained).enumerate() {
        assert_eq!(got.to_bits(), want.to_bits(), "round {round}: chain element {j}: got {got}, want {want}");
    }
    for (i, y) in outputs.iter().enumerate() {
        let s = slope(round, i);
        let got = y.read_blocking(g).unwrap();
        for (j, (&got, &x)) in got.iter().zip(&x).enumerate() {
            let want = s * x;
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "round {round}: dispatch {i} (slope {s}) element {j}: got {got}, want {want}"
            );
        }
    }
}

#[test]
fn every_dispatch_sees_its_own_params() {
    let g = gpu();
    round(&g, 0);
    round(&g, 1);
}

/// Profiling attributes each dispatch to its op and entry point, and the
/// results it computes are unchanged.
#[test]
fn profiling_counts_each_kernel() {
    let g = gpu();
    let x: Vec<f32> = random(64, 5);
    let xt = Tensor::from_slice(&g, &[64], &x).unwrap();
    assert!(g.profile().is_empty(), "profiling is off by default");
    g.set_profiling(true).unwrap();
    let y = leaky_relu(&g, &xt, 0.25).unwrap();
    let y = leaky_relu(&g, &y, 0.5).unwrap();
    let z = add(&g, &y, &xt).unwrap();
    let times = g.profile();
    g.set_profiling(false).unwrap();
    assert!(g.profile().is_empty(), "turning profiling off clears it");
    let count = |entry: &str| times.iter().filter(|t| t.entry == entry).map(|t| t.dispatches).sum::<u64>();
    assert_eq!(times.iter().map(|t| t.dispatches).sum::<u64>(), 3, "{times:?}");
    assert_eq!(count("add"), 1, "{times:?}");
    assert_eq!(times.iter().find(|t| t.entry == "add").unwrap().op, "add");
    assert!(times.iter().all(|t| t.seconds > 0.0), "{times:?}");
    let got = z.read_blocking(&g).unwrap();
    for (i, (&v, &xv)) in got.iter().zip(&x).enumerate() {
        let l1 = if xv < 0.0 { 0.25 * xv } else { xv };
        let l2 = if l1 < 0.0 { 0.5 * l1 } else { l1 };
        assert_eq!(v, l2 + xv, "element {i}");
    }
}
