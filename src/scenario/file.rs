//! The scenario file as written: serde types that mirror the TOML one to one.
//!
//! Defaults live here; nothing here is checked beyond its TOML type. The checked,
//! typed scenario is built from these by the `validate` module. Every table rejects
//! unknown keys, so a typo is an error rather than a silently ignored setting.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::limits::MAX_EXACT_INTEGER;

/// The whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Identity and units.
    pub scenario: MetaFile,
    /// Paths, seed and horizon (overridable on the command line).
    #[serde(default)]
    pub simulation: SimulationFile,
    /// The regions that build the park together.
    pub regions: Vec<RegionFile>,
    /// The park's land and phases.
    pub park: ParkFile,
    /// Contributions valued into equity (作价入股).
    #[serde(default)]
    pub contributions: Vec<ContributionFile>,
    /// The three cost categories and who bears them.
    #[serde(default)]
    pub costs: CostsFile,
    /// The park development company (PDC).
    #[serde(default)]
    pub company: CompanyFile,
    /// Firm arrivals, sectors and relocation.
    pub firms: FirmsFile,
    /// The macro shock shared by all firms of a path.
    #[serde(default, rename = "macro")]
    pub macro_shock: MacroFile,
    /// Tax rates, local shares, provincial take and rebates.
    #[serde(default)]
    pub taxes: TaxesFile,
    /// The sharing alternatives to compare.
    pub sharing: Vec<SharingFile>,
    /// How outcomes are valued: the continuation after the horizon.
    #[serde(default)]
    pub outcome: OutcomeFile,
    /// Whether money is in constant or current prices.
    #[serde(default)]
    pub prices: PricesFile,
    /// Dated changes of taxes, equity and cost bearers, in increasing years.
    #[serde(default)]
    pub changes: Vec<ChangeFile>,
    /// The park's state at the start year, for a park that already exists.
    #[serde(default)]
    pub initial: InitialFile,
    /// Correlation among path-level uncertain inputs (a Gaussian copula).
    #[serde(default)]
    pub correlation: Option<CorrelationFile>,
}

/// `[correlation]`: a correlation matrix over named path-level uncertain inputs,
/// applied through a Gaussian copula (docs/model.md §9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationFile {
    /// Field paths of the correlated inputs, e.g. `firms.arrival_rate`.
    pub inputs: Vec<String>,
    /// The correlation matrix, one row per input, in the order of `inputs`.
    pub matrix: Vec<Vec<f64>>,
    /// What the matrix's entries are: rank (`spearman`, the default) or the
    /// copula's normals' linear correlation (`pearson`).
    #[serde(default)]
    pub kind: CorrelationKindFile,
    /// Whether a matrix that is not a valid correlation matrix is repaired to the
    /// nearest valid one (reported) instead of refused.
    #[serde(default)]
    pub repair: bool,
}

/// What a `[correlation]` matrix holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationKindFile {
    /// Spearman rank correlations (converted to the copula's Pearson by 2 sin(π ρ / 6)).
    #[default]
    Spearman,
    /// Pearson correlations of the copula's standard normals.
    Pearson,
}

/// `[simulation] sampler`: how the uncertain inputs' uniforms are spread over a run's paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SamplerFile {
    /// Independent draws (the default).
    #[default]
    MonteCarlo,
    /// Latin hypercube over the run's paths.
    LatinHypercube,
    /// Owen-scrambled Sobol points.
    Sobol,
}

/// `[prices]`: whether the file's money is in constant prices of the start year
/// (`real`) or the run inflates it to the prices of each year (`nominal`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricesFile {
    /// `real` (the default) or `nominal`.
    #[serde(default)]
    pub basis: PriceBasisFile,
    /// Yearly inflation of the price level; only with `basis = "nominal"`.
    #[serde(default)]
    pub inflation: Option<Num>,
}

/// The price basis as written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasisFile {
    /// Constant prices of the start year.
    #[default]
    Real,
    /// Current prices of each year.
    Nominal,
}

/// `[[changes]]`: what changes from a calendar year on (inclusive). A field left
/// out keeps the value in force before the change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeFile {
    /// Calendar year from which the change holds.
    pub year: i64,
    /// Free text (what changed and the source).
    #[serde(default)]
    pub note: String,
    /// Fields of `[taxes]` (and `[taxes.province]`) that change.
    #[serde(default)]
    pub taxes: ChangeTaxesFile,
    /// Per-sector tax rates that change, by sector name.
    #[serde(default)]
    pub sectors: BTreeMap<String, ChangeSectorFile>,
    /// The company's equity from the year on.
    #[serde(default)]
    pub company: ChangeCompanyFile,
    /// Cost bearers from the year on.
    #[serde(default)]
    pub costs: ChangeCostsFile,
}

