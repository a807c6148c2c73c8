//! Seeded randomness. One `u64` scenario seed decides the whole run; every actor and subsystem
//! draws from its own ChaCha8 stream derived from (seed, stream name), so an extra draw in one
//! place never shifts the draws of another.
//!
//! Derivation (fixed, documented; changing it changes every trace hash):
//! 1. `name_hash = FNV-1a-64(name bytes)` (offset 0xcbf29ce484222325, prime 0x100000001b3);
//! 2. `x = seed ^ name_hash.rotate_left(17)`;
//! 3. the 32-byte ChaCha key is four successive outputs of SplitMix64 started at `x`,
//!    each written little-endian;
//! 4. the generator is `ChaCha8Rng::from_seed(key)`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A named, independent random stream.
#[derive(Clone, Debug)]
pub struct RngStream {
    rng: ChaCha8Rng,
}

/// FNV-1a 64-bit over bytes: used to turn stream names into numbers.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// One step of SplitMix64 (Steele, Lea, Flood 2014): advances `state` and returns a mixed word.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl RngStream {
    /// The stream called `name` under `seed`.
    pub fn derive(seed: u64, name: &str) -> RngStream {
        let mut state = seed ^ fnv1a64(name.as_bytes()).rotate_left(17);
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        RngStream {
            rng: ChaCha8Rng::from_seed(key),
        }
    }

    /// A uniformly distributed `u64`.
    pub fn next_u64(&mut self) -> u64 {
        rand::Rng::next_u64(&mut self.rng)
    }

    /// Uniform in `[low, high]` (inclusive). `low > high` is a caller bug.
    pub fn range_inclusive(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "empty range {low}..={high}");
        if low == high {
            return low;
        }
        self.rng.random_range(low..=high)
    }

    /// Uniform in `[0, n)`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        self.rng.random_range(0..n)
    }

    /// True with probability `p` (clamped to 0..=1). Uses an integer threshold on 53 bits so the
    /// result is the same on every platform; `p == 0` never draws, so switching a fault family
    /// off leaves the stream untouched.
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        let threshold = (p * (1u64 << 53) as f64) as u64;
        (self.next_u64() >> 11) < threshold
    }

    /// An exponentially distributed value with the given mean, computed with `libm` so that
    /// every platform produces the same bits.
    pub fn exponential(&mut self, mean: u64) -> u64 {
        if mean == 0 {
            return 0;
        }
        // u in (0, 1]: never 0, so ln(u) is finite.
        let u = ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let x = -(mean as f64) * libm::log(u);
        if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x as u64
        }
    }

    /// Picks an index into a slice of length `len` (`len > 0`).
    pub fn pick(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_chacha_value_pins_the_rand_version() {
        // rand 0.10.4 + rand_chacha 0.10.0 as locked in Cargo.lock. (simulators.md §21 quotes
        // 681; this toolchain gives 224, so the value here is the observed one.) If a dependency
        // bump changes it, every recorded trace hash changes too.
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        assert_eq!(rng.random_range(0..1000), 224);
    }

    #[test]
    fn streams_are_stable_and_independent() {
        let a1: Vec<u64> = (0..4)
            .map({
                let mut s = RngStream::derive(7, "network");
                move |_| s.next_u64()
            })
            .collect();
        let mut again = RngStream::derive(7, "network");
        assert_eq!(a1, (0..4).map(|_| again.next_u64()).collect::<Vec<_>>());
        let mut other = RngStream::derive(7, "faults");
        assert_ne!(a1[0], other.next_u64());
        let mut other_seed = RngStream::derive(8, "network");
        assert_ne!(a1[0], other_seed.next_u64());
    }

    const PINNED_NETWORK_SEED0: u64 = 16_384_685_681_564_973_098;

    #[test]
    fn golden_stream_value_pins_the_derivation() {
        // If this changes, every recorded trace hash changes: bump the trace-format version.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c, "FNV-1a test vector");
        let mut s = RngStream::derive(0, "network");
        assert_eq!(s.next_u64(), PINNED_NETWORK_SEED0);
    }

    #[test]
    fn chance_edges_do_not_draw() {
        let mut s = RngStream::derive(1, "x");
        let mut t = RngStream::derive(1, "x");
        assert!(!s.chance(0.0));
        assert!(s.chance(1.0));
        assert_eq!(s.next_u64(), t.next_u64());
    }
}
