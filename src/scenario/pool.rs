//! A sharing alternative's tax pool restricted to some firms and tax kinds, with
//! an optional cap on one region's cumulative take (MODEL.md §7; docs/model.md
//! "Restricted pools and caps").
//!
//! The Beijing–Tianjin–Hebei rule of 2015 shares only the VAT and CIT of
//! *relocated* firms between their old and new region, and ends the old region's
//! share once it has taken the firm's pre-move taxes of the 3 years before the
//! move. A [`TaxPool`] says which part of the local retained pool the formula
//! splits (the *restricted* pool), who receives the rest, and the cap.

/// A kind of tax in the local retained pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxKind {
    /// Value-added tax (its local share).
    Vat,
    /// Corporate income tax (its local share).
    Cit,
    /// Individual income tax (its local share).
    Iit,
    /// Urban maintenance and education surcharges on VAT.
    Surcharges,
    /// Urban land use tax.
    LandUse,
    /// Property tax.
    Property,
}

impl TaxKind {
    /// Every kind, in index order.
    pub const ALL: [TaxKind; 6] = [
        TaxKind::Vat,
        TaxKind::Cit,
        TaxKind::Iit,
        TaxKind::Surcharges,
        TaxKind::LandUse,
        TaxKind::Property,
    ];
    /// Number of kinds.
    pub const COUNT: usize = Self::ALL.len();

    /// Position in [`TaxKind::ALL`].
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Name in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            TaxKind::Vat => "vat",
            TaxKind::Cit => "cit",
            TaxKind::Iit => "iit",
            TaxKind::Surcharges => "surcharges",
            TaxKind::LandUse => "land_use",
            TaxKind::Property => "property",
        }
    }

    /// The kind named `name` in a scenario file.
    pub fn from_name(name: &str) -> Option<TaxKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Which firms' taxes a restricted pool holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FirmGroup {
    /// Every firm in the park.
    #[default]
    All,
    /// Only the firms relocated from the origin region (`[firms] origin`).
    Relocated,
}

/// The part of the local retained pool an alternative's tax formula splits.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxPool {
    /// Whose taxes.
    pub firms: FirmGroup,
    /// Which kinds, indexed by [`TaxKind::index`].
    pub taxes: [bool; TaxKind::COUNT],
    /// Region receiving the rest of the pool and any excess over the cap.
    pub rest_to: usize,
    /// Cap on one region's cumulative take of the restricted pool.
    pub cap: Option<PoolCap>,
}

impl TaxPool {
    /// Whether the restriction holds the whole pool (every firm, every kind).
    pub fn is_whole(&self) -> bool {
        self.firms == FirmGroup::All && self.taxes.iter().all(|&on| on)
    }

    /// Whether it holds the taxes of firm group `relocated` (true: relocated firms).
    #[inline]
    pub fn holds_group(&self, relocated: bool) -> bool {
        self.firms == FirmGroup::All || relocated
    }
}

/// A cap on one region's cumulative take of a restricted pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolCap {
    /// The capped region.
    pub region: usize,
    /// How much it may take in all.
    pub amount: CapAmount,
    /// What it took before the start year (a park that began before it,
    /// `[initial]`): its cumulative take starts from this.
    pub taken_to_date: f64,
}

/// The size of a [`PoolCap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CapAmount {
    /// A fixed amount of money over the whole cooperation.
    Money(f64),
    /// This many years of the relocated firms' pre-move taxes of the restricted
    /// kinds, summed over the relocated firms that have arrived so far.
    PreMoveYears(f64),
}
