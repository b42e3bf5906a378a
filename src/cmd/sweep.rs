//! `enclave sweep`: expand a sweep file (docs/sweep.md) into scenarios and run
//! them as a set on common random numbers, or list the expansion.

use std::process::ExitCode;

use enclave::sweep::Sweep;

use super::Loaded;

/// Flags of `enclave sweep`: the sweep file, `--list`, and every flag of `enclave run`.
#[derive(Debug, clap::Args)]
// Its own group id: `run::Args` has the default one.
#[group(id = "SweepArgs")]
#[command(mut_arg("scenarios", |a| a
    .value_name("SWEEP.toml")
    .help("The sweep file: a base scenario and the inputs to vary (docs/sweep.md)")
    .required(true)
    .num_args(1)
    .action(clap::ArgAction::Set)))]
pub struct Args {
    /// Show the expansion, one line per scenario (its id and the values it
    /// carries), without running it.
    #[arg(long)]
    pub list: bool,
    /// The flags of `enclave run`.
    #[command(flatten)]
    pub run: super::run::Args,
}

/// A sweep's variants as a [`Source`].
pub struct SweepSource {
    /// The checked sweep.
    pub sweep: Sweep,
}

impl super::Source for SweepSource {
    fn len(&self) -> usize {
        self.sweep.len()
    }

    fn load(&self, i: usize) -> Result<Loaded, String> {
        let (variant, scenario) = self.sweep.scenario(i)?;
        Ok(Loaded {
            file: self.sweep.variant_file(&variant.id),
            scenario,
        })
    }

    fn inputs(&self, i: usize) -> Vec<(String, String)> {
        self.sweep
            .values(i)
            .into_iter()
            .map(|(path, s)| (path, s.to_string()))
            .collect()
    }

    fn input_groups(&self) -> Vec<u32> {
        self.sweep.input_groups()
    }
}

/// Reads the sweep; lists it, or runs its variants as `enclave run` runs a set
/// (one variant at a time: memory flat in their number), with `DIR/set/sweep.csv`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let bad = |message: String| {
        super::note(format_args!("error: {message}"));
        Ok(ExitCode::from(super::EXIT_BAD_INPUT))
    };
    let [file] = args.run.scenarios.as_slice() else {
        return bad("expected one sweep file".to_owned());
    };
    let sweep = match Sweep::load(file) {
        Ok(s) => s,
        Err(e) => return bad(format!("{:#}", anyhow::Error::new(e))),
    };
    if !args.list
        && let Some(problem) = overridden(&sweep, &args.run)
    {
        return bad(problem);
    }
    // Samples that must repeat: said (they passed without a word: exploratory
    // test), not refused, as a sampled design may mean it.
    if let Some((most, n)) = sweep.repeated_samples() {
        super::note(format_args!(
            "warning: {}: the sampled fields take whole numbers, at most {most} combinations of them, so {n} samples repeat values: a repeated variant is the same scenario run again (the same results, on common random numbers) and weighs as many times in the set page's averages; sample at most {most}, or give the values as a grid",
            sweep.file
        ));
    }
    if args.list {
        // Its count line in --lang, else the base scenario's language.
        let lang = args.run.lang.unwrap_or_else(|| {
            if sweep.is_empty() {
                return enclave::i18n::Lang::En;
            }
            sweep
                .scenario(0)
                .map_or(enclave::i18n::Lang::En, |(_, s)| s.lang)
        });
        list(&sweep, lang)?;
        return Ok(ExitCode::SUCCESS);
    }
    super::run::run_source(&args.run, &SweepSource { sweep })
}

/// A varied field that a flag of the command line sets for every variant (the
/// variants would differ in their ids and the set's tables only), as a message.
fn overridden(sweep: &Sweep, run: &super::run::Args) -> Option<String> {
    let settings = &run.settings;
    let paths_flag = if run.precision.is_some() {
        Some("--precision")
    } else {
        settings.paths.map(|_| "--paths")
    };
    let flags = [
        ("simulation.paths", paths_flag),
        ("simulation.horizon", settings.horizon.map(|_| "--horizon")),
        (
            "simulation.fairness",
            settings.fairness.map(|_| "--fairness"),
        ),
    ];
    sweep.inputs().find_map(|input| {
        flags.iter().find_map(|&(field, flag)| {
            let flag = flag.filter(|_| input == field)?;
            Some(format!(
                "{}: the sweep varies `{field}`, and {flag} sets it for every variant, so they would differ in their ids only: drop {flag} or the vary",
                sweep.file
            ))
        })
    })
}

/// Prints one line per variant, `ID  PATH=VALUE ...`, then their count; a
/// thousand lines at a time, never the whole expansion at once.
fn list(sweep: &Sweep, lang: enclave::i18n::Lang) -> anyhow::Result<()> {
    use std::fmt::Write;
    let mut out = super::Stdout::default();
    let mut chunk = String::new();
    for i in 0..sweep.len() {
        let _ = write!(chunk, "{}", sweep.id(i));
        for (path, s) in sweep.values(i) {
            // One line a variant: a control character (a string's newline) escaped.
            let _ = write!(chunk, "  {path}={}", super::escape_control(&s.to_string()));
        }
        chunk.push('\n');
        if i % 1000 == 999 {
            out.print(&chunk)?;
            chunk.clear();
        }
    }
    let _ = writeln!(
        chunk,
        "{}",
        lang.texts().f(
            // The bundled base has no file to find under its name.
            match (sweep.len() == 1, sweep.base_is_reference) {
                (true, false) => "terminal.set.listed",
                (false, false) => "terminal.set.listed_many",
                (true, true) => "terminal.set.listed_reference",
                (false, true) => "terminal.set.listed_many_reference",
            },
            &[
                ("n", &sweep.len()),
                ("file", &sweep.file),
                ("base", &sweep.base_file)
            ]
        )
    );
    out.print(&chunk)
}
