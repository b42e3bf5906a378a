//! `enclave solve`: the parameters of one alternative's tax formula that meet a
//! fairness target (docs/solve.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::Switch;
use super::pad;
use enclave::chart::zone::{self, ZONE_FILE, ZONE_PNG, Zone};
use enclave::engine::RunConfig;
use enclave::output::{cell, write_atomic};
use enclave::scenario::Scenario;
use enclave::scenario::snippet;
use enclave::solve::{
    self, EngineEvaluator, Estimate, MAX_CANDIDATES, Metrics, Solution, SolveError, Space, Target,
};

/// Flags of `enclave solve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The alternative (`[[sharing]]` name) whose tax formula is varied.
    #[arg(long, value_name = "NAME")]
    pub alternative: String,
    /// What to meet: nash, shapley, proportional or participation:P (0 < P ≤ 1).
    #[arg(long, value_name = "T")]
    pub target: String,
    /// Output folder; files go to DIR/<scenario id>-solve/.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Paths, seed, horizon, threads and fairness (as for `run`; `--target
    /// shapley` turns the coalitions on unless `--fairness off`).
    #[command(flatten)]
    pub settings: super::Settings,
    /// Language of the zone of agreement chart and the terminal summary (default:
    /// the scenario's `[scenario] lang`, else en).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<enclave::i18n::Lang>,
    /// Most work the search may be expected to take, in firm-years: its passes
    /// (up to 12 engine runs) each costed as `run --max-work` costs one run;
    /// refused before it starts.
    #[arg(long, value_name = "UNITS", default_value_t = super::run::DEFAULT_MAX_WORK, value_parser = super::run::parse_budget)]
    pub max_work: f64,
}

/// File name of the candidates' table.
pub const SOLVE_CSV: &str = "solve.csv";
/// File name of the solved alternative.
pub const SOLVED_TOML: &str = "solved.toml";

