//! The swarm profile's `reset` family: resets of a client's connections to a server
//! (`FaultSpec::ResetLink`: both ends closed at once, as a middlebox or a peer's RST does).
//! Generated here rather than in the kernel's nemesis (`sim/src/nemesis.rs`), which knows
//! nodes but not which are clients and which servers; from its own RNG stream
//! (`nemesis-reset`), so every other fault a seed draws is unchanged. Redis systems only (their
//! clients' connections are what the model's link-reset handling covers).

use msgsim_models::SystemConfig;
use msgsim_sim::FaultProfile;
use msgsim_sim::FaultSpec;
use msgsim_sim::rng::RngStream;

/// The family's name in a seed's kept families.
pub const FAMILY: &str = "reset";

/// Resets are rare next to the other faults: the mean gap is this many nemesis intervals.
const GAP_INTERVALS: u64 = 4;

/// The resets for `seed` under `profile` (swarm only), or `None` when the family is off: kept
/// with probability 1/2 per seed, like the swarm's other families; then one reset of a random
/// client ↔ server link every `GAP_INTERVALS × interval_ms_mean` on average (exponential gaps)
/// from the profile's start until `end_ms`.
pub fn generate(
    profile: &FaultProfile,
    system: &SystemConfig,
    seed: u64,
    end_ms: u64,
) -> Option<Vec<FaultSpec>> {
    let SystemConfig::Redis(cfg) = system else {
        return None;
    };
    if !profile.swarm || cfg.clients.is_empty() {
        return None;
    }
    let mut rng = RngStream::derive(seed, "nemesis-reset");
    if !rng.chance(0.5) {
        return None;
    }
    let servers = cfg.server_names();
    let mut out = Vec::new();
    let mut t = profile.start_ms;
    loop {
        t += rng.exponential(GAP_INTERVALS * profile.interval_ms_mean);
        if t >= end_ms {
            break;
        }
        let client = &cfg.clients[rng.pick(cfg.clients.len())];
        // A client bound to a server resets that link; one that follows the primary, a link to
        // any server (a reset of a link with no connection changes nothing).
        let server = match &client.server {
            Some(s) => s.clone(),
            None => servers[rng.pick(servers.len())].clone(),
        };
        out.push(FaultSpec::ResetLink {
            at_ms: t,
            a: client.name.clone(),
            b: server,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgsim_models::redis::{ClientSpec, RedisConfig};

    fn redis() -> SystemConfig {
        let client = |name: &str, server: Option<&str>| -> ClientSpec {
            let text = match server {
                Some(s) => format!("(name: \"{name}\", server: Some(\"{s}\"))"),
                None => format!("(name: \"{name}\")"),
            };
            ron::from_str(&text).expect("client spec")
        };
        SystemConfig::Redis(RedisConfig {
            servers: 3,
            clients: vec![client("c1", Some("r2")), client("c2", None)],
            ..RedisConfig::default()
        })
    }

    #[test]
    fn swarm_seeds_get_client_server_resets_and_the_rest_none() {
        let swarm = FaultProfile::preset("swarm").expect("swarm");
        let sys = redis();
        let (mut kept, mut total) = (0, 0);
        for seed in 0..40 {
            let Some(resets) = generate(&swarm, &sys, seed, 120_000) else {
                continue;
            };
            kept += 1;
            total += resets.len();
            for f in &resets {
                let FaultSpec::ResetLink { at_ms, a, b } = f else {
                    panic!("not a reset: {f:?}");
                };
                assert!(*at_ms >= swarm.start_ms && *at_ms < 120_000);
                match a.as_str() {
                    "c1" => assert_eq!(b, "r2"),
                    "c2" => assert!(["r1", "r2", "r3"].contains(&b.as_str())),
                    other => panic!("reset of a non-client {other}"),
                }
            }
            // Deterministic per seed.
            assert_eq!(generate(&swarm, &sys, seed, 120_000), Some(resets));
        }
        assert!((8..=32).contains(&kept), "kept on {kept} of 40 seeds");
        // About one reset per 40 s when kept (mean gap 4 × 10 s): ≈ 3 in 120 s.
        assert!(
            (kept..=6 * kept).contains(&total),
            "{total} resets on {kept} seeds"
        );
        let all = FaultProfile::preset("all").expect("all");
        assert_eq!(generate(&all, &sys, 1, 120_000), None);
    }

    /// The run's schedule (`runner::schedule`) carries the resets and names the family on the
    /// seeds that keep it; the nemesis's own faults are the same with or without it.
    #[test]
    fn swarm_schedules_of_a_redis_scenario_include_resets() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/redis/r20-split-brain.ron");
        let loaded = crate::scenario::load(&path).expect("scenario");
        let swarm = FaultProfile::preset("swarm").expect("swarm");
        let mut seen = 0;
        for seed in 0..20 {
            let (families, faults) = crate::runner::schedule(&loaded.scenario, seed, Some(&swarm));
            let resets = faults
                .iter()
                .filter(|f| matches!(f, FaultSpec::ResetLink { .. }))
                .count();
            if resets > 0 {
                assert!(
                    families.contains(&FAMILY),
                    "seed {seed}: resets without the family"
                );
                seen += 1;
            }
            let others: Vec<&FaultSpec> = faults
                .iter()
                .filter(|f| !matches!(f, FaultSpec::ResetLink { .. }))
                .collect();
            let (_, nemesis) = swarm.generate(
                seed,
                &loaded.scenario.system.fault_targets(),
                &loaded.scenario.system.node_names(),
                loaded.scenario.duration_ms,
            );
            let mut expected: Vec<&FaultSpec> = loaded.scenario.faults.iter().collect();
            expected.extend(nemesis.iter());
            expected.sort_by_key(|f| f.at_ms());
            assert_eq!(
                others, expected,
                "seed {seed}: the nemesis's faults changed"
            );
        }
        assert!(seen >= 3, "only {seen} of 20 seeds had a reset");
    }
}
