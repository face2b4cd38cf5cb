/* @ts-self-types="./web.d.ts" */

/**
 * A loaded generator: its architecture, detected from the weight file
 * ([`Summary`], which every generator gives).
 */
export class GeneratorInfo {
    static __wrap(ptr) {
        const obj = Object.create(GeneratorInfo.prototype);
        obj.__wbg_ptr = ptr;
        GeneratorInfoFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        GeneratorInfoFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_generatorinfo_free(ptr, 0);
    }
    /**
     * One line naming the family and the architecture, e.g.
     * `pix2pix U-Net unet_256 ngf 64, norm batch, dropout`.
     * @returns {string}
     */
    get architecture() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.generatorinfo_architecture(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Whether a translation also gives an attention map (U-GAT-IT's CAM heatmap).
     * @returns {boolean}
     */
    get attention() {
        const ret = wasm.generatorinfo_attention(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * [`GeneratorInfo::architecture`] with the parameter count.
     * @returns {string}
     */
    get description() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.generatorinfo_description(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Whether the network has Dropout layers.
     * @returns {boolean}
     */
    get dropout() {
        const ret = wasm.generatorinfo_dropout(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The model family: `CycleGAN ResNet`, `pix2pix U-Net`, `DCGAN`, `DiscoGAN` or `U-GAT-IT`.
     * @returns {string}
     */
    get family() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.generatorinfo_family(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The only image side the generator takes (the full U-GAT-IT's
     * img_size: its MLP reads the whole bottleneck); 0 for any size.
     * @returns {number}
     */
    get fixed_size() {
        const ret = wasm.generatorinfo_fixed_size(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Whether the test-time mode changes the output: the network has
     * BatchNorm (batch or running statistics) or dropout.
     * @returns {boolean}
     */
    get has_test_modes() {
        const ret = wasm.generatorinfo_has_test_modes(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The reference's `--netG` name: `resnet_9blocks`, `unet_256`, `ugatit_light`, ...
     * @returns {string}
     */
    get net_name() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.generatorinfo_net_name(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Filters of the first layer (U-GAT-IT's ch).
     * @returns {number}
     */
    get ngf() {
        const ret = wasm.generatorinfo_ngf(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The normalization: `batch`, `instance`, `instance_affine` or `none`;
     * `iln` for U-GAT-IT (instance-layer norms, adaptive in the decoder).
     * @returns {string}
     */
    get norm() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.generatorinfo_norm(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Values per latent of a generator that generates (DCGAN's nz); 0 for a translator.
     * @returns {number}
     */
    get nz() {
        const ret = wasm.generatorinfo_nz(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Learned parameters (weights and biases, not running statistics).
     * @returns {number}
     */
    get parameters() {
        const ret = wasm.generatorinfo_parameters(this.__wbg_ptr);
        return ret;
    }
    /**
     * Image sides are padded to a multiple of this (4 for a ResNet and a
     * light U-GAT-IT, 2^num_downs for a U-Net, the image size for a full U-GAT-IT).
     * @returns {number}
     */
    get size_multiple() {
        const ret = wasm.generatorinfo_size_multiple(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Whether the generator translates images (CycleGAN, pix2pix, U-GAT-IT)
     * rather than generating them from latents (DCGAN).
     * @returns {boolean}
     */
    get translates() {
        const ret = wasm.generatorinfo_translates(this.__wbg_ptr);
        return ret !== 0;
    }
}
if (Symbol.dispose) GeneratorInfo.prototype[Symbol.dispose] = GeneratorInfo.prototype.free;

/**
 * Images a DCGAN generator made (`count` images of `width` x `height`), or
 * a training run's sample images side by side.
 */
export class Samples {
    static __wrap(ptr) {
        const obj = Object.create(Samples.prototype);
        obj.__wbg_ptr = ptr;
        SamplesFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        SamplesFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_samples_free(ptr, 0);
    }
    /**
     * Number of images.
     * @returns {number}
     */
    get count() {
        const ret = wasm.samples_count(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Whether BatchNorm used the file's running statistics.
     * @returns {boolean}
     */
    get eval() {
        const ret = wasm.samples_eval(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * Height of each image in pixels (64 for DCGAN).
     * @returns {number}
     */
    get height() {
        const ret = wasm.samples_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * What BatchNorm did, e.g. `batch statistics of the 64 images` or
     * `eval: running statistics`.
     * @returns {string}
     */
    get mode() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.samples_mode(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Milliseconds from drawing the latents to reading the images back.
     * @returns {number}
     */
    get ms() {
        const ret = wasm.samples_ms(this.__wbg_ptr);
        return ret;
    }
    /**
     * RGBA8 pixels of the images one after another, each `width * height * 4`
     * bytes row by row (a copy as a `Uint8Array`).
     * @returns {Uint8Array}
     */
    get pixels() {
        const ret = wasm.samples_pixels(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Width of each image in pixels (64 for DCGAN).
     * @returns {number}
     */
    get width() {
        const ret = wasm.samples_width(this.__wbg_ptr);
        return ret >>> 0;
    }
}
if (Symbol.dispose) Samples.prototype[Symbol.dispose] = Samples.prototype.free;

/**
 * One finished iteration as the page shows it.
 */
export class StepReport {
    static __wrap(ptr) {
        const obj = Object.create(StepReport.prototype);
        obj.__wbg_ptr = ptr;
        StepReportFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        StepReportFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_stepreport_free(ptr, 0);
    }
    /**
     * The epoch the iteration belonged to (from 1).
     * @returns {number}
     */
    get epoch() {
        const ret = wasm.stepreport_epoch(this.__wbg_ptr);
        return ret;
    }
    /**
     * Iterations done in total.
     * @returns {number}
     */
    get iteration() {
        const ret = wasm.stepreport_iteration(this.__wbg_ptr);
        return ret;
    }
    /**
     * Its losses, in [`Training::loss_names`] order.
     * @returns {Float32Array}
     */
    get losses() {
        const ret = wasm.stepreport_losses(this.__wbg_ptr);
        var v1 = getArrayF32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Its learning rate.
     * @returns {number}
     */
    get lr() {
        const ret = wasm.stepreport_lr(this.__wbg_ptr);
        return ret;
    }
    /**
     * Milliseconds from the upload of its images to the losses read back.
     * @returns {number}
     */
    get ms() {
        const ret = wasm.stepreport_ms(this.__wbg_ptr);
        return ret;
    }
}
if (Symbol.dispose) StepReport.prototype[Symbol.dispose] = StepReport.prototype.free;

/**
 * A CycleGAN training run on its own WebGPU device. Calls must not
 * overlap (the worker queues them); a step is finished, losses read back,
 * before the next one starts, so no more than one step's work is ever in
 * flight.
 */
export class Training {
    static __wrap(ptr) {
        const obj = Object.create(Training.prototype);
        obj.__wbg_ptr = ptr;
        TrainingFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        TrainingFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_training_free(ptr, 0);
    }
    /**
     * Adds an RGBA8 image to domain 0 (A) or 1 (B). Add each domain's
     * images in the order of their file paths, as `trainer` reads a folder.
     * @param {number} domain
     * @param {Uint8Array | number[]} rgba
     * @param {number} width
     * @param {number} height
     * @param {string} name
     */
    add_image(domain, rgba, width, height, name) {
        const val3 = +domain;
        const val4 = +width;
        const val5 = +height;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passArray8ToWasm0(rgba, wasm.__wbindgen_malloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.training_add_image(this.__wbg_ptr, val3, ptr0, len0, val4, val5, ptr1, len1);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * The whole run as a checkpoint zip: `latest/` with the networks,
     * optimizers, image pools and manifest, which `trainer --continue-train`
     * resumes once unzipped into `<checkpoints-dir>/<name>/` (or `trainer
     * import`), and [`Training::start`] resumes here.
     * @returns {Promise<Uint8Array>}
     */
    checkpoint() {
        const ret = wasm.training_checkpoint(this.__wbg_ptr);
        return ret;
    }
    /**
     * Opens a device and checks `settings` (JSON, `trainer`'s option names
     * in snake_case, as a checkpoint manifest records them). `on_lost(message)` is called if the
     * device is lost later. `kernels` chooses the convolutions' forms as
     * [`Translator::create`](crate::Translator::create)'s does; with
     * autotuning the shapes met by an iteration are measured after it (the
     * first iteration runs the default rule's forms), the checkpoint records
     * the forms chosen, and a run resumed on the same adapter takes them.
     * @param {string} settings
     * @param {Function | null} [on_lost]
     * @param {string | null} [kernels]
     * @returns {Promise<Training>}
     */
    static create(settings, on_lost, kernels) {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(settings, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = isLikeNone(kernels) ? 0 : passStringToWasm0(kernels, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.training_create(ptr0, len0, isLikeNone(on_lost) ? 0 : addToExternrefTable0(on_lost), ptr1, len1);
        return ret;
    }
    /**
     * GPU memory the run's tensors hold now, in bytes.
     * @returns {number}
     */
    gpu_bytes() {
        const ret = wasm.training_gpu_bytes(this.__wbg_ptr);
        return ret;
    }
    /**
     * Images in domain A and B.
     * @returns {Uint32Array}
     */
    image_counts() {
        const ret = wasm.training_image_counts(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Iterations done.
     * @returns {number}
     */
    iteration() {
        const ret = wasm.training_iteration(this.__wbg_ptr);
        return ret;
    }
    /**
     * Iterations per epoch.
     * @returns {number}
     */
    iterations_per_epoch() {
        const ret = wasm.training_iterations_per_epoch(this.__wbg_ptr);
        return ret;
    }
    /**
     * The loss names, in [`StepReport::losses`] order.
     * @returns {string[]}
     */
    loss_names() {
        const ret = wasm.training_loss_names(this.__wbg_ptr);
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * One network of the run (CycleGAN's `G_A`, `G_B`, `D_A` or `D_B`;
     * pix2pix's `G` or `D`) as a
     * `.safetensors` file in the reference's layout, which `trainer
     * translate` and the page's Translate mode load.
     * @param {string} name
     * @returns {Promise<Uint8Array>}
     */
    network(name) {
        const ptr0 = passStringToWasm0(name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.training_network(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
    /**
     * The model's networks, as [`Training::network`] names them.
     * @returns {string[]}
     */
    network_names() {
        const ret = wasm.training_network_names(this.__wbg_ptr);
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Frees the device now; its loss is not reported.
     */
    release() {
        const ptr = this.__destroy_into_raw();
        wasm.training_release(ptr);
    }
    /**
     * The sample images of the last step as one RGBA8 image: the first
     * image of each of [`Training::visual_names`] side by side (real,
     * translated, reconstructed, ...), or for a model that generates
     * (DCGAN) its fixed latents' images, 8 a row. DCGAN's sample pass runs
     * in training mode and updates G's running statistics, as the
     * reference's `netG(fixed_noise)` and `trainer`'s sample grids do.
     * @returns {Promise<Samples>}
     */
    samples() {
        const ret = wasm.training_samples(this.__wbg_ptr);
        return ret;
    }
    /**
     * The settings in effect, as JSON (defaults filled in).
     * @returns {string}
     */
    settings() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.training_settings(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Destroys the device without marking it released, as a driver reset
     * would; for testing the page's device-lost path.
     */
    simulate_device_loss() {
        wasm.training_simulate_device_loss(this.__wbg_ptr);
    }
    /**
     * Builds the model: fresh weights from the seed, or everything from a
     * checkpoint zip (`latest/` as the page or `trainer` saved it, whose
     * settings then replace these). Returns a note for the page (e.g. that
     * the domains changed since the checkpoint), or an empty string.
     * @param {Uint8Array | number[] | null} [checkpoint]
     * @returns {Promise<string>}
     */
    start(checkpoint) {
        var ptr0 = isLikeNone(checkpoint) ? 0 : passArray8ToWasm0(checkpoint, wasm.__wbindgen_malloc);
        var len0 = WASM_VECTOR_LEN;
        const ret = wasm.training_start(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
    /**
     * Whether [`Training::start`] has built the model.
     * @returns {boolean}
     */
    started() {
        const ret = wasm.training_started(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * One iteration: the next batch, as `trainer` would take it, through
     * the model's step; waits for its losses.
     * @returns {Promise<StepReport>}
     */
    step() {
        const ret = wasm.training_step(this.__wbg_ptr);
        return ret;
    }
    /**
     * Iterations of the whole schedule.
     * @returns {number}
     */
    total_iterations() {
        const ret = wasm.training_total_iterations(this.__wbg_ptr);
        return ret;
    }
    /**
     * The network that translates A to B (or generates), the one to download first.
     * @returns {string}
     */
    translator() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.training_translator(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Fills both domains with the built-in demo (procedural day and night
     * landscapes, the same pixels as `trainer`'s demo data).
     */
    use_demo() {
        const ret = wasm.training_use_demo(this.__wbg_ptr);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * The names of the sample images, in [`Training::samples`] order.
     * @returns {string[]}
     */
    visual_names() {
        const ret = wasm.training_visual_names(this.__wbg_ptr);
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
}
if (Symbol.dispose) Training.prototype[Symbol.dispose] = Training.prototype.free;

/**
 * One translated image, how long it took and the mode it ran in.
 */
export class Translation {
    static __wrap(ptr) {
        const obj = Object.create(Translation.prototype);
        obj.__wbg_ptr = ptr;
        TranslationFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        TranslationFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_translation_free(ptr, 0);
    }
    /**
     * U-GAT-IT's attention map, the generator's CAM heatmap as the
     * reference's test images draw it (scaled to its own range, resized to
     * the image, jet colours): RGBA8 of the same size as `pixels`, opaque;
     * empty for generators without one.
     * @returns {Uint8Array}
     */
    get attention() {
        const ret = wasm.translation_attention(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Whether it ran in eval mode (running statistics, no dropout).
     * @returns {boolean}
     */
    get eval() {
        const ret = wasm.translation_eval(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * Height in pixels (the input's).
     * @returns {number}
     */
    get height() {
        const ret = wasm.translation_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * What the mode did, e.g. `test.py default: batch statistics, dropout
     * seed 0` or `eval: running statistics, no dropout`; empty when the
     * generator has no BatchNorm or dropout (both modes are the same).
     * @returns {string}
     */
    get mode() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.translation_mode(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Milliseconds from upload to readback of the result, both included.
     * @returns {number}
     */
    get ms() {
        const ret = wasm.translation_ms(this.__wbg_ptr);
        return ret;
    }
    /**
     * RGBA8 pixels, `width * height * 4` bytes (a copy as a `Uint8Array`).
     * @returns {Uint8Array}
     */
    get pixels() {
        const ret = wasm.translation_pixels(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Milliseconds that measurement took (after `ms`, not part of it).
     * @returns {number}
     */
    get tune_ms() {
        const ret = wasm.translation_tune_ms(this.__wbg_ptr);
        return ret;
    }
    /**
     * With autotuning: how many convolution shapes this translation met
     * for the first time and whose forms were then measured (later
     * translations run the fastest); 0 otherwise.
     * @returns {number}
     */
    get tuned() {
        const ret = wasm.translation_tuned(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Width in pixels (the input's).
     * @returns {number}
     */
    get width() {
        const ret = wasm.translation_width(this.__wbg_ptr);
        return ret >>> 0;
    }
}
if (Symbol.dispose) Translation.prototype[Symbol.dispose] = Translation.prototype.free;

/**
 * A WebGPU device with the generators loaded into it, by slot name
 * (the app uses `"a2b"` and `"b2a"`).
 */
export class Translator {
    static __wrap(ptr) {
        const obj = Object.create(Translator.prototype);
        obj.__wbg_ptr = ptr;
        TranslatorFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        TranslatorFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_translator_free(ptr, 0);
    }
    /**
     * One line naming the adapter and the kernel configuration chosen for it.
     * @returns {string}
     */
    adapter() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.translator_adapter(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Opens a WebGPU device with the WebGPU default limits. `on_lost(message)`
     * is called if the device is later lost (driver reset, GPU memory
     * pressure, tab in the background too long).
     *
     * `kernels` chooses the convolutions' forms as the native
     * `GAN_KERNELS` does: `auto` (also when absent: autotuning on GPUs, the
     * default rule on software adapters), `rule`, `autotune` (each shape's
     * forms are timed after the first translation that meets it, and the
     * fastest runs from then on, for this page load), or a form's name to
     * pin it (`direct`, `winograd4`, `tiled-64x64`, ...).
     * @param {Function | null} [on_lost]
     * @param {string | null} [kernels]
     * @returns {Promise<Translator>}
     */
    static create(on_lost, kernels) {
        var ptr0 = isLikeNone(kernels) ? 0 : passStringToWasm0(kernels, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        var len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_create(isLikeNone(on_lost) ? 0 : addToExternrefTable0(on_lost), ptr0, len0);
        return ret;
    }
    /**
     * The description of the generator in `slot` ([`GeneratorInfo::description`]).
     * @param {string} slot
     * @returns {string | undefined}
     */
    describe_generator(slot) {
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_describe_generator(this.__wbg_ptr, ptr0, len0);
        let v2;
        if (ret[0] !== 0) {
            v2 = getStringFromWasm0(ret[0], ret[1]);
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v2;
    }
    /**
     * `count` (1 to 256) images from the DCGAN generator in `slot`, of the
     * latents [count, nz, 1, 1] that `seed` draws (the same as `trainer
     * generate --seed`, up to the precision of the GPU's log and cos); the
     * first `k` latents of a seed are the same for any count.
     *
     * Without `eval_mode` (the default) BatchNorm uses the statistics of the
     * batch, as the reference's netG does while training, so an image
     * depends on the others in its batch; with `eval_mode` it uses the
     * file's running statistics and each image depends on its latent only.
     * @param {string} slot
     * @param {number} seed
     * @param {number} count
     * @param {boolean | null} [eval_mode]
     * @returns {Promise<Samples>}
     */
    generate(slot, seed, count, eval_mode) {
        const val2 = +seed;
        const val3 = +count;
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_generate(this.__wbg_ptr, ptr0, len0, val2, val3, isLikeNone(eval_mode) ? 0xFFFFFF : eval_mode ? 1 : 0);
        return ret;
    }
    /**
     * Images from the DCGAN generator in `slot` for given latents: N x nz
     * finite values (N from 1 to 256), latent after latent, as a
     * [N, nz, 1, 1] tensor holds them. Modes as in [`Translator::generate`].
     * @param {string} slot
     * @param {Float32Array | number[]} latents
     * @param {boolean | null} [eval_mode]
     * @returns {Promise<Samples>}
     */
    generate_from_latents(slot, latents, eval_mode) {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArrayF32ToWasm0(latents, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 4, 4); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.translator_generate_from_latents(this.__wbg_ptr, ptr0, len0, ptr1, len1, isLikeNone(eval_mode) ? 0xFFFFFF : eval_mode ? 1 : 0);
        return ret;
    }
    /**
     * The architecture of the generator in `slot`, as [`Translator::load_generator`] returned it.
     * @param {string} slot
     * @returns {GeneratorInfo | undefined}
     */
    generator_info(slot) {
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_generator_info(this.__wbg_ptr, ptr0, len0);
        return ret === 0 ? undefined : GeneratorInfo.__wrap(ret);
    }
    /**
     * Whether `slot` holds a generator.
     * @param {string} slot
     * @returns {boolean}
     */
    has_generator(slot) {
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_has_generator(this.__wbg_ptr, ptr0, len0);
        return ret !== 0;
    }
    /**
     * `steps` (2 to 256) images from the DCGAN generator in `slot` along the
     * straight line between the first latents of `seed_a` and `seed_b`
     * (z = (1 - t) z_a + t z_b, t evenly from 0 to 1, computed on the GPU):
     * in eval mode the ends are the first images [`Translator::generate`]
     * makes for the two seeds. Modes as in [`Translator::generate`]; with
     * batch statistics the steps share theirs.
     * @param {string} slot
     * @param {number} seed_a
     * @param {number} seed_b
     * @param {number} steps
     * @param {boolean | null} [eval_mode]
     * @returns {Promise<Samples>}
     */
    interpolate(slot, seed_a, seed_b, steps, eval_mode) {
        const val2 = +seed_a;
        const val3 = +seed_b;
        const val4 = +steps;
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_interpolate(this.__wbg_ptr, ptr0, len0, val2, val3, val4, isLikeNone(eval_mode) ? 0xFFFFFF : eval_mode ? 1 : 0);
        return ret;
    }
    /**
     * How the convolutions' forms are chosen: the default rule, the pinned
     * form, or autotuning with the forms measured so far.
     * @returns {string}
     */
    kernels() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.translator_kernels(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Parses a generator weight file (safetensors, or a PyTorch `.pth` zip or
     * legacy checkpoint; nothing in it is executed), detects its
     * architecture (ResNet, U-Net, DCGAN or U-GAT-IT, depth, width, norm),
     * uploads it into `slot` (replacing what was there) and describes it.
     * Of a whole U-GAT-IT checkpoint (`<dataset>_params_NNNNNNN.pt`, keys
     * `genA2B.*`, `genB2A.*`, `disGA.*`, ...) slot `"b2a"` takes genB2A and
     * any other slot genA2B.
     * @param {string} slot
     * @param {Uint8Array | number[]} bytes
     * @returns {Promise<GeneratorInfo>}
     */
    load_generator(slot, bytes) {
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(bytes, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.translator_load_generator(this.__wbg_ptr, ptr0, len0, ptr1, len1);
        return ret;
    }
    /**
     * Largest storage binding the device grants, in bytes (WebGPU default: 128 MiB).
     * @returns {number}
     */
    max_binding_bytes() {
        const ret = wasm.translator_max_binding_bytes(this.__wbg_ptr);
        return ret;
    }
    /**
     * The largest image, in pixels of the padded image, the generator in
     * `slot` can translate on this device (its widest activation must fit
     * one storage binding).
     * @param {string} slot
     * @returns {number}
     */
    max_pixels(slot) {
        const ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.translator_max_pixels(this.__wbg_ptr, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0];
    }
    /**
     * Frees the generators and the device now rather than when the garbage
     * collector gets to it; the device's loss that follows is not reported.
     */
    release() {
        const ptr = this.__destroy_into_raw();
        wasm.translator_release(ptr);
    }
    /**
     * Destroys the device without marking it released, as a driver reset
     * would; for testing the page's device-lost path.
     */
    simulate_device_loss() {
        wasm.translator_simulate_device_loss(this.__wbg_ptr);
    }
    /**
     * Translates `width` x `height` RGBA8 pixels with the generator in
     * `slot`; the result has the same size and keeps the input's alpha.
     * The sides are reflect-padded to the multiple the generator needs and
     * cropped back.
     *
     * Without `eval_mode` (the default) it runs as the reference's test.py does
     * without `--eval`: BatchNorm normalizes with the image's own statistics
     * and dropout is on, drawn from `seed` (default 0), so a seed gives the
     * same output every time. With `eval_mode` it runs as `test.py --eval`:
     * BatchNorm uses the file's running statistics and dropout is off. A
     * generator without BatchNorm or dropout (CycleGAN's, U-GAT-IT's) gives
     * the same output in both.
     *
     * A U-GAT-IT generator also gives its attention map
     * ([`Translation::attention`]); its light model takes any size (padded
     * to a multiple of 4, at least 8), its full model only its own image size.
     * @param {string} slot
     * @param {Uint8Array | number[]} rgba
     * @param {number} width
     * @param {number} height
     * @param {boolean | null} [eval_mode]
     * @param {number | null} [seed]
     * @returns {Promise<Translation>}
     */
    translate(slot, rgba, width, height, eval_mode, seed) {
        const val3 = +width;
        const val4 = +height;
        const val5 = +(isLikeNone(seed) ? Number.MAX_SAFE_INTEGER : (seed) >>> 0);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(slot, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(rgba, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.translator_translate(this.__wbg_ptr, ptr0, len0, ptr1, len1, val3, val4, isLikeNone(eval_mode) ? 0xFFFFFF : eval_mode ? 1 : 0, val5);
        return ret;
    }
}
if (Symbol.dispose) Translator.prototype[Symbol.dispose] = Translator.prototype.free;

/**
 * Whether this JS global (window or worker) exposes `navigator.gpu`.
 * @returns {boolean}
 */
export function has_webgpu() {
    const ret = wasm.has_webgpu();
    return ret !== 0;
}

/**
 * Routes Rust panics to `console.error` and to `handler(message)`, so the
 * page can say that the module stopped instead of hanging.
 * @param {Function | null} [handler]
 */
export function set_panic_handler(handler) {
    wasm.set_panic_handler(isLikeNone(handler) ? 0 : addToExternrefTable0(handler));
}

/**
 * The models the Train mode offers, as JSON (`shaders::models::page_catalog`):
 * `[{kind, label, data, shows, fixed, defaults}]`; the page builds its model
 * menu and chooses its controls from it.
 * @returns {string}
 */
export function train_models() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.train_models();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_Error_208446807d0d1e30: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_Window_2805651c516cb7aa: function(arg0) {
            const ret = arg0.Window;
            return ret;
        },
        __wbg_WorkerGlobalScope_174390815d0a4893: function(arg0) {
            const ret = arg0.WorkerGlobalScope;
            return ret;
        },
        __wbg___wbindgen_debug_string_f249a2a76caa9a55: function(arg0, arg1) {
            const ret = debugString(arg1);
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_is_function_741ff2bb612836f5: function(arg0) {
            const ret = typeof(arg0) === 'function';
            return ret;
        },
        __wbg___wbindgen_is_null_c22311b1cc228e3a: function(arg0) {
            const ret = arg0 === null;
            return ret;
        },
        __wbg___wbindgen_is_string_fc456fee5d3317de: function(arg0) {
            const ret = typeof(arg0) === 'string';
            return ret;
        },
        __wbg___wbindgen_is_undefined_be5b34249ff1fc15: function(arg0) {
            const ret = arg0 === undefined;
            return ret;
        },
        __wbg___wbindgen_number_get_934b640d0889af78: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg__wbg_cb_unref_09736879a3f67559: function(arg0) {
            arg0._wbg_cb_unref();
        },
        __wbg_beginComputePass_b9a325184985e6ff: function(arg0, arg1) {
            const ret = arg0.beginComputePass(arg1);
            return ret;
        },
        __wbg_call_40b008ba32f73991: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.call(arg1);
            return ret;
        }, arguments); },
        __wbg_call_a410eb4b59ed5965: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.call(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_clearBuffer_3d5a3057c3c8a9bf: function(arg0, arg1, arg2, arg3) {
            arg0.clearBuffer(arg1, arg2, arg3);
        },
        __wbg_clearBuffer_82ba999c294f42fb: function(arg0, arg1, arg2) {
            arg0.clearBuffer(arg1, arg2);
        },
        __wbg_configure_8e04ab1a867d31e1: function() { return handleError(function (arg0, arg1) {
            arg0.configure(arg1);
        }, arguments); },
        __wbg_copyBufferToBuffer_0c93ff5b22a585e9: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5) {
            arg0.copyBufferToBuffer(arg1, arg2, arg3, arg4, arg5);
        }, arguments); },
        __wbg_copyBufferToBuffer_d04fe4341d6e0f6a: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            arg0.copyBufferToBuffer(arg1, arg2, arg3, arg4);
        }, arguments); },
        __wbg_createBindGroup_f539b26ca341308f: function(arg0, arg1) {
            const ret = arg0.createBindGroup(arg1);
            return ret;
        },
        __wbg_createBuffer_b8c5b520d2c822b8: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.createBuffer(arg1);
            return ret;
        }, arguments); },
        __wbg_createCommandEncoder_3352d1ffc36c6fc0: function(arg0, arg1) {
            const ret = arg0.createCommandEncoder(arg1);
            return ret;
        },
        __wbg_createComputePipeline_224fa2618d9948a0: function(arg0, arg1) {
            const ret = arg0.createComputePipeline(arg1);
            return ret;
        },
        __wbg_createShaderModule_cefa51336cb288ae: function(arg0, arg1) {
            const ret = arg0.createShaderModule(arg1);
            return ret;
        },
        __wbg_description_7a568e202a00293f: function(arg0, arg1) {
            const ret = arg1.description;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_destroy_275564a0a8b8d071: function(arg0) {
            arg0.destroy();
        },
        __wbg_dispatchWorkgroups_56b943172790add0: function(arg0, arg1, arg2, arg3) {
            arg0.dispatchWorkgroups(arg1 >>> 0, arg2 >>> 0, arg3 >>> 0);
        },
        __wbg_end_82fd0c12ba185009: function(arg0) {
            arg0.end();
        },
        __wbg_error_230d9fb3cbee1a80: function(arg0, arg1) {
            console.error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_error_4e2c22b7e3952509: function(arg0) {
            const ret = arg0.error;
            return ret;
        },
        __wbg_finish_09ec094c10f41e7b: function(arg0) {
            const ret = arg0.finish();
            return ret;
        },
        __wbg_finish_ec1c191f66a895b1: function(arg0, arg1) {
            const ret = arg0.finish(arg1);
            return ret;
        },
        __wbg_generatorinfo_new: function(arg0) {
            const ret = GeneratorInfo.__wrap(arg0);
            return ret;
        },
        __wbg_getBindGroupLayout_349f9101ad6d4d76: function(arg0, arg1) {
            const ret = arg0.getBindGroupLayout(arg1 >>> 0);
            return ret;
        },
        __wbg_getContext_1938edb9a972f63d: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.getContext(getStringFromWasm0(arg1, arg2));
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        }, arguments); },
        __wbg_getMappedRange_28e816a763520e01: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.getMappedRange(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_get_2080c49015e35254: function() { return handleError(function (arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_gpu_514705c6dd1f0dab: function(arg0) {
            const ret = arg0.gpu;
            return ret;
        },
        __wbg_info_8554cb7af37427b6: function(arg0) {
            const ret = arg0.info;
            return ret;
        },
        __wbg_instanceof_GpuOutOfMemoryError_7126123117d274a4: function(arg0) {
            let result;
            try {
                result = arg0 instanceof GPUOutOfMemoryError;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_GpuValidationError_f18d09609dc737d7: function(arg0) {
            let result;
            try {
                result = arg0 instanceof GPUValidationError;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_isFallbackAdapter_6a4fa7356d18310b: function(arg0) {
            const ret = arg0.isFallbackAdapter;
            return ret;
        },
        __wbg_label_fceb40a43a358e62: function(arg0, arg1) {
            const ret = arg1.label;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_length_186163212ffe79c3: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_lost_25273dba897db03c: function(arg0) {
            const ret = arg0.lost;
            return ret;
        },
        __wbg_mapAsync_b0597127f5037286: function(arg0, arg1, arg2, arg3) {
            const ret = arg0.mapAsync(arg1 >>> 0, arg2, arg3);
            return ret;
        },
        __wbg_message_408f555d03641e84: function(arg0, arg1) {
            const ret = arg1.message;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_message_5223ba7df7256eac: function(arg0, arg1) {
            const ret = arg1.message;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg_navigator_9641ab32fa612dd1: function(arg0) {
            const ret = arg0.navigator;
            return ret;
        },
        __wbg_navigator_c17f443a6fe5d38d: function(arg0) {
            const ret = arg0.navigator;
            return ret;
        },
        __wbg_new_2bfd0f45e60518b1: function() { return handleError(function (arg0, arg1) {
            const ret = new OffscreenCanvas(arg0 >>> 0, arg1 >>> 0);
            return ret;
        }, arguments); },
        __wbg_new_cd4348290afae586: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_new_typed_6b60b99917da27d6: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_new_typed_e09da9dae6ee5935: function(arg0, arg1) {
            try {
                var state0 = {a: arg0, b: arg1};
                var cb0 = (arg0, arg1) => {
                    const a = state0.a;
                    state0.a = 0;
                    try {
                        return wasm_bindgen__convert__closures_____invoke__h8c223939539c9d7c(a, state0.b, arg0, arg1);
                    } finally {
                        state0.a = a;
                    }
                };
                const ret = new Promise(cb0);
                return ret;
            } finally {
                state0.a = 0;
            }
        },
        __wbg_new_with_byte_offset_and_length_3cd32055a417f095: function(arg0, arg1, arg2) {
            const ret = new Uint8Array(arg0, arg1 >>> 0, arg2 >>> 0);
            return ret;
        },
        __wbg_now_463ac581d2fc7ea3: function() {
            const ret = Date.now();
            return ret;
        },
        __wbg_onSubmittedWorkDone_1190213cee1ecf7e: function(arg0) {
            const ret = arg0.onSubmittedWorkDone();
            return ret;
        },
        __wbg_popErrorScope_182b8e03671d81ef: function(arg0) {
            const ret = arg0.popErrorScope();
            return ret;
        },
        __wbg_prototypesetcall_13162965d1fe7aa3: function(arg0, arg1, arg2) {
            Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_pushErrorScope_fa7df784c43bdb51: function(arg0, arg1) {
            arg0.pushErrorScope(__wbindgen_enum_GpuErrorFilter[arg1]);
        },
        __wbg_queueMicrotask_1e8503a8a690f0a3: function(arg0) {
            const ret = arg0.queueMicrotask;
            return ret;
        },
        __wbg_queueMicrotask_4a1a4d8dd332373b: function(arg0) {
            queueMicrotask(arg0);
        },
        __wbg_queue_e250e2ebc49b39e0: function(arg0) {
            const ret = arg0.queue;
            return ret;
        },
        __wbg_reason_53e762e714b67b72: function(arg0) {
            const ret = arg0.reason;
            return (__wbindgen_enum_GpuDeviceLostReason.indexOf(ret) + 1 || 3) - 1;
        },
        __wbg_requestAdapter_a539af006419f2e9: function(arg0, arg1) {
            const ret = arg0.requestAdapter(arg1);
            return ret;
        },
        __wbg_requestDevice_5cb8a582e55d08cb: function(arg0, arg1) {
            const ret = arg0.requestDevice(arg1);
            return ret;
        },
        __wbg_resolve_dbf78ab4942478b0: function(arg0) {
            const ret = Promise.resolve(arg0);
            return ret;
        },
        __wbg_samples_new: function(arg0) {
            const ret = Samples.__wrap(arg0);
            return ret;
        },
        __wbg_setBindGroup_4aa88516c8ab99c4: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5, arg6) {
            arg0.setBindGroup(arg1 >>> 0, arg2, getArrayU32FromWasm0(arg3, arg4), arg5, arg6 >>> 0);
        }, arguments); },
        __wbg_setBindGroup_c83391351ce68826: function(arg0, arg1, arg2) {
            arg0.setBindGroup(arg1 >>> 0, arg2);
        },
        __wbg_setPipeline_5146f7b8d2b4af5c: function(arg0, arg1) {
            arg0.setPipeline(arg1);
        },
        __wbg_set_118fefd528ab0a79: function(arg0, arg1, arg2) {
            arg0.set(arg1, arg2 >>> 0);
        },
        __wbg_set_2793479888329cb6: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_set_beginning_of_pass_write_index_c49071ff9c074e31: function(arg0, arg1) {
            arg0.beginningOfPassWriteIndex = arg1 >>> 0;
        },
        __wbg_set_binding_bd7d6b01bb08823a: function(arg0, arg1) {
            arg0.binding = arg1 >>> 0;
        },
        __wbg_set_buffer_91f4e8e05066c37a: function(arg0, arg1) {
            arg0.buffer = arg1;
        },
        __wbg_set_code_130aebc49c4cadd3: function(arg0, arg1, arg2) {
            arg0.code = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_compute_800b1231f347606b: function(arg0, arg1) {
            arg0.compute = arg1;
        },
        __wbg_set_device_1940fd5f9e2a7fee: function(arg0, arg1) {
            arg0.device = arg1;
        },
        __wbg_set_end_of_pass_write_index_891ac71cf6a560c5: function(arg0, arg1) {
            arg0.endOfPassWriteIndex = arg1 >>> 0;
        },
        __wbg_set_entries_d9929dbfa2aaa9a7: function(arg0, arg1, arg2) {
            arg0.entries = getArrayJsValueViewFromWasm0(arg1, arg2);
        },
        __wbg_set_entry_point_6c86140cb6e5243a: function(arg0, arg1, arg2) {
            arg0.entryPoint = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_format_46b1c6b3acc10b24: function(arg0, arg1) {
            arg0.format = __wbindgen_enum_GpuTextureFormat[arg1];
        },
        __wbg_set_label_08745022b1ec7b66: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_5347fc976d15e94c: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_644bc1b32c7917b0: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_73c99dab6708c962: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_891876dd0e225368: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_89d2ffaf598df6a4: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_a7095396911c5801: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_label_cba03ffef7ae90a3: function(arg0, arg1, arg2) {
            arg0.label = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_layout_200fc3b143da0a9e: function(arg0, arg1) {
            arg0.layout = arg1;
        },
        __wbg_set_layout_599d761209e4b03f: function(arg0, arg1) {
            arg0.layout = arg1;
        },
        __wbg_set_layout_gpu_auto_layout_mode_eb40dfd1eca5b9d3: function(arg0, arg1) {
            arg0.layout = __wbindgen_enum_GpuAutoLayoutMode[arg1];
        },
        __wbg_set_mapped_at_creation_8af5b87ccb898bbe: function(arg0, arg1) {
            arg0.mappedAtCreation = arg1 !== 0;
        },
        __wbg_set_module_05c14f520e88acaa: function(arg0, arg1) {
            arg0.module = arg1;
        },
        __wbg_set_offset_f64_9374d9e912985773: function(arg0, arg1) {
            arg0.offset = arg1;
        },
        __wbg_set_onuncapturederror_19ad0d0daa325d10: function(arg0, arg1) {
            arg0.onuncapturederror = arg1;
        },
        __wbg_set_power_preference_6bc1d2697a0e7374: function(arg0, arg1) {
            arg0.powerPreference = __wbindgen_enum_GpuPowerPreference[arg1];
        },
        __wbg_set_query_set_6acda8912691b8d6: function(arg0, arg1) {
            arg0.querySet = arg1;
        },
        __wbg_set_required_features_5bda1420e19461b2: function(arg0, arg1, arg2) {
            arg0.requiredFeatures = getArrayJsValueViewFromWasm0(arg1, arg2);
        },
        __wbg_set_required_limits_e78b923d73f9b596: function(arg0, arg1) {
            arg0.requiredLimits = arg1;
        },
        __wbg_set_resource_0f960a4279e7e400: function(arg0, arg1) {
            arg0.resource = arg1;
        },
        __wbg_set_resource_gpu_buffer_binding_53a2189a77dd38be: function(arg0, arg1) {
            arg0.resource = arg1;
        },
        __wbg_set_resource_gpu_texture_view_9153a2356b958667: function(arg0, arg1) {
            arg0.resource = arg1;
        },
        __wbg_set_size_f64_3ff72c0d736c42a1: function(arg0, arg1) {
            arg0.size = arg1;
        },
        __wbg_set_size_f64_9b65e4916b2eb111: function(arg0, arg1) {
            arg0.size = arg1;
        },
        __wbg_set_timestamp_writes_78a9445dbac5c902: function(arg0, arg1) {
            arg0.timestampWrites = arg1;
        },
        __wbg_set_usage_bac3cabe90090275: function(arg0, arg1) {
            arg0.usage = arg1 >>> 0;
        },
        __wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc: function() {
            const ret = typeof globalThis === 'undefined' ? undefined : globalThis;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_GLOBAL_e4293fb22cbe77da: function() {
            const ret = typeof global === 'undefined' ? undefined : global;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_SELF_53bb20457401453d: function() {
            const ret = typeof self === 'undefined' ? undefined : self;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_WINDOW_b5e0810bfecb7feb: function() {
            const ret = typeof window === 'undefined' ? undefined : window;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_stepreport_new: function(arg0) {
            const ret = StepReport.__wrap(arg0);
            return ret;
        },
        __wbg_subgroupMaxSize_3586e822dc3603f6: function(arg0) {
            const ret = arg0.subgroupMaxSize;
            return ret;
        },
        __wbg_subgroupMinSize_17f758985cdd1dab: function(arg0) {
            const ret = arg0.subgroupMinSize;
            return ret;
        },
        __wbg_submit_077c85cc28e36892: function(arg0, arg1, arg2) {
            arg0.submit(getArrayJsValueViewFromWasm0(arg1, arg2));
        },
        __wbg_then_3a4f899454bcf8c9: function(arg0, arg1) {
            const ret = arg0.then(arg1);
            return ret;
        },
        __wbg_then_656f253a5dd7d8ea: function(arg0, arg1, arg2) {
            const ret = arg0.then(arg1, arg2);
            return ret;
        },
        __wbg_then_e3f7f2d365708be8: function(arg0, arg1) {
            const ret = arg0.then(arg1);
            return ret;
        },
        __wbg_training_new: function(arg0) {
            const ret = Training.__wrap(arg0);
            return ret;
        },
        __wbg_translation_new: function(arg0) {
            const ret = Translation.__wrap(arg0);
            return ret;
        },
        __wbg_translator_new: function(arg0) {
            const ret = Translator.__wrap(arg0);
            return ret;
        },
        __wbg_unconfigure_835307f58dc68d80: function(arg0) {
            arg0.unconfigure();
        },
        __wbg_unmap_6a96b14c9ef5f7f5: function(arg0) {
            arg0.unmap();
        },
        __wbg_valueOf_2ad4a09774ac959e: function(arg0) {
            const ret = arg0.valueOf();
            return ret;
        },
        __wbg_writeBuffer_d7640e64ceb69371: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5, arg6) {
            arg0.writeBuffer(arg1, arg2, getArrayU8FromWasm0(arg3, arg4), arg5, arg6);
        }, arguments); },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [Externref], shim_idx: 794, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h0531fd743f4bc429);
            return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("GPUDevice")], shim_idx: 726, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120);
            return ret;
        },
        __wbindgen_generic_0000000000000003: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("GPUDeviceLostInfo")], shim_idx: 731, ret: Unit, inner_ret: Some(Unit) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e);
            return ret;
        },
        __wbindgen_generic_0000000000000004: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("GPUUncapturedErrorEvent")], shim_idx: 731, ret: Unit, inner_ret: Some(Unit) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e_78);
            return ret;
        },
        __wbindgen_generic_0000000000000005: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("any")], shim_idx: 726, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_79);
            return ret;
        },
        __wbindgen_generic_0000000000000006: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("undefined")], shim_idx: 726, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_80);
            return ret;
        },
        __wbindgen_generic_0000000000000007: function(arg0) {
            // Cast intrinsic for `F64 -> Externref`.
            const ret = arg0;
            return ret;
        },
        __wbindgen_generic_0000000000000008: function(arg0, arg1) {
            // Cast intrinsic for `Ref(Slice(U8)) -> NamedExternref("Uint8Array")`.
            const ret = getArrayU8FromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_generic_0000000000000009: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_generic_000000000000000a: function(arg0, arg1) {
            var v0 = getArrayU8FromWasm0(arg0, arg1).slice();
            wasm.__wbindgen_free(arg0, arg1 * 1, 1);
            // Cast intrinsic for `Vector(U8) -> Externref`.
            const ret = v0;
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./web_bg.js": import0,
    };
}

function wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e(arg0, arg1, arg2) {
    wasm.wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e(arg0, arg1, arg2);
}

function wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e_78(arg0, arg1, arg2) {
    wasm.wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e_78(arg0, arg1, arg2);
}

function wasm_bindgen__convert__closures_____invoke__h0531fd743f4bc429(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h0531fd743f4bc429(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_79(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_79(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_80(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_80(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h8c223939539c9d7c(arg0, arg1, arg2, arg3) {
    wasm.wasm_bindgen__convert__closures_____invoke__h8c223939539c9d7c(arg0, arg1, arg2, arg3);
}


const __wbindgen_enum_GpuAutoLayoutMode = ["auto"];


const __wbindgen_enum_GpuDeviceLostReason = ["unknown", "destroyed"];


const __wbindgen_enum_GpuErrorFilter = ["validation", "out-of-memory", "internal"];


const __wbindgen_enum_GpuPowerPreference = ["low-power", "high-performance"];


const __wbindgen_enum_GpuTextureFormat = ["r8unorm", "r8snorm", "r8uint", "r8sint", "r16unorm", "r16snorm", "r16uint", "r16sint", "r16float", "rg8unorm", "rg8snorm", "rg8uint", "rg8sint", "r32uint", "r32sint", "r32float", "rg16unorm", "rg16snorm", "rg16uint", "rg16sint", "rg16float", "rgba8unorm", "rgba8unorm-srgb", "rgba8snorm", "rgba8uint", "rgba8sint", "bgra8unorm", "bgra8unorm-srgb", "rgb9e5ufloat", "rgb10a2uint", "rgb10a2unorm", "rg11b10ufloat", "rg32uint", "rg32sint", "rg32float", "rgba16unorm", "rgba16snorm", "rgba16uint", "rgba16sint", "rgba16float", "rgba32uint", "rgba32sint", "rgba32float", "stencil8", "depth16unorm", "depth24plus", "depth24plus-stencil8", "depth32float", "depth32float-stencil8", "bc1-rgba-unorm", "bc1-rgba-unorm-srgb", "bc2-rgba-unorm", "bc2-rgba-unorm-srgb", "bc3-rgba-unorm", "bc3-rgba-unorm-srgb", "bc4-r-unorm", "bc4-r-snorm", "bc5-rg-unorm", "bc5-rg-snorm", "bc6h-rgb-ufloat", "bc6h-rgb-float", "bc7-rgba-unorm", "bc7-rgba-unorm-srgb", "etc2-rgb8unorm", "etc2-rgb8unorm-srgb", "etc2-rgb8a1unorm", "etc2-rgb8a1unorm-srgb", "etc2-rgba8unorm", "etc2-rgba8unorm-srgb", "eac-r11unorm", "eac-r11snorm", "eac-rg11unorm", "eac-rg11snorm", "astc-4x4-unorm", "astc-4x4-unorm-srgb", "astc-5x4-unorm", "astc-5x4-unorm-srgb", "astc-5x5-unorm", "astc-5x5-unorm-srgb", "astc-6x5-unorm", "astc-6x5-unorm-srgb", "astc-6x6-unorm", "astc-6x6-unorm-srgb", "astc-8x5-unorm", "astc-8x5-unorm-srgb", "astc-8x6-unorm", "astc-8x6-unorm-srgb", "astc-8x8-unorm", "astc-8x8-unorm-srgb", "astc-10x5-unorm", "astc-10x5-unorm-srgb", "astc-10x6-unorm", "astc-10x6-unorm-srgb", "astc-10x8-unorm", "astc-10x8-unorm-srgb", "astc-10x10-unorm", "astc-10x10-unorm-srgb", "astc-12x10-unorm", "astc-12x10-unorm-srgb", "astc-12x12-unorm", "astc-12x12-unorm-srgb"];
const GeneratorInfoFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_generatorinfo_free(ptr, 1));
const SamplesFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_samples_free(ptr, 1));
const StepReportFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_stepreport_free(ptr, 1));
const TrainingFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_training_free(ptr, 1));
const TranslationFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_translation_free(ptr, 1));
const TranslatorFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_translator_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(state => wasm.__wbindgen_destroy_closure(state.a, state.b));

function debugString(val) {
    switch (typeof val) {
        // primitive types
        case 'number':
        case 'boolean':
        case 'undefined':
        return `${val}`;
        case 'string':
        return JSON.stringify(val);
        case 'bigint':
        return `${val}n`;
        case 'symbol':
        return val.description !== undefined
            ? `Symbol(${val.description})`
            : 'Symbol';
        case 'function':
        return typeof val.name === 'string' && val.name !== ''
            ? `Function(${val.name})`
            : 'Function';
        case 'object': {
            if (val === null) {
                return 'null';
            }
            // objects
            if (Array.isArray(val)) {
                return '[' + Array.from(val, debugString).join(', ') + ']';
            }
            // errors
            if (val instanceof Error) {
                return `${val.name}: ${val.message}\n${val.stack}`;
            }

            const toStringOutput = toString.call(val);
            // Test for built-in
            const className = /\[object ([^\]]+)\]/.exec(toStringOutput)?.[1];

            // Failed to match the standard '[object ClassName]'
            if (className === undefined) {
                return toStringOutput;
            }
            if (className === 'Object') {
                // we're a user defined class or Object
                // JSON.stringify avoids problems with cycles, and is generally much
                // easier than looping through ownProperties of `val`.
                try {
                    return 'Object(' + JSON.stringify(val) + ')';
                } catch (_) {
                    return 'Object';
                }
            }
            // TODO we could test for more things here, like `Set`s and `Map`s.
            return className;
        }
        // Per MDN: 'This list of values is exhaustive.'
        // https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Operators/typeof#description
    }
}

function getArrayF32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getFloat32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayJsValueFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const mem = getDataViewMemory0();
    const result = [];
    for (let i = ptr; i < ptr + 4 * len; i += 4) {
        result.push(wasm.__wbindgen_externrefs.get(mem.getUint32(i, true)));
    }
    wasm.__externref_drop_slice(ptr, len);
    return result;
}

function getArrayJsValueViewFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const mem = getDataViewMemory0();
    const result = [];
    for (let i = ptr; i < ptr + 4 * len; i += 4) {
        result.push(wasm.__wbindgen_externrefs.get(mem.getUint32(i, true)));
    }
    return result;
}

function getArrayU32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

let cachedFloat32ArrayMemory0 = null;
function getFloat32ArrayMemory0() {
    if (cachedFloat32ArrayMemory0 === null || cachedFloat32ArrayMemory0.byteLength === 0) {
        cachedFloat32ArrayMemory0 = new Float32Array(wasm.memory.buffer);
    }
    return cachedFloat32ArrayMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
        cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
    }
    return cachedUint32ArrayMemory0;
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function makeMutClosure(arg0, arg1, f) {
    const state = { a: arg0, b: arg1, cnt: 1 };
    const real = (...args) => {

        // First up with a closure we increment the internal reference
        // count. This ensures that the Rust closure environment won't
        // be deallocated while we're invoking it.
        state.cnt++;
        const a = state.a;
        state.a = 0;
        try {
            return f(a, state.b, ...args);
        } finally {
            state.a = a;
            real._wbg_cb_unref();
        }
    };
    real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
            wasm.__wbindgen_destroy_closure(state.a, state.b);
            state.a = 0;
            CLOSURE_DTORS.unregister(state);
        }
    };
    CLOSURE_DTORS.register(real, state, state);
    return real;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArrayF32ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 4, 4) >>> 0;
    getFloat32ArrayMemory0().set(arg, ptr / 4);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedFloat32ArrayMemory0 = null;
    cachedUint32ArrayMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('web_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
