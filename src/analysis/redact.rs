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
fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        '\u{FF10}'..='\u{FF19}' => Some((c as u32 - 0xFF10) as u8),
        _ => None,
    }
}

fn is_digit(c: char) -> bool {
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

/// `juan (at) gmail (dot) com`, `juan at gmail dot com`, `juan @ gmail . com`, `juan arroba
/// gmail punto com`: an address written to dodge scrapers is still an address.
fn find_obfuscated_emails(text: &str) -> Vec<(usize, usize, PiiKind)> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"(?i)\b[\w.+-]{1,64}",
            r"(?:\s*@\s*|\s*[\(\[\{<]\s*(?:at|arroba)\s*[\)\]\}>]\s*|\s+(?:at|arroba|ät)\s+)",
            r"[\w-]{1,63}",
            r"(?:(?:\s*\.\s*|\s*[\(\[\{<]\s*(?:dot|punto|ponto)\s*[\)\]\}>]\s*|\s+(?:dot|punto|ponto)\s+)[\w-]{1,63})*",
            r"(?:\s*\.\s*|\s*[\(\[\{<]\s*(?:dot|punto|ponto)\s*[\)\]\}>]\s*|\s+(?:dot|punto|ponto)\s+)",
            r"(?:com|net|org|edu|gov|info|biz|io|co|me|mx|br|es|pt|ar|cl|pe|uy|ve|ae|sa|kw|qa|bh|om|eg|jo|lb|uk|us|ca|de|fr|it)\b",
        ))
        .expect("a valid pattern")
    });
    RE.find_iter(text)
        .map(|m| (m.start(), m.end(), PiiKind::Email))
        .collect()
}

/// Whole tokens shaped like a national id: CURP, RFC, Spanish DNI/NIE, passport numbers.
fn find_alnum_ids(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes_end = text.len();
    let push = |s: usize, e: usize, out: &mut Vec<(usize, usize, PiiKind)>| {
        let t = &text[s..e];
        if is_alnum_id(t) {
            out.push((s, e, PiiKind::Id));
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            push(s, i, &mut out);
        }
    }
    if let Some(s) = start {
        push(s, bytes_end, &mut out);
    }
    out
}

fn is_alnum_id(t: &str) -> bool {
    let u = t.to_ascii_uppercase();
    let b = u.as_bytes();
    let letters = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|x| x.iter().all(u8::is_ascii_uppercase));
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let alnum = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_alphanumeric))
    };
    match b.len() {
        // CURP: AAAA######HAAAAA##-ish (the last two alphanumeric).
        18 => letters(0..4) && digits(4..10) && matches!(b[10], b'H' | b'M' | b'X') && letters(11..16) && alnum(16..18),
        // RFC with homoclave (persons 13, companies 12).
        13 => letters(0..4) && digits(4..10) && alnum(10..13),
        12 => letters(0..3) && digits(3..9) && alnum(9..12),
        // DNI 12345678Z, NIE X1234567L.
        9 if digits(0..8) && letters(8..9) => true,
        9 if matches!(b[0], b'X' | b'Y' | b'Z') && digits(1..8) && letters(8..9) => true,
        // Passports: one or two letters then 6–9 digits (AB1234567, G12345678).
        7..=11 => {
            let l = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
            (1..=2).contains(&l) && (6..=9).contains(&(b.len() - l)) && digits(l..b.len())
        }
        _ => false,
    }
}

/// Words after which a number is an identifier whatever its shape (a dotted DNI `12.345.678`, a
/// cédula `1.234.567.890`, a passport number).
const ID_WORDS: [&str; 38] = [
    "dni",
    "nie",
    "nif",
    "cedula",
    "cédula",
    "cc",
    "ci",
    "curp",
    "rfc",
    "rg",
    "cpf",
    "cnpj",
    "nit",
    "ruc",
    "rut",
    "ine",
    "ife",
    "passport",
    "pasaporte",
    "passaporte",
    "ssn",
    "id",
    "identidad",
    "identificacion",
    "identificación",
    "identidade",
    "documento",
    "license",
    "licence",
    "licencia",
    "hawiya",
    "هوية",
    "الهوية",
    "إقامة",
    "اقامة",
    "جواز",
    "السفر",
    "الإقامة",
];

