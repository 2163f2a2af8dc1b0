//! Turning a JSON input object into a typed input struct, with errors that name the field.
//!
//! serde's own `deny_unknown_fields` stops at the first unknown field and its type errors do not say
//! which field failed; callers (an LLM especially) fix their call faster when told exactly what is
//! wrong. So: unknown fields are collected up front against the struct's own field list (read from
//! its `Deserialize` impl, so it can never drift), and type errors carry their path.

use crate::ToolError;
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;

/// Parses `input` (an object; `null` counts as `{}`) into `T`.
pub fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ToolError> {
    let input = match input {
        Value::Null => Value::Object(Default::default()),
        Value::Object(m) => Value::Object(m),
        other => {
            return Err(ToolError::invalid(
                "input",
                format!("must be a JSON object, not {}", kind(&other)),
            ));
        }
    };
    if let (Value::Object(m), Some(fields)) = (&input, struct_fields::<T>()) {
        let unknown: Vec<String> = m.keys().filter(|k| !fields.contains(&k.as_str())).cloned().collect();
        if !unknown.is_empty() {
            return Err(ToolError::UnknownFields(unknown));
        }
    }
    serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path == "." || path.is_empty() {
            // "missing field `price`" and friends are raised at the root.
            between_backticks(&message).unwrap_or_else(|| "input".to_owned())
        } else {
            path
        };
        ToolError::Invalid {
            field,
            message: friendly(&message),
        }
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_owned())
}

/// serde's messages, reworded where a caller would otherwise be puzzled.
fn friendly(message: &str) -> String {
    if message.contains("expected a Decimal") {
        if message.starts_with("invalid type: string") {
            return "must be a decimal number written as a string, e.g. \"27900.00\"".to_owned();
        }
        return "money and rates are decimal strings (e.g. \"27900.00\"), not JSON numbers".to_owned();
    }
    message.to_owned()
}

/// The field names `T`'s derived `Deserialize` expects, or `None` if `T` is not a plain struct.
pub fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut fields = None;
    let _ = T::deserialize(FieldSpy(&mut fields));
    fields
}

/// A deserializer that only records the field list handed to `deserialize_struct`, then stops.
struct FieldSpy<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stop")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for FieldSpy<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        a: u32,
        #[serde(default)]
        b: Option<rust_decimal::Decimal>,
    }

    #[test]
    fn reads_field_names_from_the_derive() {
        assert_eq!(struct_fields::<Probe>(), Some(&["a", "b"][..]));
        assert_eq!(struct_fields::<u32>(), None);
    }

    #[test]
    fn names_the_failing_field() {
        let e = parse::<Probe>(serde_json::json!({"a": 1, "b": 2.5})).unwrap_err();
        assert!(
            matches!(e, ToolError::Invalid { ref field, .. } if field == "b"),
            "{e:?}"
        );
        let e = parse::<Probe>(serde_json::json!({"a": -1})).unwrap_err();
        assert!(
            matches!(e, ToolError::Invalid { ref field, .. } if field == "a"),
            "{e:?}"
        );
        let e = parse::<Probe>(serde_json::json!({"a": 1, "b": "abc"})).unwrap_err();
        assert!(
            matches!(e, ToolError::Invalid { ref field, .. } if field == "b"),
            "{e:?}"
        );
        let e = parse::<Probe>(serde_json::json!("x")).unwrap_err();
        assert!(
            matches!(e, ToolError::Invalid { ref field, .. } if field == "input"),
            "{e:?}"
        );
    }
}

/// `condition` read case-insensitively ("Used", "CPO"), with the accepted values in the error.
pub mod condition {
    use dossier_core::Condition;
    use serde::{Deserialize, Deserializer, de};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Condition, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// Optional `condition`; `null` and `""` mean "any".
pub mod condition_opt {
    use dossier_core::Condition;
    use serde::{Deserialize, Deserializer, de};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Condition>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => s.parse().map(Some).map_err(de::Error::custom),
        }
    }
}
