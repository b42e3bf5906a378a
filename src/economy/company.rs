//! The park development company (MODEL.md §4): loans on its capital spending, and its
//! year — cash in and out, capital calls when cash runs short, dividends out of free
//! cash flow, and the terminal value at the horizon.

use crate::finance;
use crate::scenario::Terminal;

/// The PDC's yearly schedules, indexed `[t]`.
#[derive(Debug, Clone, Default)]
pub(super) struct Books {
    /// Capital spending.
    pub(super) capex: Vec<f64>,
    /// Operating spending.
    pub(super) opex: Vec<f64>,
    /// Loans drawn.
    pub(super) loan_draws: Vec<f64>,
    /// Debt service due.
    pub(super) debt_service: Vec<f64>,
    /// Land sales received by the PDC.
    pub(super) land_sales: Vec<f64>,
}

impl Books {
    pub(super) fn reset(&mut self, h: usize) {
        for v in [
            &mut self.capex,
            &mut self.opex,
            &mut self.loan_draws,
            &mut self.debt_service,
            &mut self.land_sales,
        ] {
            v.clear();
            v.resize(h, 0.0);
        }
    }
}

/// Finances `debt_share` of each year's capex with an annuity loan; fills the loan
/// draws and debt service and returns the debt still outstanding at the end of the
/// last year.
///
/// # Formula
/// A loan L_t = debt_share × capex_t drawn in year t is repaid by the annuity
/// payment(L_t, rate, years) in years t+1 ..= t+years (within the horizon); its
/// balance after the payments made by year H−1 is outstanding at the horizon.
pub(super) fn schedule_loans(debt_share: f64, rate: f64, years: u32, books: &mut Books) -> f64 {
    let h = books.capex.len();
    let mut outstanding = 0.0;
    for t in 0..h {
        let principal = debt_share * books.capex[t];
        if principal <= 0.0 {
            continue;
        }
        books.loan_draws[t] = principal;
        let payment = finance::annuity_payment(principal, rate, years);
        for s in t + 1..(t + 1 + years as usize).min(h) {
            books.debt_service[s] += payment;
        }
        let paid = (h - 1 - t).min(years as usize) as u32;
        outstanding += finance::annuity_balance(principal, rate, years, paid);
    }
    outstanding
}

/// Schedules the repayment of the debt the PDC owes at the start (`[initial] debt`)
/// and returns what is still owed at the end of the last year.
///
/// # Formula
/// payment(D, rate, years) in years 0 ..= years − 1 (within the horizon H); the
/// balance after min(H, years) payments is outstanding at the horizon.
pub(super) fn schedule_initial_debt(debt: f64, rate: f64, years: u32, books: &mut Books) -> f64 {
    if debt <= 0.0 {
        return 0.0;
    }
    let h = books.debt_service.len();
    let payment = finance::annuity_payment(debt, rate, years);
    let paid = (years as usize).min(h);
    for s in &mut books.debt_service[..paid] {
        *s += payment;
    }
    finance::annuity_balance(debt, rate, years, paid as u32)
}

/// The PDC's terms for the path and its running cash.
#[derive(Debug, Clone, Copy)]
pub(super) struct Company {
    /// Service fee on the park's revenue.
    pub(super) fee_rate: f64,
    /// Rent per occupied mu.
    pub(super) rent: f64,
    /// Share of free cash flow paid out.
    pub(super) payout: f64,
    /// Terminal value rule.
    pub(super) terminal: Terminal,
    /// Debt outstanding at the horizon.
    pub(super) debt_outstanding: f64,
    /// Cash on hand.
    pub(super) cash: f64,
}

/// What the shareholders pay or receive in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CompanyYear {
    /// Capital called to cover a cash shortfall.
    pub(super) call: f64,
    /// Dividend paid.
    pub(super) dividend: f64,
    /// Terminal value (the last year only).
    pub(super) terminal: f64,
}

impl Company {
    /// Runs year `t` of `h`, given the shareholders' cash contributions and the park's
    /// revenue and occupied land that year.
    ///
    /// # Formula
    /// net = contributions + loans + land sales + fee × revenue + rent × occupied −
    /// capex − opex − debt service; cash += net, a negative balance is called from the
    /// shareholders; dividend = min(payout × free cash flow, cash) with free cash flow
    /// = net − contributions − loans when positive. At the horizon: book = cash − debt
    /// outstanding; terminal = 0, book, or book + D (1 + g) / (ρ − g).
    pub(super) fn year(
        &mut self,
        t: usize,
        books: &Books,
        contributions: f64,
        revenue: f64,
        occupied: f64,
    ) -> CompanyYear {
        let operating_in = books.land_sales[t] + self.fee_rate * revenue + self.rent * occupied;
        let net = contributions + books.loan_draws[t] + operating_in
            - books.capex[t]
            - books.opex[t]
            - books.debt_service[t];
        self.cash += net;
        let mut call = 0.0;
        if self.cash < 0.0 {
            call = -self.cash;
            self.cash = 0.0;
        }
        let free_cash_flow = net - contributions - books.loan_draws[t];
        let mut dividend = 0.0;
        if free_cash_flow > 0.0 {
            dividend = (self.payout * free_cash_flow).min(self.cash);
            self.cash -= dividend;
        }
        let mut terminal = 0.0;
        if t + 1 == books.capex.len() {
            let book = self.cash - self.debt_outstanding;
            terminal = match self.terminal {
                Terminal::None => 0.0,
                Terminal::Book => book,
                Terminal::Perpetuity {
                    growth,
                    discount_rate,
                } => book + dividend * (1.0 + growth) / (discount_rate - growth),
            };
        }
        CompanyYear {
            call,
            dividend,
            terminal,
        }
    }
}

