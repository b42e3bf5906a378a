//! The declared output schema: every measure the engine computes, declared once.
//!
//! A measure has a name (as written in the CSV files), a unit, a description, a
//! scope and shape given by its type — [`RegionMetric`] (per alternative and region,
//! one number per path), [`ParkMetric`] (the park, one number per path),
//! [`RegionSeries`] and [`ParkSeries`] (the same, one number per year) — and the
//! statistics written for it ([`Quantiles`]). The record layout
//! ([`crate::engine::Layout`]), the CSV headers and rows ([`crate::output`]), the
//! statistics plan, [`crate::results::Results`] and the charts' and report's lookups
//! all derive from these declarations through the typed identifiers, so a renamed
//! or removed measure is a compile error, not an empty chart.
//!
//! Adding a measure is one line in one of the `measures!` tables below and the
//! code that computes it (in [`crate::outcome`]).

use std::fmt;

/// The unit of a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// The scenario's money unit (e.g. million CNY).
    Money,
    /// An indicator, 1 or 0 on each path: its mean is a probability (or the
    /// difference of two indicators, −1, 0 or 1: its mean is a difference of
    /// probabilities).
    Probability,
    /// A rate per year (IRR).
    Rate,
    /// Whole years.
    Years,
    /// A whole number of things (firms, jobs).
    Count,
    /// A share between 0 and 1.
    Share,
    /// A ratio of amounts that may leave [0, 1] (a share of a total with negative
    /// parts, a quotient of shares).
    Ratio,
    /// The scenario's money unit per mu of occupied land per year (亩均 figures;
    /// reports show them in 万元 per mu).
    MoneyPerMu,
    /// Land, in mu.
    Mu,
}

impl Unit {
    /// Whether every value of a measure in this unit is a whole number.
    pub fn is_integer(self) -> bool {
        matches!(self, Unit::Years | Unit::Count)
    }
}

/// Which quantiles are written for a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantiles {
    /// None: the mean says it all (indicators).
    None,
    /// P5, P25, P50, P75, P95 (summary.csv, timeseries.csv).
    Summary,
    /// The summary ones, and P1 … P99 in distribution.csv.
    Distribution,
}

/// One declared measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureDef {
    /// Name in the CSV files.
    pub name: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Quantiles written.
    pub quantiles: Quantiles,
    /// What it is.
    pub description: &'static str,
}

/// Quantile levels of the summary columns, in the order of [`SUMMARY_QUANTILE_COLUMNS`].
pub const SUMMARY_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];
/// Names of the summary quantile columns.
pub const SUMMARY_QUANTILE_COLUMNS: [&str; 5] = ["p05", "p25", "p50", "p75", "p95"];

/// Columns of the 95% confidence intervals of the summary quantiles, at the end
/// of summary.csv: low and high end of each of [`SUMMARY_QUANTILE_COLUMNS`] in
/// turn (`crate::stats::interval`).
pub const SUMMARY_INTERVAL_COLUMNS: [&str; 10] = [
    "p05_ci_low",
    "p05_ci_high",
    "p25_ci_low",
    "p25_ci_high",
    "p50_ci_low",
    "p50_ci_high",
    "p75_ci_low",
    "p75_ci_high",
    "p95_ci_low",
    "p95_ci_high",
];

/// The headline measures a set's `summary.csv` compares across scenarios: per
/// alternative and region, per alternative, and for the park.
pub const SET_REGION_METRICS: [RegionMetric; 7] = [
    RegionMetric::Npv,
    RegionMetric::NpvNegative,
    RegionMetric::Participates,
    RegionMetric::Irr,
    RegionMetric::BenefitToContribution,
    RegionMetric::Shapley,
    RegionMetric::ShapleyGap,
];
/// See [`SET_REGION_METRICS`].
pub const SET_ALT_METRICS: [AltMetric; 2] = [AltMetric::JointParticipation, AltMetric::NpvTotal];
/// See [`SET_REGION_METRICS`].
pub const SET_PARK_METRICS: [ParkMetric; 7] = [
    ParkMetric::TaxTotal,
    ParkMetric::TaxPool,
    ParkMetric::Gdp,
    ParkMetric::FirmsFinal,
    ParkMetric::JobsFinal,
    ParkMetric::TaxPerMu,
    ParkMetric::OutputPerMu,
];

