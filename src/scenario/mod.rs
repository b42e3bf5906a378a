//! Scenarios: reading a TOML file into a checked [`Scenario`] (MODEL.md §1–§7, §9).
//!
//! Input is taken in two stages. [`mod@file`] mirrors the TOML with serde (unknown keys
//! rejected, defaults filled in) and `read` reports every unknown key or wrong type;
//! `validate` checks every value and builds the
//! typed [`Scenario`], in which region references are indices, years are offsets
//! from the start year, and every number is either fixed or a registered uncertain
//! input ([`Value`]). All problems found are reported together, each with the file,
//! line, field path and what was expected ([`Problem`]).

pub mod bounds;
pub mod data;
pub mod file;
pub mod guardrails;
pub mod limits;
pub(crate) mod locate;
mod pool;
mod read;
pub(crate) use read::deserialize_as;
pub mod snippet;
mod strict;
pub mod units;
mod validate;

pub use pool::{CapAmount, FirmGroup, PoolCap, TaxKind, TaxPool};
pub use validate::arrivals_problem;

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::dist::Uncertain;
use crate::sampling::{ParamSet, Value};
use crate::sharing::Formula;

/// The bundled reference scenario (吉林(延边)浙江产业园), compiled into the binary.
pub const REFERENCE_SCENARIO: &str = include_str!("../../scenarios/jilin-zhejiang.toml");
/// The name under which the bundled reference scenario is reported.
pub const REFERENCE_SCENARIO_NAME: &str = "scenarios/jilin-zhejiang.toml";

/// A checked scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short id (output folder name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Calendar year of simulation year 0.
    pub start_year: i32,
    /// Label of the money unit.
    pub money_unit: String,
    /// Yuan per money unit.
    pub yuan_per_unit: f64,
    /// Language of the report, charts and terminal summary (`[scenario] lang`;
    /// `--lang` overrides it).
    pub lang: crate::i18n::Lang,
    /// Run settings from the file (the CLI may override them).
    pub simulation: Simulation,
    /// Regions, in file order; every region reference is an index into this.
    pub regions: Vec<Region>,
    /// Index of the host region.
    pub host: usize,
    /// The park.
    pub park: Park,
    /// Contributions, in file order.
    pub contributions: Vec<Contribution>,
    /// Costs and bearers.
    pub costs: Costs,
    /// The park development company.
    pub company: Company,
    /// Firms.
    pub firms: Firms,
    /// Macro shock.
    pub macro_shock: MacroShock,
    /// Taxes.
    pub taxes: Taxes,
    /// Sharing alternatives.
    pub alternatives: Vec<Alternative>,
    /// Every uncertain input, drawn once per path.
    pub params: ParamSet,
    /// SHA-256 of the scenario file's bytes, hex; when `empirical` inputs read
    /// data files, of the bytes and the files' SHA-256s
    /// ([`data::scenario_sha256`]).
    pub sha256: String,
    /// The scenario file's text, as read (copied next to the results).
    pub source: String,
    /// How outcomes are valued.
    pub outcome: Outcome,
    /// Whether money is in constant or current prices.
    pub prices: Prices,
    /// Dated changes, in strictly increasing years (empty: nothing changes).
    pub changes: Vec<Change>,
    /// The park's state at the start year (an empty park by default).
    pub initial: Initial,
    /// The CSV files read by `empirical` inputs, in reading order (empty for most
    /// scenarios); their SHA-256s are part of [`Scenario::sha256`].
    pub data: Vec<data::DataSource>,
    /// The folder the data files of its `empirical` inputs were read relative
    /// to, absolute with links resolved (`None` when it reads none): run.json
    /// and a shard's partial record it, so that the results are read back from
    /// any working directory (a relative scenario path was looked up from the
    /// reader's: exploratory test).
    pub data_dir: Option<PathBuf>,
}

/// `[prices]`: the price basis of every amount of money (docs/model.md §11).
#[derive(Debug, Clone, PartialEq)]
pub enum Prices {
    /// Constant prices of the start year: growth rates, wages and prices are real,
    /// and so are the discount rates.
    Real,
    /// Current prices: an amount the file states in start-year prices is paid at
    /// the price level `(1 + inflation)^t` of year `t`; contract terms (loans,
    /// guaranteed returns, bases, thresholds, caps) and statutory yuan amounts
    /// (land use tax, the IIT deduction) stay as written, and discount rates are
    /// nominal.
    Nominal {
        /// Yearly inflation of the price level, drawn once per path.
        inflation: Value,
    },
}

