//! Hostile input refused up front, with the exact message a user sees: integers
//! checked in the type they are read into, limits on counts, rates, threads, work
//! and memory (each message names the limit and how to change it), file size and
//! encoding, and errors inside formulas put at the line of their key (issue 7).
//!
//! Bad scenarios are the reference scenario with single lines replaced, so the line
//! numbers in the messages are known exactly.

mod common;

use common::{REFERENCE, TestDir, bad_input, problem_lines, replace_line};

/// The reference with each `(prefix, new line)` replaced, and the new lines' numbers.
fn edited(edits: &[(&str, &str)]) -> (String, Vec<usize>) {
    let mut text = REFERENCE.to_owned();
    let lines = edits
        .iter()
        .map(|(prefix, new)| replace_line(&mut text, prefix, new))
        .collect();
    (text, lines)
}

/// The problem lines `validate` prints for `text`, saved as `name`.
fn validate(name: &str, text: &str) -> Vec<String> {
    let t = TestDir::new();
    t.create(name, text);
    let stderr = bad_input(&t.cmd(&["validate", name]));
    problem_lines(&stderr, name)
}

/// `enclave ARGS` in a fresh folder, checked to be refused as bad input; its stderr.
fn refused(args: &[&str], files: &[(&str, &str)]) -> String {
    let t = TestDir::new();
    for (name, text) in files {
        t.create(name, text);
    }
    let out = t.cmd(args);
    let stderr = bad_input(&out);
    assert!(
        !t.exists("out"),
        "a refused run must not create its output folder"
    );
    stderr
}

// ---- exact integers ----------------------------------------------------------------

#[test]
fn schedule_year_past_u32_is_refused_not_wrapped() {
    let (text, lines) = edited(&[("years = [11, 30]", "years = [11, 4294967297]")]);
    assert_eq!(
        validate("years.toml", &text),
        [format!(
            "  years.toml:{}: sharing[3].tax.periods[1].years[1]: expected a whole number in [1, 9999], found 4294967297",
            lines[0]
        )]
    );
}

#[test]
fn first_schedule_year_past_u32_is_refused() {
    let (text, lines) = edited(&[("years = [1, 10]", "years = [1, 4294967297]")]);
    // The next period is checked against the year as written, not a wrapped one.
    let problems = validate("years.toml", &text);
    assert_eq!(
        problems[0],
        format!(
            "  years.toml:{}: sharing[3].tax.periods[0].years[1]: expected a whole number in [1, 9999], found 4294967297",
            lines[0]
        )
    );
    assert_eq!(
        problems[1],
        format!(
            "  years.toml:{}: sharing[3].tax.periods[1].years: expected [4294967298, n] with n ≥ 4294967298 (periods contiguous from year 1 of cooperation, which is 2026), found [11, 30]",
            lines[0] + 3
        )
    );
}

/// The reference with its scenario's `start_year = 2026` (the first) replaced by
/// `start_year = NEW`, and that line's number.
fn start_year(new: &str) -> (String, usize) {
    let mut text = REFERENCE.to_owned();
    let at = text.find("start_year = 2026").expect("scenario start_year");
    text.replace_range(
        at..at + "start_year = 2026".len(),
        &format!("start_year = {new}"),
    );
    let line = text[..at].matches('\n').count() + 1;
    (text, line)
}

#[test]
fn start_year_outside_the_calendar_range_is_refused() {
    // Within i32 and beyond it (which once said `expected i32`).
    for year in ["2147483000", "99999999999"] {
        let (text, line) = start_year(year);
        let problems = validate("start.toml", &text);
        assert_eq!(
            problems[0],
            format!(
                "  start.toml:{line}: scenario.start_year: expected a calendar year in [1900, 2200], found {year}"
            )
        );
    }
}

#[test]
fn a_number_that_is_not_whole_where_a_whole_number_goes_gets_the_fields_range() {
    // Each once said `invalid type: floating point `2.5`, expected i64` (or i32).
    let (mut text, start) = start_year("2026.5");
    let horizon = replace_line(&mut text, "horizon = 30", "horizon = 30.5");
    let phase = replace_line(&mut text, "start_year = 2029", "start_year = 2029.5");
    let ramp = replace_line(&mut text, "ramp_years = 2", "ramp_years = 2.0");
    let period = replace_line(&mut text, "years = [11, 30]", "years = [11, 30.5]");
    assert_eq!(
        validate("whole.toml", &text),
        [
            format!(
                "  whole.toml:{start}: scenario.start_year: expected a calendar year in [1900, 2200], found 2026.5"
            ),
            format!(
                "  whole.toml:{horizon}: simulation.horizon: expected a whole number in [1, 200], found 30.5"
            ),
            format!(
                "  whole.toml:{phase}: park.phases[1].start_year: expected a calendar year in [2026, 3026], found 2029.5"
            ),
            format!(
                "  whole.toml:{ramp}: firms.sectors[3].ramp_years: expected a whole number in [0, 50], written without a decimal point or exponent, found 2.0"
            ),
            format!(
                "  whole.toml:{period}: sharing[3].tax.periods[1].years[1]: expected a year of cooperation (a whole number), found 30.5"
            ),
        ]
    );
    // With a problem the first stage reports (an unknown key), validation does
    // not run: the number is still said to be not whole, without its range.
    // The problems come in the order of their lines.
    let mut text = REFERENCE.to_owned();
    let horizon = replace_line(&mut text, "horizon = 30", "horizon = 30.5");
    let unknown = replace_line(&mut text, "seed = 20180330", "sead = 20180330");
    assert!(unknown < horizon);
    assert_eq!(
        validate("whole.toml", &text),
        [
            format!(
                "  whole.toml:{unknown}: simulation.sead: unknown field `sead`, expected one of `paths`, `seed`, `horizon`, `fairness`, `sampler`, `antithetic`; did you mean `seed`?"
            ),
            format!(
                "  whole.toml:{horizon}: simulation.horizon: expected a whole number, found 30.5"
            ),
        ]
    );
}

