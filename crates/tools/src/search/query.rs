//! The query parser: free text ("camioneta blanca hasta 25 mil") into word groups to match and
//! year / price bounds to filter by.
//!
//! A word that names nothing in this catalog is set aside (and reported), not matched, so a
//! chatty message pasted as a query still finds cars.

use super::SearchIndex;
use super::index::{Field, FuzzyTarget};
use super::typo::{max_typos, osa_within};
use dossier_core::text::{fold, tokens};
use rust_decimal::Decimal;

/// One thing a query word may mean: a catalog word, in one field or any, and how sure the parser
/// is (1 exact, less for a prefix or a typo), which becomes the word's share of the score.
#[derive(Debug, Clone)]
pub(super) struct Alt {
    pub(super) term: String,
    pub(super) field: Option<Field>,
    pub(super) quality: f32,
}

/// One recognised query word (or phrase): the vehicle must match one of its alternatives.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) alts: Vec<Alt>,
}

/// A free-text query as the search uses it: word groups to match, bounds to filter by, and the
/// words that meant nothing (reported back so the agent sees what was left out).
#[derive(Debug, Default)]
pub(super) struct ParsedQuery {
    pub(super) groups: Vec<Group>,
    pub(super) year_min: Option<i32>,
    pub(super) year_max: Option<i32>,
    pub(super) price_min: Option<Decimal>,
    pub(super) price_max: Option<Decimal>,
    pub(super) ignored: Vec<String>,
}

