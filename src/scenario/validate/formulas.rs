//! `[[sharing]]`: the sharing alternatives and their formulas (MODEL.md §7).

use std::collections::BTreeMap;

use super::super::file::{
    DeliveryFile, FixedFile, FormulaFile, GuaranteedReturnFile, IncrementalFile, ScheduleFile,
    SharingFile, StakeIncomeFile, TieredFile,
};
use super::super::limits::{
    MAX_ALTERNATIVES, MAX_FORMULA_DEPTH, MAX_FORMULA_PARTS, MAX_SCHEDULE_YEAR,
    MAX_YEARS_AFTER_START,
};
use super::super::{Alternative, Delivery};
use super::check::{Checker, Rule};
use crate::sharing::{Formula, GuaranteeTerm, Period, StakeIncome, Tranche};

/// `[[sharing]]`: at least one alternative, each with a unique non-empty name and
/// a valid formula per pool (land and GDP default to equity).
/// `host` receives the rest of a restricted pool unless told otherwise; `origin` is
/// where relocated firms come from, if anywhere.
pub(super) fn alternatives(
    c: &mut Checker,
    sharing: &[SharingFile],
    host: usize,
    origin: Option<usize>,
) -> Vec<Alternative> {
    if sharing.is_empty() {
        c.problem("sharing", "expected at least one [[sharing]] alternative");
    }
    let mut alternatives = Vec::new();
    let sharing = c.at_most("sharing", sharing, MAX_ALTERNATIVES, "alternatives");
    let mut slots = 0;
    for (i, s) in sharing.iter().enumerate() {
        let f = format!("sharing[{i}]");
        if s.name.is_empty() {
            c.problem(format!("{f}.name"), "expected a non-empty name");
        }
        if sharing[..i].iter().any(|o| o.name == s.name) {
            c.problem(
                format!("{f}.name"),
                format!("expected a unique name, found `{}` twice", s.name),
            );
        }
        let alternative = Alternative {
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
            pool: s
                .tax_pool
                .as_ref()
                .map(|p| super::pool::tax_pool(c, &format!("{f}.tax_pool"), p, host, origin)),
            delivery: s.delivery.as_ref().map(|d| {
                let rule = delivery(c, &format!("{f}.delivery"), d, host, slots);
                slots += 1;
                rule
            }),
        };
        contract_terms(c, &f, &alternative);
        alternatives.push(alternative);
    }
    alternatives
}

/// `[sharing.delivery]`: the collector is a region (default: the host); the
/// default probability and the haircut are shares; a renegotiation year is a
/// calendar year from the start year to [`MAX_YEARS_AFTER_START`] years after it.
fn delivery(c: &mut Checker, f: &str, d: &DeliveryFile, host: usize, slot: usize) -> Delivery {
    let collector = d
        .collector
        .as_deref()
        .map_or(host, |id| c.region(&format!("{f}.collector"), id));
    let start = f64::from(c.start_year);
    let last = start + f64::from(MAX_YEARS_AFTER_START);
    Delivery {
        collector,
        default_probability: c.num(
            &format!("{f}.default_probability"),
            &d.default_probability,
            Rule::Share,
        ),
        haircut: c.num(&format!("{f}.haircut"), &d.haircut, Rule::Share),
        renegotiation_year: d.renegotiation_year.as_ref().map(|y| {
            c.num(
                &format!("{f}.renegotiation_year"),
                y,
                Rule::Between(start, last),
            )
        }),
        slot,
    }
}