/// A dated change (`[[changes]]`): the tax parameters, sector tax rates, equity
/// and cost bearers in force from `year` on, each complete (a field the change
/// does not name keeps the value in force before it).
#[derive(Debug, Clone)]
pub struct Change {
    /// Year index (from the start year) from which the change holds.
    pub year: u32,
    /// Free text.
    pub note: String,
    /// The taxes in force.
    pub taxes: Taxes,
    /// Each sector's tax rates in force, in sector order.
    pub sectors: Vec<SectorTaxes>,
    /// Fixed equity shares in force (None: the equity of `[company]`, fixed or
    /// derived from contributions, still holds).
    pub equity: Option<Vec<f64>>,
    /// The cost bearers in force.
    pub bearers: Bearers,
}

/// A sector's tax rates, which a dated change may set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectorTaxes {
    /// VAT rate.
    pub vat_rate: Value,
    /// CIT rate.
    pub cit_rate: Value,
}

/// Who bears each cost category.
#[derive(Debug, Clone, PartialEq)]
pub struct Bearers {
    /// 征地拆迁.
    pub land_acquisition: Bearer,
    /// 七通一平.
    pub infrastructure: Bearer,
    /// 建设运营.
    pub operations: Bearer,
}

/// `[initial]`: an existing park's state at the start year (docs/model.md §12).
/// The default is an empty park, which changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Initial {
    /// Gross mu developed before the start year; × saleable share is open in year 0.
    pub developed_mu: f64,
    /// Saleable mu already sold (never less than the listed firms' land).
    pub land_sold_mu: f64,
    /// The PDC's debt outstanding at the start.
    pub debt: f64,
    /// Years over which it is repaid, as an annuity from year 0.
    pub debt_years: u32,
    /// The PDC's cash at the start.
    pub cash: f64,
    /// Each region's contribution C_r to date (by region index; empty: none).
    pub contributions: Vec<f64>,
    /// Firms already in the park.
    pub firms: Vec<InitialFirms>,
}

impl Initial {
    /// Whether the park is open at the start: land developed before it or firms
    /// already in it. Its land is open in year 0 and its operations run from
    /// year 0 (docs/model.md §3, §12).
    pub fn is_open(&self) -> bool {
        self.developed_mu > 0.0 || !self.firms.is_empty()
    }
}

/// A group of firms of one sector already in the park at the start year.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialFirms {
    /// Sector index.
    pub sector: usize,
    /// Number of firms.
    pub count: u32,
    /// Years in the park before the start year: their age in year 0.
    pub age: u32,
    /// Land per firm (None: the sector's, drawn per firm if it is a distribution).
    pub land_per_firm_mu: Option<f64>,
    /// Whether they relocated from the origin region.
    pub relocated: bool,
}

/// `[outcome]`: how the regions' outcomes are valued (MODEL.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Outcome {
    /// Value of each region's share of the tax pool after the horizon.
    pub continuation: Continuation,
    /// What a region's contribution C_r counts, and the rate carrying it over time.
    pub contribution: ContributionMeasure,
}

/// What a region's contribution C_r counts (MODEL.md §7), each amount carried
/// to the year the formula reads it at `rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContributionMeasure {
    /// Cash contributions.
    pub cash: bool,
    /// In-kind contributions at their agreed value.
    pub in_kind: bool,
    /// Costs borne directly (a region's land acquisition only if it puts no land in kind).
    pub costs: bool,
    /// Capital calls.
    pub capital_calls: bool,
    /// Opportunity costs of contributions.
    pub opportunity_costs: bool,
    /// Yearly rate: an amount of year s counts (1 + rate)^(t − s) in year t.
    pub rate: f64,
}

impl Default for ContributionMeasure {
    /// Cash, in-kind values, costs and opportunity costs, at 8%.
    fn default() -> Self {
        Self {
            cash: true,
            in_kind: true,
            costs: true,
            capital_calls: false,
            opportunity_costs: true,
            rate: 0.08,
        }
    }
}

/// Value of each region's share of the tax pool after the horizon (MODEL.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Continuation {
    /// Nothing: money after the horizon is cut off.
    #[default]
    None,
    /// The last year's pool growing at g forever, shared by the alternative's rule
    /// as it stands after the horizon, discounted at ρ > g to the horizon.
    Perpetuity {
        /// Growth g.
        growth: f64,
        /// Discount rate ρ > g.
        discount_rate: f64,
    },
}