/// `[changes.taxes]`: the fields of `[taxes]` that can change (rebates cannot).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeTaxesFile {
    /// Local share of VAT.
    pub vat_local_share: Option<Num>,
    /// Local share of CIT.
    pub cit_local_share: Option<Num>,
    /// A flat effective IIT rate on the wage bill from the year on.
    pub iit_rate: Option<Num>,
    /// Local share of IIT.
    pub iit_local_share: Option<Num>,
    /// 城建税 rate on VAT.
    pub urban_maintenance_rate: Option<Num>,
    /// Education surcharge rate on VAT.
    pub education_rate: Option<Num>,
    /// Local education surcharge rate on VAT.
    pub local_education_rate: Option<Num>,
    /// Urban land use tax, yuan per m² per year.
    pub land_use_tax_per_m2: Option<Num>,
    /// Property tax rate.
    pub property_tax_rate: Option<Num>,
    /// Deduction from the building value before property tax.
    pub property_tax_deduction: Option<Num>,
    /// The province's take of VAT, CIT and IIT (unless this change's
    /// `[changes.taxes.province]` sets a kind).
    pub provincial_take: Option<Num>,
    /// Statutory CIT rate.
    pub cit_statutory_rate: Option<Num>,
    /// Employee social insurance share of the wage, deducted before IIT.
    pub iit_social_insurance_share: Option<Num>,
    /// The IIT schedule from the year on (replaces a flat `iit_rate` in force).
    pub iit_schedule: Option<IitScheduleFile>,
    /// The provincial take per kind and its recipient.
    #[serde(default)]
    pub province: ProvinceFile,
}

/// `[changes.sectors.<name>]`: a sector's tax rates from the year on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSectorFile {
    /// VAT rate on value added.
    pub vat_rate: Option<Num>,
    /// Corporate income tax rate.
    pub cit_rate: Option<Num>,
}

/// `[changes.company]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeCompanyFile {
    /// Equity shares per region id from the year on.
    pub equity: Option<BTreeMap<String, f64>>,
}

/// `[changes.costs]`: who bears each cost from the year on (amounts do not change).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeCostsFile {
    /// Bearer of 征地拆迁.
    pub land_acquisition: Option<BearerFile>,
    /// Bearer of 七通一平.
    pub infrastructure: Option<BearerFile>,
    /// Bearer of operations.
    pub operations: Option<BearerFile>,
}

/// A cost's bearer, as in `[costs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BearerFile {
    /// `company`, `equity`, `shares` or a region id.
    pub bearer: String,
    /// Shares per region id when `bearer = "shares"`.
    pub shares: Option<BTreeMap<String, f64>>,
}

/// The progressive IIT schedule on wages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum IitScheduleFile {
    /// 3,500 yuan a month deducted, 7 monthly brackets 3%–45% (1 September 2011 –
    /// 2018).
    #[serde(rename = "2011")]
    Y2011,
    /// 60,000 yuan a year deducted, 7 annual brackets 3%–45% (since 2019).
    #[serde(rename = "2019")]
    Y2019,
}

/// `[initial]`: an existing park's state at the start year (all zero: an empty park).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialFile {
    /// Gross mu developed before the start year (open at year 0; the phases add to it).
    #[serde(default)]
    pub developed_mu: f64,
    /// Saleable mu already sold, the listed firms' land included.
    #[serde(default)]
    pub land_sold_mu: f64,
    /// The PDC's debt outstanding at the start.
    #[serde(default)]
    pub debt: f64,
    /// Years over which that debt is repaid (default: `company.loan_years`).
    #[serde(default)]
    pub debt_years: Option<i64>,
    /// The PDC's cash at the start.
    #[serde(default)]
    pub cash: f64,
    /// Each region's contribution C_r to date, valued at the end of the year before the start.
    #[serde(default)]
    pub contributions: BTreeMap<String, f64>,
    /// Firms already in the park, by sector.
    #[serde(default)]
    pub firms: Vec<InitialFirmsFile>,
}

/// `[[initial.firms]]`: a group of firms of one sector already in the park.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialFirmsFile {
    /// Sector name.
    pub sector: String,
    /// Number of firms.
    pub count: i64,
    /// Years in the park before the start year (their age in year 0).
    #[serde(default)]
    pub age: i64,
    /// Land per firm (default: the sector's).
    #[serde(default)]
    pub land_per_firm_mu: Option<f64>,
    /// Whether they relocated from the origin region.
    #[serde(default)]
    pub relocated: bool,
}

/// `[outcome]`: how the regions' outcomes are valued.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFile {
    /// Value of each region's tax share after the horizon: `none` or `perpetuity`.
    #[serde(default)]
    pub continuation: ContinuationFile,
    /// Yearly growth of the tax pool after the horizon.
    #[serde(default)]
    pub continuation_growth: f64,
    /// Discount rate of the continuation.
    #[serde(default = "default_terminal_rate")]
    pub continuation_discount_rate: f64,
    /// What counts in a region's contribution C_r: `cash`, `in_kind`, `costs`,
    /// `capital_calls`, `opportunity_costs`.
    #[serde(default = "default_contribution_counts")]
    pub contribution_counts: Vec<String>,
    /// Rate at which each contribution is carried to the year the formula reads it.
    #[serde(default = "default_terminal_rate")]
    pub contribution_rate: f64,
}

fn default_contribution_counts() -> Vec<String> {
    ["cash", "in_kind", "costs", "opportunity_costs"]
        .map(str::to_owned)
        .to_vec()
}

