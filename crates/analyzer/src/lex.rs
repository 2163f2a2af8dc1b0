//! Tokenising folded text and matching phrase lists against it.
//!
//! Why not regexes: hundreds of cue phrases in four languages must be matched per message in a
//! few microseconds, tolerant to typos and Arabic clitics. Phrases are indexed by their first
//! token; each text token is first mapped to a canonical vocabulary word (exact, Arabic prefix or
//! suffix stripped, or one edit away for long words), then phrases are checked token by token.

use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, non-cryptographic hasher (FxHash) for the word tables: keys are our own
/// vocabulary, lookups are per token, and SipHash dominated the profile.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.hash = (self.hash.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// Folds text like `dossier_core::text::fold`, with a fast path for plain ASCII (most messages).
pub fn fold_fast(s: &str) -> String {
    if s.is_ascii() {
        s.bytes()
            .map(|b| match b {
                b'`' => '\'',
                b => char::from(b.to_ascii_lowercase()),
            })
            .collect()
    } else {
        dossier_core::text::fold(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Num,
    /// Clause-breaking punctuation (`. , ! ? ; :` …).
    Punct,
    /// Anything else kept: `$`, `%`, `/`, `€`, emoji.
    Sym,
}

#[derive(Debug, Clone, Copy)]
pub struct Tok<'a> {
    pub text: &'a str,
    pub kind: Kind,
}

/// A lexed message: tokens, the word/number tokens, their clause, and canonical forms.
pub struct Doc<'a> {
    pub toks: Vec<Tok<'a>>,
    /// Indices into `toks` of words and numbers (phrase positions count these).
    pub words: Vec<usize>,
    /// Clause number of each entry in `words`.
    pub clause: Vec<u16>,
    /// Canonical form of each entry in `words` (the word itself, a clitic-free part of it, or
    /// the vocabulary word a typo stands for).
    pub canon: Vec<&'a str>,
    /// Sentence number of each entry in `words`.
    pub sentence: Vec<u16>,
    /// Per sentence: does it end with a question mark?
    pub sentence_q: Vec<bool>,
    /// Per sentence: does it end with an exclamation mark?
    pub sentence_x: Vec<bool>,
    /// A second reading (an Arabic word that is itself known but also known without a clitic).
    pub alt: Vec<Option<&'a str>>,
}

impl<'a> Doc<'a> {
    pub fn word(&self, w: usize) -> &'a str {
        self.words
            .get(w)
            .and_then(|&i| self.toks.get(i))
            .map(|t| t.text)
            .unwrap_or("")
    }
    pub fn is_num(&self, w: usize) -> bool {
        self.words
            .get(w)
            .and_then(|&i| self.toks.get(i))
            .is_some_and(|t| t.kind == Kind::Num)
    }
    /// Is word `w` in a sentence that ends with a question mark?
    pub fn in_question(&self, w: usize) -> bool {
        self.sentence
            .get(w)
            .and_then(|&s| self.sentence_q.get(s as usize))
            .copied()
            .unwrap_or(false)
    }
    /// Is word `w` in a sentence that ends with an exclamation mark?
    pub fn in_exclamation(&self, w: usize) -> bool {
        self.sentence
            .get(w)
            .and_then(|&s| self.sentence_x.get(s as usize))
            .copied()
            .unwrap_or(false)
    }
    pub fn same_clause(&self, a: usize, b: usize) -> bool {
        self.clause.get(a).is_some() && self.clause.get(a) == self.clause.get(b)
    }
    /// Token index just before word `w` (for symbols like `$`).
    pub fn tok_index(&self, w: usize) -> Option<usize> {
        self.words.get(w).copied()
    }
}

fn is_break(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '!' | '?' | ';' | ':' | '\n' | '؟' | '؛' | '(' | ')' | '¿' | '¡' | '"' | '…'
    )
}

