//! Tax-sharing formulas for co-built enclave parks (飞地经济).
//!
//! A park's yearly tax pool `P ≥ 0` is split among the 2–[`MAX_REGIONS`]
//! regions that co-built it. A [`Formula`] maps the year of cooperation `k`
//! (1 = first year), the pool and a [`ShareContext`] (equity, cumulative
//! contributions, invested capital) to an allocation `a_r` over the regions
//! with `Σ_r a_r = P`. Formulas nest: schedules, incremental (基数返还/增量分成)
//! splits, tiered tranches and guaranteed returns all carry inner formulas.
//!
//! [`Formula::allocate`] runs once per simulated year, per path and per
//! alternative, so it never allocates: every kind adds its allocation straight
//! into the caller's buffers.
//!
//! Parameters are validated elsewhere (shares sum to 1, thresholds increase,
//! region indices are in range, schedule periods are contiguous from year 1).
//! For inputs that slip past validation, `allocate` still never panics and
//! still hands out exactly the pool; the fallbacks are documented per kind.

/// Most regions a scenario may have.
pub const MAX_REGIONS: usize = 8;

/// A rule for splitting a year's tax pool among the regions.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    /// Constant shares.
    ///
    /// # Formula
    /// `a_r = s_r · P`. The shares are ≥ 0 and sum to 1 (validated
    /// elsewhere); they are normalised by their sum anyway, and an all-zero
    /// share vector splits the pool equally.
    Fixed {
        /// Share of each region, indexed by region.
        shares: Vec<f64>,
    },
    /// Shares equal to the regions' equity shares.
    ///
    /// # Formula
    /// `a_r = e_r · P` with `e` = [`ShareContext::equity`] (normalised by its
    /// sum; an all-zero equity vector splits the pool equally).
    Equity,
    /// Shares proportional to the regions' cumulative contributions to date.
    ///
    /// # Formula
    /// `a_r = c_r / Σ_q c_q · P` with `c` =
    /// [`ShareContext::cumulative_contributions`]; when `Σ_q c_q = 0` the
    /// pool is split by equity shares as in [`Formula::Equity`].
    Contribution,
    /// Different formulas for successive periods of the cooperation.
    ///
    /// # Formula
    /// Year `k` uses the formula of the period with `first ≤ k ≤ last`;
    /// periods are contiguous from `k = 1`, and a year after the last period
    /// uses the last period's formula. (Lookup takes the first period with
    /// `k ≤ last`, else the last period; an empty schedule falls back to
    /// [`Formula::Equity`].)
    Schedule {
        /// The periods, in order of time.
        periods: Vec<Period>,
    },
    /// Base return plus incremental sharing (基数返还/增量分成).
    ///
    /// # Formula
    /// The base `B_k = base · (1 + base_growth)^(k−1)` stays with `owner`:
    /// `owner` receives `min(P, B_k)` (a negative base counts as 0), and only
    /// the excess `max(0, P − B_k)` is split by `inner` (which is evaluated
    /// even when the excess is 0, so nested guarantees still apply). If
    /// `owner` is out of range the whole pool goes to `inner`.
    Incremental {
        /// Region that keeps the base.
        owner: usize,
        /// Base amount in year 1 (money).
        base: f64,
        /// Yearly growth rate of the base (0.05 = 5 %).
        base_growth: f64,
        /// Formula splitting the excess over the base.
        inner: Box<Formula>,
    },
    /// The pool is cut into tranches by increasing thresholds.
    ///
    /// # Formula
    /// With `u_{−1} = 0`, tranche `j` holds
    /// `min(P, u_j) − min(P, u_{j−1})`, the part of `P` between the previous
    /// threshold and its own `upper = u_j`, and splits it by its own formula
    /// (evaluated even for an empty tranche). The last tranche's `upper` is
    /// `f64::INFINITY`; whatever its value, the last tranche takes everything
    /// above the previous threshold, and non-increasing thresholds yield
    /// empty tranches, so the tranches always add up to `P`. No tranches at
    /// all falls back to [`Formula::Equity`].
    Tiered {
        /// The tranches, by increasing `upper`.
        tranches: Vec<Tranche>,
    },
    /// A guaranteed minimum return for one region, paid by another
    /// (Zhejiang 山海协作 "消薄飞地": a fixed annual return on actual
    /// investment).
    ///
    /// # Formula
    /// Let `x_b` be what `inner` allocates to `beneficiary` and
    /// `R = rate · I_b` with `I` = [`ShareContext::invested_capital`]. The
    /// shortfall is `s = max(0, R − x_b)`; the beneficiary receives
    /// `x_b + s = max(x_b, R)` and the guarantor `x_g − s`, which can be
    /// negative (the guarantor pays from its own budget). The total is still
    /// `P`. The shortfall is also recorded as a guarantee transfer: `+s` for
    /// the beneficiary and `−s` for the guarantor. If
    /// `beneficiary == guarantor` (or either is out of range) there is no
    /// transfer and the result is just `inner`'s.
    ///
    /// The guarantee runs only in the years its `term` covers
    /// ([`GuaranteeTerm::covers`]); outside them the result is `inner`'s. The
    /// term's flows outside the pool (principal repaid, the stake's income
    /// handed over) are [`Formula::contract_flows`].
    GuaranteedReturn {
        /// Region whose return is guaranteed.
        beneficiary: usize,
        /// Region that pays any shortfall.
        guarantor: usize,
        /// Guaranteed yearly return on the beneficiary's invested capital.
        rate: f64,
        /// Formula producing the allocation before the guarantee.
        inner: Box<Formula>,
        /// When the guarantee runs, whether the principal is repaid and who
        /// receives the guaranteed capital's equity income.
        term: GuaranteeTerm,
    },
}

/// How a settled formula's allocation goes on as the pool grows
/// ([`Formula::ahead`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ahead {
    /// Shares of the pool alone.
    Shares,
    /// Shares of the pool plus amounts growing at `rate` a year, for this year's
    /// pool and every larger one (`up`) or every smaller positive one.
    Plus {
        /// Growth rate of the amounts.
        rate: f64,
        /// Whether the allocation is so for larger pools (else smaller ones).
        up: bool,
    },
}

/// Who receives the equity income (dividends, terminal value) of the capital a
/// [`Formula::GuaranteedReturn`] covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StakeIncome {
    /// The beneficiary keeps its stake's income: the guarantee is a floor under
    /// its pool share, on top of its dividends.
    #[default]
    Beneficiary,
    /// The guarantor receives the beneficiary's dividends and terminal value
    /// while it guarantees the return (the 消薄飞地 contracts: the fixed return
    /// replaces the income of the capital), and for good once it has repaid the
    /// principal, when it also pays the beneficiary's capital calls.
    Guarantor,
}