/// How a part of a region's NPV enters it ([`NPV_PARTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Added: what the region receives (a guarantee transfer and what the
    /// collector withheld carry their own sign, negative for the payer).
    Inflow,
    /// Subtracted: what the region pays, reported as a positive amount.
    Outflow,
}

impl Flow {
    /// The sign the part's value takes in the NPV: 1 or −1.
    pub fn sign(self) -> f64 {
        match self {
            Flow::Inflow => 1.0,
            Flow::Outflow => -1.0,
        }
    }
}

/// The parts a region's NPV is the sum of (MODEL.md §8), inflows first, each with
/// how it enters: `npv = Σ sign × part` on every path, so the means add up too.
/// `pv_in_kind` (not cash), `gdp_credit` (statistics) and the outside option are
/// not parts of the NPV. The report's and the workbook's breakdowns of the NPV
/// read this list; `outcome`'s tests check it against the NPV computed.
pub const NPV_PARTS: [(RegionMetric, Flow); 13] = [
    (RegionMetric::PvTax, Flow::Inflow),
    (RegionMetric::PvLand, Flow::Inflow),
    (RegionMetric::PvWithheld, Flow::Inflow),
    (RegionMetric::PvGuarantee, Flow::Inflow),
    (RegionMetric::PvProvincial, Flow::Inflow),
    (RegionMetric::PvDividends, Flow::Inflow),
    (RegionMetric::PvTerminal, Flow::Inflow),
    (RegionMetric::PvContinuation, Flow::Inflow),
    (RegionMetric::PvCashContributions, Flow::Outflow),
    (RegionMetric::PvCapitalCalls, Flow::Outflow),
    (RegionMetric::PvCosts, Flow::Outflow),
    (RegionMetric::PvDisplaced, Flow::Outflow),
    (RegionMetric::PvOpportunityCosts, Flow::Outflow),
];

/// Quantile levels of `distribution.csv`: 0.01, 0.02, …, 0.99.
pub fn distribution_levels() -> Vec<f64> {
    (1..100).map(|i| f64::from(i) / 100.0).collect()
}

