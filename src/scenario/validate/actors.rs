//! `[scenario]`, `[simulation]`, `[[regions]]` and `[park]`: who builds the park,
//! on what land, and for how long it is simulated (MODEL.md §1, §10).

use super::super::file::SamplerFile;
use super::super::file::{MetaFile, ParkFile, RegionFile, RoleFile, SimulationFile};
use super::super::limits::{
    MAX_BUILD_YEARS, MAX_HORIZON, MAX_ID_CHARS, MAX_PHASES, MAX_REGIONS, MAX_START_YEAR,
    MAX_YUAN_PER_UNIT, MIN_REGIONS, MIN_START_YEAR, MIN_YUAN_PER_UNIT, RESERVED_ID,
};
use super::super::{Park, Phase, Region, Role, Simulation, units};
use super::check::{Checker, Rule};
use crate::sampling::{Sampler, SamplerKind};

/// `[scenario]`: an id fit for a folder name (not the set's, [`RESERVED_ID`])
/// and a positive money unit; returns the unit's label and yuan ([`money_unit`]).
pub(super) fn meta(c: &mut Checker, meta: &MetaFile) -> (String, f64) {
    if meta.id.is_empty()
        || !meta
            .id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.problem("scenario.id", format!("expected a non-empty id of ASCII letters, digits, '-' or '_' (it names the output folder), found `{}`", meta.id));
    } else if meta.id.len() > MAX_ID_CHARS {
        c.problem(
            "scenario.id",
            format!(
                "expected an id of at most {MAX_ID_CHARS} characters (it names the output folder), found one of {}",
                meta.id.len()
            ),
        );
    } else if meta.id == RESERVED_ID {
        // Even alone: a set run into the same folder later would write its
        // summary over the scenario's files (and one alone over a set's).
        c.problem(
            "scenario.id",
            format!(
                "expected another id than `{RESERVED_ID}`, which is kept for the folder DIR/{RESERVED_ID}/ of a set's summary"
            ),
        );
    }
    let unit = money_unit(c, meta);
    let years = format!("a calendar year in [{MIN_START_YEAR}, {MAX_START_YEAR}]");
    if let Some(n) = c.take_not_whole("scenario.start_year") {
        c.problem("scenario.start_year", n.message(&years));
    } else if !(i64::from(MIN_START_YEAR)..=i64::from(MAX_START_YEAR)).contains(&meta.start_year) {
        c.problem(
            "scenario.start_year",
            format!("expected {years}, found {}", meta.start_year),
        );
    }
    unit
}

