//! `enclave validate`: check scenario files without simulating.

use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `enclave validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Treat an input outside its plausible range (docs/scenario.md "Plausible
    /// ranges") as an error: exit status 2.
    #[arg(long)]
    pub strict: bool,
}

/// Loads every file and reports each problem, and an "ok" line for each file
/// that loads, bad files beside it or not, with a note for a file with the id of
/// one before it (which `run` refuses in one set); exit status 2 if any file is
/// invalid or given twice, as `run` refuses it (or, with `--strict`, has an
/// input outside its plausible range).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    use super::Source;
    let set = match super::Files::new(&args.scenarios) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
    let mut out = super::Stdout::default();
    let mut warnings = Vec::new();
    let mut failed = false;
    // As `run` refuses them together: a set's results go to one folder per id.
    let mut ids = super::UniqueIds::default();
    for i in 0..set.len() {
        let l = match set.load(i) {
            Ok(l) => l,
            Err(e) => {
                super::note(format_args!("error: {e}"));
                failed = true;
                continue;
            }
        };
        // The same file given twice is refused, as `run` refuses it (it said
        // ok here, and `run` that the file and itself had one id: exploratory
        // test). Two files with one id are each valid alone (validate writes
        // nothing), so a note, not an error: `run` refuses them in one set.
        let (id, file) = (&l.scenario.id, &l.file);
        if let Some(first) = ids.first(id, file).map(str::to_owned) {
            if super::same_file(&first, file) {
                super::note(format_args!("error: {}", super::given_twice(&first, file)));
                failed = true;
                continue;
            }
            if let Some(clash) = ids.check(id, file) {
                super::note(format_args!(
                    "note: {clash} if run together: `run` refuses them in one set (give one another [scenario] id, or run them into different --out folders)"
                ));
            }
        }
        // In English: validate has no --lang (its other lines are English too).
        let mine = super::warnings(&l, l.scenario.simulation.horizon, enclave::i18n::Lang::En);
        let refused = args.strict && !mine.is_empty();
        warnings.extend(mine);
        if refused {
            continue;
        }
        let s = &l.scenario;
        out.print(&format!(
            "{}: ok — {} ({}), {} regions, {} alternatives, {} uncertain inputs\n",
            l.file,
            s.id,
            s.name,
            s.regions.len(),
            s.alternatives.len(),
            s.params.len()
        ))?;
    }
    let warned = super::report_warnings(&warnings, args.strict, enclave::i18n::Lang::En);
    Ok(if failed {
        ExitCode::from(super::EXIT_BAD_INPUT)
    } else {
        warned.unwrap_or(ExitCode::SUCCESS)
    })
}