#[test]
fn integer_too_large_for_an_exact_number_is_refused() {
    let (text, lines) = edited(&[("arrival_rate = ", "arrival_rate = 9007199254740993")]);
    assert_eq!(
        validate("big.toml", &text),
        [format!(
            "  big.toml:{}: firms.arrival_rate: expected a number of magnitude at most 9007199254740992 (2^53, above which it would be rounded), found 9007199254740993",
            lines[0]
        )]
    );
}

#[test]
fn an_integer_beyond_tomls_range_names_its_field_and_the_range() {
    // The largest u64, which --seed takes: TOML's integers stop at 2^63 − 1.
    // (Once `(syntax): u64 value was too large`.)
    let (text, lines) = edited(&[("seed = ", "seed = 18446744073709551615")]);
    assert_eq!(
        validate("seed.toml", &text),
        [format!(
            "  seed.toml:{}: simulation.seed: expected a seed in [0, 9223372036854775807] (the largest integer a TOML file holds), found 18446744073709551615; --seed takes seeds up to 18446744073709551615",
            lines[0]
        )]
    );
    let (text, lines) = edited(&[("seed = ", "seed = -1")]);
    assert_eq!(
        validate("seed.toml", &text),
        [format!(
            "  seed.toml:{}: simulation.seed: expected a seed in [0, 9223372036854775807], found -1",
            lines[0]
        )]
    );
    // In an array of tables, counted to its index. (Once `invalid type: integer
    // `…` as i128, expected any valid TOML value`.)
    let (text, lines) = edited(&[("ramp_years = 2", "ramp_years = 99999999999999999999")]);
    assert_eq!(
        validate("big.toml", &text),
        [format!(
            "  big.toml:{}: firms.sectors[3].ramp_years: expected an integer in [-9223372036854775808, 9223372036854775807], the range of TOML's integers, found 99999999999999999999",
            lines[0]
        )]
    );
}

// ---- arrival rates and the macro shock ---------------------------------------------

#[test]
fn huge_arrival_rate_is_refused() {
    // Within the input magnitude limit, the arrival bound refuses it.
    let (text, lines) = edited(&[("arrival_rate = ", "arrival_rate = 1e12")]);
    assert_eq!(
        validate("rate.toml", &text),
        [format!(
            "  rate.toml:{}: firms.arrival_rate: expected at most 1000000 prospective firms a year (each is simulated one by one), found up to 2.292e12 (firms.arrival_rate up to 1.000e12 × attractiveness up to 1.375 × rebate attractiveness up to 1.1 × macro multiplier e^(6 × 0.069)); lower firms.arrival_rate or the attractiveness effects",
            lines[0]
        )]
    );
    // Beyond it (1e300 once silently gave no firms), the magnitude limit does.
    let (text, lines) = edited(&[("arrival_rate = ", "arrival_rate = 1e300")]);
    assert_eq!(
        validate("rate.toml", &text),
        [format!(
            "  rate.toml:{}: firms.arrival_rate: expected a number within ±1e12, found 1e300",
            lines[0]
        )]
    );
}

#[test]
fn an_arrival_rate_over_the_limit_with_the_default_macro_shock_is_put_at_its_line() {
    // Within the limit but for the macro multiplier, which is the default one
    // (no [macro] table): the rate, which has a line, is the one to lower.
    let (text, lines) = edited(&[
        ("arrival_rate = ", "arrival_rate = 600000"),
        ("[macro]", "# no macro table"),
        ("persistence = 0.5", "#"),
        ("volatility = 0.06", "#"),
    ]);
    assert_eq!(
        validate("rate.toml", &text),
        [format!(
            "  rate.toml:{}: firms.arrival_rate: expected at most 1000000 prospective firms a year (each is simulated one by one), found up to 1.283e6 (firms.arrival_rate up to 600000 × attractiveness up to 1.375 × rebate attractiveness up to 1.1 × macro multiplier e^(6 × 0.058)); lower firms.arrival_rate or the attractiveness effects, or the macro shock's macro.persistence or macro.volatility (without a [macro] table, 0.5 and 0.05), whose multiplier grows over the 30 years",
            lines[0]
        )]
    );
}

#[test]
fn unit_root_macro_shock_is_refused() {
    let (text, lines) = edited(&[
        ("horizon = 30", "horizon = 100"),
        ("persistence = 0.5", "persistence = 1"),
        ("volatility = 0.06", "volatility = 1"),
    ]);
    assert_eq!(
        validate("macro.toml", &text),
        [format!(
            "  macro.toml:{}: macro.volatility: expected at most 1000000 prospective firms a year (each is simulated one by one), found up to 2.418e27 (firms.arrival_rate up to 14 × attractiveness up to 1.375 × rebate attractiveness up to 1.1 × macro multiplier e^(6 × 10.000)); a macro shock this persistent and volatile over 100 years makes the arrival rate explode; lower macro.persistence or macro.volatility",
            lines[2]
        )]
    );
}

