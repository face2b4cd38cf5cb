//! Bad input returns typed errors naming the op and the shapes; nothing
//! panics and no wgpu validation error escapes.

use shaders::ops::{
    conv2d, conv_transpose2d, instance_norm, Conv2dParams, ConvTranspose2dParams, InstanceNormParams, Padding,
};
use shaders::{Error, Gpu, GpuOptions, Tensor};
use tests::gpu;

#[test]
fn zero_sized_tensors_are_refused() {
    let g = gpu();
    let err = Tensor::zeros(&g, &[1, 0, 3, 3]).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
    assert!(err.to_string().contains("[1, 0, 3, 3]"), "{err}");
    assert!(Tensor::from_slice(&g, &[2, 2], &[1.0; 3]).is_err());
}

#[test]
fn outputs_beyond_the_binding_limit_are_refused() {
    let g = gpu();
    // A [1, 64, 1024, 1024] f32 output is 256 MiB, above WebGPU's 128 MiB per binding.
    let x = Tensor::zeros(&g, &[1, 3, 1024, 1024]).unwrap();
    let w = Tensor::zeros(&g, &[64, 3, 3, 3]).unwrap();
    let p = Conv2dParams { padding: 1, ..Default::default() };
    let err = conv2d(&g, &x, &w, None, &p).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("[1, 64, 1024, 1024]"), "{err}");
    g.sync().unwrap();
}

#[test]
fn mismatched_shapes_name_the_op() {
    let g = gpu();
    let x = Tensor::zeros(&g, &[1, 4, 8, 8]).unwrap();
    let w = Tensor::zeros(&g, &[8, 3, 3, 3]).unwrap();
    let err = conv2d(&g, &x, &w, None, &Conv2dParams::default()).unwrap_err().to_string();
    assert!(err.starts_with("conv2d") && err.contains("[8, 3, 3, 3]"), "{err}");
    let p = Conv2dParams { padding: 8, padding_mode: Padding::Reflect, ..Default::default() };
    let w = Tensor::zeros(&g, &[8, 4, 3, 3]).unwrap();
    assert!(conv2d(&g, &x, &w, None, &p).unwrap_err().to_string().contains("reflect"));
    let b = Tensor::zeros(&g, &[7]).unwrap();
    assert!(conv2d(&g, &x, &w, Some(&b), &Conv2dParams::default()).unwrap_err().to_string().contains("bias"));
    let wt = Tensor::zeros(&g, &[3, 8, 3, 3]).unwrap();
    let err = conv_transpose2d(&g, &x, &wt, None, &ConvTranspose2dParams::default()).unwrap_err().to_string();
    assert!(err.starts_with("conv_transpose2d"), "{err}");
    let flat = Tensor::zeros(&g, &[16]).unwrap();
    let err = instance_norm(&g, &flat, None, &InstanceNormParams::default(), None).unwrap_err().to_string();
    assert!(err.starts_with("instance_norm") && err.contains("[16]"), "{err}");
    g.sync().unwrap();
}

#[test]
fn an_unknown_adapter_name_is_an_error() {
    let err = Gpu::new_blocking(GpuOptions { adapter_name: Some("no such adapter".into()), ..Default::default() })
        .err()
        .expect("no adapter has that name");
    assert!(matches!(err, Error::NoAdapter(_)), "{err}");
}
