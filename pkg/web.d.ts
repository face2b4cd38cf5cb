/* tslint:disable */
/* eslint-disable */

/**
 * A loaded generator: its architecture, detected from the weight file
 * ([`Summary`], which every generator gives).
 */
export class GeneratorInfo {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * One line naming the family and the architecture, e.g.
     * `pix2pix U-Net unet_256 ngf 64, norm batch, dropout`.
     */
    readonly architecture: string;
    /**
     * Whether a translation also gives an attention map (U-GAT-IT's CAM heatmap).
     */
    readonly attention: boolean;
    /**
     * [`GeneratorInfo::architecture`] with the parameter count.
     */
    readonly description: string;
    /**
     * Whether the network has Dropout layers.
     */
    readonly dropout: boolean;
    /**
     * The model family: `CycleGAN ResNet`, `pix2pix U-Net`, `DCGAN`, `DiscoGAN` or `U-GAT-IT`.
     */
    readonly family: string;
    /**
     * The only image side the generator takes (the full U-GAT-IT's
     * img_size: its MLP reads the whole bottleneck); 0 for any size.
     */
    readonly fixed_size: number;
    /**
     * Whether the test-time mode changes the output: the network has
     * BatchNorm (batch or running statistics) or dropout.
     */
    readonly has_test_modes: boolean;
    /**
     * The reference's `--netG` name: `resnet_9blocks`, `unet_256`, `ugatit_light`, ...
     */
    readonly net_name: string;
    /**
     * Filters of the first layer (U-GAT-IT's ch).
     */
    readonly ngf: number;
    /**
     * The normalization: `batch`, `instance`, `instance_affine` or `none`;
     * `iln` for U-GAT-IT (instance-layer norms, adaptive in the decoder).
     */
    readonly norm: string;
    /**
     * Values per latent of a generator that generates (DCGAN's nz); 0 for a translator.
     */
    readonly nz: number;
    /**
     * Learned parameters (weights and biases, not running statistics).
     */
    readonly parameters: number;
    /**
     * Image sides are padded to a multiple of this (4 for a ResNet and a
     * light U-GAT-IT, 2^num_downs for a U-Net, the image size for a full U-GAT-IT).
     */
    readonly size_multiple: number;
    /**
     * Whether the generator translates images (CycleGAN, pix2pix, U-GAT-IT)
     * rather than generating them from latents (DCGAN).
     */
    readonly translates: boolean;
}

/**
 * Images a DCGAN generator made (`count` images of `width` x `height`), or
 * a training run's sample images side by side.
 */
export class Samples {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Number of images.
     */
    readonly count: number;
    /**
     * Whether BatchNorm used the file's running statistics.
     */
    readonly eval: boolean;
    /**
     * Height of each image in pixels (64 for DCGAN).
     */
    readonly height: number;
    /**
     * What BatchNorm did, e.g. `batch statistics of the 64 images` or
     * `eval: running statistics`.
     */
    readonly mode: string;
    /**
     * Milliseconds from drawing the latents to reading the images back.
     */
    readonly ms: number;
    /**
     * RGBA8 pixels of the images one after another, each `width * height * 4`
     * bytes row by row (a copy as a `Uint8Array`).
     */
    readonly pixels: Uint8Array;
    /**
     * Width of each image in pixels (64 for DCGAN).
     */
    readonly width: number;
}

/**
 * One finished iteration as the page shows it.
 */
export class StepReport {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The epoch the iteration belonged to (from 1).
     */
    readonly epoch: number;
    /**
     * Iterations done in total.
     */
    readonly iteration: number;
    /**
     * Its losses, in [`Training::loss_names`] order.
     */
    readonly losses: Float32Array;
    /**
     * Its learning rate.
     */
    readonly lr: number;
    /**
     * Milliseconds from the upload of its images to the losses read back.
     */
    readonly ms: number;
}

/**
 * A CycleGAN training run on its own WebGPU device. Calls must not
 * overlap (the worker queues them); a step is finished, losses read back,
 * before the next one starts, so no more than one step's work is ever in
 * flight.
 */