impl SearchIndex {
    /// Reads the query left to right, at each position taking the first reading that fits: a price
    /// or year bound ("under 25k", "from 2020"), a bare budget ("25k"), a model year (all years
    /// form one group: any of them), the longest synonym phrase, else one word. Stopwords are
    /// dropped before the word lookup so filler is never typo-corrected into a catalog word.
    pub(super) fn parse_query(&self, query: &str) -> ParsedQuery {
        let cleaned = join_digit_groups(&fold(query));
        let toks: Vec<&str> = tokens(&cleaned).collect();
        let mut q = ParsedQuery::default();
        let mut years: Option<usize> = None; // index of the year group
        let mut i = 0;
        while i < toks.len() {
            // price / year bounds: "under 25k", "hasta 25 mil", "from 2020"
            if let Some((len, is_max)) = self.price_phrase(&toks, i)
                && let Some((n, used, thousands)) = self.number_at(&toks, i + len)
            {
                let is_year = !thousands && (1900..=2100).contains(&n) && toks[i + len].len() == 4;
                match (is_year, is_max) {
                    (true, true) => q.year_max = Some(n as i32),
                    (true, false) => q.year_min = Some(n as i32),
                    (false, true) => q.price_max = Some(Decimal::from(n)),
                    (false, false) => q.price_min = Some(Decimal::from(n)),
                }
                i += len + used;
                continue;
            }
            let t = toks[i];
            if let Some((n, used, true)) = self.number_at(&toks, i) {
                // a bare "25k" / "25 mil" is a budget
                q.price_max = Some(Decimal::from(n));
                i += used;
                continue;
            }
            if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
                let y: i32 = t.parse().unwrap_or(0);
                if (1900..=2100).contains(&y) {
                    let alt = Alt {
                        term: t.to_owned(),
                        field: Some(Field::Year),
                        quality: 1.0,
                    };
                    match years {
                        Some(g) => q.groups[g].alts.push(alt),
                        None => {
                            years = Some(q.groups.len());
                            q.groups.push(Group { alts: vec![alt] });
                        }
                    }
                    i += 1;
                    continue;
                }
            }
            // multi-word synonyms, longest first
            let mut consumed = false;
            for len in (2..=self.syn.max_words.min(toks.len() - i)).rev() {
                let phrase = toks[i..i + len].join(" ");
                if let Some(groups) = self.syn.phrases.get(&phrase) {
                    q.groups.push(Group {
                        alts: self.synonym_alts(groups, 1.0),
                    });
                    i += len;
                    consumed = true;
                    break;
                }
            }
            if consumed {
                continue;
            }
            i += 1;
            if self.syn.stopwords.contains(t) {
                continue;
            }
            match self.word_alts(t) {
                Some(alts) => q.groups.push(Group { alts }),
                None => q.ignored.push(t.to_owned()),
            }
        }
        q
    }

    /// What one word can mean: synonym groups and exact catalog words, else (Arabic "ال"
    /// stripped) the same, else catalog words it starts, else typo corrections.
    fn word_alts(&self, t: &str) -> Option<Vec<Alt>> {
        let exact = |w: &str| -> Vec<Alt> {
            let mut alts = Vec::new();
            if let Some(groups) = self.syn.phrases.get(w) {
                alts.extend(self.synonym_alts(groups, 1.0));
            }
            if self.postings.contains_key(w) {
                alts.push(Alt {
                    term: w.to_owned(),
                    field: None,
                    quality: 1.0,
                });
            }
            alts
        };
        let alts = exact(t);
        if !alts.is_empty() {
            return Some(alts);
        }
        if let Some(rest) = t.strip_prefix("ال").filter(|r| r.chars().count() >= 2) {
            let alts = exact(rest);
            if !alts.is_empty() {
                return Some(alts);
            }
        }
        let n = t.chars().count();
        let alphabetic = t.chars().all(char::is_alphabetic);
        if n >= 3 && alphabetic {
            let start = self.sorted_vocab.partition_point(|v| v.as_str() < t);
            let alts: Vec<Alt> = self.sorted_vocab[start..]
                .iter()
                .take_while(|v| v.starts_with(t))
                .take(32)
                .map(|v| Alt {
                    term: v.clone(),
                    field: None,
                    quality: 0.85,
                })
                .collect();
            if !alts.is_empty() {
                return Some(alts);
            }
        }
        let max = max_typos(n);
        if max == 0 || !alphabetic {
            return None;
        }
        let chars: Vec<char> = t.chars().collect();
        let mut best = usize::MAX;
        let mut found: Vec<&FuzzyTarget> = Vec::new();
        for len in n.saturating_sub(max)..=n + max {
            for cand in self.fuzzy.get(len).into_iter().flatten() {
                if let Some(d) = osa_within(&chars, &cand.chars, max.min(best)) {
                    if d < best {
                        best = d;
                        found.clear();
                    }
                    found.push(&cand.target);
                }
            }
        }
        if found.is_empty() {
            return None;
        }
        let quality = if best <= 1 { 0.75 } else { 0.6 };
        let mut alts = Vec::new();
        for target in found {
            match target {
                FuzzyTarget::Vocab(v) => alts.push(Alt {
                    term: v.clone(),
                    field: None,
                    quality,
                }),
                FuzzyTarget::Synonym(p) => {
                    if let Some(groups) = self.syn.phrases.get(p) {
                        alts.extend(self.synonym_alts(groups, quality));
                    }
                }
            }
        }
        Some(alts)
    }

    fn synonym_alts(&self, groups: &[usize], quality: f32) -> Vec<Alt> {
        groups
            .iter()
            .map(|&g| &self.syn.groups[g])
            .flat_map(|g| {
                g.matches.iter().map(move |m| Alt {
                    term: m.clone(),
                    field: g.field,
                    quality,
                })
            })
            .collect()
    }

    /// A price-bound phrase starting at `i`: (words used, is an upper bound).
    fn price_phrase(&self, toks: &[&str], i: usize) -> Option<(usize, bool)> {
        for len in (1..=self.syn.max_words.min(toks.len() - i)).rev() {
            let p = toks[i..i + len].join(" ");
            if self.syn.price_max.contains(&p) {
                return Some((len, true));
            }
            if self.syn.price_min.contains(&p) {
                return Some((len, false));
            }
        }
        None
    }

    /// A number at `i`: (value, words used, had a thousands word/suffix). "25k", "25 mil", "25000".
    fn number_at(&self, toks: &[&str], i: usize) -> Option<(u64, usize, bool)> {
        let t = *toks.get(i)?;
        let (digits, k) = match t.strip_suffix('k') {
            Some(d) => (d, true),
            None => (t, false),
        };
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        if k {
            return Some((n * 1000, 1, true));
        }
        if toks.get(i + 1).is_some_and(|w| self.syn.thousand.contains(*w)) {
            return Some((n * 1000, 2, true));
        }
        Some((n, 1, false))
    }
}

/// "25,000" / "25.000" → "25000" so a price survives tokenisation; "2.5" is left alone.
fn join_digit_groups(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if (c == ',' || c == '.')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.len() >= i + 4
            && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
        {
            continue;
        }
        out.push(c);
    }
    out
}
