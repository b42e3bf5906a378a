//! Candidates evaluated by the engine: the candidates as the alternatives of a
//! copy of the scenario, simulated on the same paths, their metrics read from the
//! fairness table.

use super::{Estimate, Evaluate, Metrics, RegionMetrics, SolveError};
use crate::engine::{self, Observe, RunConfig};
use crate::fairness::{Metric, Table};
use crate::scenario::Scenario;
use crate::sharing::Formula;

/// Most memory one engine run of candidates may be expected to take; more
/// candidates are run in several runs (on the same paths).
const MEMORY_BUDGET: f64 = 2.0 * (1u64 << 30) as f64;

/// Evaluates candidates with the engine: one run per pass, the candidates as the
/// alternatives of a copy of the scenario, their metrics from its
/// [`crate::fairness::Table`].
#[derive(Debug)]
pub struct EngineEvaluator<'a> {
    scn: &'a Scenario,
    alternative: usize,
    cfg: RunConfig,
    /// Engine runs so far.
    pub runs: usize,
}

impl<'a> EngineEvaluator<'a> {
    /// Evaluates variants of alternative `alternative` of `scn` under `cfg` (with
    /// the coalitions, and so Shapley values, when `scn.fairness()`).
    pub fn new(scn: &'a Scenario, alternative: usize, cfg: RunConfig) -> EngineEvaluator<'a> {
        EngineEvaluator {
            scn,
            alternative,
            cfg,
            runs: 0,
        }
    }

    /// The scenario whose alternatives are `formulas` as the tax formula of the
    /// alternative being solved (everything else of it kept; a delivery risk's
    /// slot renumbered, since every candidate carries it).
    pub fn candidates_scenario(&self, formulas: &[Formula]) -> Scenario {
        let mut s = self.scn.clone();
        let base = &self.scn.alternatives[self.alternative];
        s.alternatives = formulas
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut alt = base.clone();
                alt.name = format!("candidate {}", i + 1);
                alt.tax = f.clone();
                if let Some(d) = alt.delivery.as_mut() {
                    d.slot = i;
                }
                alt
            })
            .collect();
        s
    }

    fn run_chunk(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError> {
        let s = self.candidates_scenario(formulas);
        let state = engine::run(&s, &self.cfg, Observe::default(), &mut |_| {})?;
        self.runs += 1;
        let table = Table::from_run(&s, &state);
        let undefined = Estimate {
            mean: f64::NAN,
            se: f64::NAN,
            n: 0,
        };
        let get = |a: usize, r: Option<usize>, m: Metric| table.get(a, r, m).unwrap_or(undefined);
        Ok((0..formulas.len())
            .map(|a| Metrics {
                regions: (0..s.regions.len())
                    .map(|r| {
                        let npv = get(a, Some(r), Metric::Npv);
                        RegionMetrics {
                            npv,
                            participation: get(a, Some(r), Metric::Participation),
                            benefit_to_contribution: get(a, Some(r), Metric::BenefitToContribution),
                            contribution: get(a, Some(r), Metric::ContributionShare),
                            shapley: table.coalitions.then(|| get(a, Some(r), Metric::Shapley)),
                            outside: npv.mean - get(a, Some(r), Metric::Surplus).mean,
                        }
                    })
                    .collect(),
                joint: table.get(a, None, Metric::JointParticipation),
                nash: table.get(a, None, Metric::NashProduct),
            })
            .collect())
    }
}

impl Evaluate for EngineEvaluator<'_> {
    fn evaluate(&mut self, formulas: &[Formula]) -> Result<Vec<Metrics>, SolveError> {
        // As many candidates per run as the memory budget allows.
        let mut chunk = formulas.len().max(1);
        while chunk > 1 {
            let s = self.candidates_scenario(&formulas[..chunk]);
            if engine::estimate(&s, &self.cfg).memory_bytes <= MEMORY_BUDGET {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        let mut out = Vec::with_capacity(formulas.len());
        for part in formulas.chunks(chunk) {
            out.extend(self.run_chunk(part)?);
        }
        Ok(out)
    }

    fn has_game(&self) -> bool {
        self.scn.fairness()
    }

    fn region_ids(&self) -> Vec<String> {
        self.scn.regions.iter().map(|r| r.id.clone()).collect()
    }
}
