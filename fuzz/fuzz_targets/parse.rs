//! Fuzz the scenario loader and validator: any bytes must give a scenario or a diagnostic,
//! never a panic, a hang or unbounded memory; an accepted scenario must survive a round trip
//! through `to_ron` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match msgsim::scenario::parse_bytes("fuzz.ron", data) {
        Ok(loaded) => {
            let text = msgsim::scenario::to_ron(&loaded.scenario);
            let again = msgsim::scenario::parse("roundtrip.ron", text)
                .unwrap_or_else(|d| panic!("a written scenario does not load again: {d}"));
            assert_eq!(
                again.scenario, loaded.scenario,
                "round trip changed the scenario"
            );
        }
        Err(d) => {
            let _ = d.to_string();
        }
    }
});
