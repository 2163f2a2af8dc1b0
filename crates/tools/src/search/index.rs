//! The search index: every vehicle folded and tokenised once, at catalog load.
//!
//! A query then only walks the postings of its words and never folds catalog text again. Makes
//! and models are interned (a `u32` per vehicle) so filters compare integers, and the typo
//! candidates are bucketed by length so a misspelling is checked only against words it could be.

use super::synonyms::Synonyms;
use dossier_core::text::{fold, tokens};
use dossier_core::{Catalog, Condition, VehicleStatus};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The vehicle field a word was found in. Postings keep it so a synonym bound to a field ("blanco"
/// is a colour) matches only there, and so the score can weigh where a word matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    Make,
    Model,
    /// The whole model written as one word ("crv" for "CR-V"): covers every model token.
    ModelFull,
    Year,
    Trim,
    Condition,
    Color,
    Body,
    Fuel,
    Transmission,
    Branch,
    Id,
}

/// Precomputed, folded view of one vehicle.
#[derive(Debug)]
pub(super) struct Doc {
    pub(super) make: u32,
    pub(super) model: u32,
    pub(super) year: i32,
    pub(super) condition: Condition,
    pub(super) price: Decimal,
    /// Price in cents and the id's rank in sorted id order: integer sort keys, so ranking
    /// thousands of ties stays cheap.
    pub(super) price_cents: i64,
    pub(super) id_rank: u32,
    pub(super) available: bool,
    pub(super) branch: String,
    pub(super) body: String,
    pub(super) fuel: String,
    pub(super) transmission: String,
    pub(super) trim_tokens: Vec<String>,
}

/// A name (make or model) as the catalog writes it, prepared for filter matching.
#[derive(Debug)]
pub(super) struct Name {
    pub(super) compact: String,
    pub(super) tokens: Vec<String>,
}

impl Name {
    pub(super) fn new(s: &str) -> Name {
        let f = fold(s);
        Name {
            compact: compact(&f),
            tokens: tokens(&f).map(str::to_owned).collect(),
        }
    }
}

