//! The stream node settings `stream-node-max-entries` / `stream-node-max-bytes` (in the
//! configuration and by CONFIG SET at run time, read by every XADD) and XADD / XTRIM's `LIMIT`
//! with its errors (t_stream.c `streamAppendItem`, `streamTrim`,
//! `streamParseAddOrTrimArgsOrReply`; config.c `configSetCommand`).

use crate::case::Case;
use crate::check::Run;

/// `n` entries `from-0`, `from+1-0`, … of `bytes` bytes on stream `s` by client `a`.
fn adds(mut c: Case, from: u64, n: u64, bytes: u64) -> Case {
    for i in from..from + n {
        c = c.step(
            "a",
            &format!(r#"XAdd(key: "s", id: Some("{i}-0"), bytes: {bytes})"#),
        );
    }
    c
}

/// Nodes of 5 entries after CONFIG SET, then no count limit (0): XINFO STREAM's
/// `radix-tree-keys` counts the nodes, `MAXLEN ~` removes whole ones.
#[test]
fn config_set_node_max_entries_lays_out_the_next_appends() {
    let c = Case::new("config_set_node_max_entries_lays_out_the_next_appends")
        .clients_on_r1(&["a"])
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "5")"#,
        );
    let c = adds(c, 1, 12, 10)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("13-0"), maxlen: Some(6), approx: true, bytes: 10)"#,
        )
        .step("a", r#"XLen(key: "s")"#)
        .step("a", r#"XInfoStream(key: "s")"#)
        // The setting applies to the appends after it, to the current last node too.
        .step(
            "a",
            r#"ConfigSet(parameter: "Stream-Node-Max-Entries", value: "0")"#,
        );
    adds(c, 14, 20, 10)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(10), approx: true)"#)
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

/// The default LIMIT of a `~` trim is 100 × stream-node-max-entries: with nodes of one entry a
/// trim removes at most 100; `LIMIT n` sets it, `LIMIT 0` lifts it.
#[test]
fn approximate_trim_limit_follows_node_max_entries() {
    let c = Case::new("approximate_trim_limit_follows_node_max_entries")
        .conf("stream-node-max-entries", "1")
        .clients_on_r1(&["a"]);
    adds(c, 1, 130, 10)
        .step("a", r#"XTrim(key: "s", maxlen: Some(0), approx: true)"#)
        .step(
            "a",
            r#"XTrim(key: "s", maxlen: Some(0), approx: true, limit: Some(7))"#,
        )
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("131-0"), maxlen: Some(0), approx: true, limit: Some(3))"#,
        )
        .step("a", r#"XInfoStream(key: "s")"#)
        .step(
            "a",
            r#"XTrim(key: "s", maxlen: Some(0), approx: true, limit: Some(0))"#,
        )
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

/// Nodes close by listpack bytes: 300 in the configuration, then 1kb and 0 (no byte limit)
/// by CONFIG SET; the node layout shows in `radix-tree-keys` and in what `~` trims remove.
#[test]
fn node_max_bytes_closes_nodes_by_size() {
    let c = Case::new("node_max_bytes_closes_nodes_by_size")
        .conf("stream-node-max-bytes", "300")
        .clients_on_r1(&["a"]);
    let c = adds(c, 1, 12, 50)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(7), approx: true)"#)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "1kb")"#,
        );
    let c = adds(c, 20, 20, 50)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "0")"#,
        );
    adds(c, 40, 8, 1000)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(8), approx: true)"#)
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

/// XADD / XTRIM's option errors, in the order Redis checks them, and that a refused XADD
/// creates no key.
#[test]
fn limit_and_trim_option_errors() {
    Case::new("limit_and_trim_option_errors")
        .clients_on_r1(&["a"])
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("1-0"), maxlen: Some(5), limit: Some(2))"#,
        )
        .step("a", r#"XAdd(key: "s", id: Some("1-0"), limit: Some(5))"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"), limit: Some(0))"#)
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("1-0"), maxlen: Some(5), approx: true, limit: Some(-1))"#,
        )
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("0-0"), maxlen: Some(5), limit: Some(1))"#,
        )
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("1-0"), maxlen: Some(5), minid: Some("1-0"))"#,
        )
        .step("a", "DbSize")
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XTrim(key: "s")"#)
        .step("a", r#"XTrim(key: "s", limit: Some(3))"#)
        .step("a", r#"XTrim(key: "s", limit: Some(0))"#)
        .step(
            "a",
            r#"XTrim(key: "s", minid: Some("5-0"), limit: Some(3))"#,
        )
        .step(
            "a",
            r#"XTrim(key: "s", minid: Some("5-0"), approx: true, limit: Some(-2))"#,
        )
        .step(
            "a",
            r#"XTrim(key: "missing", maxlen: Some(0), limit: Some(1))"#,
        )
        .step(
            "a",
            r#"XTrim(key: "missing", maxlen: Some(0), approx: true, limit: Some(1))"#,
        )
        .step("a", r#"XAdd(key: "z", id: Some("0-0"))"#)
        .step("a", "DbSize")
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"XAdd(key: "k", id: Some("0-0"))"#)
        .step(
            "a",
            r#"XTrim(key: "k", maxlen: Some(0), approx: true, limit: Some(1))"#,
        )
        .step("a", r#"XTrim(key: "k", maxlen: Some(0), limit: Some(1))"#)
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

/// CONFIG SET's errors for the two settings (a value that does not parse, out of bounds, an
/// unknown parameter); the subscribed context refuses it; memory units.
#[test]
fn config_set_errors_and_units() {
    Case::new("config_set_errors_and_units")
        .clients_on_r1(&["a", "s"])
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "abc")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "-1")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "2kb")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "-1")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "12x")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "9223372036854775808")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "9223372036854775807")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-bytes", value: "2K")"#,
        )
        .step(
            "a",
            r#"ConfigSet(parameter: "no-such-setting", value: "1")"#,
        )
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step(
            "s",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "3")"#,
        )
        .run();
}

/// CONFIG SET is one server's: the primary's nodes of 2, the replica's of 100; a `~` trim
/// on the primary reaches the replica exact (the same entries go), whatever its nodes.
#[test]
fn config_set_is_not_propagated() {
    let c = Case::new("config_set_is_not_propagated")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step(
            "a",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "2")"#,
        );
    adds(c, 1, 7, 10)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("b", r#"XInfoStream(key: "s")"#)
        .step(
            "a",
            r#"XTrim(key: "s", maxlen: Some(4), approx: true, limit: Some(2))"#,
        )
        .step("a", r#"XInfoStream(key: "s")"#)
        .after(200)
        .step("b", r#"XInfoStream(key: "s")"#)
        .step("b", r#"XRange(key: "s", start: "-", end: "+")"#)
        .step(
            "b",
            r#"ConfigSet(parameter: "stream-node-max-entries", value: "3")"#,
        )
        .step("b", r#"XInfoStream(key: "s")"#)
        .run();
}
