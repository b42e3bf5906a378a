//! The languages of what a person reads: report.html, chart text and the terminal
//! summary, in English and Chinese.
//!
//! Every string a reader sees lives in one file per language (`en.toml`,
//! `zh.toml`, in this folder), under a key such as `chart.fan.title`, with named
//! placeholders (`{unit}`) filled by [`Texts::f`]. Adding a language is one file
//! and one line in [`Lang`]. Tests check that every language has every key of
//! English with the same placeholders, that every key the code asks for exists,
//! and that the bundled chart font has every character of the Chinese file.
//!
//! The Chinese uses the terms of Chinese fiscal practice: 净现值 (NPV), 税收分成
//! (tax sharing), 地方留成 (local retained taxes), 省级分成 (the provincial take),
//! 先征后返 (rebates), 亩均税收 (tax per mu).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::OnceLock;

pub mod inputs;

/// A language of the reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language, in the order `--lang` lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// Its code, as `--lang` and `[scenario] lang` take it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Its BCP 47 tag for HTML's `lang` attribute.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("en.toml"),
            Lang::Zh => include_str!("zh.toml"),
        }
    }

    /// Its strings.
    pub fn texts(self) -> &'static Texts {
        static TEXTS: [OnceLock<Texts>; 2] = [OnceLock::new(), OnceLock::new()];
        let i = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        // A bundled file that does not parse gives no strings; a test parses each.
        TEXTS[i].get_or_init(|| Texts::parse(self.source()).unwrap_or_default())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| {
                format!(
                    "unknown language `{s}`, expected one of {}",
                    Lang::ALL.map(|l| format!("`{}`", l.code())).join(", ")
                )
            })
    }
}

impl Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The strings of one language, by key.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    map: BTreeMap<String, String>,
}

impl Texts {
    /// Parses a strings file: TOML tables of strings, keys joined with dots.
    ///
    /// # Errors
    /// If the text is not TOML.
    pub fn parse(text: &str) -> Result<Texts, toml::de::Error> {
        let table = text.parse::<toml::Table>()?;
        let mut map = BTreeMap::new();
        flatten("", &table, &mut map);
        Ok(Texts { map })
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The string of `key`: this language's, else English's, else the key itself
    /// (tests keep every language complete, so the fallbacks are for safety).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.map
            .get(key)
            .or_else(|| Lang::En.texts().map.get(key))
            .map_or(key, String::as_str)
    }

    /// The string of `key` in this language, else English's; `None` when
    /// neither has it (for keys made from data, such as an input's path).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map
            .get(key)
            .or_else(|| Lang::En.texts().map.get(key))
            .map(String::as_str)
    }

    /// The string of `key` with each `{name}` replaced by its value in `args`.
    pub fn f(&self, key: &str, args: &[(&str, &dyn Display)]) -> String {
        fill(self.t(key), args)
    }
}

/// `template` with each `{name}` of `args` replaced by its value.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The `{name}` placeholders of `template`, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, map: &mut BTreeMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                map.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, map),
            _ => {}
        }
    }
}

/// What count measure `metric` (its schema name: `firms_final`, `jobs`)
/// counts, as the unit of its column in `lang` (`count.*`: firms, jobs; 家,
/// 人); `None` for a measure that is not listed there.
pub fn count_unit(lang: Lang, metric: &str) -> Option<&'static str> {
    lang.texts().get(&format!("count.{metric}"))
}

/// The money unit as a reader of `lang` expects it: Chinese names for the usual
/// yuan multiples, else the scenario's own label.
pub fn money_unit(lang: Lang, unit: &str, yuan_per_unit: f64) -> String {
    match lang {
        Lang::Zh => crate::scenario::units::chinese_of(yuan_per_unit).map(str::to_owned),
        Lang::En => None,
    }
    .unwrap_or_else(|| unit.to_owned())
}

/// The money unit and its price base as a reader of `lang` expects them, e.g.
/// `million CNY, 2026 prices` or `百万元，当年价格` (`chart.unit.money`,
/// `chart.unit.money_nominal`): what reports, charts and the terminal name
/// beside money.
pub fn money_label(lang: Lang, basis: &crate::scenario::units::MoneyBasis) -> String {
    let unit = money_unit(lang, &basis.unit, basis.yuan_per_unit);
    priced(lang, &unit, basis.prices)
}

