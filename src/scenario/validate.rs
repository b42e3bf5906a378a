//! Second stage of input: checks a [`ScenarioFile`] and builds the typed [`Scenario`]
//! (the first stage, text to `ScenarioFile`, is in `read`).
//!
//! A [`Checker`] walks the file, records every problem with its field path and
//! keeps going, so a user sees all of them at once. Uncertain inputs are checked
//! by their distribution's support (a rate drawn from an untruncated normal could
//! leave [0, 1], so it is rejected with advice to truncate) and registered in the
//! scenario's [`ParamSet`].

use std::collections::BTreeMap;

use super::file::*;
use super::*;
use crate::dist::{Dist, Uncertain};
use crate::sharing::{MAX_REGIONS, Period, Tranche};

/// Tolerance for "shares sum to 1".
const SHARE_SUM_TOL: f64 = 1e-9;

/// What a number must satisfy.
#[derive(Debug, Clone, Copy)]
enum Rule {
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
    fn holds(self, lo: f64, hi: f64) -> bool {
        match self {
            // Finiteness of fixed numbers is checked on its own; draws are always finite.
            Rule::Finite => true,
            Rule::NonNegative => lo >= 0.0,
            Rule::Positive => lo > 0.0,
            Rule::Share => lo >= 0.0 && hi <= 1.0,
            Rule::Between(a, b) => lo >= a && hi <= b,
        }
    }
    fn describe(self) -> String {
        match self {
            Rule::Finite => "a finite number".into(),
            Rule::NonNegative => "a number ≥ 0".into(),
            Rule::Positive => "a number > 0".into(),
            Rule::Share => "a share in [0, 1]".into(),
            Rule::Between(a, b) => format!("a number in [{a}, {b}]"),
        }
    }
}

/// The support of `u`, with a lognormal's lower end 0 (never drawn: uniforms are
/// drawn from the open interval (0, 1)) shown as the smallest positive number.
fn positive_support(u: &Uncertain) -> (f64, f64) {
    let (lo, hi) = u.support();
    if lo == 0.0 && matches!(u.dist(), Dist::LogNormal { sd, .. } if *sd > 0.0) {
        (f64::MIN_POSITIVE, hi)
    } else {
        (lo, hi)
    }
}

/// Collects problems while building the scenario.
struct Checker {
    problems: Vec<Problem>,
    params: ParamSet,
    region_ids: Vec<String>,
}

