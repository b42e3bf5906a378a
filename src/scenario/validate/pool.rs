//! `[sharing.tax_pool]`: a restricted tax pool, who receives the rest, and a cap on
//! one region's cumulative take (MODEL.md §7).

use super::super::file::{FirmGroupFile, PoolCapFile, TaxPoolFile};
use super::super::{CapAmount, FirmGroup, PoolCap, TaxKind, TaxPool};
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
    let known = c.region_ids.contains(&cap.region);
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
    let taken_to_date = cap.taken_to_date.map_or(0.0, |x| {
        c.check_fixed(&format!("{field}.taken_to_date"), x, Rule::NonNegative)
    });
    PoolCap {
        region,
        amount,
        taken_to_date,
    }
}

fn kind_names() -> String {
    TaxKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checker, problems, table};
    use super::*;

    /// The checked `[sharing.tax_pool]` of `toml` at `sharing[0].tax_pool`, with the
    /// host `jilin` (1) and relocated firms from `zhejiang` (0) unless `no_origin`.
    fn check(c: &mut Checker, toml: &str, no_origin: bool) -> TaxPool {
        let origin = (!no_origin).then_some(0);
        tax_pool(c, "sharing[0].tax_pool", &table(toml), 1, origin)
    }

    #[test]
    fn defaults_hold_the_whole_pool_and_send_the_rest_to_the_host() {
        let mut c = checker();
        let p = check(&mut c, "", false);
        assert_eq!(
            p,
            TaxPool {
                firms: FirmGroup::All,
                taxes: [true; TaxKind::COUNT],
                rest_to: 1,
                cap: None,
            }
        );
        assert!(p.is_whole());
        assert_eq!(problems(&c), [] as [String; 0]);
    }

    #[test]
    fn the_relocation_rule_reads_as_written() {
        let mut c = checker();
        let p = check(
            &mut c,
            r#"firms = "relocated"
taxes = ["vat", "cit"]
rest_to = "jilin"
cap = { region = "zhejiang", pre_move_years = 3 }"#,
            false,
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(p.firms, FirmGroup::Relocated);
        assert_eq!(p.taxes, [true, true, false, false, false, false]);
        assert_eq!(
            p.cap,
            Some(PoolCap {
                region: 0,
                amount: CapAmount::PreMoveYears(3.0),
                taken_to_date: 0.0,
            })
        );
        assert!(!p.is_whole());
        let money = check(
            &mut c,
            r#"cap = { region = "zhejiang", amount = 12.5 }"#,
            false,
        );
        assert_eq!(money.cap.map(|c| c.amount), Some(CapAmount::Money(12.5)));
        assert_eq!(problems(&c), [] as [String; 0]);
    }

    #[test]
    fn problems_name_the_field_and_what_was_expected() {
        let mut c = checker();
        check(
            &mut c,
            r#"firms = "relocated"
taxes = ["vat", "gst", "vat"]
rest_to = "hebei"
cap = { region = "tianjin", amount = -1 }"#,
            true,
        );
        check(&mut c, "taxes = []", false);
        check(
            &mut c,
            r#"cap = { region = "jilin", pre_move_years = 3 }"#,
            false,
        );
        check(
            &mut c,
            r#"firms = "relocated"
cap = { region = "zhejiang", amount = 1, pre_move_years = 200 }"#,
            false,
        );
        check(&mut c, r#"cap = { region = "zhejiang" }"#, false);
        check(
            &mut c,
            r#"firms = "relocated"
cap = { region = "zhejiang", pre_move_years = 200, taken_to_date = -2 }"#,
            false,
        );
        assert_eq!(
            problems(&c),
            [
                "sharing[0].tax_pool.firms: expected \"all\": no firm is relocated without an origin region ([firms] origin or a source region)",
                "sharing[0].tax_pool.taxes[1]: expected a tax kind (vat, cit, iit, surcharges, land_use, property), found `gst`",
                "sharing[0].tax_pool.taxes[2]: expected each tax kind once, found `vat` again",
                "sharing[0].tax_pool.rest_to: expected a region id (one of zhejiang, jilin), found `hebei`",
                "sharing[0].tax_pool.cap.region: expected a region id (one of zhejiang, jilin), found `tianjin`",
                "sharing[0].tax_pool.cap.amount: expected a number ≥ 0, found -1",
                "sharing[0].tax_pool.taxes: expected at least one tax kind (vat, cit, iit, surcharges, land_use, property)",
                "sharing[0].tax_pool.cap.region: expected a region other than rest_to `jilin` (the excess over the cap goes to rest_to)",
                "sharing[0].tax_pool.cap.pre_move_years: expected `firms = \"relocated\"` in the tax_pool: a cap in pre-move years counts the relocated firms' taxes before their move",
                "sharing[0].tax_pool.cap: expected one of `amount` and `pre_move_years`, found both",
                "sharing[0].tax_pool.cap: expected `amount` (money) or `pre_move_years` (years of pre-move taxes)",
                "sharing[0].tax_pool.cap.pre_move_years: expected a number in [0, 100], found 200",
                "sharing[0].tax_pool.cap.taken_to_date: expected a number ≥ 0, found -2",
            ]
        );
    }

    #[test]
    fn problems_are_located_in_the_file_and_a_good_pool_loads() {
        use crate::economy::testing::scenario;
        use crate::scenario::Scenario;
        let text = scenario(
            "[sharing.tax_pool]\nfirms = \"relocated\"\ncap = { region = \"b\", pre_move_years = 3 }",
            "",
        );
        let err = Scenario::parse(&text, "t.toml")
            .expect_err("refused")
            .to_string();
        let line = text
            .lines()
            .position(|l| l.starts_with("cap = "))
            .map_or(0, |i| i + 1);
        assert!(
            err.contains(&format!(
                "t.toml:{line}: sharing[0].tax_pool.cap.region: expected a region other than rest_to `b`"
            )),
            "{err}"
        );
        // A cap on the source loads, the rest going to the host b, with a perpetuity.
        let ok = Scenario::parse(
            &scenario(
                "[sharing.tax_pool]\nfirms = \"relocated\"\ntaxes = [\"vat\", \"cit\"]\ncap = { region = \"a\", pre_move_years = 3 }",
                "[outcome]\ncontinuation = \"perpetuity\"",
            ),
            "t.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pool = ok.alternatives[0].pool.as_ref().expect("a restricted pool");
        assert_eq!(pool.rest_to, 1);
        // An unknown firm group is a first-stage error naming the key.
        let bad = Scenario::parse(
            &scenario("[sharing.tax_pool]\nfirms = \"moved\"", ""),
            "t.toml",
        )
        .expect_err("refused")
        .to_string();
        assert!(bad.contains("firms"), "{bad}");
    }
}
