//! `[[changes]]`: tax parameters, sector tax rates, equity and cost bearers that
//! change from a calendar year on (MODEL.md §2, §3, §6).
//!
//! Each change is checked with the same rules as the field it changes, and built
//! into a complete [`Change`]: the values in force from its year on, the earlier
//! ones where it names nothing. A changed uncertain input is registered under its
//! own field path (`changes[i].taxes.vat_local_share`), so it draws from its own
//! named stream; an unchanged one keeps the earlier draw.

use super::super::file::{BearerFile, ChangeFile, ChangeTaxesFile, IitScheduleFile, Num};
use super::super::limits::MAX_CHANGES;
use super::super::{Bearers, Change, Costs, IitSchedule, Sector, SectorTaxes, Taxes};
use super::check::{Checker, Rule};
use crate::sampling::Value;

/// What the changes start from: the base tables.
pub(super) struct Base<'a> {
    /// `[taxes]`.
    pub(super) taxes: &'a Taxes,
    /// `[[firms.sectors]]`.
    pub(super) sectors: &'a [Sector],
    /// `[costs]`.
    pub(super) costs: &'a Costs,
}

/// `[[changes]]`: years from the start year on, strictly increasing; every
/// changed value checked as in its base table; sectors named as in
/// `[[firms.sectors]]`; equity shares summing to 1; bearers as in `[costs]`.
pub(super) fn changes(c: &mut Checker, raw: &[ChangeFile], base: &Base<'_>) -> Vec<Change> {
    let raw = c.at_most("changes", raw, MAX_CHANGES, "changes");
    let mut out: Vec<Change> = Vec::with_capacity(raw.len());
    let mut last_year: Option<i64> = None;
    for (i, ch) in raw.iter().enumerate() {
        let f = format!("changes[{i}]");
        let year = c.year(&format!("{f}.year"), ch.year);
        if let Some(before) = last_year
            && ch.year <= before
        {
            c.problem(
                format!("{f}.year"),
                format!(
                    "expected a year after the previous change's {before} (changes are listed in strictly increasing years), found {}",
                    ch.year
                ),
            );
        }
        last_year = Some(ch.year);
        let prev = out.last();
        let prev_taxes = prev.map_or(base.taxes, |p| &p.taxes);
        let taxes = change_taxes(c, &f, prev_taxes, &ch.taxes);
        let mut sectors: Vec<SectorTaxes> = match prev {
            Some(p) => p.sectors.clone(),
            None => base
                .sectors
                .iter()
                .map(|s| SectorTaxes {
                    vat_rate: s.vat_rate,
                    cit_rate: s.cit_rate,
                })
                .collect(),
        };
        for (name, s) in &ch.sectors {
            let field = format!("{f}.sectors.{name}");
            let mut same = base.sectors.iter().filter(|x| &x.name == name);
            if let (Some(_), Some(_)) = (same.next(), same.next()) {
                c.problem(
                    &field,
                    format!("expected a sector name that names one sector, but several sectors are named `{name}`; rename them apart"),
                );
                continue;
            }
            let Some(k) = base.sectors.iter().position(|x| &x.name == name) else {
                let names: Vec<&str> = base.sectors.iter().map(|x| x.name.as_str()).collect();
                c.problem(
                    field,
                    format!(
                        "expected a sector name (one of {}), found `{name}`",
                        names.join(", ")
                    ),
                );
                continue;
            };
            if let Some(n) = &s.vat_rate {
                sectors[k].vat_rate = c.num(&format!("{field}.vat_rate"), n, Rule::Share);
            }
            if let Some(n) = &s.cit_rate {
                sectors[k].cit_rate = c.num(&format!("{field}.cit_rate"), n, Rule::Share);
            }
        }
        let equity = match &ch.company.equity {
            Some(m) => Some(c.shares(&format!("{f}.company.equity"), m)),
            None => prev.and_then(|p| p.equity.clone()),
        };
        let prev_bearers = match prev {
            Some(p) => p.bearers.clone(),
            None => Bearers {
                land_acquisition: base.costs.land_acquisition.bearer.clone(),
                infrastructure: base.costs.infrastructure.bearer.clone(),
                operations: base.costs.operations.bearer.clone(),
            },
        };
        let bearer = |c: &mut Checker, name: &str, b: &Option<_>, before| match b {
            Some(BearerFile { bearer, shares }) => c.bearer(
                &format!("{f}.costs.{name}"),
                Some(bearer.as_str()),
                shares.as_ref(),
                before,
            ),
            None => before,
        };
        let costs = &ch.costs;
        let bearers = Bearers {
            land_acquisition: bearer(
                c,
                "land_acquisition",
                &costs.land_acquisition,
                prev_bearers.land_acquisition,
            ),
            infrastructure: bearer(
                c,
                "infrastructure",
                &costs.infrastructure,
                prev_bearers.infrastructure,
            ),
            operations: bearer(c, "operations", &costs.operations, prev_bearers.operations),
        };
        out.push(Change {
            year,
            note: ch.note.clone(),
            taxes,
            sectors,
            equity,
            bearers,
        });
    }
    out
}

