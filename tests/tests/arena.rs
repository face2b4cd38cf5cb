//! Parameter arenas: aligned views, gather and scatter, chunking, and
//! AdamGroup over chunked arenas equal to one flat Adam bit for bit.

use shaders::nn::io::weights::HostTensor;
use shaders::nn::layers::arena::ParamArena;
use shaders::nn::layers::optim::AdamGroup;
use shaders::nn::layers::params::ParamSpec;
use shaders::ops::{Adam, AdamConfig};
use shaders::{Error, Gpu, Tensor};
use tests::{gpu, random};

/// Odd sizes, a scalar-like [1], and one large tensor, in a made-up state_dict order.
fn specs(prefix: &str) -> Vec<ParamSpec> {
    let shapes: [&[usize]; 7] = [&[3], &[5, 7], &[1], &[300], &[4, 4, 3, 3], &[2, 65], &[70]];
    shapes
        .iter()
        .enumerate()
        .map(|(i, s)| ParamSpec { name: format!("{prefix}.{i}.weight"), shape: s.to_vec(), row_blocks: false })
        .collect()
}

fn data(specs: &[ParamSpec], seed: u64) -> Vec<HostTensor> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| HostTensor::new(s.shape.clone(), random(s.shape.iter().product(), seed + i as u64)))
        .collect()
}

fn arena(g: &Gpu, specs: &[ParamSpec], data: &[HostTensor], chunk_bytes: Option<u64>) -> ParamArena {
    let refs: Vec<&HostTensor> = data.iter().collect();
    match chunk_bytes {
        Some(b) => ParamArena::with_chunk_limit(g, specs.to_vec(), &refs, b).unwrap(),
        None => ParamArena::new(g, specs.to_vec(), &refs).unwrap(),
    }
}

fn flat(data: &[HostTensor]) -> Vec<f32> {
    data.iter().flat_map(|t| t.data.iter().copied()).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn views_are_aligned_and_hold_their_parameters() {
    let g = gpu();
    let align = g.limits().min_storage_buffer_offset_alignment as u64;
    assert_eq!(align, 256, "native code requests wgpu's default limits");
    let s = specs("net");
    let d = data(&s, 1);
    for limit in [None, Some(2048), Some(1200)] {
        let a = arena(&g, &s, &d, limit);
        assert_eq!(a.len(), s.len());
        assert_eq!(a.specs(), &s[..]);
        assert_eq!(a.numel(), d.iter().map(|t| t.data.len()).sum::<usize>());
        let mut views: Vec<Tensor> = Vec::new();
        for (i, t) in d.iter().enumerate() {
            let (v, gr) = (a.value(i), a.grad(i));
            assert_eq!(v.offset() % 256, 0, "value {i} at byte {} (limit {limit:?})", v.offset());
            assert_eq!(gr.offset() % 256, 0, "grad {i} at byte {}", gr.offset());
            assert_eq!(v.shape(), &t.shape[..]);
            assert_eq!(v.read_blocking(&g).unwrap(), t.data, "value {i}");
            assert!(gr.read_blocking(&g).unwrap().iter().all(|&x| x == 0.0), "gradients start at zero");
            assert!(views.iter().all(|o| !o.overlaps(&v)), "view {i} overlaps another");
            views.push(v);
        }
        if let Some(b) = limit {
            assert!(a.value_chunks().len() > 1, "a {b}-byte limit splits {} values", a.numel());
            for c in a.value_chunks() {
                assert!(c.byte_len() <= b, "chunk of {} bytes over the {b}-byte limit", c.byte_len());
            }
        } else {
            assert_eq!(a.value_chunks().len(), 1);
        }
        assert_eq!(a.grad_chunks().len(), a.value_chunks().len());
        for (v, gr) in a.value_chunks().iter().zip(a.grad_chunks()) {
            assert_eq!(v.shape(), gr.shape(), "gradient chunks are laid out as the values");
        }
    }
}

#[test]
fn gather_and_scatter_round_trip() {
    let g = gpu();
    let s = specs("net");
    let d = data(&s, 2);
    for limit in [None, Some(1280)] {
        let a = arena(&g, &s, &d, limit);
        assert_eq!(bits(&pollster::block_on(a.gather(&g, a.value_chunks())).unwrap()), bits(&flat(&d)));
        let other = random(a.numel(), 3);
        let chunks = a.scatter(&g, &other).unwrap();
        assert_eq!(chunks.len(), a.value_chunks().len());
        assert_eq!(bits(&pollster::block_on(a.gather(&g, &chunks)).unwrap()), bits(&other));
        // The padding of scattered chunks is zero.
        let in_chunks: f64 = chunks.iter().flat_map(|c| c.read_blocking(&g).unwrap()).map(|x| x.abs() as f64).sum();
        let in_flat: f64 = other.iter().map(|x| x.abs() as f64).sum();
        assert_eq!(in_chunks, in_flat);
        let err = a.scatter(&g, &other[1..]).unwrap_err();
        assert!(matches!(err, Error::Shape { .. }), "{err}");
    }
}

#[test]
fn chunk_limits_and_bad_data_are_refused() {
    let g = gpu();
    let s = specs("net");
    let d = data(&s, 4);
    let refs: Vec<&HostTensor> = d.iter().collect();
    // [300] is 1200 bytes: it cannot fit a 1024-byte chunk.
    let err = ParamArena::with_chunk_limit(&g, s.clone(), &refs, 1024).err().unwrap();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("net.3.weight"), "{err}");
    let err = ParamArena::new(&g, s.clone(), &refs[1..]).err().unwrap();
    assert!(err.to_string().contains("tensors"), "{err}");
    let mut wrong = d.clone();
    wrong[1] = HostTensor::new(vec![7, 5], wrong[1].data.clone());
    let refs: Vec<&HostTensor> = wrong.iter().collect();
    let err = ParamArena::new(&g, s, &refs).err().unwrap().to_string();
    assert!(err.contains("net.1.weight"), "{err}");
}

