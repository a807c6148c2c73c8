//! Differential conformance of the Redis model against a real `redis-server` (issue 15): each
//! case is one script (`redis_conformance/case.rs`) run unchanged by the model and by real
//! server processes this test starts on loopback; replies (types, values, error texts), the
//! messages each client received in order, disconnections and INFO replication fields must
//! agree. Without `redis-server` on PATH each case prints one skip line (the packages to
//! install); with `MSGSIM_REQUIRE_REDIS=1` that is a failure. docs/redis-conformance.md lists
//! every difference found and how it was resolved.

#[path = "redis_conformance/case.rs"]
mod case;
#[path = "redis_conformance/check.rs"]
mod check;
#[path = "redis_conformance/model.rs"]
mod model;
#[path = "redis_conformance/real.rs"]
mod real;
#[path = "redis_conformance/real_run.rs"]
mod real_run;
#[path = "redis_conformance/resp.rs"]
mod resp;
#[path = "redis_conformance/sentinel.rs"]
mod sentinel;
#[path = "redis_conformance/sentinel_hello.rs"]
mod sentinel_hello;
#[path = "redis_conformance/sentinel_tilt.rs"]
mod sentinel_tilt;

#[path = "redis_conformance/cases_strings.rs"]
mod cases_strings;

#[path = "redis_conformance/cases_chain.rs"]
mod cases_chain;
#[path = "redis_conformance/cases_client.rs"]
mod cases_client;
#[path = "redis_conformance/cases_info.rs"]
mod cases_info;
#[path = "redis_conformance/cases_kill.rs"]
mod cases_kill;
#[path = "redis_conformance/cases_limits.rs"]
mod cases_limits;
#[path = "redis_conformance/cases_pubsub.rs"]
mod cases_pubsub;
#[path = "redis_conformance/cases_relink.rs"]
mod cases_relink;
#[path = "redis_conformance/cases_replication.rs"]
mod cases_replication;
#[path = "redis_conformance/cases_resp3.rs"]
mod cases_resp3;
#[path = "redis_conformance/cases_stale.rs"]
mod cases_stale;
#[path = "redis_conformance/cases_stream_block.rs"]
mod cases_stream_block;
#[path = "redis_conformance/cases_stream_nodes.rs"]
mod cases_stream_nodes;
#[path = "redis_conformance/cases_stream_ranges.rs"]
mod cases_stream_ranges;
#[path = "redis_conformance/cases_streams.rs"]
mod cases_streams;
#[path = "redis_conformance/cases_wire.rs"]
mod cases_wire;
