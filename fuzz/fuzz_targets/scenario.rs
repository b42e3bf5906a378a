//! Fuzz target: parsing, validation and a tiny run of edited bundled scenarios.
//!
//! Run from the repository root with `cargo +nightly fuzz run scenario`; see
//! `fuzz/README.md`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = enclave_fuzz::case(data);
    enclave_fuzz::check(&case);
});
