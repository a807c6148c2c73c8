//! Unit tests of the keyspace (`dataset.rs`): strings, INCR, memory accounting, stream reads.

use super::config::NodeLimits;
use super::dataset::*;
use super::msg::Cmd;
use super::stream_id::{ReadFrom, StreamId};

fn xread(d: &mut Dataset, key: &str, after: &str) -> String {
    let cmd = Cmd::XRead {
        key: key.into(),
        after: Some(ReadFrom::After(StreamId::parse(after).expect("id"))),
        count: 10,
        block_ms: None,
    };
    d.execute(&cmd, 0).reply.render()
}

#[test]
fn xread_with_nothing_new_is_nil() {
    let mut d = Dataset::default();
    assert_eq!(xread(&mut d, "missing", "0"), "nil");
    let add = Cmd::XAdd {
        key: "s".into(),
        id: StreamId::parse("1-0"),
        maxlen: None,
        minid: None,
        approx: false,
        limit: None,
        tag: 0,
        bytes: 10,
    };
    assert_eq!(d.execute(&add, 0).reply.render(), "1-0");
    assert_eq!(xread(&mut d, "s", "0"), "[[s, [[1-0, [p, _]]]]]");
    assert_eq!(xread(&mut d, "s", "1-0"), "nil");
}

#[test]
fn incr_on_a_stream_is_wrongtype() {
    let mut d = Dataset::default();
    let add = Cmd::XAdd {
        key: "s".into(),
        id: None,
        maxlen: None,
        minid: None,
        approx: false,
        limit: None,
        tag: 0,
        bytes: 10,
    };
    d.execute(&add, 5);
    let r = d.execute(&Cmd::Incr { key: "s".into() }, 5).reply.render();
    assert!(r.starts_with("-WRONGTYPE"), "{r}");
    let r = d.execute(&Cmd::Incr { key: "n".into() }, 5).reply.render();
    assert_eq!(r, "1");
}

fn run(d: &mut Dataset, cmd: Cmd) -> String {
    d.execute(&cmd, 5).reply.render()
}

fn set(key: &str, value: u64, bytes: Option<u64>) -> Cmd {
    Cmd::Set {
        key: key.into(),
        value,
        bytes,
    }
}

fn incr(key: &str) -> Cmd {
    Cmd::Incr { key: key.into() }
}

fn get(key: &str) -> Cmd {
    Cmd::Get { key: key.into() }
}

#[test]
fn incr_on_an_integer_string_written_by_set() {
    let mut d = Dataset::default();
    assert_eq!(run(&mut d, set("k", 41, None)), "OK");
    assert_eq!(run(&mut d, incr("k")), "42");
    assert_eq!(run(&mut d, get("k")), "42");
    // `bytes` equal to the digits is still just the decimal.
    assert_eq!(run(&mut d, set("j", 41, Some(2))), "OK");
    assert_eq!(run(&mut d, incr("j")), "42");
}

#[test]
fn incr_on_a_padded_payload_is_not_an_integer() {
    let mut d = Dataset::default();
    run(&mut d, set("p", 7, Some(5)));
    assert_eq!(run(&mut d, get("p")), "7xxxx");
    assert_eq!(
        run(&mut d, incr("p")),
        "-ERR value is not an integer or out of range"
    );
    // Refused: the value is unchanged.
    assert_eq!(run(&mut d, get("p")), "7xxxx");
    // A decimal above i64::MAX is a string, not an integer (string2ll's range).
    run(&mut d, set("big", u64::MAX, None));
    assert_eq!(run(&mut d, get("big")), u64::MAX.to_string());
    assert_eq!(
        run(&mut d, incr("big")),
        "-ERR value is not an integer or out of range"
    );
}

#[test]
fn a_large_payload_renders_capped_for_scripts() {
    let mut d = Dataset::default();
    run(&mut d, set("big", 12, Some(100_000)));
    let reply = d.execute(&get("big"), 5).reply;
    assert_eq!(reply.render().len(), 100_000);
    let capped = reply.render_capped(10, false);
    assert_eq!(capped, "12xxxxxxxx… (100000 bytes)");
    assert_eq!(reply.render_capped(100_000, false), reply.render());
}

