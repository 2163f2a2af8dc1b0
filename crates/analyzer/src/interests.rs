//! Vehicles the customer wants, matched against the catalog and the built-in model table.
//!
//! The alias index is built once from the catalog's make/model names (plus spacing, hyphen and
//! plural variants) and `vehicles.toml` (other scripts, nicknames). Only the customer's own
//! wishes count: not their trade-in or current car, not what someone else wants, not what only
//! the agent listed.

use crate::lex::{Hit, PhraseSet};
use crate::state::{AnalyzerState, InterestState, MAX_INTERESTS, TradeState, push_capped, push_ev};
use crate::{Analyzer, Knowledge, Msg};
use dossier_core::profile::{Interest, Profile};
use dossier_core::text::fold;
use dossier_core::{Catalog, Message};
use std::collections::{HashMap, HashSet};

const MAKE_BIT: u32 = 1 << 31;
/// A name of a model that counts only with support (the distinctive suffix of a series name).
const WEAK_BIT: u32 = 1 << 30;

#[derive(Debug, Clone)]
pub(crate) struct ModelEntry {
    pub make: String,
    pub model: String,
    pub ambiguous: bool,
    /// Index of the make in `VehicleIndex::makes`.
    pub make_idx: usize,
    /// Catalog vehicles of this model: (year, folded trim words, id).
    pub stock: Vec<(i32, Vec<String>, String)>,
    /// Body types the catalog gives this model ("pickup", "suv"), folded.
    pub bodies: Vec<String>,
}

/// The alias index.
#[derive(Debug, Clone, Default)]
pub(crate) struct VehicleIndex {
    pub set: PhraseSet,
    /// Trim words that are also model names elsewhere ("LX", "GT", "Sport"), normalised.
    pub trims: HashSet<String>,
    pub models: Vec<ModelEntry>,
    pub makes: Vec<String>,
}

/// A vehicle mention in a message.
#[derive(Debug, Clone)]
pub(crate) struct Mention {
    pub model: usize,
    pub start: usize,
    pub year: Option<i32>,
}

