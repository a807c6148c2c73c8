//! The error-handling pipelines' history events (a Connect sink task or an application
//! pipeline: put, DLQ, skip, retry, task failure), recorded inside `KEvent::Sink` and read by
//! `sink_checker.rs`.

/// What a sink task / application pipeline did with a record (history events).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SinkEvent {
    /// Delivered to the external sink (Connect put() succeeded; the application's side effect).
    Put { p: u32, offset: u64, value: u64 },
    /// put() threw a RetriableException: the batch is redelivered later.
    PutRetry { p: u32, offset: u64 },
    /// A transformation threw a RetriableException and is retried (errors.retry.timeout).
    TransformRetry { p: u32, offset: u64 },
    /// The application retries a failed record in place.
    AppRetry { p: u32, offset: u64, value: u64 },
    /// The application handed a failed record (after `attempt` failed attempts) to the retry
    /// topic, which acknowledged it at `retry_offset` (retry_topic.rs).
    RetryTopicProduced {
        p: u32,
        offset: u64,
        value: u64,
        attempt: u32,
        retry_offset: u64,
    },
    /// errors.tolerance=all without a DLQ: the record is skipped.
    Skipped {
        p: u32,
        offset: u64,
        value: u64,
        logged: bool,
    },
    /// errors.log.enable: a tolerated error is logged.
    ErrorLogged { p: u32, offset: u64 },
    /// The record was acknowledged by the DLQ topic's leader at `dlq_offset`.
    DlqProduced {
        p: u32,
        offset: u64,
        value: u64,
        dlq_offset: u64,
        headers: bool,
    },
    /// errors.tolerance=none: the task failed at this record.
    TaskFailed {
        p: u32,
        offset: u64,
        value: u64,
        retriable: bool,
    },
    /// An operator restarted the FAILED task.
    TaskRestarted,
}
