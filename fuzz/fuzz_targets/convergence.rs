//! Coverage-guided convergence fuzzing: libFuzzer's bytes become a [`Scenario`] (replicas
//! appending, syncing over a lossy network and the real protocol, reopening), the same
//! simulator and oracle as the seeded `tests/convergence.rs`. Any broken invariant panics,
//! which libFuzzer reports as a crash; `cargo fuzz tmin` shrinks it.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/sim/mod.rs"]
mod sim;

fuzz_target!(|data: &[u8]| {
    let scenario = sim::Scenario::from_bytes(data);
    if let Err(e) = scenario.run() {
        panic!("{e}\n\nregression test:\n{}", scenario.to_rust());
    }
});