/// A guarantee's principal repayment and income handover are paid once a year
/// per alternative: only on a `guaranteed_return` at the top of the `tax` or
/// the `land` formula (a nested one would be paid once per tranche or only in
/// its period), not in both, and never in `gdp`, which is not cash.
fn contract_terms(c: &mut Checker, field: &str, alt: &Alternative) {
    const TERMS: &str = "`repay_principal` or `dividends = \"guarantor\"`";
    for (pool, formula) in [("tax", &alt.tax), ("land", &alt.land)] {
        if has_contract_term(formula, true) {
            c.problem(
                format!("{field}.{pool}"),
                format!("expected {TERMS} only on a guaranteed_return at the top of the formula (each is paid once a year), found one nested inside"),
            );
        }
    }
    if has_contract_term(&alt.gdp, false) {
        c.problem(
            format!("{field}.gdp"),
            format!("expected no {TERMS} in the gdp formula (GDP credit is not cash)"),
        );
    }
    if has_contract_term(&alt.tax, false) && has_contract_term(&alt.land, false) {
        c.problem(
            format!("{field}.land"),
            format!("expected {TERMS} in at most one of the tax and land formulas (the contract is paid once)"),
        );
    }
}

/// Whether `f`, or a formula inside it, is a guaranteed return with a principal
/// repayment or an income handover; `below_top`: look only inside `f`.
fn has_contract_term(f: &Formula, below_top: bool) -> bool {
    let own = matches!(f, Formula::GuaranteedReturn { term, .. }
        if !below_top && (term.repay_principal || term.dividends == StakeIncome::Guarantor));
    own || match f {
        Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => false,
        Formula::Schedule { periods } => {
            periods.iter().any(|p| has_contract_term(&p.formula, false))
        }
        Formula::Tiered { tranches } => tranches
            .iter()
            .any(|t| has_contract_term(&t.formula, false)),
        Formula::Incremental { inner, .. } | Formula::GuaranteedReturn { inner, .. } => {
            has_contract_term(inner, false)
        }
    }
}

impl Checker {
    /// A formula nested `depth` levels below the top formula of its pool.
    fn formula(&mut self, field: &str, f: &FormulaFile, depth: usize) -> Formula {
        if depth > MAX_FORMULA_DEPTH {
            self.problem(
                field,
                format!("expected formulas nested at most {MAX_FORMULA_DEPTH} deep"),
            );
            return Formula::Equity;
        }
        match f {
            FormulaFile::Fixed(FixedFile { shares }) => Formula::Fixed {
                shares: self.shares(&format!("{field}.shares"), shares),
            },
            FormulaFile::Equity(_) => Formula::Equity,
            FormulaFile::Contribution(_) => Formula::Contribution,
            FormulaFile::Schedule(ScheduleFile { periods }) => {
                let mut out = Vec::new();
                let mut next = 1i64;
                if periods.is_empty() {
                    self.problem(format!("{field}.periods"), "expected at least one period");
                }
                let periods = self.at_most(
                    &format!("{field}.periods"),
                    periods,
                    MAX_FORMULA_PARTS,
                    "periods",
                );
                for (j, p) in periods.iter().enumerate() {
                    let pf = format!("{field}.periods[{j}]");
                    // A year that is not whole, said as such (its whole part is read on).
                    for (key, what) in [
                        ("years", "a year of cooperation (a whole number)"),
                        ("calendar_years", "a calendar year (a whole number)"),
                    ] {
                        for k in 0..2 {
                            let f = format!("{pf}.{key}[{k}]");
                            if let Some(n) = self.take_not_whole(&f) {
                                self.problem(f, n.message(what));
                            }
                        }
                    }
                    // Calendar years are years of cooperation counted from the start year.
                    let offset = i64::from(self.start_year) - 1;
                    let (key, [first, last], shift) = match (p.years, p.calendar_years) {
                        (Some(y), None) => ("years", y, 0),
                        (None, Some([a, b])) => (
                            "calendar_years",
                            [a.saturating_sub(offset), b.saturating_sub(offset)],
                            offset,
                        ),
                        (Some(y), Some(_)) => {
                            self.problem(
                                format!("{pf}.calendar_years"),
                                "expected either `years` (of cooperation) or `calendar_years`, not both",
                            );
                            ("years", y, 0)
                        }
                        (None, None) => {
                            self.problem(
                                format!("{pf}.years"),
                                "expected `years = [first, last]` (years of cooperation) or `calendar_years = [first, last]`",
                            );
                            ("years", [next, next], 0)
                        }
                    };
                    if first != next || last < first {
                        let (n, f, l) = (next + shift, first + shift, last + shift);
                        self.problem(
                            format!("{pf}.{key}"),
                            format!("expected [{n}, n] with n ≥ {n} (periods contiguous from year 1 of cooperation, which is {}), found [{f}, {l}]", self.start_year),
                        );
                    }
                    next = last.saturating_add(1);
                    // Checked in the type it is read into: a year past u32 must not wrap.
                    let first = self.int(&format!("{pf}.{key}[0]"), first, 1, MAX_SCHEDULE_YEAR);
                    let last = self.int(&format!("{pf}.{key}[1]"), last, 1, MAX_SCHEDULE_YEAR);
                    let formula =
                        self.shares_or_formula(&pf, p.shares.as_ref(), p.formula.as_deref(), depth);
                    out.push(Period {
                        first,
                        last: last.max(first),
                        formula,
                    });
                }
                Formula::Schedule { periods: out }
            }
            FormulaFile::Incremental(IncrementalFile {
                owner,
                base,
                base_growth,
                inner,
            }) => Formula::Incremental {
                owner: self.region(&format!("{field}.owner"), owner),
                base: self.check_fixed(&format!("{field}.base"), *base, Rule::NonNegative),
                base_growth: self.check_fixed(
                    &format!("{field}.base_growth"),
                    *base_growth,
                    Rule::Between(-1.0, 10.0),
                ),
                inner: Box::new(self.formula(&format!("{field}.inner"), inner, depth + 1)),
            },
            FormulaFile::Tiered(TieredFile { tranches }) => {
                let mut out = Vec::new();
                let mut prev = 0.0;
                if tranches.is_empty() {
                    self.problem(format!("{field}.tranches"), "expected at least one tranche");
                }
                let tranches = self.at_most(
                    &format!("{field}.tranches"),
                    tranches,
                    MAX_FORMULA_PARTS,
                    "tranches",
                );
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
            FormulaFile::GuaranteedReturn(GuaranteedReturnFile {
                beneficiary,
                guarantor,
                rate,
                inner,
                first_year,
                last_year,
                repay_principal,
                dividends,
            }) => {
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
                    term: self.guarantee_term(
                        field,
                        *first_year,
                        *last_year,
                        *repay_principal,
                        *dividends,
                    ),
                }
            }
        }
    }

