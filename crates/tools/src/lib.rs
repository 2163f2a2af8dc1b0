//! Business tools of dossier: catalog search, lowest price, loan payment, rate lookup, incentive
//! programs — and the operational facts they add to a customer profile.
//!
//! One entry point, [`Tools::call`], serves the HTTP API, the command line and LLM tool calling,
//! so every surface validates and answers identically (docs/tools.md). Inputs are typed structs
//! with `deny_unknown_fields`; money is a decimal string in and out, never a float.
//!
//! # Layout
//! - [`search`]: the catalog index, `inventory_search` and `lowest_price`.
//! - [`finance`]: `finance_payment` (amortization, half-up cents).
//! - [`rates`]: the per-company rate table and `finance_rate`.
//! - [`programs`]: the per-company incentive book and `recommend_programs`.
//! - [`facts`]: [`Tools::profile_facts`], tool facts for a profile's leading interest.
//! - [`schema`]: [`definitions`], JSON Schemas for LLM tool calling.

mod book;
pub mod facts;
pub mod finance;
pub mod input;
pub mod programs;
pub mod rates;
pub mod schema;
pub mod search;

use dossier_core::profile::ToolFact;
use dossier_core::{Catalog, Profile};
use std::sync::Arc;

pub use programs::{ProgramBook, ProgramsError};
pub use rates::{RateTable, RatesError};
pub use schema::{ToolDefinition, definitions};

/// The tools, in the order they are offered to an LLM.
pub const TOOL_NAMES: [&str; 5] = [
    "inventory_search",
    "lowest_price",
    "finance_payment",
    "finance_rate",
    "recommend_programs",
];

/// Why a tool call was refused. Every variant is the caller's fault (HTTP 4xx / exit 2); the tools
/// never fail on their own data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error(
        "unknown tool `{0}` (tools: inventory_search, lowest_price, finance_payment, finance_rate, recommend_programs)"
    )]
    UnknownTool(String),
    /// A field is missing, has the wrong type or an unacceptable value (422 naming the field).
    #[error("`{field}`: {message}")]
    Invalid { field: String, message: String },
    /// Fields the tool does not know, all of them (not only the first).
    #[error("unknown field(s): {}", .0.join(", "))]
    UnknownFields(Vec<String>),
    /// `recommend_programs` was given a `contact` but the caller passed no stored profile.
    #[error("this call needs the contact's stored profile, and none was given")]
    NeedsProfile,
}

impl ToolError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ToolError {
        ToolError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

struct Inner {
    catalog: Catalog,
    index: search::SearchIndex,
    rates: RateTable,
    programs: ProgramBook,
}

/// The five tools over one company's catalog, rate table and program book. Cheap to clone (one
/// `Arc`); the search index is built once in [`Tools::new`].
#[derive(Clone)]
pub struct Tools {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tools")
            .field("vehicles", &self.inner.catalog.vehicles.len())
            .field("rate_rows", &self.inner.rates.rows.len())
            .field("programs", &self.inner.programs.programs.len())
            .finish()
    }
}

impl Tools {
    pub fn new(catalog: Catalog, rates: RateTable, programs: ProgramBook) -> Tools {
        let index = search::SearchIndex::build(&catalog);
        Tools {
            inner: Arc::new(Inner {
                catalog,
                index,
                rates,
                programs,
            }),
        }
    }

    /// Runs one tool. `profile` is only read by `recommend_programs` called with `{contact}`.
    pub fn call(
        &self,
        tool: &str,
        input: serde_json::Value,
        profile: Option<&Profile>,
    ) -> Result<serde_json::Value, ToolError> {
        let out = match tool {
            "inventory_search" => to_json(self.inventory_search(&input::parse(input)?)?),
            "lowest_price" => to_json(self.lowest_price(&input::parse(input)?)?),
            "finance_payment" => to_json(finance::payment(&input::parse(input)?)?),
            "finance_rate" => to_json(self.inner.rates.lookup(&input::parse(input)?)?),
            "recommend_programs" => to_json(self.recommend_programs(&input::parse(input)?, profile)?),
            other => return Err(ToolError::UnknownTool(other.to_owned())),
        };
        Ok(out)
    }

