//! The regions' coalitions (MODEL.md §8, docs/model.md §13): the park each
//! coalition of regions would build without the others, simulated on the same paths
//! as the main run, and the coalition values v(S) of the regions' game.
//!
//! A coalition S is a bit mask over the regions (bit r set when region r is in it).
//! Its park ([`park`]) is the scenario with only S's contributions and their
//! effects: every other region's contribution is kept in place, so that every
//! uncertain input keeps its named stream and its draw, but is worth nothing and
//! has no effect; costs that an outside region bore fall on the members by equity;
//! fixed equity shares are renormalised over the members; the members split every
//! pool by equity. A coalition without the host has no land and so no park: each
//! member gets its outside option.
//!
//! The value of a coalition is what its members get:
//! v(S) = Σ_{r∈S} NPV_r of S's park when S holds the host, Σ_{r∈S} outside_r
//! otherwise, v(∅) = 0, and v(N) = Σ_r NPV_r under the alternative evaluated (the
//! only coalition value that depends on the alternative).

use crate::economy::{FirmLog, Share, Workspace, simulate_path_shared};
use crate::outcome::{self, OutcomeScratch};
use crate::sampling::Value;
use crate::scenario::{Alternative, Bearer, Scenario};
use crate::sharing::Formula;
use crate::streams::Streams;

/// The parks of a scenario's coalitions, built once per run.
#[derive(Debug, Clone)]
pub struct Coalitions {
    /// The scenario they were built for: its hash and id.
    built_for: (String, String),
    /// Number of regions n.
    regions: usize,
    /// Index of the host.
    host: usize,
    /// By coalition mask `0 … 2^n − 1`: the park of each coalition that holds the
    /// host other than the grand coalition; `None` for the others.
    parks: Vec<Option<Scenario>>,
}

impl Coalitions {
    /// The parks of every coalition of `scn`'s regions that holds the host.
    pub fn new(scn: &Scenario) -> Coalitions {
        let n = scn.regions.len();
        let full = (1usize << n) - 1;
        let parks = (0..=full)
            .map(|s| (s != full && s & (1 << scn.host) != 0).then(|| park(scn, s)))
            .collect();
        Coalitions {
            built_for: (scn.sha256.clone(), scn.id.clone()),
            regions: n,
            host: scn.host,
            parks,
        }
    }

    /// Whether these are `scn`'s coalitions.
    pub fn built_for(&self, scn: &Scenario) -> bool {
        self.built_for.0 == scn.sha256
            && self.built_for.1 == scn.id
            && self.regions == scn.regions.len()
            && self.host == scn.host
    }

    /// Number of regions.
    pub fn regions(&self) -> usize {
        self.regions
    }

    /// The park of coalition `s` (`None` without the host, and for the grand
    /// coalition, whose park is the scenario itself).
    pub fn park(&self, s: usize) -> Option<&Scenario> {
        self.parks.get(s).and_then(Option::as_ref)
    }
}

/// The one alternative of a coalition's park: every pool split by equity.
fn by_equity() -> Alternative {
    Alternative {
        name: "coalition".to_owned(),
        description: "a coalition's own park: every pool split by its members' equity".to_owned(),
        tax: Formula::Equity,
        land: Formula::Equity,
        gdp: Formula::Equity,
        pool: None,
        delivery: None,
    }
}

/// Shares renormalised over the members of `s`: `None` when the members hold none.
fn members_shares(shares: &[f64], s: usize) -> Option<Vec<f64>> {
    let kept: Vec<f64> = shares
        .iter()
        .enumerate()
        .map(|(r, &x)| if s & (1 << r) != 0 { x } else { 0.0 })
        .collect();
    let total: f64 = kept.iter().sum();
    (total > 0.0).then(|| kept.iter().map(|x| x / total).collect())
}

/// Equal shares among the members of `s`.
fn equal_shares(n: usize, s: usize) -> Vec<f64> {
    let k = f64::from(s.count_ones());
    (0..n)
        .map(|r| if s & (1 << r) != 0 { 1.0 / k } else { 0.0 })
        .collect()
}

/// A bearer with the outside regions' part moved to the members by equity.
fn members_bearer(b: &Bearer, s: usize) -> Bearer {
    match b {
        Bearer::Region(r) if s & (1 << r) == 0 => Bearer::Equity,
        Bearer::Shares(v) => members_shares(v, s).map_or(Bearer::Equity, Bearer::Shares),
        other => other.clone(),
    }
}