/// Runs the solve and prints the solved formula and what it achieves.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut loaded = match super::load_all(std::slice::from_ref(&args.scenario), false) {
        Ok(mut l) => l.remove(0),
        Err(code) => return Ok(code),
    };
    let bad = |e: SolveError| {
        super::note(format_args!("error: {e}"));
        ExitCode::from(super::EXIT_BAD_INPUT)
    };
    if let Some(refusal) =
        super::run::threads_refusal(args.settings.threads, args.settings.max_threads)
    {
        super::note(format_args!("error: {refusal}"));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    let target = match Target::parse(&args.target) {
        Ok(t) => t,
        Err(e) => return Ok(bad(e)),
    };
    // The Shapley values need the coalitions: on for that target unless asked off.
    match args.settings.fairness {
        Some(switch) => loaded.scenario.simulation.fairness = Some(switch == Switch::On),
        None if target.needs_game() => loaded.scenario.simulation.fairness = Some(true),
        None => {}
    }
    let scn = &loaded.scenario;
    let a = match solve::find_alternative(scn, &args.alternative) {
        Ok(a) => a,
        Err(e) => return Ok(bad(e)),
    };
    let ids: Vec<String> = scn.regions.iter().map(|r| r.id.clone()).collect();
    if let Some(p) = ambiguous_columns(&loaded.file, &ids) {
        super::note(format_args!("error: {p}"));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    let cfg = args.settings.config(scn);
    if let Some(p) = super::horizon_refusal(&loaded.file, scn, cfg.horizon) {
        super::note(format_args!("error: {p}"));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    // Refused before computing: more work than the budget, at most MAX_PASSES
    // runs of the scenario (the candidates are alternatives evaluated on each
    // run's paths, a small part of its cost).
    let pass = enclave::engine::estimate(scn, &cfg).work;
    let work = pass * solve::MAX_PASSES as f64;
    let what = format!(
        "{}: work of up to {work:.2e} firm-years (up to {} passes of {} paths × {} years, each about {pass:.2e})",
        loaded.file,
        solve::MAX_PASSES,
        cfg.paths,
        cfg.horizon
    );
    let advice = "lower --paths or --horizon";
    if let Some(refusal) = super::run::over_budget(work, args.max_work, &what, advice) {
        super::note(format_args!("error: {refusal}"));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    // Refused before computing: what the solve writes could not be written.
    let dir = args.out.join(format!("{}-solve", scn.id));
    if dir.exists() && !dir.is_dir() {
        super::note(format_args!(
            "error: {}: {} is a file, not a folder: the solve writes its results there; move it or choose another --out",
            loaded.file,
            dir.display()
        ));
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    let alt = &scn.alternatives[a];
    let mut eval = EngineEvaluator::new(scn, a, cfg);
    let solution = match solve::solve(&alt.name, &alt.tax, target, cfg.horizon, &mut eval) {
        Ok(s) => s,
        Err(e) if e.is_bad_input() => return Ok(bad(e)),
        Err(e) => return Err(e.into()),
    };

    // An entry to append only when the target is met: the closest candidate of
    // a search that did not meet it is no solution.
    let snippet = if solution.feasible() {
        let name = unique_name(scn, &format!("{} (solved: {})", alt.name, target.name()));
        let mut description = format!(
            "enclave solve --target {} on {} paths, seed {}, horizon {}: {} varied",
            target.name(),
            cfg.paths,
            cfg.seed,
            cfg.horizon,
            solution.space.describe()
        );
        // The entry carries what its ratios were averaged over.
        let partial = partial_ratios(&solution.best().metrics, cfg.paths);
        if target == Target::Proportional && !partial.is_empty() {
            description.push_str(&format!(
                "; benefit/contribution ratios over only the paths where the region contributes ({})",
                ratio_list(scn, &partial, cfg.paths, enclave::i18n::Lang::En)
            ));
        }
        let snippet =
            snippet::alternative_with_tax(scn, a, &name, &description, &solution.best().formula)?;
        check_snippet(scn, &snippet, &solution)?;
        Some(snippet)
    } else {
        None
    };

    super::create_out(&args.out, &dir)?;
    write_atomic(&dir.join(SOLVE_CSV), &solve_csv(scn, &solution)?)?;
    let solved = dir.join(SOLVED_TOML);
    match &snippet {
        Some(text) => write_atomic(&solved, text.as_bytes())?,
        // An earlier solve's entry would pass for this one's.
        None => remove_earlier(&solved)?,
    }
    let lang = args.lang.unwrap_or(scn.lang);
    let zone = zone_of(scn, &alt.name, &solution, lang);
    match &zone {
        Some(z) => {
            write_atomic(&dir.join(ZONE_FILE), zone::render_svg(z, scn)?.as_bytes())?;
            write_atomic(&dir.join(ZONE_PNG), &zone::render_png(z, scn)?)?;
        }
        // An earlier solve's chart (of another alternative, say) would pass for
        // this one's.
        None => {
            remove_earlier(&dir.join(ZONE_FILE))?;
            remove_earlier(&dir.join(ZONE_PNG))?;
        }
    }
    let mut out = super::Stdout::default();
    out.print(&report(
        scn,
        &solution,
        &cfg,
        snippet.as_deref(),
        &dir,
        zone.is_some(),
        lang,
    ))?;
    if snippet.is_none() {
        super::note(format_args!(
            "error: {}: the target {} is not met by any of the {} candidates; nothing is written to append to the scenario file (the closest candidate is shown above, and every candidate is in {})",
            loaded.file,
            target.name(),
            solution.candidates.len(),
            dir.join(SOLVE_CSV).display()
        ));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Removes `path`, a file an earlier solve wrote into the folder that this one
/// does not write (it would pass for this solve's); nothing to do if it is absent.
fn remove_earlier(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot remove an earlier solve's {}", path.display()))
        }
    }
}

/// `wanted`, or `wanted 2`, `wanted 3`, … if an alternative already has that name.
fn unique_name(scn: &Scenario, wanted: &str) -> String {
    let taken = |n: &str| scn.alternatives.iter().any(|a| a.name == n);
    let mut name = wanted.to_owned();
    let mut k = 2;
    while taken(&name) {
        name = format!("{wanted} {k}");
        k += 1;
    }
    name
}

/// Checks that the snippet appended to the scenario file validates and gives back
/// the solved formula: what is printed is what was evaluated.
fn check_snippet(scn: &Scenario, snippet: &str, solution: &Solution) -> anyhow::Result<()> {
    let text = format!("{}\n{snippet}", scn.source);
    let back = Scenario::parse(&text, "the scenario with the solved alternative")
        .context("the solved alternative does not validate when appended to the scenario")?;
    let parsed = back
        .alternatives
        .last()
        .map(|a| &a.tax)
        .context("the solved alternative is missing when appended to the scenario")?;
    anyhow::ensure!(
        *parsed == solution.best().formula,
        "the printed formula reads back as {parsed:?}, not as the solved {:?}",
        solution.best().formula
    );
    Ok(())
}

/// The zone of agreement of a one-parameter formula; None for several parameters.
fn zone_of(
    scn: &Scenario,
    alternative: &str,
    s: &Solution,
    lang: enclave::i18n::Lang,
) -> Option<Zone> {
    if s.space.dims() != 1 {
        return None;
    }
    let tx = lang.texts();
    let money = enclave::i18n::money_unit(lang, &scn.money_unit, scn.yuan_per_unit);
    let mut order: Vec<usize> = (0..s.candidates.len()).collect();
    order.sort_by(|&i, &j| s.candidates[i].point[0].total_cmp(&s.candidates[j].point[0]));
    let n = scn.regions.len();
    let x_label = match s.space {
        Space::Shares { .. } => tx.f("solve.zone.x_shares", &[("region", &scn.regions[0].name)]),
        Space::Rate => tx.t("solve.zone.x_rate").into(),
        Space::Base => tx.f("solve.zone.x_base", &[("unit", &money)]),
        Space::Switch { .. } => tx.t("solve.zone.x_switch").into(),
        Space::Bounds { .. } => tx.f("solve.zone.x_bounds", &[("unit", &money)]),
    };
    let has_joint = s.candidates.iter().all(|c| c.metrics.joint.is_some());
    Some(Zone {
        title: tx.f(
            "solve.zone.title",
            &[("alt", &alternative), ("target", &s.target.name_in(lang))],
        ),
        x_label,
        xs: order.iter().map(|&i| s.candidates[i].point[0]).collect(),
        participation: (0..n)
            .map(|r| {
                order
                    .iter()
                    .map(|&i| s.candidates[i].metrics.regions[r].participation.mean)
                    .collect()
            })
            .collect(),
        joint: has_joint.then(|| {
            order
                .iter()
                .map(|&i| s.candidates[i].metrics.joint.map_or(f64::NAN, |j| j.mean))
                .collect()
        }),
        threshold: s.target.zone_probability(),
        solution: s.best().point[0],
        met: s.feasible(),
        lang,
    })
}

/// solve.csv's columns of each region's measures, region by region.
fn region_columns(ids: &[String]) -> Vec<String> {
    let mut header = Vec::new();
    for id in ids {
        for m in ["npv", "participation", "shapley", "benefit_to_contribution"] {
            header.push(format!("{m}_{id}"));
            header.push(format!("{m}_se_{id}"));
        }
        // The ratio is defined only where the region's contribution share is > 0.
        header.push(format!("benefit_to_contribution_n_{id}"));
    }
    header
}

/// Why the regions' ids would give solve.csv two columns of one name (ids
/// `jilin` and `se_jilin`: `npv_se_jilin` is then the NPV of one and the se of
/// the other's, and a reader by name takes the wrong one: exploratory test).
fn ambiguous_columns(file: &str, ids: &[String]) -> Option<String> {
    let columns = region_columns(ids);
    let mut seen = std::collections::HashSet::new();
    let twice = columns.iter().find(|c| !seen.insert(c.as_str()))?;
    Some(format!(
        "{file}: the region ids {} would give solve.csv two columns named `{twice}`; give the regions ids that are not another's with `se_` or `n_` before it",
        ids.iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// solve.csv: one row per candidate evaluated.
fn solve_csv(scn: &Scenario, s: &Solution) -> anyhow::Result<Vec<u8>> {
    let ids: Vec<String> = scn.regions.iter().map(|r| r.id.clone()).collect();
    let mut header: Vec<String> = vec!["pass".into(), "candidate".into()];
    header.extend(s.space.columns(&ids));
    header.extend(region_columns(&ids));
    header.extend(
        [
            "joint_participation",
            "joint_participation_se",
            "nash_product",
            "nash_product_se",
            "feasible",
            "solution",
            "current",
        ]
        .map(String::from),
    );
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(&header)?;
        for (i, c) in s.candidates.iter().enumerate() {
            let mut row: Vec<String> = vec![c.pass.to_string(), (i + 1).to_string()];
            row.extend(c.point.iter().map(|x| cell(*x)));
            let est = |e: Option<Estimate>| match e {
                Some(e) => [cell(e.mean), cell(e.se)],
                None => [String::new(), String::new()],
            };
            for r in &c.metrics.regions {
                row.extend(est(Some(r.npv)));
                row.extend(est(Some(r.participation)));
                row.extend(est(r.shapley));
                row.extend(est(Some(r.benefit_to_contribution)));
                row.push(r.benefit_to_contribution.n.to_string());
            }
            row.extend(est(c.metrics.joint));
            row.push(c.metrics.nash_product().map_or(String::new(), cell));
            row.push(match (c.metrics.nash_product(), c.metrics.nash) {
                (Some(_), Some(e)) => cell(e.se),
                _ => String::new(),
            });
            row.push(c.score.feasible.to_string());
            row.push((i == s.best).to_string());
            row.push((i == s.current).to_string());
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(buf)
}

/// `x` with `digits` decimals, `–` when undefined (as `enclave run`'s table and
/// the report show it; the CSV leaves the cell empty). A value that rounds to 0
/// is written without a sign unless `signed`: a dummy region's Shapley value, 0
/// in exact arithmetic, comes out of the sums as −1e−13, while an NPV of −0.004 is
/// a loss, which its sign shows (as the report's numbers keep it).
fn number(x: f64, digits: usize, signed: bool) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{x:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if !signed && rest.chars().all(|c| c == '0' || c == '.') => rest.to_owned(),
        _ => s,
    }
}

/// `x ± se` with `digits` decimals ([`number`]); `x ± –` when the se is
/// undefined (one path: no spread to estimate), rather than a bare `x` that reads
/// as exact; `–` when `x` is undefined.
fn pm(e: Estimate, digits: usize, signed: bool) -> String {
    let mean = number(e.mean, digits, signed);
    if !e.mean.is_finite() {
        mean
    } else if e.se.is_finite() {
        format!("{mean} ± {:.digits$}", e.se)
    } else {
        format!("{mean} ± –")
    }
}

/// A probability and its standard error in percent (`± –` and `–` as [`pm`]).
fn pct(e: Estimate) -> String {
    if !e.mean.is_finite() {
        "–".into()
    } else if e.se.is_finite() {
        format!("{:.1}% ± {:.1}%", 100.0 * e.mean, 100.0 * e.se)
    } else {
        format!("{:.1}% ± –", 100.0 * e.mean)
    }
}

/// The regions (index, paths) whose benefit ÷ contribution ratio under `m` is a
/// mean over fewer than the run's `paths` paths (those where the region's
/// contribution share is > 0), and over at least one.
fn partial_ratios(m: &Metrics, paths: u64) -> Vec<(usize, u64)> {
    m.regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.benefit_to_contribution.n > 0 && r.benefit_to_contribution.n < paths)
        .map(|(i, r)| (i, r.benefit_to_contribution.n))
        .collect()
}

/// The metrics of one candidate, a line per region and the alternative's; a
/// ratio over fewer than the run's `paths` paths says over how many, in its cell
/// and in a note under the table (as the report says it: the project's rule for
/// a statistic over fewer paths than were run).
fn metrics_table(scn: &Scenario, m: &Metrics, paths: u64, lang: enclave::i18n::Lang) -> String {
    use super::lpad;
    let tx = lang.texts();
    let mut s = String::new();
    let w = super::column_width(
        scn.regions
            .iter()
            .map(|r| r.id.as_str())
            .chain([tx.t("solve.terminal.region")]),
        6,
    );
    let partial = partial_ratios(m, paths);
    let rows: Vec<[String; 5]> = m
        .regions
        .iter()
        .enumerate()
        .map(|(r, x)| {
            let mut ratio = pm(x.benefit_to_contribution, 3, false);
            if let Some((_, n)) = partial.iter().find(|(i, _)| *i == r) {
                ratio.push(' ');
                ratio.push_str(&tx.f("solve.terminal.over_paths", &[("n", n), ("paths", &paths)]));
            }
            [
                pm(x.npv, 2, true),
                number(x.outside, 2, false),
                pct(x.participation),
                x.shapley
                    .map_or(tx.t("solve.terminal.none").into(), |e| pm(e, 2, false)),
                ratio,
            ]
        })
        .collect();
    // Each column as wide as its header in the language shown, at least its numbers.
    let keys = [
        ("solve.terminal.mean_npv", 20),
        ("solve.terminal.outside", 16),
        ("solve.terminal.participates", 20),
        ("solve.terminal.shapley", 15),
        ("solve.terminal.benefit", 20),
    ];
    let mut widths = keys.map(|(key, numbers)| super::column_width([tx.t(key)], numbers));
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(super::column_width([cell.as_str()], 0));
        }
    }
    let mut head = format!("  {}", pad(tx.t("solve.terminal.region"), w));
    for ((key, _), width) in keys.iter().zip(widths) {
        head.push_str(&format!("  {}", lpad(tx.t(key), width)));
    }
    let _ = writeln!(s, "{head}");
    for (region, cells) in scn.regions.iter().zip(&rows) {
        let mut line = format!("  {}", pad(&region.id, w));
        for (cell, width) in cells.iter().zip(widths) {
            line.push_str(&format!("  {}", lpad(cell, width)));
        }
        let _ = writeln!(s, "{line}");
    }
    let joint = m
        .joint
        .map_or(tx.t("solve.terminal.joint_none").into(), pct);
    let _ = writeln!(s, "  {}", tx.f("solve.terminal.joint", &[("p", &joint)]));
    let nash = match (m.nash_product(), m.nash) {
        (None, _) => tx.t("solve.terminal.nash_none").into(),
        (Some(p), Some(e)) if e.se.is_finite() => format!("{p:.4e} ± {:.4e}", e.se),
        (Some(p), _) => format!("{p:.4e} ± –"),
    };
    let _ = writeln!(s, "  {}", tx.f("solve.terminal.nash", &[("nash", &nash)]));
    if !partial.is_empty() {
        let _ = writeln!(
            s,
            "  {}",
            tx.f(
                "solve.terminal.partial_note",
                &[("regions", &ratio_list(scn, &partial, paths, lang))]
            )
        );
    }
    s
}

/// `province: 99 of 200 paths, …` for the regions of [`partial_ratios`].
fn ratio_list(
    scn: &Scenario,
    partial: &[(usize, u64)],
    paths: u64,
    lang: enclave::i18n::Lang,
) -> String {
    let tx = lang.texts();
    partial
        .iter()
        .map(|(r, n)| {
            tx.f(
                "solve.terminal.partial_region",
                &[("region", &scn.regions[*r].id), ("n", n), ("paths", &paths)],
            )
        })
        .collect::<Vec<_>>()
        .join(tx.t("solve.terminal.list_separator"))
}

/// What the command prints: deterministic (no times, no thread counts), so the
/// same on any number of threads; in `lang`. `snippet` is the entry to append,
/// None when the target is not met (the closest candidate is then shown by its
/// parameters, as no solution).
fn report(
    scn: &Scenario,
    s: &Solution,
    cfg: &RunConfig,
    snippet: Option<&str>,
    dir: &Path,
    zone: bool,
    lang: enclave::i18n::Lang,
) -> String {
    let tx = lang.texts();
    let mut out = String::new();
    let alt = s.best();
    let _ = writeln!(
        out,
        "{}",
        tx.f(
            "solve.terminal.head",
            &[
                ("name", &scn.name),
                ("target", &s.target.name_in(lang)),
                ("varied", &tx.t(s.space.describe_key())),
            ]
        )
    );
    // With its price basis in every language, as `run` gives it.
    let unit = enclave::i18n::money_label(lang, &scn.money_basis());
    // Counted in words that agree with the count (1 pass, 29 candidates).
    let candidates_text = match s.candidates.len() {
        1 => tx.t("solve.terminal.candidate_count_one").to_owned(),
        n => tx.f("solve.terminal.candidate_count", &[("n", &n)]),
    };
    let passes_text = match s.passes {
        1 => tx.t("solve.terminal.pass_count_one").to_owned(),
        n => tx.f("solve.terminal.pass_count", &[("passes", &n)]),
    };
    let _ = writeln!(
        out,
        "{}",
        tx.f(
            "solve.terminal.candidates",
            &[
                ("candidates_text", &candidates_text),
                ("passes_text", &passes_text),
                ("max", &MAX_CANDIDATES),
                ("paths", &cfg.paths),
                ("seed", &cfg.seed),
                ("years", &cfg.horizon),
                ("unit", &unit),
            ]
        )
    );
    if s.passes >= solve::MAX_PASSES {
        let _ = writeln!(
            out,
            "{}",
            tx.f("solve.terminal.limit", &[("passes", &solve::MAX_PASSES)])
        );
    }
    // The proportional target compares means over different paths when a
    // region's ratio is defined on only some: said before anything else.
    let partial = partial_ratios(&alt.metrics, cfg.paths);
    if s.target == Target::Proportional && !partial.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            tx.f(
                "solve.terminal.proportional_partial",
                &[("regions", &ratio_list(scn, &partial, cfg.paths, lang))]
            )
        );
    }
    if !s.feasible() {
        // What was varied: a split, a guaranteed rate, ...
        let choice = tx.t(s.space.choice_key());
        let why = match s.target {
            Target::Participation(p) => tx.f(
                "solve.terminal.infeasible_participation",
                &[
                    ("choice", &choice),
                    ("p", &solve::percent(p)),
                    (
                        "which",
                        &tx.t(if alt.metrics.joint.is_some() {
                            "solve.terminal.which_joint"
                        } else {
                            "solve.terminal.which_smallest"
                        }),
                    ),
                ],
            ),
            Target::Nash => tx.f("solve.terminal.infeasible_nash", &[("choice", &choice)]),
            _ => tx.t("solve.terminal.infeasible").into(),
        };
        let _ = writeln!(out, "{why}");
    }
    // The best point's parameters, as `name = value`.
    let ids: Vec<String> = scn.regions.iter().map(|r| r.id.clone()).collect();
    let params: Vec<String> = s
        .space
        .columns(&ids)
        .iter()
        .zip(&alt.point)
        .map(|(name, x)| format!("{name} = {}", cell(*x)))
        .collect();
    // A best point at a closed end of its range (a rate of 1, a switch in the
    // first year) is the nearest the formula comes, not a balance inside it.
    if let Some((lo, hi)) = s
        .space
        .closed_range()
        .filter(|_| s.space.at_closed_end(&alt.point))
    {
        let range = if hi.is_finite() {
            format!("[{}, {}]", cell(lo), cell(hi))
        } else {
            format!("[{}, inf)", cell(lo))
        };
        let _ = writeln!(
            out,
            "{}",
            tx.f(
                "solve.terminal.at_end",
                &[
                    ("choice", &tx.t(s.space.choice_key())),
                    ("params", &params.join(", ")),
                    ("range", &range),
                ]
            )
        );
    }
    match snippet {
        Some(snippet) => {
            let _ = writeln!(
                out,
                "\n{}\n",
                tx.f(
                    "solve.terminal.solved",
                    &[("file", &dir.join(SOLVED_TOML).display())]
                )
            );
            let _ = writeln!(out, "{snippet}");
            let _ = writeln!(out, "{}", tx.t("solve.terminal.achieved"));
        }
        None => {
            let _ = writeln!(
                out,
                "\n{}\n  {}\n",
                tx.f(
                    "solve.terminal.unmet",
                    &[("choice", &tx.t(s.space.choice_key()))]
                ),
                params.join(", ")
            );
            let _ = writeln!(out, "{}", tx.t("solve.terminal.closest"));
        }
    }
    out.push_str(&metrics_table(scn, &alt.metrics, cfg.paths, lang));
    let _ = writeln!(out, "\n{}", tx.t("solve.terminal.as_written"));
    out.push_str(&metrics_table(
        scn,
        &s.candidates[s.current].metrics,
        cfg.paths,
        lang,
    ));
    let _ = writeln!(
        out,
        "\n{}",
        tx.f(
            "solve.terminal.candidates_file",
            &[("file", &dir.join(SOLVE_CSV).display())]
        )
    );
    if zone {
        let _ = writeln!(
            out,
            "{}",
            tx.f(
                "solve.terminal.zone",
                &[("file", &dir.join(ZONE_FILE).display())]
            )
        );
    } else {
        let _ = writeln!(
            out,
            "{}",
            tx.f("solve.terminal.no_zone", &[("n", &s.space.dims())])
        );
    }
    out
}

#[cfg(test)]
mod column_tests {
    use super::ambiguous_columns;

    #[test]
    fn region_ids_that_would_share_a_column_are_refused() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let e = ambiguous_columns("park.toml", &ids(&["se_jilin", "jilin"])).expect("refused");
        assert!(e.starts_with("park.toml: the region ids `se_jilin`, `jilin` would give solve.csv two columns named `npv_se_jilin`"), "{e}");
        assert!(ambiguous_columns("p", &ids(&["a", "n_a"])).is_some());
        assert!(ambiguous_columns("p", &ids(&["zhejiang", "jilin", "se"])).is_none());
    }
}
