//! PII redaction before a request leaves the server.
//!
//! Customers write phone numbers, e-mails, card and ID numbers into WhatsApp; a third-party model
//! needs none of them to read intent or budget. A [`Redactor`] swaps each such value for a stable
//! placeholder (`[PHONE_1]`, `[EMAIL_1]`, …) and keeps the mapping, so what the model writes back
//! (a draft, an extracted e-mail) can be restored to the real values on our side.
//!
//! What it finds: phone numbers however they are written (separators, dots, spaced or fullwidth
//! digits, split across lines, glued to a prefix like `Tel.` or `numero`, inside `wa.me/` links),
//! e-mails (also written `(at)`/`arroba`/with spaces), national ids (CPF, CNPJ, SSN, CURP, RFC,
//! DNI/NIE, passports, dotted DNI or cédula numbers after their name), card numbers and CVVs,
//! URLs with tokens, and the customer's own name (given by the caller, from the profile).
//!
//! The number scanner is hand-written and errs on the side of leaving money alone: prices,
//! years, dates and amounts (`25,000`, `$450`, `2022`, `R$ 120 mil`, `٢٠٠ ألف`, `1.250.000`)
//! are not identifiers and the model needs them.

use std::collections::HashMap;

mod numbers;
mod text;

use numbers::find_numbers;
use text::{find_alnum_ids, find_emails, find_obfuscated_emails, find_short_secrets, find_urls};

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    Phone,
    Email,
    /// A URL with a query string or fragment (tokens, tracking ids); plain URLs are kept.
    Url,
    /// A 13–19 digit number passing the Luhn check.
    Card,
    /// A government-id-like number (CPF, CNPJ, SSN, CURP, DNI…), a CVV, or a long number that is no phone.
    Id,
    /// The customer's name, as the caller knows it.
    Name,
}

impl PiiKind {
    fn label(self) -> &'static str {
        match self {
            PiiKind::Phone => "PHONE",
            PiiKind::Email => "EMAIL",
            PiiKind::Url => "URL",
            PiiKind::Card => "CARD",
            PiiKind::Id => "ID",
            PiiKind::Name => "NAME",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Replaces identifiers with placeholders and remembers them so they can be put back.
///
/// One redactor is used for all texts of one provider call (system prompt, user prompt, tool
/// results), so the same value gets the same placeholder everywhere.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// placeholder → original text (as first written).
    originals: HashMap<String, String>,
    /// kind + normalised value → placeholder.
    by_value: HashMap<(PiiKind, String), String>,
    counters: [u32; 6],
    /// Literal values to replace wherever they appear (the customer's name and its parts).
    names: Vec<String>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A redactor that also replaces the customer's name (the whole name and each part of three
    /// letters or more, as written) wherever it appears: in the messages and in the profile JSON.
    pub fn with_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut r = Self::default();
        for n in names {
            let n = n.trim();
            if n.chars().count() >= 3 {
                r.names.push(n.to_owned());
            }
            for part in n.split_whitespace() {
                let part = part.trim_matches(|c: char| !c.is_alphanumeric());
                if part.chars().count() >= 3 && part.chars().any(char::is_alphabetic) {
                    r.names.push(part.to_owned());
                }
            }
        }
        // Longest first, so "María López" wins over "María".
        r.names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        r.names.dedup();
        r
    }

    /// The redactor for one provider call on `input`: the customer's name is replaced too.
    pub fn for_input(input: &super::AnalysisInput<'_>) -> Self {
        Self::with_names(input.profile.contact.name.as_deref())
    }

    /// How many distinct values were replaced.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// The original value behind a placeholder such as `[EMAIL_1]`.
    pub fn original(&self, placeholder: &str) -> Option<&str> {
        self.originals.get(placeholder).map(String::as_str)
    }