/// The park coalition `s` builds without the other regions (see the module
/// documentation): the scenario with the others' contributions worth nothing and
/// without effects, their costs borne by the members by equity, fixed equity
/// renormalised over the members (equal shares if they hold none), and one
/// alternative splitting every pool by equity. The uncertain inputs are untouched,
/// so every draw on every path is the main run's.
pub fn park(scn: &Scenario, s: usize) -> Scenario {
    let n = scn.regions.len();
    let member = |r: usize| s & (1 << r) != 0;
    let mut p = scn.clone();
    for c in p.contributions.iter_mut().filter(|c| !member(c.region)) {
        c.value = Value::Fixed(0.0);
        c.opportunity_cost = Value::Fixed(0.0);
        c.attractiveness = Value::Fixed(1.0);
        c.cost = Value::Fixed(1.0);
        c.revenue = Value::Fixed(1.0);
    }
    let members_equity = |e: &Option<Vec<f64>>| {
        e.as_ref()
            .map(|v| members_shares(v, s).unwrap_or_else(|| equal_shares(n, s)))
    };
    p.company.equity = members_equity(&p.company.equity);
    if p.company.equity.is_none() && !p.contributions.iter().any(|c| member(c.region)) {
        // Equity from contributions, and the members made none: equal shares.
        p.company.equity = Some(equal_shares(n, s));
    }
    for b in [
        &mut p.costs.land_acquisition.bearer,
        &mut p.costs.infrastructure.bearer,
        &mut p.costs.operations.bearer,
    ] {
        *b = members_bearer(b, s);
    }
    for c in &mut p.changes {
        c.equity = members_equity(&c.equity);
        for b in [
            &mut c.bearers.land_acquisition,
            &mut c.bearers.infrastructure,
            &mut c.bearers.operations,
        ] {
            *b = members_bearer(b, s);
        }
    }
    for (r, x) in p.initial.contributions.iter_mut().enumerate() {
        if !member(r) {
            *x = 0.0;
        }
    }
    p.alternatives = vec![by_equity()];
    p.simulation.fairness = Some(false);
    p
}

/// A worker's buffers for the coalition values.
#[derive(Debug, Clone, Default)]
pub struct CoalitionScratch {
    economy: Workspace,
    outcome: OutcomeScratch,
    /// The members' NPVs in a coalition's park.
    npv: Vec<f64>,
}

/// Writes v(S) of every coalition but the grand one into `v` (2^n entries; `v[0]
/// = 0`, `v[2^n − 1]` untouched) for path `p`.
///
/// `outside` is each region's outside option on the path.
pub fn values(
    coalitions: &Coalitions,
    horizon: u32,
    streams: &Streams,
    p: u64,
    outside: &[f64],
    scratch: &mut CoalitionScratch,
    v: &mut [f64],
) {
    values_sharing(coalitions, horizon, streams, p, outside, None, scratch, v);
}