/// Run settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulation {
    /// Number of paths.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Years simulated.
    pub horizon: u32,
    /// Whether runs compute the regions' coalitions (Shapley values); `None`: when
    /// there are at most [`FAIRNESS_DEFAULT_MAX_REGIONS`] regions. See
    /// [`Scenario::fairness`].
    pub fairness: Option<bool>,
    /// How the uncertain inputs are sampled across paths (`[simulation] sampler`,
    /// `antithetic`).
    pub sampler: crate::sampling::Sampler,
}

/// Most regions for which runs compute the coalitions unless told otherwise: 2^n
/// coalitions cost up to 2^(n−1) − 1 extra parks a path.
pub const FAIRNESS_DEFAULT_MAX_REGIONS: usize = 4;

/// Role of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 飞出地.
    Source,
    /// 飞入地.
    Host,
    /// Anyone else.
    Other,
}

/// A region.
#[derive(Debug, Clone)]
pub struct Region {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Discount rate.
    pub discount_rate: Value,
    /// Outside option (NPV without the park).
    pub outside_option: Value,
}

/// The park's land.
#[derive(Debug, Clone)]
pub struct Park {
    /// Planned area in mu.
    pub area_mu: f64,
    /// Share of developed land firms can occupy.
    pub saleable_share: Value,
    /// Phases.
    pub phases: Vec<Phase>,
}

/// A build phase.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Display name.
    pub name: String,
    /// Area in mu.
    pub area_mu: f64,
    /// Year index (from the start year) construction starts.
    pub start: u32,
    /// Years of construction (≥ 1); the land opens at `start + build_years`.
    pub build_years: u32,
}

/// Kinds of contribution (作价入股).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionKind {
    /// Cash: an outflow of the contributor and cash into the PDC.
    Cash,
    /// Land (in kind).
    Land,
    /// Technology (in kind).
    Technology,
    /// Brand (in kind).
    Brand,
    /// Management (in kind).
    Management,
}

/// A contribution valued into equity.
#[derive(Debug, Clone)]
pub struct Contribution {
    /// Contributing region.
    pub region: usize,
    /// Kind.
    pub kind: ContributionKind,
    /// Value credited to equity.
    pub value: Value,
    /// Year index.
    pub year: u32,
    /// Economic cost of an in-kind contribution to its contributor.
    pub opportunity_cost: Value,
    /// Multiplier on the arrival rate.
    pub attractiveness: Value,
    /// Multiplier on costs.
    pub cost: Value,
    /// Multiplier on firm revenue.
    pub revenue: Value,
}

/// Who pays a cost.
#[derive(Debug, Clone, PartialEq)]
pub enum Bearer {
    /// The PDC.
    Company,
    /// The regions, by equity share.
    Equity,
    /// The regions, by fixed shares (summing to 1).
    Shares(Vec<f64>),
    /// One region.
    Region(usize),
}

/// A per-mu capital cost with its bearer.
#[derive(Debug, Clone)]
pub struct Capex {
    /// Cost per mu developed.
    pub per_mu: Value,
    /// Who pays.
    pub bearer: Bearer,
}

/// Operating cost with its bearer.
#[derive(Debug, Clone)]
pub struct Operations {
    /// Per year once the first phase is open.
    pub per_year: Value,
    /// Per open mu per year.
    pub per_mu: Value,
    /// Who pays.
    pub bearer: Bearer,
}

/// The three cost categories.
#[derive(Debug, Clone)]
pub struct Costs {
    /// 征地拆迁.
    pub land_acquisition: Capex,
    /// 七通一平.
    pub infrastructure: Capex,
    /// 建设运营.
    pub operations: Operations,
}

/// Where land sales go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandRevenue {
    /// To the PDC.
    Company,
    /// To the governments, shared by the land formula.
    Governments,
}

/// Terminal value of the PDC at the horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Terminal {
    /// None.
    None,
    /// Cash on hand less debt outstanding.
    Book,
    /// Book value plus D_{H-1} (1 + g) / (ρ − g).
    Perpetuity {
        /// Growth g.
        growth: f64,
        /// Discount rate ρ > g.
        discount_rate: f64,
    },
}

