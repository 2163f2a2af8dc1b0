//! Money. Amounts are `rust_decimal::Decimal` (exact; the `serde-str` feature makes them read and
//! write as JSON strings only, so a float can never slip in). Currencies are ISO 4217 codes.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// An ISO 4217 currency code: three uppercase ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency([u8; 3]);

/// An ISO 4217 code, three capital letters (OpenAPI).
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code"))
            .build()
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(code: &str) -> Result<Self, String> {
        let up = code.trim().to_ascii_uppercase();
        let b = up.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(format!("`{code}` is not an ISO 4217 currency code"))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII uppercase letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Formats an amount for people: thousands separators, no trailing `.00` on whole amounts.
pub fn format_amount(amount: rust_decimal::Decimal) -> String {
    let rounded = amount.round_dp(2);
    let s = if rounded.fract().is_zero() {
        rounded.trunc().to_string()
    } else {
        format!("{rounded:.2}")
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (s.clone(), None),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d.to_owned()),
        None => ("", int),
    };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        let c: Currency = serde_json::from_str("\"BRL\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"BRL\"");
    }

    #[test]
    fn formats_amounts() {
        assert_eq!(format_amount(Decimal::from_str("23900").unwrap()), "23,900");
        assert_eq!(format_amount(Decimal::from_str("393.1").unwrap()), "393.10");
        assert_eq!(format_amount(Decimal::from_str("1234567.891").unwrap()), "1,234,567.89");
        assert_eq!(format_amount(Decimal::from_str("-950").unwrap()), "-950");
    }
}