impl Checker {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            line: None,
            field: field.into(),
            message: message.into(),
        });
    }

    fn check_fixed(&mut self, field: &str, x: f64, rule: Rule) -> f64 {
        if !x.is_finite() || !rule.holds(x, x) {
            self.problem(field, format!("expected {}, found {x}", rule.describe()));
        }
        x
    }

    fn int(&mut self, field: &str, x: i64, lo: i64, hi: i64) -> u32 {
        if x < lo || x > hi {
            self.problem(
                field,
                format!("expected a whole number in [{lo}, {hi}], found {x}"),
            );
            return lo.max(0) as u32;
        }
        x as u32
    }

    fn uncertain(&mut self, field: &str, d: &DistFile) -> Option<Uncertain> {
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
            "lognormal" => Dist::LogNormal {
                mean: need(self, "mean", d.mean),
                sd: need(self, "sd", d.sd),
            },
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
                        "expected one of normal, lognormal, uniform, triangular, pert, beta, discrete; found `{other}`"
                    ),
                );
                return None;
            }
        };
        // Report fields that do not belong to this kind rather than ignoring them.
        let allowed: &[&str] = match d.dist.as_str() {
            "normal" | "lognormal" => &["mean", "sd"],
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

    /// A number or distribution whose every possible value satisfies `rule`.
    fn num(&mut self, field: &str, n: &Num, rule: Rule) -> Value {
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
                            "expected a distribution whose values are all {}, but it ranges over [{lo}, {hi}]; truncate it with `lower`/`upper`",
                            rule.describe()
                        ),
                    );
                }
                self.params.register(field.to_owned(), u)
            }
        }
    }

    fn region(&mut self, field: &str, id: &str) -> usize {
        match self.region_ids.iter().position(|r| r == id) {
            Some(i) => i,
            None => {
                self.problem(
                    field,
                    format!(
                        "expected a region id (one of {}), found `{id}`",
                        self.region_ids.join(", ")
                    ),
                );
                0
            }
        }
    }

    /// Shares per region id, complete, in [0, 1] and summing to 1.
    fn shares(&mut self, field: &str, map: &BTreeMap<String, f64>) -> Vec<f64> {
        let mut shares = vec![0.0; self.region_ids.len()];
        for (id, &s) in map {
            let path = format!("{field}.{id}");
            let i = self.region(&path, id);
            shares[i] = self.check_fixed(&path, s, Rule::Share);
        }
        let sum: f64 = map.values().sum();
        if (sum - 1.0).abs() > SHARE_SUM_TOL {
            self.problem(
                field,
                format!("expected shares summing to 1, found a sum of {sum}"),
            );
        }
        shares
    }

    fn bearer(
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
            Some(id) => Bearer::Region(self.region(&format!("{field}.bearer"), id)),
        };
        if shares.is_some() && !matches!(b, Bearer::Shares(_)) {
            self.problem(
                format!("{field}.shares"),
                "`shares` applies only with `bearer = \"shares\"`",
            );
        }
        b
    }

    fn formula(&mut self, field: &str, f: &FormulaFile, depth: usize) -> Formula {
        if depth > 8 {
            self.problem(field, "expected formulas nested at most 8 deep");
            return Formula::Equity;
        }
        match f {
            FormulaFile::Fixed { shares } => Formula::Fixed {
                shares: self.shares(&format!("{field}.shares"), shares),
            },
            FormulaFile::Equity {} => Formula::Equity,
            FormulaFile::Contribution {} => Formula::Contribution,
            FormulaFile::Schedule { periods } => {
                let mut out = Vec::new();
                let mut next = 1i64;
                if periods.is_empty() {
                    self.problem(format!("{field}.periods"), "expected at least one period");
                }
                for (j, p) in periods.iter().enumerate() {
                    let pf = format!("{field}.periods[{j}]");
                    let [first, last] = p.years;
                    if first != next || last < first {
                        self.problem(
                            format!("{pf}.years"),
                            format!("expected [{next}, n] with n ≥ {next} (periods contiguous from year 1), found [{first}, {last}]"),
                        );
                    }
                    next = last + 1;
                    let formula =
                        self.shares_or_formula(&pf, p.shares.as_ref(), p.formula.as_deref(), depth);
                    out.push(Period {
                        first: first.max(1) as u32,
                        last: last.max(first).max(1) as u32,
                        formula,
                    });
                }
                Formula::Schedule { periods: out }
            }
            FormulaFile::Incremental {
                owner,
                base,
                base_growth,
                inner,
            } => Formula::Incremental {
                owner: self.region(&format!("{field}.owner"), owner),
                base: self.check_fixed(&format!("{field}.base"), *base, Rule::NonNegative),
                base_growth: self.check_fixed(
                    &format!("{field}.base_growth"),
                    *base_growth,
                    Rule::Between(-1.0, 10.0),
                ),
                inner: Box::new(self.formula(&format!("{field}.inner"), inner, depth + 1)),
            },
            FormulaFile::Tiered { tranches } => {
                let mut out = Vec::new();
                let mut prev = 0.0;
                if tranches.is_empty() {
                    self.problem(format!("{field}.tranches"), "expected at least one tranche");
                }
                for (j, t) in tranches.iter().enumerate() {
                    let tf = format!("{field}.tranches[{j}]");
                    let last = j + 1 == tranches.len();
                    let upper = match (t.up_to, last) {
                        (None, true) => f64::INFINITY,
                        (Some(_), true) => {
                            self.problem(format!("{tf}.up_to"), "expected no `up_to` on the last tranche (it takes the rest of the pool)");
                            f64::INFINITY
                        }
                        (None, false) => {
                            self.problem(
                                format!("{tf}.up_to"),
                                "expected an upper threshold on every tranche but the last",
                            );
                            f64::INFINITY
                        }
                        (Some(u), false) => {
                            if !(u.is_finite() && u > prev) {
                                self.problem(
                                    format!("{tf}.up_to"),
                                    format!("expected a threshold above {prev}, found {u}"),
                                );
                            }
                            u
                        }
                    };
                    prev = upper;
                    let formula =
                        self.shares_or_formula(&tf, t.shares.as_ref(), t.formula.as_deref(), depth);
                    out.push(Tranche { upper, formula });
                }
                Formula::Tiered { tranches: out }
            }
            FormulaFile::GuaranteedReturn {
                beneficiary,
                guarantor,
                rate,
                inner,
            } => {
                let b = self.region(&format!("{field}.beneficiary"), beneficiary);
                let g = self.region(&format!("{field}.guarantor"), guarantor);
                if beneficiary == guarantor {
                    self.problem(
                        format!("{field}.guarantor"),
                        "expected a guarantor other than the beneficiary",
                    );
                }
                Formula::GuaranteedReturn {
                    beneficiary: b,
                    guarantor: g,
                    rate: self.check_fixed(
                        &format!("{field}.rate"),
                        *rate,
                        Rule::Between(0.0, 1.0),
                    ),
                    inner: Box::new(self.formula(&format!("{field}.inner"), inner, depth + 1)),
                }
            }
        }
    }

    fn shares_or_formula(
        &mut self,
        field: &str,
        shares: Option<&BTreeMap<String, f64>>,
        formula: Option<&FormulaFile>,
        depth: usize,
    ) -> Formula {
        match (shares, formula) {
            (Some(s), None) => Formula::Fixed {
                shares: self.shares(&format!("{field}.shares"), s),
            },
            (None, Some(f)) => self.formula(&format!("{field}.formula"), f, depth + 1),
            _ => {
                self.problem(field, "expected exactly one of `shares` or `formula`");
                Formula::Equity
            }
        }
    }
}

