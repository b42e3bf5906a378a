//! The checks every section shares: a [`Rule`] for a number, and a [`Checker`] that
//! records problems, resolves region ids, checks share tables, bearers and uncertain
//! inputs, and registers every uncertain input in the scenario's [`ParamSet`].

use std::collections::BTreeMap;

use super::super::data::{self, DataError, DataSource};
use super::super::file::{DistFile, Num};
use super::super::limits::{MAX_INPUT_MAGNITUDE, MAX_YEARS_AFTER_START};
use super::super::read::NotWhole;
use super::super::{Bearer, Problem};
use crate::dist::{Dist, EmpiricalMethod, Uncertain};
use crate::sampling::{ParamSet, Value};

/// Tolerance for "shares sum to 1".
const SHARE_SUM_TOL: f64 = 1e-9;

/// What a number must satisfy.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
    /// Any finite number.
    Finite,
    /// ≥ 0.
    NonNegative,
    /// > 0.
    Positive,
    /// In [0, 1].
    Share,
    /// In [lo, hi].
    Between(f64, f64),
}

impl Rule {
    pub(super) fn holds(self, lo: f64, hi: f64) -> bool {
        match self {
            // Finiteness of fixed numbers is checked on its own; draws are always finite.
            Rule::Finite => true,
            Rule::NonNegative => lo >= 0.0,
            Rule::Positive => lo > 0.0,
            Rule::Share => lo >= 0.0 && hi <= 1.0,
            Rule::Between(a, b) => lo >= a && hi <= b,
        }
    }
    pub(super) fn describe(self) -> String {
        match self {
            Rule::Finite => "a finite number".into(),
            Rule::NonNegative => "a number ≥ 0".into(),
            Rule::Positive => "a number > 0".into(),
            Rule::Share => "a share in [0, 1]".into(),
            Rule::Between(a, b) => format!("a number in [{a}, {b}]"),
        }
    }
}

