//! The Streams replies as redis-cli renders them, nesting and errors included, checked
//! against t_stream.c (7.x): `xreadCommand`, `xclaimCommand`, `xautoclaimCommand`,
//! `xpendingCommand`, `streamReplyWithRange` and `streamReplyWithRangeFromConsumerPEL`.

use super::dataset::Dataset;
use super::msg::Cmd;
use super::stream_id::{ReadFrom, StreamId};

fn id(s: &str) -> StreamId {
    StreamId::parse(s).expect("id")
}

fn run(d: &mut Dataset, now_ms: u64, cmd: Cmd) -> String {
    d.execute(&cmd, now_ms).reply.render()
}

fn xadd(key: &str, at: &str, maxlen: Option<u64>) -> Cmd {
    Cmd::XAdd {
        key: key.into(),
        id: Some(id(at)),
        maxlen,
        minid: None,
        approx: false,
        limit: None,
        tag: 1,
        bytes: 10,
    }
}

fn xread(after: &str, count: u64) -> Cmd {
    Cmd::XRead {
        key: "s".into(),
        after: Some(ReadFrom::After(id(after))),
        count,
        block_ms: None,
    }
}

/// `at: None` is `>`.
fn xreadgroup(group: &str, consumer: &str, at: Option<&str>) -> Cmd {
    Cmd::XReadGroup {
        key: "s".into(),
        group: group.into(),
        consumer: consumer.into(),
        id: at.map_or(ReadFrom::New, |a| ReadFrom::After(id(a))),
        count: 10,
        noack: false,
        block_ms: None,
    }
}

fn xclaim(key: &str, group: &str, ids: &[&str], justid: bool) -> Cmd {
    Cmd::XClaim {
        key: key.into(),
        group: group.into(),
        consumer: "B".into(),
        min_idle_ms: 100,
        ids: ids.iter().map(|s| id(s)).collect(),
        justid,
    }
}

fn xautoclaim(key: &str, group: &str, justid: bool) -> Cmd {
    Cmd::XAutoClaim {
        key: key.into(),
        group: group.into(),
        consumer: "C".into(),
        min_idle_ms: 100,
        start: StreamId::ZERO,
        count: 10,
        justid,
    }
}

/// `s` holding 1-0 and 2-0, group `g` created at 0-0.
fn stream_with_group() -> Dataset {
    let mut d = Dataset::default();
    for at in ["1-0", "2-0"] {
        assert_eq!(run(&mut d, 0, xadd("s", at, None)), at);
    }
    let create = Cmd::XGroupCreate {
        key: "s".into(),
        group: "g".into(),
        id: Some(StreamId::ZERO),
    };
    assert_eq!(run(&mut d, 0, create), "OK");
    d
}

#[test]
fn xread_replies_the_key_then_its_entries() {
    let mut d = stream_with_group();
    assert_eq!(
        run(&mut d, 0, xread("0", 10)),
        "[[s, [[1-0, [p, _]], [2-0, [p, _]]]]]"
    );
    assert_eq!(run(&mut d, 0, xread("1-0", 1)), "[[s, [[2-0, [p, _]]]]]");
    // Nothing above the id: no stream is served, a null array.
    assert_eq!(run(&mut d, 0, xread("2-0", 10)), "nil");
}

#[test]
fn xreadgroup_nests_new_entries_history_and_deleted_entries() {
    let mut d = stream_with_group();
    let both = "[[s, [[1-0, [p, _]], [2-0, [p, _]]]]]";
    assert_eq!(run(&mut d, 0, xreadgroup("g", "A", None)), both);
    assert_eq!(run(&mut d, 0, xreadgroup("g", "A", None)), "nil");
    assert_eq!(run(&mut d, 0, xreadgroup("g", "A", Some("0"))), both);
    // Another consumer's history is empty, but its stream is still served.
    assert_eq!(run(&mut d, 0, xreadgroup("g", "B", Some("0"))), "[[s, []]]");
    // Trimmed pending entries come back from the history as `[id, nil]`
    // (`streamReplyWithRangeFromConsumerPEL`: the id, then a null array).
    assert_eq!(run(&mut d, 0, xadd("s", "3-0", Some(1))), "3-0");
    assert_eq!(
        run(&mut d, 0, xreadgroup("g", "A", Some("0"))),
        "[[s, [[1-0, nil], [2-0, nil]]]]"
    );
    assert_eq!(
        run(&mut d, 0, xreadgroup("g", "A", None)),
        "[[s, [[3-0, [p, _]]]]]"
    );
}