    /// Typed `inventory_search`.
    pub fn inventory_search(&self, input: &search::SearchInput) -> Result<search::SearchOutput, ToolError> {
        self.inner.index.search(&self.inner.catalog, input)
    }

    /// Typed `lowest_price`.
    pub fn lowest_price(&self, input: &search::LowestPriceInput) -> Result<search::LowestPriceOutput, ToolError> {
        self.inner.index.lowest_price(&self.inner.catalog, input)
    }

    /// Typed `finance_rate`.
    pub fn finance_rate(&self, input: &rates::RateInput) -> Result<rates::RateOutput, ToolError> {
        self.inner.rates.lookup(input)
    }

    /// Typed `recommend_programs`.
    pub fn recommend_programs(
        &self,
        input: &programs::ProgramsInput,
        profile: Option<&Profile>,
    ) -> Result<programs::ProgramsOutput, ToolError> {
        programs::recommend(self, input, profile, today())
    }

    /// Tool facts for the profile's leading interest: stock, lowest price, a payment estimate.
    pub fn profile_facts(&self, profile: &Profile) -> Vec<ToolFact> {
        facts::profile_facts(self, profile)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn rates(&self) -> &RateTable {
        &self.inner.rates
    }

    pub fn programs(&self) -> &ProgramBook {
        &self.inner.programs
    }
}

/// Today's date in UTC (program validity is by calendar day; a few hours of skew do not matter).
pub(crate) fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// Serializing our own output types cannot fail (no maps with non-string keys, no floats NaN).
fn to_json<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Money out: rounded half-up to cents and always written with two decimals ("19900.00").
pub(crate) fn cents(d: rust_decimal::Decimal) -> rust_decimal::Decimal {
    let mut r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools() -> Tools {
        Tools::new(Catalog::default(), RateTable::default(), ProgramBook::default())
    }

    #[test]
    fn unknown_tool_is_named() {
        let e = tools().call("nope", json!({}), None).unwrap_err();
        assert_eq!(e, ToolError::UnknownTool("nope".into()));
    }

    #[test]
    fn unknown_fields_are_all_named() {
        let e = tools()
            .call(
                "lowest_price",
                json!({"make": "Toyota", "model": "Corolla", "colour": "x", "zz": 1}),
                None,
            )
            .unwrap_err();
        assert_eq!(e, ToolError::UnknownFields(vec!["colour".into(), "zz".into()]));
    }

    #[test]
    fn money_as_a_number_names_the_field() {
        let e = tools()
            .call(
                "finance_payment",
                json!({"price": 27900, "apr": "6.9", "term_months": 60}),
                None,
            )
            .unwrap_err();
        match e {
            ToolError::Invalid { field, message } => {
                assert_eq!(field, "price");
                assert!(message.contains("decimal string"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_required_field_is_named() {
        let e = tools()
            .call("finance_payment", json!({"price": "1000", "apr": "5"}), None)
            .unwrap_err();
        assert!(
            matches!(e, ToolError::Invalid { ref field, .. } if field == "term_months"),
            "{e:?}"
        );
    }

    #[test]
    fn non_object_input_is_refused() {
        let e = tools().call("inventory_search", json!([1, 2]), None).unwrap_err();
        assert!(matches!(e, ToolError::Invalid { ref field, .. } if field == "input"));
        // null means "no arguments" (some LLMs send it for tools without required fields)
        assert!(tools().call("inventory_search", serde_json::Value::Null, None).is_ok());
    }

    #[test]
    fn cents_always_two_decimals() {
        assert_eq!(cents(rust_decimal::Decimal::from(19900)).to_string(), "19900.00");
        assert_eq!(cents("0.005".parse().unwrap()).to_string(), "0.01");
        assert_eq!(cents("-0.005".parse().unwrap()).to_string(), "-0.01");
    }
}
