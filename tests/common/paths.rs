//! What the tests of the economics share: a scenario from text, one path's economy,
//! and the relative tolerance of deterministic cases (1e-9).

use enclave::economy::{EconomyPath, Workspace, simulate_path};
use enclave::scenario::Scenario;
use enclave::streams::Streams;

/// Whether `a` and `b` agree to 1e-9, relative (absolute near 0).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Parses a test scenario, panicking with its problems.
pub fn parse(text: &str) -> Scenario {
    Scenario::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Simulates path `p` of `scn` over its horizon and returns its economy.
pub fn economy(scn: &Scenario, p: u64) -> EconomyPath {
    let streams = Streams::new(scn.simulation.seed, &scn.params);
    let mut ws = Workspace::default();
    simulate_path(scn, scn.simulation.horizon, &streams, p, &mut ws);
    ws.out
}