#[test]
fn xreadgroup_gt_after_trimming_everything_is_nil() {
    let mut d = stream_with_group();
    let r = run(&mut d, 0, xreadgroup("g", "A", None));
    assert!(r.starts_with("[[s, [[1-0"), "{r}");
    // MAXLEN 0 keeps the key with no entries; its last id 3-0 is above the group's 2-0.
    assert_eq!(run(&mut d, 0, xadd("s", "3-0", Some(0))), "3-0");
    let len = Cmd::XLen { key: "s".into() };
    assert_eq!(run(&mut d, 0, len), "0");
    // 7.x `xreadCommand` serves `>` only when `s->length` is non-zero and the last entry left
    // (`streamLastValidID`) is above the group's last id: not served, a null array.
    assert_eq!(run(&mut d, 0, xreadgroup("g", "A", None)), "nil");
    assert_eq!(run(&mut d, 0, xread("0", 10)), "nil");
    // The history form still answers the stream, with the trimmed pending entries.
    assert_eq!(
        run(&mut d, 0, xreadgroup("g", "A", Some("0"))),
        "[[s, [[1-0, nil], [2-0, nil]]]]"
    );
}

#[test]
fn xclaim_replies_entries_or_ids_with_justid() {
    let mut d = stream_with_group();
    run(&mut d, 0, xreadgroup("g", "A", None));
    assert_eq!(
        run(&mut d, 200, xclaim("s", "g", &["1-0", "2-0"], false)),
        "[[1-0, [p, _]], [2-0, [p, _]]]"
    );
    // Idle was reset by the claim.
    assert_eq!(run(&mut d, 250, xclaim("s", "g", &["1-0"], false)), "[]");
    assert_eq!(run(&mut d, 400, xclaim("s", "g", &["1-0"], true)), "[1-0]");
}

#[test]
fn xautoclaim_replies_cursor_entries_and_deleted_ids() {
    let mut d = stream_with_group();
    run(&mut d, 0, xreadgroup("g", "A", None));
    assert_eq!(
        run(&mut d, 200, xautoclaim("s", "g", false)),
        "[0-0, [[1-0, [p, _]], [2-0, [p, _]]], []]"
    );
    assert_eq!(
        run(&mut d, 400, xautoclaim("s", "g", true)),
        "[0-0, [1-0, 2-0], []]"
    );
    // A pending entry trimmed away is purged and listed third (Redis >= 7.0).
    run(&mut d, 400, xadd("s", "3-0", Some(1)));
    assert_eq!(
        run(&mut d, 600, xautoclaim("s", "g", false)),
        "[0-0, [], [1-0, 2-0]]"
    );
}

#[test]
fn missing_key_or_group_errors_per_command() {
    let mut d = stream_with_group();
    let plain = "-NOGROUP No such key 's' or consumer group 'nog'";
    assert_eq!(run(&mut d, 0, xclaim("s", "nog", &["1-0"], false)), plain);
    assert_eq!(run(&mut d, 0, xautoclaim("s", "nog", false)), plain);
    let pending = Cmd::XPending {
        key: "s".into(),
        group: "nog".into(),
        summary: false,
    };
    assert_eq!(run(&mut d, 0, pending), plain);
    assert_eq!(
        run(&mut d, 0, xclaim("nokey", "g", &["1-0"], true)),
        "-NOGROUP No such key 'nokey' or consumer group 'g'"
    );
    assert_eq!(
        run(&mut d, 0, xautoclaim("nokey", "g", true)),
        "-NOGROUP No such key 'nokey' or consumer group 'g'"
    );
    assert_eq!(
        run(&mut d, 0, xreadgroup("nog", "A", None)),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
}

#[test]
fn entries_are_found_inside_the_nesting() {
    let mut d = stream_with_group();
    let r = d.execute(&xreadgroup("g", "A", None), 0).reply;
    let ids: Vec<(StreamId, Option<u64>, u64)> = r.entries();
    assert_eq!(ids, vec![(id("1-0"), Some(1), 1), (id("2-0"), Some(1), 1)]);
    run(&mut d, 0, xadd("s", "3-0", Some(1)));
    let r = d.execute(&xreadgroup("g", "A", Some("0")), 0).reply;
    // Both entries were trimmed by the MAXLEN 1 above: a history read answers them `[id, nil]`
    // and leaves their delivery count as it was (t_stream.c
    // streamReplyWithRangeFromConsumerPEL; checked against redis-server by the conformance
    // suite).
    assert_eq!(
        r.entries(),
        vec![(id("1-0"), None, 1), (id("2-0"), None, 1)]
    );
    let r = d.execute(&xautoclaim("s", "g", false), 500).reply;
    assert!(r.entries().is_empty(), "deleted ids are not entries");
    let r = d.execute(&xclaim("s", "g", &["3-0"], false), 500).reply;
    assert!(r.entries().is_empty(), "3-0 was never delivered");
}
