//! Identifiers. Each has one constructor, `parse`, so an invalid id cannot exist past the edge.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
    #[error("{kind} `{value}` has a character outside {allowed}")]
    BadChar {
        kind: &'static str,
        value: String,
        allowed: &'static str,
    },
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr, $allowed:literal, $ok:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses and validates the identifier.
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value: String = value.into();
                if value.is_empty() {
                    return Err(IdError::Empty { kind: $kind });
                }
                if value.chars().count() > $max {
                    return Err(IdError::TooLong { kind: $kind, max: $max });
                }
                let ok: fn(char) -> bool = $ok;
                if !value.chars().all(ok) {
                    return Err(IdError::BadChar { kind: $kind, value, allowed: $allowed });
                }
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(s).map_err(serde::de::Error::custom)
            }
        }

        /// A string of at most `$max` characters (OpenAPI).
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .description(Some(concat!("A ", $kind, ": ", $allowed)))
                    .build()
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A company (tenant) slug: lowercase ASCII letters, digits, `-` and `_`. It is part of Redis keys
    /// and URLs, so it may not hold `{`, `}`, `:` or spaces.
    CompanyId,
    "company id",
    64,
    "a-z, 0-9, '-', '_'",
    |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
);

id_type!(
    /// A customer: the WhatsApp `wa_id` (E.164 digits without `+`) or, where WhatsApp gives none,
    /// the business-scoped user id (`US.13491208655302741918`). Part of Redis keys, so no braces.
    ContactId,
    "contact id",
    140,
    "letters, digits, '.', '-', '_'",
    |c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'
);

id_type!(
    /// A message id: a WhatsApp `wamid.…` or the id an inbox gave. Opaque; printable ASCII only.
    MessageId,
    "message id",
    256,
    "printable ASCII",
    |c| c.is_ascii_graphic()
);

impl ContactId {
    /// True when this is a phone-number id (all digits), false for a business-scoped user id.
    pub fn is_phone(&self) -> bool {
        self.0.chars().all(|c| c.is_ascii_digit())
    }

    /// The id with all but the last four characters masked, for info-level logs.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks all but the last four characters (`*******5678`), for logs at info level.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_ids() {
        assert!(CompanyId::parse("demo-motors").is_ok());
        assert!(CompanyId::parse("").is_err());
        assert!(CompanyId::parse("Demo").is_err());
        assert!(CompanyId::parse("a{b}").is_err());
        assert!(CompanyId::parse("a".repeat(65)).is_err());
    }

    #[test]
    fn contact_ids() {
        assert!(ContactId::parse("5215512345678").unwrap().is_phone());
        assert!(!ContactId::parse("US.13491208655302741918").unwrap().is_phone());
        assert!(ContactId::parse("55 12").is_err());
        assert!(ContactId::parse("{x}").is_err());
        assert_eq!(ContactId::parse("5215512345678").unwrap().masked(), "*********5678");
    }
}
