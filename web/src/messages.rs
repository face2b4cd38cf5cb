//! The sentences a person sees when something fails: what happened, then
//! what to try.

/// `navigator.gpu` is missing.
pub const NO_WEBGPU: &str = "This browser does not offer WebGPU (navigator.gpu is missing). \
Use a current Chrome or Edge (version 113 or later), Safari 26 or later, or Firefox 141 or later on Windows. \
On Linux, start Chrome with --enable-unsafe-webgpu or turn on chrome://flags/#enable-unsafe-webgpu. \
WebGPU also needs a secure page: open it over https or from http://localhost.";

/// `requestAdapter()` returned null.
pub const NO_ADAPTER: &str = "WebGPU is present but the browser granted no GPU adapter. \
The GPU may be blocklisted or hardware acceleration turned off: check chrome://gpu (or about:support in Firefox), \
turn on hardware acceleration, update the graphics driver, or on Linux enable chrome://flags/#enable-unsafe-webgpu, then reload the page.";

/// The adapter refused a device with the WebGPU default limits.
pub fn request_device(detail: &str) -> String {
    format!(
        "The GPU adapter refused a WebGPU device with the default limits ({detail}). \
         Close other tabs that use the GPU and reload the page, or try another browser."
    )
}

/// The device was lost after it was opened.
pub fn device_lost(reason: &str, message: &str) -> String {
    let message = if message.is_empty() { String::new() } else { format!(": {message}") };
    format!(
        "The GPU device was lost (reason {reason}{message}). This happens when the graphics driver resets, \
         the GPU runs out of memory, or the system suspends. Reload the page to start again; \
         with a large image, try a smaller one."
    )
}

/// A weights file that cannot be used as a generator.
pub fn bad_weights(detail: &str) -> String {
    format!(
        "This file cannot be used as generator weights: {detail}. \
         Choose a generator state_dict (a CycleGAN ResnetGenerator, a pix2pix UnetGenerator, a DCGAN \
         generator or a U-GAT-IT generator): a .safetensors file written by `trainer`, a reference checkpoint \
         such as latest_net_G_A.pth, latest_net_G.pth or netG_epoch_24.pth (not a discriminator, \
         latest_net_D*.pth or netD_epoch_*.pth), or a whole U-GAT-IT checkpoint (<dataset>_params_NNNNNNN.pt)."
    )
}

/// The weights of a discriminator (`what` describes it) instead of a generator.
pub fn discriminator(what: &str) -> String {
    format!(
        "This file holds the weights of a discriminator ({what}), not of a generator; the page translates \
         or generates images with a generator. Choose the generator of the same checkpoint: latest_net_G.pth \
         (pix2pix), latest_net_G_A.pth or latest_net_G_B.pth (CycleGAN), netG_epoch_N.pth (DCGAN), the \
         whole U-GAT-IT checkpoint (<dataset>_params_NNNNNNN.pt) or its genA2B/genB2A, or a generator \
         .safetensors written by `trainer`."
    )
}

/// Translating with the generator in `slot` (`what` describes it), which
/// generates images from latents rather than translating them.
pub fn generator_not_translator(slot: &str, what: &str) -> String {
    format!(
        "The generator for {slot} ({what}) makes images from random latents; it does not translate images. \
         Use the Generate mode for it (a seed and a grid of samples), or load a CycleGAN or pix2pix generator \
         to translate images."
    )
}

/// Generating with the generator in `slot` (`what` describes it), which
/// translates images rather than generating them.
pub fn translator_not_generator(slot: &str, what: &str) -> String {
    format!(
        "The generator for {slot} ({what}) translates images; it does not generate them from latents. \
         Choose an image to translate with it, or load DCGAN generator weights (netG_epoch_N.pth, or a DCGAN \
         G.safetensors written by `trainer`) to generate images."
    )
}

/// WebGPU failed while doing `what`.
pub fn gpu_failure(what: &str, detail: &str) -> String {
    format!(
        "The GPU failed while {what}: {detail}. Reload the page and try again; \
         if it persists, try a smaller image or another browser."
    )
}

/// An image of another size than the only one a generator (`what`) takes.
pub fn fixed_size(width: u32, height: u32, side: usize, what: &str) -> String {
    format!(
        "This generator ({what}) translates only {side}x{side} images (its MLP reads the whole bottleneck of \
         that size), not a {width}x{height} image. Scale the image to {side}x{side} and try again."
    )
}

/// An image above the device's size limit for this generator (`net`, whose
/// inputs are padded to multiples of `multiple`).
pub fn too_large(width: u32, height: u32, max_pixels: usize, net: &str, multiple: usize) -> String {
    let multiple = multiple.max(1);
    let side = (max_pixels as f64).sqrt() as usize / multiple * multiple;
    format!(
        "A {width}x{height} image is too large for this GPU with this generator ({net}, which pads the sides \
         to multiples of {multiple}): at most {max_pixels} pixels (about {side}x{side}) fit in one WebGPU buffer. \
         Scale the image down and try again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_try() {
        for m in [
            NO_WEBGPU.to_string(),
            NO_ADAPTER.to_string(),
            request_device("x"),
            device_lost("Unknown", "reset"),
            bad_weights("no `model.1.weight`"),
            discriminator("n_layers 3 ndf 64, norm batch, 6 input channels"),
            gpu_failure("translating", "out of memory"),
            too_large(4000, 3000, 2_000_000, "resnet_9blocks", 4),
            fixed_size(300, 200, 256, "U-GAT-IT generator (ch 64, 4 residual blocks, 256x256 images)"),
            generator_not_translator("a2b", "DCGAN dcgan nz 100 ngf 64, 3 output channels"),
            translator_not_generator("a2b", "CycleGAN ResNet resnet_9blocks ngf 64, norm instance"),
        ] {
            assert!(m.contains(". ") && m.ends_with('.'), "{m}");
            assert!(
                ["Use", "Reload", "reload", "Choose", "Scale", "Close", "turn on", "load"]
                    .iter()
                    .any(|w| m.contains(w)),
                "{m}"
            );
        }
        assert!(too_large(4000, 3000, 2_000_000, "resnet_9blocks", 4).contains("about 1412x1412"));
        assert!(too_large(4000, 3000, 2_000_000, "unet_256", 256).contains("about 1280x1280"));
        assert!(device_lost("Unknown", "").contains("(reason Unknown)"));
    }
}