export class Training {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Adds an RGBA8 image to domain 0 (A) or 1 (B). Add each domain's
     * images in the order of their file paths, as `trainer` reads a folder.
     */
    add_image(domain: number, rgba: Uint8Array | number[], width: number, height: number, name: string): void;
    /**
     * The whole run as a checkpoint zip: `latest/` with the networks,
     * optimizers, image pools and manifest, which `trainer --continue-train`
     * resumes once unzipped into `<checkpoints-dir>/<name>/` (or `trainer
     * import`), and [`Training::start`] resumes here.
     */
    checkpoint(): Promise<Uint8Array>;
    /**
     * Opens a device and checks `settings` (JSON, `trainer`'s option names
     * in snake_case, as a checkpoint manifest records them). `on_lost(message)` is called if the
     * device is lost later. `kernels` chooses the convolutions' forms as
     * [`Translator::create`](crate::Translator::create)'s does; with
     * autotuning the shapes met by an iteration are measured after it (the
     * first iteration runs the default rule's forms), the checkpoint records
     * the forms chosen, and a run resumed on the same adapter takes them.
     */
    static create(settings: string, on_lost?: Function | null, kernels?: string | null): Promise<Training>;
    /**
     * GPU memory the run's tensors hold now, in bytes.
     */
    gpu_bytes(): number;
    /**
     * Images in domain A and B.
     */
    image_counts(): Uint32Array;
    /**
     * Iterations done.
     */
    iteration(): number;
    /**
     * Iterations per epoch.
     */
    iterations_per_epoch(): number;
    /**
     * The loss names, in [`StepReport::losses`] order.
     */
    loss_names(): string[];
    /**
     * One network of the run (CycleGAN's `G_A`, `G_B`, `D_A` or `D_B`;
     * pix2pix's `G` or `D`) as a
     * `.safetensors` file in the reference's layout, which `trainer
     * translate` and the page's Translate mode load.
     */
    network(name: string): Promise<Uint8Array>;
    /**
     * The model's networks, as [`Training::network`] names them.
     */
    network_names(): string[];
    /**
     * Frees the device now; its loss is not reported.
     */
    release(): void;
    /**
     * The sample images of the last step as one RGBA8 image: the first
     * image of each of [`Training::visual_names`] side by side (real,
     * translated, reconstructed, ...), or for a model that generates
     * (DCGAN) its fixed latents' images, 8 a row. DCGAN's sample pass runs
     * in training mode and updates G's running statistics, as the
     * reference's `netG(fixed_noise)` and `trainer`'s sample grids do.
     */
    samples(): Promise<Samples>;
    /**
     * The settings in effect, as JSON (defaults filled in).
     */
    settings(): string;
    /**
     * Destroys the device without marking it released, as a driver reset
     * would; for testing the page's device-lost path.
     */
    simulate_device_loss(): void;
    /**
     * Builds the model: fresh weights from the seed, or everything from a
     * checkpoint zip (`latest/` as the page or `trainer` saved it, whose
     * settings then replace these). Returns a note for the page (e.g. that
     * the domains changed since the checkpoint), or an empty string.
     */
    start(checkpoint?: Uint8Array | number[] | null): Promise<string>;
    /**
     * Whether [`Training::start`] has built the model.
     */
    started(): boolean;
    /**
     * One iteration: the next batch, as `trainer` would take it, through
     * the model's step; waits for its losses.
     */
    step(): Promise<StepReport>;
    /**
     * Iterations of the whole schedule.
     */
    total_iterations(): number;
    /**
     * The network that translates A to B (or generates), the one to download first.
     */
    translator(): string;
    /**
     * Fills both domains with the built-in demo (procedural day and night
     * landscapes, the same pixels as `trainer`'s demo data).
     */
    use_demo(): void;
    /**
     * The names of the sample images, in [`Training::samples`] order.
     */
    visual_names(): string[];
}

/**
 * One translated image, how long it took and the mode it ran in.
 */
export class Translation {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * U-GAT-IT's attention map, the generator's CAM heatmap as the
     * reference's test images draw it (scaled to its own range, resized to
     * the image, jet colours): RGBA8 of the same size as `pixels`, opaque;
     * empty for generators without one.
     */
    readonly attention: Uint8Array;
    /**
     * Whether it ran in eval mode (running statistics, no dropout).
     */
    readonly eval: boolean;
    /**
     * Height in pixels (the input's).
     */
    readonly height: number;
    /**
     * What the mode did, e.g. `test.py default: batch statistics, dropout
     * seed 0` or `eval: running statistics, no dropout`; empty when the
     * generator has no BatchNorm or dropout (both modes are the same).
     */
    readonly mode: string;
    /**
     * Milliseconds from upload to readback of the result, both included.
     */
    readonly ms: number;
    /**
     * RGBA8 pixels, `width * height * 4` bytes (a copy as a `Uint8Array`).
     */
    readonly pixels: Uint8Array;
    /**
     * Milliseconds that measurement took (after `ms`, not part of it).
     */
    readonly tune_ms: number;
    /**
     * With autotuning: how many convolution shapes this translation met
     * for the first time and whose forms were then measured (later
     * translations run the fastest); 0 otherwise.
     */
    readonly tuned: number;
    /**
     * Width in pixels (the input's).
     */
    readonly width: number;
}