/// Words after which a 3–4 digit number is a card's security code.
const CVV_WORDS: [&str; 8] = [
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "csc",
    "seguridad",
    "segurança",
    "seguranca",
];

/// Words a phone number is glued to (`Tel.5512345678`, `numero5512345678`, `tel:+52…`).
const PHONE_WORDS: [&str; 33] = [
    "tel",
    "tél",
    "telf",
    "telef",
    "telefono",
    "teléfono",
    "telefone",
    "fone",
    "cel",
    "cell",
    "celular",
    "movil",
    "móvil",
    "mobile",
    "mob",
    "phone",
    "ph",
    "whatsapp",
    "wa",
    "zap",
    "wpp",
    "numero",
    "número",
    "num",
    "nro",
    "nr",
    "no",
    "رقم",
    "هاتف",
    "جوال",
    "موبايل",
    "تلفون",
    "واتساب",
];

/// The (lowercased) words right before byte `start`, nearest first, at most `n`.
fn words_before(text: &str, start: usize, n: usize) -> Vec<String> {
    text[..start]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// A CVV after its name (`CVV 123`, `código de seguridad: 4321`): short, but a secret.
fn find_short_secrets(text: &str) -> Vec<(usize, usize, PiiKind)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i].1) || (i > 0 && chars[i - 1].1.is_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_digit(chars[j].1) {
            j += 1;
        }
        let glued = chars.get(j).is_some_and(|&(_, c)| c.is_alphanumeric());
        if (3..=4).contains(&(j - i)) && !glued {
            let before = words_before(text, chars[i].0, 3);
            if before.iter().any(|w| CVV_WORDS.contains(&w.as_str())) {
                let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
                out.push((chars[i].0, end, PiiKind::Id));
            }
        }
        i = j.max(i + 1);
    }
    out
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
        let next = ["https://", "http://", "www.", "wa.me/", "api.whatsapp.com/"]
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
        // A WhatsApp link carries a phone number.
        let lower_url = url.to_ascii_lowercase();
        let whatsapp = lower_url.contains("wa.me/") || lower_url.contains("whatsapp.com/");
        if has_query || whatsapp {
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
                || (matches!(p, '.' | '-' | '/' | ':') && i >= 2 && chars[i - 2].1.is_alphanumeric());
            // `Tel.5512345678`, `numero5512345678`, `tel:+52…`: glued to a phone word, still a phone.
            let phone_word = glued
                && p != '_'
                && words_before(text, chars[i].0, 1)
                    .first()
                    .is_some_and(|w| PHONE_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())));
            if glued && !phone_word {
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
            // A number split over two lines (`55 1234\n5678`): short groups on both sides only,
            // so two amounts on two lines stay two amounts.
            let mut k = j;
            while k < chars.len() && matches!(chars[k].1, ' ' | '\r') {
                k += 1;
            }
            if chars.get(k).is_some_and(|&(_, c)| c == '\n') {
                let next = k + 1;
                let tail = chars[next.min(chars.len())..]
                    .iter()
                    .take_while(|&&(_, c)| is_digit(c))
                    .count();
                let here = groups.last().map_or(0, String::len);
                if (1..=4).contains(&tail) && here <= 4 && groups.len() >= 2 {
                    seps.push(" ".to_owned());
                    j = next;
                    continue;
                }
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
    // After its name a number is an id, whatever its shape (`DNI 12.345.678`).
    if words_before(run.text, start, 3)
        .iter()
        .any(|w| ID_WORDS.contains(&w.as_str()))
        && !run.is_date()
    {
        return Some(PiiKind::Id);
    }
    // `5 5 1 2 3 4 5 6 7 8`: a phone typed digit by digit; `1 2 3 4 5 6 7`: a list of small numbers.
    let singles = run.groups.iter().filter(|g| g.len() == 1).count();
    if singles == run.groups.len() && n >= 8 {
        return Some(PiiKind::Phone);
    }
    if singles > 1 {
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
        // `612 345 678` and `612.345.678` are Spanish mobiles; `1.250.000` / `25,000,000` /
        // `250.000.000` are amounts (a phone rarely ends in 000).
        let phone_like = run.groups[0].len() == 3
            && n >= 9
            && run.groups.last().is_some_and(|g| g != "000")
            && run.seps.iter().all(|s| s == " " || s == ".");
        if !phone_like {
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

    /// Personal data that must never reach a model, in the four languages, and what must stay.
    #[test]
    fn nothing_personal_leaves_in_any_language() {
        // (text, the secret that must be gone)
        let leaks: &[(&str, &str)] = &[
            // phones, every way people write them
            ("call 612.345.678 tomorrow", "612.345.678"),
            ("mi número es 612.345.678", "612.345.678"),
            ("Tel.5512345678", "5512345678"),
            ("tel:+5215512345678", "5215512345678"),
            ("numero5512345678 por favor", "5512345678"),
            ("Cel:5512345678", "5512345678"),
            ("whatsapp5512345678", "5512345678"),
            ("escríbeme a wa.me/5215512345678", "5215512345678"),
            ("https://wa.me/5215512345678?text=hola", "5215512345678"),
            ("https://api.whatsapp.com/send?phone=5215512345678", "5215512345678"),
            ("my number: 4 0 4 5 5 5 0 1 9 9", "4 0 4 5 5 5 0 1 9 9"),
            ("llámame al ５５１２３４５６７８", "５５１２３４５６７８"),
            ("my cell is 404 555\n0199", "0199"),
            ("(55) 1234\n5678 es mi cel", "5678"),
            ("+52 55 1234 5678", "1234 5678"),
            ("(555) 123-4567", "123-4567"),
            ("+1-202-555-0143", "555-0143"),
            ("zap (11) 98765-4321", "98765-4321"),
            ("liga no 11 98765 4321", "98765 4321"),
            ("meu celular é 11987654321", "11987654321"),
            ("+351 912 345 678", "912 345 678"),
            ("ligue 912 345 678", "912 345 678"),
            ("رقمي ٠٥٠١٢٣٤٥٦٧", "٠٥٠١٢٣٤٥٦٧"),
            ("جوالي 0501234567", "0501234567"),
            ("اتصل على +971 50 123 4567", "123 4567"),
            ("رقم:0551234567", "0551234567"),
            ("tel 5512345678 o 5587654321", "5587654321"),
            // e-mails, plain and dodging
            ("mariana.lopez@correo.com.mx", "mariana.lopez"),
            ("juan (at) gmail (dot) com", "juan"),
            ("juan at gmail dot com", "juan"),
            ("juan @ gmail.com", "juan"),
            ("juan[at]gmail[dot]com", "juan"),
            ("maria arroba hotmail punto com", "maria"),
            ("ana{at}empresa.com.br", "ana"),
            ("write to sam @ example . com", "sam"),
            ("البريد ahmed@mail.ae", "ahmed"),
            ("joao(at)uol.com.br", "joao"),
            // national ids
            ("mi CURP es GODE561231HDFRRN09", "GODE561231HDFRRN09"),
            ("RFC GODE561231AB1", "GODE561231AB1"),
            ("RFC empresa ABC010203XY9", "ABC010203XY9"),
            ("DNI 12345678Z", "12345678Z"),
            ("mi NIE es X1234567L", "X1234567L"),
            ("passport AB1234567", "AB1234567"),
            ("pasaporte G12345678", "G12345678"),
            ("DNI 12.345.678", "12.345.678"),
            ("cédula 1.234.567.890", "1.234.567.890"),
            ("mi cedula es 1234567890", "1234567890"),
            ("CPF 123.456.789-09", "123.456.789-09"),
            ("CNPJ 12.345.678/0001-90", "12.345.678/0001-90"),
            ("RG 12.345.678-9", "12.345.678-9"),
            ("SSN 123-45-6789", "123-45-6789"),
            ("رقم الهوية 1012345678", "1012345678"),
            ("رقم الإقامة 2123456789", "2123456789"),
            ("جواز السفر A12345678", "A12345678"),
            // cards and their codes
            ("card 4111 1111 1111 1111", "4111 1111 1111 1111"),
            ("4111-1111-1111-1111 exp 12/27 cvv 123", "123"),
            ("CVV: 9876", "9876"),
            ("código de seguridad 456", "456"),
            ("código de segurança 789", "789"),
            ("amex 3782 822463 10005", "822463"),
            // token URLs
            ("pay https://pay.example.com/x?token=abc123", "abc123"),
        ];
        assert!(leaks.len() >= 60, "{} cases", leaks.len());
        for (text, secret) in leaks {
            let out = Redactor::new().redact(text);
            assert!(!out.contains(secret), "{text:?} leaked {secret:?}: {out:?}");
        }
        // The customer's name, everywhere in the prompt (the profile JSON included).
        let mut r = Redactor::with_names(Some("Mariana López"));
        let out = r.redact(r#"{"contact":{"name":"Mariana López"}} Soy Mariana y busco un Corolla"#);
        assert!(!out.contains("Mariana") && !out.contains("López"), "{out}");
        assert!(out.contains("Corolla"));
        assert_eq!(
            r.restore(&out),
            r#"{"contact":{"name":"Mariana López"}} Soy Mariana y busco un Corolla"#
        );
        let mut r = Redactor::with_names(Some("محمود سعيد"));
        assert!(!r.redact("أنا محمود سعيد اللي كلمتكم").contains("محمود"));
        // What the model needs stays.
        for text in [
            "Budget $25,000 for a 2022 RAV4",
            "tengo 350 mil pesos o $350.000",
            "El Corolla 2022 cuesta 1.250.000 y la mensualidad 12.500,50",
            "presupuesto 250.000.000 pesos colombianos",
            "Tenho R$ 120 mil de entrada, ou R$ 120.000,00",
            "ميزانيتي ٢٠٠ ألف درهم لسيارة ٢٠٢٢",
            "models 2019-2022, delivery 2026-10-01",
            "CX-30, Model 3, F-150, X5, Q7, GLE450, Ioniq 5",
            "60 meses, 72 months, 48x",
            "the VIN ends in 123, stock DT-1004",
            "our stock: https://dealer.example.com/corolla-2022.",
            "[wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjA] (in) 2026-10-01T15:04:05Z: hola",
            "I am at the dealership at 5 pm",
            "25,000,000",
        ] {
            assert_eq!(Redactor::new().redact(text), text, "should be left alone");
        }
    }

    #[test]
    fn log_lines_are_scrubbed() {
        let line = r#"WARN webhook content dead-lettered reason="message wamid.X: sender id: invalid +5215512345678" to=ana@example.com"#;
        let s = scrub(line);
        assert!(!s.contains("5215512345678") && !s.contains("ana@example.com"), "{s}");
        assert!(s.contains("[email]"), "{s}");
        assert_eq!(scrub("from 5215512345678 failed"), "from [phone] failed");
        let ts = "2026-12-01T14:23:43.123456Z INFO dossier: serving addr=127.0.0.1:8080 request_id=4f1c2a3b-9d8e-4c1b";
        assert_eq!(scrub(ts), ts, "timestamps, addresses and ids stay");
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