/// The park development company.
#[derive(Debug, Clone)]
pub struct Company {
    /// Fixed equity shares (else from contributions).
    pub equity: Option<Vec<f64>>,
    /// Land price per mu.
    pub land_price_per_mu: Value,
    /// Where land sales go.
    pub land_revenue: LandRevenue,
    /// Service fee / firm revenue.
    pub service_fee_rate: Value,
    /// Rent per occupied mu per year.
    pub rent_per_mu: Value,
    /// Share of the PDC's capex borrowed.
    pub debt_share: Value,
    /// Loan interest rate.
    pub interest_rate: Value,
    /// Annuity years.
    pub loan_years: u32,
    /// Dividend payout ratio.
    pub payout_ratio: Value,
    /// Terminal value.
    pub terminal: Terminal,
    /// Term of an industrial land-use right in years.
    pub land_term_years: u32,
    /// What happens to an exiting firm's land-use right.
    pub land_on_exit: LandOnExit,
}

/// What happens to an exiting firm's land-use right (MODEL.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandOnExit {
    /// Transferred to the next firm that takes the land; the park receives nothing.
    Transfer,
    /// Bought back (收储) at price × remaining term / term by whoever receives land
    /// sales, and sold again at full price.
    Buyback,
}

/// Firms.
#[derive(Debug, Clone)]
pub struct Firms {
    /// Prospective firms per year.
    pub arrival_rate: Value,
    /// Exponent of the free-land factor.
    pub crowding: f64,
    /// Share relocated from the origin region.
    pub relocated_share: Value,
    /// Probability a relocated firm is a tax loss to the origin.
    pub displacement: Value,
    /// Origin region of relocated firms (None when no source region exists).
    pub origin: Option<usize>,
    /// Average wage.
    pub average_wage: Value,
    /// Sectors.
    pub sectors: Vec<Sector>,
    /// Value per mu of the land a displaced firm frees at home, credited once to
    /// the origin in the year the firm arrives in the park.
    pub freed_land_value_per_mu: Value,
    /// Multiplier in [0, 1] on the arrival rate for the whole path: whether the
    /// park takes off, fills slowly or fails.
    pub outlook: Value,
}

/// Land per firm: a number, or a distribution drawn per firm.
#[derive(Debug, Clone)]
pub enum FirmLand {
    /// Every firm takes this many mu.
    Fixed(f64),
    /// Each firm draws its land from this distribution.
    PerFirm(Uncertain),
}

/// A sector.
#[derive(Debug, Clone)]
pub struct Sector {
    /// Name.
    pub name: String,
    /// Normalised weight among arrivals.
    pub weight: f64,
    /// Land per firm.
    pub land_per_firm_mu: FirmLand,
    /// Revenue per mu at maturity.
    pub revenue_per_mu: Value,
    /// Ramp-up years.
    pub ramp_years: u32,
    /// Drift g.
    pub growth: Value,
    /// Volatility σ.
    pub volatility: Value,
    /// Macro beta β.
    pub macro_beta: Value,
    /// Yearly exit probability.
    pub exit_hazard: Value,
    /// Value added / revenue.
    pub value_added_ratio: Value,
    /// Margin before fixed costs.
    pub profit_margin: Value,
    /// Fixed cost per mu per year.
    pub fixed_cost_per_mu: Value,
    /// Wage bill / revenue.
    pub wage_share: Value,
    /// Building value per mu.
    pub building_value_per_mu: Value,
    /// VAT rate.
    pub vat_rate: Value,
    /// CIT rate.
    pub cit_rate: Value,
    /// CIT-free years.
    pub cit_free_years: u32,
    /// Half-rate CIT years after the free ones.
    pub cit_half_years: u32,
    /// Loss carry-forward years.
    pub loss_carry_years: u32,
}

/// AR(1) macro shock.
#[derive(Debug, Clone)]
pub struct MacroShock {
    /// φ.
    pub persistence: Value,
    /// σ_m.
    pub volatility: Value,
}