/**
 * A WebGPU device with the generators loaded into it, by slot name
 * (the app uses `"a2b"` and `"b2a"`).
 */
export class Translator {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * One line naming the adapter and the kernel configuration chosen for it.
     */
    adapter(): string;
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
     */
    static create(on_lost?: Function | null, kernels?: string | null): Promise<Translator>;
    /**
     * The description of the generator in `slot` ([`GeneratorInfo::description`]).
     */
    describe_generator(slot: string): string | undefined;
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
     */
    generate(slot: string, seed: number, count: number, eval_mode?: boolean | null): Promise<Samples>;
    /**
     * Images from the DCGAN generator in `slot` for given latents: N x nz
     * finite values (N from 1 to 256), latent after latent, as a
     * [N, nz, 1, 1] tensor holds them. Modes as in [`Translator::generate`].
     */
    generate_from_latents(slot: string, latents: Float32Array | number[], eval_mode?: boolean | null): Promise<Samples>;
    /**
     * The architecture of the generator in `slot`, as [`Translator::load_generator`] returned it.
     */
    generator_info(slot: string): GeneratorInfo | undefined;
    /**
     * Whether `slot` holds a generator.
     */
    has_generator(slot: string): boolean;
    /**
     * `steps` (2 to 256) images from the DCGAN generator in `slot` along the
     * straight line between the first latents of `seed_a` and `seed_b`
     * (z = (1 - t) z_a + t z_b, t evenly from 0 to 1, computed on the GPU):
     * in eval mode the ends are the first images [`Translator::generate`]
     * makes for the two seeds. Modes as in [`Translator::generate`]; with
     * batch statistics the steps share theirs.
     */
    interpolate(slot: string, seed_a: number, seed_b: number, steps: number, eval_mode?: boolean | null): Promise<Samples>;
    /**
     * How the convolutions' forms are chosen: the default rule, the pinned
     * form, or autotuning with the forms measured so far.
     */
    kernels(): string;
    /**
     * Parses a generator weight file (safetensors, or a PyTorch `.pth` zip or
     * legacy checkpoint; nothing in it is executed), detects its
     * architecture (ResNet, U-Net, DCGAN or U-GAT-IT, depth, width, norm),
     * uploads it into `slot` (replacing what was there) and describes it.
     * Of a whole U-GAT-IT checkpoint (`<dataset>_params_NNNNNNN.pt`, keys
     * `genA2B.*`, `genB2A.*`, `disGA.*`, ...) slot `"b2a"` takes genB2A and
     * any other slot genA2B.
     */
    load_generator(slot: string, bytes: Uint8Array | number[]): Promise<GeneratorInfo>;
    /**
     * Largest storage binding the device grants, in bytes (WebGPU default: 128 MiB).
     */
    max_binding_bytes(): number;
    /**
     * The largest image, in pixels of the padded image, the generator in
     * `slot` can translate on this device (its widest activation must fit
     * one storage binding).
     */
    max_pixels(slot: string): number;
    /**
     * Frees the generators and the device now rather than when the garbage
     * collector gets to it; the device's loss that follows is not reported.
     */
    release(): void;
    /**
     * Destroys the device without marking it released, as a driver reset
     * would; for testing the page's device-lost path.
     */
    simulate_device_loss(): void;
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
     */
    translate(slot: string, rgba: Uint8Array | number[], width: number, height: number, eval_mode?: boolean | null, seed?: number | null): Promise<Translation>;
}

/**
 * Whether this JS global (window or worker) exposes `navigator.gpu`.
 */
export function has_webgpu(): boolean;

/**
 * Routes Rust panics to `console.error` and to `handler(message)`, so the
 * page can say that the module stopped instead of hanging.
 */
export function set_panic_handler(handler?: Function | null): void;

/**
 * The models the Train mode offers, as JSON (`shaders::models::page_catalog`):
 * `[{kind, label, data, shows, fixed, defaults}]`; the page builds its model
 * menu and chooses its controls from it.
 */