macro_rules! measures {
    (
        $(#[$meta:meta])*
        $ty:ident, $table:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $name:literal, $unit:ident, $q:ident, $desc:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $( #[doc = $desc] $variant, )*
        }

        const $table: &[MeasureDef] = &[
            $( MeasureDef {
                name: $name,
                unit: Unit::$unit,
                quantiles: Quantiles::$q,
                description: $desc,
            }, )*
        ];

        impl $ty {
            /// Every measure of this kind, in record order.
            pub const ALL: &'static [$ty] = &[ $( $ty::$variant, )* ];
            /// Number of measures of this kind.
            pub const COUNT: usize = Self::ALL.len();

            /// Position among the measures of this kind (record order).
            #[inline]
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The declaration.
            pub fn def(self) -> &'static MeasureDef {
                &$table[self.index()]
            }

            /// Name in the CSV files.
            pub fn name(self) -> &'static str {
                self.def().name
            }

            /// The measure of this kind with CSV name `name`.
            pub fn from_name(name: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|m| m.name() == name)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

measures! {
    /// Per alternative and region, one number per path (MODEL.md §8).
    RegionMetric, REGION_METRICS {
        Npv => "npv", Money, Distribution, "net present value at the region's discount rate";
        NpvNegative => "npv_negative", Probability, None, "1 when the NPV is below 0: the mean is P(NPV < 0)";
        Participates => "participates", Probability, None, "1 when the NPV is at least the outside option: the mean is P(participation)";
        PvTax => "pv_tax", Money, Summary, "PV of the tax shares allocated to the region (before guarantee transfers)";
        PvLand => "pv_land", Money, Summary, "PV of the land revenue shares";
        PvGuarantee => "pv_guarantee", Money, Summary, "PV of guarantee transfers (receipts positive)";
        PvDividends => "pv_dividends", Money, Summary, "PV of the park company's dividends";
        PvTerminal => "pv_terminal", Money, Summary, "PV of the terminal value of the region's stake";
        PvProvincial => "pv_provincial", Money, Summary, "PV of the provincial take received (by the `[taxes.province] to` region)";
        PvCashContributions => "pv_cash_contributions", Money, Summary, "PV of cash contributions paid";
        PvCapitalCalls => "pv_capital_calls", Money, Summary, "PV of capital calls paid";
        PvCosts => "pv_costs", Money, Summary, "PV of costs borne directly";
        PvDisplaced => "pv_displaced", Money, Summary, "PV of local taxes lost to displaced firms";
        PvOpportunityCosts => "pv_opportunity_costs", Money, Summary, "PV of the opportunity costs of in-kind contributions";
        Irr => "irr", Rate, Summary, "internal rate of return, where the cash flows change sign exactly once";
        PaybackYears => "payback_years", Years, Summary, "years of cooperation until the cumulative cash flow stays non-negative (undefined where it never went below 0, nothing to pay back, or was still below 0 at the horizon: payback_needed tells them apart)";
        PaybackNeeded => "payback_needed", Probability, None, "1 when the cumulative cash flow went below 0 in some year, so there was something to pay back: the mean is P(payback needed); where it is 1 and payback_years is undefined, the region had not paid back by the horizon";
        GdpCredit => "gdp_credit", Money, Summary, "GDP credited to the region over the horizon (statistics, not cash)";
        PvContinuation => "pv_continuation", Money, Summary, "PV of the continuation value of the region's tax share after the horizon";
        PvInKind => "pv_in_kind", Money, Summary, "PV of the agreed values of the region's in-kind contributions (not cash: not part of the NPV)";
        ContributionShare => "contribution_share", Share, Summary, "the region's share of all contributions C in the last year, as the contribution formula reads it";
        CapReached => "cap_reached", Probability, None, "1 when the alternative's cap on this region's cumulative take of its restricted tax pool bound: the mean is P(cap binds)";
        CapReachedYear => "cap_reached_year", Years, Summary, "the first year of cooperation in which the cap on this region's take bound (undefined when it never did, or the region is not capped)";
        PvWithheld => "pv_withheld", Money, Summary, "PV of what the collector owed but did not pay under `[sharing.delivery]` (negative for the regions owed, positive for the collector)";
        BenefitShare => "benefit_share", Ratio, Summary, "the region's share of all regions' benefits B: PV of its tax and land allocations (less what was withheld), guarantee transfers, provincial take, dividends, terminal value and continuation (undefined when the regions' B add to 0 or less)";
        BenefitToContribution => "benefit_to_contribution", Ratio, Summary, "benefit_share ÷ contribution_share: above 1, the region gets a larger share of the benefits than it put in (undefined when its contribution share is 0)";
        Surplus => "surplus", Money, Summary, "NPV − outside option: what the region gains by taking part (its factor of the Nash product is the mean)";
        Shapley => "shapley", Money, Summary, "the region's Shapley value of the regions' game on the path, whose grand coalition is worth the regions' NPVs under this alternative (undefined when the run computes no coalitions)";
        ShapleyGap => "shapley_gap", Money, Summary, "NPV − Shapley value: above 0, the alternative gives the region more than its fair share (undefined when the run computes no coalitions)";
    }
}

measures! {
    /// Per alternative (region `all` in the CSV files), one number per path.
    AltMetric, ALT_METRICS {
        JointParticipation => "joint_participation", Probability, None, "1 when every region's NPV is at least its outside option: the mean is P(all participate)";
        NpvTotal => "npv_total", Money, Summary, "the regions' NPVs added up: the grand coalition's value v(N) under this alternative";
    }
}

measures! {
    /// Per alternative and pair of regions r < s, one number per path; kept for the
    /// covariances behind the Nash product's standard error (fairness.csv), not
    /// written to summary.csv.
    PairMetric, PAIR_METRICS {
        SurplusPairSum => "surplus_pair_sum", Money, None, "surplus of region r plus surplus of region s: with their variances, its variance gives their covariance";
    }
}

measures! {
    /// Per pair of alternatives a < b, one number per path; kept for the
    /// standard error of their difference on the same paths (fairness.csv's
    /// `joint_participation_over_next`, the ranking's "within noise"), not
    /// written to summary.csv.
    AltPairMetric, ALT_PAIR_METRICS {
        JointParticipationDiff => "joint_participation_diff", Probability, None, "joint participation under alternative a less under alternative b (−1, 0 or 1): the mean is the difference of P(all participate), its standard error that of the difference on the same paths";
    }
}

measures! {
    /// The park, one number per path (the same under every alternative).
    ParkMetric, PARK_METRICS {
        FirmsFinal => "firms_final", Count, Summary, "firms in the park in the last year";
        FirmYears => "firm_years", Count, Summary, "firm-years simulated";
        OccupancyFinal => "occupancy_final", Share, Summary, "occupied share of the open saleable land in the last year";
        TaxTotal => "tax_total", Money, Summary, "all taxes paid by the park's firms, all levels, over the horizon";
        TaxCentral => "tax_central", Money, Summary, "the central government's part";
        TaxLocal => "tax_local", Money, Summary, "the local part, before the provincial take and rebates";
        TaxPool => "tax_pool", Money, Summary, "the local retained pool that the formulas share";
        Rebates => "rebates", Money, Summary, "tax rebates paid to firms";
        TaxProvincial => "tax_provincial", Money, Summary, "the provincial take out of the local part (to the region `taxes.province.to` names, else out of the modelled regions)";
        LandSales => "land_sales", Money, Summary, "land sales, whoever receives them";
        Gdp => "gdp", Money, Summary, "the park's value added over the horizon";
        JobsFinal => "jobs_final", Count, Summary, "jobs in the last year (wage bill / average wage, rounded)";
        TurnedAway => "turned_away", Count, Summary, "prospective firms turned away for lack of land";
        PdcIrr => "pdc_irr", Rate, Summary, "the park company's IRR to its shareholders";
        LandBuybacks => "land_buybacks", Money, Summary, "paid to buy back leaving firms' land (收储), by whoever receives land sales";
        TaxPerMu => "tax_per_mu", MoneyPerMu, Summary, "亩均税收: all taxes per occupied mu and year over the horizon (the taxes' sum ÷ the occupied mu-years; undefined when no land is ever occupied)";
        OutputPerMu => "output_per_mu", MoneyPerMu, Summary, "亩均产值: the firms' revenue per occupied mu and year over the horizon (undefined when no land is ever occupied)";
        LandSoldMu => "land_sold_mu", Mu, Summary, "mu of land the park sold over the horizon";
    }
}

measures! {
    /// Per alternative and region, one number per year.
    RegionSeries, REGION_SERIES {
        CashFlow => "cash_flow", Money, Summary, "the region's net cash flow of the year";
        CumulativeCashFlow => "cumulative_cash_flow", Money, Summary, "the region's cumulative cash flow to the year";
        TaxAllocation => "tax_allocation", Money, Summary, "the tax share allocated to the region in the year";
    }
}

measures! {
    /// The park, one number per year.
    ParkSeries, PARK_SERIES {
        Firms => "firms", Count, Summary, "firms in the park at year end";
        Occupancy => "occupancy", Share, Summary, "occupied share of the open saleable land";
        TaxPool => "tax_pool", Money, Summary, "the local retained tax pool";
        TaxTotal => "tax_total", Money, Summary, "all taxes, all levels";
        TaxLocal => "tax_local", Money, Summary, "the local part of the taxes";
        Gdp => "gdp", Money, Summary, "value added";
        LandPool => "land_pool", Money, Summary, "land revenue going to governments";
        TaxCentral => "tax_central", Money, Summary, "the central government's part of the taxes";
        Rebates => "rebates", Money, Summary, "tax rebates paid to firms (先征后返)";
        Jobs => "jobs", Count, Summary, "jobs (wage bill ÷ average wage)";
        Output => "output", Money, Summary, "the firms' revenue (产值)";
        LandSoldMu => "land_sold_mu", Mu, Summary, "mu of land sold in the year";
        TaxPerMu => "tax_per_mu", MoneyPerMu, Summary, "亩均税收: all taxes of the year per occupied mu (undefined in a year with no occupied land)";
        OutputPerMu => "output_per_mu", MoneyPerMu, Summary, "亩均产值: the firms' revenue of the year per occupied mu (undefined in a year with no occupied land)";
    }
}

/// Any declared measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// A region metric.
    Region(RegionMetric),
    /// A park metric.
    Park(ParkMetric),
    /// A region series.
    RegionSeries(RegionSeries),
    /// A park series.
    ParkSeries(ParkSeries),
    /// A per-alternative metric.
    Alt(AltMetric),
    /// A metric of a pair of regions.
    Pair(PairMetric),
    /// A metric of a pair of alternatives.
    AltPair(AltPairMetric),
}

impl Measure {
    /// Every declared measure.
    pub fn all() -> impl Iterator<Item = Measure> {
        RegionMetric::ALL
            .iter()
            .map(|&m| Measure::Region(m))
            .chain(ParkMetric::ALL.iter().map(|&m| Measure::Park(m)))
            .chain(RegionSeries::ALL.iter().map(|&m| Measure::RegionSeries(m)))
            .chain(ParkSeries::ALL.iter().map(|&m| Measure::ParkSeries(m)))
            .chain(AltMetric::ALL.iter().map(|&m| Measure::Alt(m)))
            .chain(PairMetric::ALL.iter().map(|&m| Measure::Pair(m)))
            .chain(AltPairMetric::ALL.iter().map(|&m| Measure::AltPair(m)))
    }

    /// Whether a set's `summary.csv` compares this measure across scenarios
    /// ([`SET_REGION_METRICS`], [`SET_ALT_METRICS`], [`SET_PARK_METRICS`]).
    pub fn is_headline(self) -> bool {
        match self {
            Measure::Region(m) => SET_REGION_METRICS.contains(&m),
            Measure::Alt(m) => SET_ALT_METRICS.contains(&m),
            Measure::Park(m) => SET_PARK_METRICS.contains(&m),
            Measure::RegionSeries(_)
            | Measure::ParkSeries(_)
            | Measure::Pair(_)
            | Measure::AltPair(_) => false,
        }
    }

    /// Whether this measure comes from the coalitions' values, and so is defined
    /// on no path of a run that computes none (`--fairness off`).
    pub fn from_coalitions(self) -> bool {
        matches!(
            self,
            Measure::Region(RegionMetric::Shapley | RegionMetric::ShapleyGap)
        )
    }

    /// Whether a path may leave this measure undefined (NaN, an empty cell): an IRR
    /// where the cash flows do not change sign exactly once, a payback that never
    /// happens, a cap that never binds, a share of benefits that add to 0 or less or
    /// of a contribution share of 0, a Shapley value in a run without coalitions.
    /// Any other measure must be a finite number on every path; the engine stops
    /// the run otherwise.
    pub fn may_be_undefined(self) -> bool {
        matches!(
            self,
            Measure::Region(
                RegionMetric::Irr
                    | RegionMetric::PaybackYears
                    | RegionMetric::CapReachedYear
                    | RegionMetric::BenefitShare
                    | RegionMetric::BenefitToContribution
                    | RegionMetric::Shapley
                    | RegionMetric::ShapleyGap
            ) | Measure::Park(ParkMetric::PdcIrr | ParkMetric::TaxPerMu | ParkMetric::OutputPerMu)
                | Measure::ParkSeries(ParkSeries::TaxPerMu | ParkSeries::OutputPerMu)
        )
    }

    /// The declaration.
    pub fn def(self) -> &'static MeasureDef {
        match self {
            Measure::Region(m) => m.def(),
            Measure::Park(m) => m.def(),
            Measure::RegionSeries(m) => m.def(),
            Measure::ParkSeries(m) => m.def(),
            Measure::Alt(m) => m.def(),
            Measure::Pair(m) => m.def(),
            Measure::AltPair(m) => m.def(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_within_a_file_and_indices_follow_the_declaration() {
        // Metrics share summary.csv, series share timeseries.csv (park rows and region
        // rows are told apart by their region column, so a park series may share a
        // park metric's name but not another series').
        for names in [
            RegionMetric::ALL
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>(),
            ParkMetric::ALL.iter().map(|m| m.name()).collect(),
            RegionSeries::ALL.iter().map(|m| m.name()).collect(),
            ParkSeries::ALL.iter().map(|m| m.name()).collect(),
            AltMetric::ALL.iter().map(|m| m.name()).collect(),
        ] {
            let set: HashSet<_> = names.iter().collect();
            assert_eq!(set.len(), names.len(), "{names:?}");
        }
        for (i, m) in RegionMetric::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(RegionMetric::from_name(m.name()), Some(*m));
        }
        assert_eq!(RegionMetric::Npv.name(), "npv");
        assert_eq!(ParkSeries::LandPool.to_string(), "land_pool");
        assert_eq!(RegionMetric::from_name("nothing"), None);
        assert_eq!(Measure::all().count(), 29 + 18 + 3 + 14 + 2 + 1 + 1);
    }

    #[test]
    fn indicators_have_no_quantiles_and_counts_are_integers() {
        for m in Measure::all() {
            let d = m.def();
            if d.unit == Unit::Probability {
                assert_eq!(d.quantiles, Quantiles::None, "{}", d.name);
            }
            assert!(!d.description.is_empty());
        }
        assert!(ParkMetric::FirmsFinal.def().unit.is_integer());
        assert!(RegionMetric::PaybackYears.def().unit.is_integer());
        assert!(!RegionMetric::Npv.def().unit.is_integer());
        assert_eq!(distribution_levels().len(), 99);
    }
}