#[test]
fn incr_overflow_is_refused() {
    let mut d = Dataset::default();
    run(&mut d, set("m", i64::MAX as u64, None));
    assert_eq!(
        run(&mut d, incr("m")),
        "-ERR increment or decrement would overflow"
    );
    assert_eq!(run(&mut d, get("m")), i64::MAX.to_string());
}

#[test]
fn memory_follows_the_value_size() {
    let mut d = Dataset::default();
    run(&mut d, set("a", 1, Some(100_000)));
    let padded = d.used_bytes;
    // jemalloc's size class for 100,000 bytes is 112 KiB (four classes per doubling).
    assert_eq!(padded, 114_688 + KEY_OVERHEAD + 1);
    run(&mut d, set("a", 1, None));
    assert_eq!(d.used_bytes, 8 + KEY_OVERHEAD + 1);
    run(&mut d, Cmd::Del { key: "a".into() });
    assert_eq!(d.used_bytes, 0);
}

fn stream_with_group(d: &mut Dataset) {
    for id in ["1-0", "2-0"] {
        let add = Cmd::XAdd {
            key: "s".into(),
            id: StreamId::parse(id),
            maxlen: None,
            minid: None,
            approx: false,
            limit: None,
            tag: 0,
            bytes: 10,
        };
        d.execute(&add, 0);
    }
    let create = Cmd::XGroupCreate {
        key: "s".into(),
        group: "g".into(),
        id: Some(StreamId::ZERO),
    };
    assert_eq!(run(d, create), "OK");
}

fn readgroup(group: &str, id: ReadFrom) -> Cmd {
    Cmd::XReadGroup {
        key: "s".into(),
        group: group.into(),
        consumer: "c".into(),
        id,
        count: 10,
        noack: false,
        block_ms: None,
    }
}

#[test]
fn xreadgroup_gt_with_nothing_new_is_nil_but_history_is_empty_list() {
    let mut d = Dataset::default();
    stream_with_group(&mut d);
    assert_eq!(
        run(&mut d, readgroup("g", ReadFrom::New)),
        "[[s, [[1-0, [p, _]], [2-0, [p, _]]]]]"
    );
    assert_eq!(run(&mut d, readgroup("g", ReadFrom::New)), "nil");
    let ack = Cmd::XAck {
        key: "s".into(),
        group: "g".into(),
        ids: vec![StreamId::new(1, 0), StreamId::new(2, 0)],
    };
    assert_eq!(run(&mut d, ack), "2");
    // The PEL form always answers the stream, here with no entries.
    assert_eq!(
        run(&mut d, readgroup("g", ReadFrom::After(StreamId::ZERO))),
        "[[s, []]]"
    );
}