fn norm(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Spelling variants of a name: as written, tokens glued ("cr v" → "crv"), letter/digit split
/// ("cx5" → "cx 5"), and a plural "s".
fn variants(name: &str) -> Vec<String> {
    let f = fold(name);
    let toks: Vec<&str> = dossier_core::text::tokens(&f).collect();
    let mut out = vec![toks.join(" ")];
    if toks.len() > 1 {
        let glued = toks.concat();
        if glued.chars().count() <= 14 {
            out.push(glued);
        }
    }
    // "landcruiser prado", "grand cherokee l" written "grandcherokee l": one pair glued.
    if toks.len() > 2 {
        for i in 0..toks.len() - 1 {
            let mut parts: Vec<String> = toks.iter().map(|t| (*t).to_owned()).collect();
            let second = parts.remove(i + 1);
            parts[i].push_str(&second);
            out.push(parts.join(" "));
        }
    }
    if toks.len() == 1 {
        let t = toks[0];
        let mut split = String::new();
        let mut prev: Option<char> = None;
        for c in t.chars() {
            if let Some(p) = prev
                && p.is_alphabetic() != c.is_alphabetic()
            {
                split.push(' ');
            }
            split.push(c);
            prev = Some(c);
        }
        // "x 5" alone, "a 7", "r 8": a single letter and a number apart are a sum ("R$ 8 mil"),
        // a size ("a 7 seater") or part of "4x4" far more often than the model; only longer
        // letter parts split ("cx 5").
        let single_letter = split.split(' ').next().is_some_and(|p| p.chars().count() == 1);
        if split != t && !single_letter {
            out.push(split);
        }
    }
    let mut plurals = Vec::new();
    for v in &out {
        if !v.contains(' ')
            && v.chars().count() >= 3
            && v.chars().all(|c| c.is_ascii_alphanumeric())
            && !v.ends_with('s')
        {
            plurals.push(format!("{v}s"));
        }
    }
    out.extend(plurals);
    out.retain(|v| !v.is_empty() && !v.chars().all(|c| c.is_ascii_digit()) || v.len() >= 3);
    out.sort();
    out.dedup();
    out
}

impl VehicleIndex {
    pub fn build(k: &Knowledge, catalog: &Catalog) -> VehicleIndex {
        let mut idx = VehicleIndex {
            trims: k.cues("ambiguous.trims").iter().map(|t| norm(t)).collect(),
            ..VehicleIndex::default()
        };
        let ambiguous: HashSet<String> = k.cues("ambiguous.models").iter().map(|s| norm(s)).collect();
        let mut by_key: HashMap<(String, String), usize> = HashMap::new();
        let mut aliases: Vec<Vec<String>> = Vec::new();
        fn add_model(
            idx: &mut VehicleIndex,
            by_key: &mut HashMap<(String, String), usize>,
            aliases: &mut Vec<Vec<String>>,
            ambiguous: &HashSet<String>,
            make: &str,
            model: &str,
        ) -> usize {
            let key = (norm(make), norm(model));
            if let Some(&i) = by_key.get(&key) {
                return i;
            }
            let i = idx.models.len();
            idx.models.push(ModelEntry {
                make: make.to_owned(),
                model: model.to_owned(),
                // A number alone ("500", "2008") is more often a sum or a year than a model.
                ambiguous: ambiguous.contains(&key.1) || key.1.chars().all(|c| c.is_ascii_digit()),
                make_idx: usize::MAX,
                stock: Vec::new(),
                bodies: Vec::new(),
            });
            by_key.insert(key, i);
            aliases.push(Vec::new());
            i
        }
        for v in &catalog.vehicles {
            let i = add_model(&mut idx, &mut by_key, &mut aliases, &ambiguous, &v.make, &v.model);
            let trim = v
                .trim
                .as_deref()
                .map(|t| dossier_core::text::tokens(&fold(t)).map(str::to_owned).collect())
                .unwrap_or_default();
            idx.models[i].stock.push((v.year, trim, v.id.clone()));
            if let Some(b) = v.body.as_deref().map(fold)
                && !idx.models[i].bodies.contains(&b)
            {
                idx.models[i].bodies.push(b);
            }
        }
        for va in &k.vehicles {
            // The catalog's spelling wins: same make and model up to spacing/case/hyphens.
            let i = add_model(&mut idx, &mut by_key, &mut aliases, &ambiguous, &va.make, &va.model);
            aliases[i].extend(va.aliases.iter().cloned());
        }
        let mut makes: Vec<(String, Vec<String>)> = k.makes.clone();
        for m in &idx.models {
            if !makes.iter().any(|(n, _)| norm(n) == norm(&m.make)) {
                makes.push((m.make.clone(), Vec::new()));
            }
        }
        // Catalog spelling of makes wins too.
        for (name, _) in makes.iter_mut() {
            if let Some(m) = idx.models.iter().find(|m| norm(&m.make) == norm(name)) {
                *name = m.make.clone();
            }
        }
        let mut names_of: Vec<Vec<String>> = idx
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut names = variants(&m.model);
                for a in &aliases[i] {
                    names.extend(variants(a));
                }
                names.sort();
                names.dedup();
                names
            })
            .collect();
        // Series names: a catalog model that is another model plus a suffix ("Land Cruiser
        // Prado", "Corolla Cross", "Grand Cherokee L").
        let mut weak_names: Vec<(usize, String)> = Vec::new();
        let stop: HashSet<String> = k.stopword_table().into_values().flatten().map(|w| fold(&w)).collect();
        let tok_of = |s: &str| -> Vec<String> { dossier_core::text::tokens(&fold(s)).map(str::to_owned).collect() };
        for i in 0..idx.models.len() {
            if idx.models[i].stock.is_empty() {
                continue;
            }
            let toks = tok_of(&idx.models[i].model);
            if toks.len() < 2 {
                continue;
            }
            let make = norm(&idx.models[i].make);
            let model_named = |t: &[String]| {
                let j = t.join(" ");
                (0..idx.models.len()).find(|&o| {
                    o != i && norm(&idx.models[o].make) == make && tok_of(&idx.models[o].model).join(" ") == j
                })
            };
            for cut in 1..toks.len() {
                let (head, tail) = toks.split_at(cut);
                let Some(h) = model_named(head) else {
                    continue;
                };
                match model_named(tail) {
                    // Both halves are models ("Land Cruiser" + "Prado"): every spelling of one
                    // with every spelling of the other ("لاند كروزر برادو"), and the suffix
                    // model alone when the catalog lacks it ("Prado" → Land Cruiser Prado).
                    Some(t) => {
                        let mut extra = Vec::new();
                        for a in &names_of[h] {
                            for b in &names_of[t] {
                                extra.push(format!("{a} {b}"));
                            }
                        }
                        if idx.models[t].stock.is_empty() {
                            extra.extend(names_of[t].iter().cloned());
                        }
                        names_of[i].extend(extra);
                    }
                    // A distinctive suffix of a stocked model ("the Cross" for the Corolla
                    // Cross): a name that needs support, like an ambiguous model.
                    None => {
                        let t = tail.join(" ");
                        let letters = t.chars().filter(|c| c.is_alphabetic()).count();
                        // Short suffixes ("the L", "el EV") name the series only once the
                        // conversation has named it (see `mentions`).
                        if letters >= 1 && !idx.models[h].stock.is_empty() && (letters < 4 || !stop.contains(&t)) {
                            for b in variants(&t) {
                                weak_names.push((i, b));
                            }
                            // The suffix in another script, from an alias that is an alias of
                            // the shorter model plus a suffix ("كورولا كروس" → "كروس").
                            for a in &names_of[i] {
                                for base in &names_of[h] {
                                    if let Some(rest) = a.strip_prefix(base.as_str()).and_then(|r| r.strip_prefix(' '))
                                        && rest.chars().filter(|c| c.is_alphabetic()).count() >= 3
                                        && !rest.is_ascii()
                                        && !stop.contains(rest)
                                    {
                                        weak_names.push((i, rest.to_owned()));
                                    }
                                }
                            }
                            let extra: Vec<String> = names_of[h]
                                .iter()
                                .flat_map(|a| variants(&t).into_iter().map(move |b| format!("{a} {b}")))
                                .collect();
                            names_of[i].extend(extra);
                        }
                    }
                }
                break;
            }
        }
        // A table model that is a catalog model plus a number or suffix the catalog does not
        // write ("Silverado 1500" for the catalog's "Silverado"): its spellings name the
        // catalog model (the catalog's entry wins on the same words).
        for b in 0..idx.models.len() {
            if !idx.models[b].stock.is_empty() {
                continue;
            }
            let bt = tok_of(&idx.models[b].model);
            let make = norm(&idx.models[b].make);
            let head = (0..idx.models.len()).find(|&c| {
                let ct = tok_of(&idx.models[c].model);
                !idx.models[c].stock.is_empty()
                    && norm(&idx.models[c].make) == make
                    && ct.len() < bt.len()
                    && bt.starts_with(&ct)
                    // Only a number or a trim word extends it: "Hilux SW4" is another vehicle.
                    && bt[ct.len()..]
                        .iter()
                        .all(|t| t.chars().all(|ch| ch.is_ascii_digit()) || idx.trims.contains(t))
            });
            if let Some(c) = head {
                let extra = names_of[b].clone();
                names_of[c].extend(extra);
            }
        }
        // The base name of a series the catalog stocks only in one longer form ("LX" for the
        // "LX 600", "Tiggo 8" for the "Tiggo 8 Pro", "Land Cruiser" when only the "Land Cruiser
        // Prado" is stocked): a table model or a name with a digit names that stocked model.
        let stocked: Vec<usize> = (0..idx.models.len())
            .filter(|&c| !idx.models[c].stock.is_empty())
            .collect();
        for &c in &stocked {
            let ct = tok_of(&idx.models[c].model);
            let make = norm(&idx.models[c].make);
            for cut in 1..ct.len() {
                let prefix = &ct[..cut];
                let joined = prefix.join(" ");
                let stocked_same = stocked
                    .iter()
                    .any(|&o| norm(&idx.models[o].make) == make && tok_of(&idx.models[o].model).join(" ") == joined);
                let others = stocked
                    .iter()
                    .filter(|&&o| norm(&idx.models[o].make) == make && tok_of(&idx.models[o].model).starts_with(prefix))
                    .count();
                let table = (0..idx.models.len()).find(|&o| {
                    o != c && norm(&idx.models[o].make) == make && tok_of(&idx.models[o].model).join(" ") == joined
                });
                let digit = joined.chars().any(|ch| ch.is_ascii_digit()) && joined.chars().any(char::is_alphabetic);
                if stocked_same || others != 1 || !(table.is_some() || digit) {
                    continue;
                }
                let mut extra = match table {
                    Some(t) => names_of[t].clone(),
                    None => variants(&joined),
                };
                extra.retain(|n| n.chars().count() >= 2);
                names_of[c].extend(extra);
            }
        }
        for (i, names) in names_of.iter_mut().enumerate() {
            names.sort();
            names.dedup();
            for n in names.iter() {
                idx.set.add(n, i as u32);
            }
        }
        for (i, n) in weak_names {
            idx.set.add(&n, WEAK_BIT | i as u32);
        }
        for (j, (name, al)) in makes.iter().enumerate() {
            for n in std::iter::once(name).chain(al.iter()) {
                for v in variants(n) {
                    idx.set.add(&v, MAKE_BIT | j as u32);
                }
            }
        }
        idx.makes = makes.into_iter().map(|(n, _)| n).collect();
        let make_norms: Vec<String> = idx.makes.iter().map(|m| norm(m)).collect();
        for m in &mut idx.models {
            let n = norm(&m.make);
            m.make_idx = make_norms.iter().position(|x| *x == n).unwrap_or(usize::MAX);
        }
        idx
    }

    /// Vehicle-name hits of a message (found once, then reused by every reader).
    pub fn hits<'m>(&self, m: &'m Msg) -> &'m [Hit] {
        m.vehicle_hits.get_or_init(|| {
            let mut hits = Vec::new();
            self.set.find(&m.doc, &mut hits);
            hits
        })
    }

    pub fn key_of(&self, make: &str, model: &str) -> String {
        format!("{make}|{model}")
    }

    pub fn key(&self, model: usize) -> String {
        self.models
            .get(model)
            .map(|m| format!("{}|{}", m.make, m.model))
            .unwrap_or_default()
    }

    /// Vehicle mentions in a message: longest match wins; ambiguous names need support.
    pub fn mentions(&self, an: &Analyzer, m: &Msg, st: &AnalyzerState) -> Vec<Mention> {
        let hits: Vec<Hit> = self.hits(m).to_vec();
        let (make_hits, mut model_hits): (Vec<Hit>, Vec<Hit>) =
            hits.into_iter().partition(|h| h.payload & MAKE_BIT != 0);
        // The same span read as a plain name and as a weak one: the plain reading wins.
        let plain: Vec<(usize, usize, u32)> = model_hits
            .iter()
            .filter(|h| h.payload & WEAK_BIT == 0)
            .map(|h| (h.start, h.end, h.payload))
            .collect();
        model_hits.retain(|h| {
            h.payload & WEAK_BIT == 0
                || !plain
                    .iter()
                    .any(|&(s, e, p)| s == h.start && e == h.end && p == h.payload & !WEAK_BIT)
        });

        // A suffix shared by several series ("Cross": Corolla Cross, Yaris Cross) names the one
        // the conversation is about; with none seen, it names none.
        let weak_spans: Vec<(usize, usize)> = model_hits
            .iter()
            .filter(|h| h.payload & WEAK_BIT != 0)
            .map(|h| (h.start, h.end))
            .collect();
        for (s0, e0) in weak_spans.iter().copied() {
            let same: Vec<u32> = model_hits
                .iter()
                .filter(|h| h.payload & WEAK_BIT != 0 && h.start == s0 && h.end == e0)
                .map(|h| h.payload)
                .collect();
            if same.len() < 2 {
                continue;
            }
            let seen_rank = |p: u32| {
                let key = self.key((p & !WEAK_BIT) as usize);
                st.interests
                    .iter()
                    .rposition(|i| self.key_of(&i.make, &i.model) == key)
                    .map(|r| r + 1000)
                    .or_else(|| st.seen_models.iter().rposition(|k| *k == key))
            };
            let best = same.iter().copied().filter_map(|p| seen_rank(p).map(|r| (r, p))).max();
            model_hits.retain(|h| {
                !(h.payload & WEAK_BIT != 0 && h.start == s0 && h.end == e0)
                    || best.is_some_and(|(_, p)| p == h.payload)
            });
        }
        // Longest first, then drop hits overlapping a kept one.
        model_hits.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.start));
        let mut kept: Vec<Hit> = Vec::new();
        for h in model_hits {
            if kept.iter().all(|k| h.end <= k.start || h.start >= k.end) {
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| h.start);
        let d = &m.doc;
        let year_at = |w: usize| -> Option<i32> {
            if d.is_num(w) {
                let t = d.word(w);
                let y: i32 = t.parse().ok()?;
                if t.len() == 4 && (1980..=2035).contains(&y) {
                    return Some(y);
                }
            }
            None
        };
        let mut out = Vec::new();
        let intro = an.cat("contact.name_intro");
        let not_after = an.cat("ambiguous.not_after");
        let not_before = an.cat("ambiguous.not_before");
        let article = an.cat("ambiguous.article");
        // Ambiguous names without support of their own, kept to see whether the customer
        // coordinates them with a sure mention ("the Tucson or the Venue").
        let mut pending: Vec<Mention> = Vec::new();
        for h in kept {
            let weak = h.payload & WEAK_BIT != 0;
            let h = Hit {
                payload: h.payload & !WEAK_BIT,
                ..h
            };
            let Some(entry) = self.models.get(h.payload as usize) else {
                continue;
            };
            // A typo reading ("camri") or an ambiguous name right after "I'm" / "this is" is a
            // person's name ("I'm Priya"), never a model.
            let fuzzy = (h.start..h.end).any(|w| d.canon.get(w).is_some_and(|c| *c != d.word(w)));
            if (fuzzy || entry.ambiguous) && m.hits.iter().any(|i| i.payload == intro && i.end == h.start) {
                continue;
            }
            // "Aqui é a Fernanda Lima Prado": a capitalised model word closing a full name the
            // customer gives is the surname.
            let in_name = h.start >= 2
                && m.hits
                    .iter()
                    .any(|i| i.payload == intro && i.end <= h.start - 2 && h.start - 2 - i.end <= 1)
                && !make_hits.iter().any(|mh| mh.end + 2 >= h.start && mh.end <= h.start)
                && raw_span(m, h.start - 2, h.start + 1).is_some_and(|span| {
                    span.split(' ')
                        .all(|t| t.chars().next().is_some_and(char::is_uppercase))
                });
            if in_name {
                continue;
            }
            // The model's make written right before (allowing one word in between).
            let make_before = make_hits.iter().any(|mh| {
                let j = (mh.payload & !MAKE_BIT) as usize;
                j == entry.make_idx && mh.end <= h.start && h.start - mh.end <= 1
            });
            // A year right after the model, or right before it (or before its make).
            let make_start = make_hits.iter().filter(|mh| mh.end == h.start).map(|mh| mh.start).min();
            let year = year_at(h.end)
                .or_else(|| h.start.checked_sub(1).and_then(year_at))
                .or_else(|| make_start.and_then(|s| s.checked_sub(1)).and_then(year_at));
            // "its a LX" about a Honda: a common trim word that is also a model (Lexus LX)
            // names that model only with its make or once it is the subject already.
            if self.trims.contains(&norm(&entry.model))
                && !make_before
                && !st.seen_models.is_empty()
                && !st.seen_models.contains(&self.key(h.payload as usize))
            {
                continue;
            }
            // A name that is also a word is no word in another script: "السنتافي" is the car.
            let other_script =
                (h.start..h.end).all(|w| d.word(w).chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
            // "for city driving", "March 2": an ambiguous name used as a common word or a date.
            if entry.ambiguous && !other_script {
                let next_small = d.is_num(h.end) && d.word(h.end).parse::<u32>().is_ok_and(|n| (1..=31).contains(&n));
                if next_small || m.hits.iter().any(|i| i.payload == not_before && i.start == h.end) {
                    continue;
                }
            }
            // A short suffix ("the L", "el EV", "bl EV") names a series the conversation has
            // named already, right after an article; anything else ("2.0 L") is no model.
            if weak
                && (h.start..h.end)
                    .map(|w| d.word(w).chars().filter(|c| c.is_alphabetic()).count())
                    .sum::<usize>()
                    < 4
            {
                let named = st.seen_models.contains(&self.key(h.payload as usize));
                let after_article = h.start > 0 && m.hits.iter().any(|i| i.payload == article && i.end == h.start);
                if !(named && after_article) {
                    continue;
                }
            }
            if (entry.ambiguous && !other_script) || weak {
                let key = self.key(h.payload as usize);
                // "Passport original is required": a capital that opens a sentence proves nothing.
                let opens = h.start == 0 || d.sentence.get(h.start - 1) != d.sentence.get(h.start);
                // "in March" is a month: a capital after such a word proves nothing.
                let written = if weak {
                    raw_span(m, h.start, h.end)
                } else {
                    Some(entry.model.clone())
                };
                // "el Compass Limited": a trim of the model right after it supports the name.
                let next = norm(d.word(h.end));
                let trim_after =
                    !next.is_empty() && entry.stock.iter().any(|(_, t, _)| t.iter().any(|w| norm(w) == next));
                let capitalised = written
                    .as_deref()
                    .is_some_and(|w| w.chars().next().is_some_and(char::is_uppercase) && m.raw.contains(w))
                    && (!opens || trim_after)
                    && (trim_after || !m.hits.iter().any(|i| i.payload == not_after && i.end == h.start));
                // Another model of the same make already in the conversation ("the Peugeot
                // 3008?" … "and the 2008?"); a number needs an article right before it.
                let numeric = entry.model.chars().all(|c| c.is_ascii_digit());
                let same_make = st
                    .seen_models
                    .iter()
                    .any(|k| k.split('|').next() == Some(entry.make.as_str()))
                    && (!numeric || m.hits.iter().any(|i| i.payload == article && i.end == h.start));
                if !(make_before || year.is_some() || capitalised || same_make || st.seen_models.contains(&key)) {
                    pending.push(Mention {
                        model: h.payload as usize,
                        start: h.start,
                        year: None,
                    });
                    continue;
                }
            }
            out.push(Mention {
                model: h.payload as usize,
                start: h.start,
                year,
            });
        }
        // A trim right after a model ("Sportage LX", "Tucson GL") is no model of its own.
        if out.len() >= 2 {
            let mut keep = vec![true; out.len()];
            for i in 1..out.len() {
                let prev = &out[i - 1];
                let prev_end = prev.start + self.name_len(m, prev);
                if out[i].start != prev_end || !d.same_clause(prev_end.saturating_sub(1), out[i].start) {
                    continue;
                }
                let name = self
                    .models
                    .get(out[i].model)
                    .map(|e| norm(&e.model))
                    .unwrap_or_default();
                let trim_of_prev = self
                    .models
                    .get(prev.model)
                    .is_some_and(|e| e.stock.iter().any(|(_, t, _)| t.iter().any(|w| norm(w) == name)));
                if trim_of_prev || self.trims.contains(&name) {
                    keep[i] = false;
                }
            }
            let mut k = keep.into_iter();
            out.retain(|_| k.next().unwrap_or(true));
        }
        if !pending.is_empty() && !out.is_empty() {
            let coord = an.cat("ambiguous.coord");
            let sure: Vec<(usize, usize)> = out.iter().map(|o| (o.start, o.start + self.name_len(m, o))).collect();
            for p in pending {
                let p_end = p.start + self.name_len(m, &p);
                let joined = sure.iter().any(|&(s, e)| {
                    let (gap_from, gap_to) = if e <= p.start {
                        (e, p.start)
                    } else if p_end <= s {
                        (p_end, s)
                    } else {
                        return false;
                    };
                    gap_to - gap_from <= 3
                        && d.sentence.get(gap_from) == d.sentence.get(gap_to)
                        && (gap_from..gap_to).any(|w| m.hits.iter().any(|h| h.payload == coord && h.start == w))
                });
                // The same model named surely elsewhere in the message ("Tava pensando na Ranger
                // Raptor … Ranger não").
                let same = out.iter().any(|o| o.model == p.model);
                if joined || same {
                    out.push(p);
                }
            }
            out.sort_by_key(|o| o.start);
        }
        out
    }

    /// Makes the customer rules out as a whole ("not the BMW", "nada de Jeep", "بلاش بي ام"):
    /// a negation or drop cue right before a make written without a model after it.
    pub fn ruled_out_makes(&self, an: &Analyzer, m: &Msg, mentions: &[Mention]) -> Vec<String> {
        let hits: Vec<Hit> = self.hits(m).to_vec();
        let drop = an.cat("interest.drop");
        let mut out = Vec::new();
        for h in hits.iter().filter(|h| h.payload & MAKE_BIT != 0) {
            if mentions
                .iter()
                .any(|x| x.start >= h.end && x.start <= h.end + 1 && m.doc.same_clause(h.start, x.start))
                || m.doc.in_question(h.start)
            {
                continue;
            }
            let cue = m.hits.iter().any(|c| {
                (c.payload == drop || c.payload == an.neg_id)
                    && ((c.end <= h.start && h.start - c.end <= 1 && m.doc.same_clause(c.start, h.start))
                        // "الـ MG لأ، ...", "Jeep no, prefiero ...": a no right after, ending the clause.
                        || (c.start == h.end && !m.doc.same_clause(c.start, c.end)))
            });
            if cue && let Some(name) = self.makes.get((h.payload & !MAKE_BIT) as usize) {
                out.push(name.clone());
            }
        }
        out
    }

    /// A make followed by a model name that neither the catalog nor the model table knows: a
    /// model code ("XC60", "Q7") or a capitalised word that is no word of any language.
    pub fn unlisted(&self, an: &Analyzer, m: &Msg, mentions: &[Mention]) -> Vec<(String, String, usize)> {
        let d = &m.doc;
        let hits: Vec<Hit> = self.hits(m).to_vec();
        let make_hits: Vec<&Hit> = hits.iter().filter(|h| h.payload & MAKE_BIT != 0).collect();
        if make_hits.is_empty() {
            return Vec::new();
        }
        let model_spans: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| h.payload & MAKE_BIT == 0)
            .map(|h| (h.start, h.end))
            .collect();
        let light = crate::contact::light_fold(m.raw);
        let raw: Vec<&str> = crate::lex::lex(&light)
            .into_iter()
            .filter(|t| matches!(t.kind, crate::lex::Kind::Word | crate::lex::Kind::Num))
            .map(|t| t.text)
            .collect();
        if raw.len() != d.words.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for h in make_hits {
            let w = h.end;
            if w >= d.words.len()
                || !d.same_clause(h.start, w)
                || mentions.iter().any(|x| x.start == w)
                || model_spans.iter().any(|&(s, e)| s <= w && w < e)
            {
                continue;
            }
            let t = raw[w];
            let folded = d.word(w);
            let letters = t.chars().filter(|c| c.is_alphabetic()).count();
            let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
            let code = letters >= 1 && digits >= 1 && t.chars().count() <= 8 && t.chars().all(char::is_alphanumeric);
            let word = letters >= 3
                && digits == 0
                && t.chars().next().is_some_and(char::is_uppercase)
                && !an.canon.is_known(folded)
                && !m.hits.iter().any(|x| x.start <= w && w < x.end);
            if !(code || word) {
                continue;
            }
            let Some(make) = self.makes.get((h.payload & !MAKE_BIT) as usize) else {
                continue;
            };
            let model = if code { t.to_uppercase() } else { t.to_owned() };
            out.push((make.clone(), model, h.start));
        }
        out
    }

    /// Word spans of vehicle names in a message, and the words right after them ("Land Cruiser
    /// 300", "Peugeot 3008"): numbers there are part of a name, not money.
    pub fn name_spans(&self, m: &Msg) -> Vec<(usize, usize)> {
        let hits: Vec<Hit> = self.hits(m).to_vec();
        let makes: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| h.payload & MAKE_BIT != 0)
            .map(|h| (h.start, h.end))
            .collect();
        hits.iter()
            .filter(|h| {
                if h.payload & MAKE_BIT != 0 {
                    return true;
                }
                // A bare number that is also a model ("1500", "2008") is a name only after its make.
                let numeric = (h.start..h.end).all(|w| m.doc.is_num(w));
                let e = self.models.get((h.payload & !WEAK_BIT) as usize);
                !(numeric && e.is_some_and(|e| e.ambiguous)) || makes.iter().any(|&(_, me)| me == h.start)
            })
            .map(|h| (h.start, h.end))
            .collect()
    }

    /// Words of a mention's name in the message (for adjacency checks).
    fn name_len(&self, m: &Msg, men: &Mention) -> usize {
        let hits: Vec<Hit> = self.hits(m).to_vec();
        hits.iter()
            .filter(|h| {
                h.start == men.start && (h.payload & !WEAK_BIT) as usize == men.model && h.payload & MAKE_BIT == 0
            })
            .map(|h| h.end - h.start)
            .max()
            .unwrap_or(1)
    }

    fn describe(&self, mention: &Mention) -> String {
        let Some(e) = self.models.get(mention.model) else {
            return String::new();
        };
        match mention.year {
            Some(y) => format!("{y} {} {}", e.make, e.model),
            None => format!("{} {}", e.make, e.model),
        }
    }
}