/// `run`, `sensitivity` and `solve` check the arrival limit at a `--horizon`
/// of the command line too, naming the field's line as validation does.
#[test]
fn longer_horizon_on_the_command_line_is_checked_too() {
    let (text, lines) = edited(&[
        ("persistence = 0.5", "persistence = 1"),
        ("volatility = 0.06", "volatility = 0.3"),
    ]);
    for args in [
        &["run", "m.toml", "--horizon", "200", "--out", "out"][..],
        &["sensitivity", "m.toml", "--horizon", "200", "--out", "out"],
        &[
            "solve",
            "m.toml",
            "--alternative",
            "fixed 50:50",
            "--target",
            "nash",
            "--horizon",
            "200",
        ],
    ] {
        let stderr = refused(args, &[("m.toml", &text)]);
        assert_eq!(
            stderr,
            format!(
                "error: m.toml:{}: macro.volatility: with --horizon 200: expected at most 1000000 prospective firms a year (each is simulated one by one), found up to 2.405e12 (firms.arrival_rate up to 14 × attractiveness up to 1.375 × rebate attractiveness up to 1.1 × macro multiplier e^(6 × 4.243)); a macro shock this persistent and volatile over 200 years makes the arrival rate explode; lower macro.persistence or macro.volatility\n",
                lines[1]
            ),
            "{args:?}"
        );
    }
}

// ---- counts, file size and encoding ------------------------------------------------

#[test]
fn too_many_alternatives_are_refused_at_the_array() {
    let mut text = REFERENCE.to_owned();
    for i in 0..100 {
        text.push_str(&format!(
            "\n[[sharing]]\nname = \"more {i}\"\ntax = {{ kind = \"equity\" }}\n"
        ));
    }
    let line = text
        .lines()
        .position(|l| l == "[[sharing]]")
        .expect("a [[sharing]] table")
        + 1;
    assert_eq!(
        validate("many.toml", &text),
        [format!(
            "  many.toml:{line}: sharing: expected at most 100 alternatives, found 107"
        )]
    );
}

#[test]
fn file_over_the_size_limit_is_refused_unread() {
    let mut text = REFERENCE.to_owned();
    let pad = "# padding\n".repeat((4 << 20) / 10 + 1);
    text.push_str(&pad);
    assert_eq!(
        validate("huge.toml", &text),
        [
            "  huge.toml: (file): expected a scenario file of at most 4194304 bytes (4 MiB), found a larger one"
        ]
    );
}

#[test]
fn utf16_file_is_named_as_such() {
    let t = TestDir::new();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in REFERENCE.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(t.join("utf16.toml"), bytes).expect("write");
    let stderr = bad_input(&t.cmd(&["validate", "utf16.toml"]));
    assert_eq!(
        problem_lines(&stderr, "utf16.toml"),
        [
            "  utf16.toml:1: (encoding): the file is UTF-16LE (it starts with a UTF-16LE byte order mark); save it as UTF-8"
        ]
    );
}

#[test]
fn non_utf8_byte_is_located_by_offset_line_and_column() {
    let t = TestDir::new();
    // `name = "浙江"` in GBK: 0xD5 0xE3 0xBD 0xAD is not UTF-8.
    let mut bytes = b"[scenario]\nid = \"x\"\nname = \"".to_vec();
    bytes.extend_from_slice(&[0xD5, 0xE3, 0xBD, 0xAD]);
    bytes.extend_from_slice(b"\"\n");
    std::fs::write(t.join("gbk.toml"), bytes).expect("write");
    let stderr = bad_input(&t.cmd(&["validate", "gbk.toml"]));
    assert_eq!(
        problem_lines(&stderr, "gbk.toml"),
        [
            "  gbk.toml:3: (encoding): the byte at offset 28 (0xD5, line 3, column 9) is not valid UTF-8; the file must be UTF-8 (convert a GBK file with e.g. `iconv -f GBK -t UTF-8`)"
        ]
    );
}

// ---- errors inside formulas --------------------------------------------------------

#[test]
fn typo_in_a_tranche_is_reported_at_its_key() {
    let (text, lines) = edited(&[(
        "shares = { zhejiang = 0.7, jilin = 0.3 }",
        "shraes = { zhejiang = 0.7, jilin = 0.3 }",
    )]);
    assert_eq!(
        validate("tranche.toml", &text),
        [format!(
            "  tranche.toml:{}: sharing[5].tax.tranches[2].shraes: unknown field `shraes`, expected one of `up_to`, `shares`, `formula`; did you mean `shares`?",
            lines[0]
        )]
    );
}

#[test]
fn wrong_type_in_a_tranche_names_the_key() {
    let (text, lines) = edited(&[("up_to = 20", "up_to = \"twenty\"")]);
    assert_eq!(
        validate("tranche.toml", &text),
        [format!(
            "  tranche.toml:{}: sharing[5].tax.tranches[0].up_to: invalid type: string \"twenty\", expected a number",
            lines[0]
        )]
    );
}

#[test]
fn wrong_type_in_a_period_names_the_key() {
    let (text, lines) = edited(&[("years = [11, 30]", "years = [11, \"end\"]")]);
    assert_eq!(
        validate("period.toml", &text),
        [format!(
            "  period.toml:{}: sharing[3].tax.periods[1].years[1]: invalid type: string \"end\", expected a whole number",
            lines[0]
        )]
    );
}

