//! `enclave sweep`: expand a sweep file (docs/sweep.md) into scenarios and run
//! them as a set on common random numbers, or list the expansion.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use enclave::output::SET_DIR;
use enclave::sweep::{SWEEP_CSV_HEADER, Sweep};

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

/// The scenarios of a set, produced one at a time (memory flat in their number).
pub trait Source: Sync {
    /// Number of scenarios.
    fn len(&self) -> usize;
    /// The i-th scenario, loaded and checked; Err is the message to print.
    fn load(&self, i: usize) -> Result<Loaded, String>;
    /// The inputs scenario i carries, for DIR/set/sweep.csv: (field path, value as written).
    fn inputs(&self, i: usize) -> Vec<(String, String)>;
}

/// A sweep's variants as a [`Source`].
pub struct SweepSource {
    /// The checked sweep.
    pub sweep: Sweep,
}

impl Source for SweepSource {
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
}

/// Reads the sweep; lists it, or runs its variants as `enclave run` runs a set
/// and writes `DIR/set/sweep.csv`.
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
    if args.list {
        list(&sweep)?;
        return Ok(ExitCode::SUCCESS);
    }
    let source = SweepSource { sweep };
    // Until the run loop takes a Source, every variant is loaded before any runs.
    let mut loaded = Vec::with_capacity(source.len());
    let mut failed = false;
    for i in 0..source.len() {
        match source.load(i) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                super::note(format_args!("error: {e}"));
                failed = true;
            }
        }
    }
    if failed {
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    let code = super::run::run_set(&args.run, loaded)?;
    if code == ExitCode::SUCCESS {
        let sweep = &source.sweep;
        let path = write_sweep_csv(&args.run.out, source.len(), |i| {
            (sweep.id(i), source.inputs(i))
        })?;
        if !args.run.quiet {
            super::Stdout::default().print(&format!("sweep inputs: {}\n", path.display()))?;
        }
    }
    Ok(code)
}

/// Prints one line per variant, `ID  PATH=VALUE ...`, then their count; a
/// thousand lines at a time, never the whole expansion at once.
fn list(sweep: &Sweep) -> anyhow::Result<()> {
    use std::fmt::Write;
    let mut out = super::Stdout::default();
    let mut chunk = String::new();
    for i in 0..sweep.len() {
        let _ = write!(chunk, "{}", sweep.id(i));
        for (path, s) in sweep.values(i) {
            let _ = write!(chunk, "  {path}={s}");
        }
        chunk.push('\n');
        if i % 1000 == 999 {
            out.print(&chunk)?;
            chunk.clear();
        }
    }
    let _ = writeln!(
        chunk,
        "{} scenario{} from {} (base {})",
        sweep.len(),
        if sweep.len() == 1 { "" } else { "s" },
        sweep.file,
        sweep.base_file
    );
    out.print(&chunk)
}

/// Writes `DIR/set/sweep.csv`: `scenario,input,value`, one row per scenario and
/// varied input, for scenarios `0..n` in the set's order; `row(i)` gives scenario
/// i's id and its inputs (as [`Source::inputs`]), one scenario at a time.
pub(super) fn write_sweep_csv(
    dir: &Path,
    n: usize,
    mut row: impl FnMut(usize) -> (String, Vec<(String, String)>),
) -> anyhow::Result<PathBuf> {
    let set = dir.join(SET_DIR);
    std::fs::create_dir_all(&set)
        .with_context(|| format!("cannot create the folder {}", set.display()))?;
    let path = set.join("sweep.csv");
    let failed =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let tmp = tempfile::NamedTempFile::new_in(&set)
        .with_context(|| format!("cannot write into {}", set.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp));
    w.write_record(SWEEP_CSV_HEADER).map_err(|e| failed(&e))?;
    for i in 0..n {
        let (id, inputs) = row(i);
        for (input, value) in inputs {
            w.write_record([id.as_str(), &input, &value])
                .map_err(|e| failed(&e))?;
        }
    }
    let tmp = w
        .into_inner()
        .map_err(|e| failed(e.error()))?
        .into_inner()
        .map_err(|e| failed(e.error()))?;
    tmp.as_file().sync_all().map_err(|e| failed(&e))?;
    tmp.persist(&path).map_err(|e| failed(&e))?;
    Ok(path)
}