/// When a [`Formula::GuaranteedReturn`] runs and how it ends (MODEL.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuaranteeTerm {
    /// First year of cooperation in which the return is guaranteed (≥ 1).
    pub first_year: u32,
    /// Last year of cooperation in which it is guaranteed; `None`: no end.
    pub last_year: Option<u32>,
    /// Whether the guarantor repays the beneficiary's invested capital at the
    /// end of `last_year` (validated: only with a `last_year` and
    /// [`StakeIncome::Guarantor`], since repaying the capital buys the stake).
    pub repay_principal: bool,
    /// Who receives the guaranteed capital's equity income.
    pub dividends: StakeIncome,
}

impl Default for GuaranteeTerm {
    /// From year 1, without end, no principal repaid, dividends kept.
    fn default() -> Self {
        Self {
            first_year: 1,
            last_year: None,
            repay_principal: false,
            dividends: StakeIncome::Beneficiary,
        }
    }
}

impl GuaranteeTerm {
    /// Whether the return is guaranteed in year of cooperation `k`:
    /// `first_year ≤ k ≤ last_year`.
    pub fn covers(&self, k: u32) -> bool {
        k >= self.first_year && self.last_year.is_none_or(|last| k <= last)
    }

    /// Whether the principal has been repaid before year `k`.
    fn repaid_before(&self, k: u32) -> bool {
        self.repay_principal && self.last_year.is_some_and(|last| k > last)
    }

    /// Whether the guarantor receives the beneficiary's stake income in year `k`.
    fn holds_income(&self, k: u32) -> bool {
        self.dividends == StakeIncome::Guarantor && (self.covers(k) || self.repaid_before(k))
    }

    /// Whether the term differs from [`GuaranteeTerm::default`] in anything but
    /// what [`Formula::contract_flows`] ignores.
    fn has_contract_flows(&self) -> bool {
        self.repay_principal || self.dividends == StakeIncome::Guarantor
    }
}

/// One year of the park company's flows with each region (indexed by region),
/// which a guarantee contract may hand from one region to another.
#[derive(Debug, Clone, Copy)]
pub struct Stake<'a> {
    /// Invested capital to the end of the year (cash contributions + capital
    /// calls): the principal repaid if the term ends this year.
    pub invested_to_date: &'a [f64],
    /// Dividends and terminal value received in the year.
    pub income: &'a [f64],
    /// Capital calls paid in the year.
    pub calls: &'a [f64],
}

/// One period of a [`Formula::Schedule`].
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// First year of cooperation covered (1-based, inclusive).
    pub first: u32,
    /// Last year of cooperation covered (inclusive).
    pub last: u32,
    /// Formula used during the period.
    pub formula: Formula,
}

/// One tranche of a [`Formula::Tiered`].
#[derive(Debug, Clone, PartialEq)]
pub struct Tranche {
    /// Upper threshold of the tranche (money); `f64::INFINITY` for the last.
    pub upper: f64,
    /// Formula splitting the part of the pool inside this tranche.
    pub formula: Formula,
}

/// What a formula may look at besides the pool, all indexed by region
/// (length n = number of regions).
#[derive(Debug, Clone, Copy)]
pub struct ShareContext<'a> {
    /// Equity shares, summing to 1.
    pub equity: &'a [f64],
    /// Cumulative contributions to date, each ≥ 0.
    pub cumulative_contributions: &'a [f64],
    /// Invested capital (cash contributions + capital calls), each ≥ 0, as it
    /// earns the year's guaranteed return: the engine passes the capital paid
    /// in by the end of the previous year (money paid at the end of year t
    /// earns from year t + 1).
    pub invested_capital: &'a [f64],
}

impl Formula {
    /// ADDS the allocation of `pool` in year of cooperation `k` (≥ 1) into
    /// `alloc` (len n) and the net guarantee transfers into `guarantee`
    /// (len n, sums to 0). Callers zero the buffers first. Σ of what is added
    /// to `alloc` = `pool` exactly up to float rounding.
    ///
    /// Performs no heap allocation. n is `alloc.len()`; context slices
    /// shorter than n read as 0 for the missing regions.
    #[inline]
    pub fn allocate(
        &self,
        k: u32,
        pool: f64,
        ctx: &ShareContext<'_>,
        alloc: &mut [f64],
        guarantee: &mut [f64],
    ) {
        // The splits by shares, most formulas of most alternatives, inline at the
        // caller (the engine calls this three times a year for each alternative).
        match self.split_weights(ctx) {
            Some(weights) => add_weighted(weights, pool, alloc),
            None => self.allocate_nested(k, pool, ctx, alloc, guarantee),
        }
    }

    /// The weights of a split by fixed or equity shares (`None` for the other
    /// formulas): [`Formula::allocate`] adds `pool · w_r / Σ w` to each region, or
    /// `pool / n` when Σ w is not positive and finite ([`add_weighted`]).
    #[inline]
    pub fn split_weights<'a>(&'a self, ctx: &ShareContext<'a>) -> Option<&'a [f64]> {
        match self {
            Formula::Fixed { shares } => Some(shares),
            Formula::Equity => Some(ctx.equity),
            _ => None,
        }
    }

    /// [`Formula::allocate`] of every formula, out of line.
    fn allocate_nested(
        &self,
        k: u32,
        pool: f64,
        ctx: &ShareContext<'_>,
        alloc: &mut [f64],
        guarantee: &mut [f64],
    ) {
        match self {
            Formula::Fixed { shares } => add_weighted(shares, pool, alloc),
            Formula::Equity => add_weighted(ctx.equity, pool, alloc),
            Formula::Contribution => {
                let n = alloc.len();
                let total: f64 = ctx.cumulative_contributions.iter().take(n).sum();
                if positive_finite(total) {
                    add_weighted(ctx.cumulative_contributions, pool, alloc);
                } else {
                    add_weighted(ctx.equity, pool, alloc);
                }
            }
            Formula::Schedule { periods } => match period_at(periods, k) {
                Some(period) => period.formula.allocate(k, pool, ctx, alloc, guarantee),
                None => add_weighted(ctx.equity, pool, alloc),
            },
            Formula::Incremental {
                owner,
                base,
                base_growth,
                inner,
            } => {
                let kept = match alloc.get_mut(*owner) {
                    Some(slot) => {
                        // `min` returns `pool` if the base is NaN.
                        let kept = pool.min(base_at(*base, *base_growth, k).max(0.0));
                        *slot += kept;
                        kept
                    }
                    None => 0.0,
                };
                inner.allocate(k, pool - kept, ctx, alloc, guarantee);
            }
            Formula::Tiered { tranches } => {
                let Some((last, rest)) = tranches.split_last() else {
                    add_weighted(ctx.equity, pool, alloc);
                    return;
                };
                // `cut` = min(P, running max of thresholds) never decreases
                // for P ≥ 0, and the tranches' amounts telescope to P.
                let mut cut = 0.0_f64;
                for tranche in rest {
                    let next = pool.min(cut.max(tranche.upper));
                    tranche
                        .formula
                        .allocate(k, next - cut, ctx, alloc, guarantee);
                    cut = next;
                }
                last.formula.allocate(k, pool - cut, ctx, alloc, guarantee);
            }
            Formula::GuaranteedReturn {
                beneficiary,
                guarantor,
                rate,
                inner,
                term,
            } => {
                let (b, g) = (*beneficiary, *guarantor);
                let n = alloc.len();
                let active = b < n && g < n && b != g && term.covers(k);
                // The beneficiary's inner share is what the inner formula adds to
                // its slot (the buffers are additive, so no temporary is needed).
                let before = alloc.get(b).copied().unwrap_or(0.0);
                inner.allocate(k, pool, ctx, alloc, guarantee);
                if active {
                    let required = rate * ctx.invested_capital.get(b).copied().unwrap_or(0.0);
                    let shortfall = shortfall(required, alloc[b] - before);
                    transfer(b, g, shortfall, alloc, guarantee);
                }
            }
        }
    }

