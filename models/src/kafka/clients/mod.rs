//! The Kafka clients: the producer with its RecordAccumulator (`producer.rs`,
//! `accumulator.rs`), the consumer with its fetcher and processing pipeline (`consumer.rs`,
//! `consumer/`), the transactional client (TransactionManager, `txn_client.rs`), the clients'
//! metadata requests and connection timeout (`metadata_pacing.rs`), and the per-record stage
//! applications plug into the consumer's poll loop (`stage.rs`), and the scripted clients
//! (`script.rs` + `script/`, with `producer/scripted.rs`). Depends on `wire` and `config`.

pub mod accumulator;
pub mod consumer;
pub mod metadata_pacing;
pub mod producer;
pub mod script;
pub mod stage;
pub mod txn_client;
