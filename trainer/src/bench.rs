//! `trainer bench`: kernel timings for every convolution of the CycleGAN and
//! pix2pix networks, whole-network and training-iteration timings, as a
//! table and as JSON.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use shaders::ops::{self, Activation, Conv2dParams, ConvForm, ConvTranspose2dParams, Padding};
use shaders::{Gpu, GpuOptions, Tensor};

/// What to measure.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Suite {
    /// Every convolution layer of resnet_9blocks and unet_256 (ngf 64) and the 70x70 PatchGAN (ndf 64):
    /// forward, and input and weight gradients for the generators' layers.
    Kernels,
    /// Whole generator forward passes (latency and peak tensor memory).
    Nets,
    /// Training iterations (seconds per iteration and peak tensor memory), batch 1, of --model.
    Train,
    /// U-GAT-IT's other kernels at the full model's shapes (ch 64, 256x256): fully connected layers,
    /// global pooling, CAM weighting, nearest upsampling, adaILN and spectral norm, forward and backward.
    Ops,
}

/// Options of `trainer bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum, default_value = "kernels")]
    suite: Suite,
    /// Image size the networks see (the reference trains at 256).
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Generator filters in the first layer for `kernels`' resnet_9blocks rows (the reference's 64).
    #[arg(long, default_value_t = 64)]
    ngf: usize,
    /// Timed repetitions per row (after one warm-up run).
    #[arg(long, default_value_t = 3)]
    iters: usize,
    /// Measure only rows whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Choose each convolution's form by timing every applicable one on first use
    /// (as GAN_KERNELS=autotune does).
    #[arg(long)]
    autotune: bool,
    /// Override the convolution workgroup width (invocations along pixels).
    #[arg(long)]
    conv_wg_pixels: Option<u32>,
    /// Override whether the Winograd forms' GEMM is tiled in workgroup memory
    /// (the GPU default) or register-blocked (the CPU adapters' default); both
    /// give the same bits.
    #[arg(long, value_name = "BOOL")]
    winograd_gemm_tiled: Option<bool>,
    /// For `train`: after each row's timed iterations, run one more with every
    /// dispatch submitted and waited for alone, and print the time per kernel
    /// (slower in total, but it shows where an iteration's time goes).
    #[arg(long)]
    profile: bool,
    /// Also write the results as JSON to this file ("-" for stdout).
    #[arg(long)]
    json: Option<String>,
    /// The model whose training iterations `train` measures (cycle_gan, pix2pix, dcgan, discogan or ugatit).
    #[arg(long, default_value = "cycle_gan", value_parser = shaders::models::options::model_parser())]
    model: String,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Conv { k: usize, stride: usize, pad: usize, reflect: bool },
    ConvTranspose { k: usize, stride: usize, pad: usize, out_pad: usize },
}

struct Layer {
    net: &'static str,
    name: String,
    c_in: usize,
    c_out: usize,
    size: usize,
    kind: Kind,
    /// How many times the layer occurs in one forward pass.
    count: usize,
}

#[derive(Serialize)]
struct Row {
    net: &'static str,
    layer: String,
    pass: &'static str,
    /// The convolution form timed.
    form: &'static str,
    /// Whether the networks run this form for this layer (the rule or GAN_KERNELS).
    chosen: bool,
    input: [usize; 4],
    output: [usize; 4],
    count: usize,
    ms: f64,
    gflops: f64,
    /// GFLOP/s as a fraction of the adapter's fp32 peak, where it is known.
    peak_fraction: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    adapter: String,
    config: String,
    iters: usize,
    rows: Vec<Row>,
    generator_forward_conv_ms: f64,
    unet_forward_conv_ms: f64,
    discriminator_forward_conv_ms: f64,
    /// The adapter's fp32 peak (a known GPU's datasheet, or the CPU estimate).
    fp32_peak_gflops: Option<f64>,
}

