//! A small dependency graph over transactions for the transaction-history checker
//! (`txn_history.rs`): nodes are transaction indexes, edges are labelled ww (write order in a
//! partition) or wr (one transaction read another's write), and cycles are found as strongly
//! connected components (Tarjan's algorithm, iterative, so a long history cannot overflow the
//! stack). Elle classifies a cycle by its edges: only ww edges is G0, ww and wr with at least
//! one wr is G1c (Adya's "cyclic information flow").

use std::collections::BTreeSet;

/// What one transaction saw of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dep {
    /// The edge's source wrote a partition just before its target (log order).
    WriteWrite,
    /// The edge's target read a record the source wrote.
    WriteRead,
}

#[derive(Debug, Default)]
pub struct DepGraph {
    /// (from, to, kind), deduplicated.
    edges: BTreeSet<(usize, usize, Dep)>,
    nodes: usize,
}

impl DepGraph {
    pub fn new(nodes: usize) -> DepGraph {
        DepGraph {
            edges: BTreeSet::new(),
            nodes,
        }
    }

    pub fn add(&mut self, from: usize, to: usize, dep: Dep) {
        if from != to {
            self.edges.insert((from, to, dep));
        }
    }

    /// Strongly connected components of more than one node over the edges `keep` accepts,
    /// each sorted, in order of their smallest node.
    pub fn cycles(&self, keep: impl Fn(Dep) -> bool) -> Vec<Vec<usize>> {
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); self.nodes];
        for &(a, b, d) in &self.edges {
            if keep(d) {
                adj[a].push(b);
            }
        }
        let mut sccs = tarjan(&adj);
        sccs.retain(|c| c.len() > 1);
        for c in &mut sccs {
            c.sort_unstable();
        }
        sccs.sort();
        sccs
    }

    /// Cycles (components) with at least one edge of kind `dep` inside them: every edge inside a
    /// strongly connected component lies on a cycle.
    pub fn cycles_through(&self, dep: Dep) -> Vec<Vec<usize>> {
        self.cycles(|_| true)
            .into_iter()
            .filter(|c| {
                self.edges.iter().any(|&(a, b, d)| {
                    d == dep && c.binary_search(&a).is_ok() && c.binary_search(&b).is_ok()
                })
            })
            .collect()
    }
}

/// Tarjan's strongly connected components, without recursion.
fn tarjan(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const NONE: usize = usize::MAX;
    let n = adj.len();
    let (mut index, mut low) = (vec![NONE; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut out) = (Vec::new(), Vec::new());
    let mut next = 0;
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        // (node, next child position)
        let mut call = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(comp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_their_edge_kinds() {
        // 0 ⇄ 1 by ww only (G0); 2 → 3 → 4 → 2 with one wr edge (G1c); 5 alone.
        let mut g = DepGraph::new(6);
        g.add(0, 1, Dep::WriteWrite);
        g.add(1, 0, Dep::WriteWrite);
        g.add(2, 3, Dep::WriteWrite);
        g.add(3, 4, Dep::WriteRead);
        g.add(4, 2, Dep::WriteWrite);
        g.add(4, 5, Dep::WriteRead);
        g.add(5, 5, Dep::WriteWrite);
        assert_eq!(g.cycles(|_| true), vec![vec![0, 1], vec![2, 3, 4]]);
        assert_eq!(g.cycles(|d| d == Dep::WriteWrite), vec![vec![0, 1]]);
        assert_eq!(g.cycles_through(Dep::WriteRead), vec![vec![2, 3, 4]]);
    }

    /// A cycle the depth-first search enters below its root (0 → 1 ⇄ 2, 0 → 3 → 4 → 3): each
    /// node needs its own discovery index, or a cycle's nodes look like separate components.
    #[test]
    fn a_cycle_below_the_search_root_is_one_component() {
        let mut g = DepGraph::new(5);
        for (a, b) in [(0, 1), (1, 2), (2, 1), (0, 3), (3, 4), (4, 3)] {
            g.add(a, b, Dep::WriteRead);
        }
        assert_eq!(g.cycles(|_| true), vec![vec![1, 2], vec![3, 4]]);
    }

    #[test]
    fn a_chain_is_no_cycle() {
        let mut g = DepGraph::new(1_000);
        for i in 0..999 {
            g.add(i, i + 1, Dep::WriteRead);
        }
        assert!(g.cycles(|_| true).is_empty());
        g.add(999, 0, Dep::WriteWrite);
        assert_eq!(g.cycles(|_| true)[0].len(), 1_000);
    }
}
