//! Record keys and tombstones of the keyed workload. A record's value is its identity
//! (`(producer + 1) << 40 | n`, see `producer.rs`); its key and whether it is a tombstone (a
//! null value, i.e. a delete) are pure functions of that identity and the workload knobs, so
//! the producer, the cleaner and the checkers agree on them without carrying keys in batches.

use crate::kafka::config::KafkaConfig;

/// The keyed workload: `key_space` keys (0 = keyless), every `tombstone_every`-th write of a
/// key a tombstone (0 = never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeySpec {
    pub key_space: u64,
    pub tombstone_every: u32,
    /// The topic is compacted (cleanup.policy contains `compact`).
    pub compacted: bool,
}

impl KeySpec {
    pub fn of(cfg: &KafkaConfig) -> KeySpec {
        KeySpec {
            key_space: cfg.key_space,
            tombstone_every: cfg.tombstone_every,
            compacted: cfg.may_compact(),
        }
    }

    /// SplitMix64's finaliser: a fixed bijection that scatters consecutive values.
    fn mix(x: u64) -> u64 {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Key of the record with this value; None for keyless records. Keys are spread uniformly
    /// (a hash of the value), so a key's last write can come at any time of the run.
    pub fn key(&self, value: u64) -> Option<u64> {
        (self.key_space > 0).then(|| Self::mix(value) % self.key_space)
    }

    /// Partition of a record: its key's partition when keyed (a key always maps to one
    /// partition, as with the default partitioner), else round robin by `counter`.
    pub fn partition(&self, value: u64, counter: u64, partitions: u32) -> u32 {
        let k = self.key(value).unwrap_or(counter);
        (k % partitions as u64) as u32
    }

    /// The record is a tombstone (a delete of its key): one write in `tombstone_every`, chosen
    /// by an independent hash of the value.
    pub fn is_tombstone(&self, value: u64) -> bool {
        if self.key_space == 0 || self.tombstone_every == 0 {
            return false;
        }
        Self::mix(value ^ 0x5555_5555_5555_5555).is_multiple_of(self.tombstone_every as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_tombstones() {
        let k = KeySpec {
            key_space: 4,
            tombstone_every: 2,
            compacted: true,
        };
        let v = |n: u64| (1u64 << 40) | n;
        let keys: Vec<u64> = (0..400).map(|n| k.key(v(n)).expect("keyed")).collect();
        assert!((0..4).all(|key| keys.iter().filter(|&&x| x == key).count() > 50));
        let dead = (0..400).filter(|&n| k.is_tombstone(v(n))).count();
        assert!((150..250).contains(&dead));
        assert_eq!(k.partition(v(5), 5, 1), 0);
        assert_eq!(k.partition(v(5), 5, 4), k.key(v(5)).expect("keyed") as u32);
        assert_eq!(KeySpec::default().key(v(5)), None);
        assert_eq!(KeySpec::default().partition(v(5), 5, 3), 2);
    }
}
