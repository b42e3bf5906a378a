//! Dated changes on one path (MODEL.md §6, "Dated changes"): the tax parameters
//! and sector tax rates of each era — the base tables, then each `[[changes]]`
//! entry from its year on — resolved once per path, and the era in force each
//! year.
//!
//! The per-firm-year loop never looks a change up: the path advances an era index
//! once a year and, when it moves, writes the new sector rates into the sector
//! parameters the loop reads.

use super::firms::SectorParams;
use super::taxes::TaxParams;
use crate::scenario::Scenario;

/// One era: the tax parameters in force from year index `start` on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Era {
    /// First year index of the era.
    pub(super) start: u32,
    /// The path's tax parameters.
    pub(super) tax: TaxParams,
    /// Region receiving the provincial take (None: outside the modelled regions).
    pub(super) to: Option<usize>,
}

/// A sector's tax rates in one era.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct SectorRates {
    vat_rate: f64,
    cit_rate: f64,
    property_tax_per_mu: f64,
}

/// Every era of the path, and each sector's rates in each (era-major).
#[derive(Debug, Clone, Default)]
pub(super) struct Eras {
    eras: Vec<Era>,
    rates: Vec<SectorRates>,
    sectors: usize,
}

impl Eras {
    /// Resolves the eras of path draws `d`: era 0 is the base tables (with their
    /// resolved tax parameters `base`), era k ≥ 1 the change k − 1.
    pub(super) fn resolve(&mut self, scn: &Scenario, d: &[f64], base: TaxParams) {
        self.eras.clear();
        self.rates.clear();
        self.sectors = scn.firms.sectors.len();
        self.eras.push(Era {
            start: 0,
            tax: base,
            to: scn.taxes.provincial.to,
        });
        for s in &scn.firms.sectors {
            self.rates.push(SectorRates {
                vat_rate: s.vat_rate.get(d),
                cit_rate: s.cit_rate.get(d),
                property_tax_per_mu: base.property_rate * s.building_value_per_mu.get(d),
            });
        }
        for change in &scn.changes {
            let tax = TaxParams::resolve_taxes(scn, &change.taxes, d);
            self.eras.push(Era {
                start: change.year,
                tax,
                to: change.taxes.provincial.to,
            });
            for (s, r) in scn.firms.sectors.iter().zip(&change.sectors) {
                self.rates.push(SectorRates {
                    vat_rate: r.vat_rate.get(d),
                    cit_rate: r.cit_rate.get(d),
                    property_tax_per_mu: tax.property_rate * s.building_value_per_mu.get(d),
                });
            }
        }
    }

    /// Era `k`.
    #[inline]
    pub(super) fn get(&self, k: usize) -> &Era {
        &self.eras[k]
    }

    /// Moves `era` to the era in force in year index `t` (eras only move forward)
    /// and, when it moved, writes its sector rates into `sectors`.
    pub(super) fn advance(&self, era: &mut usize, t: u32, sectors: &mut [SectorParams]) {
        let before = *era;
        while *era + 1 < self.eras.len() && self.eras[*era + 1].start <= t {
            *era += 1;
        }
        if *era != before {
            let rates = &self.rates[*era * self.sectors..(*era + 1) * self.sectors];
            for (s, r) in sectors.iter_mut().zip(rates) {
                s.vat_rate = r.vat_rate;
                s.cit_rate = r.cit_rate;
                s.property_tax_per_mu = r.property_tax_per_mu;
            }
        }
    }
}