    /// A guarantee's term: years within the schedule limit, an end no earlier
    /// than its start, and principal repaid only at a given end by a guarantor
    /// that takes the stake's income (repaying the capital buys the stake back;
    /// the beneficiary keeping its dividends too would be paid twice).
    fn guarantee_term(
        &mut self,
        field: &str,
        first: i64,
        last: Option<i64>,
        repay_principal: bool,
        dividends: StakeIncomeFile,
    ) -> GuaranteeTerm {
        let first_year = self.int(&format!("{field}.first_year"), first, 1, MAX_SCHEDULE_YEAR);
        let last_year = last.map(|l| {
            if l < first {
                self.problem(
                    format!("{field}.last_year"),
                    format!("expected a last year no earlier than first_year {first}, found {l}"),
                );
            }
            self.int(&format!("{field}.last_year"), l, 1, MAX_SCHEDULE_YEAR)
                .max(first_year)
        });
        let dividends = match dividends {
            StakeIncomeFile::Beneficiary => StakeIncome::Beneficiary,
            StakeIncomeFile::Guarantor => StakeIncome::Guarantor,
        };
        if repay_principal && last_year.is_none() {
            self.problem(
                format!("{field}.repay_principal"),
                "expected a `last_year` to repay the principal at the end of",
            );
        }
        if repay_principal && dividends != StakeIncome::Guarantor {
            self.problem(
                format!("{field}.dividends"),
                "expected `dividends = \"guarantor\"` with `repay_principal = true` (repaying the capital buys the stake back; a beneficiary keeping its dividends would be paid twice)",
            );
        }
        GuaranteeTerm {
            first_year,
            last_year,
            repay_principal: repay_principal && last_year.is_some(),
            dividends,
        }
    }