impl Default for OutcomeFile {
    fn default() -> Self {
        Self {
            continuation: ContinuationFile::default(),
            continuation_growth: 0.0,
            continuation_discount_rate: default_terminal_rate(),
            contribution_counts: default_contribution_counts(),
            contribution_rate: default_terminal_rate(),
        }
    }
}

/// Value of the regions' shares of the pool after the horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuationFile {
    /// Nothing after the horizon.
    #[default]
    None,
    /// The last year's pool, growing, shared by the rule in force.
    Perpetuity,
}

/// `[scenario]`: identity and units.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaFile {
    /// Short id, used as the output folder name.
    pub id: String,
    /// Display name (may be Chinese).
    pub name: String,
    /// Calendar year of simulation year 0 (read wide, so that any integer
    /// gets validation's range in its message).
    pub start_year: i64,
    /// Label of the money unit used by every amount in the file (absent: named
    /// from `yuan_per_unit`, see [`crate::scenario::units`]).
    #[serde(default)]
    pub money_unit: Option<String>,
    /// How many yuan one money unit is (converts yuan-denominated tax rates;
    /// absent: read from a known `money_unit`, else a million).
    #[serde(default)]
    pub yuan_per_unit: Option<f64>,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Language of the report, charts and terminal summary (`--lang` overrides it).
    #[serde(default)]
    pub lang: Option<crate::i18n::Lang>,
}

/// `[simulation]`: run settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationFile {
    /// Number of simulated paths.
    #[serde(default = "default_paths")]
    pub paths: i64,
    /// Seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: i64,
    /// Years simulated.
    #[serde(default = "default_horizon")]
    pub horizon: i64,
    /// Whether runs compute the regions' coalitions (default: with at most 4 regions).
    #[serde(default)]
    pub fairness: Option<bool>,
    /// How the uncertain inputs are sampled across paths (default `monte-carlo`).
    #[serde(default)]
    pub sampler: SamplerFile,
    /// Whether paths come in antithetic pairs.
    #[serde(default)]
    pub antithetic: bool,
}

impl Default for SimulationFile {
    fn default() -> Self {
        Self {
            paths: default_paths(),
            seed: default_seed(),
            horizon: default_horizon(),
            fairness: None,
            sampler: SamplerFile::default(),
            antithetic: false,
        }
    }
}
fn default_paths() -> i64 {
    10_000
}
fn default_seed() -> i64 {
    20_180_330
}
fn default_horizon() -> i64 {
    30
}

/// `[[regions]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    /// Id used everywhere else in the file.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `source`, `host` or `other`.
    pub role: RoleFile,
    /// Discount rate of the region's cash flows.
    #[serde(default = "default_discount_rate")]
    pub discount_rate: Num,
    /// NPV the region can get without the park.
    #[serde(default)]
    pub outside_option: Num,
}
fn default_discount_rate() -> Num {
    Num::Number(0.06)
}

/// A region's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleFile {
    /// 飞出地: the region firms and capital come from.
    Source,
    /// 飞入地: the region whose land the park sits on.
    Host,
    /// Anyone else (a province, an investor).
    Other,
}

/// `[park]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkFile {
    /// Planned area in mu.
    pub area_mu: f64,
    /// Share of developed land firms can occupy.
    #[serde(default = "default_saleable_share")]
    pub saleable_share: Num,
    /// Build phases.
    pub phases: Vec<PhaseFile>,
}
fn default_saleable_share() -> Num {
    Num::Number(0.65)
}

/// `[[park.phases]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseFile {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Area in mu.
    pub area_mu: f64,
    /// Calendar year construction starts.
    pub start_year: i64,
    /// Years of construction; land opens to firms after them.
    #[serde(default = "default_build_years")]
    pub build_years: i64,
}
fn default_build_years() -> i64 {
    2
}

/// `[[contributions]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributionFile {
    /// Contributing region id.
    pub region: String,
    /// What is contributed.
    pub kind: ContributionKindFile,
    /// Value credited to equity.
    pub value: Num,
    /// Calendar year of the contribution.
    pub year: i64,
    /// Economic cost of an in-kind contribution to its contributor.
    #[serde(default)]
    pub opportunity_cost: Num,
    /// Effects on the park.
    #[serde(default)]
    pub effects: EffectsFile,
}

/// Kinds of contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionKindFile {
    /// 资金.
    Cash,
    /// 土地.
    Land,
    /// 技术成果.
    Technology,
    /// 品牌.
    Brand,
    /// 管理.
    Management,
}

/// `effects` of a contribution: multipliers on the park.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectsFile {
    /// Multiplier on the firm arrival rate.
    #[serde(default = "one")]
    pub attractiveness: Num,
    /// Multiplier on land, infrastructure and operating costs.
    #[serde(default = "one")]
    pub cost: Num,
    /// Multiplier on firm revenue.
    #[serde(default = "one")]
    pub revenue: Num,
}
impl Default for EffectsFile {
    fn default() -> Self {
        Self {
            attractiveness: one(),
            cost: one(),
            revenue: one(),
        }
    }
}
fn one() -> Num {
    Num::Number(1.0)
}