#[cfg(test)]
// The expected values are worked by hand so that each is the exactly rounded result
// of the same one or two operations.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn books(capex: &[f64]) -> Books {
        let mut b = Books::default();
        b.reset(capex.len());
        b.capex.copy_from_slice(capex);
        b
    }

    #[test]
    fn loans_at_zero_interest_repay_evenly() {
        // 50% of 40 borrowed in year 0 over 4 years at 0%: 5 a year in years 1–2 of a
        // 3-year horizon, 10 still owed at the end.
        let mut b = books(&[40.0, 0.0, 0.0]);
        let outstanding = schedule_loans(0.5, 0.0, 4, &mut b);
        assert_eq!(b.loan_draws, [20.0, 0.0, 0.0]);
        assert_eq!(b.debt_service, [0.0, 5.0, 5.0]);
        assert!((outstanding - 10.0).abs() < 1e-12);
        let mut none = books(&[40.0, 0.0, 0.0]);
        assert_eq!(schedule_loans(0.0, 0.05, 4, &mut none), 0.0);
        assert_eq!(none.debt_service, [0.0; 3]);
    }

    #[test]
    fn initial_debt_is_repaid_from_year_zero() {
        // 30 owed over 3 years at 0%: 10 a year in years 0–1 of a 2-year horizon, 10 left.
        let mut b = books(&[0.0, 0.0]);
        let left = schedule_initial_debt(30.0, 0.0, 3, &mut b);
        assert_eq!(b.debt_service, [10.0, 10.0]);
        assert!((left - 10.0).abs() < 1e-12);
        // 100 over 2 years at 10%: payment 100 × 0.1 / (1 − 1.1^−2) = 121 / 2.1 =
        // 57.619…; paid off within a 3-year horizon, nothing in year 2.
        let mut b = books(&[0.0, 0.0, 0.0]);
        let left = schedule_initial_debt(100.0, 0.1, 2, &mut b);
        assert!((b.debt_service[0] - 121.0 / 2.1).abs() < 1e-9);
        assert!((b.debt_service[1] - 121.0 / 2.1).abs() < 1e-9);
        assert_eq!(b.debt_service[2], 0.0);
        assert_eq!(left, 0.0);
    }

    fn company(terminal: Terminal) -> Company {
        Company {
            fee_rate: 0.1,
            rent: 0.5,
            payout: 0.5,
            terminal,
            debt_outstanding: 2.0,
            cash: 0.0,
        }
    }

    #[test]
    fn calls_dividends_and_terminal_by_hand() {
        let mut b = books(&[10.0, 0.0, 0.0]);
        b.opex[1] = 1.0;
        b.land_sales[1] = 3.0;
        let mut c = company(Terminal::Book);
        // Year 0: contributions 4 − capex 10 → call 6, no dividend.
        let y0 = c.year(0, &b, 4.0, 0.0, 0.0);
        assert_eq!(
            y0,
            CompanyYear {
                call: 6.0,
                dividend: 0.0,
                terminal: 0.0
            }
        );
        // Year 1: 3 + 0.1 × 20 + 0.5 × 4 − 1 = 6 → dividend 3, cash 3.
        let y1 = c.year(1, &b, 0.0, 20.0, 4.0);
        assert_eq!(
            y1,
            CompanyYear {
                call: 0.0,
                dividend: 3.0,
                terminal: 0.0
            }
        );
        // Year 2: 2 in, dividend 1, cash 4, book 4 − 2 = 2.
        let y2 = c.year(2, &b, 0.0, 20.0, 0.0);
        assert_eq!(
            y2,
            CompanyYear {
                call: 0.0,
                dividend: 1.0,
                terminal: 2.0
            }
        );
        // A perpetuity adds D (1 + g) / (ρ − g) = 1 × 1.02 / 0.08.
        let mut p = company(Terminal::Perpetuity {
            growth: 0.02,
            discount_rate: 0.1,
        });
        p.cash = 3.0;
        let y = p.year(2, &b, 0.0, 20.0, 0.0);
        assert!((y.terminal - (2.0 + 1.02 / 0.08)).abs() < 1e-12);
        let mut none = company(Terminal::None);
        assert_eq!(none.year(2, &b, 0.0, 20.0, 0.0).terminal, 0.0);
    }
}