fn layers(size: usize, ngf: usize) -> Vec<Layer> {
    let r = |c: usize| c * ngf / 64;
    let conv = |k, stride, pad, reflect| Kind::Conv { k, stride, pad, reflect };
    let mut l = vec![
        Layer {
            net: "resnet_9blocks",
            name: format!("c7s1-{}", r(64)),
            c_in: 3,
            c_out: r(64),
            size,
            kind: conv(7, 1, 3, true),
            count: 1,
        },
        Layer {
            net: "resnet_9blocks",
            name: format!("d{}", r(128)),
            c_in: r(64),
            c_out: r(128),
            size,
            kind: conv(3, 2, 1, false),
            count: 1,
        },
        Layer {
            net: "resnet_9blocks",
            name: format!("d{}", r(256)),
            c_in: r(128),
            c_out: r(256),
            size: size / 2,
            kind: conv(3, 2, 1, false),
            count: 1,
        },
        Layer {
            net: "resnet_9blocks",
            name: format!("R{} conv3x3", r(256)),
            c_in: r(256),
            c_out: r(256),
            size: size / 4,
            kind: conv(3, 1, 1, true),
            count: 18,
        },
        Layer {
            net: "resnet_9blocks",
            name: format!("u{}", r(128)),
            c_in: r(256),
            c_out: r(128),
            size: size / 4,
            kind: Kind::ConvTranspose { k: 3, stride: 2, pad: 1, out_pad: 1 },
            count: 1,
        },
        Layer {
            net: "resnet_9blocks",
            name: format!("u{}", r(64)),
            c_in: r(128),
            c_out: r(64),
            size: size / 2,
            kind: Kind::ConvTranspose { k: 3, stride: 2, pad: 1, out_pad: 1 },
            count: 1,
        },
        Layer {
            net: "resnet_9blocks",
            name: "c7s1-3".into(),
            c_in: r(64),
            c_out: 3,
            size,
            kind: conv(7, 1, 3, true),
            count: 1,
        },
    ];
    // unet_256 (ngf 64): k4 s2 p1 down-convs and transposed convs, by input
    // size. Its eight halvings need 256 pixels or more (its innermost layer
    // sees 2x2 at 256).
    if size >= UNET_MIN_SIZE {
        unet_layers(&mut l, size);
    }
    patchgan_layers(&mut l, size);
    l
}

/// Smallest `--size` at which `kernels` measures unet_256's layers.
const UNET_MIN_SIZE: usize = 256;

fn unet_layers(l: &mut Vec<Layer>, size: usize) {
    let conv = |k, stride, pad, reflect| Kind::Conv { k, stride, pad, reflect };
    let down = |i: usize, ci: usize, co: usize, count: usize| Layer {
        net: "unet_256",
        name: format!("down{i} C{co}"),
        c_in: ci,
        c_out: co,
        size: size >> i,
        kind: conv(4, 2, 1, false),
        count,
    };
    l.extend([down(0, 3, 64, 1), down(1, 64, 128, 1), down(2, 128, 256, 1), down(3, 256, 512, 1)]);
    l.extend((4..8).map(|i| down(i, 512, 512, 1)));
    let up = |i: usize, ci: usize, co: usize| Layer {
        net: "unet_256",
        name: format!("up{i} C{co}"),
        c_in: ci,
        c_out: co,
        size: size >> (i + 1),
        kind: Kind::ConvTranspose { k: 4, stride: 2, pad: 1, out_pad: 0 },
        count: 1,
    };
    l.push(up(7, 512, 512));
    l.extend((4..7).map(|i| up(i, 1024, 512)));
    l.extend([up(3, 1024, 256), up(2, 512, 128), up(1, 256, 64), up(0, 128, 3)]);
}

fn patchgan_layers(l: &mut Vec<Layer>, size: usize) {
    let conv = |k, stride, pad, reflect| Kind::Conv { k, stride, pad, reflect };
    let mut s = size;
    for (i, (ci, co, stride)) in
        [(3, 64, 2), (64, 128, 2), (128, 256, 2), (256, 512, 1), (512, 1, 1)].into_iter().enumerate()
    {
        l.push(Layer {
            net: "patchgan_70",
            name: format!("C{co} k4 s{stride}{}", if i == 0 { " (no norm)" } else { "" }),
            c_in: ci,
            c_out: co,
            size: s,
            kind: conv(4, stride, 1, false),
            count: 1,
        });
        s = (s + 2 - 4) / stride + 1;
    }
}

fn time_ms(gpu: &Gpu, iters: usize, mut f: impl FnMut() -> shaders::Result<Tensor>) -> Result<f64> {
    f()?;
    gpu.sync()?;
    let start = Instant::now();
    for _ in 0..iters {
        f()?;
        gpu.sync()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e3 / iters as f64)
}

/// What [`time_recorded`] measures: wall clock per run, dispatches per run and
/// host microseconds per dispatch.
struct Recorded {
    ms: f64,
    dispatches: f64,
    host_us_per_dispatch: f64,
}