/// `[costs]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsFile {
    /// 征地拆迁, per mu developed.
    #[serde(default)]
    pub land_acquisition: CapexFile,
    /// 七通一平, per mu developed.
    #[serde(default)]
    pub infrastructure: CapexFile,
    /// 建设运营, per year once a phase opens.
    #[serde(default)]
    pub operations: OperationsFile,
}

/// A capital cost per mu developed, spread over the phase's build years.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapexFile {
    /// Cost per mu developed.
    #[serde(default)]
    pub per_mu: Num,
    /// `company`, `equity`, `shares` or a region id.
    pub bearer: Option<String>,
    /// Shares per region id when `bearer = "shares"`.
    pub shares: Option<BTreeMap<String, f64>>,
}

/// Operating cost per year once a phase opens.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsFile {
    /// Fixed amount per year once the first phase is open.
    #[serde(default)]
    pub per_year: Num,
    /// Amount per open mu per year.
    #[serde(default)]
    pub per_mu: Num,
    /// `company`, `equity`, `shares` or a region id.
    pub bearer: Option<String>,
    /// Shares per region id when `bearer = "shares"`.
    pub shares: Option<BTreeMap<String, f64>>,
}

/// `[company]`: the park development company.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyFile {
    /// Fixed equity shares per region id (else from contributions).
    pub equity: Option<BTreeMap<String, f64>>,
    /// Price firms pay per mu of land.
    #[serde(default)]
    pub land_price_per_mu: Num,
    /// Who receives land sales: `company` or `governments` (then shared by the land formula).
    #[serde(default)]
    pub land_revenue: LandRevenueFile,
    /// Service fee as a share of firm revenue.
    #[serde(default)]
    pub service_fee_rate: Num,
    /// Rent per occupied mu per year.
    #[serde(default)]
    pub rent_per_mu: Num,
    /// Share of the company's capex financed by loans.
    #[serde(default)]
    pub debt_share: Num,
    /// Loan interest rate.
    #[serde(default = "default_interest_rate")]
    pub interest_rate: Num,
    /// Years over which each loan is repaid as an annuity.
    #[serde(default = "default_loan_years")]
    pub loan_years: i64,
    /// Share of positive free cash flow paid out as dividends.
    #[serde(default = "one")]
    pub payout_ratio: Num,
    /// Terminal value at the horizon: `none`, `book` or `perpetuity`.
    #[serde(default)]
    pub terminal: TerminalFile,
    /// Growth of dividends in the perpetuity.
    #[serde(default)]
    pub terminal_growth: f64,
    /// Discount rate of the perpetuity.
    #[serde(default = "default_terminal_rate")]
    pub terminal_discount_rate: f64,
    /// Term of an industrial land-use right in years (the buyback's residual value).
    #[serde(default = "default_land_term_years")]
    pub land_term_years: i64,
    /// What happens to an exiting firm's land-use right: `transfer` or `buyback`.
    #[serde(default)]
    pub land_on_exit: LandOnExitFile,
}
impl Default for CompanyFile {
    fn default() -> Self {
        Self {
            equity: None,
            land_price_per_mu: Num::default(),
            land_revenue: LandRevenueFile::default(),
            service_fee_rate: Num::default(),
            rent_per_mu: Num::default(),
            debt_share: Num::default(),
            interest_rate: default_interest_rate(),
            loan_years: default_loan_years(),
            payout_ratio: one(),
            terminal: TerminalFile::default(),
            terminal_growth: 0.0,
            terminal_discount_rate: default_terminal_rate(),
            land_term_years: default_land_term_years(),
            land_on_exit: LandOnExitFile::default(),
        }
    }
}
fn default_land_term_years() -> i64 {
    50
}
fn default_interest_rate() -> Num {
    Num::Number(0.045)
}
fn default_loan_years() -> i64 {
    15
}
fn default_terminal_rate() -> f64 {
    0.08
}

/// Who receives land sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandRevenueFile {
    /// The PDC.
    #[default]
    Company,
    /// The governments, split by the land formula.
    Governments,
}

/// What happens to an exiting firm's land-use right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandOnExitFile {
    /// Passed to the next firm, which pays the departing one: nothing to the park.
    #[default]
    Transfer,
    /// Bought back (收储) at its residual value by whoever receives land sales.
    Buyback,
}

/// Terminal value of the PDC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalFile {
    /// Nothing.
    None,
    /// Cash on hand less debt outstanding.
    #[default]
    Book,
    /// Book value plus a growing perpetuity of the last year's dividends.
    Perpetuity,
}

/// `[firms]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmsFile {
    /// Expected prospective firms per year at full attractiveness.
    pub arrival_rate: Num,
    /// Exponent of the free-land factor f = (free / open saleable)^crowding.
    #[serde(default)]
    pub crowding: f64,
    /// Share of firms that relocate from the source region.
    #[serde(default)]
    pub relocated_share: Num,
    /// Probability a relocated firm would otherwise have stayed (a tax loss to the source).
    #[serde(default)]
    pub displacement: Num,
    /// Region relocated firms come from (default: the only source region).
    pub origin: Option<String>,
    /// Average wage per worker-year, for jobs.
    pub average_wage: Num,
    /// Sectors.
    pub sectors: Vec<SectorFile>,
    /// Value per mu, credited once to the origin, of the land a displaced firm frees
    /// at home (default: `company.land_price_per_mu`).
    pub freed_land_value_per_mu: Option<Num>,
    /// The park's fortune on the path: a multiplier in [0, 1] on the arrival rate.
    #[serde(default = "one")]
    pub outlook: Num,
}