    /// ADDS into `flows` (len n, sums to 0) the year's flows of a guarantee
    /// contract outside the pool: in year `k` of a top-level
    /// [`Formula::GuaranteedReturn`] whose [`GuaranteeTerm`] says so,
    ///
    /// - the beneficiary's stake income `D_b` moves to the guarantor while the
    ///   guarantor holds it ([`StakeIncome::Guarantor`]; after the principal
    ///   is repaid, net of the beneficiary's capital calls, which the
    ///   guarantor then pays);
    /// - in `last_year`, with `repay_principal`, the guarantor pays the
    ///   beneficiary its invested capital to date.
    ///
    /// Only the top level is looked at: validation allows these terms on no
    /// nested guarantee, so that each is paid once a year whatever the nesting.
    /// Performs no heap allocation.
    ///
    /// # Formula
    /// `x = D_b − [repaid before k] · calls_b`: flows_b −= x, flows_g += x;
    /// in year `last` with repayment, flows_b += I_b, flows_g −= I_b.
    pub fn contract_flows(&self, k: u32, stake: &Stake<'_>, flows: &mut [f64]) {
        let Formula::GuaranteedReturn {
            beneficiary,
            guarantor,
            term,
            ..
        } = self
        else {
            return;
        };
        let (b, g) = (*beneficiary, *guarantor);
        if b >= flows.len() || g >= flows.len() || b == g || !term.has_contract_flows() {
            return;
        }
        let read = |v: &[f64]| v.get(b).copied().unwrap_or(0.0);
        let mut to_beneficiary = 0.0;
        if term.holds_income(k) {
            to_beneficiary -= read(stake.income);
            if term.repaid_before(k) {
                to_beneficiary += read(stake.calls);
            }
        }
        if term.repay_principal && term.last_year == Some(k) {
            to_beneficiary += read(stake.invested_to_date);
        }
        flows[b] += to_beneficiary;
        flows[g] -= to_beneficiary;
    }

