//! A TOML value read as the file's types, but without taking an array where a
//! table goes.
//!
//! serde reads a struct from a sequence too, field by field in declaration
//! order, and toml's own deserializer offers every array as one: `effects =
//! [1.2]` was read as `{ attractiveness = 1.2 }`, `effects = []` as no effects,
//! and `delivery = ["a"]` was refused as "invalid length 3, expected struct
//! DeliveryFile with 4 elements" (exploratory test). [`Strict`] reads a
//! value as toml does in every other respect, and refuses an array where a
//! struct (a table of the file) goes: `invalid type: sequence, expected struct
//! EffectsFile`, which the reading stage says in the file's words. A formula's
//! table is read through it too ([`super::file::FormulaFile`]).
//!
//! An enum of strings (`role = "host"`) takes a string only: a table or array
//! there is refused as any other value that is not a string (toml read a table
//! of one key as a variant with data, which no enum of the file has).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// A TOML value to deserialize from, refusing an array where a table goes.
pub struct Strict(pub toml::Value);

type Error = toml::de::Error;

impl<'de> de::Deserializer<'de> for Strict {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            toml::Value::Array(items) => {
                let len = items.len();
                let mut seq = Seq(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                // As toml: an array longer than what read it (a pair of three).
                if seq.0.len() == 0 {
                    Ok(value)
                } else {
                    Err(de::Error::invalid_length(len, &"fewer elements in array"))
                }
            }
            toml::Value::Table(table) => {
                let len = table.len();
                let mut map = Map {
                    entries: table.into_iter(),
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                if map.entries.len() == 0 {
                    Ok(value)
                } else {
                    Err(de::Error::invalid_length(len, &"fewer elements in map"))
                }
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            toml::Value::Array(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor)),
            table @ toml::Value::Table(_) => Strict(table).deserialize_any(visitor),
            // A date or a scalar: as toml reads it.
            other => other.deserialize_struct(name, fields, visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            s @ toml::Value::String(_) => s.deserialize_enum(name, variants, visitor),
            // toml's words for any other value, which the reading stage puts as
            // `expected one of … (a string), found …`.
            _ => Err(de::Error::invalid_type(
                de::Unexpected::UnitVariant,
                &"string only",
            )),
        }
    }

    // `None` is a missing field: a value that is there is `Some`, as in toml.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128 f32 f64 char str string unit seq
        bytes byte_buf map unit_struct tuple_struct tuple ignored_any identifier
    }
}

/// An array's values, each read strictly.
struct Seq(std::vec::IntoIter<toml::Value>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|value| seed.deserialize(Strict(value)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A table's entries, each value read strictly.
struct Map {
    entries: <toml::Table as IntoIterator>::IntoIter,
    value: Option<toml::Value>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(toml::Value::String(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: f64,
        #[serde(default)]
        b: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        pair: Option<[i64; 2]>,
        shares: Option<std::collections::BTreeMap<String, f64>>,
    }

    fn read(text: &str) -> Result<Outer, String> {
        let table: toml::Table = text.parse().expect("TOML");
        Outer::deserialize(Strict(toml::Value::Table(table))).map_err(|e| e.message().to_owned())
    }

    /// An array where a table goes is refused (serde read it field by field:
    /// `[1.2]` as `{ a = 1.2 }`); tables, arrays of tables, pairs and maps
    /// read as toml reads them.
    #[test]
    fn an_array_where_a_table_goes_is_refused() {
        assert_eq!(
            read("inner = [1.2]"),
            Err("invalid type: sequence, expected struct Inner".to_owned())
        );
        assert_eq!(
            read("inner = []"),
            Err("invalid type: sequence, expected struct Inner".to_owned())
        );
        assert_eq!(
            read("list = [[1.2]]"),
            Err("invalid type: sequence, expected struct Inner".to_owned())
        );
        let ok = read(
            "inner = { a = 1.5, b = \"x\" }\nlist = [{ a = 2 }]\npair = [2, 3]\nshares = { x = 0.5 }",
        )
        .expect("reads");
        assert_eq!(
            ok,
            Outer {
                inner: Some(Inner {
                    a: 1.5,
                    b: Some("x".to_owned())
                }),
                list: Some(vec![Inner { a: 2.0, b: None }]),
                pair: Some([2, 3]),
                shares: Some([("x".to_owned(), 0.5)].into()),
            }
        );
        assert_eq!(
            read("pair = [1, 2, 3]"),
            Err("invalid length 3, expected fewer elements in array".to_owned())
        );
        assert_eq!(
            read("shares = [0.5]"),
            Err("invalid type: sequence, expected a map".to_owned())
        );
    }
}
