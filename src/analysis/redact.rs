//! PII redaction before a request leaves the server.
//!
//! Customers write phone numbers, e-mails, card and ID numbers into WhatsApp; a third-party model
//! needs none of them to read intent or budget. A [`Redactor`] swaps each such value for a stable
//! placeholder (`[PHONE_1]`, `[EMAIL_1]`, …) and keeps the mapping, so what the model writes back
//! (a draft, an extracted e-mail) can be restored to the real values on our side.
//!
//! The scanner is hand-written (no regex dependency) and errs on the side of leaving money alone:
//! prices, years, dates and amounts (`25,000`, `$450`, `2022`, `R$ 120 mil`, `٢٠٠ ألف`,
//! `1.250.000`) are not identifiers and the model needs them.

use std::collections::HashMap;

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    Phone,
    Email,
    /// A URL with a query string or fragment (tokens, tracking ids); plain URLs are kept.
    Url,
    /// A 13–19 digit number passing the Luhn check.
    Card,
    /// A government-id-like number (CPF, CNPJ, SSN) or a long number that is no phone.
    Id,
}

impl PiiKind {
    fn label(self) -> &'static str {
        match self {
            PiiKind::Phone => "PHONE",
            PiiKind::Email => "EMAIL",
            PiiKind::Url => "URL",
            PiiKind::Card => "CARD",
            PiiKind::Id => "ID",
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
    counters: [u32; 5],
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
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
        let spans = find_spans(text);
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

/// Redacts one text with a throwaway redactor (when nothing needs restoring).
pub fn redact_once(text: &str) -> String {
    Redactor::new().redact(text)
}

/// The same phone written `555 123 4567` and `5551234567` is one value (one placeholder).
fn normalise(kind: PiiKind, s: &str) -> String {
    match kind {
        PiiKind::Email | PiiKind::Url => s.to_lowercase(),
        _ => s
            .chars()
            .filter_map(digit_value)
            .map(|d| char::from(b'0' + d))
            .collect(),
    }
}

/// ASCII, Arabic-Indic and Extended Arabic-Indic (Persian) digits.
fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        _ => None,
    }
}

fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// Byte spans `(start, end, kind)` to replace, sorted and non-overlapping.
fn find_spans(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut spans = find_urls(text);
    for s in find_emails(text) {
        if !overlaps(&spans, s.0, s.1) {
            spans.push(s);
        }
    }
    for s in find_numbers(text) {
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

/// URLs that carry a query string or fragment: those are where tokens and tracking ids live.
fn find_urls(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while from < text.len() {
        let next = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| lower[from..].find(p).map(|i| from + i))
            .min();
        let Some(start) = next else { break };
        let mut end = start;
        for (i, c) in text[start..].char_indices() {
            if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`') {
                break;
            }
            end = start + i + c.len_utf8();
        }
        while end > start {
            let Some(last) = text[start..end].chars().next_back() else {
                break;
            };
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']') {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let url = &text[start..end];
        let has_query = url.split_once(['?', '#']).is_some_and(|(_, q)| !q.is_empty());
        if has_query {
            out.push((start, end, PiiKind::Url));
        }
        from = end.max(start + 1);
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    out
}

fn is_email_local(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_email_domain(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

fn find_emails(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        for (i, c) in text[..at].char_indices().rev() {
            if is_email_local(c) {
                start = i;
            } else {
                break;
            }
        }
        // A local part does not start with a dot.
        while start < at && text[start..].starts_with('.') {
            start += 1;
        }
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices() {
            if is_email_domain(c) {
                end = at + 1 + i + c.len_utf8();
            } else {
                break;
            }
        }
        while end > at + 1 && matches!(text[..end].chars().next_back(), Some('.' | '-')) {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
        });
        if start < at && tld_ok {
            out.push((start, end, PiiKind::Email));
        }
    }
    out
}

/// Characters that may sit between digit groups of one number.
fn is_number_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | ',' | '/' | '(' | ')' | '\u{066B}' | '\u{066C}' | '\u{00A0}'
    )
}

/// A run of digits with single separators between groups, e.g. `+52 (55) 1234-5678`.
struct NumberRun<'a> {
    text: &'a str,
    plus: bool,
    /// Digit groups, in order.
    groups: Vec<String>,
    /// The separator run between group i and i+1 (trimmed of `(` `)` except when alone).
    seps: Vec<String>,
}

impl NumberRun<'_> {
    fn digits(&self) -> usize {
        self.groups.iter().map(String::len).sum()
    }

    fn all_digits(&self) -> String {
        self.groups.concat()
    }

    fn lens(&self) -> Vec<usize> {
        self.groups.iter().map(String::len).collect()
    }

    fn sep_set(&self) -> Vec<char> {
        let mut v: Vec<char> = self.seps.iter().flat_map(|s| s.chars()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `1.250.000`, `25,000`, `1 250 000`, `1.250.000,50`: thousands grouping (one separator
    /// kind), optionally followed by a decimal part with the other separator.
    fn is_thousands(&self) -> bool {
        let lens = self.lens();
        if lens.len() < 2 || lens[0] > 3 || lens[0] == 0 {
            return false;
        }
        let (body, body_seps) = match (lens.last(), self.seps.last()) {
            // decimal tail: `,50` / `.5`
            (Some(&l), Some(s)) if l <= 2 && lens.len() >= 3 && (s == "," || s == ".") => {
                if self.seps[..self.seps.len() - 1].iter().any(|x| x == s) {
                    return false;
                }
                (&lens[..lens.len() - 1], &self.seps[..self.seps.len() - 1])
            }
            _ => (&lens[..], &self.seps[..]),
        };
        let first = &body_seps[0];
        body[1..].iter().all(|&l| l == 3)
            && body_seps.iter().all(|s| s == first)
            && matches!(first.as_str(), "," | "." | " " | "\u{066C}" | "\u{00A0}" | "'")
    }

    /// `12345.67`: one decimal point with 1–2 digits after it.
    fn is_decimal(&self) -> bool {
        self.groups.len() == 2 && self.groups[1].len() <= 2 && matches!(self.seps[0].as_str(), "." | "," | "\u{066B}")
    }

    /// `2019-2022`, `2018 2019 2020`: years, not a phone.
    fn is_years(&self) -> bool {
        self.groups.len() >= 2
            && self
                .groups
                .iter()
                .all(|g| g.len() == 4 && g.parse::<u32>().is_ok_and(|y| (1950..=2049).contains(&y)))
    }

    /// `2026-10-01`, `01.10.2026`, `01/10/2026`.
    fn is_date(&self) -> bool {
        let lens = self.lens();
        let seps = self.sep_set();
        seps.len() == 1
            && matches!(seps[0], '-' | '.' | '/')
            && (matches!(lens.as_slice(), [4, 1..=2, 1..=2]) || matches!(lens.as_slice(), [1..=2, 1..=2, 2 | 4]))
    }

    fn is_format(&self, lens: &[usize], seps: &[&str]) -> bool {
        self.lens() == lens && self.seps.iter().map(String::as_str).eq(seps.iter().copied())
    }

    /// CPF `000.000.000-00`, CNPJ `00.000.000/0000-00`, SSN `000-00-0000`, RFC/DNI-like
    /// formats are too varied; these are the shapes that are unambiguous.
    fn is_gov_id(&self) -> bool {
        self.is_format(&[3, 3, 3, 2], &[".", ".", "-"])
            || self.is_format(&[2, 3, 3, 4, 2], &[".", ".", "/", "-"])
            || self.is_format(&[3, 2, 4], &["-", "-"])
    }

    /// `4111 1111 1111 1111`, `4111-1111-1111-1111`, Amex `3782 822463 10005`, or a bare 16–19
    /// digit run.
    fn is_card(&self) -> bool {
        let n = self.digits();
        if !(13..=19).contains(&n) || !luhn(&self.all_digits()) {
            return false;
        }
        let lens = self.lens();
        let seps = self.sep_set();
        // A bare run of 13–15 digits is more likely a phone with its country code (`wa_id`).
        (lens.len() == 1 && n >= 16)
            || (seps.len() == 1
                && matches!(seps[0], ' ' | '-')
                && (lens[..lens.len() - 1].iter().all(|&l| l == 4) || lens == [4, 6, 5]))
    }
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Words and symbols that make a number next to them money, not an identifier.
const MONEY_BEFORE: [&str; 14] = [
    "$", "€", "£", "r$", "us$", "usd", "mxn", "brl", "eur", "cop", "ars", "clp", "aed", "sar",
];
const MONEY_AFTER: [&str; 24] = [
    "mil",
    "k",
    "usd",
    "mxn",
    "brl",
    "eur",
    "dollars",
    "dólares",
    "dolares",
    "pesos",
    "reais",
    "euros",
    "millones",
    "million",
    "millón",
    "milhões",
    "milhoes",
    "ألف",
    "الف",
    "مليون",
    "درهم",
    "ريال",
    "دولار",
    "جنيه",
];

fn money_context(text: &str, start: usize, end: usize) -> bool {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let before = before.trim_end().to_lowercase();
    if MONEY_BEFORE.iter().any(|m| {
        before.ends_with(m)
            && before[..before.len() - m.len()]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphabetic())
    }) {
        return true;
    }
    let after = text[end..].trim_start().to_lowercase();
    let word: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    MONEY_AFTER.contains(&word.as_str())
}

fn find_numbers(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        let starts_here = is_digit(c) || (c == '+' || c == '(') && chars.get(i + 1).is_some_and(|&(_, n)| is_digit(n));
        if !starts_here {
            i += 1;
            continue;
        }
        // Left boundary: not glued to a word (`wamid.123…`, `abc123…`).
        if i > 0 {
            let (_, p) = chars[i - 1];
            let glued = p.is_alphanumeric()
                || p == '_'
                || (matches!(p, '.' | '-' | '/') && i >= 2 && chars[i - 2].1.is_alphanumeric());
            if glued {
                // Skip the whole glued token.
                while i < chars.len() && (chars[i].1.is_alphanumeric() || matches!(chars[i].1, '.' | '-' | '_')) {
                    i += 1;
                }
                continue;
            }
        }
        let start_idx = i;
        let plus = c == '+';
        let mut j = if is_digit(c) { i } else { i + 1 };
        let mut groups: Vec<String> = Vec::new();
        let mut seps: Vec<String> = Vec::new();
        let mut last_digit_idx = j;
        loop {
            let mut g = String::new();
            while j < chars.len() && is_digit(chars[j].1) {
                g.push(char::from(b'0' + digit_value(chars[j].1).unwrap_or(0)));
                last_digit_idx = j;
                j += 1;
            }
            groups.push(g);
            // Separator run: at most two characters (`) `, `- `), then a digit must follow.
            let mut k = j;
            let mut sep = String::new();
            while k < chars.len() && is_number_separator(chars[k].1) && sep.chars().count() < 2 {
                sep.push(chars[k].1);
                k += 1;
            }
            if k < chars.len()
                && is_digit(chars[k].1)
                && let Some(sep) = joining_separator(&sep)
            {
                seps.push(sep);
                j = k;
                continue;
            }
            break;
        }
        let end_idx = last_digit_idx + 1;
        // Right boundary: not glued to a word (`2022T`, `123abc`).
        let glued_right = chars
            .get(end_idx)
            .is_some_and(|&(_, n)| n.is_alphanumeric() || n == '_');
        let start_byte = chars[start_idx].0;
        let end_byte = chars.get(end_idx).map_or(text.len(), |&(b, _)| b);
        let run = NumberRun {
            text,
            plus,
            groups,
            seps,
        };
        // A leading `(` or `+` belongs to the number's span.
        if !glued_right && let Some(kind) = classify(&run, start_byte, end_byte) {
            out.push((start_byte, end_byte, kind));
        }
        i = end_idx.max(i + 1);
    }
    out
}

/// The separator between two digit groups of one number, normalised (`) ` → ` `, `- ` → `-`), or
/// `None` when it ends the number (`, ` separates list items, not digit groups).
fn joining_separator(sep: &str) -> Option<String> {
    let mut cs = sep.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) => Some(match c {
            '(' | ')' | '\u{00A0}' => " ".to_owned(),
            '\u{066C}' => ",".to_owned(),
            '\u{066B}' => ".".to_owned(),
            c => c.to_string(),
        }),
        (Some(a), Some(b)) => match (a, b) {
            (')', ' ') | (' ', '(') => Some(" ".to_owned()),
            ('-', ' ') | (' ', '-') => Some("-".to_owned()),
            _ => None,
        },
        _ => None,
    }
}

fn classify(run: &NumberRun<'_>, start: usize, end: usize) -> Option<PiiKind> {
    let n = run.digits();
    if n < 7 {
        return None;
    }
    // `1 2 3 4 5 6 7`: a list of small numbers, not one number.
    if run.groups.iter().filter(|g| g.len() == 1).count() > 1 {
        return None;
    }
    if run.is_gov_id() {
        return Some(PiiKind::Id);
    }
    if run.is_card() {
        return Some(PiiKind::Card);
    }
    if run.plus {
        return (n <= 15).then_some(PiiKind::Phone).or(Some(PiiKind::Id));
    }
    if run.is_years() || run.is_date() {
        return None;
    }
    if run.sep_set().contains(&'/') {
        return None; // fractions, dates, references: not a phone shape
    }
    if money_context(run.text, start, end) {
        return None;
    }
    if run.is_decimal() {
        return None;
    }
    // `1250000`, `25000000`: round bare amounts (pesos, COP) are written without separators;
    // a phone rarely ends in three zeros.
    if run.groups.len() == 1 && n <= 9 && run.groups[0].ends_with("000") {
        return None;
    }
    if run.is_thousands() {
        // `612 345 678` is a Spanish mobile; `1.250.000` / `25,000,000` are amounts.
        let space_grouped = run.seps.iter().all(|s| s == " ");
        if !(space_grouped && run.groups[0].len() == 3 && n >= 9) {
            return None;
        }
    }
    if n <= 15 {
        Some(PiiKind::Phone)
    } else {
        Some(PiiKind::Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(text: &str) -> String {
        Redactor::new().redact(text)
    }

    fn kept(text: &str) {
        assert_eq!(red(text), text, "should be left alone: {text}");
    }

    #[test]
    fn phones_in_many_formats() {
        assert_eq!(red("call me at +52 55 1234 5678 please"), "call me at [PHONE_1] please");
        assert_eq!(red("my number is (555) 123-4567."), "my number is [PHONE_1].");
        assert_eq!(red("555.123.4567"), "[PHONE_1]");
        assert_eq!(red("5215512345678"), "[PHONE_1]");
        assert_eq!(red("+1-202-555-0143"), "[PHONE_1]");
        assert_eq!(red("tel: 612 345 678"), "tel: [PHONE_1]");
    }

    #[test]
    fn english() {
        let mut r = Redactor::new();
        let out = r.redact("Hi, I'm John, john.doe@example.com, cell 415-555-0199. Budget $25,000 for a 2022 RAV4.");
        assert_eq!(
            out,
            "Hi, I'm John, [EMAIL_1], cell [PHONE_1]. Budget $25,000 for a 2022 RAV4."
        );
        assert_eq!(
            r.restore("Write to [EMAIL_1] or [PHONE_1]"),
            "Write to john.doe@example.com or 415-555-0199"
        );
        kept("The monthly is $450 and the car is 1,250,000 pesos");
        kept("Between 2019-2022 models, 2018 2019 2020 too");
        kept("SSN-like but a date: 2026-10-01, and 01/10/2026");
        assert_eq!(red("my SSN is 123-45-6789"), "my SSN is [ID_1]");
        assert_eq!(red("card 4111 1111 1111 1111 exp 12/27"), "card [CARD_1] exp 12/27");
        assert_eq!(red("pay 4111111111111111"), "pay [CARD_1]");
        assert_eq!(red("amex 3782 822463 10005"), "amex [CARD_1]");
    }

    #[test]
    fn spanish() {
        let mut r = Redactor::new();
        let out = r.redact("Hola, soy Mariana, mi correo es mariana.lopez@correo.com.mx y mi cel 55 1234 5678. Tengo 350 mil pesos, o $350.000");
        assert_eq!(
            out,
            "Hola, soy Mariana, mi correo es [EMAIL_1] y mi cel [PHONE_1]. Tengo 350 mil pesos, o $350.000"
        );
        kept("El Corolla 2022 cuesta 1.250.000 y la mensualidad 12.500,50");
        kept("presupuesto de 25,000 dólares, enganche de 5000");
        kept("tengo 1250000 para el carro, o hasta 25000000 en pesos colombianos");
        // The same number written twice gets the same placeholder.
        assert_eq!(r.redact("otra vez: 5512345678"), "otra vez: [PHONE_1]");
    }

    #[test]
    fn portuguese() {
        let mut r = Redactor::new();
        let out = r.redact("Meu CPF é 123.456.789-09 e o CNPJ 12.345.678/0001-90, zap (11) 98765-4321");
        assert_eq!(out, "Meu CPF é [ID_1] e o CNPJ [ID_2], zap [PHONE_1]");
        kept("Tenho R$ 120 mil de entrada, ou R$ 120.000,00, carro 2021");
        kept("parcela de R$1.500 em 48x");
        assert_eq!(r.restore("CPF [ID_1]"), "CPF 123.456.789-09");
    }

    #[test]
    fn arabic() {
        let mut r = Redactor::new();
        let out = r.redact("رقمي ٠٥٠١٢٣٤٥٦٧ والإيميل ahmed@mail.ae");
        assert_eq!(out, "رقمي [PHONE_1] والإيميل [EMAIL_1]");
        assert_eq!(r.restore("[PHONE_1]"), "٠٥٠١٢٣٤٥٦٧");
        kept("ميزانيتي ٢٠٠ ألف درهم لسيارة ٢٠٢٢");
        kept("السعر ١٢٠٬٠٠٠ درهم");
        assert_eq!(red("اتصل على +971 50 123 4567"), "اتصل على [PHONE_1]");
    }

    #[test]
    fn urls_with_tokens_only() {
        assert_eq!(
            red("see https://pay.example.com/checkout?token=abc123&user=9, thanks"),
            "see [URL_1], thanks"
        );
        kept("our stock: https://dealer.example.com/corolla-2022.");
    }

    #[test]
    fn message_ids_and_timestamps_are_not_phones() {
        kept("[wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjA] (in) 2026-10-01T15:04:05Z: hola");
        kept("[wamid.1234567890] (out) 2026-10-01T15:04:05Z: ok");
        kept("[msg-1234567] (in)");
    }

    #[test]
    fn restore_leaves_unknown_brackets() {
        let mut r = Redactor::new();
        r.redact("a@b.co");
        assert_eq!(
            r.restore("[EMAIL_1] [EMAIL_2] [x] [ unclosed"),
            "a@b.co [EMAIL_2] [x] [ unclosed"
        );
        let mut v = serde_json::json!({"email": {"value": "[EMAIL_1]"}, "list": ["[EMAIL_1]"]});
        r.restore_json(&mut v);
        assert_eq!(v["email"]["value"], "a@b.co");
        assert_eq!(v["list"][0], "a@b.co");
    }
}