    /// The first year of cooperation from which the formula's rule no longer
    /// changes with the year: 1 for `fixed`, `equity` and `contribution`; a
    /// schedule's last period's start (or later, if its formula settles later);
    /// a guarantee's first year and the year after its last. The continuation
    /// after the horizon (MODEL.md §8) evaluates the years before this one and
    /// values the rest ([`Formula::grows_with_pool`] says when in closed form).
    /// An incremental base growing with the year counts as settled.
    pub fn settles_at(&self) -> u32 {
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => 1,
            Formula::Schedule { periods } => periods
                .last()
                .map_or(1, |p| p.first.max(p.formula.settles_at())),
            Formula::Incremental { inner, .. } => inner.settles_at(),
            Formula::Tiered { tranches } => tranches
                .iter()
                .map(|t| t.formula.settles_at())
                .max()
                .unwrap_or(1),
            Formula::GuaranteedReturn { inner, term, .. } => inner
                .settles_at()
                .max(term.first_year)
                .max(term.last_year.map_or(1, |l| l.saturating_add(1))),
        }
    }

    /// Whether, from the year it settles ([`Formula::settles_at`]) on, the
    /// formula's allocation of a pool growing at `growth` a year grows at `growth`
    /// too, the last year's equity, contributions and invested capital held: then a
    /// perpetuity values it exactly (MODEL.md §8). True for shares (`fixed`,
    /// `equity`, `contribution`, a schedule whose last period is one); an incremental
    /// base growing at `growth` itself over such a formula; with a constant pool
    /// (`growth` 0) also tiers and guarantees over such formulas, whose thresholds
    /// and guaranteed returns are constant; a guarantee whose term has ended is its
    /// inner formula. False otherwise: a fixed threshold or return does not grow
    /// with the pool, nor a base growing at another rate.
    pub fn grows_with_pool(&self, growth: f64) -> bool {
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => true,
            Formula::Schedule { periods } => periods
                .last()
                .is_none_or(|p| p.formula.grows_with_pool(growth)),
            Formula::Incremental {
                base_growth, inner, ..
            } => base_growth - growth == 0.0 && inner.grows_with_pool(growth),
            Formula::Tiered { tranches } => {
                growth == 0.0 && tranches.iter().all(|t| t.formula.grows_with_pool(0.0))
            }
            Formula::GuaranteedReturn { inner, term, .. } => {
                (term.last_year.is_some() || growth == 0.0) && inner.grows_with_pool(growth)
            }
        }
    }

    /// Whether the formula's allocation in year `k` is shares of the pool alone
    /// (`fixed`, `equity`, `contribution`, or a schedule whose period of year k is
    /// one of them).
    fn is_shares(&self, k: u32) -> bool {
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => true,
            Formula::Schedule { periods } => {
                period_at(periods, k).is_none_or(|p| p.formula.is_shares(k))
            }
            _ => false,
        }
    }

    /// How the allocation goes on from year `k`, when the formula has settled
    /// ([`Formula::settles_at`]) and the pool, at `pool` in year k, grows at
    /// `growth` a year, the context held: [`Ahead::Shares`] when every
    /// later year's allocation is shares of the pool, [`Ahead::Plus`] when it is
    /// shares plus amounts growing at a rate of their own, `None` when a threshold,
    /// base or guaranteed return may still be crossed (or the formula nests one
    /// such rule in another). Covers tiers over shares (past the last threshold of
    /// a growing pool, a constant amount each; within the first of a shrinking
    /// one, shares), an incremental base over shares (kept for good, growing at
    /// its own rate, once a faster-growing pool passes it; the whole pool once a
    /// faster-growing base passes the pool) and a guarantee without end over shares
    /// (no top-up once a growing pool's share covers the return; the constant
    /// return once a shrinking pool's share no longer does).
    pub fn ahead(&self, k: u32, pool: f64, growth: f64, ctx: &ShareContext<'_>) -> Option<Ahead> {
        let n = ctx.equity.len().min(MAX_REGIONS);
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => Some(Ahead::Shares),
            // No period: equity shares, as `allocate` splits.
            Formula::Schedule { periods } => match period_at(periods, k) {
                Some(p) => p.formula.ahead(k, pool, growth, ctx),
                None => Some(Ahead::Shares),
            },
            Formula::Tiered { tranches } => {
                let (first, _) = tranches.split_first()?;
                if !tranches.iter().all(|t| t.formula.is_shares(k)) {
                    return None;
                }
                // The last tranche starts at the running maximum of the others'
                // thresholds (as `allocate` cuts the pool).
                let (_, rest) = tranches.split_last()?;
                let last_cut = rest.iter().fold(0.0_f64, |c, t| c.max(t.upper));
                if growth > 0.0 && pool >= last_cut {
                    Some(Ahead::Plus {
                        rate: 0.0,
                        up: true,
                    })
                } else if growth < 0.0 && pool <= first.upper.max(0.0) {
                    Some(Ahead::Shares)
                } else {
                    None
                }
            }
            Formula::Incremental {
                base,
                base_growth,
                inner,
                ..
            } => {
                let kept = base_at(*base, *base_growth, k).max(0.0);
                if !inner.is_shares(k) || !kept.is_finite() {
                    None
                } else if growth > *base_growth && pool >= kept {
                    Some(Ahead::Plus {
                        rate: *base_growth,
                        up: true,
                    })
                } else if growth < *base_growth && pool <= kept {
                    Some(Ahead::Shares)
                } else {
                    None
                }
            }
            Formula::GuaranteedReturn {
                beneficiary,
                guarantor,
                rate,
                inner,
                term,
            } => {
                let b = *beneficiary;
                if term.last_year.is_some_and(|last| k > last) || b >= n || *guarantor >= n {
                    return inner.ahead(k, pool, growth, ctx);
                }
                if !inner.is_shares(k) || b == *guarantor {
                    return None;
                }
                let required = rate * ctx.invested_capital.get(b).copied().unwrap_or(0.0);
                let (mut unit, mut none) = ([0.0; MAX_REGIONS], [0.0; MAX_REGIONS]);
                inner.allocate(k, 1.0, ctx, &mut unit[..n], &mut none[..n]);
                // The share of a positive pool only rises (g > 0) or only falls
                // (g < 0): once on one side of the return, it stays there.
                let received = unit[b] * pool;
                if pool <= 0.0 {
                    None
                } else if growth > 0.0 && received >= required {
                    Some(Ahead::Shares)
                } else if growth < 0.0 && received <= required {
                    Some(Ahead::Plus {
                        rate: 0.0,
                        up: false,
                    })
                } else {
                    None
                }
            }
        }
    }

    /// Whether the formula holds a guarantee that never ends.
    pub fn guarantees_forever(&self) -> bool {
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => false,
            Formula::Schedule { periods } => periods
                .last()
                .is_some_and(|p| p.formula.guarantees_forever()),
            Formula::Incremental { inner, .. } => inner.guarantees_forever(),
            Formula::Tiered { tranches } => tranches.iter().any(|t| t.formula.guarantees_forever()),
            Formula::GuaranteedReturn { inner, term, .. } => {
                term.last_year.is_none() || inner.guarantees_forever()
            }
        }
    }

    /// Whether every allocation this formula can produce lies in
    /// `[0, pool]` for each region (false iff it contains a
    /// [`Formula::GuaranteedReturn`] anywhere).
    pub fn shares_bounded(&self) -> bool {
        match self {
            Formula::Fixed { .. } | Formula::Equity | Formula::Contribution => true,
            Formula::Schedule { periods } => periods.iter().all(|p| p.formula.shares_bounded()),
            Formula::Incremental { inner, .. } => inner.shares_bounded(),
            Formula::Tiered { tranches } => tranches.iter().all(|t| t.formula.shares_bounded()),
            Formula::GuaranteedReturn { .. } => false,
        }
    }

    /// A short human description, e.g. "fixed 50/50", "schedule (3 periods)",
    /// used in reports. Regions are called by `region_names` (their ids or
    /// display names; falling back to
    /// "region i" for indices it does not cover).
    pub fn describe(&self, region_names: &[&str]) -> String {
        self.describe_in(region_names, crate::i18n::Lang::En)
    }

    /// [`Formula::describe`] in `lang`.
    pub fn describe_in(&self, region_names: &[&str], lang: crate::i18n::Lang) -> String {
        let tx = lang.texts();
        match self {
            Formula::Fixed { shares } => {
                let parts: Vec<String> = shares.iter().map(|s| fmt_num(s * 100.0)).collect();
                tx.f("formula.fixed", &[("shares", &parts.join("/"))])
            }
            Formula::Equity => tx.t("formula.equity").to_string(),
            Formula::Contribution => tx.t("formula.contribution").to_string(),
            Formula::Schedule { periods } => tx.f(
                if periods.len() == 1 {
                    "formula.schedule_one"
                } else {
                    "formula.schedule"
                },
                &[("n", &periods.len())],
            ),
            Formula::Incremental {
                owner,
                base,
                base_growth,
                inner,
            } => tx.f(
                "formula.incremental",
                &[
                    ("base", &fmt_num(*base)),
                    ("owner", &region_name(region_names, *owner)),
                    ("growth", &fmt_num(base_growth * 100.0)),
                    ("excess", &inner.describe_in(region_names, lang)),
                ],
            ),
            Formula::Tiered { tranches } => tx.f(
                if tranches.len() == 1 {
                    "formula.tiered_one"
                } else {
                    "formula.tiered"
                },
                &[("n", &tranches.len())],
            ),
            Formula::GuaranteedReturn {
                beneficiary,
                guarantor,
                rate,
                inner,
                term,
            } => {
                let mut text = tx.f(
                    "formula.guaranteed",
                    &[
                        ("inner", &inner.describe_in(region_names, lang)),
                        ("rate", &fmt_num(rate * 100.0)),
                        ("beneficiary", &region_name(region_names, *beneficiary)),
                        ("guarantor", &region_name(region_names, *guarantor)),
                    ],
                );
                match (term.first_year, term.last_year) {
                    (1, None) => {}
                    (first, None) => {
                        text.push_str(&tx.f("formula.from_year", &[("first", &first)]));
                    }
                    (first, Some(last)) => {
                        text.push_str(
                            &tx.f("formula.in_years", &[("first", &first), ("last", &last)]),
                        );
                    }
                }
                if term.repay_principal {
                    text.push_str(tx.t("formula.principal"));
                }
                if term.dividends == StakeIncome::Guarantor {
                    text.push_str(tx.t("formula.dividends"));
                }
                text
            }
        }
    }
}

/// Base of a [`Formula::Incremental`] in year `k`: `base · (1 + growth)^(k−1)`.
fn base_at(base: f64, growth: f64, k: u32) -> f64 {
    let exponent = i32::try_from(k.saturating_sub(1)).unwrap_or(i32::MAX);
    base * (1.0 + growth).powi(exponent)
}

/// The period of a schedule that applies in year `k`: the first not yet over,
/// else the last (`None` without periods).
fn period_at(periods: &[Period], k: u32) -> Option<&Period> {
    periods.iter().find(|p| k <= p.last).or(periods.last())
}