export function train_models(): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_generatorinfo_free: (a: number, b: number) => void;
    readonly __wbg_samples_free: (a: number, b: number) => void;
    readonly __wbg_stepreport_free: (a: number, b: number) => void;
    readonly __wbg_training_free: (a: number, b: number) => void;
    readonly __wbg_translation_free: (a: number, b: number) => void;
    readonly __wbg_translator_free: (a: number, b: number) => void;
    readonly generatorinfo_architecture: (a: number) => [number, number];
    readonly generatorinfo_attention: (a: number) => number;
    readonly generatorinfo_description: (a: number) => [number, number];
    readonly generatorinfo_dropout: (a: number) => number;
    readonly generatorinfo_family: (a: number) => [number, number];
    readonly generatorinfo_fixed_size: (a: number) => number;
    readonly generatorinfo_has_test_modes: (a: number) => number;
    readonly generatorinfo_net_name: (a: number) => [number, number];
    readonly generatorinfo_ngf: (a: number) => number;
    readonly generatorinfo_norm: (a: number) => [number, number];
    readonly generatorinfo_nz: (a: number) => number;
    readonly generatorinfo_parameters: (a: number) => number;
    readonly generatorinfo_size_multiple: (a: number) => number;
    readonly generatorinfo_translates: (a: number) => number;
    readonly has_webgpu: () => number;
    readonly samples_count: (a: number) => number;
    readonly samples_eval: (a: number) => number;
    readonly samples_height: (a: number) => number;
    readonly samples_mode: (a: number) => [number, number];
    readonly samples_ms: (a: number) => number;
    readonly samples_pixels: (a: number) => [number, number];
    readonly samples_width: (a: number) => number;
    readonly set_panic_handler: (a: number) => void;
    readonly stepreport_epoch: (a: number) => number;
    readonly stepreport_iteration: (a: number) => number;
    readonly stepreport_losses: (a: number) => [number, number];
    readonly stepreport_lr: (a: number) => number;
    readonly stepreport_ms: (a: number) => number;
    readonly train_models: () => [number, number];
    readonly training_add_image: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number];
    readonly training_checkpoint: (a: number) => any;
    readonly training_create: (a: number, b: number, c: number, d: number, e: number) => any;
    readonly training_gpu_bytes: (a: number) => number;
    readonly training_image_counts: (a: number) => [number, number];
    readonly training_iteration: (a: number) => number;
    readonly training_iterations_per_epoch: (a: number) => number;
    readonly training_loss_names: (a: number) => [number, number];
    readonly training_network: (a: number, b: number, c: number) => any;
    readonly training_network_names: (a: number) => [number, number];
    readonly training_release: (a: number) => void;
    readonly training_samples: (a: number) => any;
    readonly training_settings: (a: number) => [number, number];
    readonly training_simulate_device_loss: (a: number) => void;
    readonly training_start: (a: number, b: number, c: number) => any;
    readonly training_started: (a: number) => number;
    readonly training_step: (a: number) => any;
    readonly training_total_iterations: (a: number) => number;
    readonly training_translator: (a: number) => [number, number];
    readonly training_use_demo: (a: number) => [number, number];
    readonly training_visual_names: (a: number) => [number, number];
    readonly translation_attention: (a: number) => [number, number];
    readonly translation_eval: (a: number) => number;
    readonly translation_height: (a: number) => number;
    readonly translation_mode: (a: number) => [number, number];
    readonly translation_ms: (a: number) => number;
    readonly translation_pixels: (a: number) => [number, number];
    readonly translation_tune_ms: (a: number) => number;
    readonly translation_tuned: (a: number) => number;
    readonly translation_width: (a: number) => number;
    readonly translator_adapter: (a: number) => [number, number];
    readonly translator_create: (a: number, b: number, c: number) => any;
    readonly translator_describe_generator: (a: number, b: number, c: number) => [number, number];
    readonly translator_generate: (a: number, b: number, c: number, d: number, e: number, f: number) => any;
    readonly translator_generate_from_latents: (a: number, b: number, c: number, d: number, e: number, f: number) => any;
    readonly translator_generator_info: (a: number, b: number, c: number) => number;
    readonly translator_has_generator: (a: number, b: number, c: number) => number;
    readonly translator_interpolate: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => any;
    readonly translator_kernels: (a: number) => [number, number];
    readonly translator_load_generator: (a: number, b: number, c: number, d: number, e: number) => any;
    readonly translator_max_binding_bytes: (a: number) => number;
    readonly translator_max_pixels: (a: number, b: number, c: number) => [number, number, number];
    readonly translator_release: (a: number) => void;
    readonly translator_simulate_device_loss: (a: number) => void;
    readonly translator_translate: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => any;
    readonly wasm_bindgen__convert__closures_____invoke__h0531fd743f4bc429: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_79: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h0ea12229a056a120_80: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h8c223939539c9d7c: (a: number, b: number, c: any, d: any) => void;
    readonly wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e: (a: number, b: number, c: any) => void;
    readonly wasm_bindgen__convert__closures_____invoke__h5876b44acf9a450e_78: (a: number, b: number, c: any) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_destroy_closure: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __externref_drop_slice: (a: number, b: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