/// Folded text with only letters and digits: "CR-V" and "crv" are the same model.
pub(super) fn compact(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// A word a typo may be corrected to, as chars so the distance loop does not decode UTF-8.
#[derive(Debug)]
pub(super) struct FuzzyTerm {
    pub(super) chars: Vec<char>,
    pub(super) target: FuzzyTarget,
}

/// What a corrected word then means: a catalog word, or a synonym term that no vehicle spells
/// ("camionetta" → "camioneta" → pickups).
#[derive(Debug, Clone)]
pub(super) enum FuzzyTarget {
    Vocab(String),
    Synonym(String),
}

/// The catalog search index. Built once per catalog; read-only afterwards.
#[derive(Debug)]
pub struct SearchIndex {
    pub(super) docs: Vec<Doc>,
    pub(super) postings: HashMap<String, Vec<(u32, Field)>>,
    /// Vocabulary sorted, for prefix lookups ("toyo" → toyota).
    pub(super) sorted_vocab: Vec<String>,
    /// Typo-correction candidates bucketed by length in chars.
    pub(super) fuzzy: Vec<Vec<FuzzyTerm>>,
    pub(super) makes: Vec<Name>,
    pub(super) models: Vec<Name>,
    /// Vehicles per make / model id, so a make or model filter does not scan the catalog.
    pub(super) by_make: Vec<Vec<u32>>,
    pub(super) by_model: Vec<Vec<u32>>,
    /// Words in each model's name, to score how much of it a query covered.
    pub(super) model_token_count: Vec<u8>,
    pub(super) syn: &'static Synonyms,
}

/// The id of a make or model, by compact name, so "CR-V" and "CRV" rows share one.
fn intern(names: &mut Vec<Name>, lookup: &mut HashMap<String, u32>, raw: &str) -> u32 {
    let name = Name::new(raw);
    if let Some(&id) = lookup.get(&name.compact) {
        return id;
    }
    let id = names.len() as u32;
    lookup.insert(name.compact.clone(), id);
    names.push(name);
    id
}

fn opt_fold(s: &Option<String>) -> String {
    s.as_deref().map(fold).unwrap_or_default()
}

impl SearchIndex {
    /// Folds and indexes the catalog: once per catalog load, in [`crate::Tools::new`], so that no
    /// query folds catalog text again.
    pub fn build(catalog: &Catalog) -> SearchIndex {
        let syn = Synonyms::embedded();
        let mut makes = Vec::new();
        let mut models = Vec::new();
        let (mut make_ids, mut model_ids) = (HashMap::new(), HashMap::new());
        let mut postings: HashMap<String, Vec<(u32, Field)>> = HashMap::new();
        let mut docs = Vec::with_capacity(catalog.vehicles.len());
        for (i, v) in catalog.vehicles.iter().enumerate() {
            let d = i as u32;
            let make = intern(&mut makes, &mut make_ids, &v.make);
            let model = intern(&mut models, &mut model_ids, &v.model);
            let mut add = |text: &str, field: Field| {
                for t in tokens(text) {
                    let list = postings.entry(t.to_owned()).or_default();
                    // One posting per (vehicle, field); a word repeated in a field counts once.
                    if !list.iter().rev().take(4).any(|&(x, f)| x == d && f == field) {
                        list.push((d, field));
                    }
                }
            };
            let fmake = fold(&v.make);
            add(&fmake, Field::Make);
            add(&compact(&fmake), Field::Make);
            let fmodel = fold(&v.model);
            add(&fmodel, Field::Model);
            let cmodel = compact(&fmodel);
            if tokens(&fmodel).count() > 1 {
                add(&cmodel, Field::ModelFull);
            }
            add(&v.year.to_string(), Field::Year);
            let ftrim = opt_fold(&v.trim);
            add(&ftrim, Field::Trim);
            add(condition_str(v.condition), Field::Condition);
            add(&opt_fold(&v.color), Field::Color);
            let (body, fuel, transmission) = (opt_fold(&v.body), opt_fold(&v.fuel), opt_fold(&v.transmission));
            add(&body, Field::Body);
            add(&fuel, Field::Fuel);
            add(&transmission, Field::Transmission);
            let branch = fold(&v.branch);
            add(&branch, Field::Branch);
            add(&fold(&v.id), Field::Id);
            docs.push(Doc {
                make,
                model,
                year: v.year,
                condition: v.condition,
                price: v.price,
                price_cents: v
                    .price
                    .checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|c| i64::try_from(c.round().mantissa()).ok())
                    .unwrap_or(i64::MAX),
                id_rank: 0,
                available: v.status == VehicleStatus::Available,
                branch: compact(&branch),
                body,
                fuel,
                transmission,
                trim_tokens: tokens(&ftrim).map(str::to_owned).collect(),
            });
        }
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.sort_by(|&a, &b| catalog.vehicles[a].id.cmp(&catalog.vehicles[b].id));
        for (rank, &d) in order.iter().enumerate() {
            docs[d].id_rank = rank as u32;
        }
        let mut by_make = vec![Vec::new(); makes.len()];
        let mut by_model = vec![Vec::new(); models.len()];
        for (d, doc) in docs.iter().enumerate() {
            by_make[doc.make as usize].push(d as u32);
            by_model[doc.model as usize].push(d as u32);
        }
        let model_token_count = models.iter().map(|m| m.tokens.len().clamp(1, 255) as u8).collect();
        let mut sorted_vocab: Vec<String> = postings.keys().cloned().collect();
        sorted_vocab.sort();
        let mut fuzzy: Vec<Vec<FuzzyTerm>> = Vec::new();
        let mut push_fuzzy = |term: &str, target: FuzzyTarget| {
            let chars: Vec<char> = term.chars().collect();
            if chars.len() < 4 || chars.iter().any(|c| c.is_ascii_digit()) {
                return;
            }
            if fuzzy.len() <= chars.len() {
                fuzzy.resize_with(chars.len() + 1, Vec::new);
            }
            fuzzy[chars.len()].push(FuzzyTerm { chars, target });
        };
        for t in &sorted_vocab {
            push_fuzzy(t, FuzzyTarget::Vocab(t.clone()));
        }
        for p in syn.phrases.keys().filter(|p| !p.contains(' ')) {
            if !postings.contains_key(p) {
                push_fuzzy(p, FuzzyTarget::Synonym(p.clone()));
            }
        }
        SearchIndex {
            docs,
            postings,
            sorted_vocab,
            fuzzy,
            makes,
            models,
            by_make,
            by_model,
            model_token_count,
            syn,
        }
    }
}

fn condition_str(c: Condition) -> &'static str {
    match c {
        Condition::New => "new",
        Condition::Used => "used",
        Condition::Certified => "certified",
    }
}