/// [`values`], the same numbers bit for bit, with `firms` the scenario's own park's
/// firms on path `p` when given ([`Share::Record`]): every coalition's park takes
/// them where they are its own instead of simulating them again (docs/model.md §13).
#[allow(clippy::too_many_arguments)]
pub fn values_sharing(
    coalitions: &Coalitions,
    horizon: u32,
    streams: &Streams,
    p: u64,
    outside: &[f64],
    firms: Option<&FirmLog>,
    scratch: &mut CoalitionScratch,
    v: &mut [f64],
) {
    let n = coalitions.regions;
    let full = (1usize << n) - 1;
    scratch.npv.resize(n, 0.0);
    v[0] = 0.0;
    for (s, value) in v.iter_mut().enumerate().take(full).skip(1) {
        let members = (0..n).filter(|r| s & (1 << r) != 0);
        *value = match coalitions.park(s) {
            None => members.map(|r| outside[r]).sum(),
            Some(park) => {
                let share = firms.map_or(Share::Off, Share::Replay);
                simulate_path_shared(park, horizon, streams, p, &mut scratch.economy, share);
                let econ = &scratch.economy.out;
                let alt = &park.alternatives[0];
                outcome::npv(econ, alt, &mut scratch.outcome, &mut scratch.npv);
                members.map(|r| scratch.npv[r]).sum()
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economy::simulate_path;

    /// The coalitions' values of `paths` paths of `scn`, simulated alone and taking
    /// the park's firms, and the park's own series simulated alone and recording
    /// them: each pair bit for bit the same.
    fn check_sharing_changes_nothing(scn: &Scenario, paths: u64) {
        let h = scn.simulation.horizon.min(12);
        let n = scn.regions.len();
        let streams = Streams::new(scn.simulation.seed, &scn.params);
        let coalitions = Coalitions::new(scn);
        let (mut alone_ws, mut recording_ws) = (Workspace::default(), Workspace::default());
        let mut log = FirmLog::default();
        let (mut alone, mut sharing) = (CoalitionScratch::default(), CoalitionScratch::default());
        for p in 0..paths {
            simulate_path(scn, h, &streams, p, &mut alone_ws);
            simulate_path_shared(
                scn,
                h,
                &streams,
                p,
                &mut recording_ws,
                Share::Record(&mut log),
            );
            let (a, b) = (&alone_ws.out, &recording_ws.out);
            for (x, y) in [
                (&a.tax_pool, &b.tax_pool),
                (&a.gdp, &b.gdp),
                (&a.firms, &b.firms),
                (&a.displaced, &b.displaced),
                (&a.dividends, &b.dividends),
            ] {
                assert_eq!(bits(x), bits(y), "{} path {p}: the park's series", scn.id);
            }
            let outside = &a.outside_option;
            let (mut v_alone, mut v_sharing) = (vec![0.0; 1 << n], vec![0.0; 1 << n]);
            values(
                &coalitions,
                h,
                &streams,
                p,
                outside,
                &mut alone,
                &mut v_alone,
            );
            values_sharing(
                &coalitions,
                h,
                &streams,
                p,
                outside,
                Some(&log),
                &mut sharing,
                &mut v_sharing,
            );
            assert_eq!(bits(&v_alone), bits(&v_sharing), "{} path {p}", scn.id);
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn taking_the_parks_firms_changes_no_coalition_value() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the scenario library")
            .map(|e| e.expect("a library entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        assert!(files.len() >= 5, "the library's scenarios");
        for file in files {
            let scn = Scenario::load(&file).expect("a library scenario");
            check_sharing_changes_nothing(&scn, 6);
        }
        // A source contribution raising revenue: the source-less coalition's firms
        // earn less, so it takes none of the park's firm-years.
        let mut scn = Scenario::reference().expect("bundled scenario");
        let source = scn.contributions.iter_mut().find(|c| c.region == 0);
        source.expect("a source contribution").revenue = Value::Fixed(1.2);
        check_sharing_changes_nothing(&scn, 6);
        // A source contribution deterring firms: the coalition without it sees more
        // prospective firms than the park, beyond those recorded.
        let mut scn = Scenario::reference().expect("bundled scenario");
        for c in scn.contributions.iter_mut().filter(|c| c.region == 0) {
            c.attractiveness = Value::Fixed(0.5);
        }
        check_sharing_changes_nothing(&scn, 6);
    }

    #[test]
    fn a_coalition_park_moves_the_outsiders_costs_and_equity_to_the_members() {
        let mut scn = Scenario::reference().expect("bundled scenario");
        let (z, j) = (0, 1);
        assert_eq!((scn.regions[z].id.as_str(), scn.host), ("zhejiang", j));
        scn.costs.land_acquisition.bearer = Bearer::Region(z);
        scn.costs.infrastructure.bearer = Bearer::Shares(vec![0.25, 0.75]);
        scn.costs.operations.bearer = Bearer::Shares(vec![1.0, 0.0]);
        scn.company.equity = Some(vec![0.6, 0.4]);
        let alone = park(&scn, 1 << j);
        // Zhejiang's part falls on Jilin: by equity, or Jilin's renormalised share.
        assert_eq!(alone.costs.land_acquisition.bearer, Bearer::Equity);
        assert_eq!(
            alone.costs.infrastructure.bearer,
            Bearer::Shares(vec![0.0, 1.0])
        );
        assert_eq!(alone.costs.operations.bearer, Bearer::Equity);
        assert_eq!(alone.company.equity, Some(vec![0.0, 1.0]));
        // Zhejiang's contributions stay, worth nothing and without effect; Jilin's
        // are untouched.
        assert_eq!(alone.contributions.len(), scn.contributions.len());
        for (c, original) in alone.contributions.iter().zip(&scn.contributions) {
            if c.region == z {
                assert_eq!(
                    [
                        c.value,
                        c.opportunity_cost,
                        c.attractiveness,
                        c.cost,
                        c.revenue
                    ],
                    [0.0, 0.0, 1.0, 1.0, 1.0].map(Value::Fixed)
                );
            } else {
                assert_eq!(c.value, original.value);
                assert_eq!(c.attractiveness, original.attractiveness);
            }
        }
        assert_eq!(
            alone.params.len(),
            scn.params.len(),
            "every input keeps its draw"
        );
        assert_eq!(alone.alternatives.len(), 1);
        assert_eq!(alone.simulation.fairness, Some(false));

        // The grand coalition and coalitions without the host have no park of their own.
        let all = Coalitions::new(&scn);
        assert!(all.park(0b11).is_none() && all.park(1 << z).is_none());
        assert!(all.park(1 << j).is_some() && all.built_for(&scn));
    }
}
