//! The loader in CI: arbitrary bytes, arbitrary text and mutated real scenarios go through
//! `scenario::parse_bytes`; it must return a scenario or a located diagnostic, never panic, and
//! an accepted scenario must survive a round trip through `to_ron` unchanged. (The cargo-fuzz
//! target in `fuzz/` does the same at scale; see docs/fuzzing.md.)

use msgsim::scenario;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../scenarios/echo/echo-smallest.ron"),
    include_str!("../scenarios/echo/echo-healthy.ron"),
    include_str!("../scenarios/echo/echo-partition.ron"),
    include_str!("../scenarios/bench/echo.ron"),
    include_str!("../scenarios/kafka/k03-acksall-no-loss.ron"),
    include_str!("../scenarios/kafka/k18c-exactly-once-ctp.ron"),
    include_str!("../scenarios/kafka/k20b-connect-dlq.ron"),
    include_str!("../scenarios/kafka/k22a-tiered-reread.ron"),
    include_str!("../scenarios/redis/r09-failover-kills-subscribers.ron"),
    include_str!("../scenarios/redis/r13-stream-justid-autoclaim.ron"),
    include_str!("../scenarios/redis/side-by-side-pubsub-vs-streams.ron"),
];

/// Tokens that steer mutations towards interesting places.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1.5",
    "NaN",
    "inf",
    "18446744073709551615",
    "4294967295",
    "\"s1\"",
    "\"zz\"",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "Crash(at_ms: 1, node: \"s1\")",
    "\"b1\"",
    "\"r1\"",
    "replication_factor",
    "min_insync_replicas",
    "Transactional",
    "Publish(",
    "XAdd(",
    "sentinel",
    "Heal(at_ms: 99999999)",
    "servers",
    "clients",
    "loss",
    "None",
    "Some(",
    "\"",
    "//",
    "/*",
    "#![enable(implicit_some)]",
    "Uniform(min_us: 9, max_us: 1)",
    "\u{0300}",
    "\u{1780}",
];

fn check(bytes: &[u8]) {
    match scenario::parse_bytes("prop.ron", bytes) {
        Ok(loaded) => {
            let text = scenario::to_ron(&loaded.scenario);
            let again = scenario::parse("roundtrip.ron", text.clone())
                .unwrap_or_else(|d| panic!("written scenario does not load again: {d}\n{text}"));
            assert_eq!(again.scenario, loaded.scenario);
        }
        Err(d) => {
            let shown = d.to_string();
            assert!(shown.starts_with("error: prop.ron"), "{shown}");
            if let Some(at) = d.at {
                assert!(at.line >= 1 && at.col >= 1);
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Replace { at: usize, len: usize, token: usize },
    Byte { at: usize, byte: u8 },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<usize>(), 1usize..8, 0..TOKENS.len()).prop_map(|(at, len, token)| Edit::Replace {
            at,
            len,
            token
        }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Byte { at, byte }),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len().max(1);
        match *e {
            Edit::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Insert { at, token } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, TOKENS[token].bytes());
            }
            Edit::Replace { at, len, token } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at <= end {
                    bytes.splice(at..end, TOKENS[token].bytes());
                }
            }
            Edit::Byte { at, byte } => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = byte;
                }
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check(text.as_bytes());
    }

    #[test]
    fn mutated_scenarios_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        check(&apply(SEEDS[seed].as_bytes().to_vec(), &edits));
    }
}

/// cargo-fuzz crash (2026-11-25, run 3): a field search stepped into a multi-byte character
/// (U+200E before the scenario) while locating a bad expectation.
#[test]
fn fuzz_regression_multibyte_before_a_bad_expectation() {
    // U+2028 (RON whitespace) right after a list element, then a semantic error inside it.
    check("(version: 1, name: \"n\", duration_ms: 9, system: Echo(), faults: [Heal(at_ms: 99)\u{2028}, Heal(at_ms: 1)])".as_bytes());
    check(
        "(version: 1, name: \"n\", duration_ms: 9, system: Echo(), expect: [\"x == 1\"\u{200e}])"
            .as_bytes(),
    );
    check(b"\xe2\x80\x8e// x\n(\n    version: 1,\n    name: \"n\",\n    duration_ms: 9,\n    system: Echo(),\n    expect: [\"nope == 1\"],\n)\n");
    check(&[
        0xe2, 0x80, 0x8e, 0x2f, 0x2f, 0x20, 0x54, 0x68, 0x65, 0x68, 0x61, 0x74, 0x20, 0x70, 0x61,
        0x73, 0x21, 0x65, 0x73, 0x72, 0x6b, 0x2e, 0xa, 0x28, 0xa, 0x20, 0x20, 0x20, 0x20, 0x76,
        0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x3a, 0x20, 0x30, 0x78, 0x31, 0x2c, 0xa, 0x20, 0x20,
        0x20, 0x20, 0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0x22, 0x74, 0x68, 0x6b, 0x6e, 0x67, 0x20,
        0x69, 0x73, 0x20, 0x6c, 0x6f, 0x73, 0x74, 0x2e, 0x22, 0x2c, 0xa, 0x20, 0x20, 0x20, 0x20,
        0x73, 0x65, 0x65, 0x64, 0x3a, 0x31, 0x34, 0x32, 0x2c, 0xa, 0x20, 0x20, 0x20, 0x20, 0x64,
        0x75, 0x72, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x6d, 0x73, 0x3a, 0x20, 0x30, 0x39, 0x5f,
        0x2c, 0xa, 0x20, 0x20, 0x20, 0x20, 0x73, 0x79, 0x73, 0x74, 0x65, 0x6d, 0x3a, 0x20, 0x45,
        0x63, 0x68, 0x6f, 0x28, 0xa, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x29, 0x2c,
        0x20, 0xa, 0x20, 0x20, 0x20, 0x65, 0x78, 0x70, 0x65, 0x63, 0x74, 0x3a, 0x20, 0x5b, 0xa,
        0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x22, 0x64, 0x65, 0x6c, 0x68, 0x6f, 0x20,
        0x72, 0x73, 0x20, 0x65, 0x61, 0xa, 0xa, 0xd, 0xd, 0xd, 0xd, 0xd, 0xd, 0x2f, 0x2f, 0x20,
        0x54, 0x68, 0x29, 0x20, 0x52, 0x6f, 0xa, 0x28, 0x0, 0x28, 0x28, 0x20, 0x77, 0x69, 0x20,
        0x20, 0x20, 0x63, 0x20, 0x3d, 0x3d, 0x20, 0x31, 0x22, 0x2c, 0xa, 0x20, 0x20, 0x20, 0x20,
        0x5d, 0x2c, 0xa, 0x29, 0xa,
    ]);
}

#[test]
fn the_seed_scenarios_round_trip() {
    for s in SEEDS {
        check(s.as_bytes());
        assert!(scenario::parse_bytes("seed.ron", s.as_bytes()).is_ok());
    }
}
