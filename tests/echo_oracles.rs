//! The echo scenarios' expectations, over many seeds: a healthy network answers every request
//! once (scenarios/echo/echo-healthy.ron), a partition loses some (echo-partition.ron).

use crate::common;

#[test]
fn echo_healthy_answers_every_request_once() {
    common::oracle("echo", "echo-healthy");
}

#[test]
fn echo_partition_expectations_hold() {
    common::oracle("echo", "echo-partition");
}

#[test]
fn echo_targeted_error_fails_exactly_one_request() {
    common::oracle("echo", "echo-targeted-error");
}
