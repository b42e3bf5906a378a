//! The money unit: what `scenario.money_unit` and `scenario.yuan_per_unit` name,
//! read together so that the label a report prints and the yuan the engine
//! converts by are one unit.

/// Names of the usual yuan multiples, by how many yuan the unit is: compared
/// without case and with runs of spaces as one. The first is the English label
/// given when only `yuan_per_unit` is written, the second the Chinese one.
const KNOWN: &[(f64, &[&str])] = &[
    (1.0, &["yuan", "元", "cny", "rmb", "人民币元"]),
    (
        1e3,
        &[
            "thousand CNY",
            "千元",
            "thousand yuan",
            "thousand rmb",
            "cny thousand",
        ],
    ),
    (
        1e4,
        &[
            "10,000 CNY",
            "万元",
            "10,000 yuan",
            "10000 yuan",
            "10000 cny",
            "ten thousand yuan",
            "ten thousand cny",
            "10 thousand yuan",
            "10k yuan",
            "10k cny",
            "wan yuan",
        ],
    ),
    (
        1e6,
        &[
            "million CNY",
            "百万元",
            "million yuan",
            "million rmb",
            "cny million",
            "rmb million",
            "yuan million",
            "cny mn",
            "mn cny",
            "cny m",
            "m cny",
        ],
    ),
    (
        1e8,
        &[
            "100 million CNY",
            "亿元",
            "100 million yuan",
            "hundred million yuan",
            "hundred million cny",
        ],
    ),
    (
        1e9,
        &[
            "billion CNY",
            "十亿元",
            "billion yuan",
            "cny billion",
            "cny bn",
            "bn cny",
        ],
    ),
];

/// The money unit when the file names neither.
pub const DEFAULT_LABEL: &str = "million CNY";
/// Yuan per unit when the file names neither.
pub const DEFAULT_YUAN: f64 = 1e6;

/// How many yuan the unit `label` is, if it is one of the usual names.
pub fn yuan_of(label: &str) -> Option<f64> {
    let key = label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    KNOWN
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.to_lowercase() == key))
        .map(|&(yuan, _)| yuan)
}

/// The English label of a unit of `yuan` yuan: a usual name, else "units of
/// N yuan".
pub fn label_of(yuan: f64) -> String {
    KNOWN.iter().find(|&&(y, _)| same(y, yuan)).map_or_else(
        || format!("units of {yuan} yuan"),
        |(_, names)| names[0].to_owned(),
    )
}

/// The Chinese name of a unit of `yuan` yuan (元, 千元, 万元, 百万元, 亿元, 十亿元).
pub fn chinese_of(yuan: f64) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|&&(y, _)| same(y, yuan))
        .map(|(_, names)| names[1])
}

/// Whether two yuan amounts are the same unit (to rounding).
pub fn same(a: f64, b: f64) -> bool {
    (a / b - 1.0).abs() < 1e-9
}

/// The prices money amounts are in: constant prices of a year (the start
/// year's, `[simulation] prices = "real"`) or current prices (docs/model.md §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceBase {
    /// Constant prices of this calendar year.
    Constant(i32),
    /// Current prices, year by year.
    Current,
}

/// As a set's `runs.csv` writes it: the year of constant prices, or `current`.
impl std::fmt::Display for PriceBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceBase::Constant(year) => write!(f, "{year}"),
            PriceBase::Current => f.write_str("current"),
        }
    }
}

impl std::str::FromStr for PriceBase {
    type Err = String;

    fn from_str(s: &str) -> Result<PriceBase, String> {
        match s.trim() {
            "current" => Ok(PriceBase::Current),
            year => year
                .parse()
                .map(PriceBase::Constant)
                .map_err(|_| format!("`{s}` is neither a year of constant prices nor `current`")),
        }
    }
}

/// How a scenario counts money: its unit (the label as the file gives it, and
/// its yuan) and the prices amounts are in. A report names it beside every
/// amount ([`crate::i18n::money_label`]); two scenarios' amounts compare
/// directly only when they share it ([`MoneyBasis::key`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MoneyBasis {
    /// The label of the money unit (`scenario.money_unit`).
    pub unit: String,
    /// Yuan per money unit (`scenario.yuan_per_unit`).
    pub yuan_per_unit: f64,
    /// The price base.
    pub prices: PriceBase,
}

impl MoneyBasis {
    /// What amounts in two bases must share to compare directly: the unit, by
    /// its yuan whatever its label, and the price base. Equal keys, one basis.
    pub fn key(&self) -> (u64, PriceBase) {
        // + 0.0 makes −0 and 0 one value.
        ((self.yuan_per_unit + 0.0).to_bits(), self.prices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_names_read_as_their_yuan_whatever_the_case_and_spacing() {
        assert_eq!(yuan_of("万元"), Some(1e4));
        assert_eq!(yuan_of("Million  CNY"), Some(1e6));
        assert_eq!(yuan_of(" 亿元 "), Some(1e8));
        assert_eq!(yuan_of("yuan"), Some(1.0));
        assert_eq!(yuan_of("million USD"), None);
        assert_eq!(label_of(1e6), "million CNY");
        assert_eq!(label_of(1e4), "10,000 CNY");
        assert_eq!(label_of(5000.0), "units of 5000 yuan");
        assert_eq!(chinese_of(1e6), Some("百万元"));
        assert_eq!(chinese_of(5000.0), None);
        // Every name is read back as its own unit, and no name is listed twice.
        let mut seen = std::collections::BTreeSet::new();
        for &(yuan, names) in KNOWN {
            for n in names {
                assert_eq!(yuan_of(n), Some(yuan), "{n}");
                assert!(seen.insert(n.to_lowercase()), "{n} twice");
            }
        }
    }

    #[test]
    fn a_price_base_reads_back_as_written() {
        for base in [PriceBase::Constant(2026), PriceBase::Current] {
            assert_eq!(base.to_string().parse::<PriceBase>(), Ok(base));
        }
        assert_eq!("2006".parse::<PriceBase>(), Ok(PriceBase::Constant(2006)));
        assert!("nominal".parse::<PriceBase>().is_err());
        let basis = |unit: &str, yuan, prices| MoneyBasis {
            unit: unit.to_owned(),
            yuan_per_unit: yuan,
            prices,
        };
        let million = basis("million CNY", 1e6, PriceBase::Constant(2026)).key();
        assert_eq!(
            million,
            basis("百万元", 1e6, PriceBase::Constant(2026)).key()
        );
        for other in [
            basis("million CNY", 1e6, PriceBase::Constant(2006)),
            basis("million CNY", 1e6, PriceBase::Current),
            basis("万元", 1e4, PriceBase::Constant(2026)),
        ] {
            assert_ne!(million, other.key(), "{other:?}");
        }
    }
}
