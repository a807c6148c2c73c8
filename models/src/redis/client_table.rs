//! A server's connected clients by connection id: a vector kept sorted by id. A server has tens
//! of clients; the per-PUBLISH fan-out and the pending-write pass visit most of them in
//! connection order, which a sorted vector serves with one linear pass (`for_each_of`), and a
//! single lookup is a binary search. Connections come and go rarely (an insert or removal moves
//! the tail). Iteration is in connection order, as a `BTreeMap`'s.

use super::pubsub::ClientConn;
use msgsim_sim::ConnId;

#[derive(Debug, Default)]
pub(super) struct ClientTable {
    entries: Vec<(ConnId, ClientConn)>,
}

impl ClientTable {
    fn find(&self, conn: &ConnId) -> Result<usize, usize> {
        // Connections are accepted in id order: the newest is usually last.
        self.entries.binary_search_by_key(conn, |(k, _)| *k)
    }

    pub(super) fn get(&self, conn: &ConnId) -> Option<&ClientConn> {
        self.find(conn).ok().map(|i| &self.entries[i].1)
    }

    pub(super) fn get_mut(&mut self, conn: &ConnId) -> Option<&mut ClientConn> {
        self.find(conn).ok().map(|i| &mut self.entries[i].1)
    }

    pub(super) fn contains_key(&self, conn: &ConnId) -> bool {
        self.find(conn).is_ok()
    }

    /// Add (or replace) a client.
    pub(super) fn insert(&mut self, conn: ConnId, client: ClientConn) {
        match self.find(&conn) {
            Ok(i) => self.entries[i].1 = client,
            Err(i) => self.entries.insert(i, (conn, client)),
        }
    }

    pub(super) fn remove(&mut self, conn: &ConnId) -> Option<ClientConn> {
        self.find(conn).ok().map(|i| self.entries.remove(i).1)
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Connection ids in increasing order.
    pub(super) fn keys(&self) -> impl Iterator<Item = &ConnId> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Clients in connection order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&ConnId, &ClientConn)> {
        self.entries.iter().map(|(k, c)| (k, c))
    }

    /// Visit the connected clients among `conns` (increasing ids; `len` of them). Most of the
    /// table: one merging pass; a few: one binary search each. (One call of `f`, so that it
    /// is inlined: it is the per-subscriber work of a fan-out.)
    #[inline]
    pub(super) fn for_each_of(
        &mut self,
        conns: impl Iterator<Item = ConnId>,
        len: usize,
        mut f: impl FnMut(ConnId, &mut ClientConn),
    ) {
        let merge = len * 4 >= self.entries.len();
        let mut at = 0;
        for conn in conns {
            let found = if merge {
                while at < self.entries.len() && self.entries[at].0 < conn {
                    at += 1;
                }
                match self.entries.get(at) {
                    Some((k, _)) if *k == conn => Some(at),
                    Some(_) => None,
                    None => break,
                }
            } else {
                self.find(&conn).ok()
            };
            if let Some(i) = found {
                f(conn, &mut self.entries[i].1);
            }
        }
    }
}

impl std::ops::Index<&ConnId> for ClientTable {
    type Output = ClientConn;
    fn index(&self, conn: &ConnId) -> &ClientConn {
        self.get(conn).expect("connected client")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgsim_sim::NodeId;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut t = ClientTable::default();
        for id in [5u64, 1, 9, 3] {
            t.insert(ConnId(id), ClientConn::new(NodeId(id as u32), 0));
        }
        assert_eq!(t.keys().map(|k| k.0).collect::<Vec<_>>(), [1, 3, 5, 9]);
        assert!(t.contains_key(&ConnId(9)) && !t.contains_key(&ConnId(4)));
        assert_eq!(t[&ConnId(3)].peer, NodeId(3));
        assert_eq!(t.remove(&ConnId(3)).map(|c| c.peer), Some(NodeId(3)));
        assert!(t.remove(&ConnId(3)).is_none());
        assert_eq!(t.len(), 3);
        // Merging pass and lookups visit the same clients, in order, skipping absent ids.
        for wanted in [vec![1u64, 2, 5, 9, 10], vec![9], vec![]] {
            let mut seen = Vec::new();
            let n = wanted.len();
            t.for_each_of(wanted.iter().map(|&i| ConnId(i)), n, |k, c| {
                seen.push((k.0, c.peer.0))
            });
            let expected: Vec<_> = wanted
                .iter()
                .filter(|&&i| [1, 5, 9].contains(&i))
                .map(|&i| (i, i as u32))
                .collect();
            assert_eq!(seen, expected);
        }
    }
}
