//! Tool definitions for LLM tool calling: name, description and a JSON Schema of the input.
//!
//! One provider-neutral shape; the OpenAI (`function.parameters`) and Anthropic (`input_schema`)
//! wrappers are built by the caller. Schemas are strict (`additionalProperties: false`) because the
//! tools reject unknown fields; a test keeps each schema's properties equal to the input struct's
//! fields so the two cannot drift.

use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolDefinition {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Value,
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// An amount as a decimal string. No `pattern`: some servers people run (llama.cpp) crash on
/// regexes in a tool schema; the tools parse the amount and answer a clear error instead.
fn money(description: &str) -> Value {
    json!({ "type": "string", "description": format!("{description} A decimal number as a string: digits and an optional point, e.g. \"1500\" or \"1500.50\".") })
}

fn condition() -> Value {
    json!({ "type": "string", "enum": ["new", "used", "certified"], "description": "Vehicle condition." })
}

/// The five tools, in [`crate::TOOL_NAMES`] order.
pub fn definitions() -> Vec<ToolDefinition> {
    vec![
        ToolDefinition {
            name: "inventory_search",
            description: "Search the dealership's current inventory. Use `query` for what the customer wrote \
                (any language, typos ok: \"camioneta blanca\", \"corola 2022\", \"suv under 25k\") and the \
                other fields as exact filters. Returns `total` matches and a page of vehicles with price, \
                branch and status, best match first. Only available vehicles unless include_unavailable.",
            parameters: object(
                json!({
                    "query": { "type": "string", "description": "Free text: make, model, year, color, body, fuel, price words." },
                    "make": { "type": "string", "description": "Make as in the catalog, e.g. \"Toyota\"." },
                    "model": { "type": "string", "description": "Model, e.g. \"Corolla\" (exact model; \"Corolla\" excludes \"Corolla Cross\")." },
                    "year_min": { "type": "integer", "description": "Earliest model year." },
                    "year_max": { "type": "integer", "description": "Latest model year." },
                    "price_min": money("Lowest price, decimal string, e.g. \"15000\"."),
                    "price_max": money("Highest price, decimal string, e.g. \"30000\"."),
                    "condition": condition(),
                    "branch": { "type": "string", "description": "Branch name, e.g. \"Downtown\"." },
                    "body": { "type": "string", "description": "sedan, suv, pickup, hatchback, coupe, van." },
                    "fuel": { "type": "string", "description": "gasoline, hybrid, electric, diesel." },
                    "transmission": { "type": "string", "description": "automatic (includes cvt), manual, cvt." },
                    "include_unavailable": { "type": "boolean", "description": "Also return reserved and sold vehicles (default false)." },
                    "limit": { "type": "integer", "minimum": 0, "maximum": 100, "description": "Page size, default 10." },
                    "offset": { "type": "integer", "minimum": 0, "description": "Items to skip, default 0." }
                }),
                &[],
            ),
        },
        ToolDefinition {
            name: "lowest_price",
            description: "Lowest listed price of an available make and model (optionally year, trim, condition), \
                with the vehicle, its branch, the runner-up and how many match.",
            parameters: object(
                json!({
                    "make": { "type": "string", "description": "e.g. \"Toyota\"." },
                    "model": { "type": "string", "description": "e.g. \"Corolla\"." },
                    "year": { "type": "integer", "description": "Model year." },
                    "trim": { "type": "string", "description": "Trim, e.g. \"LE\"." },
                    "condition": condition()
                }),
                &["make", "model"],
            ),
        },
        ToolDefinition {
            name: "finance_payment",
            description: "Monthly payment of a fixed-rate auto loan: amount financed = price + fees + sales tax − down \
                payment − trade-in value + trade-in payoff. Returns monthly payment, total of payments and \
                total interest (and the amortization schedule if asked). Money as decimal strings.",
            parameters: object(
                json!({
                    "price": money("Vehicle price, e.g. \"27900\"."),
                    "down_payment": money("Cash down, default \"0\"."),
                    "trade_in_value": money("Trade-in value credited, default \"0\"."),
                    "trade_in_payoff": money("Loan still owed on the trade-in, default \"0\"."),
                    "fees": money("Fees financed, default \"0\"."),
                    "sales_tax_rate": money("Sales tax in percent of (price − trade-in value), e.g. \"7.25\"; default \"0\"."),
                    "apr": money("Annual percentage rate in percent, e.g. \"6.9\". Get it from finance_rate if unknown."),
                    "term_months": { "type": "integer", "minimum": 1, "maximum": 120, "description": "Loan term in months, e.g. 60." },
                    "schedule": { "type": "boolean", "description": "Return the month-by-month schedule (default false)." }
                }),
                &["price", "apr", "term_months"],
            ),
        },
        ToolDefinition {
            name: "finance_rate",
            description: "The dealership's APR for a vehicle condition, model year, term and credit score, from its \
                rate table, with the matched row. Without a credit score a default tier is assumed (and said). \
                `found: false` comes with the reason (e.g. the term is longer than offered).",
            parameters: object(
                json!({
                    "condition": condition(),
                    "vehicle_year": { "type": "integer", "description": "Model year of the vehicle (used and certified rates depend on age)." },
                    "term_months": { "type": "integer", "minimum": 1, "maximum": 120, "description": "Loan term in months." },
                    "credit_score": { "type": "integer", "minimum": 300, "maximum": 850, "description": "Customer's credit score, if known." },
                    "program": { "type": ["string", "null"], "description": "Special-rate program id from recommend_programs (`rate_program`), if any." }
                }),
                &["condition", "term_months"],
            ),
        },
        ToolDefinition {
            name: "recommend_programs",
            description: "Incentive programs (cash rebates, APR specials, payment deferrals) for a deal, eligible ones \
                first and the most valuable first, each with why it applies and what is missing or unmet \
                (questions to ask the customer). Pass `contact` to use the stored customer profile, or \
                describe the deal with the other fields (they also override the profile).",
            parameters: object(
                json!({
                    "contact": { "type": "string", "description": "WhatsApp id of the customer whose profile to use." },
                    "vehicle_id": { "type": "string", "description": "Catalog id of the vehicle, e.g. \"NS-2012\"." },
                    "make": { "type": "string" },
                    "model": { "type": "string" },
                    "condition": condition(),
                    "year": { "type": "integer", "description": "Model year." },
                    "credit_score": { "type": "integer", "minimum": 300, "maximum": 850 },
                    "first_time_buyer": { "type": "boolean" },
                    "military": { "type": "boolean", "description": "Active duty, reserve, retired or veteran." },
                    "graduate": { "type": "boolean", "description": "Recent college graduate." },
                    "returning_customer": { "type": "boolean", "description": "Has bought from this dealership before." },
                    "has_trade_in": { "type": "boolean" }
                }),
                &[],
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::struct_fields;

    fn props(name: &str) -> Vec<String> {
        let d = definitions().into_iter().find(|d| d.name == name).unwrap();
        let mut v: Vec<String> = d.parameters["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    fn fields<T: serde::de::DeserializeOwned>() -> Vec<String> {
        let mut v: Vec<String> = struct_fields::<T>().unwrap().iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schemas_match_the_input_structs() {
        assert_eq!(props("inventory_search"), fields::<crate::search::SearchInput>());
        assert_eq!(props("lowest_price"), fields::<crate::search::LowestPriceInput>());
        assert_eq!(props("finance_payment"), fields::<crate::finance::PaymentInput>());
        assert_eq!(props("finance_rate"), fields::<crate::rates::RateInput>());
        assert_eq!(props("recommend_programs"), fields::<crate::programs::ProgramsInput>());
    }

    #[test]
    fn every_tool_is_defined_in_order_and_strict() {
        let defs = definitions();
        let names: Vec<&str> = defs.iter().map(|d| d.name).collect();
        assert_eq!(names, crate::TOOL_NAMES);
        for d in &defs {
            assert_eq!(d.parameters["type"], "object");
            assert_eq!(d.parameters["additionalProperties"], false);
            for r in d.parameters["required"].as_array().unwrap() {
                assert!(d.parameters["properties"].get(r.as_str().unwrap()).is_some());
            }
            assert!(d.description.len() > 40);
        }
    }
}
