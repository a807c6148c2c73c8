//! Configuration of the consumer-side error-handling pipelines (reference §10): a Kafka
//! Connect sink task (`errors.*` of ConnectorConfig / SinkConnectorConfig) or an application
//! pipeline with in-place retries and a dead-letter topic. Defaults are Connect's.

use serde::{Deserialize, Serialize};

/// Which processing stage the consumers `c1..` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pipeline {
    /// Plain consumers: every record is processed successfully (the original workload).
    Off,
    /// A Connect sink task: convert → transform → put() to an external sink (connect.rs).
    ConnectSink,
    /// An application pipeline: retry N times, then produce to the DLQ topic (app_dlq.rs).
    AppDlq,
}

/// `errors.tolerance` (ConnectorConfig ERRORS_TOLERANCE_CONFIG).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorsTolerance {
    /// Default: any error in conversion or transformation fails the task.
    None,
    /// Skip the bad record (log it / send it to the DLQ if configured).
    All,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinkConfig {
    pub pipeline: Pipeline,
    /// Workload: a record is "poison" (malformed: its conversion always fails with a
    /// non-retriable DataException) when its per-producer sequence number is a multiple of
    /// this; 0 = no poison. The sink decides from the record's content.
    pub poison_every_n: u64,
    // ---- Connect (ConnectorConfig / SinkConnectorConfig defaults) ----
    pub errors_tolerance: ErrorsTolerance,
    /// errors.log.enable (default false): log every tolerated error.
    pub errors_log_enable: bool,
    /// errors.deadletterqueue.topic.name (default "" = no DLQ). Also the DLQ of AppDlq.
    pub errors_deadletterqueue_topic_name: String,
    /// errors.deadletterqueue.context.headers.enable (default false).
    pub errors_deadletterqueue_context_headers_enable: bool,
    /// errors.retry.timeout (default 0 = no retry; -1 = retry forever).
    pub errors_retry_timeout_ms: i64,
    /// errors.retry.delay.max.ms (default 60 000).
    pub errors_retry_delay_max_ms: u64,
    /// Workload: probability that one transformation attempt throws a RetriableException.
    pub transform_transient_error_probability: f64,
    /// Workload: probability that one put() to the sink throws a RetriableException.
    pub put_transient_error_probability: f64,
    /// Model knob standing in for SinkTaskContext.timeout(ms): delay before WorkerSinkTask
    /// redelivers a batch whose put() threw a RetriableException.
    pub put_retry_backoff_ms: u64,
    /// Model knob: an operator (or tool) restarts a FAILED task this long after it failed
    /// (REST `POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`, KIP-745);
    /// 0 = never: Connect itself never restarts a FAILED task.
    pub task_restart_after_ms: u64,
    // ---- application pipeline ----
    /// Attempts after the first failed one before the record goes to the DLQ.
    pub app_max_retries: u32,
    pub app_retry_backoff_ms: u64,
    /// Workload: probability that one application processing attempt fails transiently.
    pub app_transient_error_probability: f64,
    /// AppDlq: retry a failed record through a retry topic (the "non-blocking retries"
    /// pattern, e.g. Spring Kafka's retry topics — a pattern, not a Kafka feature) instead of
    /// in place; false (default) = in-place retries (retry_topic.rs).
    pub retry_topic: bool,
    /// AppDlq with `retry_topic`: a record in the retry topic is re-processed no earlier than
    /// this long after it was produced there. Default 1 000 ms: the default delay of Spring
    /// Kafka's `@RetryableTopic` backoff (`@Backoff.delay`), the pattern's best-known form.
    pub retry_topic_delay_ms: u64,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            pipeline: Pipeline::Off,
            poison_every_n: 0,
            errors_tolerance: ErrorsTolerance::None,
            errors_log_enable: false,
            errors_deadletterqueue_topic_name: String::new(),
            errors_deadletterqueue_context_headers_enable: false,
            errors_retry_timeout_ms: 0,
            errors_retry_delay_max_ms: 60_000,
            transform_transient_error_probability: 0.0,
            put_transient_error_probability: 0.0,
            put_retry_backoff_ms: 1_000,
            task_restart_after_ms: 0,
            app_max_retries: 3,
            app_retry_backoff_ms: 100,
            app_transient_error_probability: 0.0,
            retry_topic: false,
            retry_topic_delay_ms: 1_000,
        }
    }
}

impl SinkConfig {
    /// Whether the pipeline writes to a dead-letter topic (an extra partition of the cluster).
    pub fn has_dlq(&self) -> bool {
        match self.pipeline {
            Pipeline::Off => false,
            Pipeline::ConnectSink => {
                self.errors_tolerance == ErrorsTolerance::All
                    && !self.errors_deadletterqueue_topic_name.is_empty()
            }
            Pipeline::AppDlq => true,
        }
    }

    /// Whether the AppDlq pipeline retries through a retry topic (one more extra partition).
    pub fn has_retry_topic(&self) -> bool {
        self.pipeline == Pipeline::AppDlq && self.retry_topic
    }

    /// Whether `value` (a producer's `(producer + 1) << 40 | sequence`) is malformed.
    pub fn is_poison(&self, value: u64) -> bool {
        self.poison_every_n != 0 && (value & ((1 << 40) - 1)).is_multiple_of(self.poison_every_n)
    }

    /// Field (below `sink`) and message of the first invalid value.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        let probs = [
            (
                "transform_transient_error_probability",
                self.transform_transient_error_probability,
            ),
            (
                "put_transient_error_probability",
                self.put_transient_error_probability,
            ),
            (
                "app_transient_error_probability",
                self.app_transient_error_probability,
            ),
        ];
        for (f, p) in probs {
            // Below 1 so that a retried operation eventually succeeds.
            if !(0.0..1.0).contains(&p) {
                return err(f, "must be in [0, 1)");
            }
        }
        if self.errors_retry_timeout_ms < -1 {
            return err(
                "errors_retry_timeout_ms",
                "must be -1 (forever), 0 (no retry) or positive",
            );
        }
        if self.pipeline == Pipeline::AppDlq && self.errors_deadletterqueue_topic_name.is_empty() {
            return err(
                "errors_deadletterqueue_topic_name",
                "the AppDlq pipeline needs a DLQ topic name",
            );
        }
        if self.retry_topic && self.pipeline != Pipeline::AppDlq {
            return err("retry_topic", "a retry topic needs the AppDlq pipeline");
        }
        let nonzero = [
            ("retry_topic_delay_ms", self.retry_topic_delay_ms),
            ("put_retry_backoff_ms", self.put_retry_backoff_ms),
            ("app_retry_backoff_ms", self.app_retry_backoff_ms),
            ("errors_retry_delay_max_ms", self.errors_retry_delay_max_ms),
        ];
        for (f, v) in nonzero {
            if v == 0 {
                return err(f, "must be greater than 0");
            }
        }
        Ok(())
    }
}
