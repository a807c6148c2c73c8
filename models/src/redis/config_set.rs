//! `CONFIG SET` (config.c `configSetCommand`) for the settings a server may change at run
//! time in the model: `stream-node-max-entries` (an integer, `numericParseString` with no
//! flags: util.c `string2ll`) and `stream-node-max-bytes` (a memory value, util.c `memtoull`:
//! digits with an optional `b`/`k`/`kb`/`m`/`mb`/`g`/`gb` unit, any case), both bounded to
//! 0..=LLONG_MAX / LONG_MAX (`numericBoundaryCheck`). The value holds on this server only
//! (CONFIG SET is not propagated) until its restart, which reads the configuration file again.

use super::reply::Reply;
use super::server::Server;

/// `numericBoundaryCheck`'s text for both settings' bounds.
const BOUNDS: &str = "argument must be between 0 and 9223372036854775807 inclusive";

/// util.c `string2ll`: an optional `-`, then digits without a leading zero (or just `0`),
/// within `i64`.
fn string2ll(v: &str) -> Option<i64> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if !plain || (digits.len() > 1 && digits.starts_with('0')) || v == "-0" {
        return None;
    }
    v.parse().ok()
}

/// util.c `memtoull`: the digits (`strtoull`, saturating) times the unit, wrapping as C's
/// unsigned multiplication; a leading `-` or an unknown unit is an error.
fn memtoull(v: &str) -> Option<u64> {
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(n.wrapping_mul(mul))
}

impl Server {
    /// `CONFIG SET parameter value`: `+OK`, or config.c's error for an unknown parameter, a
    /// value that does not parse, or one out of bounds (the setting is left as it was).
    pub(super) fn config_set(&mut self, parameter: &str, value: &str) -> Reply {
        let failed = |e: &str| {
            Reply::Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {e}",
                parameter.to_ascii_lowercase()
            ))
        };
        match parameter.to_ascii_lowercase().as_str() {
            "stream-node-max-entries" => match string2ll(value) {
                None => return failed("argument couldn't be parsed into an integer"),
                Some(n) if n < 0 => return failed(BOUNDS),
                Some(n) => self.stream_node.max_entries = n as u64,
            },
            "stream-node-max-bytes" => match memtoull(value) {
                None => return failed("argument must be a memory value"),
                Some(n) if n > i64::MAX as u64 => return failed(BOUNDS),
                Some(n) => self.stream_node.max_bytes = n,
            },
            _ => {
                return Reply::Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{parameter}'"
                ));
            }
        }
        Reply::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_as_redis_parses_them() {
        assert_eq!(string2ll("250"), Some(250));
        assert_eq!(string2ll("-3"), Some(-3));
        assert_eq!(string2ll("0"), Some(0));
        for bad in ["", "-", "007", "1k", "+5", "-0", "99999999999999999999"] {
            assert_eq!(string2ll(bad), None, "{bad}");
        }
        assert_eq!(memtoull("4096"), Some(4096));
        assert_eq!(memtoull("2kb"), Some(2048));
        assert_eq!(memtoull("2K"), Some(2000));
        assert_eq!(memtoull("1Gb"), Some(1 << 30));
        assert_eq!(memtoull("7b"), Some(7));
        for bad in ["-1", "1x", "1 kb", "kb1"] {
            assert_eq!(memtoull(bad), None, "{bad}");
        }
    }
}