/// The money unit's label and how many yuan it is. A usual name (万元, million
/// CNY, …; [`units::yuan_of`]) says the yuan, and `yuan_per_unit` must agree
/// with it; either alone gives the other; neither is a million CNY. A label
/// that is not a usual name needs `yuan_per_unit`: the engine converts
/// yuan-denominated rates by it, and a guess would mislabel every amount.
fn money_unit(c: &mut Checker, meta: &MetaFile) -> (String, f64) {
    let field = "scenario.yuan_per_unit";
    let yuan = meta.yuan_per_unit.map(|y| {
        if y > 0.0 && y.is_finite() && !(MIN_YUAN_PER_UNIT..=MAX_YUAN_PER_UNIT).contains(&y) {
            // Every yuan amount is divided by it: 1e-300 made the land use tax
            // 4e300 money units per m², which `validate` passed and no run could
            // finish (exploratory test).
            c.numbers.insert(field.to_owned());
            c.problem(
                field,
                format!(
                    "expected a number of yuan in [{MIN_YUAN_PER_UNIT}, {MAX_YUAN_PER_UNIT:e}], from a fen (分) to a trillion yuan (万亿元), found {y:e}"
                ),
            );
            y
        } else {
            c.check_fixed(field, y, Rule::Positive)
        }
    });
    // An empty label would read as no unit at all ("how many yuan one  is").
    if let Some(label) = meta.money_unit.as_deref().filter(|l| l.trim().is_empty()) {
        c.problem(
            "scenario.money_unit",
            format!(
                "expected a non-empty unit name, such as 万元 or million CNY (or leave money_unit out), found \"{label}\""
            ),
        );
        return (
            units::DEFAULT_LABEL.to_owned(),
            yuan.unwrap_or(units::DEFAULT_YUAN),
        );
    }
    match (meta.money_unit.as_deref(), yuan) {
        (None, None) => (units::DEFAULT_LABEL.to_owned(), units::DEFAULT_YUAN),
        (None, Some(y)) => (units::label_of(y), y),
        (Some(label), None) => match units::yuan_of(label) {
            Some(y) => (label.to_owned(), y),
            None => {
                c.problem(
                    "scenario.money_unit",
                    format!(
                        "`{label}` is not a unit whose yuan are known (元, 千元, 万元, 百万元, 亿元, yuan, million CNY, …): add yuan_per_unit = how many yuan one {label} is"
                    ),
                );
                (label.to_owned(), units::DEFAULT_YUAN)
            }
        },
        (Some(label), Some(y)) => {
            if let Some(named) = units::yuan_of(label).filter(|&k| y > 0.0 && !units::same(k, y)) {
                c.problem(
                    field,
                    format!(
                        "expected {named} for money_unit = \"{label}\", found {y}: the two must name one unit (or leave yuan_per_unit out)"
                    ),
                );
            }
            (label.to_owned(), y)
        }
    }
}

/// `[simulation]`: at least one path (an even number under antithetic pairs), a
/// seed ≥ 0, a horizon of 1 to [`MAX_HORIZON`].
pub(super) fn simulation(c: &mut Checker, sim: &SimulationFile) -> Simulation {
    if let Some(n) = c.take_not_whole("simulation.paths") {
        c.problem("simulation.paths", n.message("a whole number of paths ≥ 1"));
    } else if sim.paths < 1 {
        c.problem(
            "simulation.paths",
            format!("expected at least 1 path, found {}", sim.paths),
        );
    }
    let seeds = format!("a seed in [0, {}]", i64::MAX);
    if let Some(n) = c.take_not_whole("simulation.seed") {
        c.problem("simulation.seed", n.message(&seeds));
    } else if sim.seed < 0 {
        c.problem(
            "simulation.seed",
            format!("expected {seeds}, found {}", sim.seed),
        );
    }
    let horizon = c.int("simulation.horizon", sim.horizon, 1, MAX_HORIZON);
    if sim.antithetic && sim.paths >= 1 && sim.paths % 2 == 1 {
        c.problem(
            "simulation.paths",
            format!(
                "antithetic pairs need an even number of paths (paths 2k and 2k + 1 make pair k), found {}; use {} or {}, or set `antithetic = false`",
                sim.paths,
                sim.paths - 1,
                sim.paths + 1
            ),
        );
    }
    Simulation {
        // Refused above when it does not fit; the fallback only keeps checking going.
        paths: u64::try_from(sim.paths.max(1)).unwrap_or(1),
        seed: u64::try_from(sim.seed).unwrap_or(0),
        horizon,
        fairness: sim.fairness,
        sampler: sampler(sim),
    }
}

/// `[simulation] sampler` and `antithetic` as the run's [`Sampler`].
fn sampler(sim: &SimulationFile) -> Sampler {
    let kind = match sim.sampler {
        SamplerFile::MonteCarlo => SamplerKind::MonteCarlo,
        SamplerFile::LatinHypercube => SamplerKind::LatinHypercube,
        SamplerFile::Sobol => SamplerKind::Sobol,
    };
    Sampler {
        kind,
        antithetic: sim.antithetic,
    }
}