/// `[[firms.sectors]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectorFile {
    /// Display name.
    pub name: String,
    /// Relative weight of the sector among arrivals.
    pub weight: f64,
    /// Land per firm in mu; a distribution is drawn per firm.
    pub land_per_firm_mu: Num,
    /// Revenue per mu at maturity.
    pub revenue_per_mu: Num,
    /// Years to reach maturity.
    #[serde(default)]
    pub ramp_years: i64,
    /// Drift of log revenue.
    #[serde(default)]
    pub growth: Num,
    /// Volatility of log revenue.
    #[serde(default)]
    pub volatility: Num,
    /// Loading on the macro shock.
    #[serde(default)]
    pub macro_beta: Num,
    /// Yearly exit probability.
    #[serde(default)]
    pub exit_hazard: Num,
    /// Value added / revenue.
    pub value_added_ratio: Num,
    /// Profit / revenue before fixed costs.
    pub profit_margin: Num,
    /// Fixed cost per mu per year, deducted from profit.
    #[serde(default)]
    pub fixed_cost_per_mu: Num,
    /// Wage bill / revenue.
    pub wage_share: Num,
    /// Building value per mu (property-tax base).
    #[serde(default)]
    pub building_value_per_mu: Num,
    /// VAT rate on value added.
    #[serde(default = "default_vat")]
    pub vat_rate: Num,
    /// Corporate income tax rate.
    #[serde(default = "default_cit")]
    pub cit_rate: Num,
    /// CIT holiday `[free years, half-rate years]`.
    #[serde(default)]
    pub cit_holiday: [i64; 2],
    /// Years a loss can be carried forward.
    #[serde(default = "default_carry")]
    pub loss_carry_years: i64,
}
fn default_vat() -> Num {
    Num::Number(0.13)
}
fn default_cit() -> Num {
    Num::Number(0.25)
}
fn default_carry() -> i64 {
    5
}

/// `[macro]`: AR(1) macro shock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroFile {
    /// AR(1) coefficient φ.
    #[serde(default = "default_persistence")]
    pub persistence: Num,
    /// Innovation sd σ_m.
    #[serde(default = "default_macro_vol")]
    pub volatility: Num,
}
impl Default for MacroFile {
    fn default() -> Self {
        Self {
            persistence: default_persistence(),
            volatility: default_macro_vol(),
        }
    }
}
/// `macro.persistence` without a `[macro]` table (or the key).
pub const DEFAULT_MACRO_PERSISTENCE: f64 = 0.5;
/// `macro.volatility` without a `[macro]` table (or the key).
pub const DEFAULT_MACRO_VOLATILITY: f64 = 0.05;
fn default_persistence() -> Num {
    Num::Number(DEFAULT_MACRO_PERSISTENCE)
}
fn default_macro_vol() -> Num {
    Num::Number(DEFAULT_MACRO_VOLATILITY)
}

