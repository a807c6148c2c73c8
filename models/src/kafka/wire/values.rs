//! The values of a run of records (a batch, a fetched chunk, a history event's records): one
//! `u64` per record naming its producer and counter (`value_names.rs`).
//!
//! Up to `INLINE` values are stored in place: most batches of a rate-driven producer with a
//! small `linger.ms` — 5 records in `bench/kafka-large.ron`, whose 1.8 M batches each paid a
//! second allocation for them (≈ 100 MB of its peak and one malloc per batch, issue 18). More
//! are shared behind an `Rc`. Cloning never allocates. It reads as a slice (`Deref`), and
//! compares, hashes and prints as one, so trace hashes and the pictures' message texts are
//! those of the `Rc<[u64]>` it replaces.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::rc::Rc;

/// Values kept in place: 40 bytes, where an `Rc<[u64]>` of 5 takes a 56-byte allocation.
pub const INLINE: usize = 5;

#[derive(Clone)]
pub enum Values {
    Inline { len: u8, vals: [u64; INLINE] },
    Shared(Rc<[u64]>),
}

impl Deref for Values {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        match self {
            Values::Inline { len, vals } => &vals[..usize::from(*len)],
            Values::Shared(rc) => rc,
        }
    }
}

impl From<&[u64]> for Values {
    fn from(s: &[u64]) -> Values {
        if s.len() <= INLINE {
            let mut vals = [0; INLINE];
            vals[..s.len()].copy_from_slice(s);
            Values::Inline {
                len: s.len() as u8,
                vals,
            }
        } else {
            Values::Shared(Rc::from(s))
        }
    }
}

impl From<Vec<u64>> for Values {
    fn from(v: Vec<u64>) -> Values {
        if v.len() <= INLINE {
            Values::from(&v[..])
        } else {
            Values::Shared(Rc::from(v))
        }
    }
}

impl<const N: usize> From<[u64; N]> for Values {
    fn from(a: [u64; N]) -> Values {
        Values::from(&a[..])
    }
}

impl Default for Values {
    fn default() -> Values {
        Values::from(&[][..])
    }
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        **self == **other
    }
}

impl Eq for Values {}

impl Hash for Values {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    /// In place up to `INLINE`, shared above, and either way the slice's contents, equality,
    /// hash and text: what the trace hash and the workshop pictures read.
    #[test]
    fn values_read_compare_hash_and_print_as_their_slice() {
        for n in [0, 1, INLINE, INLINE + 1, 40] {
            let v: Vec<u64> = (0..n as u64).map(|i| (1 << 40) | i).collect();
            let a = Values::from(v.clone());
            let b = Values::from(&v[..]);
            assert_eq!(matches!(a, Values::Inline { .. }), n <= INLINE, "{n}");
            assert_eq!((&*a, &*b), (&v[..], &v[..]));
            assert_eq!(a, b);
            let rc: Rc<[u64]> = Rc::from(v.clone());
            assert_eq!(hash_of(&a), hash_of(&rc));
            assert_eq!(format!("{a:?}"), format!("{rc:?}"));
            assert_eq!(a.clone(), a);
        }
        assert_ne!(Values::from([1, 2]), Values::from([1, 2, 3]));
        assert_eq!(&*Values::default(), &[] as &[u64]);
    }
}