/// Shortfall of `received` below `required` (0 if none or if NaN).
fn shortfall(required: f64, received: f64) -> f64 {
    // `f64::max` ignores a NaN operand.
    (required - received).max(0.0)
}

/// Moves `amount` from `guarantor` to `beneficiary` and records it as a
/// guarantee transfer. Both indices are `< alloc.len()`.
fn transfer(b: usize, g: usize, amount: f64, alloc: &mut [f64], guarantee: &mut [f64]) {
    alloc[b] += amount;
    alloc[g] -= amount;
    if let Some(x) = guarantee.get_mut(b) {
        *x += amount;
    }
    if let Some(x) = guarantee.get_mut(g) {
        *x -= amount;
    }
}

/// Whether `x` is positive and finite (`x > 0.0 && x.is_finite()`), as two float
/// comparisons: the compiler turns that pair, and `x < f64::INFINITY` too, into a
/// dozen integer tests of the bits, and this runs several times a year for each
/// alternative.
#[inline]
fn positive_finite(x: f64) -> bool {
    x > 0.0 && x <= f64::MAX
}

/// Adds `pool · w_r / Σ w` to each `alloc[r]` (missing weights read as 0);
/// splits equally when the weights' sum is not positive and finite.
#[inline]
pub fn add_weighted(weights: &[f64], pool: f64, alloc: &mut [f64]) {
    let n = alloc.len();
    let total: f64 = weights.iter().take(n).sum();
    if positive_finite(total) {
        for (a, w) in alloc.iter_mut().zip(weights) {
            *a += pool * (w / total);
        }
    } else if n > 0 {
        let each = pool / n as f64;
        for a in alloc.iter_mut() {
            *a += each;
        }
    }
}

/// The name of region `r` for descriptions.
fn region_name(region_names: &[&str], r: usize) -> String {
    region_names
        .get(r)
        .map_or_else(|| format!("region {r}"), |id| (*id).to_string())
}

