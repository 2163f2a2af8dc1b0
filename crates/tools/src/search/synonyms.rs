//! The search vocabulary: multilingual words for catalog values, filler words and price words.
//!
//! It is data (`crates/tools/data/synonyms.toml`), so product people extend it without touching
//! Rust; this file folds it once into hash sets the query parser reads.

use super::index::Field;
use dossier_core::text::{fold, tokens};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// `synonyms.toml` as written, before folding.
#[derive(Debug, Deserialize)]
struct SynonymFile {
    #[serde(default)]
    stopwords: WordList,
    #[serde(default)]
    price: PriceWords,
    #[serde(default)]
    synonym: Vec<SynonymEntry>,
}

#[derive(Debug, Default, Deserialize)]
struct WordList {
    #[serde(default)]
    words: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PriceWords {
    #[serde(default)]
    max_words: Vec<String>,
    #[serde(default)]
    min_words: Vec<String>,
    #[serde(default)]
    thousand_words: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct SynonymEntry {
    #[serde(default)]
    field: String,
    matches: Vec<String>,
    terms: Vec<String>,
}

/// One `[[synonym]]` entry, folded: the catalog values its terms stand for, and the field they must
/// be found in when the entry names one (so "blanco" matches a colour, never a trim or a model).
#[derive(Debug)]
pub(super) struct SynGroup {
    /// `None` when the entry says `any`.
    pub(super) field: Option<Field>,
    pub(super) matches: Vec<String>,
}

/// The folded synonym data. Every key is folded the way a query is, so lookups are plain hash hits.
#[derive(Debug, Default)]
pub(super) struct Synonyms {
    /// Folded phrase ("bik ab" → words joined by one space) → groups it belongs to.
    pub(super) phrases: HashMap<String, Vec<usize>>,
    pub(super) groups: Vec<SynGroup>,
    /// The longest phrase in words, so the query parser knows how far ahead to look.
    pub(super) max_words: usize,
    pub(super) stopwords: HashSet<String>,
    pub(super) price_max: HashSet<String>,
    pub(super) price_min: HashSet<String>,
    pub(super) thousand: HashSet<String>,
}

/// Folds a term or phrase and joins its words with one space: the form of every key above.
pub(super) fn fold_phrase(s: &str) -> String {
    let f = fold(s);
    tokens(&f).collect::<Vec<_>>().join(" ")
}

impl Synonyms {
    pub(super) fn parse(text: &str) -> Result<Synonyms, String> {
        let file: SynonymFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut s = Synonyms {
            max_words: 1,
            ..Default::default()
        };
        let set = |words: &[String]| -> HashSet<String> {
            words.iter().map(|w| fold_phrase(w)).filter(|w| !w.is_empty()).collect()
        };
        s.stopwords = set(&file.stopwords.words);
        s.price_max = set(&file.price.max_words);
        s.price_min = set(&file.price.min_words);
        s.thousand = set(&file.price.thousand_words);
        for p in s.price_max.iter().chain(&s.price_min) {
            s.max_words = s.max_words.max(p.split(' ').count());
        }
        for entry in file.synonym {
            let field =
                field_named(entry.field.trim()).ok_or_else(|| format!("unknown synonym field `{}`", entry.field))?;
            let id = s.groups.len();
            s.groups.push(SynGroup {
                field,
                matches: entry.matches.iter().map(|m| fold_phrase(m)).collect(),
            });
            for t in &entry.terms {
                let p = fold_phrase(t);
                if p.is_empty() {
                    continue;
                }
                s.max_words = s.max_words.max(p.split(' ').count());
                let ids = s.phrases.entry(p).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(s)
    }

    /// The embedded word list, parsed once. A broken file (caught by a unit test) degrades to no
    /// synonyms rather than a panic at request time.
    pub(super) fn embedded() -> &'static Synonyms {
        static SYN: OnceLock<Synonyms> = OnceLock::new();
        SYN.get_or_init(|| Synonyms::parse(SYNONYMS_TOML).unwrap_or_default())
    }
}

/// The search vocabulary, in `crates/tools/data/synonyms.toml`.
pub const SYNONYMS_TOML: &str = include_str!("../../data/synonyms.toml");

/// The `field` of a `[[synonym]]` entry: `Some(None)` for `any` (or no field), `None` for a name
/// the file must not use. Only fields a customer describes a car by can be targeted.
fn field_named(s: &str) -> Option<Option<Field>> {
    Some(match s {
        "body" => Some(Field::Body),
        "color" => Some(Field::Color),
        "fuel" => Some(Field::Fuel),
        "transmission" => Some(Field::Transmission),
        "condition" => Some(Field::Condition),
        "trim" => Some(Field::Trim),
        "any" | "" => None,
        _ => return None,
    })
}
