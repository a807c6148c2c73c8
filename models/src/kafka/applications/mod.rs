//! Applications built on the clients: a Kafka Connect sink task (`connect.rs`) with its
//! dead-letter-queue producer (`dlq.rs`), the application-level DLQ pipeline (`app_dlq.rs`)
//! with its retry topic (`retry_topic.rs`), a transactional producer application
//! (`txn_producer.rs`), and consume-transform-produce (`ctp.rs`, compiled as a child module of
//! `clients/consumer.rs`, whose poll loop it drives). Nothing below imports from here.

pub mod app_dlq;
pub mod connect;
pub mod dlq;
pub mod retry_topic;
pub mod txn_producer;
