//! `lowest_price`: the cheapest available vehicle of one make and model, and the runner-up.
//!
//! It answers "what is your best price on a Corolla?", so unlike a search it does not rank by
//! relevance: make and model resolve as filter values do, and price (then id) orders the matches.

use super::filter::bitset;
use super::index::compact;
use super::{Item, LowestPriceInput, LowestPriceOutput, SearchIndex};
use crate::ToolError;
use dossier_core::Catalog;
use dossier_core::text::{fold, tokens};

impl SearchIndex {
    /// `lowest_price`. Only available vehicles count: a reserved or sold car's price is no offer.
    pub fn lowest_price(&self, catalog: &Catalog, input: &LowestPriceInput) -> Result<LowestPriceOutput, ToolError> {
        if input.make.trim().is_empty() {
            return Err(ToolError::invalid("make", "must not be empty"));
        }
        if input.model.trim().is_empty() {
            return Err(ToolError::invalid("model", "must not be empty"));
        }
        let makes = bitset(self.makes.len(), Self::resolve(&self.makes, &input.make));
        let models = bitset(self.models.len(), Self::resolve(&self.models, &input.model));
        let trim: Option<(String, Vec<String>)> = input.trim.as_deref().map(|t| {
            let f = fold(t);
            (compact(&f), tokens(&f).map(str::to_owned).collect())
        });
        let mut found: Vec<u32> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.available
                    && makes.get(d.make as usize).copied().unwrap_or(false)
                    && models.get(d.model as usize).copied().unwrap_or(false)
                    && input.year.is_none_or(|y| y == d.year)
                    && input.condition.is_none_or(|c| c == d.condition)
                    && trim.as_ref().is_none_or(|(c, toks)| {
                        compact(&d.trim_tokens.concat()) == *c || toks.iter().all(|t| d.trim_tokens.contains(t))
                    })
            })
            .map(|(i, _)| i as u32)
            .collect();
        found.sort_by(|&a, &b| {
            let (va, vb) = (&catalog.vehicles[a as usize], &catalog.vehicles[b as usize]);
            va.price.cmp(&vb.price).then_with(|| va.id.cmp(&vb.id))
        });
        let item = |i: Option<&u32>| {
            i.and_then(|&d| catalog.vehicles.get(d as usize))
                .map(|v| Item::new(v, None))
        };
        Ok(LowestPriceOutput {
            found: !found.is_empty(),
            lowest: item(found.first()),
            runner_up: if found.is_empty() {
                None
            } else {
                Some(item(found.get(1)))
            },
            count: found.len(),
        })
    }
}
