//! The wire types of `inventory_search` and `lowest_price`: what the HTTP API, the command line
//! and LLM tool calls send and get back. Kept apart from the search machinery so the contract (and
//! its JSON Schema in `schema.rs`) can be read without the index.

use crate::input;
use dossier_core::{Condition, Vehicle, VehicleStatus};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub year_min: Option<i32>,
    #[serde(default)]
    pub year_max: Option<i32>,
    #[serde(default)]
    pub price_min: Option<Decimal>,
    #[serde(default)]
    pub price_max: Option<Decimal>,
    #[serde(default, deserialize_with = "input::condition_opt::deserialize")]
    pub condition: Option<Condition>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub fuel: Option<String>,
    #[serde(default)]
    pub transmission: Option<String>,
    #[serde(default)]
    pub include_unavailable: Option<bool>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

/// A vehicle as the tools return it (spec `inventory_search` item).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: String,
    pub branch: String,
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: Option<String>,
    pub condition: Condition,
    pub price: Decimal,
    pub currency: dossier_core::Currency,
    pub mileage_km: Option<u64>,
    pub color: Option<String>,
    pub body: Option<String>,
    pub fuel: Option<String>,
    pub transmission: Option<String>,
    pub status: VehicleStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Item {
    pub fn new(v: &Vehicle, score: Option<f32>) -> Item {
        Item {
            id: v.id.clone(),
            branch: v.branch.clone(),
            make: v.make.clone(),
            model: v.model.clone(),
            year: v.year,
            trim: v.trim.clone(),
            condition: v.condition,
            price: v.price,
            currency: v.currency,
            mileage_km: v.mileage_km,
            color: v.color.clone(),
            body: v.body.clone(),
            fuel: v.fuel.clone(),
            transmission: v.transmission.clone(),
            status: v.status,
            score: score.map(|s| (f64::from(s) * 1000.0).round() / 1000.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutput {
    /// All matches, not only this page.
    pub total: usize,
    pub items: Vec<Item>,
    /// Query words that mean nothing in this catalog and were left out of the match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowestPriceInput {
    pub make: String,
    pub model: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub trim: Option<String>,
    #[serde(default, deserialize_with = "input::condition_opt::deserialize")]
    pub condition: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LowestPriceOutput {
    pub found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowest: Option<Item>,
    /// `null` when only one vehicle matches; absent when none does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<Option<Item>>,
    pub count: usize,
}
