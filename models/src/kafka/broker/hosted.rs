//! The partitions a broker holds a replica of: the configuration's assignment at start, then
//! whatever reassignments add or remove (`replica_set.rs`). Kept both as a flag per partition
//! and as an ascending list, so the per-request paths that concern only this broker's replicas
//! (a follower's fetch naming what it follows) visit its own partitions — a tenth of them in a
//! 30-broker, RF 3 cluster — instead of every partition of the cluster.

use std::ops::Index;

#[derive(Debug)]
pub struct Hosted {
    flags: Vec<bool>,
    /// The partitions whose flag is set, ascending.
    list: Vec<u32>,
}

impl Hosted {
    pub fn new(flags: Vec<bool>) -> Hosted {
        let list = (0..flags.len() as u32)
            .filter(|&p| flags[p as usize])
            .collect();
        Hosted { flags, list }
    }

    pub fn set(&mut self, p: usize, hosted: bool) {
        self.flags[p] = hosted;
        match (self.list.binary_search(&(p as u32)), hosted) {
            (Err(i), true) => self.list.insert(i, p as u32),
            (Ok(i), false) => {
                self.list.remove(i);
            }
            _ => {}
        }
    }

    /// The hosted partitions, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.list.iter().map(|&p| p as usize)
    }
}

impl Index<usize> for Hosted {
    type Output = bool;
    fn index(&self, p: usize) -> &bool {
        &self.flags[p]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_follows_the_flags_in_ascending_order() {
        let mut hosted = Hosted::new(vec![false, true, false, true]);
        assert_eq!(hosted.iter().collect::<Vec<_>>(), [1, 3]);
        hosted.set(2, true);
        hosted.set(2, true);
        hosted.set(1, false);
        hosted.set(0, false);
        assert_eq!(hosted.iter().collect::<Vec<_>>(), [2, 3]);
        assert!(hosted[2] && hosted[3] && !hosted[1] && !hosted[0]);
    }
}
