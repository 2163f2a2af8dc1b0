//! Numbers and money in informal text: `25k`, `$25,000`, `25.000`, `25 mil`, `R$ 120 mil`,
//! `٢٠٠ ألف جنيه`, `30 mil dlls`, `$450/mo`, `450 al mes`, `1.5 million`.
//!
//! Why separate: budget, down payment, trade-in value and loan term all start from the same
//! "number with its neighbours" reading; deciding which one it is happens in `budget`.

use crate::{Analyzer, Msg};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A number found in a message, with what surrounds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub value: Decimal,
    /// ISO code or `$` (resolved later from context).
    pub currency: Option<String>,
    /// Written with a thousand/million word (`25k`, `25 mil`).
    pub multiplied: bool,
    pub monthly: bool,
    /// Followed by a unit that makes it not money (km, miles, %, hours…).
    pub unit: bool,
    /// Followed by a month word and small: a loan term.
    pub term: bool,
    /// A bare year (2019).
    pub year_like: bool,
    /// Word range `[start, end)` in the message.
    pub start: usize,
    pub end: usize,
}

impl Amount {
    /// Looks like an amount of money rather than a count.
    pub fn money_like(&self) -> bool {
        !self.unit
            && !self.term
            && !self.year_like
            && (self.currency.is_some() || self.multiplied || self.value >= Decimal::from(100))
    }
}

/// Parses digits with `.`/`,` separators: a separator followed by exactly three digits groups
/// thousands (`25,000`, `25.000`, `1.250.000`); otherwise the last one is the decimal point.
pub fn parse_number(s: &str) -> Option<Decimal> {
    if s.is_empty() || s.len() > 24 {
        return None;
    }
    let groups: Vec<&str> = s.split(['.', ',']).collect();
    if groups
        .iter()
        .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if groups.len() == 1 {
        return Decimal::from_str(s).ok();
    }
    let tail_is_thousands = groups[1..].iter().all(|g| g.len() == 3);
    if tail_is_thousands {
        return Decimal::from_str(&groups.concat()).ok();
    }
    let (int, frac) = groups.split_at(groups.len() - 1);
    let int: String = int.concat();
    Decimal::from_str(&format!("{int}.{}", frac[0])).ok()
}

/// All numbers in a message, with currency, multiplier, period and unit read from neighbours.
pub(crate) fn amounts(an: &Analyzer, m: &Msg) -> Vec<Amount> {
    let thousand = an.cat("numbers.thousand");
    let million = an.cat("numbers.million");
    let monthly = an.cat("budget.monthly");
    let units = an.cat("budget.units");
    let term_units = an.cat("budget.term_units");
    let currency_cats = &an.currency_cats;
    let starts_at = |cat: u32, w: usize| {
        m.hits
            .iter()
            .find(|h| h.payload == cat && h.start == w)
            .copied()
    };
    let mut out = Vec::new();
    let d = &m.doc;
    for w in 0..d.words.len() {
        if !d.is_num(w) {
            continue;
        }
        let text = d.word(w);
        let Some(mut value) = parse_number(text) else {
            continue;
        };
        let mut end = w + 1;
        let mut multiplied = false;
        if let Some(h) = starts_at(thousand, end) {
            value *= Decimal::from(1000);
            multiplied = true;
            end = h.end;
        } else if let Some(h) = starts_at(million, end) {
            value *= Decimal::from(1_000_000);
            multiplied = true;
            end = h.end;
        }
        // Currency: symbol right before, or currency word right after / before.
        let mut currency = None;
        if let Some(ti) = d.tok_index(w) {
            let toks = &d.toks;
            if ti >= 1 && toks[ti - 1].kind == crate::lex::Kind::Sym {
                let sym = toks[ti - 1].text;
                let glued = if ti >= 2 && toks[ti - 2].kind == crate::lex::Kind::Word {
                    Some(format!("{}{}", toks[ti - 2].text, sym))
                } else {
                    None
                };
                currency = glued
                    .and_then(|g| an.symbols.get(&g).cloned())
                    .or_else(|| an.symbols.get(sym).cloned());
            }
            // Symbol after the number (`25000$`, `25k€`).
            let after_ti = d.words.get(end - 1).copied().unwrap_or(ti) + 1;
            if currency.is_none()
                && let Some(t) = toks.get(after_ti)
                && t.kind == crate::lex::Kind::Sym
            {
                currency = an.symbols.get(t.text).cloned();
            }
        }
        if currency.is_none() {
            for (cat, code) in currency_cats {
                let cat = *cat;
                if let Some(h) = m.hits.iter().find(|h| {
                    h.payload == cat && (h.start == end || h.start == end + 1 || h.end == w)
                }) {
                    currency = Some(code.clone());
                    if h.start >= end && h.start <= end + 1 {
                        end = end.max(h.end);
                    }
                    break;
                }
            }
        }
        let is_monthly = m.hits.iter().any(|h| {
            h.payload == monthly
                && ((h.start >= end && h.start <= end + 1)
                    || (h.end <= w && w - h.end <= 1 && h.end > 0 && d.same_clause(h.start, w)))
        });
        let unit_tok = d
            .words
            .get(end - 1)
            .and_then(|&i| d.toks.get(i + 1))
            .is_some_and(|t| t.text == "%");
        let unit = unit_tok || (starts_at(units, end).is_some() && d.same_clause(w, end));
        let term = !multiplied
            && starts_at(term_units, end).is_some()
            && d.same_clause(w, end)
            && value >= Decimal::from(6)
            && value <= Decimal::from(96)
            && value.fract().is_zero();
        let year_like = currency.is_none()
            && !multiplied
            && text.len() == 4
            && value >= Decimal::from(1980)
            && value <= Decimal::from(2035);
        if value > Decimal::from(1_000_000_000u64) {
            continue;
        }
        out.push(Amount {
            value,
            currency,
            multiplied,
            monthly: is_monthly,
            unit,
            term,
            year_like,
            start: w,
            end,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_separators() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(parse_number("25,000"), Some(d("25000")));
        assert_eq!(parse_number("25.000"), Some(d("25000")));
        assert_eq!(parse_number("1.250.000"), Some(d("1250000")));
        assert_eq!(parse_number("27.9"), Some(d("27.9")));
        assert_eq!(parse_number("23900.50"), Some(d("23900.50")));
        assert_eq!(parse_number("1,5"), Some(d("1.5")));
        assert_eq!(parse_number("1.234,56"), Some(d("1234.56")));
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("1..2"), None);
    }
}
