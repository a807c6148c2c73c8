//! The Kafka checkers, after Jepsen's kafka.clj vocabulary: the online checker over the
//! client-observed history and the final pass over the logs (`checker.rs`), what a compacted
//! topic excuses (`compaction_check.rs`), and the error-handling pipelines' checker
//! (`sink_checker.rs`), and the transaction-history checker of scripted transactions
//! (`txn_history.rs` over the dependency graph of `txn_graph.rs`); the tables they keep per
//! record (`dense.rs`) and the final state they read (`final_state.rs`). They read history
//! events and final states (`wire`) only.

pub mod checker;
pub mod compaction_check;
pub mod dense;
pub mod explain;
pub mod final_state;
pub mod sink_checker;
pub mod txn_graph;
pub mod txn_history;