#[test]
fn unknown_key_in_an_inner_formula_is_reported_at_its_line() {
    let (text, lines) = edited(&[(
        "inner = { kind = \"fixed\", shares = { zhejiang = 0.6, jilin = 0.4 } }",
        "inner = { kind = \"fixed\", shares = { zhejiang = 0.6, jilin = 0.4 }, extra = 1 }",
    )]);
    assert_eq!(
        validate("inner.toml", &text),
        [format!(
            "  inner.toml:{}: sharing[4].tax.inner.extra: unknown field `extra`, expected `shares`",
            lines[0]
        )]
    );
}

// ---- limits of a run ---------------------------------------------------------------

#[test]
fn absurd_thread_counts_are_refused_before_any_work() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    for threads in ["18446744073709551615", "100000"] {
        let started = std::time::Instant::now();
        let stderr = refused(&["run", "--threads", threads, "--out", "out"], &[]);
        assert_eq!(
            stderr,
            format!(
                "error: --threads {threads} is above the limit of {} worker threads (4 per core on {cores} cores); raise the limit with --max-threads {threads}\n",
                4 * cores
            )
        );
        assert!(started.elapsed().as_secs() < 10, "refused late");
    }
}

#[test]
fn max_threads_raises_the_thread_limit() {
    let t = TestDir::new();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = (4 * cores + 1).to_string();
    t.ok(&[
        "run",
        "--threads",
        &threads,
        "--max-threads",
        &threads,
        "--paths",
        "300",
        "--charts",
        "none",
        "--quiet",
        "--out",
        "out",
    ]);
}

#[test]
fn expected_work_over_the_budget_is_refused() {
    let stderr = refused(&["run", "--paths", "100000000", "--out", "out"], &[]);
    assert_eq!(
        stderr,
        "error: scenarios/jilin-zhejiang.toml: work of up to 4.00e12 firm-years (100000000 paths × 30 years × (2 parks (the park and its coalitions') × (21.2 arrivals + 637 firms) + 16 evaluations) a year) is above the budget of 5.00e10; lower --paths or --horizon, or raise the budget with --max-work 4.0e12\n"
    );
}

/// A set's scenarios share one budget: two scenarios each within it but over it
/// together are refused once, with the total and the largest (a sweep of 1,000
/// small scenarios had passed a budget 50 times smaller than its total).
#[test]
fn a_sets_scenarios_count_together_against_the_work_budget() {
    let b = REFERENCE.replacen("id = \"jilin-zhejiang\"", "id = \"b\"", 1);
    let files = [("a.toml", REFERENCE), ("b.toml", b.as_str())];
    // 4.00e7 firm-years each at 1,000 paths.
    let stderr = refused(
        &[
            "run",
            "a.toml",
            "b.toml",
            "--paths",
            "1000",
            "--max-work",
            "6e7",
            "--out",
            "out",
        ],
        &files,
    );
    assert_eq!(
        stderr,
        "error: the set's 2 scenarios: work of up to 7.99e7 firm-years (the most: a.toml 4.00e7, b.toml 4.00e7) is above the budget of 6.00e7; lower --paths or --horizon, or raise the budget with --max-work 8.1e7\n"
    );
    let t = TestDir::new();
    for (name, text) in files {
        t.create(name, text);
    }
    t.ok(&[
        "run",
        "a.toml",
        "b.toml",
        "--paths",
        "1000",
        "--horizon",
        "3",
        "--max-work",
        "6e7",
        "--summary-only",
        "--quiet",
        "--out",
        "out",
    ]);
}