/// A number with at most two decimals and no trailing zeros.
fn fmt_num(x: f64) -> String {
    let s = format!("{x:.2}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOL: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * 1.0_f64.max(a.abs()).max(b.abs())
    }

    fn assert_all_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        assert!(
            got.iter().zip(want).all(|(g, w)| close(*g, *w)),
            "got {got:?}, want {want:?}"
        );
    }

    fn fixed(shares: &[f64]) -> Formula {
        Formula::Fixed {
            shares: shares.to_vec(),
        }
    }

    /// Runs `f` on zeroed buffers of length `n`, returns (alloc, guarantee).
    fn run(
        f: &Formula,
        k: u32,
        pool: f64,
        ctx: &ShareContext<'_>,
        n: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let mut alloc = vec![0.0; n];
        let mut guarantee = vec![0.0; n];
        f.allocate(k, pool, ctx, &mut alloc, &mut guarantee);
        (alloc, guarantee)
    }

    const EQ2: [f64; 2] = [0.6, 0.4];
    const ZERO2: [f64; 2] = [0.0, 0.0];

    fn ctx2<'a>(contrib: &'a [f64], invested: &'a [f64]) -> ShareContext<'a> {
        ShareContext {
            equity: &EQ2,
            cumulative_contributions: contrib,
            invested_capital: invested,
        }
    }

    #[test]
    fn fixed_splits_by_shares() {
        let (a, g) = run(&fixed(&[0.6, 0.4]), 1, 100.0, &ctx2(&ZERO2, &ZERO2), 2);
        assert_all_close(&a, &[60.0, 40.0]);
        assert_all_close(&g, &[0.0, 0.0]);
        let ctx3 = ShareContext {
            equity: &[0.2, 0.3, 0.5],
            cumulative_contributions: &[0.0; 3],
            invested_capital: &[0.0; 3],
        };
        let (a, _) = run(&fixed(&[0.5, 0.25, 0.25]), 4, 80.0, &ctx3, 3);
        assert_all_close(&a, &[40.0, 20.0, 20.0]);
    }

    #[test]
    fn allocate_adds_into_buffers() {
        let mut alloc = [1.0, 2.0];
        let mut guarantee = [0.5, -0.5];
        fixed(&[0.6, 0.4]).allocate(1, 100.0, &ctx2(&ZERO2, &ZERO2), &mut alloc, &mut guarantee);
        assert_all_close(&alloc, &[61.0, 42.0]);
        assert_all_close(&guarantee, &[0.5, -0.5]);
    }

    #[test]
    fn equity_splits_by_equity() {
        let (a, _) = run(&Formula::Equity, 1, 100.0, &ctx2(&[5.0, 1.0], &ZERO2), 2);
        assert_all_close(&a, &[60.0, 40.0]);
        let ctx3 = ShareContext {
            equity: &[0.2, 0.3, 0.5],
            cumulative_contributions: &[0.0; 3],
            invested_capital: &[0.0; 3],
        };
        let (a, _) = run(&Formula::Equity, 2, 1000.0, &ctx3, 3);
        assert_all_close(&a, &[200.0, 300.0, 500.0]);
    }

    #[test]
    fn contribution_splits_by_cumulative_contributions() {
        let (a, _) = run(
            &Formula::Contribution,
            1,
            100.0,
            &ctx2(&[30.0, 10.0], &ZERO2),
            2,
        );
        assert_all_close(&a, &[75.0, 25.0]);
    }

    #[test]
    fn contribution_falls_back_to_equity_when_nothing_contributed() {
        let (a, _) = run(&Formula::Contribution, 1, 100.0, &ctx2(&ZERO2, &ZERO2), 2);
        assert_all_close(&a, &[60.0, 40.0]);
    }

    fn schedule_7030_then_equity() -> Formula {
        Formula::Schedule {
            periods: vec![
                Period {
                    first: 1,
                    last: 5,
                    formula: fixed(&[0.7, 0.3]),
                },
                Period {
                    first: 6,
                    last: 10,
                    formula: Formula::Equity,
                },
            ],
        }
    }

    #[test]
    fn schedule_picks_period_and_extends_last() {
        let f = schedule_7030_then_equity();
        let ctx = ctx2(&ZERO2, &ZERO2);
        assert_all_close(&run(&f, 3, 100.0, &ctx, 2).0, &[70.0, 30.0]);
        assert_all_close(&run(&f, 5, 100.0, &ctx, 2).0, &[70.0, 30.0]);
        assert_all_close(&run(&f, 6, 100.0, &ctx, 2).0, &[60.0, 40.0]);
        assert_all_close(&run(&f, 7, 100.0, &ctx, 2).0, &[60.0, 40.0]);
        assert_all_close(&run(&f, 25, 100.0, &ctx, 2).0, &[60.0, 40.0]);
    }

    fn incremental() -> Formula {
        Formula::Incremental {
            owner: 1,
            base: 100.0,
            base_growth: 0.1,
            inner: Box::new(fixed(&[0.5, 0.5])),
        }
    }

    #[test]
    fn incremental_keeps_base_with_owner() {
        let f = incremental();
        let ctx = ctx2(&ZERO2, &ZERO2);
        // Pool below the base: all to the owner.
        assert_all_close(&run(&f, 1, 80.0, &ctx, 2).0, &[0.0, 80.0]);
        // Excess 50 split 25/25.
        assert_all_close(&run(&f, 1, 150.0, &ctx, 2).0, &[25.0, 125.0]);
        // k = 3: base 100 · 1.1² = 121, excess 79.
        assert_all_close(&run(&f, 3, 200.0, &ctx, 2).0, &[39.5, 160.5]);
        assert_all_close(&run(&f, 3, 121.0, &ctx, 2).0, &[0.0, 121.0]);
        assert!(close(base_at(100.0, 0.1, 3), 121.0));
    }

    #[test]
    fn tiered_splits_each_tranche() {
        let f = Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 50.0,
                    formula: fixed(&[1.0, 0.0]),
                },
                Tranche {
                    upper: 150.0,
                    formula: fixed(&[0.5, 0.5]),
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: fixed(&[0.2, 0.8]),
                },
            ],
        };
        let ctx = ctx2(&ZERO2, &ZERO2);
        // 50 → 50/0, 100 → 50/50, 50 → 10/40.
        assert_all_close(&run(&f, 1, 200.0, &ctx, 2).0, &[110.0, 90.0]);
        // Only the first two tranches are reached: 50/0 + 25/25.
        assert_all_close(&run(&f, 1, 100.0, &ctx, 2).0, &[75.0, 25.0]);
        assert_all_close(&run(&f, 1, 30.0, &ctx, 2).0, &[30.0, 0.0]);
    }

    fn guaranteed(inner: Formula) -> Formula {
        Formula::GuaranteedReturn {
            beneficiary: 0,
            guarantor: 1,
            rate: 0.1,
            inner: Box::new(inner),
            term: GuaranteeTerm::default(),
        }
    }

    #[test]
    fn guaranteed_return_tops_up_beneficiary() {
        let f = guaranteed(fixed(&[0.4, 0.6]));
        let ctx = ctx2(&ZERO2, &[1000.0, 0.0]);
        let (a, g) = run(&f, 1, 100.0, &ctx, 2);
        assert_all_close(&a, &[100.0, 0.0]);
        assert_all_close(&g, &[60.0, -60.0]);
    }

    #[test]
    fn guaranteed_return_no_transfer_when_inner_suffices() {
        let f = guaranteed(fixed(&[0.4, 0.6]));
        let ctx = ctx2(&ZERO2, &[1000.0, 0.0]);
        let (a, g) = run(&f, 1, 375.0, &ctx, 2);
        assert_all_close(&a, &[150.0, 225.0]);
        assert_all_close(&g, &[0.0, 0.0]);
    }

    #[test]
    fn guarantor_goes_negative_on_empty_pool() {
        let f = guaranteed(fixed(&[0.4, 0.6]));
        let ctx = ctx2(&ZERO2, &[1000.0, 0.0]);
        let (a, g) = run(&f, 1, 0.0, &ctx, 2);
        assert_all_close(&a, &[100.0, -100.0]);
        assert_all_close(&g, &[100.0, -100.0]);
    }

    #[test]
    fn guaranteed_return_self_guarantee_is_harmless() {
        let f = Formula::GuaranteedReturn {
            beneficiary: 0,
            guarantor: 0,
            rate: 0.1,
            inner: Box::new(fixed(&[0.4, 0.6])),
            term: GuaranteeTerm::default(),
        };
        let (a, g) = run(&f, 1, 100.0, &ctx2(&ZERO2, &[1000.0, 0.0]), 2);
        assert_all_close(&a, &[40.0, 60.0]);
        assert_all_close(&g, &[0.0, 0.0]);
    }

    #[test]
    fn guaranteed_return_three_regions_third_untouched() {
        let f = Formula::GuaranteedReturn {
            beneficiary: 2,
            guarantor: 0,
            rate: 0.1,
            inner: Box::new(Formula::Equity),
            term: GuaranteeTerm::default(),
        };
        let ctx = ShareContext {
            equity: &[0.5, 0.3, 0.2],
            cumulative_contributions: &[0.0; 3],
            invested_capital: &[0.0, 0.0, 500.0],
        };
        // Inner 100/60/40, required 50 → shortfall 10 from region 0.
        let (a, g) = run(&f, 1, 200.0, &ctx, 3);
        assert_all_close(&a, &[90.0, 60.0, 50.0]);
        assert_all_close(&g, &[-10.0, 0.0, 10.0]);
    }

    /// 消薄飞地: region 0 invests, region 1 pays a fixed 10% in years 2–5,
    /// repays the principal at the end of year 5 and takes the stake's income.
    fn xiaobao() -> Formula {
        Formula::GuaranteedReturn {
            beneficiary: 0,
            guarantor: 1,
            rate: 0.1,
            inner: Box::new(fixed(&[0.0, 1.0])),
            term: GuaranteeTerm {
                first_year: 2,
                last_year: Some(5),
                repay_principal: true,
                dividends: StakeIncome::Guarantor,
            },
        }
    }

    #[test]
    fn guarantee_runs_only_in_its_term() {
        let f = xiaobao();
        let ctx = ctx2(&ZERO2, &[1000.0, 0.0]);
        for (k, to_beneficiary) in [(1, 0.0), (2, 100.0), (5, 100.0), (6, 0.0)] {
            let (a, g) = run(&f, k, 30.0, &ctx, 2);
            assert_all_close(&a, &[to_beneficiary, 30.0 - to_beneficiary]);
            assert_all_close(&g, &[to_beneficiary, -to_beneficiary]);
        }
    }

    /// Contract flows of `f` in year `k` for a stake of 1000 invested, income
    /// 7 (beneficiary) and 3 (guarantor), calls 2 and 1.
    fn flows(f: &Formula, k: u32) -> Vec<f64> {
        let stake = Stake {
            invested_to_date: &[1000.0, 50.0],
            income: &[7.0, 3.0],
            calls: &[2.0, 1.0],
        };
        let mut out = vec![0.0; 2];
        f.contract_flows(k, &stake, &mut out);
        out
    }

    #[test]
    fn contract_flows_hand_over_income_and_repay_principal() {
        let f = xiaobao();
        // Year 1: before the term, the beneficiary keeps its income.
        assert_all_close(&flows(&f, 1), &[0.0, 0.0]);
        // Years 2–4: the income 7 goes to the guarantor.
        assert_all_close(&flows(&f, 3), &[-7.0, 7.0]);
        // Year 5: income handed over, principal 1000 repaid.
        assert_all_close(&flows(&f, 5), &[993.0, -993.0]);
        // After repayment the guarantor holds the stake: income 7 less the calls 2
        // it now pays.
        assert_all_close(&flows(&f, 9), &[-5.0, 5.0]);
        // Without repayment the stake's income returns to the beneficiary after
        // the term.
        let Formula::GuaranteedReturn {
            beneficiary,
            guarantor,
            rate,
            inner,
            term,
        } = xiaobao()
        else {
            unreachable!("xiaobao is a guaranteed return");
        };
        let unpaid = Formula::GuaranteedReturn {
            beneficiary,
            guarantor,
            rate,
            inner,
            term: GuaranteeTerm {
                repay_principal: false,
                ..term
            },
        };
        assert_all_close(&flows(&unpaid, 5), &[-7.0, 7.0]);
        assert_all_close(&flows(&unpaid, 6), &[0.0, 0.0]);
        // The default term and other kinds have no contract flows.
        assert_all_close(&flows(&guaranteed(Formula::Equity), 3), &[0.0, 0.0]);
        assert_all_close(&flows(&fixed(&[0.5, 0.5]), 3), &[0.0, 0.0]);
    }

    #[test]
    fn a_fixed_return_with_principal_is_a_bond() {
        // Invest 1000 at the end of year 1; 10% in years 2–5 and the principal
        // at the end of year 5: the flows of a 10% bond, whatever the pool.
        let f = xiaobao();
        let mut cash = vec![-1000.0];
        for (k, pool) in [(2, 0.0), (3, 40.0), (4, 400.0), (5, 10.0)] {
            let ctx = ctx2(&ZERO2, &[1000.0, 0.0]);
            let (a, _) = run(&f, k, pool, &ctx, 2);
            let stake = Stake {
                invested_to_date: &[1000.0, 0.0],
                income: &[0.0, 0.0],
                calls: &[0.0, 0.0],
            };
            let mut extra = vec![0.0; 2];
            f.contract_flows(k, &stake, &mut extra);
            cash.push(a[0] + extra[0]);
        }
        assert_all_close(&cash, &[-1000.0, 100.0, 100.0, 100.0, 1100.0]);
    }

    fn nested() -> Formula {
        guaranteed(Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 100.0,
                    formula: Formula::Schedule {
                        periods: vec![
                            Period {
                                first: 1,
                                last: 2,
                                formula: fixed(&[0.2, 0.8]),
                            },
                            Period {
                                first: 3,
                                last: 10,
                                formula: Formula::Equity,
                            },
                        ],
                    },
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: fixed(&[0.5, 0.5]),
                },
            ],
        })
    }

    #[test]
    fn nested_schedule_in_tiered_in_guaranteed_return() {
        let f = nested();
        // Required return 0.1 · 500 = 50.
        let ctx = ctx2(&ZERO2, &[500.0, 0.0]);
        // k = 1, P = 200: 20/80 + 50/50 = 70/130 ≥ 50, no transfer.
        let (a, g) = run(&f, 1, 200.0, &ctx, 2);
        assert_all_close(&a, &[70.0, 130.0]);
        assert_all_close(&g, &[0.0, 0.0]);
        // k = 1, P = 100: 20/80, shortfall 30.
        let (a, g) = run(&f, 1, 100.0, &ctx, 2);
        assert_all_close(&a, &[50.0, 50.0]);
        assert_all_close(&g, &[30.0, -30.0]);
        // k = 5, P = 100: equity 60/40, no transfer.
        let (a, g) = run(&f, 5, 100.0, &ctx, 2);
        assert_all_close(&a, &[60.0, 40.0]);
        assert_all_close(&g, &[0.0, 0.0]);
        // Guarantee still applies inside a nested empty tranche / pool.
        let (a, g) = run(&f, 5, 0.0, &ctx, 2);
        assert_all_close(&a, &[50.0, -50.0]);
        assert_all_close(&g, &[50.0, -50.0]);
    }

    #[test]
    fn guarantee_in_empty_tranche_still_applies() {
        let f = Formula::Tiered {
            tranches: vec![
                Tranche {
                    upper: 100.0,
                    formula: fixed(&[0.5, 0.5]),
                },
                Tranche {
                    upper: f64::INFINITY,
                    formula: guaranteed(fixed(&[0.5, 0.5])),
                },
            ],
        };
        let ctx = ctx2(&ZERO2, &[100.0, 0.0]);
        let (a, g) = run(&f, 1, 60.0, &ctx, 2);
        assert_all_close(&a, &[40.0, 20.0]);
        assert_all_close(&g, &[10.0, -10.0]);
    }

    #[test]
    fn shares_bounded_detects_guarantees() {
        assert!(fixed(&[0.5, 0.5]).shares_bounded());
        assert!(schedule_7030_then_equity().shares_bounded());
        assert!(incremental().shares_bounded());
        assert!(!nested().shares_bounded());
        let deep = Formula::Schedule {
            periods: vec![Period {
                first: 1,
                last: 3,
                formula: Formula::Incremental {
                    owner: 0,
                    base: 1.0,
                    base_growth: 0.0,
                    inner: Box::new(guaranteed(Formula::Equity)),
                },
            }],
        };
        assert!(!deep.shares_bounded());
    }

    #[test]
    fn describe_is_readable() {
        let ids = ["hz", "lishui"];
        assert_eq!(fixed(&[0.5, 0.5]).describe(&ids), "fixed 50/50");
        assert_eq!(fixed(&[0.675, 0.325]).describe(&ids), "fixed 67.5/32.5");
        assert_eq!(
            schedule_7030_then_equity().describe(&ids),
            "schedule (2 periods)"
        );
        assert_eq!(
            incremental().describe(&ids),
            "base 100 kept by lishui (growing 10%/yr), excess: fixed 50/50"
        );
        assert_eq!(
            nested().describe(&ids),
            "tiered (2 tranches) with 10% return on hz's capital guaranteed by lishui"
        );
        assert_eq!(
            Formula::Schedule { periods: vec![] }.describe(&[]),
            "schedule (0 periods)"
        );
        assert!(
            Formula::Incremental {
                owner: 5,
                base: 1.0,
                base_growth: 0.0,
                inner: Box::new(Formula::Contribution),
            }
            .describe(&ids)
            .contains("region 5")
        );
    }

    // ---------- property tests ----------

    /// Non-negative shares over `n` regions summing to 1.
    fn shares(n: usize) -> impl Strategy<Value = Vec<f64>> {
        (prop::collection::vec(0.0..1.0_f64, n), 0..n).prop_map(|(mut w, i)| {
            w[i] += 0.05;
            let total: f64 = w.iter().sum();
            w.iter_mut().for_each(|x| *x /= total);
            w
        })
    }

    fn leaf(n: usize) -> BoxedStrategy<Formula> {
        prop_oneof![
            shares(n).prop_map(|shares| Formula::Fixed { shares }),
            Just(Formula::Equity),
            Just(Formula::Contribution),
        ]
        .boxed()
    }

    /// Valid formulas over `n` regions of depth ≤ `depth` (0 = leaf).
    fn formula(n: usize, depth: u32) -> BoxedStrategy<Formula> {
        if depth == 0 {
            return leaf(n);
        }
        let inner = || formula(n, depth - 1);
        let schedule = prop::collection::vec((1u32..10, inner()), 1..4).prop_map(|parts| {
            let mut first = 1;
            let periods = parts
                .into_iter()
                .map(|(len, formula)| {
                    let last = first + len - 1;
                    let p = Period {
                        first,
                        last,
                        formula,
                    };
                    first = last + 1;
                    p
                })
                .collect();
            Formula::Schedule { periods }
        });
        let incremental = (0..n, 0.0..1e6_f64, -0.1..0.2_f64, inner()).prop_map(
            |(owner, base, base_growth, inner)| Formula::Incremental {
                owner,
                base,
                base_growth,
                inner: Box::new(inner),
            },
        );
        let tiered = prop::collection::vec((1.0..5e5_f64, inner()), 1..4).prop_map(|parts| {
            let count = parts.len();
            let mut upper = 0.0;
            let tranches = parts
                .into_iter()
                .enumerate()
                .map(|(j, (step, formula))| {
                    upper += step;
                    Tranche {
                        upper: if j + 1 == count { f64::INFINITY } else { upper },
                        formula,
                    }
                })
                .collect();
            Formula::Tiered { tranches }
        });
        prop_oneof![
            3 => leaf(n),
            1 => schedule,
            1 => incremental,
            1 => tiered,
            1 => guaranteed_return(n, depth - 1),
        ]
        .boxed()
    }

    /// A top-level guaranteed return with distinct regions over an inner
    /// formula of depth ≤ `inner_depth`.
    fn guaranteed_return(n: usize, inner_depth: u32) -> BoxedStrategy<Formula> {
        (
            (0..n, 1..n, 0.0..0.2_f64, formula(n, inner_depth)),
            guarantee_term(),
        )
            .prop_map(
                move |((beneficiary, offset, rate, inner), term)| Formula::GuaranteedReturn {
                    beneficiary,
                    guarantor: (beneficiary + offset) % n,
                    rate,
                    inner: Box::new(inner),
                    term,
                },
            )
            .boxed()
    }

    /// Valid terms: half the time the default, else a start, maybe an end
    /// with or without repayment, and either holder of the stake's income.
    fn guarantee_term() -> impl Strategy<Value = GuaranteeTerm> {
        let custom = (
            1u32..8,
            prop::option::of(0u32..10),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(first_year, length, repay, to_guarantor)| {
                let last_year = length.map(|l| first_year + l);
                let repay_principal = repay && last_year.is_some();
                GuaranteeTerm {
                    first_year,
                    last_year,
                    repay_principal,
                    dividends: if to_guarantor || repay_principal {
                        StakeIncome::Guarantor
                    } else {
                        StakeIncome::Beneficiary
                    },
                }
            });
        prop_oneof![Just(GuaranteeTerm::default()), custom]
    }

    #[derive(Debug, Clone)]
    struct Ctx {
        equity: Vec<f64>,
        contributions: Vec<f64>,
        invested: Vec<f64>,
    }

    impl Ctx {
        fn view(&self) -> ShareContext<'_> {
            ShareContext {
                equity: &self.equity,
                cumulative_contributions: &self.contributions,
                invested_capital: &self.invested,
            }
        }
    }

    fn context(n: usize) -> impl Strategy<Value = Ctx> {
        let contributions = prop_oneof![
            1 => Just(vec![0.0; n]),
            3 => prop::collection::vec(0.0..1e6_f64, n),
        ];
        (
            shares(n),
            contributions,
            prop::collection::vec(0.0..1e6_f64, n),
        )
            .prop_map(|(equity, contributions, invested)| Ctx {
                equity,
                contributions,
                invested,
            })
    }

    fn case(
        top: fn(usize) -> BoxedStrategy<Formula>,
    ) -> impl Strategy<Value = (usize, Formula, Ctx, f64, u32)> {
        (2usize..=MAX_REGIONS)
            .prop_flat_map(move |n| (Just(n), top(n), context(n), 0.0..1e6_f64, 1u32..40))
    }

    /// Tolerance scaled by the largest money amount in play.
    fn tol(pool: f64, ctx: &Ctx) -> f64 {
        let capital = ctx.invested.iter().copied().fold(0.0, f64::max);
        1e-9 * 1.0_f64.max(pool).max(capital)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn allocation_conserves_pool_and_respects_bounds(
            (n, f, ctx, pool, k) in case(|n| formula(n, 3))
        ) {
            let (alloc, guarantee) = run(&f, k, pool, &ctx.view(), n);
            let tol = tol(pool, &ctx);
            let total: f64 = alloc.iter().sum();
            prop_assert!((total - pool).abs() <= tol, "Σ alloc {} vs pool {}", total, pool);
            let net: f64 = guarantee.iter().sum();
            prop_assert!(net.abs() <= tol, "Σ guarantee {}", net);
            prop_assert!(alloc.iter().chain(&guarantee).all(|x| x.is_finite()));
            if f.shares_bounded() {
                prop_assert!(guarantee.iter().all(|g| g.abs() <= tol));
                for a in &alloc {
                    prop_assert!(*a >= -tol && *a <= pool + tol, "{} outside [0, {}]", a, pool);
                }
            }
        }

        #[test]
        fn contract_flows_only_move_money_between_regions(
            (n, f, ctx, _pool, k) in case(|n| guaranteed_return(n, 0)),
            income in prop::collection::vec(-1e5..1e6_f64, MAX_REGIONS),
            calls in prop::collection::vec(0.0..1e5_f64, MAX_REGIONS),
        ) {
            let stake = Stake {
                invested_to_date: &ctx.invested,
                income: &income[..n],
                calls: &calls[..n],
            };
            let mut flows = vec![0.0; n];
            f.contract_flows(k, &stake, &mut flows);
            prop_assert!(flows.iter().sum::<f64>().abs() <= 1e-9 * 1e6);
            let Formula::GuaranteedReturn { beneficiary, guarantor, .. } = &f else {
                unreachable!("strategy yields guaranteed returns only");
            };
            for (r, x) in flows.iter().enumerate() {
                prop_assert!(r == *beneficiary || r == *guarantor || *x == 0.0);
            }
        }

        #[test]
        fn guaranteed_return_meets_required_return(
            (n, f, ctx, pool, k) in case(|n| guaranteed_return(n, 2))
        ) {
            let (alloc, guarantee) = run(&f, k, pool, &ctx.view(), n);
            let tol = tol(pool, &ctx);
            let total: f64 = alloc.iter().sum();
            prop_assert!((total - pool).abs() <= tol);
            prop_assert!(guarantee.iter().sum::<f64>().abs() <= tol);
            let Formula::GuaranteedReturn { beneficiary, guarantor, rate, .. } = &f else {
                unreachable!("strategy yields guaranteed returns only");
            };
            let Formula::GuaranteedReturn { term, .. } = &f else {
                unreachable!("strategy yields guaranteed returns only");
            };
            if term.covers(k) {
                let required = rate * ctx.invested[*beneficiary];
                prop_assert!(alloc[*beneficiary] >= required - tol,
                    "beneficiary {} < required {}", alloc[*beneficiary], required);
            }
            // The top-level transfer never takes from the beneficiary.
            prop_assert!(beneficiary != guarantor);
        }
    }
}
