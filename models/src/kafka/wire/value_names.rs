//! Names for record values in pictures. A record's value is its identity,
//! `(producer + 1) << 40 | n` for the n-th record (from 1) that producer `producer` sent
//! (`clients/producer.rs`, `applications/txn_producer.rs`); a retry-topic copy also carries its
//! attempt count in the top byte (`applications/retry_topic.rs`). A 13-digit number means
//! nothing on a projected diagram, so exports show `p0#17`, and a run of one producer's
//! consecutive records as `p0#17..p0#36`. The trace and the history export keep the numbers.

const PRODUCER_SHIFT: u32 = 40;
const ATTEMPT_SHIFT: u32 = 56;
const SEQ_MASK: u64 = (1 << PRODUCER_SHIFT) - 1;

/// (producer, n, attempt) of a record value, or None for a number that is not one.
fn parts(v: u64) -> Option<(u64, u64, u64)> {
    let producer = (v >> PRODUCER_SHIFT) & ((1 << (ATTEMPT_SHIFT - PRODUCER_SHIFT)) - 1);
    (producer > 0).then(|| (producer - 1, v & SEQ_MASK, v >> ATTEMPT_SHIFT))
}

/// (producer, n) of a workload record value (the checkers' index into their per-value state).
pub fn split(v: u64) -> (usize, usize) {
    (
        ((v >> PRODUCER_SHIFT) - 1) as usize,
        (v & SEQ_MASK) as usize,
    )
}

/// `p0#17`, or `p0#17.try2` for a retry-topic copy after two failed attempts.
pub fn name(v: u64) -> Option<String> {
    let (producer, n, attempt) = parts(v)?;
    Some(match attempt {
        0 => format!("p{producer}#{n}"),
        a => format!("p{producer}#{n}.try{a}"),
    })
}

/// `text` (a history event's or a message's Debug text) with the numbers of every
/// `values: [..]` list named; runs of consecutive records of one producer are collapsed.
pub fn readable(text: &str) -> String {
    const OPEN: &str = "values: [";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at + OPEN.len()]);
        rest = &rest[at + OPEN.len()..];
        let Some(close) = rest.find(']') else { break };
        let list = &rest[..close];
        match list
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()
        {
            Some(values) => out.push_str(&runs(&values)),
            None => out.push_str(list),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Values as names, consecutive ones (same producer and attempt, n + 1) as `first..last`.
fn runs(values: &[u64]) -> String {
    let mut pieces: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let Some(first) = name(values[i]) else {
            pieces.push(values[i].to_string());
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < values.len()
            && values[j + 1] == values[j] + 1
            && name(values[j + 1]).is_some()
        {
            j += 1;
        }
        pieces.push(match j - i {
            0 => first,
            _ => format!("{first}..{}", name(values[j]).expect("checked")),
        });
        i = j + 1;
    }
    pieces.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_producer_and_sequence_names() {
        let v = |p: u64, n: u64| ((p + 1) << PRODUCER_SHIFT) | n;
        assert_eq!(name(v(0, 17)).as_deref(), Some("p0#17"));
        assert_eq!(
            name(v(2, 1) | (2 << ATTEMPT_SHIFT)).as_deref(),
            Some("p2#1.try2")
        );
        assert_eq!(name(12), None);
        let text = format!(
            "Send {{ producer: 0, p: 1, values: [{}, {}, {}, {}] }}",
            v(0, 1),
            v(0, 2),
            v(0, 3),
            v(1, 9)
        );
        assert_eq!(
            readable(&text),
            "Send { producer: 0, p: 1, values: [p0#1..p0#3, p1#9] }"
        );
        // Anything else is left alone: other fields, empty lists, non-numeric lists.
        assert_eq!(
            readable("Poll { first: 5, values: [] }"),
            "Poll { first: 5, values: [] }"
        );
        assert_eq!(
            readable("X { values: [a, 3] } 1099511627777"),
            "X { values: [a, 3] } 1099511627777"
        );
    }
}
