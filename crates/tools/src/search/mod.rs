//! The catalog search index, `inventory_search` and `lowest_price`.
//!
//! Customers write "camioneta blanca", "corola 2022", "بيك اب"; agents paste that into a search.
//! So the free-text query is folded (accents, case, Arabic letter forms), multilingual words are
//! mapped onto catalog values through `data/synonyms.toml`, and typos are forgiven with a bounded
//! Damerau-Levenshtein (optimal string alignment) distance: ≤ 1 for words of 4+ letters, ≤ 2 for
//! 8+. Every recognised word must match (AND); words that mean nothing in this catalog ("quiero",
//! "please") are ignored and reported back in `ignored`, so a chatty query still finds cars.
//!
//! Everything is precomputed in [`SearchIndex::build`] (folded tokens, postings, interned makes and
//! models) so a query over 10,000 vehicles is a few postings walks and one partial sort.

mod filter;
mod index;
mod query;
mod synonyms;
mod typo;
mod wire;

pub use index::SearchIndex;
pub use synonyms::SYNONYMS_TOML;
pub use wire::{Item, LowestPriceInput, LowestPriceOutput, SearchInput, SearchOutput};

use crate::ToolError;
use dossier_core::Catalog;
use dossier_core::text::{fold, tokens};
use filter::{Filter, bitset};
use index::{Field, compact};
use query::{Group, ParsedQuery};

impl SearchIndex {
    // -----------------------------------------------------------------------------------------
    // inventory_search

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

    /// Matching vehicles with their score in 0..1.
    ///
    /// Per query word the best way the vehicle matches it (quality × field weight) counts; the
    /// score is 0.9 × the mean over words + 0.1 × how much of the vehicle's model name the query
    /// covered (so "corolla" ranks a Corolla above a Corolla Cross). Unavailable vehicles, when
    /// asked for, are scaled by 0.9 so they sink below equal available ones.
    fn score(&self, groups: &[Group], filter: &Filter) -> Vec<(u32, f32)> {
        let n = self.docs.len();
        let mut out = Vec::new();
        if groups.is_empty() {
            let mut push = |d: u32| {
                let doc = &self.docs[d as usize];
                if filter.accepts(doc) {
                    out.push((d, if doc.available { 1.0 } else { 0.9 }));
                }
            };
            let lists = |by: &[Vec<u32>], set: &[bool]| -> Vec<u32> {
                set.iter()
                    .zip(by)
                    .filter(|(on, _)| **on)
                    .flat_map(|(_, l)| l.iter().copied())
                    .collect()
            };
            match (&filter.models, &filter.makes) {
                (Some(m), _) => lists(&self.by_model, m).into_iter().for_each(&mut push),
                (None, Some(m)) => lists(&self.by_make, m).into_iter().for_each(&mut push),
                (None, None) => (0..n as u32).for_each(&mut push),
            }
            return out;
        }
        let mut total = vec![0f32; n];
        let mut hits = vec![0u16; n];
        let mut model_cov = vec![0u8; n];
        let mut cur = vec![0f32; n];
        let mut cur_cov = vec![0u8; n];
        let mut touched: Vec<u32> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            for alt in &g.alts {
                let Some(list) = self.postings.get(&alt.term) else {
                    continue;
                };
                for &(d, f) in list {
                    if alt.field.is_some_and(|af| af != f) {
                        continue;
                    }
                    let di = d as usize;
                    // Only vehicles that matched every earlier word can still qualify.
                    if hits[di] as usize != gi {
                        continue;
                    }
                    let s = alt.quality * f.weight();
                    if cur[di] == 0.0 {
                        touched.push(d);
                    }
                    if s > cur[di] {
                        cur[di] = s;
                    }
                    let cov = match f {
                        Field::Model => 1,
                        Field::ModelFull => self.model_token_count[self.docs[di].model as usize],
                        _ => 0,
                    };
                    cur_cov[di] = cur_cov[di].max(cov);
                }
            }
            for &d in &touched {
                let di = d as usize;
                total[di] += cur[di];
                hits[di] += 1;
                model_cov[di] = model_cov[di].saturating_add(cur_cov[di]);
                cur[di] = 0.0;
                cur_cov[di] = 0;
            }
            if gi + 1 < groups.len() {
                touched.clear();
            }
        }
        // `touched` now holds exactly the vehicles that matched every word.
        let ng = groups.len() as f32;
        for &d in &touched {
            let d = d as usize;
            let doc = &self.docs[d];
            if !filter.accepts(doc) {
                continue;
            }
            let cov = match model_cov[d] {
                0 => 1.0,
                c => {
                    let t = self.model_token_count[doc.model as usize];
                    f32::from(c.min(t)) / f32::from(t)
                }
            };
            let mut s = 0.9 * (total[d] / ng) + 0.1 * cov;
            if !doc.available {
                s *= 0.9;
            }
            out.push((d as u32, s.clamp(0.0, 1.0)));
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // lowest_price

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

#[cfg(test)]
mod tests;