/// `x` as written in messages: plainly, or in e-notation from 1e6 on and, with
/// every digit, below 1e-6 (a drawn end such as 1e-300 written plainly is some
/// 300 digits).
fn short(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{x:.4e}")
    } else if x.abs() < 1e-6 && x.abs() > 0.0 {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// The support of `u`, with a lognormal's lower end 0 (never drawn: uniforms are
/// drawn from the open interval (0, 1)) shown as the smallest positive number.
pub(super) fn positive_support(u: &Uncertain) -> (f64, f64) {
    let (lo, hi) = u.support();
    let lognormal = matches!(u.dist(), Dist::LogNormal { sd, .. } if *sd > 0.0)
        || matches!(u.dist(), Dist::LogNormalMuSigma { sigma, .. } if *sigma > 0.0);
    if lo == 0.0 && lognormal {
        (f64::MIN_POSITIVE, hi)
    } else if lo == 0.0 && matches!(u.dist(), Dist::Gamma { .. } | Dist::GammaMeanSd { .. }) {
        // A gamma's quantile at the smallest uniform drawn (2^-53, the first
        // midpoint of streams::unit_from_u64's cells) is positive unless it underflows.
        (u.quantile(f64::EPSILON / 2.0).max(lo), hi)
    } else {
        (lo, hi)
    }
}

/// The range of [`positive_support`] for messages, in interval notation: an end
/// written in the file (a `lower`, a uniform's `max`) keeps every digit as
/// written (`[0.5, 1.5]`), an infinite end is open, and a lower end that stands
/// in for 0 excluded (a lognormal's f64::MIN_POSITIVE, a gamma's smallest
/// draw) reads `(0`: the smallest double written out is some 300 digits, which
/// hid the advice after it (exploratory test).
pub(super) fn support_text(u: &Uncertain) -> String {
    let (lo, hi) = positive_support(u);
    let open_zero = u.support().0 == 0.0 && lo > 0.0;
    let left = if open_zero {
        "(0".to_owned()
    } else if lo.is_infinite() {
        format!("({lo}")
    } else {
        format!("[{lo}")
    };
    let right = if hi.is_infinite() {
        format!("{hi})")
    } else {
        format!("{hi}]")
    };
    format!("{left}, {right}")
}

/// Collects problems while building the scenario.
pub(super) struct Checker {
    /// Every problem found so far, in the order found.
    pub(super) problems: Vec<Problem>,
    /// Every uncertain input registered so far, in file order.
    pub(super) params: ParamSet,
    /// Region ids in file order (a region reference becomes an index into this).
    pub(super) region_ids: Vec<String>,
    /// `scenario.start_year`: dates become year indices from it.
    pub(super) start_year: i32,
    /// The folder `empirical` inputs read their files from (None: refused).
    pub(super) data_dir: Option<std::path::PathBuf>,
    /// The data files read so far, in reading order.
    pub(super) data: Vec<DataSource>,
    /// Field paths of the fixed numbers checked so far (a `[correlation]` naming
    /// one is told it is not uncertain).
    pub(super) numbers: std::collections::BTreeSet<String>,
    /// Numbers that are not whole where the file takes a whole number, read as
    /// their whole part: each check of such a field reports it with its range.
    pub(super) not_whole: Vec<NotWhole>,
    /// Unknown region ids referred to while two regions share an id: each is
    /// reported at its first reference only.
    unknown_regions: Vec<String>,
}

impl Checker {
    /// A checker with no problems, no inputs and no regions yet.
    pub(super) fn new(start_year: i32) -> Self {
        Checker {
            problems: Vec::new(),
            params: ParamSet::default(),
            region_ids: Vec::new(),
            start_year,
            data_dir: None,
            data: Vec::new(),
            numbers: std::collections::BTreeSet::new(),
            not_whole: Vec::new(),
            unknown_regions: Vec::new(),
        }
    }

    /// Records a problem at `field`.
    pub(super) fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            line: None,
            field: field.into(),
            message: message.into(),
        });
    }

    /// A plain number that must be finite and satisfy `rule`.
    pub(super) fn check_fixed(&mut self, field: &str, x: f64, rule: Rule) -> f64 {
        self.numbers.insert(field.to_owned());
        if !x.is_finite() || !rule.holds(x, x) {
            self.problem(field, format!("expected {}, found {x}", rule.describe()));
        } else if x.abs() > MAX_INPUT_MAGNITUDE {
            self.problem(
                field,
                format!("expected a number within ±{MAX_INPUT_MAGNITUDE:e}, found {x:e}"),
            );
        }
        x
    }

    /// The first `max` of `items`, with a problem at `field` when there are more
    /// (the rest is not checked: a file far over a limit costs no more to refuse).
    pub(super) fn at_most<'a, T>(
        &mut self,
        field: &str,
        items: &'a [T],
        max: usize,
        what: &str,
    ) -> &'a [T] {
        if items.len() > max {
            self.problem(
                field,
                format!("expected at most {max} {what}, found {}", items.len()),
            );
            return &items[..max];
        }
        items
    }

    /// The number that is not whole the file holds at `field`, if any; taken,
    /// so that it is reported once (what is left is reported by
    /// [`Checker::report_not_whole`]).
    pub(super) fn take_not_whole(&mut self, field: &str) -> Option<NotWhole> {
        let i = self.not_whole.iter().position(|n| n.field == field)?;
        Some(self.not_whole.remove(i))
    }

    /// Reports the numbers that are not whole that no check with a range took.
    pub(super) fn report_not_whole(&mut self) {
        for n in std::mem::take(&mut self.not_whole) {
            let message = n.message("a whole number");
            self.problem(n.field, message);
        }
    }

    /// A whole number in [lo, hi] (lo on a problem).
    pub(super) fn int(&mut self, field: &str, x: i64, lo: u32, hi: u32) -> u32 {
        if let Some(n) = self.take_not_whole(field) {
            self.problem(field, n.message(&format!("a whole number in [{lo}, {hi}]")));
            return lo;
        }
        if x < i64::from(lo) || x > i64::from(hi) {
            self.problem(
                field,
                format!("expected a whole number in [{lo}, {hi}], found {x}"),
            );
            return lo;
        }
        // In [lo, hi] ⊂ u32, so the conversion cannot fail.
        u32::try_from(x).unwrap_or(lo)
    }

    /// A calendar year from the start year to [`MAX_YEARS_AFTER_START`] years after
    /// it, as a year index (0 on a problem).
    pub(super) fn year(&mut self, field: &str, y: i64) -> u32 {
        let start = i64::from(self.start_year);
        let last = start + i64::from(MAX_YEARS_AFTER_START);
        if let Some(n) = self.take_not_whole(field) {
            self.problem(
                field,
                n.message(&format!("a calendar year in [{start}, {last}]")),
            );
            return 0;
        }
        if y < start {
            self.problem(
                field,
                format!(
                    "expected a calendar year ≥ the start year {}, found {y}",
                    self.start_year
                ),
            );
            return 0;
        }
        if y > last {
            self.problem(
                field,
                format!(
                    "expected a calendar year at most {MAX_YEARS_AFTER_START} years after the start year {} (≤ {last}), found {y}",
                    self.start_year
                ),
            );
            return 0;
        }
        // In [0, MAX_YEARS_AFTER_START], so the conversion cannot fail.
        u32::try_from(y - start).unwrap_or(0)
    }

    /// A distribution table checked and built (None, with problems, when invalid).
    pub(super) fn uncertain(&mut self, field: &str, d: &DistFile) -> Option<Uncertain> {
        let before = self.problems.len();
        let need = |this: &mut Self, name: &str, v: Option<f64>| -> f64 {
            v.unwrap_or_else(|| {
                this.problem(
                    format!("{field}.{name}"),
                    format!("expected a number: `{}` needs `{name}`", d.dist),
                );
                f64::NAN
            })
        };
        let dist = match d.dist.as_str() {
            "normal" => Dist::Normal {
                mean: need(self, "mean", d.mean),
                sd: need(self, "sd", d.sd),
            },
            "lognormal" | "gamma" => {
                // Two ways to give each: mean and sd, or the kind's own pair.
                let (a, b) = if d.dist == "lognormal" {
                    ("mu", "sigma")
                } else {
                    ("shape", "scale")
                };
                let (va, vb) = if d.dist == "lognormal" {
                    (d.mu, d.sigma)
                } else {
                    (d.shape, d.scale)
                };
                let own = va.is_some() || vb.is_some();
                let moments = d.mean.is_some() || d.sd.is_some();
                let pairs = format!("`mean` and `sd`, or `{a}` and `{b}`");
                if own && moments {
                    let at = if va.is_some() { a } else { b };
                    self.problem(
                        format!("{field}.{at}"),
                        format!("expected {pairs}, not both: `{}` takes one pair", d.dist),
                    );
                    return None;
                }
                if !own && !moments {
                    self.problem(
                        field,
                        format!("expected {pairs}: `{}` needs one pair", d.dist),
                    );
                    return None;
                }
                match (d.dist.as_str(), own) {
                    ("lognormal", false) => Dist::LogNormal {
                        mean: need(self, "mean", d.mean),
                        sd: need(self, "sd", d.sd),
                    },
                    ("lognormal", true) => Dist::LogNormalMuSigma {
                        mu: need(self, "mu", d.mu),
                        sigma: need(self, "sigma", d.sigma),
                    },
                    (_, false) => Dist::GammaMeanSd {
                        mean: need(self, "mean", d.mean),
                        sd: need(self, "sd", d.sd),
                    },
                    (_, true) => Dist::Gamma {
                        shape: need(self, "shape", d.shape),
                        scale: need(self, "scale", d.scale),
                    },
                }
            }
            "empirical" => self.empirical(field, d)?,
            "uniform" => Dist::Uniform {
                min: need(self, "min", d.min),
                max: need(self, "max", d.max),
            },
            "triangular" => Dist::Triangular {
                min: need(self, "min", d.min),
                mode: need(self, "mode", d.mode),
                max: need(self, "max", d.max),
            },
            "pert" => Dist::Pert {
                min: need(self, "min", d.min),
                mode: need(self, "mode", d.mode),
                max: need(self, "max", d.max),
            },
            "beta" => Dist::Beta {
                alpha: need(self, "alpha", d.alpha),
                beta: need(self, "beta", d.beta),
                min: d.min.unwrap_or(0.0),
                max: d.max.unwrap_or(1.0),
            },
            "discrete" => {
                let values = d.values.clone().unwrap_or_default();
                let weights = d.weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
                if values.is_empty() {
                    self.problem(
                        format!("{field}.values"),
                        "expected a non-empty list of numbers",
                    );
                    return None;
                }
                Dist::Discrete { values, weights }
            }
            other => {
                self.problem(
                    format!("{field}.dist"),
                    format!(
                        "expected one of normal, lognormal, uniform, triangular, pert, beta, discrete, gamma, empirical; found `{other}`"
                    ),
                );
                return None;
            }
        };
        // Report fields that do not belong to this kind rather than ignoring them.
        let allowed: &[&str] = match d.dist.as_str() {
            "normal" => &["mean", "sd"],
            "lognormal" => &["mean", "sd", "mu", "sigma"],
            "gamma" => &["mean", "sd", "shape", "scale"],
            "empirical" => &["file", "column", "method"],
            "uniform" => &["min", "max"],
            "triangular" | "pert" => &["min", "mode", "max"],
            "beta" => &["alpha", "beta", "min", "max"],
            _ => &["values", "weights"],
        };
        let given = [
            ("mean", d.mean.is_some()),
            ("sd", d.sd.is_some()),
            ("min", d.min.is_some()),
            ("mode", d.mode.is_some()),
            ("max", d.max.is_some()),
            ("alpha", d.alpha.is_some()),
            ("beta", d.beta.is_some()),
            ("values", d.values.is_some()),
            ("weights", d.weights.is_some()),
            ("mu", d.mu.is_some()),
            ("sigma", d.sigma.is_some()),
            ("shape", d.shape.is_some()),
            ("scale", d.scale.is_some()),
            ("file", d.file.is_some()),
            ("column", d.column.is_some()),
            ("method", d.method.is_some()),
        ];
        for (name, present) in given {
            if present && !allowed.contains(&name) {
                self.problem(
                    format!("{field}.{name}"),
                    format!(
                        "`{}` takes {}; `{name}` does not apply (truncate with `lower`/`upper`)",
                        d.dist,
                        allowed.join(", ")
                    ),
                );
            }
        }
        if self.problems.len() > before {
            return None;
        }
        match Uncertain::new(dist, d.lower, d.upper) {
            Ok(u) => Some(u),
            Err(errors) => {
                for e in errors {
                    self.problem(
                        format!("{field}.{}", e.field),
                        format!("expected {}, found {}", e.expected, e.found),
                    );
                }
                None
            }
        }
    }

    /// An `empirical` distribution: its `file` (relative to [`Checker::data_dir`])
    /// and `column` read, and the file recorded in [`Checker::data`] (None, with a
    /// problem, when they cannot be read).
    fn empirical(&mut self, field: &str, d: &DistFile) -> Option<Dist> {
        let mut missing = false;
        for (name, given) in [("file", &d.file), ("column", &d.column)] {
            if given.is_none() {
                self.problem(
                    format!("{field}.{name}"),
                    format!("expected a string: `empirical` needs `{name}`"),
                );
                missing = true;
            }
        }
        let method = match d.method.as_deref() {
            None | Some("resample") => EmpiricalMethod::Resample,
            Some("interpolate") => EmpiricalMethod::Interpolate,
            Some(other) => {
                self.problem(
                    format!("{field}.method"),
                    format!("expected `resample` or `interpolate`, found `{other}`"),
                );
                return None;
            }
        };
        let (Some(file), Some(column), false) = (&d.file, &d.column, missing) else {
            return None;
        };
        let Some(dir) = &self.data_dir else {
            self.problem(
                format!("{field}.file"),
                format!(
                    "expected a scenario read from a file: `{file}` is read relative to the scenario file's folder, and this scenario text has none"
                ),
            );
            return None;
        };
        let path = dir.join(file);
        match data::read_column(&path, column) {
            Ok((values, sha256)) => {
                self.data.push(DataSource {
                    field: field.to_owned(),
                    file: file.clone(),
                    path,
                    column: column.clone(),
                    sha256,
                });
                Some(Dist::Empirical {
                    source: format!("column `{column}` of {file}"),
                    method,
                    values,
                })
            }
            Err(DataError::File(m)) => {
                // Where it looked, when the path read is relative: from the
                // working folder, which the message did not say (exploratory
                // test).
                let looked = match std::path::absolute(&path) {
                    Ok(abs) if path.is_relative() && std::fs::metadata(&path).is_err() => {
                        format!("; looked for {}", abs.display())
                    }
                    _ => String::new(),
                };
                self.problem(
                    format!("{field}.file"),
                    format!(
                        "expected a CSV file, relative to the scenario file's folder: {m}{looked}"
                    ),
                );
                None
            }
            Err(DataError::Column(m)) => {
                self.problem(format!("{field}.column"), m);
                None
            }
        }
    }

    /// A number or distribution whose every possible value satisfies `rule`.
    pub(super) fn num(&mut self, field: &str, n: &Num, rule: Rule) -> Value {
        match n {
            Num::Number(x) => Value::Fixed(self.check_fixed(field, *x, rule)),
            Num::Dist(d) => {
                let Some(u) = self.uncertain(field, d) else {
                    return Value::Fixed(f64::NAN);
                };
                let (lo, hi) = positive_support(&u);
                if !rule.holds(lo, hi) {
                    self.problem(
                        field,
                        format!(
                            "expected a distribution whose values are all {}, but it ranges over {}; truncate it with `lower`/`upper`",
                            rule.describe(),
                            support_text(&u)
                        ),
                    );
                } else {
                    // What is drawn: an unbounded tail is cut at probability 1e-12.
                    let (first, last) = (u.quantile(0.0), u.quantile(1.0));
                    if first.abs().max(last.abs()) > MAX_INPUT_MAGNITUDE {
                        let (first, last) = (short(first), short(last));
                        self.problem(
                            field,
                            format!(
                                "expected a distribution whose draws stay within ±{MAX_INPUT_MAGNITUDE:e}, but they range over [{first}, {last}]; truncate it with `lower`/`upper`"
                            ),
                        );
                    }
                }
                self.params.register(field.to_owned(), u)
            }
        }
    }

    /// The index of region `id` (0, with a problem, when unknown).
    pub(super) fn region(&mut self, field: &str, id: &str) -> usize {
        self.region_or(field, id, &[])
    }

    /// [`Checker::region`] where the words `keywords` are allowed too (and
    /// handled by the caller): the problem names them first.
    fn region_or(&mut self, field: &str, id: &str, keywords: &[&str]) -> usize {
        match self.region_ids.iter().position(|r| r == id) {
            Some(i) => i,
            // A region renamed to another's id: the references to its old id
            // would each repeat the duplicate id's problem (a tester saw 15), so
            // each unknown id is reported once; hiding them all hid typos of
            // other ids (another tester).
            None if self.duplicate_region_id() && self.unknown_regions.iter().any(|u| u == id) => 0,
            None => {
                let shared = self.duplicate_region_id().then(|| {
                    self.unknown_regions.push(id.to_owned());
                    format!(
                        " (while two regions share an id, only the first reference to `{id}` is listed)"
                    )
                });
                let words: String = keywords.iter().map(|k| format!("`{k}`, ")).collect();
                let hint = crate::scenario::closest(
                    id,
                    keywords
                        .iter()
                        .copied()
                        .chain(self.region_ids.iter().map(String::as_str)),
                )
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
                let expected = if keywords.is_empty() {
                    "a region id".to_owned()
                } else {
                    format!("{words}or a region id")
                };
                self.problem(
                    field,
                    format!(
                        "expected {expected} (one of {}), found `{id}`{hint}{}",
                        self.region_ids.join(", "),
                        shared.unwrap_or_default()
                    ),
                );
                0
            }
        }
    }

    /// Whether two regions have the same id (a problem of its own).
    fn duplicate_region_id(&self) -> bool {
        let ids = &self.region_ids;
        ids.iter().enumerate().any(|(i, r)| ids[..i].contains(r))
    }

    /// Shares per region id, complete, in [0, 1] and summing to 1.
    pub(super) fn shares(&mut self, field: &str, map: &BTreeMap<String, f64>) -> Vec<f64> {
        let mut shares = vec![0.0; self.region_ids.len()];
        for (id, &s) in map {
            let path = format!("{field}.{id}");
            let i = self.region(&path, id);
            shares[i] = self.check_fixed(&path, s, Rule::Share);
        }
        let sum: f64 = map.values().sum();
        if map.is_empty() {
            // Said as such: an empty sum of floats is -0, which read "a sum of -0".
            let example = match self.share_example() {
                Some(e) => format!(", such as {{ {e} }}"),
                None => String::new(),
            };
            self.problem(
                field,
                format!(
                    "expected shares summing to 1, found an empty table (sum 0); give each region's share{example}"
                ),
            );
        } else if (sum - 1.0).abs() > SHARE_SUM_TOL {
            self.problem(
                field,
                format!("expected shares summing to 1, found a sum of {sum}"),
            );
        }
        shares
    }

    /// A share table over the regions, equal shares, as a file writes it
    /// (`zhejiang = 0.5, jilin = 0.5`).
    fn share_example(&self) -> Option<String> {
        let n = self.region_ids.len();
        if n == 0 {
            return None;
        }
        // Rounded to 2 places, the last region taking the rest, so the example sums to 1.
        let each = (100 / n) as f64 / 100.0;
        let last = (100 - (100 / n) * (n - 1)) as f64 / 100.0;
        self.region_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let share = if i + 1 == n { last } else { each };
                format!("{id} = {share}")
            })
            .collect::<Vec<_>>()
            .join(", ")
            .into()
    }

    /// Who pays a cost: `bearer` and `shares` as written, `default` when omitted.
    pub(super) fn bearer(
        &mut self,
        field: &str,
        bearer: Option<&str>,
        shares: Option<&BTreeMap<String, f64>>,
        default: Bearer,
    ) -> Bearer {
        let b = match bearer {
            None => default,
            Some("company") => Bearer::Company,
            Some("equity") => Bearer::Equity,
            Some("shares") => match shares {
                Some(m) => Bearer::Shares(self.shares(&format!("{field}.shares"), m)),
                None => {
                    self.problem(format!("{field}.shares"), "expected a table of shares per region: `bearer = \"shares\"` needs `shares`");
                    Bearer::Company
                }
            },
            Some(id) => Bearer::Region(self.region_or(
                &format!("{field}.bearer"),
                id,
                &["company", "equity", "shares"],
            )),
        };
        if shares.is_some() && !matches!(b, Bearer::Shares(_)) {
            self.problem(
                format!("{field}.shares"),
                "`shares` applies only with `bearer = \"shares\"`",
            );
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{START, checker, params, problems, table};
    use super::*;

    /// A `Num` read from the TOML value `v`.
    fn num(v: &str) -> Num {
        #[derive(serde::Deserialize)]
        struct One {
            x: Num,
        }
        table::<One>(&format!("x = {v}")).x
    }

    #[test]
    fn uncertain_reports_unknown_kinds_missing_and_foreign_parameters() {
        let mut c = checker();
        c.num("a", &num(r#"{ dist = "gauss", mean = 1 }"#), Rule::Finite);
        c.num(
            "b",
            &num(r#"{ dist = "normal", mean = 1, min = 0 }"#),
            Rule::Finite,
        );
        c.num("c", &num(r#"{ dist = "discrete" }"#), Rule::Finite);
        assert_eq!(
            problems(&c),
            [
                "a.dist: expected one of normal, lognormal, uniform, triangular, pert, beta, discrete, gamma, empirical; found `gauss`",
                "b.sd: expected a number: `normal` needs `sd`",
                "b.min: `normal` takes mean, sd; `min` does not apply (truncate with `lower`/`upper`)",
                "c.values: expected a non-empty list of numbers",
            ]
        );
        assert_eq!(params(&c), [] as [&str; 0]);
    }

    #[test]
    fn num_checks_a_distribution_by_its_support_and_registers_it_by_field_path() {
        let mut c = checker();
        c.num(
            "rate",
            &num(r#"{ dist = "uniform", min = 0.5, max = 1.5 }"#),
            Rule::Share,
        );
        c.num(
            "ok",
            &num(r#"{ dist = "lognormal", mean = 1, sd = 0.5 }"#),
            Rule::Positive,
        );
        assert_eq!(
            problems(&c),
            [
                "rate: expected a distribution whose values are all a share in [0, 1], but it ranges over [0.5, 1.5]; truncate it with `lower`/`upper`"
            ]
        );
        assert_eq!(params(&c), ["rate", "ok"]);
    }

    /// A lognormal's support, open at 0, read as 300 digits of f64::MIN_POSITIVE
    /// (exploratory test): it reads `(0, …`, while an end written in the file
    /// keeps its digits and an infinite end is open.
    #[test]
    fn a_support_open_at_0_or_at_infinity_reads_in_interval_notation() {
        let mut c = checker();
        for (field, dist) in [
            ("log", r#"{ dist = "lognormal", mu = -2, sigma = 0.3 }"#),
            (
                "cut",
                r#"{ dist = "lognormal", mu = -2, sigma = 0.3, upper = 1.0000001 }"#,
            ),
            ("gamma", r#"{ dist = "gamma", shape = 2, scale = 1 }"#),
            ("normal", r#"{ dist = "normal", mean = 0, sd = 1 }"#),
        ] {
            c.num(field, &num(dist), Rule::Between(-1.0, 1.0));
        }
        let end = "; truncate it with `lower`/`upper`";
        let all =
            "expected a distribution whose values are all a number in [-1, 1], but it ranges over";
        assert_eq!(
            problems(&c),
            [
                format!("log: {all} (0, inf){end}"),
                format!("cut: {all} (0, 1.0000001]{end}"),
                format!("gamma: {all} (0, inf){end}"),
                format!("normal: {all} (-inf, inf){end}"),
            ]
        );
    }

    /// A drawn end far below 1 in e-notation, with every digit; 0 plainly.
    #[test]
    fn a_tiny_drawn_end_is_written_in_e_notation() {
        assert_eq!(short(1.2345e-300), "1.2345e-300");
        assert_eq!(short(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(3e12), "3.0000e12");
    }

    #[test]
    fn int_and_year_name_their_bounds() {
        let mut c = checker();
        assert_eq!(c.int("n", 7, 1, 5), 1);
        assert_eq!(c.int("m", 5, 1, 5), 5);
        let last = i64::from(START) + i64::from(MAX_YEARS_AFTER_START);
        assert_eq!(c.year("y", last), MAX_YEARS_AFTER_START);
        assert_eq!(c.year("z", last + 1), 0);
        assert_eq!(
            problems(&c),
            [
                "n: expected a whole number in [1, 5], found 7".to_owned(),
                format!(
                    "z: expected a calendar year at most {MAX_YEARS_AFTER_START} years after the start year {START} (≤ {last}), found {}",
                    last + 1
                ),
            ]
        );
    }

    #[test]
    fn shares_need_known_regions_and_a_sum_of_one() {
        let mut c = checker();
        let map = BTreeMap::from([("jilin".to_owned(), 0.3), ("zhejiang".to_owned(), 0.7)]);
        assert_eq!(c.shares("s", &map), [0.7, 0.3]);
        let bad = BTreeMap::from([("jilin".to_owned(), -0.1), ("mars".to_owned(), 0.5)]);
        c.shares("t", &bad);
        assert_eq!(
            problems(&c),
            [
                "t.jilin: expected a share in [0, 1], found -0.1",
                "t.mars: expected a region id (one of zhejiang, jilin), found `mars`",
                "t: expected shares summing to 1, found a sum of 0.4",
            ]
        );
    }

    #[test]
    fn an_empty_share_table_is_said_to_be_empty() {
        let mut c = checker();
        c.shares("u", &BTreeMap::new());
        assert_eq!(
            problems(&c),
            [
                "u: expected shares summing to 1, found an empty table (sum 0); give each region's share, such as { zhejiang = 0.5, jilin = 0.5 }"
            ]
        );
    }
}
