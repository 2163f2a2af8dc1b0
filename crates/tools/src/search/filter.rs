//! Structured filters (`make`, `model`, `body`, `branch`, year and price bounds…): what each value
//! means in this catalog, and the predicate a vehicle must pass to be a hit.

use super::index::{Doc, Field, Name, compact};
use super::query::ParsedQuery;
use super::synonyms::fold_phrase;
use super::typo::{max_typos, osa_within};
use super::{SearchIndex, SearchInput};
use dossier_core::Condition;
use dossier_core::text::fold;
use rust_decimal::Decimal;

/// The structured half of a search, resolved against the catalog once per query: makes and models
/// as bitsets over their ids, attribute values as the catalog's own folded words. Checking one
/// vehicle is then integer and string comparisons, no folding.
pub(super) struct Filter {
    pub(super) makes: Option<Vec<bool>>,
    pub(super) models: Option<Vec<bool>>,
    pub(super) year_min: Option<i32>,
    pub(super) year_max: Option<i32>,
    pub(super) price_min: Option<Decimal>,
    pub(super) price_max: Option<Decimal>,
    pub(super) condition: Option<Condition>,
    pub(super) branch: Option<String>,
    pub(super) body: Option<Vec<String>>,
    pub(super) fuel: Option<Vec<String>>,
    pub(super) transmission: Option<Vec<String>>,
    pub(super) include_unavailable: bool,
}

impl Filter {
    pub(super) fn accepts(&self, d: &Doc) -> bool {
        (self.include_unavailable || d.available)
            && self.year_min.is_none_or(|y| d.year >= y)
            && self.year_max.is_none_or(|y| d.year <= y)
            && self.condition.is_none_or(|c| c == d.condition)
            && self
                .makes
                .as_ref()
                .is_none_or(|m| m.get(d.make as usize).copied().unwrap_or(false))
            && self
                .models
                .as_ref()
                .is_none_or(|m| m.get(d.model as usize).copied().unwrap_or(false))
            && self.price_min.is_none_or(|p| d.price >= p)
            && self.price_max.is_none_or(|p| d.price <= p)
            && self.branch.as_ref().is_none_or(|b| *b == d.branch)
            && self.body.as_ref().is_none_or(|v| v.contains(&d.body))
            && self.fuel.as_ref().is_none_or(|v| v.contains(&d.fuel))
            && self.transmission.as_ref().is_none_or(|v| v.contains(&d.transmission))
    }
}

impl SearchIndex {
    /// The filter of one search: the input's fields, tightened by the bounds the query text gave
    /// ("under 25k" and `price_max` both apply; the lower one wins).
    pub(super) fn filter(&self, input: &SearchInput, parsed: &ParsedQuery) -> Filter {
        Filter {
            makes: input
                .make
                .as_deref()
                .map(|m| bitset(self.makes.len(), Self::resolve(&self.makes, m))),
            models: input
                .model
                .as_deref()
                .map(|m| bitset(self.models.len(), Self::resolve(&self.models, m))),
            year_min: max_opt(input.year_min, parsed.year_min),
            year_max: min_opt(input.year_max, parsed.year_max),
            price_min: max_opt(input.price_min, parsed.price_min),
            price_max: min_opt(input.price_max, parsed.price_max),
            condition: input.condition,
            branch: input.branch.as_deref().map(|b| compact(&fold(b))),
            body: input.body.as_deref().map(|b| self.attribute_values(b, Field::Body)),
            fuel: input.fuel.as_deref().map(|b| self.attribute_values(b, Field::Fuel)),
            transmission: input
                .transmission
                .as_deref()
                .map(|b| self.attribute_values(b, Field::Transmission)),
            include_unavailable: input.include_unavailable.unwrap_or(false),
        }
    }

    /// Ids of the catalog names a filter value means: exact (case/accent/punctuation-insensitive),
    /// else names that start with the value's words ("Silverado" → "Silverado 1500"), else a typo
    /// match. Exact first, so "Corolla" never pulls in "Corolla Cross".
    pub(super) fn resolve(names: &[Name], value: &str) -> Vec<u32> {
        let want = Name::new(value);
        if want.compact.is_empty() {
            return Vec::new();
        }
        let ids = |pred: &dyn Fn(&Name) -> bool| -> Vec<u32> {
            names
                .iter()
                .enumerate()
                .filter(|(_, n)| pred(n))
                .map(|(i, _)| i as u32)
                .collect()
        };
        let exact = ids(&|n| n.compact == want.compact);
        if !exact.is_empty() {
            return exact;
        }
        let prefix = ids(&|n| n.tokens.starts_with(&want.tokens));
        if !prefix.is_empty() {
            return prefix;
        }
        let w: Vec<char> = want.compact.chars().collect();
        let max = max_typos(w.len());
        if max == 0 {
            return Vec::new();
        }
        ids(&|n| {
            let c: Vec<char> = n.compact.chars().collect();
            osa_within(&w, &c, max).is_some()
        })
    }

    /// Canonical catalog values for an attribute filter: synonyms of that field, else the value.
    fn attribute_values(&self, value: &str, field: Field) -> Vec<String> {
        let p = fold_phrase(value);
        let mut out: Vec<String> = self
            .syn
            .phrases
            .get(&p)
            .into_iter()
            .flatten()
            .map(|&g| &self.syn.groups[g])
            .filter(|g| g.field == Some(field))
            .flat_map(|g| g.matches.iter().cloned())
            .collect();
        out.push(p);
        out
    }
}

/// Membership by id, so a resolved make or model costs one index per vehicle to check.
pub(super) fn bitset(len: usize, ids: Vec<u32>) -> Vec<bool> {
    let mut v = vec![false; len];
    for i in ids {
        if let Some(x) = v.get_mut(i as usize) {
            *x = true;
        }
    }
    v
}

/// The tighter of two lower bounds; `None` is no bound.
fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The tighter of two upper bounds; `None` is no bound.
fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