/// The raw text of words `[start, end)` of a message (case kept), when it can be aligned.
fn raw_span(m: &Msg, start: usize, end: usize) -> Option<String> {
    let light = crate::contact::light_fold(m.raw);
    crate::contact::raw_words(&light, m).map(|words| words[start..end].join(" "))
}

/// Within the clause, does a hit of `a` stand before a hit of `b` (≤ 3 words apart)?
fn ordered_pair(an: &Analyzer, m: &Msg, a: &str, b: &str, clause_word: usize) -> bool {
    let (ca, cb) = (an.cat(a), an.cat(b));
    m.hits_of(ca).any(|ha| {
        m.doc.same_clause(ha.start, clause_word)
            && m.hits_of(cb)
                .any(|hb| hb.start >= ha.end && hb.start - ha.end <= 3 && m.doc.same_clause(hb.start, clause_word))
    })
}

/// Records the customer's wanted vehicles; returns their keys ("make|model").
pub(crate) fn observe(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg) -> Vec<String> {
    let vi = &an.vehicles;
    let mut mentions = vi.mentions(an, m, st);
    if let Some(r) = referenced(an, st, m)
        && !mentions.iter().any(|x| x.model == r.model)
    {
        mentions.push(r);
    }
    // "No, not the BMW": the customer rules out a whole make.
    let make_drops = vi.ruled_out_makes(an, m, &mentions);
    if !make_drops.is_empty() {
        st.interests.retain(|i| !make_drops.contains(&i.make));
    }
    // "lo de la pickup lo descarto", "forget the pickup": a body type ruled out takes the
    // models of that body with it.
    let drop_cat = an.cat("interest.drop");
    let article_cat = an.cat("ambiguous.article");
    for h in m.hits_of(an.cat("interest.body")) {
        let body: String = (h.start..h.end).map(|w| m.doc.word(w)).collect::<Vec<_>>().join(" ");
        let Some(kind) = an.knowledge.map("body_words").and_then(|b| b.get(&body)).cloned() else {
            continue;
        };
        let ruled_out = m.hits_of(drop_cat).any(|d| {
            m.doc.sentence.get(d.start) == m.doc.sentence.get(h.start)
                && ((d.end <= h.start && h.start - d.end <= 3) || (d.start >= h.end && d.start - h.end <= 3))
        });
        if ruled_out
            && !mentions
                .iter()
                .any(|x| m.doc.sentence.get(x.start) == m.doc.sentence.get(h.start))
        {
            st.interests.retain(|i| {
                let key = vi.key_of(&i.make, &i.model);
                !(0..vi.models.len()).any(|j| vi.key(j) == key && vi.models[j].bodies.contains(&kind))
            });
        }
    }
    let unlisted = vi.unlisted(an, m, &mentions);
    if mentions.is_empty() && unlisted.is_empty() {
        return Vec::new();
    }
    let support_msg = m.has_cat(an, "stage.support");
    // The agent asked about a trade-in and the customer answers with a car they have.
    let answers_trade = st.agent_asked_trade && m.has_cat(an, "trade_in.possession");
    let trade_cat = an.cat("trade_in.cue");
    let poss_cat = an.cat("trade_in.possession");
    let buy_cat = an.cat("interest.buy");
    let interest_cat = an.cat("intent.interest");
    let words: HashSet<&str> = (0..m.doc.words.len()).map(|w| m.doc.word(w)).collect();
    let settle_cat = an.cat("interest.settle");
    let settle_after_cat = an.cat("interest.settle_after");
    let n_words = m.doc.words.len();
    // A trade-in message that describes a model with its mileage ("Would you take my car as part
    // payment? It's a 2019 Qashqai, 78,000 km") describes the customer's own car.
    // Not when the message says there is none ("No trade. The Tucson with 20,000 km is the one").
    let trade_msg =
        (st.agent_asked_trade || m.hits_of(trade_cat).any(|h| !m.negated(an, h))) && !m.has_cat(an, "trade_in.none");
    let mileage_cat = an.cat("trade_in.mileage");
    let described_owned = |w: usize| {
        trade_msg
            && !m.doc.in_question(w)
            && m.hits_of(mileage_cat)
                .any(|h| m.doc.sentence.get(h.start) == m.doc.sentence.get(w))
    };
    // "I have a 2016 Kona", "عندي هيونداي i30": a possession phrase just before the model.
    let possessed_at = |w: usize| {
        m.hits_of(poss_cat)
            .any(|h| h.end <= w && w - h.end <= 3 && m.doc.same_clause(h.start, w))
    };
    let mut settled: Option<String> = None;
    let mut wanted = Vec::new();
    for men in &mentions {
        let key = vi.key(men.model);
        if !st.seen_models.contains(&key) {
            push_capped(&mut st.seen_models, key.clone(), crate::state::MAX_SEEN_MODELS);
        }
        // The customer rules a model out: "forget the Explorer", "el Jimny ... descártalo",
        // "el CR-V no, prefiero ...". It leaves the interests.
        // The cue's object is the nearest model: "انسى التوسان، بدنا السنتافي" drops only the
        // Tucson.
        let between = |a: usize, b: usize| mentions.iter().any(|o| o.start > a && o.start < b);
        // A rule-out in an earlier clause of a question still rules out ("the Corolla is too
        // small for us, what about the RAV4?").
        let asked = |w: usize| {
            let sent = m.doc.sentence.get(w);
            let last = (0..m.doc.words.len()).rev().find(|&x| m.doc.sentence.get(x) == sent);
            m.doc.in_question(w) && last.is_some_and(|l| m.doc.same_clause(l, w))
        };
        // "وإذا ما عجبتني بستنى السوناتا", "if I don't like it": a rule-out under "if" is none.
        let conditional = |h: &crate::lex::Hit| m.under_condition(an, h, 3);
        let dropped = m.hits_of(drop_cat).any(|h| {
            !asked(h.start)
                && !conditional(h)
                && m.doc.sentence.get(h.start) == m.doc.sentence.get(men.start)
                && ((h.end <= men.start
                    && men.start - h.end <= 2
                    && !between(h.start, men.start)
                    && m.doc.same_clause(h.start, men.start))
                    || (h.start > men.start && h.start - men.start <= 14 && !between(men.start, h.start)))
        }) || m.hits.iter().any(|h| {
            // "Ok, no Carnival then", "não o Tucson": a no right before the model.
            h.payload == an.neg_id
                && h.end <= men.start
                && men.start - h.end
                    <= usize::from(m.hits.iter().any(|a| a.payload == article_cat && a.end == men.start))
                && h.end - h.start == 1
                && !m.doc.in_question(men.start)
                && m.doc.same_clause(h.start, men.start)
        }) || m.hits.iter().any(|h| {
            h.payload == an.neg_id
                && h.start > men.start
                && h.start - men.start <= 3
                && (h.end >= n_words || !m.doc.same_clause(h.start, h.end))
                && !m.doc.in_question(h.start)
        });
        if dropped {
            // "esquece o Equinox" after "E o Equinox EV?": the shorter name rules out the one
            // series of it the customer wants.
            let held = st.interests.iter().any(|i| vi.key_of(&i.make, &i.model) == key);
            let series: Vec<String> = match vi.models.get(men.model) {
                Some(e) if !held => {
                    let stem = format!("{} ", fold(&e.model));
                    st.interests
                        .iter()
                        .filter(|i| norm(&i.make) == norm(&e.make) && fold(&i.model).starts_with(&stem))
                        .map(|i| vi.key_of(&i.make, &i.model))
                        .collect()
                }
                _ => Vec::new(),
            };
            let gone = if series.len() == 1 {
                series[0].clone()
            } else {
                key.clone()
            };
            st.interests.retain(|i| vi.key_of(&i.make, &i.model) != gone);
            continue;
        }
        // "I'll stick with the Territory", "me quedo con el 2008", "vou ficar com a L200",
        // "خلني على CX-30": the customer settled on one model; the others leave the interests.
        // "la segunda me late más", "o HR-V eu gostei mais": a preference said after the model
        // makes it the one the talk is about, without ruling the others out.
        let prefer_cat = an.cat("interest.prefer_after");
        if m.hits_of(prefer_cat)
            .any(|h| h.start > men.start && h.start - men.start <= 4 && m.doc.same_clause(h.start, men.start))
        {
            st.focus = Some(key.clone());
        }
        // "خلاص البرادو أحسن لي": a model said to suit the customer best is the one settled on.
        if settled.is_none()
            && m.hits_of(settle_after_cat)
                .any(|h| h.start > men.start && h.start - men.start <= 3 && m.doc.same_clause(h.start, men.start))
        {
            settled = Some(key.clone());
        }
        if settled.is_none()
            && m.hits_of(settle_cat)
                .any(|h| h.end <= men.start && men.start - h.end <= 2 && m.doc.same_clause(h.start, men.start))
        {
            settled = Some(key.clone());
        }
        // "How much would you give me for it if I buy the Sorento?": the car after a purchase
        // verb is the one wanted, not the trade-in.
        // "Estoy interesado en la CX-5 y tengo una CX-3 para dejar en parte de pago": a model
        // right after an interest statement is wanted too.
        let bought = [buy_cat, interest_cat].iter().any(|&c| {
            m.hits_of(c)
                .any(|h| h.end <= men.start && men.start - h.end <= 2 && m.doc.same_clause(h.start, men.start))
        });
        let trade = !bought
            && m.hits_of(trade_cat)
                .any(|h| !m.negated(an, h) && m.doc.same_clause(h.start, men.start));
        let possessed = possessed_at(men.start);
        // A model already wanted keeps being wanted when its mileage is mentioned.
        let held = st.interests.iter().any(|i| vi.key_of(&i.make, &i.model) == key);
        let trade = trade || (answers_trade && possessed) || (!bought && !held && described_owned(men.start));
        if trade || (possessed && !support_msg) {
            if !st.owned_models.contains(&key) {
                push_capped(&mut st.owned_models, key.clone(), 4);
            }
            if trade || st.trade_in.as_ref().is_some_and(|t| t.has) {
                let t = st.trade_in.get_or_insert_with(TradeState::default);
                t.has = true;
                t.description = Some(vi.describe(men));
                push_ev(&mut t.evidence, &msg.id);
            }
            continue;
        }
        if ordered_pair(an, m, "others.people", "others.wants", men.start) {
            continue;
        }
        if st.owned_models.contains(&key) && !support_msg {
            continue;
        }
        let Some(entry) = vi.models.get(men.model) else {
            continue;
        };
        // Catalog precision: year, then trim words present in the message.
        let mut cands: Vec<&(i32, Vec<String>, String)> = entry
            .stock
            .iter()
            .filter(|(y, _, _)| men.year.is_none_or(|my| *y == my))
            .collect();
        let trimmed: Vec<&(i32, Vec<String>, String)> = cands
            .iter()
            .copied()
            .filter(|(_, t, _)| !t.is_empty() && t.iter().all(|w| words.contains(w.as_str())))
            .collect();
        let mut trim = None;
        if !trimmed.is_empty() {
            trim = catalog_trim(an, men.model, &trimmed[0].2);
            cands = trimmed;
        }
        let catalog_ref = (men.year.is_some() && cands.len() == 1).then(|| cands[0].2.clone());
        if let Some(i) = st
            .interests
            .iter()
            .position(|i| i.make == entry.make && i.model == entry.model)
        {
            let it = &mut st.interests[i];
            it.mentions = it.mentions.saturating_add(1);
            it.last = msg.timestamp;
            if men.year.is_some() {
                it.year = men.year;
                it.catalog_ref = catalog_ref;
            }
            if trim.is_some() {
                it.trim = trim;
            }
            push_ev(&mut it.evidence, &msg.id);
            let it = st.interests.remove(i);
            st.interests.push(it);
        } else {
            let it = InterestState {
                make: entry.make.clone(),
                model: entry.model.clone(),
                year: men.year,
                trim,
                catalog_ref,
                mentions: 1,
                last: msg.timestamp,
                evidence: vec![msg.id.clone()],
            };
            push_capped(&mut st.interests, it, MAX_INTERESTS);
        }
        if !wanted.contains(&key) {
            wanted.push(key);
        }
    }
    // Models the catalog and the model table lack, written after their make ("o Volvo XC60").
    for (make, model, start) in unlisted {
        let others = ordered_pair(an, m, "others.people", "others.wants", start);
        let traded = m.hits_of(trade_cat).any(|h| m.doc.same_clause(h.start, start));
        let possessed = possessed_at(start);
        if others || traded || described_owned(start) || (possessed && !support_msg) {
            let key = vi.key_of(&make, &model);
            if !others && !st.owned_models.contains(&key) {
                push_capped(&mut st.owned_models, key, 4);
            }
            continue;
        }
        let key = vi.key_of(&make, &model);
        if let Some(i) = st.interests.iter().position(|i| i.make == make && i.model == model) {
            let mut it = st.interests.remove(i);
            it.mentions = it.mentions.saturating_add(1);
            it.last = msg.timestamp;
            push_ev(&mut it.evidence, &msg.id);
            st.interests.push(it);
        } else {
            push_capped(
                &mut st.interests,
                InterestState {
                    make,
                    model,
                    year: None,
                    trim: None,
                    catalog_ref: None,
                    mentions: 1,
                    last: msg.timestamp,
                    evidence: vec![msg.id.clone()],
                },
                MAX_INTERESTS,
            );
        }
        if !wanted.contains(&key) {
            wanted.push(key);
        }
    }
    if wanted.len() >= 2 && settled.is_none() {
        st.focus = None;
    }
    // "That one is too expensive, forget am": a rule-out of "that one" with no model named in
    // its sentence drops the model the talk was last about.
    let that_one = an.cat("reference.that_one");
    if let Some(h) = m.hits_of(drop_cat).find(|h| !m.doc.in_question(h.start)) {
        let sent = m.doc.sentence.get(h.start);
        let named = mentions.iter().any(|x| m.doc.sentence.get(x.start) == sent);
        let pointed = m.hits_of(that_one).any(|t| m.doc.sentence.get(t.start) == sent);
        if pointed
            && !named
            && let Some(i) = st
                .interests
                .iter()
                .rposition(|i| !wanted.contains(&vi.key_of(&i.make, &i.model)))
        {
            st.interests.remove(i);
        }
    }
    // "So Hilux vs Frontier", "Fica entre Nivus e T-Cross mesmo": two models named after such a
    // cue are the ones left in play.
    let pair_cat = an.cat("interest.settle_pair");
    if settled.is_none()
        && let Some(h) = m.hits_of(pair_cat).next()
    {
        let pair: Vec<String> = mentions
            .iter()
            .filter(|x| x.start >= h.end && m.doc.sentence.get(x.start) == m.doc.sentence.get(h.start))
            .map(|x| vi.key(x.model))
            .collect();
        if pair.len() >= 2
            && pair
                .iter()
                .all(|k| st.interests.iter().any(|i| vi.key_of(&i.make, &i.model) == *k))
        {
            st.interests.retain(|i| pair.contains(&vi.key_of(&i.make, &i.model)));
        }
    }
    if let Some(k) = settled
        && st.interests.iter().any(|i| vi.key_of(&i.make, &i.model) == k)
    {
        st.interests.retain(|i| vi.key_of(&i.make, &i.model) == k);
        wanted.retain(|w| *w == k);
    }
    wanted
}

