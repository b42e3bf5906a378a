//! `[sharing.tax_pool]`: a restricted tax pool, who receives the rest, and a cap on
//! one region's cumulative take (MODEL.md §7).

use super::super::Alternative;
use super::super::file::{FirmGroupFile, PoolCapFile, TaxPoolFile};
use super::super::{CapAmount, Continuation, FirmGroup, Outcome, PoolCap, TaxKind, TaxPool};
use super::check::{Checker, Rule};

/// Most years of pre-move taxes a cap may count.
const MAX_PRE_MOVE_YEARS: f64 = 100.0;

/// `sharing[i].tax_pool` at `field`: known tax kinds, each once; known regions;
/// relocated firms only where some relocate (`origin`); a cap of exactly one size,
/// ≥ 0, on a region other than `rest_to`, in pre-move years only on relocated
/// firms. `host`: the default of `rest_to`.
pub(super) fn tax_pool(
    c: &mut Checker,
    field: &str,
    p: &TaxPoolFile,
    host: usize,
    origin: Option<usize>,
) -> TaxPool {
    let firms = match p.firms {
        FirmGroupFile::All => FirmGroup::All,
        FirmGroupFile::Relocated => FirmGroup::Relocated,
    };
    if firms == FirmGroup::Relocated && origin.is_none() {
        c.problem(
            format!("{field}.firms"),
            "expected \"all\": no firm is relocated without an origin region ([firms] origin or a source region)",
        );
    }
    let mut taxes = [true; TaxKind::COUNT];
    if let Some(names) = &p.taxes {
        taxes = [false; TaxKind::COUNT];
        if names.is_empty() {
            c.problem(
                format!("{field}.taxes"),
                format!("expected at least one tax kind ({})", kind_names()),
            );
        }
        for (j, name) in names.iter().enumerate() {
            let path = format!("{field}.taxes[{j}]");
            match TaxKind::from_name(name) {
                Some(k) if taxes[k.index()] => {
                    c.problem(
                        path,
                        format!("expected each tax kind once, found `{name}` again"),
                    );
                }
                Some(k) => taxes[k.index()] = true,
                None => c.problem(
                    path,
                    format!("expected a tax kind ({}), found `{name}`", kind_names()),
                ),
            }
        }
    }
    let known = |c: &Checker, id: &str| c.region_ids.iter().any(|r| r == id);
    let rest_known = p.rest_to.as_ref().is_none_or(|id| known(c, id));
    let rest_to = match &p.rest_to {
        Some(id) => c.region(&format!("{field}.rest_to"), id),
        None => host,
    };
    let cap = p.cap.as_ref().map(|cap| {
        let rest = rest_known.then_some(rest_to);
        pool_cap(c, &format!("{field}.cap"), cap, firms, rest)
    });
    TaxPool {
        firms,
        taxes,
        rest_to,
        cap,
    }
}

fn pool_cap(
    c: &mut Checker,
    field: &str,
    cap: &PoolCapFile,
    firms: FirmGroup,
    rest_to: Option<usize>,
) -> PoolCap {
    let known = c.region_ids.iter().any(|r| *r == cap.region);
    let region = c.region(&format!("{field}.region"), &cap.region);
    if let Some(rest_to) = rest_to.filter(|&r| known && r == region) {
        c.problem(
            format!("{field}.region"),
            format!(
                "expected a region other than rest_to `{}` (the excess over the cap goes to rest_to)",
                c.region_ids[rest_to]
            ),
        );
    }
    let amount = match (cap.amount, cap.pre_move_years) {
        (Some(x), None) => {
            CapAmount::Money(c.check_fixed(&format!("{field}.amount"), x, Rule::NonNegative))
        }
        (None, Some(y)) => {
            let path = format!("{field}.pre_move_years");
            if firms != FirmGroup::Relocated {
                c.problem(
                    &path,
                    "expected `firms = \"relocated\"` in the tax_pool: a cap in pre-move years counts the relocated firms' taxes before their move",
                );
            }
            CapAmount::PreMoveYears(c.check_fixed(&path, y, Rule::Between(0.0, MAX_PRE_MOVE_YEARS)))
        }
        (Some(_), Some(_)) => {
            c.problem(
                field,
                "expected one of `amount` and `pre_move_years`, found both",
            );
            CapAmount::Money(0.0)
        }
        (None, None) => {
            c.problem(
                field,
                "expected `amount` (money) or `pre_move_years` (years of pre-move taxes)",
            );
            CapAmount::Money(0.0)
        }
    };
    PoolCap { region, amount }
}

fn kind_names() -> String {
    TaxKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cap is not valued after the horizon: refused with a perpetuity continuation.
pub(super) fn caps_and_continuation(c: &mut Checker, outcome: &Outcome, alts: &[Alternative]) {
    if outcome.continuation == Continuation::None {
        return;
    }
    for (i, alt) in alts.iter().enumerate() {
        if alt.pool.as_ref().is_some_and(|p| p.cap.is_some()) {
            c.problem(
                format!("sharing[{i}].tax_pool.cap"),
                "expected no cap with `[outcome] continuation = \"perpetuity\"` (the years of a cap after the horizon are not valued); drop the cap or the continuation",
            );
        }
    }
}