/// Splits folded text into tokens. Numbers keep their separators (`25,000`, `27.9`); a number
/// followed by letters splits there (`25k` → `25`, `k`).
pub fn lex(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let b: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    let end_of = |j: usize| b.get(j).map(|x| x.0).unwrap_or(s.len());
    while i < b.len() {
        let (start, c) = b[i];
        if c.is_ascii_digit() {
            let mut j = i + 1;
            loop {
                while j < b.len() && b[j].1.is_ascii_digit() {
                    j += 1;
                }
                if j + 1 < b.len() && matches!(b[j].1, '.' | ',') && b[j + 1].1.is_ascii_digit() {
                    j += 1;
                    continue;
                }
                break;
            }
            out.push(Tok {
                text: &s[start..end_of(j)],
                kind: Kind::Num,
            });
            i = j;
        } else if c.is_alphabetic() {
            let mut j = i + 1;
            loop {
                while j < b.len() && b[j].1.is_alphanumeric() {
                    j += 1;
                }
                // Arabizi "3'" / "7'" (غ, خ) stay inside the word: "a3'ayyerha" is one word.
                if j + 1 < b.len()
                    && b[j].1 == '\''
                    && matches!(b[j - 1].1, '3' | '7' | '9' | '6')
                    && b[j + 1].1.is_alphabetic()
                {
                    j += 1;
                    continue;
                }
                break;
            }
            out.push(Tok {
                text: &s[start..end_of(j)],
                kind: Kind::Word,
            });
            i = j;
        } else if c.is_whitespace() && c != '\n' {
            i += 1;
        } else {
            let kind = if is_break(c) { Kind::Punct } else { Kind::Sym };
            out.push(Tok {
                text: &s[start..end_of(i + 1)],
                kind,
            });
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone)]
enum PTok {
    Exact(String),
    Prefix(String),
}

#[derive(Debug, Clone)]
struct Phrase {
    toks: Vec<PTok>,
    payload: u32,
    lang: u8,
}

/// A match of a phrase: payload and the word range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub payload: u32,
    pub start: usize,
    pub end: usize,
    /// Language id of the phrase (0: language-independent); see `Analyzer::lang_codes`.
    pub lang: u8,
}

/// A set of phrases with payloads, indexed by first token.
#[derive(Debug, Clone, Default)]
pub struct PhraseSet {
    phrases: Vec<Phrase>,
    first: HashMap<String, Vec<u32>>,
    /// Phrases starting with a prefix token, by the prefix's first character.
    wild: HashMap<char, Vec<u32>>,
}

/// Turns a written phrase into tokens; `None` if it has no word.
fn phrase_tokens(phrase: &str) -> Option<Vec<PTok>> {
    let folded = dossier_core::text::fold(phrase);
    let mut toks = Vec::new();
    for piece in folded.split_whitespace() {
        if let Some(p) = piece.strip_suffix('*') {
            let words: Vec<&str> = lex(p)
                .into_iter()
                .filter(|t| matches!(t.kind, Kind::Word | Kind::Num))
                .map(|t| t.text)
                .collect();
            let n = words.len();
            for (i, w) in words.into_iter().enumerate() {
                toks.push(if i + 1 == n {
                    PTok::Prefix(w.to_owned())
                } else {
                    PTok::Exact(w.to_owned())
                });
            }
        } else {
            for t in lex(piece) {
                if matches!(t.kind, Kind::Word | Kind::Num) {
                    toks.push(PTok::Exact(t.text.to_owned()));
                }
            }
        }
    }
    (!toks.is_empty()).then_some(toks)
}

impl PhraseSet {
    pub fn add(&mut self, phrase: &str, payload: u32) {
        self.add_lang(phrase, payload, 0);
    }

    /// Adds a phrase tagged with the language id of the file it came from.
    pub fn add_lang(&mut self, phrase: &str, payload: u32, lang: u8) {
        let Some(toks) = phrase_tokens(phrase) else {
            return;
        };
        let id = self.phrases.len() as u32;
        match &toks[0] {
            PTok::Exact(w) => self.first.entry(w.clone()).or_default().push(id),
            PTok::Prefix(p) => {
                if let Some(c) = p.chars().next() {
                    self.wild.entry(c).or_default().push(id);
                }
            }
        }
        self.phrases.push(Phrase { toks, payload, lang });
    }