/// Taxes.
#[derive(Debug, Clone)]
pub struct Taxes {
    /// Local share of VAT.
    pub vat_local_share: Value,
    /// Local share of CIT.
    pub cit_local_share: Value,
    /// A flat effective IIT rate on the wage bill (None: the progressive schedule).
    pub iit_rate: Option<Value>,
    /// Local share of IIT.
    pub iit_local_share: Value,
    /// 城建税 rate.
    pub urban_maintenance_rate: Value,
    /// Education surcharge rate.
    pub education_rate: Value,
    /// Local education surcharge rate.
    pub local_education_rate: Value,
    /// Land use tax, yuan per m² per year.
    pub land_use_tax_per_m2: Value,
    /// Property tax rate.
    pub property_tax_rate: Value,
    /// Property tax deduction.
    pub property_tax_deduction: Value,
    /// Provincial take of the local part of the shared taxes (the default of
    /// [`ProvincialTake`]'s VAT, CIT and IIT shares).
    pub provincial_take: Value,
    /// Rebate share of retained local taxes.
    pub rebate_share: Value,
    /// Rebate years after arrival.
    pub rebate_years: u32,
    /// Arrival multiplier while rebates are offered.
    pub rebate_attractiveness: Value,
    /// Statutory CIT rate (caps the half rate of a holiday).
    pub cit_statutory_rate: Value,
    /// Employee social insurance share of the wage, deducted before IIT.
    pub iit_social_insurance_share: Value,
    /// The provincial take per tax kind and its recipient.
    pub provincial: ProvincialTake,
    /// The progressive IIT schedule (unless `iit_rate` is flat).
    pub iit_schedule: IitSchedule,
}

/// The progressive IIT schedule on wages (MODEL.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IitSchedule {
    /// 1 September 2011 – 2018: 3,500 yuan a month deducted, 7 monthly brackets
    /// 3%–45%.
    Y2011,
    /// Since 2019: 60,000 yuan a year deducted, 7 annual brackets 3%–45%.
    #[default]
    Y2019,
}

/// The share of each tax's local part taken by the province (MODEL.md §6).
#[derive(Debug, Clone)]
pub struct ProvincialTake {
    /// Local part of VAT.
    pub vat: Value,
    /// Local part of CIT.
    pub cit: Value,
    /// Local part of IIT.
    pub iit: Value,
    /// VAT surcharges.
    pub surcharges: Value,
    /// Urban land use tax.
    pub land_use: Value,
    /// Property tax.
    pub property: Value,
    /// Region receiving the take; None: the province outside the modelled regions.
    pub to: Option<usize>,
}

impl ProvincialTake {
    /// No take at all.
    pub const NONE: ProvincialTake = ProvincialTake {
        vat: Value::Fixed(0.0),
        cit: Value::Fixed(0.0),
        iit: Value::Fixed(0.0),
        surcharges: Value::Fixed(0.0),
        land_use: Value::Fixed(0.0),
        property: Value::Fixed(0.0),
        to: None,
    };
}

/// A sharing alternative: one formula per pool.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Local retained tax pool.
    pub tax: Formula,
    /// Land revenue pool.
    pub land: Formula,
    /// GDP statistics credit.
    pub gdp: Formula,
    /// The part of the tax pool `tax` splits, with who receives the rest and an
    /// optional cap (`[sharing.tax_pool]`); `None`: the whole pool, no cap.
    pub pool: Option<TaxPool>,
    /// The risk that the collector does not pay what it owes
    /// (`[sharing.delivery]`); `None`: everything owed is paid.
    pub delivery: Option<Delivery>,
}

/// `[sharing.delivery]`: the risk that the region collecting the pools does not pay
/// the others what the formulas give them (docs/model.md §8, "Transfers that are
/// not paid").
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The region that collects the pools.
    pub collector: usize,
    /// Each year's probability that nothing owed is paid.
    pub default_probability: Value,
    /// Share of what is owed that is not paid in the other years.
    pub haircut: Value,
    /// Calendar year from which the collector keeps everything (None: never).
    pub renegotiation_year: Option<Value>,
    /// Position of this rule's draws in [`crate::economy::EconomyPath::delivery`]
    /// (the alternatives with a delivery risk, in file order).
    pub slot: usize,
}

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Line (1-based) in the file, when it can be found.
    pub line: Option<usize>,
    /// Field path, e.g. `firms.sectors[1].growth`.
    pub field: String,
    /// What was expected (and what was found).
    pub message: String,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file has problems.
    #[error("{}", render_problems(file, problems))]
    Invalid {
        /// File name as given.
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// The candidate closest to `found`, if one is close enough to be a likely typo
/// (Jaro–Winkler above 0.8): every "did you mean" of scenario and sweep files.
pub fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(found, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The field of the note that reading stopped before the end of a file's problems
/// (it is not counted among them).
pub(crate) const STOPPED: &str = "(stopped)";

fn render_problems(file: &str, problems: &[Problem]) -> String {
    let count = problems.iter().filter(|p| p.field != STOPPED).count();
    let more = if count < problems.len() {
        ", and maybe more"
    } else {
        ""
    };
    let mut out = format!(
        "{file}: {count} problem{} found{more}",
        if count == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push('\n');
        out.push_str(&format!("  {}", DisplayProblem(file, p)));
    }
    out
}

struct DisplayProblem<'a>(&'a str, &'a Problem);

impl fmt::Display for DisplayProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DisplayProblem(file, p) = self;
        match p.line {
            Some(line) => write!(f, "{file}:{line}: {}: {}", p.field, p.message),
            None => write!(f, "{file}: {}: {}", p.field, p.message),
        }
    }
}