/// Sets `slot` to the checked value of `n` at `field`, when given.
fn set(c: &mut Checker, field: &str, n: &Option<Num>, rule: Rule, slot: &mut Value) -> bool {
    match n {
        Some(n) => {
            *slot = c.num(field, n, rule);
            true
        }
        None => false,
    }
}

/// The taxes in force after change `f`: `prev` with the fields of `tx` replaced.
///
/// A changed `provincial_take` sets the take of VAT, CIT and IIT, except the
/// kinds the same change sets in `[changes.taxes.province]`. A changed
/// `iit_schedule` replaces a flat `iit_rate` in force; `iit_rate` and
/// `iit_schedule` exclude each other within a change, and a social insurance share
/// needs the schedule in force.
fn change_taxes(c: &mut Checker, f: &str, prev: &Taxes, tx: &ChangeTaxesFile) -> Taxes {
    let mut t = prev.clone();
    let p = |name: &str| format!("{f}.taxes.{name}");
    set(
        c,
        &p("vat_local_share"),
        &tx.vat_local_share,
        Rule::Share,
        &mut t.vat_local_share,
    );
    set(
        c,
        &p("cit_local_share"),
        &tx.cit_local_share,
        Rule::Share,
        &mut t.cit_local_share,
    );
    if let Some(n) = &tx.iit_rate {
        t.iit_rate = Some(c.num(&p("iit_rate"), n, Rule::Share));
        if tx.iit_schedule.is_some() {
            c.problem(
                p("iit_schedule"),
                "expected either a flat `iit_rate` or an `iit_schedule` in one change, not both",
            );
        }
    }
    if let Some(s) = tx.iit_schedule {
        if tx.iit_rate.is_none() {
            t.iit_rate = None;
        }
        t.iit_schedule = schedule(s);
    }
    set(
        c,
        &p("iit_local_share"),
        &tx.iit_local_share,
        Rule::Share,
        &mut t.iit_local_share,
    );
    for (name, n, slot) in [
        (
            "urban_maintenance_rate",
            &tx.urban_maintenance_rate,
            &mut t.urban_maintenance_rate,
        ),
        ("education_rate", &tx.education_rate, &mut t.education_rate),
        (
            "local_education_rate",
            &tx.local_education_rate,
            &mut t.local_education_rate,
        ),
        (
            "property_tax_rate",
            &tx.property_tax_rate,
            &mut t.property_tax_rate,
        ),
        (
            "property_tax_deduction",
            &tx.property_tax_deduction,
            &mut t.property_tax_deduction,
        ),
        (
            "cit_statutory_rate",
            &tx.cit_statutory_rate,
            &mut t.cit_statutory_rate,
        ),
    ] {
        set(c, &p(name), n, Rule::Share, slot);
    }
    set(
        c,
        &p("land_use_tax_per_m2"),
        &tx.land_use_tax_per_m2,
        Rule::NonNegative,
        &mut t.land_use_tax_per_m2,
    );
    if set(
        c,
        &p("provincial_take"),
        &tx.provincial_take,
        Rule::Share,
        &mut t.provincial_take,
    ) {
        let take = t.provincial_take;
        t.provincial.vat = take;
        t.provincial.cit = take;
        t.provincial.iit = take;
    }
    let pr = &tx.province;
    let k = &mut t.provincial;
    for (name, n, slot) in [
        ("vat", &pr.vat, &mut k.vat),
        ("cit", &pr.cit, &mut k.cit),
        ("iit", &pr.iit, &mut k.iit),
        ("surcharges", &pr.surcharges, &mut k.surcharges),
        ("land_use", &pr.land_use, &mut k.land_use),
        ("property", &pr.property, &mut k.property),
    ] {
        set(c, &p(&format!("province.{name}")), n, Rule::Share, slot);
    }
    if let Some(id) = &pr.to {
        k.to = Some(c.region(&p("province.to"), id));
    }
    if let Some(n) = &tx.iit_social_insurance_share {
        if t.iit_rate.is_some() {
            c.problem(
                p("iit_social_insurance_share"),
                "expected no social insurance share while a flat `iit_rate` is in force (it applies only to the progressive schedule); set `iit_schedule` in this change to return to the schedule",
            );
        }
        t.iit_social_insurance_share = c.num(&p("iit_social_insurance_share"), n, Rule::Share);
    }
    t
}

/// The checked IIT schedule of a file's choice.
pub(super) fn schedule(s: IitScheduleFile) -> IitSchedule {
    match s {
        IitScheduleFile::Y2011 => IitSchedule::Y2011,
        IitScheduleFile::Y2019 => IitSchedule::Y2019,
    }
}