const LRS: [f32; 6] = [2e-4, 1e-3, 0.0, 5e-4, 2e-4, 1e-5];

/// Gradients of step `step` for every parameter, flat in state_dict order.
fn grads(len: usize, step: usize) -> Vec<f32> {
    random(len, 100 + step as u64).iter().enumerate().map(|(i, &x)| if i % 13 == 0 { 0.0 } else { x }).collect()
}

/// Writes flat gradients into the arenas' gradient views.
fn write_grads(g: &Gpu, arenas: &[&ParamArena], flat: &[f32]) {
    let mut at = 0;
    for a in arenas {
        for i in 0..a.len() {
            let view = a.grad(i);
            view.write(g, &flat[at..at + view.len()]).unwrap();
            at += view.len();
        }
    }
    assert_eq!(at, flat.len());
}

#[test]
fn adam_group_over_chunks_equals_one_flat_adam() {
    let g = gpu();
    let config = AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    // Two networks, as CycleGAN's one optimizer for both generators; small chunks.
    let (s1, s2) = (specs("g_a"), specs("g_b"));
    let (d1, d2) = (data(&s1, 10), data(&s2, 20));
    let a1 = arena(&g, &s1, &d1, Some(1536));
    let a2 = arena(&g, &s2, &d2, Some(2048));
    assert!(a1.value_chunks().len() >= 3 && a2.value_chunks().len() >= 2);
    let arenas = [&a1, &a2];
    let mut group = AdamGroup::new(&g, &arenas, config).unwrap();
    let p0: Vec<f32> = flat(&d1).into_iter().chain(flat(&d2)).collect();
    let n = p0.len();
    let params = Tensor::from_slice(&g, &[n], &p0).unwrap();
    let flat_grads = Tensor::zeros(&g, &[n]).unwrap();
    let mut adam = Adam::new(&g, n, config).unwrap();
    let gathered = |arenas: &[&ParamArena]| -> Vec<f32> {
        arenas.iter().flat_map(|a| pollster::block_on(a.gather(&g, a.value_chunks())).unwrap()).collect()
    };
    for (step, &lr) in LRS.iter().enumerate() {
        let gr = grads(n, step);
        write_grads(&g, &arenas, &gr);
        flat_grads.write(&g, &gr).unwrap();
        group.step(&g, &arenas, lr).unwrap();
        adam.step(&g, &params, &flat_grads, lr).unwrap();
        assert_eq!(bits(&gathered(&arenas)), bits(&params.read_blocking(&g).unwrap()), "parameters after step {step}");
    }
    assert_eq!(group.t(), LRS.len() as u64);
    // The saved moments are the flat Adam's, and padding stayed zero.
    let state = pollster::block_on(group.state(&g, &arenas)).unwrap();
    assert_eq!(bits(&state.get("m").unwrap().data), bits(&adam.m().read_blocking(&g).unwrap()));
    assert_eq!(bits(&state.get("v").unwrap().data), bits(&adam.v().read_blocking(&g).unwrap()));
    assert_eq!(state.metadata().get("step").map(String::as_str), Some("6"));
    for a in arenas {
        let in_chunks: f64 =
            a.value_chunks().iter().flat_map(|c| c.read_blocking(&g).unwrap()).map(|x| x.abs() as f64).sum();
        let in_views: f64 =
            pollster::block_on(a.gather(&g, a.value_chunks())).unwrap().iter().map(|x| x.abs() as f64).sum();
        assert_eq!(in_chunks, in_views, "the padding between parameters stays zero under Adam");
    }

    // Restored into a fresh group (as a resume does), two more steps match the flat Adam.
    let mut resumed = AdamGroup::new(&g, &arenas, config).unwrap();
    resumed.restore(&g, &arenas, &state, "adam").unwrap();
    assert_eq!(resumed.t(), 6);
    for step in 6..8 {
        let gr = grads(n, step);
        write_grads(&g, &arenas, &gr);
        flat_grads.write(&g, &gr).unwrap();
        resumed.step(&g, &arenas, 3e-4).unwrap();
        adam.step(&g, &params, &flat_grads, 3e-4).unwrap();
    }
    assert_eq!(bits(&gathered(&arenas)), bits(&params.read_blocking(&g).unwrap()), "after resuming");

    // Errors: other networks, a state of another size, zero_grads.
    let err = group.step(&g, &[&a1], 1e-3).unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err}");
    let mut short = state.clone();
    short.insert("m", HostTensor::new(vec![3], vec![0.0; 3])).unwrap();
    let err = resumed.restore(&g, &arenas, &short, "adam_G").unwrap_err().to_string();
    assert!(err.contains("adam_G") && err.contains("`m`"), "{err}");
    a1.zero_grads(&g);
    for i in 0..a1.len() {
        assert!(a1.grad(i).read_blocking(&g).unwrap().iter().all(|&x| x == 0.0));
    }
    assert!(a2.grad(0).read_blocking(&g).unwrap().iter().any(|&x| x != 0.0), "zero_grads is per arena");
}

