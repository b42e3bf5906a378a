//! Benchmarks (placeholder until the engine bench lands).
fn main() {}