    /// Exact vocabulary words of the phrases, for canonicalisation.
    pub fn vocab(&self) -> impl Iterator<Item = &str> {
        self.phrases.iter().flat_map(|p| {
            p.toks.iter().filter_map(|t| match t {
                PTok::Exact(w) => Some(w.as_str()),
                PTok::Prefix(_) => None,
            })
        })
    }

    fn tok_ok(t: &PTok, doc: &Doc, w: usize) -> bool {
        let raw = doc.word(w);
        let canon = doc.canon.get(w).copied().unwrap_or("");
        let alt = doc.alt.get(w).copied().flatten();
        match t {
            PTok::Exact(s) => s == raw || s == canon || alt == Some(s.as_str()),
            PTok::Prefix(p) => raw.starts_with(p.as_str()) || canon.starts_with(p.as_str()),
        }
    }

    fn try_at(&self, id: u32, doc: &Doc, w: usize, out: &mut Vec<Hit>) {
        let Some(p) = self.phrases.get(id as usize) else {
            return;
        };
        if w + p.toks.len() > doc.words.len() {
            return;
        }
        // A phrase never spans a sentence end: "Forget the Corolla. Cross my heart" names no
        // Corolla Cross.
        let one_sentence = p.toks.len() < 2 || doc.sentence.get(w) == doc.sentence.get(w + p.toks.len() - 1);
        if one_sentence && p.toks.iter().enumerate().all(|(j, t)| Self::tok_ok(t, doc, w + j)) {
            out.push(Hit {
                payload: p.payload,
                start: w,
                end: w + p.toks.len(),
                lang: p.lang,
            });
        }
    }

    /// All matches in the document (overlaps included).
    pub fn find(&self, doc: &Doc, out: &mut Vec<Hit>) {
        for w in 0..doc.words.len() {
            let raw = doc.word(w);
            let canon = doc.canon.get(w).copied().unwrap_or("");
            if let Some(ids) = self.first.get(canon) {
                for &id in ids {
                    self.try_at(id, doc, w, out);
                }
            }
            if raw != canon
                && let Some(ids) = self.first.get(raw)
            {
                for &id in ids {
                    self.try_at(id, doc, w, out);
                }
            }
            if let Some(a) = doc.alt.get(w).copied().flatten()
                && a != canon
                && let Some(ids) = self.first.get(a)
            {
                for &id in ids {
                    self.try_at(id, doc, w, out);
                }
            }
            if !self.wild.is_empty() {
                let c1 = raw.chars().next();
                let c2 = canon.chars().next().filter(|c| Some(*c) != c1);
                for c in [c1, c2].into_iter().flatten() {
                    if let Some(ids) = self.wild.get(&c) {
                        for &id in ids {
                            self.try_at(id, doc, w, out);
                        }
                    }
                }
            }
        }
        out.sort_by_key(|h| (h.start, h.end, h.payload, h.lang));
        out.dedup();
    }
}

/// Clitics before an Arabic word; "عال" is the Levantine/Gulf "على ال" ("عالقسط").
const AR_PREFIXES: [&str; 11] = ["وال", "بال", "فال", "كال", "عال", "لل", "ال", "و", "ب", "ف", "ل"];
const AR_SUFFIXES: [&str; 7] = ["ها", "هم", "كم", "نا", "ه", "ي", "ك"];

/// The vocabulary all phrase sets share, for mapping text tokens to known words.
#[derive(Debug, Clone, Default)]
pub struct Canon {
    vocab: HashSet<String>,
    /// One-deletion variants of long vocabulary words → the words (symmetric-delete lookup).
    deletes: HashMap<String, Vec<String>>,
    /// Ordinary words of every language (stoplists): never read as a typo of a short model name.
    dict: HashSet<String>,
    /// One-deletion variants of short (5-letter) catalog model names → the names.
    short: HashMap<String, Vec<String>>,
}