/// A parameter larger than a chunk that may lie in row blocks: whole rows
/// per chunk, each block opening its own chunk; views, gather and scatter,
/// and Adam over it equal to one flat Adam.
#[test]
fn row_blocks_hold_a_parameter_larger_than_a_chunk() {
    let g = gpu();
    let mut s = specs("net");
    // [37, 11] is 1628 bytes: 29 rows fit a 1280-byte chunk, then 8.
    s.insert(2, ParamSpec { name: "net.fc.weight".into(), shape: vec![37, 11], row_blocks: true });
    let d = data(&s, 40);
    let a = arena(&g, &s, &d, Some(1280));
    assert!(a.is_split(2) && !a.is_split(1) && !a.is_split(3));
    let parts = a.value_parts(2);
    assert_eq!(parts.iter().map(|p| p.shape().to_vec()).collect::<Vec<_>>(), [vec![29, 11], vec![8, 11]]);
    assert!(parts.iter().all(|p| p.offset() == 0), "each block opens a chunk");
    assert_eq!(parts.iter().flat_map(|p| p.read_blocking(&g).unwrap()).collect::<Vec<_>>(), d[2].data);
    assert_eq!(a.grad_parts(2).len(), 2);
    // The parameters around it keep their views.
    assert_eq!(a.value(3).read_blocking(&g).unwrap(), d[3].data);
    assert_eq!(a.value(1).read_blocking(&g).unwrap(), d[1].data);
    assert_eq!(bits(&pollster::block_on(a.gather(&g, a.value_chunks())).unwrap()), bits(&flat(&d)));
    let other = random(a.numel(), 41);
    let chunks = a.scatter(&g, &other).unwrap();
    assert_eq!(bits(&pollster::block_on(a.gather(&g, &chunks)).unwrap()), bits(&other));

    // Adam over the blocks equals one flat Adam.
    let config = AdamConfig { beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 1e-4 };
    let mut group = AdamGroup::new(&g, &[&a], config).unwrap();
    let n = a.numel();
    let params = Tensor::from_slice(&g, &[n], &flat(&d)).unwrap();
    let flat_grads = Tensor::zeros(&g, &[n]).unwrap();
    let mut adam = Adam::new(&g, n, config).unwrap();
    for (step, &lr) in LRS.iter().enumerate() {
        let gr = grads(n, step);
        let mut at = 0;
        for i in 0..a.len() {
            for view in a.grad_parts(i) {
                view.write(&g, &gr[at..at + view.len()]).unwrap();
                at += view.len();
            }
        }
        flat_grads.write(&g, &gr).unwrap();
        group.step(&g, &[&a], lr).unwrap();
        adam.step(&g, &params, &flat_grads, lr).unwrap();
    }
    let got = pollster::block_on(a.gather(&g, a.value_chunks())).unwrap();
    assert_eq!(bits(&got), bits(&params.read_blocking(&g).unwrap()), "parameters after Adam");

    // A row longer than a chunk cannot be split by rows.
    let wide = vec![ParamSpec { name: "net.wide".into(), shape: vec![2, 330], row_blocks: true }];
    let wd = data(&wide, 42);
    let refs: Vec<&HostTensor> = wd.iter().collect();
    let err = ParamArena::with_chunk_limit(&g, wide, &refs, 1280).err().unwrap();
    assert!(matches!(err, Error::TooLarge { .. }) && err.to_string().contains("net.wide"), "{err}");
}