/// The checked regions with the host's index and the source regions' indices.
pub(super) struct Regions {
    /// Regions in file order.
    pub(super) regions: Vec<Region>,
    /// Index of the host (0 when there is not exactly one).
    pub(super) host: usize,
    /// Indices of the source regions.
    pub(super) sources: Vec<usize>,
}

/// `[[regions]]`: [`MIN_REGIONS`] to [`MAX_REGIONS`] regions with unique ids that
/// are not bearer keywords, exactly one host. Sets the checker's region ids, so it
/// runs before any section that names a region.
pub(super) fn regions(c: &mut Checker, raw: &[RegionFile]) -> Regions {
    if !(MIN_REGIONS..=MAX_REGIONS).contains(&raw.len()) {
        // Beyond the limit the rest of the file is checked against the first
        // regions only: say so, as problems naming the others follow from it.
        let rest = if raw.len() > MAX_REGIONS {
            format!(
                " (the rest of the file is checked with the first {MAX_REGIONS}: a problem with a host or an id among the others follows from this one)"
            )
        } else {
            String::new()
        };
        c.problem(
            "regions",
            format!(
                "expected {MIN_REGIONS} to {MAX_REGIONS} regions, found {}{rest}",
                raw.len()
            ),
        );
    }
    // Beyond the limit the rest is not checked (nor looked up by id).
    let raw = &raw[..raw.len().min(MAX_REGIONS)];
    c.region_ids = raw.iter().map(|r| r.id.clone()).collect();
    let mut regions = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let f = format!("regions[{i}]");
        // An empty id leaves the region column of every output file blank, which
        // reads as "undefined" (and a blank row in the terminal).
        if r.id.trim().is_empty() {
            c.problem(
                format!("{f}.id"),
                format!(
                    "expected a non-empty id (it names the region in the output files), found \"{}\"",
                    r.id
                ),
            );
        }
        if ["company", "equity", "shares"].contains(&r.id.as_str()) {
            c.problem(
                format!("{f}.id"),
                format!(
                    "expected an id other than `{}`, which is a bearer keyword in [costs]",
                    r.id
                ),
            );
        }
        if ["all", "park"].contains(&r.id.as_str()) {
            c.problem(
                format!("{f}.id"),
                format!(
                    "expected an id other than `{}`, which the output files use in their region column for the {}",
                    r.id,
                    if r.id == "all" { "alternative as a whole" } else { "park" }
                ),
            );
        }
        if raw[..i].iter().any(|o| o.id == r.id) {
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
    let with_role = |role: Role| -> Vec<usize> {
        regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.role == role)
            .map(|(i, _)| i)
            .collect()
    };
    let hosts = with_role(Role::Host);
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
    let sources = with_role(Role::Source);
    Regions {
        regions,
        host,
        sources,
    }
}

