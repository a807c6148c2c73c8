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
        self.next_word()
    }

    /// The stream's next word, inlinable into the samplers below.
    #[inline(always)]
    fn next_word(&mut self) -> u64 {
        rand::Rng::next_u64(&mut self.rng)
    }

    /// Uniform in `[low, high]` (inclusive). `low > high` is a caller bug.
    ///
    /// Drawn once per message (link latency), so it is written out here to be inlined: the same
    /// algorithm as rand 0.10's `random_range(low..=high)` for `u64` (`UniformInt::
    /// sample_single_inclusive`, the default biased-widening variant: one widening multiply,
    /// and on a possibly biased low half one more word whose high half may carry into the
    /// result), so it consumes the same words and returns the same values;
    /// `range_inclusive_matches_rand` checks that against rand itself.
    #[inline(always)]
    pub fn range_inclusive(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "empty range {low}..={high}");
        if low == high {
            return low;
        }
        let range = (high - low).wrapping_add(1);
        if range == 0 {
            // The whole u64 range: one word as it comes.
            return self.next_word();
        }
        let wide = u128::from(self.next_word()) * u128::from(range);
        let (mut result, lo_order) = ((wide >> 64) as u64, wide as u64);
        if lo_order > range.wrapping_neg() {
            let new_hi_order = ((u128::from(self.next_word()) * u128::from(range)) >> 64) as u64;
            if lo_order.checked_add(new_hi_order).is_none() {
                result += 1;
            }
        }
        low.wrapping_add(result)
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
    fn range_inclusive_matches_rand() {
        // The hand-written sampler must give rand's values and leave the stream where rand
        // leaves it: small ranges, latency-like ranges, ranges near 2^64 (where the second,
        // bias-correcting word is drawn often) and the full range.
        let mut picker = RngStream::derive(9, "bounds");
        let mut ours = RngStream::derive(9, "draws");
        let mut theirs = RngStream::derive(9, "draws").rng;
        let mut bounds = vec![
            (0, 1),
            (5, 6),
            (100_000, 300_000),
            (0, u64::MAX),
            (1, u64::MAX),
        ];
        for _ in 0..2_000 {
            let a = picker.next_u64();
            let b = picker.next_u64();
            let span = picker.next_u64() >> (picker.next_u64() % 64);
            bounds.push((a.min(b), a.max(b)));
            bounds.push((a.min(u64::MAX - span), a.min(u64::MAX - span) + span));
            bounds.push((0, u64::MAX - (span >> 40)));
        }
        for &(low, high) in &bounds {
            for _ in 0..8 {
                let expected = if low == high {
                    low
                } else {
                    theirs.random_range(low..=high)
                };
                assert_eq!(ours.range_inclusive(low, high), expected, "{low}..={high}");
            }
        }
        assert_eq!(
            ours.next_u64(),
            rand::Rng::next_u64(&mut theirs),
            "same words consumed"
        );
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
