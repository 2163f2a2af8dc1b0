//! Scanners for what is not a plain number: URLs, e-mails (also dodging ones), id-shaped
//! tokens, short secrets after their name, and the word lists they share with the number scanner.

use super::{PiiKind, is_digit};

/// `juan (at) gmail (dot) com`, `juan at gmail dot com`, `juan @ gmail . com`, `juan arroba
/// gmail punto com`: an address written to dodge scrapers is still an address.
pub(super) fn find_obfuscated_emails(text: &str) -> Vec<(usize, usize, PiiKind)> {
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
pub(super) fn find_alnum_ids(text: &str) -> Vec<(usize, usize, PiiKind)> {
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

pub(super) fn is_alnum_id(t: &str) -> bool {
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
pub(super) const ID_WORDS: [&str; 38] = [
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
pub(super) const CVV_WORDS: [&str; 8] = [
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
pub(super) const PHONE_WORDS: [&str; 33] = [
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
pub(super) fn words_before(text: &str, start: usize, n: usize) -> Vec<String> {
    text[..start]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// A CVV after its name (`CVV 123`, `código de seguridad: 4321`): short, but a secret.
pub(super) fn find_short_secrets(text: &str) -> Vec<(usize, usize, PiiKind)> {
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

/// URLs that carry a query string or fragment: those are where tokens and tracking ids live.
pub(super) fn find_urls(text: &str) -> Vec<(usize, usize, PiiKind)> {
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

pub(super) fn is_email_local(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

pub(super) fn is_email_domain(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

pub(super) fn find_emails(text: &str) -> Vec<(usize, usize, PiiKind)> {
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
