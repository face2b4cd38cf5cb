//! Kernel launchers, one module per op family. Forward ops are named after
//! the op; gradients are `<op>_backward_<wrt>`.

mod activation_backward;
mod adam;
mod affine;
mod batch_norm;
mod batch_norm_backward;
mod channel_scale;
mod concat_channels;
mod conv2d;
mod conv2d_winograd;
mod conv_backward;
mod conv_form;
mod conv_forms;
mod conv_geometry;
mod conv_transpose2d;
mod dropout;
mod elementwise;
mod global_pool;
mod image;
mod instance_norm;
mod instance_norm_backward;
mod launch;
mod layer_instance_norm;
mod linear;
mod loss;
mod params;
mod pcg;
mod random;
mod spectral_norm;
#[cfg(not(target_arch = "wasm32"))]
mod tune_cache;
mod upsample;

pub use activation_backward::{
    activation_backward_input, leaky_relu_backward_input, relu_backward_input, sigmoid_backward_input,
    tanh_backward_input,
};
pub use adam::{adam_update, Adam, AdamConfig};
pub use affine::channel_affine;
pub use batch_norm::{batch_norm, BatchNormParams};
pub use batch_norm_backward::{batch_norm_backward_bias, batch_norm_backward_input, batch_norm_backward_weight};
pub use channel_scale::{channel_scale, channel_scale_backward_weight, channel_sum};
pub use concat_channels::{concat_channels, concat_channels_backward_input};
pub use conv2d::{conv2d_pack_weight, conv2d_packed_form};
pub use conv2d_winograd::{conv2d_winograd4_weight, conv2d_winograd_weight};
pub use conv_backward::{
    conv2d_backward_bias, conv2d_backward_input, conv2d_backward_input_form, conv2d_backward_input_packed,
    conv2d_backward_weight, conv2d_backward_weight_form, conv_transpose2d_backward_bias,
    conv_transpose2d_backward_input, conv_transpose2d_backward_input_packed, conv_transpose2d_backward_weight,
};
pub use conv_form::{autotune_pending, conv2d, conv2d_form, conv2d_packed, TunedConv};
pub use conv_forms::ConvForm;
pub use conv_geometry::{Conv2dParams, Padding};
pub use conv_transpose2d::{
    conv_transpose2d, conv_transpose2d_pack_weight, conv_transpose2d_packed, ConvTranspose2dParams,
};
pub use dropout::{dropout, dropout_backward_input, dropout_mask};
pub use elementwise::{add, add_assign, clamp_in_place, leaky_relu, relu, sigmoid, tanh};
pub use global_pool::{
    global_avg_pool, global_avg_pool_backward_input, global_max_pool, global_max_pool_backward_input,
};
#[cfg(not(target_arch = "wasm32"))]
pub use image::tensor_to_image_blocking;
pub use image::{image_to_tensor, tensor_to_image};
pub use instance_norm::{instance_norm, InstanceNormParams};
pub use instance_norm_backward::{
    instance_norm_backward_bias, instance_norm_backward_input, instance_norm_backward_weight,
};
pub use launch::Activation;
pub use layer_instance_norm::{
    layer_instance_norm, layer_instance_norm_backward, LayerInstanceNormGrads, LayerInstanceNormParams,
};
pub use linear::{
    linear, linear_backward_input, linear_backward_input_parts, linear_backward_weight,
    linear_backward_weight_accumulate, linear_parts,
};
pub use loss::{
    accumulate, bce_loss_const, bce_with_logits_loss_const, const_loss, feature_matching_loss, l1_loss, mean, mse_loss,
    mse_loss_const, ConstLoss,
};
pub use params::{ParamsField, ParamsLayout};
pub use random::{randn, randn_host};
pub use spectral_norm::{spectral_norm, spectral_norm_backward, SpectralNorm};
pub use upsample::{upsample_nearest2x, upsample_nearest2x_backward_input};

/// Every kernel parameter struct's layout, one per shader with a uniform.
pub const PARAMS_LAYOUTS: &[ParamsLayout] = &[
    activation_backward::Params::LAYOUT,
    adam::Params::LAYOUT,
    affine::Params::LAYOUT,
    batch_norm::Params::LAYOUT,
    batch_norm_backward::Params::LAYOUT,
    channel_scale::Params::LAYOUT,
    concat_channels::Params::LAYOUT,
    conv2d::Params::LAYOUT,
    conv2d_winograd::Params::LAYOUT,
    conv_backward::Params::LAYOUT,
    conv_transpose2d::Params::LAYOUT,
    dropout::Params::LAYOUT,
    elementwise::Params::LAYOUT,
    global_pool::Params::LAYOUT,
    image::Params::LAYOUT,
    instance_norm::Params::LAYOUT,
    instance_norm_backward::Params::LAYOUT,
    layer_instance_norm::Params::LAYOUT,
    layer_instance_norm::BackwardParams::LAYOUT,
    linear::Params::LAYOUT,
    loss::Params::LAYOUT,
    random::Params::LAYOUT,
    spectral_norm::Params::LAYOUT,
    upsample::Params::LAYOUT,
];