    /// A period or tranche's split: exactly one of fixed `shares` or a `formula`.
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

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, problems, table};
    use super::*;
    use crate::sampling::Value;

    /// The `[[sharing]]` array of a TOML text.
    fn sharing_list(toml: &str) -> Vec<SharingFile> {
        #[derive(serde::Deserialize)]
        struct List {
            sharing: Vec<SharingFile>,
        }
        table::<List>(toml).sharing
    }

    /// The alternatives of a park whose host is `jilin` and whose relocated firms
    /// come from `zhejiang`.
    fn alternatives(c: &mut Checker, sharing: &[SharingFile]) -> Vec<Alternative> {
        super::alternatives(c, sharing, 1, Some(0))
    }

    /// One alternative whose tax formula is `tax`.
    fn with_tax(tax: &str) -> Vec<SharingFile> {
        sharing_list(&format!("[[sharing]]\nname = \"a\"\ntax = {tax}"))
    }

    /// `equity` inside `levels` nested `incremental` formulas.
    fn nested(levels: usize) -> String {
        let mut f = r#"{ kind = "equity" }"#.to_owned();
        for _ in 0..levels {
            f = format!(r#"{{ kind = "incremental", owner = "jilin", base = 1, inner = {f} }}"#);
        }
        f
    }

    #[test]
    fn alternatives_need_unique_non_empty_names() {
        let mut c = checker();
        alternatives(&mut c, &[]);
        alternatives(
            &mut c,
            &sharing_list(
                r#"sharing = [
                    { name = "", tax = { kind = "equity" } },
                    { name = "", tax = { kind = "equity" } },
                ]"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing: expected at least one [[sharing]] alternative",
                "sharing[0].name: expected a non-empty name",
                "sharing[1].name: expected a non-empty name",
                "sharing[1].name: expected a unique name, found `` twice",
            ]
        );
    }

    #[test]
    fn formulas_nest_at_most_the_limit() {
        let mut c = checker();
        let alts = alternatives(&mut c, &with_tax(&nested(MAX_FORMULA_DEPTH)));
        assert_eq!(problems(&c), [] as [String; 0]);
        assert!(matches!(alts[0].tax, Formula::Incremental { .. }));
        alternatives(&mut c, &with_tax(&nested(MAX_FORMULA_DEPTH + 1)));
        let field = format!("sharing[0].tax{}", ".inner".repeat(MAX_FORMULA_DEPTH + 1));
        assert_eq!(
            problems(&c),
            [format!(
                "{field}: expected formulas nested at most {MAX_FORMULA_DEPTH} deep"
            )]
        );
    }

    #[test]
    fn schedule_periods_may_be_given_in_calendar_years() {
        let mut c = checker();
        // Start year 2018: 2018–2020 are years 1–3 of cooperation.
        let alts = alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "schedule", periods = [
                    { calendar_years = [2018, 2020], shares = { zhejiang = 0.5, jilin = 0.5 } },
                    { calendar_years = [2021, 9999], formula = { kind = "equity" } },
                ] }"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        let Formula::Schedule { periods } = &alts[0].tax else {
            panic!("a schedule")
        };
        let years: Vec<_> = periods.iter().map(|p| (p.first, p.last)).collect();
        assert_eq!(years, [(1, 3), (4, 9999 - 2017)]);
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "schedule", periods = [
                    { calendar_years = [2019, 2020], shares = { zhejiang = 0.5, jilin = 0.5 } },
                    { years = [4, 5], calendar_years = [2021, 2022], formula = { kind = "equity" } },
                    { shares = { zhejiang = 0.5, jilin = 0.5 } },
                ] }"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax.periods[0].calendar_years: expected [2018, n] with n ≥ 2018 (periods contiguous from year 1 of cooperation, which is 2018), found [2019, 2020]",
                "sharing[0].tax.periods[1].calendar_years: expected either `years` (of cooperation) or `calendar_years`, not both",
                "sharing[0].tax.periods[2].years: expected `years = [first, last]` (years of cooperation) or `calendar_years = [first, last]`",
            ]
        );
    }

    #[test]
    fn schedule_periods_must_be_contiguous_from_year_one() {
        let mut c = checker();
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "schedule", periods = [
                    { years = [2, 5], shares = { zhejiang = 0.5, jilin = 0.5 } },
                    { years = [6, 4], formula = { kind = "equity" } },
                    { years = [5, 9] },
                ] }"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax.periods[0].years: expected [1, n] with n ≥ 1 (periods contiguous from year 1 of cooperation, which is 2018), found [2, 5]",
                "sharing[0].tax.periods[1].years: expected [6, n] with n ≥ 6 (periods contiguous from year 1 of cooperation, which is 2018), found [6, 4]",
                "sharing[0].tax.periods[2]: expected exactly one of `shares` or `formula`",
            ]
        );
    }

    #[test]
    fn tiered_tranches_need_increasing_thresholds_but_the_last() {
        let mut c = checker();
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "tiered", tranches = [
                    { up_to = 10, formula = { kind = "equity" } },
                    { up_to = 5, formula = { kind = "equity" } },
                    { formula = { kind = "equity" } },
                    { up_to = 20, shares = { zhejiang = 1.0, atlantis = 0.0 } },
                ] }"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax.tranches[1].up_to: expected a threshold above 10, found 5",
                "sharing[0].tax.tranches[2].up_to: expected an upper threshold on every tranche but the last",
                "sharing[0].tax.tranches[3].up_to: expected no `up_to` on the last tranche (it takes the rest of the pool)",
                "sharing[0].tax.tranches[3].shares.atlantis: expected a region id (one of zhejiang, jilin), found `atlantis`",
            ]
        );
    }

    #[test]
    fn guaranteed_return_needs_two_regions_and_a_rate_in_range() {
        let mut c = checker();
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "guaranteed_return", beneficiary = "jilin", guarantor = "jilin",
                     rate = 2, inner = { kind = "contribution" } }"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax.guarantor: expected a guarantor other than the beneficiary",
                "sharing[0].tax.rate: expected a number in [0, 1], found 2",
            ]
        );
    }

    #[test]
    fn guarantee_terms_are_checked() {
        let mut c = checker();
        let alts = alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "guaranteed_return", beneficiary = "zhejiang", guarantor = "jilin",
                     rate = 0.1, inner = { kind = "equity" }, first_year = 2, last_year = 11,
                     repay_principal = true, dividends = "guarantor" }"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        let Formula::GuaranteedReturn { term, .. } = &alts[0].tax else {
            panic!("a guaranteed return: {:?}", alts[0].tax);
        };
        assert_eq!(
            *term,
            GuaranteeTerm {
                first_year: 2,
                last_year: Some(11),
                repay_principal: true,
                dividends: StakeIncome::Guarantor,
            }
        );
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "guaranteed_return", beneficiary = "zhejiang", guarantor = "jilin",
                     rate = 0.1, inner = { kind = "equity" }, first_year = 0, last_year = 5,
                     repay_principal = true }"#,
            ),
        );
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "guaranteed_return", beneficiary = "zhejiang", guarantor = "jilin",
                     rate = 0.1, inner = { kind = "equity" }, first_year = 6, last_year = 5,
                     dividends = "guarantor" }"#,
            ),
        );
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "guaranteed_return", beneficiary = "zhejiang", guarantor = "jilin",
                     rate = 0.1, inner = { kind = "equity" }, repay_principal = true,
                     dividends = "guarantor" }"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax.first_year: expected a whole number in [1, 9999], found 0",
                "sharing[0].tax.dividends: expected `dividends = \"guarantor\"` with `repay_principal = true` (repaying the capital buys the stake back; a beneficiary keeping its dividends would be paid twice)",
                "sharing[0].tax.last_year: expected a last year no earlier than first_year 6, found 5",
                "sharing[0].tax.repay_principal: expected a `last_year` to repay the principal at the end of",
            ]
        );
    }

    #[test]
    fn contract_terms_are_paid_once_a_year_in_cash_pools() {
        let contract = r#"{ kind = "guaranteed_return", beneficiary = "zhejiang", guarantor = "jilin",
                            rate = 0.1, inner = { kind = "equity" }, dividends = "guarantor" }"#;
        let mut c = checker();
        // Nested in a tiered tax formula, at the top of both tax and land, and in gdp.
        alternatives(
            &mut c,
            &sharing_list(&format!(
                r#"[[sharing]]
                name = "nested"
                tax = {{ kind = "tiered", tranches = [ {{ up_to = 5, formula = {contract} }}, {{ shares = {{ zhejiang = 1, jilin = 0 }} }} ] }}
                [[sharing]]
                name = "twice"
                tax = {contract}
                land = {contract}
                gdp = {contract}"#
            )),
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax: expected `repay_principal` or `dividends = \"guarantor\"` only on a guaranteed_return at the top of the formula (each is paid once a year), found one nested inside",
                "sharing[1].gdp: expected no `repay_principal` or `dividends = \"guarantor\"` in the gdp formula (GDP credit is not cash)",
                "sharing[1].land: expected `repay_principal` or `dividends = \"guarantor\"` in at most one of the tax and land formulas (the contract is paid once)",
            ]
        );
        // A plain guarantee may sit anywhere.
        let mut c = checker();
        alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "tiered", tranches = [ { up_to = 5, formula = { kind = "guaranteed_return",
                     beneficiary = "zhejiang", guarantor = "jilin", rate = 0.1, inner = { kind = "equity" } } },
                     { shares = { zhejiang = 1, jilin = 0 } } ] }"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
    }

    #[test]
    fn alternatives_default_land_and_gdp_to_equity() {
        let mut c = checker();
        let alts = alternatives(
            &mut c,
            &with_tax(
                r#"{ kind = "incremental", owner = "jilin", base = 10, base_growth = 0.05,
                     inner = { kind = "fixed", shares = { zhejiang = 0.4, jilin = 0.6 } } }"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(alts[0].land, Formula::Equity);
        assert_eq!(alts[0].gdp, Formula::Equity);
    }

    #[test]
    fn a_delivery_risk_names_its_collector_and_checks_its_numbers() {
        let mut c = checker();
        let list = sharing_list(
            r#"
[[sharing]]
name = "a"
tax = { kind = "equity" }
[sharing.delivery]
default_probability = { dist = "uniform", min = 0.0, max = 0.3 }
haircut = 0.1
renegotiation_year = 2030

[[sharing]]
name = "b"
tax = { kind = "equity" }
[sharing.delivery]
collector = "zhejiang"

[[sharing]]
name = "c"
tax = { kind = "equity" }
[sharing.delivery]
collector = "hebei"
default_probability = 1.5
haircut = -0.1
renegotiation_year = 2017
"#,
        );
        let alts = alternatives(&mut c, &list);
        let a = alts[0].delivery.as_ref().expect("a delivery risk");
        assert_eq!(
            (a.collector, a.slot),
            (1, 0),
            "the host collects by default"
        );
        assert_eq!(a.haircut, Value::Fixed(0.1));
        assert_eq!(a.renegotiation_year, Some(Value::Fixed(2030.0)));
        let b = alts[1].delivery.as_ref().expect("a delivery risk");
        assert_eq!((b.collector, b.slot), (0, 1));
        assert_eq!(b.default_probability, Value::Fixed(0.0));
        assert_eq!(b.renegotiation_year, None);
        assert_eq!(
            problems(&c),
            [
                "sharing[2].delivery.collector: expected a region id (one of zhejiang, jilin), found `hebei`",
                "sharing[2].delivery.default_probability: expected a share in [0, 1], found 1.5",
                "sharing[2].delivery.haircut: expected a share in [0, 1], found -0.1",
                "sharing[2].delivery.renegotiation_year: expected a number in [2018, 3018], found 2017",
            ]
        );
    }
}