/// An agent message that names the customer's trade-in ("we take your Accent as part of the
/// payment", after a voice note): that vehicle is the customer's, not an interest.
pub(crate) fn note_agent_trade(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg, mentions: &[Mention]) {
    let trade_cat = an.cat("trade_in.cue");
    for men in mentions {
        let trade = m
            .hits_of(trade_cat)
            .any(|h| !m.negated(an, h) && !m.doc.in_question(h.start) && m.doc.same_clause(h.start, men.start));
        if !trade {
            continue;
        }
        let key = an.vehicles.key(men.model);
        if st
            .interests
            .iter()
            .any(|i| an.vehicles.key_of(&i.make, &i.model) == key)
        {
            continue;
        }
        if !st.owned_models.contains(&key) {
            push_capped(&mut st.owned_models, key, 4);
        }
        let t = st.trade_in.get_or_insert_with(TradeState::default);
        if t.description.is_none() {
            t.description = Some(an.vehicles.describe(men));
        }
        t.has = true;
        push_ev(&mut t.evidence, &msg.id);
    }
}

/// Remembers the vehicles an agent message named, in order, with the price quoted after each.
pub(crate) fn note_agent_list(
    an: &Analyzer,
    st: &mut AnalyzerState,
    _m: &Msg,
    mentions: &[Mention],
    amts: &[crate::amount::Amount],
) {
    if mentions.is_empty() {
        st.agent_list_age = st.agent_list_age.saturating_add(1);
        return;
    }
    let mut list: Vec<(String, Option<rust_decimal::Decimal>)> = Vec::new();
    for (i, men) in mentions.iter().enumerate() {
        let key = an.vehicles.key(men.model);
        if list.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let next = mentions.get(i + 1).map(|n| n.start).unwrap_or(usize::MAX);
        let price = amts
            .iter()
            .find(|a| a.start > men.start && a.start < next && a.money_like())
            .map(|a| a.value);
        list.push((key, price));
        if list.len() >= crate::state::MAX_AGENT_LIST {
            break;
        }
    }
    st.agent_list = list;
    st.agent_list_age = 0;
}

