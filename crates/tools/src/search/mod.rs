//! The catalog search index, `inventory_search` and `lowest_price`.
//!
//! Customers write "camioneta blanca", "corola 2022", "بيك اب"; agents paste that into a search.
//! So the free-text query is folded (accents, case, Arabic letter forms), multilingual words are
//! mapped onto catalog values through `data/synonyms.toml`, and typos are forgiven with a bounded
//! Damerau-Levenshtein (optimal string alignment) distance: ≤ 1 for words of 4+ letters, ≤ 2 for
//! 8+. Every recognised word must match (AND); words that mean nothing in this catalog ("quiero",
//! "please") are ignored and reported back in `ignored`, so a chatty query still finds cars.
//!
//! # Pipeline
//!
//! What depends only on the catalog is done once, in [`SearchIndex::build`], so a query over
//! 10,000 vehicles is a few postings walks and one partial sort. One file per step:
//!
//! 1. `index.rs`, at catalog load: every vehicle folded and tokenised into postings (word →
//!    vehicle and field), makes and models interned, typo candidates bucketed by length.
//! 2. `query.rs`: the free text becomes word groups (what each word may mean, and how surely) and
//!    year / price bounds. `synonyms.rs` supplies the vocabulary, `typo.rs` the edit distance.
//! 3. `filter.rs`: the structured fields, tightened by those bounds, become one vehicle predicate.
//! 4. `score.rs`: the vehicles that match every word group and pass the filter, scored in 0..1.
//! 5. [`SearchIndex::search`], here: checks the input, runs 2–4 and cuts one page of the ranking.
//!
//! `lowest.rs` answers `lowest_price` from the same index; `wire.rs` holds the tools' inputs and
//! outputs.

mod filter;
mod index;
mod lowest;
mod query;
mod score;
mod synonyms;
mod typo;
mod wire;

pub use index::SearchIndex;
pub use synonyms::SYNONYMS_TOML;
pub use wire::{Item, LowestPriceInput, LowestPriceOutput, SearchInput, SearchOutput};

use crate::ToolError;
use dossier_core::Catalog;
use query::ParsedQuery;

impl SearchIndex {
    /// `inventory_search`. Hits rank by score, then price, then id: a total order, so paging
    /// through equal scores never shows a vehicle twice or skips one.
    pub fn search(&self, catalog: &Catalog, input: &SearchInput) -> Result<SearchOutput, ToolError> {
        let limit = input.limit.unwrap_or(10);
        if limit > 100 {
            return Err(ToolError::invalid("limit", "must be at most 100"));
        }
        let offset = input.offset.unwrap_or(0) as usize;
        for (field, v) in [("price_min", input.price_min), ("price_max", input.price_max)] {
            if v.is_some_and(|p| p.is_sign_negative() && !p.is_zero()) {
                return Err(ToolError::invalid(field, "must not be negative"));
            }
        }
        if let (Some(a), Some(b)) = (input.year_min, input.year_max)
            && a > b
        {
            return Err(ToolError::invalid("year_min", "is after year_max"));
        }
        if let (Some(a), Some(b)) = (input.price_min, input.price_max)
            && a > b
        {
            return Err(ToolError::invalid("price_min", "is above price_max"));
        }
        let parsed = match input.query.as_deref() {
            Some(q) if q.chars().count() > 500 => {
                return Err(ToolError::invalid("query", "is longer than 500 characters"));
            }
            Some(q) => self.parse_query(q),
            None => ParsedQuery::default(),
        };
        let filter = self.filter(input, &parsed);
        let mut hits = self.score(&parsed.groups, &filter);
        let total = hits.len();
        let end = offset.saturating_add(limit as usize).min(total);
        let key = |&(d, s): &(u32, f32)| {
            let doc = &self.docs[d as usize];
            (std::cmp::Reverse(s.to_bits()), doc.price_cents, doc.id_rank)
        };
        // Scores are non-negative, so their bit patterns order like the floats.
        let order = |a: &(u32, f32), b: &(u32, f32)| key(a).cmp(&key(b));
        // Only the hits up to the page's end need ordering: a partial select, not a full sort.
        if end < hits.len() && end > 0 {
            hits.select_nth_unstable_by(end - 1, order);
            hits.truncate(end);
        }
        let items = if offset < end {
            hits.sort_unstable_by(order);
            hits[offset..end]
                .iter()
                .filter_map(|&(d, s)| catalog.vehicles.get(d as usize).map(|v| Item::new(v, Some(s))))
                .collect()
        } else {
            Vec::new()
        };
        Ok(SearchOutput {
            total,
            items,
            ignored: parsed.ignored,
        })
    }
}

#[cfg(test)]
mod tests;
