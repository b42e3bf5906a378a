//! The names of a scenario's inputs in words, by field path: what
//! `enclave sensitivity`'s terminal, tables and tornado charts show beside (or
//! instead of) the path, so that a reader of `--lang zh` sees 园区前景系数, not
//! `firms.outlook` alone (exploratory test), and a reader of English the park's
//! outlook.
//!
//! A path's words are the string `input.<path>` of the language, with the
//! indices of a table array taken out and its item named instead:
//! `firms.sectors[1].revenue_per_mu` is `input.sector.revenue_per_mu` with
//! `{sector}` the sector's name; `regions[i]` gives `{region}`,
//! `contributions[i]` its region and `{kind}`, `sharing[i].delivery` the
//! alternative's name `{alt}`; a `[[changes]]` entry's input is the input's
//! words with the change's year (`input.from_year`). A path without words (none
//! is left out on purpose, but a new input may be) is shown as written.

use super::Lang;
use crate::scenario::{ContributionKind, Scenario};

/// The words of input `path` of `scn` in `lang`, without the path; `None` for
/// a path that has none.
pub fn label(scn: &Scenario, path: &str, lang: Lang) -> Option<String> {
    let tx = lang.texts();
    // A dated change: the input's words, from the change's year.
    if let Some((i, rest)) = indexed(path, "changes") {
        let change = scn.changes.get(i)?;
        let inner = match rest.strip_prefix("sectors.") {
            // `changes[i].sectors.<name>.<field>`: the sector by its name.
            Some(named) => {
                let (sector, field) = named.rsplit_once('.')?;
                tx.get(&format!("input.sector.{field}"))
                    .map(|t| super::fill(t, &[("sector", &sector)]))?
            }
            None => label(scn, rest, lang)?,
        };
        return Some(tx.f(
            "input.from_year",
            &[("label", &inner), ("year", &scn.year(change.year))],
        ));
    }
    if let Some((i, field)) = indexed(path, "firms.sectors") {
        let sector = &scn.firms.sectors.get(i)?.name;
        return tx
            .get(&format!("input.sector.{field}"))
            .map(|t| super::fill(t, &[("sector", sector)]));
    }
    if let Some((i, field)) = indexed(path, "regions") {
        let region = &scn.regions.get(i)?.name;
        return tx
            .get(&format!("input.region.{field}"))
            .map(|t| super::fill(t, &[("region", region)]));
    }
    if let Some((i, field)) = indexed(path, "contributions") {
        let c = scn.contributions.get(i)?;
        let region = &scn.regions.get(c.region)?.name;
        let kind = tx.t(match c.kind {
            ContributionKind::Cash => "input.kind.cash",
            ContributionKind::Land => "input.kind.land",
            ContributionKind::Technology => "input.kind.technology",
            ContributionKind::Brand => "input.kind.brand",
            ContributionKind::Management => "input.kind.management",
        });
        return tx
            .get(&format!("input.contribution.{}", field.replace('.', "_")))
            .map(|t| super::fill(t, &[("region", region), ("kind", &kind)]));
    }
    if let Some((i, field)) = indexed(path, "sharing") {
        let alt = &scn.alternatives.get(i)?.name;
        return tx
            .get(&format!("input.sharing.{field}"))
            .map(|t| super::fill(t, &[("alt", alt)]));
    }
    // Tables of their own (`input.firms.outlook`), never an item's field.
    if path.contains('[') {
        return None;
    }
    tx.get(&format!("input.{path}")).map(str::to_owned)
}

/// Input `path` of `scn` as a reader of `lang` reads it: its words with the
/// path, `园区前景系数 (firms.outlook)` (`input.with_path`), or the path alone
/// when it has no words.
pub fn named(scn: &Scenario, path: &str, lang: Lang) -> String {
    match label(scn, path, lang) {
        Some(label) => lang
            .texts()
            .f("input.with_path", &[("label", &label), ("path", &path)]),
        None => path.to_owned(),
    }
}

/// `(i, rest)` when `path` is `<head>[i].<rest>`.
fn indexed<'p>(path: &'p str, head: &str) -> Option<(usize, &'p str)> {
    let after = path.strip_prefix(head)?.strip_prefix('[')?;
    let (i, rest) = after.split_once("].")?;
    Some((i.parse().ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Scenario {
        Scenario::parse(crate::scenario::REFERENCE_SCENARIO, "reference.toml").expect("parses")
    }

    #[test]
    fn item_paths_are_split_at_their_index() {
        assert_eq!(
            indexed("firms.sectors[12].growth", "firms.sectors"),
            Some((12, "growth"))
        );
        assert_eq!(
            indexed("contributions[0].effects.cost", "contributions"),
            Some((0, "effects.cost"))
        );
        assert_eq!(indexed("firms.outlook", "firms.sectors"), None);
        assert_eq!(indexed("regions[x].discount_rate", "regions"), None);
    }

    /// Every uncertain input of the bundled scenarios has its words in every
    /// language: sensitivity named them by their TOML paths alone, which a
    /// Chinese planner cannot read (`contributions[2].value`: exploratory test).
    #[test]
    fn every_input_of_the_bundled_scenarios_has_its_words() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut seen = 0;
        for entry in std::fs::read_dir(root).expect("scenarios/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let Ok(scn) = Scenario::load(&path) else {
                continue;
            };
            for p in scn.params.params() {
                for lang in Lang::ALL {
                    let label = label(&scn, &p.name, lang);
                    assert!(label.is_some(), "{}: {} in {lang}", path.display(), p.name);
                    let mut words = label.unwrap_or_default();
                    assert!(!words.contains('{'), "{words}");
                    if lang == Lang::Zh {
                        // The scenario's own names may be English; the words not.
                        let names = scn.regions.iter().map(|r| &r.name);
                        let names = names.chain(scn.firms.sectors.iter().map(|s| &s.name));
                        let names = names.chain(scn.alternatives.iter().map(|a| &a.name));
                        for name in names {
                            words = words.replace(name.as_str(), "");
                        }
                        assert!(
                            !words.chars().any(|c| c.is_ascii_alphabetic()),
                            "{}: {} reads {words:?}",
                            path.display(),
                            p.name
                        );
                    }
                }
                seen += 1;
            }
        }
        assert!(seen > 20, "{seen} inputs");
    }

    #[test]
    fn an_input_reads_with_its_item_and_its_path() {
        let scn = reference();
        assert_eq!(
            named(&scn, "firms.outlook", Lang::Zh),
            "园区前景系数 (firms.outlook)"
        );
        let sector = &scn.firms.sectors[0].name;
        assert_eq!(
            label(&scn, "firms.sectors[0].revenue_per_mu", Lang::Zh),
            Some(format!("{sector} 成熟期亩均收入"))
        );
        let c = &scn.contributions[0];
        let region = &scn.regions[c.region].name;
        assert!(
            label(&scn, "contributions[0].value", Lang::Zh)
                .is_some_and(|l| l.starts_with(&format!("{region} ")) && l.ends_with("出资")),
            "{:?}",
            label(&scn, "contributions[0].value", Lang::Zh)
        );
        // An index out of range, or a path without words, is shown as written.
        assert_eq!(label(&scn, "firms.sectors[99].growth", Lang::En), None);
        assert_eq!(named(&scn, "no.such.input", Lang::Zh), "no.such.input");
    }
}