/// `[taxes]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxesFile {
    /// Local share of VAT.
    #[serde(default = "d_vat_local")]
    pub vat_local_share: Num,
    /// Local share of CIT.
    #[serde(default = "d_cit_local")]
    pub cit_local_share: Num,
    /// A flat effective IIT rate on the wage bill, instead of the progressive
    /// schedule applied at the average wage.
    #[serde(default)]
    pub iit_rate: Option<Num>,
    /// Local share of IIT.
    #[serde(default = "d_cit_local")]
    pub iit_local_share: Num,
    /// 城建税 rate on VAT.
    #[serde(default = "d_urban")]
    pub urban_maintenance_rate: Num,
    /// Education surcharge rate on VAT.
    #[serde(default = "d_edu")]
    pub education_rate: Num,
    /// Local education surcharge rate on VAT.
    #[serde(default = "d_local_edu")]
    pub local_education_rate: Num,
    /// Urban land use tax, yuan per m² per year.
    #[serde(default = "d_land_use")]
    pub land_use_tax_per_m2: Num,
    /// Property tax rate on the building value after deduction.
    #[serde(default = "d_property")]
    pub property_tax_rate: Num,
    /// Deduction from the building value before property tax.
    #[serde(default = "d_property_deduction")]
    pub property_tax_deduction: Num,
    /// Share of the local part of the shared taxes (VAT, CIT, IIT) taken by the
    /// province, unless `[taxes.province]` sets a kind.
    #[serde(default)]
    pub provincial_take: Num,
    /// 先征后返 rebates to firms.
    #[serde(default)]
    pub rebate: RebateFile,
    /// Statutory CIT rate: the half rate of a holiday is half of it at most.
    #[serde(default = "d_cit_statutory")]
    pub cit_statutory_rate: Num,
    /// Employee's social insurance contributions / wage, deducted before IIT
    /// (progressive schedule only; default [`D_IIT_SOCIAL_INSURANCE`]).
    #[serde(default)]
    pub iit_social_insurance_share: Option<Num>,
    /// The provincial take per tax kind and who receives it.
    #[serde(default)]
    pub province: ProvinceFile,
    /// The progressive IIT schedule: `"2011"` or `"2019"` (default).
    pub iit_schedule: Option<IitScheduleFile>,
}
impl Default for TaxesFile {
    fn default() -> Self {
        Self {
            vat_local_share: d_vat_local(),
            cit_local_share: d_cit_local(),
            iit_rate: None,
            iit_local_share: d_cit_local(),
            urban_maintenance_rate: d_urban(),
            education_rate: d_edu(),
            local_education_rate: d_local_edu(),
            land_use_tax_per_m2: d_land_use(),
            property_tax_rate: d_property(),
            property_tax_deduction: d_property_deduction(),
            provincial_take: Num::default(),
            rebate: RebateFile::default(),
            cit_statutory_rate: d_cit_statutory(),
            iit_social_insurance_share: None,
            province: ProvinceFile::default(),
            iit_schedule: None,
        }
    }
}
fn d_vat_local() -> Num {
    Num::Number(0.5)
}
fn d_cit_local() -> Num {
    Num::Number(0.4)
}
fn d_cit_statutory() -> Num {
    Num::Number(0.25)
}
/// Default employee social insurance share of the wage (pension 8% + medical 2% +
/// unemployment 0.5%; an assumption: the base is taken to be the whole wage).
pub const D_IIT_SOCIAL_INSURANCE: f64 = 0.105;
fn d_urban() -> Num {
    Num::Number(0.07)
}
fn d_edu() -> Num {
    Num::Number(0.03)
}
fn d_local_edu() -> Num {
    Num::Number(0.02)
}
fn d_land_use() -> Num {
    Num::Number(6.0)
}
fn d_property() -> Num {
    Num::Number(0.012)
}
fn d_property_deduction() -> Num {
    Num::Number(0.3)
}

/// `[taxes.province]`: the share of each tax's local part that the province takes,
/// and the region that receives it. A kind left out takes `taxes.provincial_take`
/// (VAT, CIT, IIT) or 0 (surcharges, land use tax, property tax).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvinceFile {
    /// Share of the local part of VAT.
    pub vat: Option<Num>,
    /// Share of the local part of CIT.
    pub cit: Option<Num>,
    /// Share of the local part of IIT.
    pub iit: Option<Num>,
    /// Share of the VAT surcharges.
    pub surcharges: Option<Num>,
    /// Share of the urban land use tax.
    pub land_use: Option<Num>,
    /// Share of the property tax.
    pub property: Option<Num>,
    /// Region receiving the take (else the province outside the modelled regions).
    pub to: Option<String>,
}

/// `[taxes.rebate]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebateFile {
    /// Share of a firm's retained local taxes returned to it.
    #[serde(default)]
    pub share: Num,
    /// Years after arrival the rebate lasts.
    #[serde(default)]
    pub years: i64,
    /// Multiplier on the arrival rate while a rebate is offered.
    #[serde(default = "one")]
    pub attractiveness: Num,
}
impl Default for RebateFile {
    fn default() -> Self {
        Self {
            share: Num::default(),
            years: 0,
            attractiveness: one(),
        }
    }
}

/// `[[sharing]]`: one alternative.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingFile {
    /// Name shown in outputs.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Formula for the local retained tax pool.
    pub tax: FormulaFile,
    /// Formula for land revenue (default: equity).
    pub land: Option<FormulaFile>,
    /// Formula for GDP statistics credit (default: equity).
    pub gdp: Option<FormulaFile>,
    /// `[sharing.tax_pool]`: the part of the tax pool `tax` splits (default: all).
    pub tax_pool: Option<TaxPoolFile>,
    /// `[sharing.delivery]`: the risk that the collector does not pay what it owes.
    pub delivery: Option<DeliveryFile>,
}

/// `[sharing.delivery]`: the risk that the region collecting the pools does not pay
/// the other regions their shares (REFERENCES.md §1: agreed splits often go unpaid).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFile {
    /// Region that collects the pools (default: the host).
    pub collector: Option<String>,
    /// Each year's probability that the collector pays none of what it owes.
    #[serde(default)]
    pub default_probability: Num,
    /// Share of what it owes that the collector does not pay in the years it pays.
    #[serde(default)]
    pub haircut: Num,
    /// Calendar year from which the collector keeps everything (renegotiation).
    pub renegotiation_year: Option<Num>,
}

/// `[sharing.tax_pool]`: which firms' and taxes' retained taxes the tax formula
/// splits, who receives the rest, and a cap on one region's cumulative take.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxPoolFile {
    /// `"all"` (default) or `"relocated"`.
    #[serde(default)]
    pub firms: FirmGroupFile,
    /// Tax kinds (default: all of vat, cit, iit, surcharges, land_use, property).
    pub taxes: Option<Vec<String>>,
    /// Region receiving the rest of the pool (default: the host).
    pub rest_to: Option<String>,
    /// Cap on one region's cumulative take of the restricted pool.
    pub cap: Option<PoolCapFile>,
}

