//! The loader in CI: arbitrary bytes, arbitrary text and mutated real scenarios go through
//! `scenario::parse_bytes`; it must return a scenario or a located diagnostic, never panic, and
//! an accepted scenario must survive a round trip through `to_ron` unchanged. (The cargo-fuzz
//! target in `fuzz/` does the same at scale; see docs/fuzzing.md.)

use msgsim::scenario;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../scenarios/quickstart.ron"),
    include_str!("../scenarios/echo/echo-healthy.ron"),
    include_str!("../scenarios/echo/echo-partition.ron"),
    include_str!("../scenarios/bench/echo.ron"),
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

#[test]
fn the_seed_scenarios_round_trip() {
    for s in SEEDS {
        check(s.as_bytes());
        assert!(scenario::parse_bytes("seed.ron", s.as_bytes()).is_ok());
    }
}
