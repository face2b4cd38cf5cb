//! Typed errors of the kernel library.

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when creating a device or launching a kernel.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No adapter matched the request.
    #[error("no GPU adapter found ({0}); on Linux without a GPU install Mesa's lavapipe (Debian: `apt-get install mesa-vulkan-drivers`), in a browser enable WebGPU")]
    NoAdapter(String),
    /// The adapter refused the device request.
    #[error("the adapter refused a device: {0}")]
    RequestDevice(String),
    /// Operand shapes do not fit the op.
    #[error("{op}: {msg}")]
    Shape {
        /// The op that refused its operands.
        op: &'static str,
        /// Which shapes and why.
        msg: String,
    },
    /// A buffer would exceed a device limit.
    #[error(
        "{op}: {what} needs {bytes} bytes, above the device limit of {limit} bytes (max_storage_buffer_binding_size)"
    )]
    TooLarge {
        /// The op that would allocate it.
        op: &'static str,
        /// Which tensor.
        what: String,
        /// Bytes requested.
        bytes: u64,
        /// The device's limit.
        limit: u64,
    },
    /// A dispatch would exceed the device's workgroup-count limit.
    #[error("{op}: dispatch of {count} workgroups in one dimension exceeds the device limit {limit}")]
    DispatchTooLarge {
        /// The op.
        op: &'static str,
        /// Workgroups requested.
        count: u64,
        /// The limit.
        limit: u32,
    },
    /// wgpu reported an error (validation, out of memory, device lost).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// The weights of a discriminator (described) where a generator was expected.
    #[error("these are the weights of a discriminator ({0}), not of a generator; use the generator of the same checkpoint (G_A, G_B, G, netG)")]
    Discriminator(String),
    /// Weights do not fit a network's architecture.
    #[error("{0}")]
    Network(String),
    /// Training data that cannot be used as it is (an image too small to crop).
    #[error("{0}")]
    Data(String),
    /// A weight file could not be read (the weight reader's own error, e.g.
    /// `nn::io::weights::WeightsError`, which converts into this variant).
    #[error(transparent)]
    Weights(Box<dyn std::error::Error + Send + Sync>),
    /// A setting (an environment variable) has a value the library does not know.
    #[error("{0}")]
    Setting(String),
    /// Mapping a buffer for readback failed.
    #[error("readback failed: {0}")]
    Readback(String),
}

impl Error {
    pub(crate) fn shape(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Shape { op, msg: msg.into() }
    }
}