/// The work budget applies to what the process simulates: a shard's paths, or
/// the pilot's, of a run too large for one machine.
#[test]
fn the_work_budget_counts_the_paths_of_the_shard_or_the_pilot() {
    let stderr = refused(
        &[
            "run",
            "--paths",
            "100000000",
            "--shard",
            "1/2",
            "--out",
            "out",
        ],
        &[],
    );
    assert_eq!(
        stderr,
        "error: scenarios/jilin-zhejiang.toml: work of up to 2.00e12 firm-years for shard 1 of 2's 49999872 of its 100000000 paths (49999872 paths × 30 years × (2 parks (the park and its coalitions') × (21.2 arrivals + 637 firms) + 16 evaluations) a year) is above the budget of 5.00e10; use more shards, lower --paths or --horizon, or raise the budget with --max-work 2.0e12\n"
    );
    let stderr = refused(
        &[
            "run",
            "--paths",
            "100000000",
            "--pilot",
            "--max-work",
            "1e7",
            "--out",
            "out",
        ],
        &[],
    );
    assert!(
        stderr.contains(
            "firm-years for the pilot's 1024 of its 100000000 paths (1024 paths × 30 years"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("; lower --horizon, or raise the budget with --max-work"),
        "{stderr}"
    );
    // 100,000 shards of the same run: shard 1 holds 1,024 paths, well within.
    let t = TestDir::new();
    let args = [
        "run",
        "--paths",
        "100000000",
        "--horizon",
        "4",
        "--quiet",
        "--out",
        "out",
    ];
    let shard = [&args[..], &["--shard", "1/100000"]].concat();
    t.ok(&shard);
    assert!(t.exists("out/jilin-zhejiang.partial/part-1-of-100000.json"));
    t.ok(&[&args[..], &["--pilot"]].concat());
    assert!(t.exists("out/jilin-zhejiang.partial/pilot.json"));
    // A replay simulates one path (twice), whatever the run's --paths: it was
    // held to the full run's budget (exploratory test).
    t.ok(&[&args[..], &["--replay", "5"]].concat());
    assert!(t.exists("out/jilin-zhejiang.replay-5/replay.json"));
}

/// A scenario whose complete results are in its folder is skipped, not
/// simulated, so the budget leaves it out: the rerun of a set run with a
/// raised --max-work was refused under the default (exploratory test).
#[test]
fn a_scenario_the_run_skips_does_not_count_against_the_work_budget() {
    let t = TestDir::new();
    let b = REFERENCE.replacen("id = \"jilin-zhejiang\"", "id = \"b\"", 1);
    t.create("a.toml", REFERENCE);
    t.create("b.toml", &b);
    // A budget of one and a half scenarios' work at 1,000 paths and 8 years,
    // as the engine estimates it: one fits, two do not.
    let scn = enclave::scenario::Scenario::reference().expect("bundled scenario");
    let cfg = enclave::engine::RunConfig {
        paths: 1000,
        horizon: 8,
        ..enclave::engine::RunConfig::from_scenario(&scn)
    };
    let budget = format!("{:e}", 1.5 * enclave::engine::estimate(&scn, &cfg).work);
    let args = |files: &[&str], budget: &str| -> Vec<String> {
        let mut a = vec!["run".to_owned()];
        a.extend(files.iter().map(|f| (*f).to_owned()));
        for x in [
            "--paths",
            "1000",
            "--horizon",
            "8",
            "--charts",
            "none",
            "--report",
            "none",
            "--quiet",
            "--out",
            "out",
            "--max-work",
            budget,
        ] {
            a.push(x.to_owned());
        }
        a
    };
    let run = |files: &[&str], budget: &str, extra: &[&str]| {
        let mut a = args(files, budget);
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        t.cmd(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let ok = |out: std::process::Output| {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    ok(run(&["a.toml"], &budget, &[]));
    // Only b is simulated: within the budget, though the two together are not.
    ok(run(&["a.toml", "b.toml"], &budget, &[]));
    // Both complete: nothing to simulate, within any budget.
    let stderr = ok(run(&["a.toml", "b.toml"], "1", &[]));
    assert!(!stderr.contains("error"), "{stderr}");
    // With --force both are simulated again, and counted.
    let stderr = bad_input(&run(&["a.toml", "b.toml"], &budget, &["--force"]));
    assert!(
        stderr.contains("error: the set's 2 scenarios: work of up to "),
        "{stderr}"
    );
}

#[test]
fn expected_memory_over_the_budget_is_refused() {
    let stderr = refused(
        &[
            "run",
            "--threads",
            "2",
            "--max-memory",
            "16M",
            "--out",
            "out",
        ],
        &[],
    );
    // The size is the engine's own estimate (it grows with every declared measure),
    // rounded up to whole MiB as the message does.
    let scn = enclave::scenario::Scenario::reference().expect("bundled scenario");
    let cfg = enclave::engine::RunConfig {
        threads: 2,
        ..enclave::engine::RunConfig::from_scenario(&scn)
    };
    let mib = (enclave::engine::estimate(&scn, &cfg).memory_bytes / f64::from(1u32 << 20)).ceil();
    assert!(
        mib > 16.0,
        "the reference run needs {mib} MiB, within the test's budget"
    );
    assert_eq!(
        stderr,
        format!(
            "error: scenarios/jilin-zhejiang.toml: the run needs about {mib:.0} MiB of memory (7 alternatives × 2 regions × 30 years of statistics on 2 workers), above the budget of 16 MiB; use fewer alternatives, a shorter --horizon or fewer --threads, or raise the budget with --max-memory {mib:.0}M\n"
        )
    );
}

/// A budget that is not a whole number of MiB reads as it was given, and one
/// worker is one worker.
#[test]
fn a_memory_budget_reads_as_given() {
    for (budget, shown) in [("1K", "1 KiB"), ("1500K", "1500 KiB"), ("2048k", "2 MiB")] {
        let stderr = refused(
            &[
                "run",
                "--threads",
                "1",
                "--max-memory",
                budget,
                "--out",
                "out",
            ],
            &[],
        );
        assert!(
            stderr.contains(&format!(
                " years of statistics on 1 worker), above the budget of {shown}; "
            )),
            "{budget}: {stderr}"
        );
    }
}

#[test]
fn bad_work_budgets_are_rejected_by_the_parser() {
    let t = TestDir::new();
    for bad in ["nan", "-1", "inf"] {
        let out = t.cmd(&["run", &format!("--max-work={bad}")]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "invalid value '{bad}' for '--max-work <UNITS>': expected a finite number > 0, such as 5e10"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn bad_memory_sizes_are_rejected_by_the_parser() {
    let t = TestDir::new();
    for (bad, why) in [
        ("lots", "expected a size such as 512M, 4G or 1T"),
        (
            "512",
            "expected a size with its unit K, M, G or T (binary), such as 512M or 4G, found `512`",
        ),
        (
            "99999999999999999999G",
            "expected a size below 2^64 bytes, found 99999999999999999999G",
        ),
        ("17179869184G", "expected a size below 2^64 bytes"),
        ("1.5G", "expected a whole number before the unit"),
    ] {
        let out = t.cmd(&["run", "--max-memory", bad]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "invalid value '{bad}' for '--max-memory <SIZE>': {why}"
            )),
            "{stderr}"
        );
    }
}

/// Validation time grows linearly with the file: doubling a file of many
/// (refused) sectors with unknown keys, the worst case found, about doubles the
/// time. Timed, so not run by default: `cargo test --release --test limits --
/// --ignored --nocapture`.
#[test]
#[ignore = "timing measurement"]
fn validation_time_grows_linearly_with_file_size() {
    use enclave::scenario::Scenario;
    let sector = "\n[[firms.sectors]]\nname = \"s\"\nweight = 1\nland_per_firm_mu = 10\nrevenue_per_mu = 1\nvalue_added_ratio = 0.3\nprofit_margin = 0.1\nwage_share = 0.1\nbogus = 1\n";
    let file = |bytes: usize| {
        let mut text = REFERENCE.to_owned();
        while text.len() < bytes {
            text.push_str(sector);
        }
        text
    };
    let time = |text: &str| {
        let started = std::time::Instant::now();
        assert!(Scenario::parse(text, "big.toml").is_err());
        started.elapsed().as_secs_f64()
    };
    let mut times = Vec::new();
    // Doubling up to just under the file size limit (4 MiB).
    for kib in [512, 1024, 2048, 4000] {
        let text = file(kib << 10);
        assert!(text.len() < 4 << 20, "{kib} KiB is over the file limit");
        let t = (0..3).map(|_| time(&text)).fold(f64::INFINITY, f64::min);
        println!("{kib} KiB: {t:.3} s");
        times.push(t);
    }
    for w in times.windows(2) {
        assert!(w[1] < 3.0 * w[0], "doubling the file took {times:?}");
    }
}

#[test]
fn a_continuation_needs_formulas_that_settle_within_its_limit() {
    // A guarantee running to year 5,000 would be valued year by year, its pool grown
    // beyond the double range: refused, at the formula's line. Up to the limit it runs.
    let (text, lines) = edited(&[
        ("continuation = \"none\"", "continuation = \"perpetuity\""),
        (
            "inner = { kind = \"fixed\", shares = { zhejiang = 0.4, jilin = 0.6 } }",
            "inner = { kind = \"fixed\", shares = { zhejiang = 0.4, jilin = 0.6 } }\nlast_year = 5000",
        ),
    ]);
    let problems = validate("long.toml", &text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("  long.toml:{}: ", lines[1] - 5))
            && problems[0].contains("sharing[6].tax: expected a formula that stays the same from year 1000 of cooperation at the latest")
            && problems[0].contains("changes until year 5001"),
        "{problems:?} (edited lines {lines:?})"
    );
    let (text, _) = edited(&[
        ("continuation = \"none\"", "continuation = \"perpetuity\""),
        (
            "inner = { kind = \"fixed\", shares = { zhejiang = 0.4, jilin = 0.6 } }",
            "inner = { kind = \"fixed\", shares = { zhejiang = 0.4, jilin = 0.6 } }\nlast_year = 999",
        ),
    ]);
    enclave::scenario::Scenario::from_bytes(text.as_bytes(), "ok.toml")
        .expect("settles in year 1000");
}

#[test]
fn a_guarantee_without_end_needs_a_continuation_rate_above_0() {
    // The reference's guarantee (sharing[6]) has no last year: paid forever, its
    // return has no finite value at a rate of 0, even with a shrinking pool.
    let perpetuity = |rate: &str| {
        edited(&[(
            "continuation = \"none\"",
            &format!(
                "continuation = \"perpetuity\"\ncontinuation_growth = -0.1\ncontinuation_discount_rate = {rate}"
            ),
        )])
        .0
    };
    let problems = validate("forever.toml", &perpetuity("0.0"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("outcome.continuation_discount_rate: expected a rate above 0")
            && problems[0].contains("sharing[6].tax guarantees a return that never ends"),
        "{problems:?}"
    );
    enclave::scenario::Scenario::from_bytes(perpetuity("0.01").as_bytes(), "ok.toml")
        .expect("a rate above 0");
}

/// A file with more problems than reading makes passes says it stopped: 250
/// contributions with an unknown key each used to give "200 problems found"
/// and no hint that 50 more were never read.
#[test]
fn reading_that_stops_before_the_last_problem_says_so() {
    let mut text = REFERENCE.to_owned();
    for i in 0..250 {
        text.push_str(&format!(
            "\n[[contributions]]\nregion = \"zhejiang\"\nkind = \"cash\"\nvalue = 1\nyear = 2026\nnote{i} = 1\n"
        ));
    }
    let t = TestDir::new();
    t.create("many.toml", &text);
    let stderr = bad_input(&t.cmd(&["validate", "many.toml"]));
    assert!(
        stderr.contains("many.toml: 200 problems found, and maybe more"),
        "{stderr}"
    );
    assert!(
        stderr.contains("many.toml: (stopped): reading stopped after these 200 problems"),
        "{stderr}"
    );
    // A file whose problems all fit says nothing of the kind.
    let (one, _) = edited(&[("seed = 20180330", "sead = 20180330")]);
    t.create("one.toml", &one);
    let stderr = bad_input(&t.cmd(&["validate", "one.toml"]));
    assert!(stderr.contains("1 problem found\n"), "{stderr}");
    assert!(!stderr.contains("stopped"), "{stderr}");
}

/// `low`/`high` in a distribution are a uniform's `min`/`max`, not the truncation
/// bounds `lower`/`upper` that spelling alone suggested (exploratory test).
#[test]
fn a_distribution_s_low_and_high_suggest_min_and_max() {
    let (text, lines) = edited(&[(
        "arrival_rate = ",
        "arrival_rate = { dist = \"uniform\", low = 4, high = 12 }",
    )]);
    let problems = validate("low.toml", &text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    for (key, want) in [("low", "min"), ("high", "max")] {
        let prefix = format!(
            "  low.toml:{}: firms.arrival_rate.{key}: unknown field `{key}`",
            lines[0]
        );
        let hint = format!("; did you mean `{want}`?");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&prefix) && p.ends_with(&hint)),
            "{problems:#?}"
        );
    }
}

/// TOML's bare "duplicate key" named no table or key: a second `[taxes]`, a
/// `[sharing]` where another `[[sharing]]` entry was meant, a key written twice
/// (exploratory test). Each is now said in the file's terms, with the first's line.
#[test]
fn duplicates_name_the_table_or_key_and_the_first_line() {
    let line_of = |text: &str, prefix: &str| {
        text.lines()
            .position(|l| l.starts_with(prefix))
            .expect("the line")
            + 1
    };
    let mut twice = REFERENCE.to_owned();
    twice.push_str("\n[taxes]\niit_rate = 0.05\n");
    let last = twice.lines().count() - 1;
    assert_eq!(
        validate("twice.toml", &twice),
        [format!(
            "  twice.toml:{last}: taxes: the table `[taxes]` appears twice (first at line {}): write its keys under one header",
            line_of(REFERENCE, "[taxes]")
        )]
    );
    let first = REFERENCE.find("[[sharing]]").expect("sharing");
    let second = first + 1 + REFERENCE[first + 1..].find("[[sharing]]").expect("two");
    let single = format!(
        "{}[sharing]{}",
        &REFERENCE[..second],
        &REFERENCE[second + 11..]
    );
    assert_eq!(
        validate("single.toml", &single),
        [format!(
            "  single.toml:{}: sharing: `[sharing]` after `[[sharing]]` (line {}): another entry of the list is written `[[sharing]]`",
            line_of(&single, "[sharing]"),
            line_of(REFERENCE, "[[sharing]]")
        )]
    );
    // The other order: a table, then entries of a list of the same name.
    let table_first = REFERENCE.replacen("[[sharing]]", "[sharing]", 1);
    assert_eq!(
        validate("first.toml", &table_first),
        [format!(
            "  first.toml:{}: sharing: `[[sharing]]` after the table `[sharing]` (line {}): every entry of the list is written `[[sharing]]`, the first too",
            line_of(&table_first, "[[sharing]]"),
            line_of(REFERENCE, "[[sharing]]")
        )]
    );
    // A key twice in an inline table: no first line to give, but what to look for.
    let (inline, lines) = edited(&[(
        "gdp = { kind = \"fixed\", shares = { zhejiang = 0.5, jilin = 0.5 } }",
        "gdp = { kind = \"fixed\", shares = { zhejiang = 0.5, zhejiang = 0.5 } }",
    )]);
    let problems = validate("inline.toml", &inline);
    assert!(
        problems.len() == 1
            && problems[0].starts_with(&format!("  inline.toml:{}: (syntax): duplicate key: a key or table is defined twice here: a key repeated inside an inline table", lines[0])),
        "{problems:#?}"
    );
    let (key, lines) = edited(&[("seed = 20180330", "seed = 20180330\nseed = 1")]);
    assert_eq!(
        validate("key.toml", &key),
        [format!(
            "  key.toml:{}: simulation.seed: `seed` is given twice (first at line {}): keep one",
            lines[0] + 1,
            lines[0]
        )]
    );
}

/// A region id in Chinese as a bare key is a TOML syntax error; the message says
/// to quote it (it said only which characters a bare key takes).
#[test]
fn a_bare_key_in_chinese_is_told_to_be_quoted() {
    let problems = validate("cn.toml", "x = { 北 = 0.4 }\n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("invalid unquoted key")
            && problems[0].contains("is written in quotes, e.g. shares = { \"北京\" = 0.4 }"),
        "{problems:#?}"
    );
}

/// `area mu = 5` is a TOML syntax error ("key with no value"); scenario keys
/// have no spaces, so the message suggests the key with `_` (re-test: no hint).
#[test]
fn a_key_with_a_space_suggests_it_joined() {
    let (text, lines) = edited(&[("area_mu = 7_500", "area mu = 7_500")]);
    assert_eq!(
        validate("space.toml", &text),
        [format!(
            "  space.toml:{}: (syntax): key with no value, expected `=`; a key has no spaces: did you mean `area_mu`?",
            lines[0]
        )]
    );
}

/// A pair given three values, one, or a bare number is told it is a pair
/// (serde had said "invalid length 3, expected fewer elements in array").
#[test]
fn a_pair_with_the_wrong_number_of_values_is_told_it_is_a_pair() {
    for (value, found) in [
        ("[2, 3, 1]", "found 3 values"),
        ("[2]", "found 1 value"),
        ("2", "found integer `2`"),
    ] {
        let (text, lines) = edited(&[("cit_holiday = [2, 3]", &format!("cit_holiday = {value}"))]);
        assert_eq!(
            validate("pair.toml", &text),
            [format!(
                "  pair.toml:{}: firms.sectors[1].cit_holiday: expected a pair in brackets, such as [2, 3], {found}",
                lines[0]
            )]
        );
        // The problems after it are read too: the placeholders tried in its
        // place were none of them a pair, and the reading stopped there
        // (exploratory test: a role typo was hidden).
        let (text, lines) = edited(&[
            ("cit_holiday = [2, 3]", &format!("cit_holiday = {value}")),
            ("role = \"host\"", "role = \"hots\""),
        ]);
        let problems = validate("pair.toml", &text);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with(&format!("  pair.toml:{}: regions[1].role: ", lines[1]))
                && problems[0].contains("did you mean `host`?"),
            "{problems:#?}"
        );
        assert!(problems[1].contains(found), "{problems:#?}");
    }
}

/// A year written as a TOML date, and a rate with a percent sign, say what to
/// write (they said `invalid type: string "2026-01-01"`, which the file does not
/// show, and `string values must be quoted`).
#[test]
fn a_date_for_a_year_and_a_percent_sign_say_what_to_write() {
    let (text, line) = start_year("2026-01-01");
    assert_eq!(
        validate("date.toml", &text)[0],
        format!(
            "  date.toml:{line}: scenario.start_year: expected a whole number (a year is written 2026), found the date 2026-01-01"
        )
    );
    let (text, lines) = edited(&[(
        "discount_rate = 0.05    # assumption: same rate",
        "discount_rate = 5%",
    )]);
    let problems = validate("percent.toml", &text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("  percent.toml:{}: (syntax): ", lines[0]))
            && problems[0].ends_with("; a share or rate is a number without %: 5% is 0.05"),
        "{problems:?}"
    );
}

/// Full-width punctuation from a Chinese input method (`，` `“ ”` `＝` `２５`)
/// outside quotes is named with its column and the ASCII TOML needs; inside
/// quotes (a name) it is text and not named.
#[test]
fn full_width_punctuation_is_named_with_its_column() {
    for (from, to, column, wide, ascii) in [
        ("horizon = 30 ", "horizon ＝ 30 ", 9, "＝", "="),
        ("horizon = 30 ", "horizon = ３０ ", 11, "３", "3"),
        (
            "discount_rate = 0.05    # assumption: same rate",
            "discount_rate = “0.05”",
            17,
            "“",
            "\"",
        ),
    ] {
        let (text, lines) = edited(&[(from, to)]);
        let problems = validate("wide.toml", &text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(&format!("  wide.toml:{}: (syntax): ", lines[0]))
                && problems[0].ends_with(&format!(
                    "; column {column} has the full-width `{wide}` where TOML needs `{ascii}`: switch the input method to half-width (半角) punctuation outside quotes"
                )),
            "{problems:?}"
        );
    }
    // A full-width comma inside a quoted name is the name's, and a missing
    // quote elsewhere is not blamed on it.
    let (text, _) = edited(&[("horizon = 30 ", "horizon = \"30，三十\" ")]);
    let problems = validate("quoted.toml", &text);
    assert!(
        problems.iter().all(|p| !p.contains("full-width")),
        "{problems:?}"
    );
}

/// A sector whose firms are larger than all the park's saleable land is refused:
/// none could ever settle, and the run would show taxes of 0 with only a
/// warning that the park fills at once (a tester's 2,000-mu firms in a
/// 1,000-mu park). The park's saleable land is at its largest: 7,500 mu × 0.7.
#[test]
fn firms_larger_than_the_park_are_refused() {
    let (text, lines) = edited(&[(
        r#"land_per_firm_mu = { dist = "lognormal", mean = 40, sd = 25, lower = 5, upper = 300 }"#,
        r#"land_per_firm_mu = { dist = "uniform", min = 6000, max = 8000 }"#,
    )]);
    assert_eq!(
        validate("big.toml", &text),
        [format!(
            "  big.toml:{}: firms.sectors[0].land_per_firm_mu: expected firms that fit in the park: each takes at least 6000 mu, more than the 5250 mu of saleable land the park ever has (7500 mu × saleable share 0.7), so none could ever settle",
            lines[0]
        )]
    );
    // Firms that fit only on a path with the largest saleable share are kept.
    let (text, _) = edited(&[(
        r#"land_per_firm_mu = { dist = "lognormal", mean = 40, sd = 25, lower = 5, upper = 300 }"#,
        "land_per_firm_mu = 5000",
    )]);
    let t = TestDir::new();
    t.create("fits.toml", &text);
    let out = t.cmd(&["validate", "fits.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--max-memory` takes sizes as its messages print them (`1 KiB`, `26 MiB`):
/// a tester's copy of the message's `MiB` was refused.
#[test]
fn memory_sizes_read_as_the_messages_print_them() {
    let t = TestDir::new();
    for form in ["1K", "1KiB", "1kib", "1 KiB"] {
        let out = t.cmd(&[
            "run",
            "--paths",
            "50",
            "--horizon",
            "3",
            "--out",
            "o",
            "--max-memory",
            form,
        ]);
        assert_eq!(out.status.code(), Some(2), "{form}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("above the budget of 1 KiB"),
            "{form}: {stderr}"
        );
    }
}