#[test]
fn missing_group_errors_name_key_and_group() {
    let mut d = Dataset::default();
    stream_with_group(&mut d);
    assert_eq!(
        run(&mut d, readgroup("nog", ReadFrom::New)),
        "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    );
    let pending = Cmd::XPending {
        key: "s".into(),
        group: "nog".into(),
        summary: false,
    };
    assert_eq!(
        run(&mut d, pending),
        "-NOGROUP No such key 's' or consumer group 'nog'"
    );
    let ack = Cmd::XAck {
        key: "nokey".into(),
        group: "g".into(),
        ids: vec![StreamId::new(1, 0)],
    };
    assert_eq!(run(&mut d, ack), "0");
    run(&mut d, set("str", 1, None));
    let claim = Cmd::XClaim {
        key: "str".into(),
        group: "g".into(),
        consumer: "c".into(),
        min_idle_ms: 0,
        ids: vec![],
        justid: false,
    };
    assert!(run(&mut d, claim).starts_with("-WRONGTYPE"));
}

fn xinfo_groups(d: &mut Dataset) -> String {
    run(d, Cmd::XInfoGroups { key: "s".into() })
}

#[test]
fn a_tombstone_ahead_of_the_group_makes_its_lag_unknown() {
    let mut d = Dataset::default();
    stream_with_group(&mut d);
    let mut one = readgroup("g", ReadFrom::New);
    if let Cmd::XReadGroup { count, .. } = &mut one {
        *count = 1;
    }
    run(&mut d, one);
    let g = "[name, g, consumers, 1, pending, 1, last-delivered-id, 1-0";
    assert_eq!(
        xinfo_groups(&mut d),
        format!("[{g}, entries-read, 1, lag, 1]]")
    );
    // XDEL of 2-0: a tombstone after the group's last id; the counter cannot be trusted.
    run(
        &mut d,
        Cmd::XDel {
            key: "s".into(),
            ids: vec![StreamId::new(2, 0)],
        },
    );
    assert_eq!(
        xinfo_groups(&mut d),
        format!("[{g}, entries-read, 1, lag, nil]]")
    );
    let info = run(
        &mut d,
        Cmd::XInfoStream {
            key: "s".into(),
            full: false,
            count: None,
        },
    );
    assert!(
        info.contains("max-deleted-entry-id, 2-0, entries-added, 2, recorded-first-entry-id, 1-0"),
        "{info}"
    );
    // `$` reads nothing without BLOCK; `$` in XREADGROUP is an error.
    let xread_last = Cmd::XRead {
        key: "s".into(),
        after: Some(ReadFrom::Last),
        count: 10,
        block_ms: None,
    };
    assert_eq!(run(&mut d, xread_last), "nil");
    assert!(run(&mut d, readgroup("g", ReadFrom::Last)).starts_with("-ERR The $ ID"));
}

#[test]
fn keys_live_per_logical_database() {
    let mut d = Dataset::default();
    d.execute_in(0, &set("k", 1, None), 0, NodeLimits::default());
    assert_eq!(
        d.execute_in(3, &get("k"), 0, NodeLimits::default())
            .reply
            .render(),
        "nil"
    );
    d.execute_in(3, &set("k", 30, None), 0, NodeLimits::default());
    assert_eq!(
        d.execute_in(0, &get("k"), 0, NodeLimits::default())
            .reply
            .render(),
        "1"
    );
    assert_eq!(
        d.execute_in(3, &get("k"), 0, NodeLimits::default())
            .reply
            .render(),
        "30"
    );
    assert_eq!((d.len_in(0), d.len_in(3), d.len_in(5)), (1, 1, 0));
    assert!(d.multi_db, "a command ran outside db 0");
    // A database emptied again is dropped: the keyspace equals one that never had it.
    d.execute_in(3, &Cmd::Del { key: "k".into() }, 0, NodeLimits::default());
    assert_eq!(d.value_in(3, "k"), None);
    assert!(format!("{d:?}").contains("others: {}"), "{d:?}");
    assert_eq!(split_db_key(&db_key(3, "k".into())), (3, "k"));
    assert_eq!(split_db_key(&db_key(0, "k".into())), (0, "k"));
}

#[test]
fn allkeys_lru_evicts_the_oldest_key_of_any_database() {
    let mut d = Dataset::default();
    d.execute_in(2, &set("old", 1, Some(1000)), 0, NodeLimits::default());
    d.execute_in(0, &set("new", 2, Some(1000)), 0, NodeLimits::default());
    let limit = d.used_bytes - 1;
    let evicted = d
        .make_room(limit, crate::redis::config::EvictionPolicy::AllkeysLru, 0)
        .expect("room made");
    assert_eq!(evicted, vec![(2, "old".to_string())]);
    assert_eq!(d.len_in(2), 0);
    assert_eq!(d.len_in(0), 1);
}

#[test]
fn xinfo_consumers_counts_own_pending_and_idle_since_seen() {
    let mut d = Dataset::default();
    stream_with_group(&mut d);
    d.execute(&readgroup("g", ReadFrom::New), 100);
    let info = Cmd::XInfoConsumers {
        key: "s".into(),
        group: "g".into(),
    };
    assert_eq!(
        d.execute(&info, 350).reply.render(),
        "[[name, c, pending, 2, idle, 250]]"
    );
}