    /// Returns `text` with every identifier replaced by its placeholder.
    pub fn redact(&mut self, text: &str) -> String {
        let mut spans = find_spans(text);
        for (start, end) in find_names(text, &self.names) {
            if !overlaps(&spans, start, end) {
                spans.push((start, end, PiiKind::Name));
            }
        }
        spans.sort_by_key(|s| s.0);
        if spans.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end, kind) in spans {
            out.push_str(&text[last..start]);
            let placeholder = self.placeholder(kind, &text[start..end]);
            out.push_str(&placeholder);
            last = end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// Puts the original values back wherever a known placeholder appears; unknown bracketed text
    /// is left as written.
    pub fn restore(&self, text: &str) -> String {
        if self.originals.is_empty() || !text.contains('[') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let after = &rest[open..];
            match after.find(']') {
                Some(close) if close <= 16 => {
                    let candidate = &after[..=close];
                    match self.originals.get(candidate) {
                        Some(original) => out.push_str(original),
                        None => out.push_str(candidate),
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('[');
                    rest = &after[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Restores placeholders in every string (values, not keys) of a JSON value.
    pub fn restore_json(&self, value: &mut serde_json::Value) {
        if self.originals.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(s) if s.contains('[') => *s = self.restore(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.restore_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.restore_json(v)),
            _ => {}
        }
    }

    fn placeholder(&mut self, kind: PiiKind, original: &str) -> String {
        let original = original.trim();
        let key = (kind, normalise(kind, original));
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        self.counters[kind.index()] += 1;
        let p = format!("[{}_{}]", kind.label(), self.counters[kind.index()]);
        self.by_value.insert(key, p.clone());
        self.originals.insert(p.clone(), original.to_owned());
        p
    }
}

/// Every place a name literal appears as a whole word.
fn find_names(text: &str, names: &[String]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for n in names {
        for (i, _) in text.match_indices(n.as_str()) {
            let end = i + n.len();
            let before = text[..i].chars().next_back();
            let after = text[end..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if !word(before) && !word(after) && !out.iter().any(|&(s, e)| i < e && s < end) {
                out.push((i, end));
            }
        }
    }
    out
}

/// Masks phone numbers, e-mails, cards and ids in a log line (`[phone]`, `[email]`…), so no
/// personal data reaches the logs whatever a message, an id or an upstream error contained.
pub fn scrub(text: &str) -> String {
    let spans = find_spans(text);
    if spans.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, kind) in spans {
        out.push_str(&text[last..start]);
        out.push_str(match kind {
            PiiKind::Phone => "[phone]",
            PiiKind::Email => "[email]",
            PiiKind::Url => "[url]",
            PiiKind::Card => "[card]",
            PiiKind::Id | PiiKind::Name => "[id]",
        });
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The same phone written `555 123 4567` and `5551234567` is one value (one placeholder).
fn normalise(kind: PiiKind, s: &str) -> String {
    match kind {
        PiiKind::Email | PiiKind::Url | PiiKind::Name => s.to_lowercase(),
        _ => s
            .chars()
            .filter_map(digit_value)
            .map(|d| char::from(b'0' + d))
            .collect(),
    }
}

/// ASCII, Arabic-Indic, Extended Arabic-Indic (Persian) and fullwidth digits.
pub(super) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        '\u{FF10}'..='\u{FF19}' => Some((c as u32 - 0xFF10) as u8),
        _ => None,
    }
}

pub(super) fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// Byte spans `(start, end, kind)` to replace, sorted and non-overlapping.
fn find_spans(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut spans = find_urls(text);
    let more = find_emails(text)
        .into_iter()
        .chain(find_obfuscated_emails(text))
        .chain(find_alnum_ids(text))
        .chain(find_numbers(text))
        .chain(find_short_secrets(text));
    for s in more {
        if !overlaps(&spans, s.0, s.1) {
            spans.push(s);
        }
    }
    spans.sort_by_key(|s| s.0);
    spans
}

fn overlaps(spans: &[(usize, usize, PiiKind)], start: usize, end: usize) -> bool {
    spans.iter().any(|&(s, e, _)| start < e && s < end)
}

#[cfg(test)]
mod tests;