/// Whose taxes a restricted pool holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirmGroupFile {
    /// Every firm.
    #[default]
    All,
    /// Firms relocated from the origin region.
    Relocated,
}

/// `cap = { region = ..., amount = ... }` or `{ region = ..., pre_move_years = ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolCapFile {
    /// The capped region.
    pub region: String,
    /// Cumulative cap in money.
    pub amount: Option<f64>,
    /// Cumulative cap as years of the relocated firms' pre-move taxes.
    pub pre_move_years: Option<f64>,
    /// What the region took of the restricted pool before the start year.
    pub taken_to_date: Option<f64>,
}

/// A sharing formula as written, tagged by `kind`.
///
/// Each kind's fields are a struct of their own, so that the first stage can read
/// a formula's body again on its own and name the exact key of an error inside it
/// (a formula's body is read after its `kind`, from a copy that has lost the path).
/// It is read from a table only, with its body read as the reading stage reads
/// every value (no array where a table goes) (serde's tagged enums take an array too: `tax = ["fixed",
/// { … }]` was read as a fixed formula; exploratory test).
#[derive(Debug, Clone)]
pub enum FormulaFile {
    /// Constant shares.
    Fixed(FixedFile),
    /// Shares = equity shares.
    Equity(NoFieldsFile),
    /// Shares ∝ cumulative contributions.
    Contribution(NoFieldsFile),
    /// Formulas by period of years of cooperation.
    Schedule(ScheduleFile),
    /// A growing base kept by its owner; the excess split by `inner`.
    Incremental(IncrementalFile),
    /// Tranches of the pool, each split its own way.
    Tiered(TieredFile),
    /// A minimum return on invested capital, guaranteed by another region.
    GuaranteedReturn(GuaranteedReturnFile),
}

/// The kinds of formula, as `kind` names them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FormulaKind {
    Fixed,
    Equity,
    Contribution,
    Schedule,
    Incremental,
    Tiered,
    GuaranteedReturn,
}

/// What a formula is read from, as messages say it (the reading stage puts it in
/// the file's words, with an example).
pub const FORMULA_TABLE: &str = "a formula table";

impl<'de> Deserialize<'de> for FormulaFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FormulaVisitor;
        impl<'de> Visitor<'de> for FormulaVisitor {
            type Value = FormulaFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(FORMULA_TABLE)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FormulaFile, A::Error> {
                // `kind` read in place, so that an error in it has its path; the
                // rest kept as the body.
                let mut kind = None;
                let mut body = toml::Table::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "kind" {
                        kind = Some(map.next_value::<FormulaKind>()?);
                    } else {
                        let value = map.next_value::<toml::Value>()?;
                        body.insert(key, value);
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                read_body(kind, body).map_err(|e| de::Error::custom(e.message()))
            }
        }
        deserializer.deserialize_map(FormulaVisitor)
    }
}

/// A formula's body (its table without `kind`) as the struct of its kind.
fn read_body(kind: FormulaKind, body: toml::Table) -> Result<FormulaFile, toml::de::Error> {
    let body = || super::strict::Strict(toml::Value::Table(body));
    Ok(match kind {
        FormulaKind::Fixed => FormulaFile::Fixed(FixedFile::deserialize(body())?),
        FormulaKind::Equity => FormulaFile::Equity(NoFieldsFile::deserialize(body())?),
        FormulaKind::Contribution => FormulaFile::Contribution(NoFieldsFile::deserialize(body())?),
        FormulaKind::Schedule => FormulaFile::Schedule(ScheduleFile::deserialize(body())?),
        FormulaKind::Incremental => FormulaFile::Incremental(IncrementalFile::deserialize(body())?),
        FormulaKind::Tiered => FormulaFile::Tiered(TieredFile::deserialize(body())?),
        FormulaKind::GuaranteedReturn => {
            FormulaFile::GuaranteedReturn(GuaranteedReturnFile::deserialize(body())?)
        }
    })
}

/// `kind = "fixed"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedFile {
    /// Share per region id.
    pub shares: BTreeMap<String, f64>,
}

/// `kind = "equity"` and `kind = "contribution"`: no other field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFieldsFile {}

/// `kind = "schedule"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    /// Periods, contiguous from year 1.
    pub periods: Vec<PeriodFile>,
}

/// `kind = "incremental"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrementalFile {
    /// Region keeping the base.
    pub owner: String,
    /// Base in year 1.
    pub base: f64,
    /// Yearly growth of the base.
    #[serde(default)]
    pub base_growth: f64,
    /// Formula for the excess.
    pub inner: Box<FormulaFile>,
}

/// `kind = "tiered"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TieredFile {
    /// Tranches in increasing order.
    pub tranches: Vec<TrancheFile>,
}