/// The vehicle of the agent's latest list the customer points at: "the second one",
/// "la más barata", "o primeiro", "الثانية", or "that one" right after a single vehicle.
fn referenced(an: &Analyzer, st: &AnalyzerState, m: &Msg) -> Option<Mention> {
    let list = &st.agent_list;
    if list.is_empty() || st.agent_list_age > 3 {
        return None;
    }
    let hit = |cat: &str| m.hits_of(an.cat(cat)).next().copied();
    let mut pick: Option<(usize, usize)> = None; // (list index, word)
    if list.len() >= 2 {
        let ordinals = [
            ("reference.first", 0usize),
            ("reference.second", 1),
            ("reference.third", 2),
            ("reference.fourth", 3),
        ];
        for (cat, i) in ordinals {
            if let Some(h) = hit(cat)
                && i < list.len()
            {
                pick = Some((i, h.start));
                break;
            }
        }
        if pick.is_none()
            && let Some(h) = hit("reference.last")
        {
            pick = Some((list.len() - 1, h.start));
        }
        let by_price = |cheapest: bool| {
            let priced = list.iter().enumerate().filter_map(|(i, (_, p))| p.map(|p| (i, p)));
            if cheapest {
                priced.min_by_key(|(_, p)| *p).map(|(i, _)| i)
            } else {
                priced.max_by_key(|(_, p)| *p).map(|(i, _)| i)
            }
        };
        if pick.is_none()
            && let Some(h) = hit("reference.cheaper")
        {
            pick = by_price(true).map(|i| (i, h.start));
        }
        if pick.is_none()
            && let Some(h) = hit("reference.pricier")
        {
            pick = by_price(false).map(|i| (i, h.start));
        }
    } else if st.agent_list_age == 0
        && let Some(h) = hit("reference.that_one")
        && (h.end - h.start >= 2 || h.start <= 1)
        // "لا ده كتير أوي", "no, that one is too much": a rejected offer is no interest.
        && !m.hits_of(an.neg_id).any(|n| n.start == 0)
        && !m.has_cat(an, "objection.cue")
    {
        pick = Some((0, h.start));
    }
    let (i, start) = pick?;
    let key = &list.get(i)?.0;
    let model = (0..an.vehicles.models.len()).find(|&j| an.vehicles.key(j) == *key)?;
    Some(Mention {
        model,
        start,
        year: None,
    })
}