impl Scenario {
    /// Reads and checks a scenario file.
    ///
    /// # Errors
    /// [`ScenarioError::Io`] if the file cannot be read, [`ScenarioError::Invalid`]
    /// with every problem found otherwise.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let bytes = Scenario::read_bytes(path)?;
        Scenario::from_bytes(&bytes, &path.display().to_string())
    }

    /// The bytes of the scenario file at `path`, as [`Scenario::load`] reads
    /// them: never more than one byte past [`limits::MAX_FILE_BYTES`], whatever
    /// the file's size ([`Scenario::from_bytes`] refuses that byte).
    ///
    /// # Errors
    /// [`ScenarioError::Io`] if the file cannot be read.
    pub fn read_bytes(path: &Path) -> Result<Vec<u8>, ScenarioError> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(limits::MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|source| ScenarioError::Io {
                path: path.display().to_string(),
                source,
            })?;
        Ok(bytes)
    }

    /// Checks the bytes of a scenario file, as [`Scenario::load`] does once it has
    /// read them (size, encoding, then [`Scenario::parse`]); `file` names them in
    /// error messages.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with every problem found.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Scenario, ScenarioError> {
        let invalid = |problem: Problem| ScenarioError::Invalid {
            file: file.to_owned(),
            problems: vec![problem],
        };
        if let Some(p) = too_large(bytes.len()) {
            return Err(invalid(p));
        }
        let text = decode_utf8(bytes).map_err(invalid)?;
        Scenario::parse(text, file)
    }

    /// The bundled reference scenario.
    ///
    /// # Errors
    /// Only if the bundled file were broken, which the test suite rules out.
    pub fn reference() -> Result<Scenario, ScenarioError> {
        Scenario::parse(REFERENCE_SCENARIO, REFERENCE_SCENARIO_NAME)
    }

    /// Checks scenario text; `file` names it in error messages, and the data files
    /// of `empirical` inputs are read relative to its folder (see
    /// [`Scenario::parse_at`]).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with every problem found.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_at(text, file, Path::new(file).parent())
    }

    /// Checks scenario text; `file` names it in error messages and the data files
    /// of `empirical` inputs are read relative to `dir` (the current folder when
    /// `dir` is empty; refused when `None`).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with every problem found.
    pub fn parse_at(text: &str, file: &str, dir: Option<&Path>) -> Result<Scenario, ScenarioError> {
        let invalid = |problems: Vec<Problem>| ScenarioError::Invalid {
            file: file.to_owned(),
            problems,
        };
        if let Some(p) = too_large(text.len()) {
            return Err(invalid(vec![p]));
        }
        let (raw, not_whole) = read::deserialize(text).map_err(invalid)?;
        let mut scenario = validate::validate_at(raw, not_whole, dir).map_err(|mut problems| {
            let lines = locate::Locator::new(text);
            for p in &mut problems {
                p.line = lines.line_of(&p.field);
            }
            invalid(problems)
        })?;
        scenario.sha256 = data::scenario_sha256(text, &scenario.data);
        scenario.source = text.to_owned();
        if !scenario.data.is_empty() {
            scenario.data_dir = dir.map(data::absolute_dir);
        }
        Ok(scenario)
    }

    /// The money unit with its price basis, in English, e.g. `million CNY, 2026
    /// prices` or `million CNY, current prices` (docs/model.md §11).
    pub fn money_label(&self) -> String {
        crate::i18n::money_label(crate::i18n::Lang::En, &self.money_basis())
    }

    /// How the scenario counts money: its unit and price base.
    pub fn money_basis(&self) -> units::MoneyBasis {
        units::MoneyBasis {
            unit: self.money_unit.clone(),
            yuan_per_unit: self.yuan_per_unit,
            prices: match self.prices {
                Prices::Real => units::PriceBase::Constant(self.start_year),
                Prices::Nominal { .. } => units::PriceBase::Current,
            },
        }
    }

    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.regions.len()
    }

    /// Whether runs compute the regions' coalitions, their values and Shapley
    /// values (`[simulation] fairness`, or `run --fairness`; by default when there
    /// are at most [`FAIRNESS_DEFAULT_MAX_REGIONS`] regions).
    pub fn fairness(&self) -> bool {
        self.simulation
            .fairness
            .unwrap_or(self.regions.len() <= FAIRNESS_DEFAULT_MAX_REGIONS)
    }

    /// The dated change in force in year index `t`: the last one whose year is
    /// ≤ t (None: the base tables hold).
    pub fn change_at(&self, t: u32) -> Option<&Change> {
        let k = self.changes.partition_point(|c| c.year <= t);
        k.checked_sub(1).map(|i| &self.changes[i])
    }

    /// The cost bearers in force in year index `t`: land acquisition,
    /// infrastructure, operations.
    pub fn bearers_at(&self, t: u32) -> [&Bearer; 3] {
        match self.change_at(t) {
            Some(c) => {
                let b = &c.bearers;
                [&b.land_acquisition, &b.infrastructure, &b.operations]
            }
            None => {
                let c = &self.costs;
                [
                    &c.land_acquisition.bearer,
                    &c.infrastructure.bearer,
                    &c.operations.bearer,
                ]
            }
        }
    }

    /// Calendar year of year index `t`.
    ///
    /// Validation bounds `start_year` to [`limits::MAX_START_YEAR`] and every year
    /// index the model uses stays below [`limits::MAX_YEARS_AFTER_START`] +
    /// [`limits::MAX_HORIZON`], so the sum is exact; the saturation is never reached.
    pub fn year(&self, t: u32) -> i32 {
        i32::try_from(t).map_or(i32::MAX, |t| self.start_year.saturating_add(t))
    }
}