/// Calls `f` with every one-deletion variant of an ASCII word, reusing one buffer.
fn each_deletion(w: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    for i in 0..w.len() {
        buf.clear();
        buf.push_str(&w[..i]);
        buf.push_str(&w[i + 1..]);
        f(buf);
    }
}

fn deletions(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

fn is_arabic_word(w: &str) -> bool {
    w.chars().next().is_some_and(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn push_limited(map: &mut HashMap<String, Vec<String>>, key: String, w: &str) {
    let e = map.entry(key).or_default();
    if e.len() < 4 && !e.iter().any(|x| x == w) {
        e.push(w.to_owned());
    }
}

impl Canon {
    /// `fuzzy_min`: words of at least this many chars get typo tolerance.
    pub fn add_word(&mut self, w: &str, fuzzy_min: usize) {
        if self.vocab.insert(w.to_owned()) {
            let n = w.chars().count();
            if n >= fuzzy_min && w.chars().all(|c| c.is_ascii_alphabetic()) {
                for d in deletions(w).into_iter().chain(std::iter::once(w.to_owned())) {
                    push_limited(&mut self.deletes, d, w);
                }
            }
        }
    }

    /// A dictionary word of some language: never taken for a typo of a short model name.
    pub fn add_dict_word(&mut self, w: &str) {
        self.dict.insert(w.to_owned());
    }

    /// A short (5-letter) catalog model name that tolerates one edit ("camri", "civc").
    pub fn add_short_model(&mut self, w: &str) {
        if w.len() == 5 && w.chars().all(|c| c.is_ascii_alphabetic()) {
            self.vocab.insert(w.to_owned());
            for d in deletions(w).into_iter().chain(std::iter::once(w.to_owned())) {
                push_limited(&mut self.short, d, w);
            }
        }
    }

    /// Is this a known vocabulary or dictionary word?
    pub fn is_known(&self, w: &str) -> bool {
        self.vocab.contains(w) || self.dict.contains(w)
    }

    /// The known word a text token stands for (itself when unknown).
    pub fn canon<'a>(&'a self, w: &'a str) -> &'a str {
        if self.vocab.contains(w) {
            return w;
        }
        if is_arabic_word(w) {
            return self.arabic_strip(w).unwrap_or(w);
        }
        self.fuzzy(w).unwrap_or(w)
    }

    /// The known word behind an Arabic token with a clitic prefix and/or pronoun suffix.
    fn arabic_strip<'a>(&self, w: &'a str) -> Option<&'a str> {
        for p in AR_PREFIXES {
            if let Some(rest) = w.strip_prefix(p)
                && rest.chars().count() >= 2
            {
                if self.vocab.contains(rest) {
                    return Some(rest);
                }
                for s in AR_SUFFIXES {
                    if let Some(r2) = rest.strip_suffix(s)
                        && r2.chars().count() >= 2
                        && self.vocab.contains(r2)
                    {
                        return Some(r2);
                    }
                }
            }
        }
        for s in AR_SUFFIXES {
            if let Some(r) = w.strip_suffix(s)
                && r.chars().count() >= 2
                && self.vocab.contains(r)
            {
                return Some(r);
            }
        }
        None
    }

    /// A vocabulary word one edit away from a Latin token (typo tolerance): long vocabulary
    /// words for tokens of 5+ letters, short catalog model names for tokens of 4–6 letters
    /// that are no dictionary word.
    fn fuzzy<'a>(&'a self, w: &str) -> Option<&'a str> {
        let n = w.len();
        if !(4..=24).contains(&n) || !w.bytes().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        fn lookup<'m>(map: &'m HashMap<String, Vec<String>>, w: &str) -> Option<&'m str> {
            let ok = |v: &'m Vec<String>| v.iter().find(|c| strsim::osa_distance(c, w) <= 1).map(String::as_str);
            if let Some(c) = map.get(w).and_then(ok) {
                return Some(c);
            }
            let mut buf = String::with_capacity(w.len());
            let mut best = None;
            each_deletion(w, &mut buf, |d| {
                if best.is_none() {
                    best = map.get(d).and_then(ok);
                }
            });
            best
        }
        let mut best = None;
        if n >= 5 {
            best = lookup(&self.deletes, w);
        }
        if best.is_none() && n <= 6 && !self.short.is_empty() && !self.dict.contains(w) {
            best = lookup(&self.short, w);
        }
        best
    }

    /// Lexes folded text into a document with canonical forms.
    pub fn doc<'a>(&'a self, folded: &'a str) -> Doc<'a> {
        let toks = lex(folded);
        let mut words = Vec::new();
        let mut clause = Vec::new();
        let mut sentence = Vec::new();
        let mut sentence_q = vec![false];
        let mut sentence_x = vec![false];
        let mut c: u16 = 0;
        let mut s: u16 = 0;
        let mut words_in_sentence = 0usize;
        for (i, t) in toks.iter().enumerate() {
            match t.kind {
                Kind::Punct => {
                    c = c.saturating_add(1);
                    if matches!(t.text, "?" | "؟")
                        && let Some(q) = sentence_q.last_mut()
                    {
                        *q = true;
                    }
                    if t.text == "!"
                        && let Some(x) = sentence_x.last_mut()
                    {
                        *x = true;
                    }
                    if matches!(t.text, "." | "!" | "?" | "؟" | "\n") && words_in_sentence > 0 {
                        s = s.saturating_add(1);
                        sentence_q.push(false);
                        sentence_x.push(false);
                        words_in_sentence = 0;
                    }
                }
                Kind::Word | Kind::Num => {
                    words.push(i);
                    clause.push(c);
                    sentence.push(s);
                    words_in_sentence += 1;
                }
                Kind::Sym => {}
            }
        }
        let mut canon = Vec::with_capacity(words.len());
        let mut alt = Vec::with_capacity(words.len());
        for &i in &words {
            let t = toks[i];
            if t.kind == Kind::Num {
                canon.push(t.text);
                alt.push(None);
            } else {
                canon.push(self.canon(t.text));
                alt.push(if is_arabic_word(t.text) && self.vocab.contains(t.text) {
                    self.arabic_strip(t.text)
                } else {
                    None
                });
            }
        }
        Doc {
            toks,
            words,
            clause,
            sentence,
            sentence_q,
            sentence_x,
            canon,
            alt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_numbers_and_words() {
        let t: Vec<_> = lex("$25,000 or 25k, 27.9 ok?").into_iter().map(|t| t.text).collect();
        assert_eq!(t, ["$", "25,000", "or", "25", "k", ",", "27.9", "ok", "?"]);
    }

    #[test]
    fn matches_with_typos_and_clitics() {
        let mut set = PhraseSet::default();
        set.add("still available", 1);
        set.add("احجز*", 2);
        set.add("شيروكي", 3);
        let mut c = Canon::default();
        for w in set.vocab().map(str::to_owned).collect::<Vec<_>>() {
            c.add_word(&w, 5);
        }
        let f = dossier_core::text::fold("is it still availble? عايزة أحجزها والشيروكي");
        let d = c.doc(&f);
        let mut hits = Vec::new();
        set.find(&d, &mut hits);
        let p: Vec<u32> = hits.iter().map(|h| h.payload).collect();
        assert_eq!(p, [1, 2, 3]);
    }
}

#[cfg(test)]
mod fold_tests {
    #[test]
    fn fast_fold_equals_fold() {
        for t in [
            "Hi, is the White COROLLA still available? $25,000 `ok`",
            "¿Tienen el Corolla?",
            "السلام عليكم ٢٠٢٢",
            "",
            "plain ascii 123 !@#$%^&*()_+{}|:\"<>?~",
        ] {
            assert_eq!(super::fold_fast(t), dossier_core::text::fold(t), "{t}");
        }
    }
}
