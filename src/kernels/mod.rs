//! Hand-written CPU code, knowing nothing of Marian: plain slices and matrices in, results out.
//!
//! Each kernel replaces a candle operation that was measured slower at a translation batch's
//! shapes (2 cores, AVX2, against candle 0.11; each module's `//!` gives its measure, so that a
//! later candle release can be re-measured against it):
//!
//! - [`attention`]: one-query attention over keys and values read in place (a decoding step)
//!   and encoder self-attention over unpadded sentences, replacing candle's batched matmuls,
//!   head transposes and copies. It is about 8–9% of a beam run (10.4% before it was compiled for
//!   AVX2); the gain over candle's path was not recorded when it was written, so re-measure both.
//! - [`packed`]: f32 linear layers with weights packed once at load, replacing candle's matmul
//!   (the gemm crate), which repacks both operands at every call: 16 × 512 × 512 about 1.7× as
//!   fast, the 16-row output projection about 1.1×, 64 rows and the encoder's long batches on par.
//! - [`int8`]: `--quantize int8` linear layers, replacing candle's ggml Q8_0 matmul, which is
//!   built for one-row decoding and was 4× slower than f32 on our batches.
//! - [`vecmath`]: row maxima and eight-at-a-time exponentials, replacing the C library's scalar
//!   `expf` in log-softmax (7.5% of a beam run), swish and the attention softmax (2–3% each).
//! - [`norm`]: the post-norm residual step, `layer_norm(h + x)` in one pass per row.
//! - [`buffers`]: the memory they share: weight tables on huge pages (the 16-row output
//!   projection about 8% faster), the output pointer parallel tasks write through, and the
//!   allocator's reuse of freed blocks.
//!
//! Every kernel has a portable path that computes the same values where AVX2/FMA is missing.

pub mod attention;
pub mod buffers;
pub mod int8;
pub mod norm;
pub mod packed;
#[cfg(test)]
pub(crate) mod test_util;
pub mod vecmath;

/// Elementwise passes go parallel from this many elements: the encoder's activations are
/// megabytes, while a decoding step's few rows are less work than handing them to other threads.
pub const PARALLEL_ELEMENTS: usize = 1 << 16;