fn catalog_trim(_an: &Analyzer, _model: usize, id: &str) -> Option<String> {
    _an.vehicles
        .models
        .get(_model)
        .and_then(|e| e.stock.iter().find(|s| s.2 == id))
        .map(|s| s.1.join(" ").to_uppercase())
}

pub(crate) fn fill(st: &AnalyzerState, p: &mut Profile) {
    let mut list: Vec<&InterestState> = st.interests.iter().collect();
    list.sort_by_key(|i| std::cmp::Reverse(i.last));
    p.interests = list
        .into_iter()
        .map(|i| Interest {
            item: match i.year {
                Some(y) => format!("{} {} {y}", i.make, i.model),
                None => format!("{} {}", i.make, i.model),
            },
            make: i.make.clone(),
            model: i.model.clone(),
            year: i.year,
            trim: i.trim.clone(),
            catalog_ref: i.catalog_ref.clone(),
            mentions: i.mentions,
            last_mentioned: Some(i.last),
            evidence: i.evidence.clone(),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use crate::tests_support::*;

    fn items(msgs: &[(&str, &str)]) -> Vec<String> {
        let mut v: Vec<String> = run(msgs)
            .interests
            .into_iter()
            .map(|i| format!("{} {}", i.make, i.model))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn catalog_spelling_and_variants() {
        assert_eq!(items(&[("in", "do you have a crv or a cr v?")]), ["Honda CR-V"]);
        assert_eq!(items(&[("in", "any f150s?")]), ["Ford F-150"]);
        assert_eq!(
            items(&[("in", "model3 or model y")]),
            ["Tesla Model 3", "Tesla Model Y"]
        );
        assert_eq!(items(&[("in", "is the 2022 Corola still there")]), ["Toyota Corolla"]);
        assert_eq!(
            items(&[("in", "بغيت أسأل عن الجراند شيروكي ٢٠٢٢")]),
            ["Jeep Grand Cherokee"]
        );
        assert_eq!(items(&[("in", "عايز لاند كروزر")]), ["Toyota Land Cruiser"]);
        assert_eq!(items(&[("in", "ando buscando una troca")]), Vec::<String>::new());
    }

    #[test]
    fn excludes_trade_in_others_and_agent_only() {
        assert_eq!(
            items(&[("in", "I want a RAV4. I have a 2015 Civic to trade in")]),
            ["Toyota RAV4"]
        );
        assert_eq!(
            items(&[("in", "my brother is looking for a Tacoma")]),
            Vec::<String>::new()
        );
        assert_eq!(
            items(&[("out", "We have a Corolla and a Civic"), ("in", "ok thanks")]),
            Vec::<String>::new()
        );
        assert_eq!(
            items(&[("in", "I bought a Tucson from you and the light came on")]),
            ["Hyundai Tucson"]
        );
        assert_eq!(
            items(&[("in", "tengo un Sentra 2015 para dar a cuenta, busco una Tacoma")]),
            ["Toyota Tacoma"]
        );
    }

    #[test]
    fn ambiguous_names_need_context() {
        assert_eq!(items(&[("in", "I need to escape the city")]), Vec::<String>::new());
        assert_eq!(items(&[("in", "is the Ford Escape available")]), ["Ford Escape"]);
        assert_eq!(items(&[("in", "the rogue has more space?")]), Vec::<String>::new());
        assert_eq!(items(&[("in", "I like the Rogue")]), ["Nissan Rogue"]);
    }

    #[test]
    fn catalog_ref_when_unique() {
        let p = run(&[("in", "Is the 2023 Elantra still there?")]);
        assert_eq!(p.interests[0].year, Some(2023));
        assert!(p.interests[0].catalog_ref.is_some());
    }

    #[test]
    fn short_model_typos() {
        assert_eq!(items(&[("in", "is the Civc still there?")]), ["Honda Civic"]);
        assert_eq!(items(&[("in", "quanto ta o camri?")]), ["Toyota Camry"]);
        assert_eq!(items(&[("in", "tienen la Tacma 2020?")]), ["Toyota Tacoma"]);
        assert_eq!(items(&[("in", "عندكم Corola؟")]), ["Toyota Corolla"]);
        // A person's name is no model; dictionary words are no typo.
        assert_eq!(items(&[("in", "Hi, I'm Priya")]), Vec::<String>::new());
        assert_eq!(items(&[("in", "this is Priya from work")]), Vec::<String>::new());
        assert_eq!(items(&[("in", "carro civil, comer, casa")]), Vec::<String>::new());
        assert_eq!(items(&[("in", "we bought it in March")]), Vec::<String>::new());
        let an = analyzer();
        assert!(an.explain("leaning").is_empty(), "{:?}", an.explain("leaning"));
    }

    fn series_analyzer() -> &'static crate::Analyzer {
        static A: std::sync::OnceLock<crate::Analyzer> = std::sync::OnceLock::new();
        A.get_or_init(|| {
            let csv =
                "id,branch,make,model,year,trim,condition,price,currency,mileage_km,color,body,fuel,transmission,status
S1,North,Toyota,Land Cruiser Prado,2023,TXL,new,250000,SAR,0,white,suv,gasoline,automatic,available
S2,North,Toyota,Land Cruiser,2022,GXR,used,280000,SAR,30000,black,suv,gasoline,automatic,available
S3,North,Toyota,Corolla,2023,XLI,new,90000,SAR,0,white,sedan,gasoline,cvt,available
S4,North,Toyota,Corolla Cross,2024,Hybrid,new,120000,SAR,0,grey,suv,hybrid,cvt,available
S5,South,Jeep,Grand Cherokee L,2023,Limited,new,260000,SAR,0,blue,suv,gasoline,automatic,available
S6,South,Jeep,Grand Cherokee,2022,Laredo,used,180000,SAR,25000,white,suv,gasoline,automatic,available
S7,South,Mazda,CX-30,2023,Core,new,110000,SAR,0,red,suv,gasoline,automatic,available
S8,South,Mazda,CX-3,2021,Core,used,70000,SAR,40000,red,suv,gasoline,automatic,available
S9,South,Hyundai,Tucson,2023,GL,new,100000,SAR,0,white,suv,gasoline,automatic,available
S10,South,Hyundai,Venue,2023,GL,new,70000,SAR,0,white,suv,gasoline,automatic,available
S11,South,Kia,Sportage,2023,LX,new,105000,SAR,0,white,suv,gasoline,automatic,available
S12,South,Kia,Soul,2022,LX,used,60000,SAR,20000,white,hatchback,gasoline,automatic,available";
            let cat = dossier_core::Catalog::from_csv(csv.as_bytes()).unwrap();
            crate::Analyzer::new(std::sync::Arc::new(crate::Knowledge::builtin()), &cat)
        })
    }

    fn series_items(msgs: &[(&str, &str)]) -> Vec<String> {
        let mut v: Vec<String> = series_analyzer()
            .analyze(&conv(msgs, None), "t")
            .interests
            .into_iter()
            .map(|i| format!("{} {}", i.make, i.model))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn series_names_match_the_catalog_model() {
        let it = |t: &str| series_items(&[("in", t)]);
        assert_eq!(
            it("is the land cruiser prado still there?"),
            ["Toyota Land Cruiser Prado"]
        );
        assert_eq!(it("landcruiser prado 2023 price?"), ["Toyota Land Cruiser Prado"]);
        assert_eq!(it("عندكم برادو؟"), ["Toyota Land Cruiser Prado"]);
        assert_eq!(it("كم سعر لاند كروزر برادو"), ["Toyota Land Cruiser Prado"]);
        assert_eq!(it("how much is the prado?"), ["Toyota Land Cruiser Prado"]);
        assert_eq!(it("and the Land Cruiser GXR?"), ["Toyota Land Cruiser"]);
        assert_eq!(it("me interesa el Corolla Cross híbrido"), ["Toyota Corolla Cross"]);
        assert_eq!(it("Quanto tá o Cross?"), ["Toyota Corolla Cross"]);
        assert_eq!(it("I need to cross the border"), Vec::<String>::new());
        assert_eq!(it("the corolla please"), ["Toyota Corolla"]);
        assert_eq!(it("do you have the Grand Cherokee L?"), ["Jeep Grand Cherokee L"]);
        assert_eq!(it("grand cherokee 2022 laredo"), ["Jeep Grand Cherokee"]);
        assert_eq!(it("tienen la cx-30?"), ["Mazda CX-30"]);
        assert_eq!(it("tienen la cx 30 o la cx3?"), ["Mazda CX-3", "Mazda CX-30"]);
    }

    #[test]
    fn an_ambiguous_model_beside_a_sure_one_counts() {
        let it = |t: &str| series_items(&[("in", t)]);
        assert_eq!(
            it("I'm torn between the Tucson or the venue"),
            ["Hyundai Tucson", "Hyundai Venue"]
        );
        assert_eq!(it("estoy entre la sportage y la soul"), ["Kia Soul", "Kia Sportage"]);
        assert_eq!(
            it("tucson ou venue, qual compensa?"),
            ["Hyundai Tucson", "Hyundai Venue"]
        );
        assert_eq!(it("the venue was nice, but the tucson is bigger"), ["Hyundai Tucson"]);
        assert_eq!(it("what a venue"), Vec::<String>::new());
    }

    #[test]
    fn references_to_the_agents_list() {
        let list = "We have a 2020 Honda Civic for $18,400 and a 2022 Toyota Corolla for $20,900.";
        assert_eq!(
            items(&[("out", list), ("in", "the second one please")]),
            ["Toyota Corolla"]
        );
        assert_eq!(items(&[("out", list), ("in", "the cheaper one")]), ["Honda Civic"]);
        assert_eq!(
            items(&[("out", list), ("in", "me interesa la segunda")]),
            ["Toyota Corolla"]
        );
        assert_eq!(
            items(&[("out", list), ("in", "o primeiro, por favor")]),
            ["Honda Civic"]
        );
        assert_eq!(items(&[("out", list), ("in", "الثانية كم سعرها؟")]), ["Toyota Corolla"]);
        let one = "We have a 2022 Toyota Corolla LE for $20,900.";
        assert_eq!(
            items(&[("out", one), ("in", "ok that one sounds good")]),
            ["Toyota Corolla"]
        );
        assert_eq!(items(&[("out", one), ("in", "ese me gusta")]), ["Toyota Corolla"]);
        assert_eq!(items(&[("out", one), ("in", "esse mesmo")]), ["Toyota Corolla"]);
        // No list: nothing to point at; and the evidence is the customer's message.
        assert_eq!(items(&[("in", "the second one")]), Vec::<String>::new());
        let p = run(&[("out", list), ("in", "the first one")]);
        assert_eq!(p.interests[0].evidence[0].as_str(), "m1");
    }
}