/// The problem of a file of `len` bytes, when it is over [`limits::MAX_FILE_BYTES`].
fn too_large(len: usize) -> Option<Problem> {
    let max = limits::MAX_FILE_BYTES;
    (u64::try_from(len).unwrap_or(u64::MAX) > max).then(|| Problem {
        line: None,
        field: "(file)".to_owned(),
        message: format!(
            "expected a scenario file of at most {max} bytes ({} MiB), found a larger one",
            max >> 20
        ),
    })
}

/// The text of a scenario file, which must be UTF-8 (with or without a byte order
/// mark); see [`utf8_text`].
fn decode_utf8(bytes: &[u8]) -> Result<&str, Problem> {
    utf8_text(bytes).map_err(|e| Problem {
        line: Some(e.line),
        field: "(encoding)".to_owned(),
        message: e.message,
    })
}

/// Why bytes are not UTF-8 text: the line of the first bad byte, and a message
/// that names a UTF-16 file as such or locates the first byte that is not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotUtf8 {
    /// 1-based line of the first byte that is not UTF-8.
    pub line: usize,
    /// What is wrong and how to convert the file.
    pub message: String,
}

/// `bytes` as UTF-8 text (a UTF-8 byte order mark is kept). A UTF-16 file is
/// named as such; otherwise the first byte that is not UTF-8 is located by byte
/// offset, line and column (in characters), with how to convert a GBK file. The
/// scenario reader and the CSV reader ([`data::read_column`]) share the wording.
pub(crate) fn utf8_text(bytes: &[u8]) -> Result<&str, NotUtf8> {
    let utf16 = match bytes {
        [0xFF, 0xFE, ..] => Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16BE"),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        return Err(NotUtf8 {
            line: 1,
            message: format!(
                "the file is {encoding} (it starts with a {encoding} byte order mark); save it as UTF-8"
            ),
        });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        // Valid up to `offset`, so this prefix decodes.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        NotUtf8 {
            line,
            message: format!(
                "the byte at offset {offset} (0x{:02X}, line {line}, column {column}) is not valid UTF-8; the file must be UTF-8 (convert a GBK file with e.g. `iconv -f GBK -t UTF-8`)",
                bytes[offset]
            ),
        }
    })
}

/// SHA-256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