/// `[park]`: a positive area, a saleable share, at least one phase, phases that
/// fit in the park, each built in 1 to [`MAX_BUILD_YEARS`] years.
pub(super) fn park(c: &mut Checker, raw: &ParkFile) -> Park {
    let area_mu = c.check_fixed("park.area_mu", raw.area_mu, Rule::Positive);
    let saleable_share = c.num("park.saleable_share", &raw.saleable_share, Rule::Share);
    if raw.phases.is_empty() {
        c.problem("park.phases", "expected at least one phase");
    }
    let mut phases = Vec::new();
    let raw_phases = c.at_most("park.phases", &raw.phases, MAX_PHASES, "phases");
    for (i, p) in raw_phases.iter().enumerate() {
        let f = format!("park.phases[{i}]");
        let a = c.check_fixed(&format!("{f}.area_mu"), p.area_mu, Rule::Positive);
        // Against a park area that is itself wrong, only that is reported.
        if area_mu > 0.0 && a > area_mu {
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
            start: c.year(&format!("{f}.start_year"), p.start_year),
            build_years: c.int(
                &format!("{f}.build_years"),
                p.build_years,
                1,
                MAX_BUILD_YEARS,
            ),
        });
    }
    let total: f64 = phases.iter().map(|p| p.area_mu).sum();
    if area_mu > 0.0 && total > area_mu * (1.0 + 1e-12) {
        c.problem(
            "park.phases",
            format!("expected phases adding up to at most the park's {area_mu} mu, found {total}"),
        );
    }
    Park {
        area_mu,
        saleable_share,
        phases,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::limits::MAX_YEARS_AFTER_START;
    use super::super::testing::{START, checker, params, problems, table};
    use super::*;

    const TWO_REGIONS: &str = r#"
        regions = [
            { id = "zhejiang", name = "Z", role = "source" },
            { id = "jilin", name = "J", role = "host" },
        ]"#;

    /// The `[[regions]]` array of a TOML text.
    fn region_list(toml: &str) -> Vec<RegionFile> {
        #[derive(serde::Deserialize)]
        struct List {
            regions: Vec<RegionFile>,
        }
        table::<List>(toml).regions
    }

    #[test]
    fn meta_reports_a_bad_id_and_money_unit() {
        let mut c = checker();
        meta(
            &mut c,
            &table(
                r#"id = "my park"
                      name = "x"
                      start_year = 2018
                      yuan_per_unit = 0"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "scenario.id: expected a non-empty id of ASCII letters, digits, '-' or '_' (it names the output folder), found `my park`",
                "scenario.yuan_per_unit: expected a number > 0, found 0",
            ]
        );
    }

    /// The money unit's label and yuan come as one unit: a usual name gives the
    /// yuan (万元 without `yuan_per_unit` was a million yuan, so the Chinese
    /// report said 百万元 where the English said 万元), `yuan_per_unit` alone
    /// gives the label, a contradiction or an unknown name alone is refused.
    #[test]
    fn the_money_unit_and_its_yuan_name_one_unit() {
        let unit = |fields: &str| {
            let mut c = checker();
            let got = meta(
                &mut c,
                &table(&format!(
                    "id = \"p\"\nname = \"x\"\nstart_year = 2018\n{fields}"
                )),
            );
            (got, problems(&c))
        };
        let ok = |label: &str, yuan: f64| ((label.to_owned(), yuan), Vec::<String>::new());
        assert_eq!(unit(""), ok("million CNY", 1e6));
        assert_eq!(unit(r#"money_unit = "万元""#), ok("万元", 1e4));
        assert_eq!(unit(r#"money_unit = "亿元""#), ok("亿元", 1e8));
        assert_eq!(unit("yuan_per_unit = 10_000"), ok("10,000 CNY", 1e4));
        assert_eq!(
            unit("money_unit = \"万元\"\nyuan_per_unit = 10_000"),
            ok("万元", 1e4)
        );
        assert_eq!(
            unit("money_unit = \"CNY mn\"\nyuan_per_unit = 1e6"),
            ok("CNY mn", 1e6)
        );
        // A label of the user's own, with its yuan.
        assert_eq!(
            unit("money_unit = \"Mio. CNY\"\nyuan_per_unit = 1e6"),
            ok("Mio. CNY", 1e6)
        );
        assert_eq!(
            unit("money_unit = \"万元\"\nyuan_per_unit = 1_000_000").1,
            [
                "scenario.yuan_per_unit: expected 10000 for money_unit = \"万元\", found 1000000: the two must name one unit (or leave yuan_per_unit out)"
            ]
        );
        assert_eq!(
            unit(r#"money_unit = "Mio. CNY""#).1,
            [
                "scenario.money_unit: `Mio. CNY` is not a unit whose yuan are known (元, 千元, 万元, 百万元, 亿元, yuan, million CNY, …): add yuan_per_unit = how many yuan one Mio. CNY is"
            ]
        );
    }

    /// A money unit of less than a fen or more than a trillion yuan is
    /// refused: `validate` said ok to `yuan_per_unit = 1e-300`, and its run
    /// stopped at the first path with a result beyond ±1e100 (exploratory
    /// test); the ends themselves are taken.
    #[test]
    fn yuan_per_unit_is_bounded_from_a_fen_to_a_trillion_yuan() {
        let unit = |fields: &str| {
            let mut c = checker();
            let got = meta(
                &mut c,
                &table(&format!(
                    "id = \"p\"\nname = \"x\"\nstart_year = 2018\n{fields}"
                )),
            );
            (got, problems(&c))
        };
        for (y, shown) in [("1e-300", "1e-300"), ("0.001", "1e-3"), ("2e12", "2e12")] {
            assert_eq!(
                unit(&format!("money_unit = \"x\"\nyuan_per_unit = {y}")).1,
                [format!(
                    "scenario.yuan_per_unit: expected a number of yuan in [0.01, 1e12], from a fen (分) to a trillion yuan (万亿元), found {shown}"
                )]
            );
        }
        for (y, yuan) in [("0.01", 0.01), ("1e12", 1e12)] {
            assert_eq!(
                unit(&format!("money_unit = \"x\"\nyuan_per_unit = {y}")),
                (("x".to_owned(), yuan), Vec::<String>::new())
            );
        }
    }

    /// An empty (or blank) money unit is refused, as an empty id is: it said
    /// "add yuan_per_unit = how many yuan one  is" (exploratory test).
    #[test]
    fn an_empty_money_unit_is_refused() {
        for label in ["", "  "] {
            let mut c = checker();
            meta(
                &mut c,
                &table(&format!(
                    "id = \"p\"\nname = \"x\"\nstart_year = 2018\nmoney_unit = \"{label}\""
                )),
            );
            assert_eq!(
                problems(&c),
                [format!(
                    "scenario.money_unit: expected a non-empty unit name, such as 万元 or million CNY (or leave money_unit out), found \"{label}\""
                )]
            );
        }
    }

    /// An empty region id is refused as an empty scenario id is: it was taken,
    /// and the region's rows had a blank region cell, which reads as
    /// "undefined" (exploratory test).
    #[test]
    fn an_empty_region_id_is_refused() {
        let mut c = checker();
        let list = region_list(
            r#"regions = [
                { id = "", name = "Z", role = "source" },
                { id = " ", name = "J", role = "host" },
            ]"#,
        );
        regions(&mut c, &list);
        assert_eq!(
            problems(&c),
            [
                "regions[0].id: expected a non-empty id (it names the region in the output files), found \"\"",
                "regions[1].id: expected a non-empty id (it names the region in the output files), found \" \"",
            ]
        );
    }

    #[test]
    fn meta_refuses_an_id_too_long_for_a_folder_name() {
        let mut c = checker();
        let id = "a".repeat(MAX_ID_CHARS + 1);
        meta(
            &mut c,
            &table(&format!(
                r#"id = "{id}"
                      name = "x"
                      start_year = 2018
                      yuan_per_unit = 1"#
            )),
        );
        assert_eq!(
            problems(&c),
            [
                "scenario.id: expected an id of at most 100 characters (it names the output folder), found one of 101"
            ]
        );
    }

    #[test]
    fn meta_refuses_the_id_of_a_sets_folder() {
        let mut c = checker();
        meta(
            &mut c,
            &table(
                r#"id = "set"
                      name = "x"
                      start_year = 2018"#,
            ),
        );
        assert_eq!(
            problems(&c),
            [
                "scenario.id: expected another id than `set`, which is kept for the folder DIR/set/ of a set's summary"
            ]
        );
    }

    #[test]
    fn meta_accepts_a_folder_name() {
        let mut c = checker();
        meta(
            &mut c,
            &table(
                r#"id = "jilin-zhejiang_2"
                      name = "x"
                      start_year = 2018"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
    }

    #[test]
    fn simulation_reports_each_bad_setting_with_the_horizon_limit() {
        let mut c = checker();
        let sim = simulation(
            &mut c,
            &table(&format!(
                "paths = 0\nseed = -1\nhorizon = {}",
                MAX_HORIZON + 1
            )),
        );
        assert_eq!(
            problems(&c),
            [
                "simulation.paths: expected at least 1 path, found 0".to_owned(),
                "simulation.seed: expected a seed in [0, 9223372036854775807], found -1".to_owned(),
                format!(
                    "simulation.horizon: expected a whole number in [1, {MAX_HORIZON}], found {}",
                    MAX_HORIZON + 1
                ),
            ]
        );
        assert_eq!(
            sim,
            Simulation {
                paths: 1,
                seed: 0,
                horizon: 1,
                fairness: None,
                sampler: Sampler::default(),
            }
        );
    }

    #[test]
    fn simulation_accepts_the_longest_horizon() {
        let mut c = checker();
        let sim = simulation(
            &mut c,
            &table(&format!("paths = 5\nseed = 7\nhorizon = {MAX_HORIZON}")),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(
            sim,
            Simulation {
                paths: 5,
                seed: 7,
                horizon: MAX_HORIZON,
                fairness: None,
                sampler: Sampler::default(),
            }
        );
    }

    /// Too many regions: the message says the rest is checked with the first
    /// ones, as a missing host (the host being the ninth) follows from it.
    #[test]
    fn too_many_regions_say_what_is_checked() {
        let text: String = (0..=MAX_REGIONS)
            .map(|i| {
                let role = if i == MAX_REGIONS { "host" } else { "source" };
                format!("{{ id = \"r{i}\", name = \"R\", role = \"{role}\" }},\n")
            })
            .collect();
        let mut c = checker();
        regions(&mut c, &region_list(&format!("regions = [\n{text}]")));
        assert_eq!(
            problems(&c)[..2],
            [
                format!(
                    "regions: expected {MIN_REGIONS} to {MAX_REGIONS} regions, found {} (the rest of the file is checked with the first {MAX_REGIONS}: a problem with a host or an id among the others follows from this one)",
                    MAX_REGIONS + 1
                ),
                "regions: expected exactly one region with role = \"host\", found none".to_owned(),
            ]
        );
    }

    #[test]
    fn regions_report_count_keywords_duplicates_and_hosts() {
        let mut c = checker();
        let list = region_list(
            r#"regions = [
                { id = "equity", name = "E", role = "host" },
                { id = "equity", name = "E", role = "host", discount_rate = 2 },
            ]"#,
        );
        regions(&mut c, &list[..1]);
        assert_eq!(
            problems(&c),
            [
                format!("regions: expected {MIN_REGIONS} to {MAX_REGIONS} regions, found 1"),
                "regions[0].id: expected an id other than `equity`, which is a bearer keyword in [costs]".to_owned(),
            ]
        );
        let mut c = checker();
        regions(&mut c, &list);
        assert_eq!(
            problems(&c)[2..],
            [
                "regions[1].id: expected a unique region id, found `equity` twice",
                "regions[1].discount_rate: expected a number in [-0.5, 1], found 2",
                "regions[1].role: expected exactly one host region, found 2",
            ]
        );
    }

    /// A region renamed to another's id: its old id is reported at its first
    /// reference, not at each (a tester saw 15); another unknown id (a typo)
    /// is reported too (another tester found them hidden).
    #[test]
    fn a_duplicate_region_id_is_reported_once() {
        let mut c = checker();
        let list = region_list(
            r#"regions = [
                { id = "zhejiang", name = "Z", role = "source" },
                { id = "zhejiang", name = "J", role = "host" },
            ]"#,
        );
        regions(&mut c, &list);
        for i in 0..15 {
            c.region(&format!("contributions[{i}].region"), "jilin");
        }
        c.region("costs.land_acquisition.bearer", "zhejaing");
        let note = "(while two regions share an id, only the first reference to";
        assert_eq!(
            problems(&c),
            [
                "regions[1].id: expected a unique region id, found `zhejiang` twice".to_owned(),
                format!(
                    "contributions[0].region: expected a region id (one of zhejiang, zhejiang), found `jilin` {note} `jilin` is listed)"
                ),
                format!(
                    "costs.land_acquisition.bearer: expected a region id (one of zhejiang, zhejiang), found `zhejaing`; did you mean `zhejiang`? {note} `zhejaing` is listed)"
                ),
            ]
        );
    }

    #[test]
    fn regions_need_a_host() {
        let mut c = checker();
        let list = region_list(
            r#"regions = [
                { id = "a", name = "A", role = "source" },
                { id = "b", name = "B", role = "other" },
            ]"#,
        );
        regions(&mut c, &list);
        assert_eq!(
            problems(&c),
            ["regions: expected exactly one region with role = \"host\", found none"]
        );
    }

    #[test]
    fn regions_accept_a_source_and_a_host() {
        let mut c = checker();
        let r = regions(&mut c, &region_list(TWO_REGIONS));
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!((r.regions.len(), r.host, r.sources), (2, 1, vec![0]));
        assert_eq!(c.region_ids, ["zhejiang", "jilin"]);
    }

    #[test]
    fn park_reports_phases_that_do_not_fit_or_start_too_early() {
        let mut c = checker();
        park(
            &mut c,
            &table(&format!(
                r#"area_mu = 100
                   phases = [
                       {{ area_mu = 150, start_year = 2017, build_years = 0 }},
                       {{ area_mu = 50, start_year = {}, build_years = {} }},
                   ]"#,
                i64::from(START) + i64::from(MAX_YEARS_AFTER_START) + 1,
                MAX_BUILD_YEARS + 1
            )),
        );
        assert_eq!(
            problems(&c),
            [
                "park.phases[0].area_mu: expected a phase no larger than the park (100 mu), found 150".to_owned(),
                "park.phases[0].start_year: expected a calendar year ≥ the start year 2018, found 2017".to_owned(),
                "park.phases[0].build_years: expected a whole number in [1, 50], found 0".to_owned(),
                format!(
                    "park.phases[1].start_year: expected a calendar year at most {MAX_YEARS_AFTER_START} years after the start year 2018 (≤ 3018), found 3019"
                ),
                format!(
                    "park.phases[1].build_years: expected a whole number in [1, {MAX_BUILD_YEARS}], found 51"
                ),
                "park.phases: expected phases adding up to at most the park's 100 mu, found 200".to_owned(),
            ]
        );
    }

    /// A park area that is not positive is the problem; its phases are not
    /// compared with it as well.
    #[test]
    fn phases_are_not_compared_with_a_negative_park() {
        let mut c = checker();
        park(
            &mut c,
            &table(
                r#"area_mu = -100
                   phases = [{ area_mu = 50, start_year = 2018, build_years = 1 }]"#,
            ),
        );
        assert_eq!(
            problems(&c),
            ["park.area_mu: expected a number > 0, found -100"]
        );
    }

    #[test]
    fn park_accepts_phases_within_it_and_registers_its_share() {
        let mut c = checker();
        let p = park(
            &mut c,
            &table(
                r#"area_mu = 100
                   saleable_share = { dist = "uniform", min = 0.5, max = 0.7 }
                   phases = [
                       { area_mu = 60, start_year = 2018 },
                       { name = "east", area_mu = 40, start_year = 2021, build_years = 3 },
                   ]"#,
            ),
        );
        assert_eq!(problems(&c), [] as [String; 0]);
        assert_eq!(params(&c), ["park.saleable_share"]);
        let phases: Vec<_> = p
            .phases
            .iter()
            .map(|p| (p.name.as_str(), p.start, p.build_years))
            .collect();
        assert_eq!(phases, [("phase 1", 0, 2), ("east", 3, 3)]);
    }
}
