//! Helpers shared by unit tests of the kernels and of the search.

/// `n` reproducible values in [-1, 1) from a linear congruential generator: test data without a
/// random-number dependency.
pub fn pseudo_random(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        })
        .collect()
}
