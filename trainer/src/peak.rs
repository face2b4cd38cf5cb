//! The adapter's fp32 peak, for `trainer bench kernels`' fraction of peak:
//! a table of known GPUs (vendors' datasheet figures, boost clock, without
//! tensor cores), or for a CPU adapter (lavapipe) an estimate from its SIMD
//! width, the threads it runs and the processor's clock.

/// Peak fp32 GFLOP/s and where the figure comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Peak {
    pub gflops: f64,
    pub source: String,
}

/// Datasheet fp32 TFLOPS by a name fragment; the first fragment the adapter's
/// name contains wins, so longer names come before their prefixes.
const KNOWN_GPUS: &[(&str, f64)] = &[
    ("H100 PCIe", 51.2),
    ("H100", 66.9),
    ("H200", 66.9),
    ("A100", 19.5),
    ("A10", 31.2),
    ("L40S", 91.6),
    ("L4", 30.3),
    ("V100", 15.7),
    ("Tesla T4", 8.1),
    ("RTX 4090", 82.6),
    ("RTX 4080", 48.7),
    ("RTX 3090", 35.6),
    ("RTX 3080", 29.8),
];

/// The peak of the adapter called `name` of class `device_type`; `None`
/// where neither the table nor the CPU estimate applies.
pub fn fp32_peak(name: &str, device_type: shaders::wgpu::DeviceType) -> Option<Peak> {
    if device_type == shaders::wgpu::DeviceType::Cpu {
        return cpu_peak(name, std::env::var("LP_NUM_THREADS").ok(), &std::fs::read_to_string("/proc/cpuinfo").ok()?);
    }
    KNOWN_GPUS
        .iter()
        .find(|(fragment, _)| name.contains(fragment))
        .map(|&(fragment, tflops)| Peak { gflops: tflops * 1e3, source: format!("datasheet figure for {fragment}") })
}

/// lavapipe's name carries its vector width ("llvmpipe (LLVM 15.0.6, 256
/// bits)"); it runs one thread per processor unless LP_NUM_THREADS says
/// otherwise. Peak = threads x (bits / 32) lanes x 2 FLOPs per FMA x 2 FMA
/// units x the fastest clock /proc/cpuinfo reports.
fn cpu_peak(name: &str, lp_threads: Option<String>, cpuinfo: &str) -> Option<Peak> {
    let bits: f64 = name.split(" bits").next()?.rsplit([' ', ',', '(']).next()?.parse().ok()?;
    let processors = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let threads = match lp_threads.and_then(|t| t.parse::<usize>().ok()) {
        Some(t) if t > 0 => t.min(processors.max(1)),
        _ => processors,
    };
    let mhz = cpuinfo
        .lines()
        .filter(|l| l.starts_with("cpu MHz"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .fold(0.0, f64::max);
    if threads == 0 || mhz <= 0.0 {
        return None;
    }
    let gflops = threads as f64 * bits / 32.0 * 4.0 * mhz / 1e3;
    Some(Peak {
        gflops,
        source: format!(
            "estimate: {threads} threads x {} lanes x 2 FMA units x 2 FLOPs x {:.2} GHz",
            bits / 32.0,
            mhz / 1e3
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO: &str =
        "processor\t: 0\ncpu MHz\t\t: 2445.406\nflags\t: avx2\n\nprocessor\t: 1\ncpu MHz\t\t: 2500.000\n";

    #[test]
    fn lavapipe_estimate() {
        let p = cpu_peak("llvmpipe (LLVM 15.0.6, 256 bits)", None, CPUINFO).unwrap();
        assert!((p.gflops - 2.0 * 8.0 * 4.0 * 2.5).abs() < 1e-9, "{p:?}");
        let one = cpu_peak("llvmpipe (LLVM 15.0.6, 256 bits)", Some("1".into()), CPUINFO).unwrap();
        assert!((one.gflops - 80.0).abs() < 1e-9, "{one:?}");
        assert_eq!(cpu_peak("llvmpipe (LLVM 15.0.6)", None, CPUINFO), None);
        assert_eq!(cpu_peak("llvmpipe (LLVM 15.0.6, 128 bits)", None, "processor : 0\n"), None);
    }

    #[test]
    fn known_gpus_by_name() {
        let gpu = shaders::wgpu::DeviceType::DiscreteGpu;
        assert_eq!(fp32_peak("NVIDIA H100 PCIe", gpu).unwrap().gflops, 51_200.0);
        assert_eq!(fp32_peak("NVIDIA H100 80GB HBM3", gpu).unwrap().gflops, 66_900.0);
        assert_eq!(fp32_peak("NVIDIA A100-SXM4-80GB", gpu).unwrap().gflops, 19_500.0);
        assert_eq!(fp32_peak("NVIDIA A10G", gpu).unwrap().gflops, 31_200.0);
        assert_eq!(fp32_peak("NVIDIA L40S", gpu).unwrap().gflops, 91_600.0);
        assert_eq!(fp32_peak("NVIDIA GeForce RTX 4090", gpu).unwrap().gflops, 82_600.0);
        assert_eq!(fp32_peak("AMD Radeon Pro 5500M", gpu), None);
    }
}