/// Second stage: every check, all problems together.
pub fn validate(raw: ScenarioFile) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
        params: ParamSet::default(),
        region_ids: Vec::new(),
    };

    // [scenario]
    let meta = &raw.scenario;
    if meta.id.is_empty()
        || !meta
            .id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.problem("scenario.id", format!("expected a non-empty id of ASCII letters, digits, '-' or '_' (it names the output folder), found `{}`", meta.id));
    }
    c.check_fixed("scenario.yuan_per_unit", meta.yuan_per_unit, Rule::Positive);

    // [simulation]
    let sim = &raw.simulation;
    if sim.paths < 1 {
        c.problem(
            "simulation.paths",
            format!("expected at least 1 path, found {}", sim.paths),
        );
    }
    if sim.seed < 0 {
        c.problem(
            "simulation.seed",
            format!("expected a seed ≥ 0, found {}", sim.seed),
        );
    }
    let horizon = c.int("simulation.horizon", sim.horizon, 1, 200);
    let simulation = Simulation {
        paths: sim.paths.max(1) as u64,
        seed: sim.seed.max(0) as u64,
        horizon,
    };
    let start_year = meta.start_year;
    let year_index = |c: &mut Checker, field: &str, y: i64| -> u32 {
        if y < start_year as i64 || y > start_year as i64 + 1000 {
            c.problem(
                field,
                format!("expected a calendar year ≥ the start year {start_year}, found {y}"),
            );
            return 0;
        }
        (y - start_year as i64) as u32
    };

    // [[regions]]
    c.region_ids = raw.regions.iter().map(|r| r.id.clone()).collect();
    if !(2..=MAX_REGIONS).contains(&raw.regions.len()) {
        c.problem(
            "regions",
            format!(
                "expected 2 to {MAX_REGIONS} regions, found {}",
                raw.regions.len()
            ),
        );
    }
    let mut regions = Vec::new();
    for (i, r) in raw.regions.iter().enumerate() {
        let f = format!("regions[{i}]");
        if ["company", "equity", "shares"].contains(&r.id.as_str()) {
            c.problem(
                format!("{f}.id"),
                format!(
                    "expected an id other than `{}`, which is a bearer keyword in [costs]",
                    r.id
                ),
            );
        }
        if raw.regions[..i].iter().any(|o| o.id == r.id) {
            c.problem(
                format!("{f}.id"),
                format!("expected a unique region id, found `{}` twice", r.id),
            );
        }
        regions.push(Region {
            id: r.id.clone(),
            name: r.name.clone(),
            role: match r.role {
                RoleFile::Source => Role::Source,
                RoleFile::Host => Role::Host,
                RoleFile::Other => Role::Other,
            },
            discount_rate: c.num(
                &format!("{f}.discount_rate"),
                &r.discount_rate,
                Rule::Between(-0.5, 1.0),
            ),
            outside_option: c.num(
                &format!("{f}.outside_option"),
                &r.outside_option,
                Rule::Finite,
            ),
        });
    }
    let hosts: Vec<usize> = regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.role == Role::Host)
        .map(|(i, _)| i)
        .collect();
    match hosts.len() {
        1 => {}
        0 => c.problem(
            "regions",
            "expected exactly one region with role = \"host\", found none",
        ),
        n => c.problem(
            format!("regions[{}].role", hosts[1]),
            format!("expected exactly one host region, found {n}"),
        ),
    }
    let host = hosts.first().copied().unwrap_or(0);
    let sources: Vec<usize> = regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.role == Role::Source)
        .map(|(i, _)| i)
        .collect();

    // [park]
    let area_mu = c.check_fixed("park.area_mu", raw.park.area_mu, Rule::Positive);
    let saleable_share = c.num("park.saleable_share", &raw.park.saleable_share, Rule::Share);
    if raw.park.phases.is_empty() {
        c.problem("park.phases", "expected at least one phase");
    }
    let mut phases = Vec::new();
    for (i, p) in raw.park.phases.iter().enumerate() {
        let f = format!("park.phases[{i}]");
        let a = c.check_fixed(&format!("{f}.area_mu"), p.area_mu, Rule::Positive);
        if a > area_mu {
            c.problem(
                format!("{f}.area_mu"),
                format!("expected a phase no larger than the park ({area_mu} mu), found {a}"),
            );
        }
        phases.push(Phase {
            name: if p.name.is_empty() {
                format!("phase {}", i + 1)
            } else {
                p.name.clone()
            },
            area_mu: a,
            start: year_index(&mut c, &format!("{f}.start_year"), p.start_year),
            build_years: c.int(&format!("{f}.build_years"), p.build_years, 1, 50),
        });
    }
    let total: f64 = phases.iter().map(|p| p.area_mu).sum();
    if total > area_mu * (1.0 + 1e-12) {
        c.problem(
            "park.phases",
            format!("expected phases adding up to at most the park's {area_mu} mu, found {total}"),
        );
    }
    let park = Park {
        area_mu,
        saleable_share,
        phases,
    };

    // [[contributions]]
    let mut contributions = Vec::new();
    for (i, k) in raw.contributions.iter().enumerate() {
        let f = format!("contributions[{i}]");
        let kind = match k.kind {
            ContributionKindFile::Cash => ContributionKind::Cash,
            ContributionKindFile::Land => ContributionKind::Land,
            ContributionKindFile::Technology => ContributionKind::Technology,
            ContributionKindFile::Brand => ContributionKind::Brand,
            ContributionKindFile::Management => ContributionKind::Management,
        };
        contributions.push(Contribution {
            region: c.region(&format!("{f}.region"), &k.region),
            kind,
            value: c.num(&format!("{f}.value"), &k.value, Rule::NonNegative),
            year: year_index(&mut c, &format!("{f}.year"), k.year),
            opportunity_cost: c.num(
                &format!("{f}.opportunity_cost"),
                &k.opportunity_cost,
                Rule::NonNegative,
            ),
            attractiveness: c.num(
                &format!("{f}.effects.attractiveness"),
                &k.effects.attractiveness,
                Rule::NonNegative,
            ),
            cost: c.num(
                &format!("{f}.effects.cost"),
                &k.effects.cost,
                Rule::NonNegative,
            ),
            revenue: c.num(
                &format!("{f}.effects.revenue"),
                &k.effects.revenue,
                Rule::NonNegative,
            ),
        });
    }

    // [costs]
    let rc = &raw.costs;
    let costs = Costs {
        land_acquisition: Capex {
            per_mu: c.num(
                "costs.land_acquisition.per_mu",
                &rc.land_acquisition.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.land_acquisition",
                rc.land_acquisition.bearer.as_deref(),
                rc.land_acquisition.shares.as_ref(),
                Bearer::Region(host),
            ),
        },
        infrastructure: Capex {
            per_mu: c.num(
                "costs.infrastructure.per_mu",
                &rc.infrastructure.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.infrastructure",
                rc.infrastructure.bearer.as_deref(),
                rc.infrastructure.shares.as_ref(),
                Bearer::Company,
            ),
        },
        operations: Operations {
            per_year: c.num(
                "costs.operations.per_year",
                &rc.operations.per_year,
                Rule::NonNegative,
            ),
            per_mu: c.num(
                "costs.operations.per_mu",
                &rc.operations.per_mu,
                Rule::NonNegative,
            ),
            bearer: c.bearer(
                "costs.operations",
                rc.operations.bearer.as_deref(),
                rc.operations.shares.as_ref(),
                Bearer::Company,
            ),
        },
    };

    // [company]
    let co = &raw.company;
    let equity = co.equity.as_ref().map(|m| c.shares("company.equity", m));
    if equity.is_none() && raw.contributions.is_empty() {
        c.problem(
            "company.equity",
            "expected fixed equity shares, or contributions to derive them from",
        );
    }
    let terminal = match co.terminal {
        TerminalFile::None => Terminal::None,
        TerminalFile::Book => Terminal::Book,
        TerminalFile::Perpetuity => {
            let growth = c.check_fixed(
                "company.terminal_growth",
                co.terminal_growth,
                Rule::Between(-0.5, 0.5),
            );
            let rate = c.check_fixed(
                "company.terminal_discount_rate",
                co.terminal_discount_rate,
                Rule::Between(-0.5, 1.0),
            );
            if rate <= growth {
                c.problem(
                    "company.terminal_discount_rate",
                    format!(
                        "expected a discount rate above the terminal growth {growth}, found {rate}"
                    ),
                );
            }
            Terminal::Perpetuity {
                growth,
                discount_rate: rate,
            }
        }
    };
    let company = Company {
        equity,
        land_price_per_mu: c.num(
            "company.land_price_per_mu",
            &co.land_price_per_mu,
            Rule::NonNegative,
        ),
        land_revenue: match co.land_revenue {
            LandRevenueFile::Company => LandRevenue::Company,
            LandRevenueFile::Governments => LandRevenue::Governments,
        },
        service_fee_rate: c.num(
            "company.service_fee_rate",
            &co.service_fee_rate,
            Rule::Share,
        ),
        rent_per_mu: c.num("company.rent_per_mu", &co.rent_per_mu, Rule::NonNegative),
        debt_share: c.num("company.debt_share", &co.debt_share, Rule::Share),
        interest_rate: c.num(
            "company.interest_rate",
            &co.interest_rate,
            Rule::Between(0.0, 1.0),
        ),
        loan_years: c.int("company.loan_years", co.loan_years, 1, 100),
        payout_ratio: c.num("company.payout_ratio", &co.payout_ratio, Rule::Share),
        terminal,
    };

    // [firms]
    let fi = &raw.firms;
    let relocated_share = c.num("firms.relocated_share", &fi.relocated_share, Rule::Share);
    let origin = match &fi.origin {
        Some(id) => {
            let o = c.region("firms.origin", id);
            Some(o)
        }
        None => match sources.len() {
            0 => None,
            1 => Some(sources[0]),
            _ => {
                c.problem("firms.origin", "expected `origin`: there are several source regions, so name the one relocated firms come from");
                None
            }
        },
    };
    if sources.is_empty() && fi.origin.is_none() && relocated_share != Value::Fixed(0.0) {
        c.problem(
            "firms.relocated_share",
            "expected 0: there is no source region for relocated firms to come from",
        );
    }
    if fi.sectors.is_empty() {
        c.problem("firms.sectors", "expected at least one sector");
    }
    let weight_sum: f64 = fi.sectors.iter().map(|s| s.weight.max(0.0)).sum();
    let mut sectors = Vec::new();
    for (i, s) in fi.sectors.iter().enumerate() {
        let f = format!("firms.sectors[{i}]");
        let p = |name: &str| format!("{f}.{name}");
        let weight = c.check_fixed(&p("weight"), s.weight, Rule::Positive);
        let land = match &s.land_per_firm_mu {
            Num::Number(x) => {
                FirmLand::Fixed(c.check_fixed(&p("land_per_firm_mu"), *x, Rule::Positive))
            }
            Num::Dist(d) => match c.uncertain(&p("land_per_firm_mu"), d) {
                Some(u) => {
                    let (lo, hi) = positive_support(&u);
                    if !Rule::Positive.holds(lo, hi) {
                        c.problem(p("land_per_firm_mu"), format!("expected a distribution whose values are all > 0, but it ranges over [{lo}, {hi}]; truncate it with `lower`/`upper`"));
                    }
                    FirmLand::PerFirm(u)
                }
                None => FirmLand::Fixed(1.0),
            },
        };
        let [free, half] = s.cit_holiday;
        sectors.push(Sector {
            name: s.name.clone(),
            weight: if weight_sum > 0.0 {
                weight / weight_sum
            } else {
                0.0
            },
            land_per_firm_mu: land,
            revenue_per_mu: c.num(&p("revenue_per_mu"), &s.revenue_per_mu, Rule::NonNegative),
            ramp_years: c.int(&p("ramp_years"), s.ramp_years, 0, 50),
            growth: c.num(&p("growth"), &s.growth, Rule::Between(-1.0, 1.0)),
            volatility: c.num(&p("volatility"), &s.volatility, Rule::Between(0.0, 2.0)),
            macro_beta: c.num(&p("macro_beta"), &s.macro_beta, Rule::Between(-1.0, 1.0)),
            exit_hazard: c.num(&p("exit_hazard"), &s.exit_hazard, Rule::Share),
            value_added_ratio: c.num(&p("value_added_ratio"), &s.value_added_ratio, Rule::Share),
            profit_margin: c.num(
                &p("profit_margin"),
                &s.profit_margin,
                Rule::Between(-1.0, 1.0),
            ),
            fixed_cost_per_mu: c.num(
                &p("fixed_cost_per_mu"),
                &s.fixed_cost_per_mu,
                Rule::NonNegative,
            ),
            wage_share: c.num(&p("wage_share"), &s.wage_share, Rule::Share),
            building_value_per_mu: c.num(
                &p("building_value_per_mu"),
                &s.building_value_per_mu,
                Rule::NonNegative,
            ),
            vat_rate: c.num(&p("vat_rate"), &s.vat_rate, Rule::Share),
            cit_rate: c.num(&p("cit_rate"), &s.cit_rate, Rule::Share),
            cit_free_years: c.int(&format!("{f}.cit_holiday[0]"), free, 0, 50),
            cit_half_years: c.int(&format!("{f}.cit_holiday[1]"), half, 0, 50),
            loss_carry_years: c.int(
                &p("loss_carry_years"),
                s.loss_carry_years,
                0,
                crate::economy::MAX_LOSS_CARRY as i64,
            ),
        });
    }
    let firms = Firms {
        arrival_rate: c.num("firms.arrival_rate", &fi.arrival_rate, Rule::NonNegative),
        crowding: c.check_fixed("firms.crowding", fi.crowding, Rule::Between(0.0, 10.0)),
        relocated_share,
        displacement: c.num("firms.displacement", &fi.displacement, Rule::Share),
        origin,
        average_wage: c.num("firms.average_wage", &fi.average_wage, Rule::Positive),
        sectors,
    };

    let macro_shock = MacroShock {
        persistence: c.num(
            "macro.persistence",
            &raw.macro_shock.persistence,
            Rule::Between(-1.0, 1.0),
        ),
        volatility: c.num(
            "macro.volatility",
            &raw.macro_shock.volatility,
            Rule::Between(0.0, 2.0),
        ),
    };

    let tx = &raw.taxes;
    let taxes = Taxes {
        vat_local_share: c.num("taxes.vat_local_share", &tx.vat_local_share, Rule::Share),
        cit_local_share: c.num("taxes.cit_local_share", &tx.cit_local_share, Rule::Share),
        iit_rate: c.num("taxes.iit_rate", &tx.iit_rate, Rule::Share),
        iit_local_share: c.num("taxes.iit_local_share", &tx.iit_local_share, Rule::Share),
        urban_maintenance_rate: c.num(
            "taxes.urban_maintenance_rate",
            &tx.urban_maintenance_rate,
            Rule::Share,
        ),
        education_rate: c.num("taxes.education_rate", &tx.education_rate, Rule::Share),
        local_education_rate: c.num(
            "taxes.local_education_rate",
            &tx.local_education_rate,
            Rule::Share,
        ),
        land_use_tax_per_m2: c.num(
            "taxes.land_use_tax_per_m2",
            &tx.land_use_tax_per_m2,
            Rule::NonNegative,
        ),
        property_tax_rate: c.num(
            "taxes.property_tax_rate",
            &tx.property_tax_rate,
            Rule::Share,
        ),
        property_tax_deduction: c.num(
            "taxes.property_tax_deduction",
            &tx.property_tax_deduction,
            Rule::Share,
        ),
        provincial_take: c.num("taxes.provincial_take", &tx.provincial_take, Rule::Share),
        rebate_share: c.num("taxes.rebate.share", &tx.rebate.share, Rule::Share),
        rebate_years: c.int("taxes.rebate.years", tx.rebate.years, 0, 100),
        rebate_attractiveness: c.num(
            "taxes.rebate.attractiveness",
            &tx.rebate.attractiveness,
            Rule::NonNegative,
        ),
    };

    // [[sharing]]
    if raw.sharing.is_empty() {
        c.problem("sharing", "expected at least one [[sharing]] alternative");
    }
    let mut alternatives = Vec::new();
    for (i, s) in raw.sharing.iter().enumerate() {
        let f = format!("sharing[{i}]");
        if s.name.is_empty() {
            c.problem(format!("{f}.name"), "expected a non-empty name");
        }
        if raw.sharing[..i].iter().any(|o| o.name == s.name) {
            c.problem(
                format!("{f}.name"),
                format!("expected a unique name, found `{}` twice", s.name),
            );
        }
        alternatives.push(Alternative {
            name: s.name.clone(),
            description: s.description.clone(),
            tax: c.formula(&format!("{f}.tax"), &s.tax, 0),
            land: s
                .land
                .as_ref()
                .map_or(Formula::Equity, |l| c.formula(&format!("{f}.land"), l, 0)),
            gdp: s
                .gdp
                .as_ref()
                .map_or(Formula::Equity, |g| c.formula(&format!("{f}.gdp"), g, 0)),
        });
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Scenario {
        id: meta.id.clone(),
        name: meta.name.clone(),
        description: meta.description.clone(),
        start_year,
        money_unit: meta.money_unit.clone(),
        yuan_per_unit: meta.yuan_per_unit,
        simulation,
        regions,
        host,
        park,
        contributions,
        costs,
        company,
        firms,
        macro_shock,
        taxes,
        alternatives,
        params: c.params,
        sha256: String::new(),
        source: String::new(),
    })
}
