//! The number scanner: runs of digits with separators, told apart into phones, ids and cards,
//! and left alone when they are money, years, dates or lists.

use super::text::{ID_WORDS, PHONE_WORDS, words_before};
use super::{PiiKind, digit_value, is_digit};

/// Characters that may sit between digit groups of one number.
pub(super) fn is_number_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | ',' | '/' | '(' | ')' | '\u{066B}' | '\u{066C}' | '\u{00A0}'
    )
}

/// A run of digits with single separators between groups, e.g. `+52 (55) 1234-5678`.
pub(super) struct NumberRun<'a> {
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

pub(super) fn luhn(digits: &str) -> bool {
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
pub(super) const MONEY_BEFORE: [&str; 14] = [
    "$", "€", "£", "r$", "us$", "usd", "mxn", "brl", "eur", "cop", "ars", "clp", "aed", "sar",
];
pub(super) const MONEY_AFTER: [&str; 24] = [
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

pub(super) fn money_context(text: &str, start: usize, end: usize) -> bool {
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

pub(super) fn find_numbers(text: &str) -> Vec<(usize, usize, PiiKind)> {
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
pub(super) fn joining_separator(sep: &str) -> Option<String> {
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

pub(super) fn classify(run: &NumberRun<'_>, start: usize, end: usize) -> Option<PiiKind> {
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