/// `unit` (a money unit as [`money_unit`] gives it, or one made from it such as
/// a unit per mu) with the price base `prices`, in `lang`.
pub fn priced(lang: Lang, unit: &str, prices: crate::scenario::units::PriceBase) -> String {
    use crate::scenario::units::PriceBase;
    let tx = lang.texts();
    match prices {
        PriceBase::Constant(year) => tx.f("chart.unit.money", &[("unit", &unit), ("year", &year)]),
        PriceBase::Current => tx.f("chart.unit.money_nominal", &[("unit", &unit)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// run.json records the methods in English; a report in another language
    /// shows them in its words only where the record is the English file's own text
    /// ([`crate::output::RunRecord::methods_in`]), so the two must not drift.
    #[test]
    fn the_english_texts_of_the_methods_are_what_run_json_records() {
        let en = Lang::En.texts();
        assert_eq!(en.t("record.prng"), crate::engine::PRNG_NAME);
        assert_eq!(en.t("record.quantiles"), crate::output::QUANTILE_METHOD);
    }

    #[test]
    fn every_bundled_file_parses_and_has_every_key_of_english_with_its_placeholders() {
        let en = Lang::En.texts();
        for lang in Lang::ALL {
            if let Err(e) = Texts::parse(lang.source()) {
                panic!("{lang}.toml: {e}");
            }
            let texts = lang.texts();
            let keys: BTreeSet<&str> = texts.keys().collect();
            let en_keys: BTreeSet<&str> = en.keys().collect();
            assert_eq!(keys, en_keys, "{lang}: keys differ from en.toml");
            for key in en.keys() {
                let mut want = placeholders(en.t(key));
                let mut got = placeholders(texts.t(key));
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "{lang}: placeholders of {key}");
            }
        }
    }

    #[test]
    fn every_key_the_code_asks_for_exists() {
        // Keys are string literals passed to `t(` or `f(` (of a `Texts`), or
        // named in a `key: "…"` field; all start with a section of en.toml.
        let en = Lang::En.texts();
        let sections: BTreeSet<&str> = en.keys().filter_map(|k| k.split('.').next()).collect();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(root)];
        let mut asked = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let code = std::fs::read_to_string(&path).expect("read");
                for call in [".t(\"", ".f(\"", "tr(\"", "trf(\""] {
                    for (i, _) in code.match_indices(call) {
                        let rest = &code[i + call.len()..];
                        let key = &rest[..rest.find('"').unwrap_or(0)];
                        if sections.iter().any(|s| key.starts_with(&format!("{s}."))) {
                            asked += 1;
                            assert!(
                                en.map.contains_key(key),
                                "{}: key {key:?} is not in en.toml",
                                path.display()
                            );
                        }
                    }
                }
            }
        }
        assert!(asked > 20, "{asked} keys found in the code");
    }

    #[test]
    fn every_measure_shown_has_its_name_and_text_and_english_is_the_schema() {
        use crate::schema::{AltMetric, MeasureDef, ParkMetric, RegionMetric};
        // The measures the set page and summary.xlsx name, with their group.
        let shown: Vec<(&str, &MeasureDef)> = crate::output::SET_REGION_METRICS
            .iter()
            .map(|m| ("region", m.def()))
            .chain(crate::xlsx::COMPARED.iter().map(|m| ("region", m.def())))
            .chain(AltMetric::ALL.iter().map(|m| ("alt", m.def())))
            .chain(ParkMetric::ALL.iter().map(|m| ("park", m.def())))
            .collect();
        let en = Lang::En.texts();
        for (kind, def) in shown {
            let key = |what: &str| format!("measure.{kind}.{}.{what}", def.name);
            assert!(en.map.contains_key(&key("name")), "no {}", key("name"));
            assert_eq!(en.t(&key("name")), def.name, "{}", key("name"));
            assert_eq!(en.t(&key("text")), def.description, "{}", key("text"));
        }
        // No stale entries: every measure key names a measure of the schema.
        for key in en.keys().filter(|k| k.starts_with("measure.")) {
            let parts: Vec<&str> = key.split('.').collect();
            let known = match parts[1] {
                "region" => RegionMetric::from_name(parts[2]).is_some(),
                "alt" => AltMetric::from_name(parts[2]).is_some(),
                "park" => ParkMetric::from_name(parts[2]).is_some(),
                _ => false,
            };
            assert!(known, "{key} names no measure");
        }
    }

    /// Every count measure has what it counts in every language (the Chinese
    /// workbook gave 个数 for firms and jobs alike: exploratory test), and every
    /// `count.*` key names a count measure.
    #[test]
    fn every_count_says_what_it_counts() {
        use crate::schema::{AltMetric, ParkMetric, ParkSeries, RegionMetric, RegionSeries, Unit};
        let defs = ParkMetric::ALL
            .iter()
            .map(|m| m.def())
            .chain(ParkSeries::ALL.iter().map(|m| m.def()))
            .chain(RegionMetric::ALL.iter().map(|m| m.def()))
            .chain(RegionSeries::ALL.iter().map(|m| m.def()))
            .chain(AltMetric::ALL.iter().map(|m| m.def()));
        let counts: BTreeSet<&str> = defs
            .filter(|d| d.unit == Unit::Count)
            .map(|d| d.name)
            .collect();
        for lang in Lang::ALL {
            for name in &counts {
                assert!(count_unit(lang, name).is_some(), "{lang}: {name}");
            }
        }
        assert_eq!(count_unit(Lang::Zh, "firms_final"), Some("家"));
        assert_eq!(count_unit(Lang::Zh, "jobs_final"), Some("人"));
        for key in Lang::En.texts().keys() {
            if let Some(name) = key.strip_prefix("count.") {
                assert!(counts.contains(name), "{key} names no count measure");
            }
        }
    }

    /// In Chinese a simulated path (English's "future") is 路径, never 情景,
    /// which is the scenario: a planner read "仅在 4.5% 的情景中" as "in 4.5%
    /// of the scenarios" (exploratory test). Checked on every string whose
    /// English speaks of futures and of no scenario.
    #[test]
    fn a_chinese_path_is_never_a_scenario() {
        let (en, zh) = (Lang::En.texts(), Lang::Zh.texts());
        for key in en.keys() {
            let english = en.t(key).to_lowercase();
            if english.contains("future") && !english.contains("scenario") {
                assert!(!zh.t(key).contains("情景"), "{key}: {}", zh.t(key));
            }
        }
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            fill("{a} and {b}, {a}", &[("a", &1), ("b", &"two")]),
            "1 and two, 1"
        );
        assert_eq!(placeholders("x {a} y {bb} z"), vec!["a", "bb"]);
        assert_eq!("zh".parse::<Lang>(), Ok(Lang::Zh));
        assert!("fr".parse::<Lang>().unwrap_err().contains("`en`, `zh`"));
        assert_eq!(money_unit(Lang::Zh, "million CNY", 1e6), "百万元");
        assert_eq!(money_unit(Lang::En, "million CNY", 1e6), "million CNY");
        assert_eq!(money_unit(Lang::Zh, "thousand USD", 7e3), "thousand USD");
    }
}