/// `kind = "guaranteed_return"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteedReturnFile {
    /// Region guaranteed the return.
    pub beneficiary: String,
    /// Region paying any shortfall.
    pub guarantor: String,
    /// Yearly return on the beneficiary's invested capital.
    pub rate: f64,
    /// Formula before the guarantee.
    pub inner: Box<FormulaFile>,
    /// First year of cooperation of the guarantee.
    #[serde(default = "default_first_year")]
    pub first_year: i64,
    /// Last year of cooperation of the guarantee (none: no end).
    pub last_year: Option<i64>,
    /// Whether the guarantor repays the invested capital at the end of `last_year`.
    #[serde(default)]
    pub repay_principal: bool,
    /// Who receives the guaranteed capital's dividends and terminal value.
    #[serde(default)]
    pub dividends: StakeIncomeFile,
}

fn default_first_year() -> i64 {
    1
}

/// Who receives the equity income of guaranteed capital.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StakeIncomeFile {
    /// The beneficiary keeps it.
    #[default]
    Beneficiary,
    /// The guarantor receives it.
    Guarantor,
}

/// One period of a `schedule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodFile {
    /// `[first, last]` year of cooperation (or give `calendar_years`).
    pub years: Option<[i64; 2]>,
    /// `[first, last]` calendar year (or give `years`): year y is year of
    /// cooperation y − start_year + 1.
    pub calendar_years: Option<[i64; 2]>,
    /// Fixed shares for the period (or give `formula`).
    pub shares: Option<BTreeMap<String, f64>>,
    /// Formula for the period (or give `shares`).
    pub formula: Option<Box<FormulaFile>>,
}

/// One tranche of a `tiered` formula.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrancheFile {
    /// Upper threshold of the tranche (omit on the last).
    pub up_to: Option<f64>,
    /// Fixed shares for the tranche (or give `formula`).
    pub shares: Option<BTreeMap<String, f64>>,
    /// Formula for the tranche (or give `shares`).
    pub formula: Option<Box<FormulaFile>>,
}

/// A number, or a distribution table such as `{ dist = "normal", mean = 1, sd = 0.2 }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    /// A plain number.
    Number(f64),
    /// A distribution.
    Dist(Box<DistFile>),
}
impl Default for Num {
    fn default() -> Self {
        Num::Number(0.0)
    }
}

/// A distribution table as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistFile {
    /// `normal`, `lognormal`, `uniform`, `triangular`, `pert`, `beta`, `discrete`,
    /// `gamma` or `empirical`.
    pub dist: String,
    /// Mean (normal, lognormal).
    pub mean: Option<f64>,
    /// Standard deviation (normal, lognormal).
    pub sd: Option<f64>,
    /// Lower end (uniform, triangular, pert, beta).
    pub min: Option<f64>,
    /// Most likely value (triangular, pert).
    pub mode: Option<f64>,
    /// Upper end (uniform, triangular, pert, beta).
    pub max: Option<f64>,
    /// Beta shape α.
    pub alpha: Option<f64>,
    /// Beta shape β.
    pub beta: Option<f64>,
    /// Values (discrete).
    pub values: Option<Vec<f64>>,
    /// Weights (discrete).
    pub weights: Option<Vec<f64>>,
    /// Truncation below.
    pub lower: Option<f64>,
    /// Truncation above.
    pub upper: Option<f64>,
    /// Mean of the logarithm (lognormal, instead of `mean` and `sd`).
    #[serde(default)]
    pub mu: Option<f64>,
    /// Standard deviation of the logarithm (lognormal, with `mu`).
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Shape `k` (gamma).
    #[serde(default)]
    pub shape: Option<f64>,
    /// Scale `θ` (gamma).
    #[serde(default)]
    pub scale: Option<f64>,
    /// CSV file of observed values, relative to the scenario file's folder (empirical).
    #[serde(default)]
    pub file: Option<String>,
    /// Column of `file` holding the values, by its header (empirical).
    #[serde(default)]
    pub column: Option<String>,
    /// `resample` (the default) or `interpolate` (empirical).
    #[serde(default)]
    pub method: Option<String>,
}

/// An integer written for a number, refused when an `f64` cannot hold it exactly.
fn exact_integer<E: de::Error>(magnitude: u64, negative: bool) -> Result<Num, E> {
    let limit = MAX_EXACT_INTEGER.unsigned_abs();
    if magnitude > limit {
        let sign = if negative { "-" } else { "" };
        return Err(E::custom(format!(
            "expected a number of magnitude at most {limit} (2^53, above which it would be rounded), found {sign}{magnitude}"
        )));
    }
    // At most 2^53, so the conversion is exact (and so is the u64 → f64 step).
    let x = f64::from(u32::try_from(magnitude >> 32).unwrap_or(u32::MAX)) * 4_294_967_296.0
        + f64::from(u32::try_from(magnitude & 0xffff_ffff).unwrap_or(u32::MAX));
    Ok(Num::Number(if negative { -x } else { x }))
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl<'de> Visitor<'de> for NumVisitor {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a distribution table such as { dist = \"normal\", mean = 1.0, sd = 0.1 }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                exact_integer(v.unsigned_abs(), v < 0)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                exact_integer(v, false)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Number(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Num, A::Error> {
                DistFile::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|d| Num::Dist(Box::new(d)))
            }
        }
        deserializer.deserialize_any(NumVisitor)
    }
}
