//! Writes the scenario file a fuzz input stands for, so a crash found by the fuzzer
//! becomes a readable regression case: `render ARTIFACT > tests/fuzz/NAME.toml`.

use std::io::Write;

fn main() -> std::io::Result<()> {
    let Some(file) = std::env::args_os().nth(1) else {
        eprintln!("usage: render FUZZ-INPUT > CASE.toml");
        std::process::exit(2);
    };
    let data = std::fs::read(file)?;
    let bytes = match enclave_fuzz::case(&data) {
        enclave_fuzz::Case::Text(t) => t.into_bytes(),
        enclave_fuzz::Case::Raw(b) => b,
    };
    std::io::stdout().write_all(&bytes)
}