/// [`time_ms`], also counting the dispatches each run records and the host
/// time `f` takes (recording, before the wait) per dispatch.
fn time_recorded(gpu: &Gpu, iters: usize, mut f: impl FnMut() -> shaders::Result<Tensor>) -> Result<Recorded> {
    f()?;
    gpu.sync()?;
    let before = gpu.dispatches();
    let mut host = 0.0;
    let start = Instant::now();
    for _ in 0..iters {
        let recording = Instant::now();
        let out = f()?;
        host += recording.elapsed().as_secs_f64();
        drop(out);
        gpu.sync()?;
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / iters as f64;
    let dispatches = (gpu.dispatches() - before) as f64 / iters as f64;
    let host_us_per_dispatch = host * 1e6 / iters as f64 / dispatches.max(1.0);
    Ok(Recorded { ms, dispatches, host_us_per_dispatch })
}

fn random(len: usize, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn measure(gpu: &Gpu, layer: &Layer, iters: usize) -> Result<Vec<Row>> {
    let x_shape = [1, layer.c_in, layer.size, layer.size];
    let x = Tensor::from_slice(gpu, &x_shape, &random(x_shape.iter().product(), 1))?;
    let mut rows = Vec::new();
    match layer.kind {
        Kind::Conv { k, stride, pad, reflect } => {
            let ws = [layer.c_out, layer.c_in, k, k];
            let w = Tensor::from_slice(gpu, &ws, &random(ws.iter().product(), 2))?;
            let b = Tensor::from_slice(gpu, &[layer.c_out], &random(layer.c_out, 3))?;
            let packed = ops::conv2d_pack_weight(gpu, &w)?;
            let p = Conv2dParams {
                stride,
                padding: pad,
                padding_mode: if reflect { Padding::Reflect } else { Padding::Zero },
                activation: Activation::None,
            };
            let y = ops::conv2d_packed(gpu, &x, &packed, ws, Some(&b), &p)?;
            let out: [usize; 4] = y.shape().try_into()?;
            // Direct-convolution FLOPs for every form, so GFLOP/s compare as speed.
            let flops = 2.0 * (out.iter().product::<usize>() * layer.c_in * k * k) as f64;
            let chosen = ops::conv2d_form(gpu, x_shape, ws, &p);
            for form in ConvForm::ALL.into_iter().filter(|f| f.applies(gpu, x_shape, ws, &p)) {
                let ms = time_ms(gpu, iters, || ops::conv2d_packed_form(gpu, form, &x, &packed, ws, Some(&b), &p))?;
                let mut r = row(layer, "forward", x_shape, out, ms, flops);
                (r.form, r.chosen) = (form.name(), form == chosen);
                rows.push(r);
            }
            if layer.net != "patchgan_70" {
                let dy = Tensor::from_slice(gpu, &out, &random(out.iter().product(), 4))?;
                let ms = time_ms(gpu, iters, || ops::conv2d_backward_input(gpu, &dy, &w, x_shape, &p))?;
                let mut r = row(layer, "dinput", x_shape, out, ms, flops);
                r.form = ops::conv2d_backward_input_form(gpu, x_shape, ws, &p).name();
                rows.push(r);
                let ms = time_ms(gpu, iters, || ops::conv2d_backward_weight(gpu, &x, &dy, ws, &p))?;
                let mut r = row(layer, "dweight", x_shape, out, ms, flops);
                r.form = ops::conv2d_backward_weight_form(gpu, x_shape, ws, &p).name();
                rows.push(r);
            }
        }
        Kind::ConvTranspose { k, stride, pad, out_pad } => {
            let ws = [layer.c_in, layer.c_out, k, k];
            let w = Tensor::from_slice(gpu, &ws, &random(ws.iter().product(), 2))?;
            let b = Tensor::from_slice(gpu, &[layer.c_out], &random(layer.c_out, 3))?;
            let packed = ops::conv_transpose2d_pack_weight(gpu, &w)?;
            let p =
                ConvTranspose2dParams { stride, padding: pad, output_padding: out_pad, activation: Activation::None };
            let y = ops::conv_transpose2d_packed(gpu, &x, &packed, ws, Some(&b), &p)?;
            let out: [usize; 4] = y.shape().try_into()?;
            // Useful work only: each input pixel meets every tap once.
            let flops = 2.0 * (x_shape.iter().product::<usize>() * layer.c_out * k * k) as f64;
            let ms = time_ms(gpu, iters, || ops::conv_transpose2d_packed(gpu, &x, &packed, ws, Some(&b), &p))?;
            rows.push(row(layer, "forward", x_shape, out, ms, flops));
            let dy = Tensor::from_slice(gpu, &out, &random(out.iter().product(), 4))?;
            let ms = time_ms(gpu, iters, || ops::conv_transpose2d_backward_input(gpu, &dy, &w, &p))?;
            rows.push(row(layer, "dinput", x_shape, out, ms, flops));
            let ms = time_ms(gpu, iters, || ops::conv_transpose2d_backward_weight(gpu, &x, &dy, ws, &p))?;
            rows.push(row(layer, "dweight", x_shape, out, ms, flops));
        }
    }
    Ok(rows)
}

fn row(layer: &Layer, pass: &'static str, input: [usize; 4], output: [usize; 4], ms: f64, flops: f64) -> Row {
    Row {
        net: layer.net,
        layer: layer.name.clone(),
        pass,
        form: ConvForm::Direct.name(),
        chosen: true,
        input,
        output,
        count: layer.count,
        ms,
        gflops: flops / ms / 1e6,
        peak_fraction: None,
    }
}

/// Runs the benchmark.
pub fn run(args: BenchArgs) -> Result<()> {
    match args.suite {
        Suite::Kernels => kernels(args),
        Suite::Nets => nets(args),
        Suite::Train => train(args),
        Suite::Ops => ugatit_ops(args),
    }
}

#[derive(Serialize)]
struct OpRow {
    op: String,
    shape: String,
    ms: f64,
    /// Bytes read and written once each, per millisecond: GB/s.
    gbytes_per_s: f64,
    gflops: f64,
}

/// U-GAT-IT's non-convolution kernels, timed as the other suites time theirs.
fn ugatit_ops(args: BenchArgs) -> Result<()> {
    use shaders::ops::{
        channel_scale, channel_scale_backward_weight, global_avg_pool, global_max_pool, global_max_pool_backward_input,
        layer_instance_norm, layer_instance_norm_backward, linear, linear_backward_input, linear_backward_input_parts,
        linear_backward_weight, linear_backward_weight_accumulate, linear_parts, spectral_norm, spectral_norm_backward,
        upsample_nearest2x, upsample_nearest2x_backward_input, LayerInstanceNormParams,
    };
    let gpu = open_gpu(&args)?;
    println!("adapter: {}", gpu.describe());
    println!("timing:  wall clock of submit + wait, mean of {} runs after one warm-up", args.iters);
    println!();
    println!("{:<34} {:<22} {:>10} {:>9} {:>9}", "op", "shape", "ms", "GB/s", "GFLOP/s");
    let t = |shape: &[usize], seed| Tensor::from_slice(&gpu, shape, &random(shape.iter().product(), seed));
    let c = 4 * args.ngf;
    let side = args.size / 4;
    let fmap = [1, c, side, side];
    let (x, dy) = (t(&fmap, 1)?, t(&fmap, 2)?);
    let w_c = t(&[1, c], 3)?;
    let (v, g, b, rho) =
        (t(&[1, c], 4)?, t(&[1, c], 5)?, t(&[1, c], 6)?, Tensor::from_slice(&gpu, &[c], &vec![0.9; c])?);
    let mlp = t(&[c, c], 7)?;
    let big = [2048, 1024, 4, 4];
    let (w_big, u_big, v_big) = (t(&big, 8)?, t(&[2048], 9)?, t(&[16384], 10)?);
    let dw_big = t(&big, 11)?;
    let iln = LayerInstanceNormParams { eps: 1e-5, activation: Activation::Relu };
    let (_, stats) = layer_instance_norm(&gpu, &x, &rho, &g, &b, &iln, None)?;
    let sn = spectral_norm(&gpu, &w_big, &u_big, &v_big, true)?;
    let up_dy = t(&[1, c / 2, 2 * side, 2 * side], 12)?;
    let f = |n: &[usize]| n.iter().product::<usize>() as f64 * 4.0;
    let fm = f(&fmap);
    type Op<'a> = Box<dyn FnMut() -> shaders::Result<Tensor> + 'a>;
    // The full model's FC.0 [c, c * side²] (1 GiB at ch 64, 256x256) in row
    // blocks of one binding each, as the arena stores it; allocated only
    // when its rows are measured.
    let fc_in = c * side * side;
    let fc0_rows = ["linear FC.0 (full model)", "linear_backward_input FC.0", "linear_backward_weight FC.0"];
    let wanted = |op: &str| args.filter.as_deref().is_none_or(|f| op.contains(f));
    let fc0 = if fc0_rows.iter().any(|r| wanted(r)) {
        let block = (gpu.max_binding_bytes() as usize / (4 * fc_in)).clamp(1, c);
        let sizes: Vec<usize> = (0..c.div_ceil(block)).map(|k| block.min(c - k * block)).collect();
        let parts =
            sizes.iter().enumerate().map(|(k, &r)| t(&[r, fc_in], 20 + k as u64)).collect::<Result<Vec<_>, _>>()?;
        let grads = sizes.iter().map(|&r| Tensor::zeros(&gpu, &[r, fc_in])).collect::<Result<Vec<_>, _>>()?;
        Some((parts, grads, t(&[1, fc_in], 13)?, t(&[1, c], 14)?))
    } else {
        None
    };
    let mut rows: Vec<(&str, String, f64, f64, Op)> = vec![
        (
            "linear (gamma/beta MLP)",
            format!("[1,{c}] x [{c},{c}]"),
            f(&[c, c]),
            2.0 * (c * c) as f64,
            Box::new(|| linear(&gpu, &v, &mlp, Activation::Relu)),
        ),
        (
            "linear_backward_input",
            format!("[1,{c}] x [{c},{c}]"),
            f(&[c, c]),
            2.0 * (c * c) as f64,
            Box::new(|| linear_backward_input(&gpu, &v, &mlp)),
        ),
        (
            "linear_backward_weight",
            format!("[1,{c}]^T x [1,{c}]"),
            f(&[c, c]),
            2.0 * (c * c) as f64,
            Box::new(|| linear_backward_weight(&gpu, &v, &g)),
        ),
        ("global_avg_pool", format!("{fmap:?}"), fm, 0.0, Box::new(|| global_avg_pool(&gpu, &x))),
        ("global_max_pool", format!("{fmap:?}"), fm, 0.0, Box::new(|| global_max_pool(&gpu, &x))),
        (
            "global_max_pool_backward_input",
            format!("{fmap:?}"),
            2.0 * fm,
            0.0,
            Box::new(|| global_max_pool_backward_input(&gpu, &x, &v)),
        ),
        (
            "channel_scale (CAM weighting)",
            format!("{fmap:?}"),
            2.0 * fm,
            0.0,
            Box::new(|| channel_scale(&gpu, &x, &w_c)),
        ),
        (
            "channel_scale_backward_weight",
            format!("{fmap:?}"),
            2.0 * fm,
            2.0 * fm / 4.0,
            Box::new(|| channel_scale_backward_weight(&gpu, &x, &dy)),
        ),
        ("upsample_nearest2x", format!("{fmap:?}"), 5.0 * fm, 0.0, Box::new(|| upsample_nearest2x(&gpu, &x))),
        (
            "upsample_nearest2x_backward_input",
            format!("{:?}", up_dy.shape()),
            2.0 * f(up_dy.shape()),
            0.0,
            Box::new(|| upsample_nearest2x_backward_input(&gpu, &up_dy)),
        ),
        (
            "layer_instance_norm (adaILN+ReLU)",
            format!("{fmap:?}"),
            2.0 * fm,
            0.0,
            Box::new(|| Ok(layer_instance_norm(&gpu, &x, &rho, &g, &b, &iln, None)?.0)),
        ),
        (
            "layer_instance_norm_backward",
            format!("{fmap:?}"),
            3.0 * fm,
            0.0,
            Box::new(|| Ok(layer_instance_norm_backward(&gpu, &x, &stats, &dy, &rho, &g, &b, &iln)?.dx)),
        ),
        (
            "spectral_norm (power iteration)",
            format!("{big:?}"),
            4.0 * f(&big),
            6.0 * f(&big) / 4.0,
            Box::new(|| Ok(spectral_norm(&gpu, &w_big, &u_big, &v_big, true)?.w_sn)),
        ),
        (
            "spectral_norm_backward",
            format!("{big:?}"),
            4.0 * f(&big),
            4.0 * f(&big) / 4.0,
            Box::new(|| spectral_norm_backward(&gpu, &sn, &dw_big)),
        ),
    ];
    if let Some((parts, grads, fx, fdy)) = &fc0 {
        let shape = format!("[1,{fc_in}] x [{c},{fc_in}] in {}", parts.len());
        let (wb, flops) = (f(&[c, fc_in]), 2.0 * (c * fc_in) as f64);
        let rows_fc0: [(&str, String, f64, f64, Op); 3] = [
            (fc0_rows[0], shape.clone(), wb, flops, Box::new(|| linear_parts(&gpu, fx, parts, Activation::Relu))),
            (fc0_rows[1], shape.clone(), wb, flops, Box::new(|| linear_backward_input_parts(&gpu, fdy, parts))),
            (
                fc0_rows[2],
                shape,
                2.0 * wb,
                flops,
                Box::new(|| {
                    linear_backward_weight_accumulate(&gpu, fx, fdy, grads)?;
                    Ok(grads[0].clone())
                }),
            ),
        ];
        rows.extend(rows_fc0);
    }
    let mut out = Vec::new();
    for (op, shape, bytes, flops, mut run) in rows {
        if let Some(filter) = &args.filter {
            if !op.contains(filter.as_str()) {
                continue;
            }
        }
        let ms = time_ms(&gpu, args.iters, &mut run).with_context(|| op.to_string())?;
        let row = OpRow { op: op.into(), shape, ms, gbytes_per_s: bytes / ms / 1e6, gflops: flops / ms / 1e6 };
        println!("{:<34} {:<22} {:>10.3} {:>9.2} {:>9.2}", row.op, row.shape, row.ms, row.gbytes_per_s, row.gflops);
        out.push(row);
    }
    println!();
    println!("GB/s: the bytes an op must read and write once, per second; GFLOP/s where it multiplies");
    let json = serde_json::to_string_pretty(&out)?;
    match args.json.as_deref() {
        Some("-") => println!("{json}"),
        Some(path) => std::fs::write(path, json).with_context(|| format!("writing {path}"))?,
        None => {}
    }
    Ok(())
}

fn open_gpu(args: &BenchArgs) -> Result<Gpu> {
    let mut gpu = Gpu::new_blocking(GpuOptions::default()).context("opening the GPU")?;
    if args.autotune {
        gpu.set_conv_autotune(true);
    }
    let mut t = gpu.tuning();
    if let Some(wg) = args.conv_wg_pixels {
        t.conv_wg_pixels = wg;
    }
    if let Some(tiled) = args.winograd_gemm_tiled {
        t.winograd_gemm_tiled = tiled;
    }
    gpu.set_tuning(t);
    Ok(gpu)
}

/// Which convolution forms the networks run.
fn forms_line(gpu: &Gpu) -> String {
    match gpu.conv_form() {
        Some(f) => format!("{} wherever it applies (pinned by GAN_KERNELS)", f.name()),
        None if gpu.conv_autotune() => "autotuned: the fastest measured per shape".into(),
        None => {
            "the default rule (GAN_KERNELS=direct|narrow|winograd|winograd4|winograd-k4|tiled-64x64|... pins one, GAN_KERNELS=autotune measures)"
                .into()
        }
    }
}

/// Prints the forms autotuning chose, with each candidate's time.
fn print_tuned(gpu: &Gpu) {
    let mut tuned = gpu.tuned_convs();
    if tuned.is_empty() {
        return;
    }
    tuned.sort_by_key(|t| (t.input, t.weight));
    println!();
    let cache = gpu.tune_cache().map_or("not kept".to_string(), |p| p.display().to_string());
    println!("autotuned convolution forms (ms per run of each candidate; * ran; cache: {cache}):");
    for t in tuned {
        let mut times: Vec<String> =
            t.ms.iter().map(|&(f, ms)| format!("{}{} {ms:.2}", f.name(), if f == t.form { "*" } else { "" })).collect();
        if times.is_empty() {
            times.push(format!("{}* (from the cache)", t.form.name()));
        }
        println!(
            "  input {:?} weight {:?} stride {} pad {}: {}",
            t.input,
            t.weight,
            t.stride,
            t.padding,
            times.join(", ")
        );
    }
}

fn kernels(args: BenchArgs) -> Result<()> {
    let gpu = open_gpu(&args)?;
    let config = gpu.tuning().describe();
    println!("adapter: {}", gpu.describe());
    println!("config:  {config}");
    println!("forms:   {}", forms_line(&gpu));
    println!("timing:  wall clock of submit + wait, mean of {} runs after one warm-up", args.iters);
    if args.size < UNET_MIN_SIZE {
        println!("unet_256: not measured at --size {} (its eight halvings need {UNET_MIN_SIZE})", args.size);
    }
    let info = gpu.adapter_info();
    let peak = crate::peak::fp32_peak(&info.name, info.device_type);
    match &peak {
        Some(p) => println!("peak:    {:.0} GFLOP/s fp32 ({})", p.gflops, p.source),
        None => println!("peak:    unknown for this adapter (the % peak column stays empty)"),
    }
    println!();
    println!(
        "{:<15} {:<22} {:<8} {:<13} {:>18} {:>18} {:>4} {:>10} {:>9} {:>7}",
        "net", "layer", "pass", "form", "input", "output", "x", "ms", "GFLOP/s", "% peak"
    );
    let mut rows = Vec::new();
    for layer in layers(args.size, args.ngf) {
        if let Some(f) = &args.filter {
            if !format!("{} {}", layer.net, layer.name).contains(f.as_str()) {
                continue;
            }
        }
        for mut r in measure(&gpu, &layer, args.iters).with_context(|| format!("{} {}", layer.net, layer.name))? {
            r.peak_fraction = peak.as_ref().map(|p| r.gflops / p.gflops);
            println!(
                "{:<15} {:<22} {:<8} {:<13} {:>18} {:>18} {:>4} {:>10.2} {:>9.2} {:>7}",
                r.net,
                r.layer,
                r.pass,
                format!("{}{}", r.form, if r.chosen { "*" } else { "" }),
                format!("{:?}", r.input),
                format!("{:?}", r.output),
                r.count,
                r.ms,
                r.gflops,
                r.peak_fraction.map_or(String::new(), |f| format!("{:.1}", 100.0 * f))
            );
            rows.push(r);
        }
    }
    let total = |net: &str| {
        rows.iter()
            .filter(|r| r.net == net && r.pass == "forward" && r.chosen)
            .map(|r| r.ms * r.count as f64)
            .fold(0.0, |a, b| a + b)
    };
    let report = Report {
        fp32_peak_gflops: peak.map(|p| p.gflops),
        adapter: gpu.describe(),
        config,
        iters: args.iters,
        generator_forward_conv_ms: total("resnet_9blocks"),
        unet_forward_conv_ms: total("unet_256"),
        discriminator_forward_conv_ms: total("patchgan_70"),
        rows,
    };
    println!();
    println!("form: * marks the form the networks run (the default rule, or GAN_KERNELS); GFLOP/s and % peak count direct-convolution FLOPs");
    print_tuned(&gpu);
    println!("resnet_9blocks forward, all convolutions: {:.1} ms", report.generator_forward_conv_ms);
    println!("unet_256 forward, all convolutions:       {:.1} ms", report.unet_forward_conv_ms);
    println!("patchgan_70 forward, all convolutions:    {:.1} ms", report.discriminator_forward_conv_ms);
    let json = serde_json::to_string_pretty(&report)?;
    match args.json.as_deref() {
        Some("-") => println!("{json}"),
        Some(path) => std::fs::write(path, json).with_context(|| format!("writing {path}"))?,
        None => {}
    }
    Ok(())
}

#[derive(Serialize)]
struct NetRow {
    net: String,
    ngf: usize,
    size: usize,
    ms: f64,
    peak_tensor_mib: f64,
    /// Kernel dispatches recorded per forward pass.
    dispatches: f64,
    /// Host time recording one forward pass, in microseconds per dispatch.
    host_us_per_dispatch: f64,
}

/// Generator forward latency, image upload to output ready, batch 1.
fn nets(args: BenchArgs) -> Result<()> {
    use shaders::nn::layers::Mode;
    use shaders::nn::nets::arch::GeneratorConfig;
    use shaders::nn::nets::network::{Architecture, Network};
    let gpu = open_gpu(&args)?;
    println!("adapter: {}", gpu.describe());
    println!("config:  {}", gpu.tuning().describe());
    println!("forms:   {}", forms_line(&gpu));
    println!("timing:  wall clock of submit + wait, mean of {} runs after one warm-up", args.iters);
    println!();
    println!(
        "{:<16} {:>4} {:>10} {:>12} {:>16} {:>10} {:>12}",
        "generator", "ngf", "size", "ms", "peak MiB", "dispatches", "host us/disp"
    );
    let mut rows = Vec::new();
    let configs = [
        (GeneratorConfig::resnet(9, 64), 256),
        (GeneratorConfig::resnet(9, 64), 512),
        (GeneratorConfig::resnet(6, 32), 128),
        (GeneratorConfig::unet(8, 64), 256),
        (GeneratorConfig::unet(7, 64), 128),
    ];
    for (cfg, size) in configs {
        let ngf = cfg.ngf;
        if let Some(f) = &args.filter {
            if !format!("{} {size}", cfg.net_name()).contains(f.as_str()) {
                continue;
            }
        }
        gpu.release_pooled();
        let base = gpu.tensor_bytes_allocated();
        let net = Network::init(&gpu, Architecture::Generator(cfg), 1, false)?;
        let shape = [1, 3, size, size];
        let x = Tensor::from_slice(&gpu, &shape, &random(3 * size * size, 5))?;
        let r = time_recorded(&gpu, args.iters, || net.forward(&gpu, &x, Mode::EVAL, None))?;
        let peak = (gpu.tensor_bytes_allocated() - base) as f64 / (1 << 20) as f64;
        println!(
            "{:<16} {:>4} {:>10} {:>12.1} {:>16.1} {:>10.0} {:>12.1}",
            cfg.net_name(),
            ngf,
            format!("{size}x{size}"),
            r.ms,
            peak,
            r.dispatches,
            r.host_us_per_dispatch
        );
        rows.push(NetRow {
            net: cfg.net_name(),
            ngf,
            size,
            ms: r.ms,
            peak_tensor_mib: peak,
            dispatches: r.dispatches,
            host_us_per_dispatch: r.host_us_per_dispatch,
        });
    }
    print_tuned(&gpu);
    println!();
    println!("U-Nets in eval mode (running statistics, no dropout)");
    println!("peak MiB: weights, packed weights, input and every activation alive at once (buffers are recycled)");
    println!("host us/disp: time in the forward call (recording, before the submit and wait) per dispatch");
    let json = serde_json::to_string_pretty(&serde_json::json!({ "adapter": gpu.describe(), "rows": rows }))?;
    match args.json.as_deref() {
        Some("-") => println!("{json}"),
        Some(path) => std::fs::write(path, json).with_context(|| format!("writing {path}"))?,
        None => {}
    }
    Ok(())
}

#[derive(Serialize)]
struct TrainRow {
    net: String,
    ngf: usize,
    ndf: usize,
    size: usize,
    seconds_per_iteration: f64,
    peak_tensor_mib: f64,
    /// Kernel dispatches recorded per training iteration.
    dispatches_per_iteration: f64,
    /// Host time recording one iteration (the step call, before waiting for
    /// the GPU), in microseconds per dispatch.
    host_us_per_dispatch: f64,
}

/// Seconds per training iteration of --model (every network's forward,
/// backward and Adam; inputs already on the GPU).
/// The kernels of one profiled iteration, slowest first: each (op, entry
/// point) with its dispatches, milliseconds and share of the total.
fn print_profile(times: &[shaders::KernelTime]) {
    let total: f64 = times.iter().map(|t| t.seconds).sum();
    println!("  profile of one iteration, each dispatch alone: {:.3} s in {} kernels", total, times.len());
    println!("  {:<34} {:<34} {:>6} {:>10} {:>7}", "op", "entry point", "disp", "ms", "share");
    for t in times {
        println!(
            "  {:<34} {:<34} {:>6} {:>10.1} {:>6.1}%",
            t.op,
            t.entry,
            t.dispatches,
            t.seconds * 1e3,
            100.0 * t.seconds / total.max(f64::MIN_POSITIVE)
        );
    }
}

fn train(args: BenchArgs) -> Result<()> {
    use shaders::nn::layers::params::SplitMix64;
    use shaders::nn::model::Init;
    let spec = shaders::models::spec(&args.model).map_err(anyhow::Error::msg)?;
    let gpu = open_gpu(&args)?;
    println!("adapter: {}", gpu.describe());
    println!("config:  {}", gpu.tuning().describe());
    println!("forms:   {}", forms_line(&gpu));
    println!("timing:  wall clock of step + wait, mean of {} iterations after one warm-up", args.iters);
    println!();
    println!(
        "{:<16} {:>4} {:>4} {:>10} {:>12} {:>16} {:>12} {:>12}",
        "generator", "ngf", "ndf", "size", "s/iter", "peak MiB", "disp/iter", "host us/disp"
    );
    let mut rows = Vec::new();
    // Each model's rows at the reference's batch (64 for DCGAN and DiscoGAN, 1 for the translators).
    for case in spec.bench_cases() {
        let (net, ngf, size, batch) = (case.label, case.ngf, case.size, case.batch);
        if let Some(f) = &args.filter {
            if !format!("{net} {size}").contains(f.as_str()) {
                continue;
            }
        }
        gpu.release_pooled();
        let base = gpu.tensor_bytes_allocated();
        let mut model = spec.build(&gpu, &case.options, Init::Fresh(1))?;
        let shape = [batch, 3, size, size];
        let a = Tensor::from_slice(&gpu, &shape, &random(batch * 3 * size * size, 5))?;
        let b = Tensor::from_slice(&gpu, &shape, &random(batch * 3 * size * size, 6))?;
        let mut rng = SplitMix64(7);
        drop(model.step(&gpu, &a, &b, 2e-4, &mut rng)?);
        gpu.sync()?;
        let dispatches_before = gpu.dispatches();
        let mut host = 0.0;
        let start = Instant::now();
        for _ in 0..args.iters {
            let recording = Instant::now();
            let losses = model.step(&gpu, &a, &b, 2e-4, &mut rng)?;
            host += recording.elapsed().as_secs_f64();
            drop(losses);
            gpu.sync()?;
        }
        let secs = start.elapsed().as_secs_f64() / args.iters as f64;
        let per_iter = (gpu.dispatches() - dispatches_before) as f64 / args.iters as f64;
        let host_us = host * 1e6 / args.iters as f64 / per_iter.max(1.0);
        let peak = (gpu.tensor_bytes_allocated() - base) as f64 / (1 << 20) as f64;
        println!(
            "{:<16} {:>4} {:>4} {:>10} {:>12.3} {:>16.1} {:>12.0} {:>12.1}",
            net,
            ngf,
            64,
            format!("{size}x{size}"),
            secs,
            peak,
            per_iter,
            host_us
        );
        if args.profile {
            gpu.set_profiling(true)?;
            drop(model.step(&gpu, &a, &b, 2e-4, &mut rng)?);
            let times = gpu.profile();
            gpu.set_profiling(false)?;
            print_profile(&times);
        }
        rows.push(TrainRow {
            net,
            ngf,
            ndf: 64,
            size,
            seconds_per_iteration: secs,
            peak_tensor_mib: peak,
            dispatches_per_iteration: per_iter,
            host_us_per_dispatch: host_us,
        });
    }
    println!();
    println!("peak MiB: weights, gradients, Adam moments, activations kept for backward and pooled fakes");
    println!("host us/disp: time in the step call (recording and submitting, before the wait) per dispatch");
    let json = serde_json::to_string_pretty(&serde_json::json!({ "adapter": gpu.describe(), "rows": rows }))?;
    match args.json.as_deref() {
        Some("-") => println!("{json}"),
        Some(path) => std::fs::write(path, json).with_context(|| format!("writing {path}"))?,
        None => {}
    }
    Ok(())
}
