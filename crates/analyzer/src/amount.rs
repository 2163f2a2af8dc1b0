//! Numbers and money in informal text: `25k`, `$25,000`, `25.000`, `25 mil`, `R$ 120 mil`,
//! `٢٠٠ ألف جنيه`, `30 mil dlls`, `$450/mo`, `450 al mes`, `1.5 million`.
//!
//! Why separate: budget, down payment, trade-in value and loan term all start from the same
//! "number with its neighbours" reading; deciding which one it is happens in `budget`.

use crate::lex::Hit;
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
    /// Followed by a year word and small ("5 years", "5 años"): a loan term if financing.
    pub years: bool,
    /// The lower bound of a range ("between 20 and 25k"): the upper bound is the limit.
    pub range_low: bool,
    /// Written in words ("veinte mil", "twenty thousand").
    pub words: bool,
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
    let lakh = an.cat("numbers.lakh");
    let crore = an.cat("numbers.crore");
    let half = an.cat("numbers.half");
    let usd_hundred = an.cat("numbers.usd_hundred");
    let usd_ten_thousand = an.cat("numbers.usd_ten_thousand");
    let monthly = an.cat("budget.monthly");
    let monthly_noun = an.cat("budget.monthly_noun");
    let units = an.cat("budget.units");
    let term_units = an.cat("budget.term_units");
    let currency_cats = &an.currency_cats;
    let starts_at = |cat: u32, w: usize| m.hits.iter().find(|h| h.payload == cat && h.start == w).copied();
    let year_units = an.cat("budget.term_years");
    let mut out: Vec<Amount> = Vec::new();
    let d = &m.doc;
    // Vehicle names ("Peugeot 3008", "Land Cruiser 300", "F-150"): their numbers are no money.
    let names: Vec<(usize, usize)> = if (0..d.words.len()).any(|w| d.is_num(w)) {
        an.vehicles.name_spans(m)
    } else {
        Vec::new()
    };
    let mut skip_to = 0;
    for w in 0..d.words.len() {
        if w < skip_to {
            continue;
        }
        let (mut value, text, mut end, from_words) = if d.is_num(w) {
            let text = d.word(w);
            let Some(mut v) = parse_number(text) else {
                continue;
            };
            // "80 000 dirham", "1 250 000": groups of three digits after a space are thousands
            // (not "050 123 4567", a phone number: no leading zero, no odd group around it).
            let mut e = w + 1;
            let spaced = |a: &str, b: &str| {
                let gap = (b.as_ptr() as usize).wrapping_sub(a.as_ptr() as usize + a.len());
                (1..=3).contains(&gap)
            };
            if text.len() <= 3
                && !text.starts_with('0')
                && text.bytes().all(|b| b.is_ascii_digit())
                && (w == 0 || !d.is_num(w - 1))
            {
                let mut run = e;
                while d.is_num(run)
                    && d.word(run).len() == 3
                    && d.word(run).bytes().all(|b| b.is_ascii_digit())
                    && spaced(d.word(run - 1), d.word(run))
                {
                    run += 1;
                }
                if run > e && !(d.is_num(run) && spaced(d.word(run - 1), d.word(run))) {
                    let digits: String = (w..run).map(|i| d.word(i)).collect();
                    if let Ok(n) = Decimal::from_str(&digits) {
                        v = n;
                        e = run;
                    }
                }
            }
            (v, text, e, false)
        } else if let Some((v, e)) = word_number(an, m, w) {
            (Decimal::from(v), "", e, true)
        } else {
            continue;
        };
        let mut multiplied = false;
        if let Some(h) = starts_at(thousand, end) {
            value *= Decimal::from(1000);
            multiplied = true;
            end = h.end;
            // "tres mil quinientos": a worded remainder below a thousand.
            if let Some((rest, e)) = word_number(an, m, end)
                && rest < 1000
                && from_words
            {
                value += Decimal::from(rest);
                end = e;
            }
        } else if let Some(h) = starts_at(million, end) {
            value *= Decimal::from(1_000_000);
            multiplied = true;
            end = h.end;
            // "1 milhão e 500 mil", "un millón y 200 mil", "مليون و ٣٠٠ ألف": thousands after
            // the million.
            let and = an.cat("numbers.and");
            if let Some(a) = starts_at(and, end)
                && d.is_num(a.end)
                && let Some(rest) = parse_number(d.word(a.end))
                && let Some(t) = starts_at(thousand, a.end + 1)
                && rest < Decimal::from(1000)
            {
                value += rest * Decimal::from(1000);
                end = t.end;
            }
        } else if let Some(h) = starts_at(lakh, end) {
            // South Asian "1.2 lakh" = 120,000, "2 crore" = 20,000,000.
            value *= Decimal::from(100_000);
            multiplied = true;
            end = h.end;
        } else if let Some(h) = starts_at(crore, end) {
            value *= Decimal::from(10_000_000);
            multiplied = true;
            end = h.end;
        }
        // "مليون ونص", "20 mil y medio", "a million and a half": half the multiplier more.
        if (multiplied || (from_words && value >= Decimal::from(1000)))
            && let Some(h) = starts_at(half, end)
        {
            let unit = if value >= Decimal::from(1_000_000) {
                Decimal::from(1_000_000)
            } else {
                Decimal::from(1000)
            };
            value += unit / Decimal::from(2);
            end = h.end;
        }
        // Iraqi "٢٥٠ ورقة" (a hundred-dollar note each), "دفترين" (ten thousand dollars): notes
        // counted in dollars.
        let mut currency = None;
        if !multiplied {
            for (cat, per) in [(usd_hundred, 100u32), (usd_ten_thousand, 10_000)] {
                if let Some(h) = starts_at(cat, end) {
                    value *= Decimal::from(per);
                    multiplied = true;
                    currency = Some("USD".to_owned());
                    end = h.end;
                    break;
                }
            }
        }
        skip_to = end;
        // Currency: symbol right before, or currency word right after / before.
        if currency.is_none()
            && let Some(ti) = d.tok_index(w)
        {
            let toks = &d.toks;
            if ti >= 1 && toks[ti - 1].kind == crate::lex::Kind::Sym {
                let sym = toks[ti - 1].text;
                // Letters written onto the symbol ("R$", "US$", "S/"), not a word before it
                // ("tengo a $30,000" is no Australian dollar).
                let touching = |a: &str, b: &str| a.as_ptr() as usize + a.len() == b.as_ptr() as usize;
                let glued =
                    if ti >= 2 && toks[ti - 2].kind == crate::lex::Kind::Word && touching(toks[ti - 2].text, sym) {
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
            // The longest currency phrase right after the number ("pesos colombianos" over
            // "pesos"), or an ISO code right before it in the same clause ("USD 25,000").
            let mut best: Option<(&Hit, &String)> = None;
            for (cat, code) in currency_cats {
                let cat = *cat;
                for h in m.hits.iter().filter(|h| h.payload == cat) {
                    let after = (h.start == end || h.start == end + 1) && d.same_clause(w, h.start);
                    let before = h.end == w
                        && h.end - h.start == 1
                        && d.same_clause(h.start, w)
                        && d.word(h.start).eq_ignore_ascii_case(code);
                    if (after || before) && best.is_none_or(|(b, _)| h.end - h.start > b.end - b.start) {
                        best = Some((h, code));
                    }
                }
            }
            if let Some((h, code)) = best {
                currency = Some(code.clone());
                if h.start >= end && h.start <= end + 1 {
                    end = end.max(h.end);
                }
            }
        }
        // "450 a month", "450 or so a month", "monthly payment under 400", "parcela de até 2
        // mil", "cuotas de máximo 800", "قسط شهري ٢٠٠٠": a period cue or a payment noun close
        // by in the same clause.
        let is_monthly = m.hits.iter().any(|h| {
            (h.payload == monthly
                && ((h.start >= end && h.start <= end + 2 && d.same_clause(w, h.start))
                    || (h.end <= w && w - h.end <= 1 && h.end > 0 && d.same_clause(h.start, w))))
                || (h.payload == monthly_noun && h.end <= w && w - h.end <= 4 && d.same_clause(h.start, w))
        });
        let unit_tok = d
            .words
            .get(end - 1)
            .and_then(|&i| d.toks.get(i + 1))
            .is_some_and(|t| t.text == "%");
        let unit = unit_tok || (starts_at(units, end).is_some() && d.same_clause(w, end));
        let small_whole =
            |lo: u32, hi: u32| value >= Decimal::from(lo) && value <= Decimal::from(hi) && value.fract().is_zero();
        let years = !multiplied
            && currency.is_none()
            && starts_at(year_units, end).is_some()
            && d.same_clause(w, end)
            && small_whole(1, 8);
        let term = !multiplied
            && currency.is_none()
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
        let in_name = names
            .iter()
            .any(|&(s, e)| (s <= w && w < e) || (e == w && !multiplied && currency.is_none() && !from_words));
        if in_name {
            continue;
        }
        // A worded number counts only as money (with a multiplier or currency) or a term.
        if from_words && !(multiplied || currency.is_some() || term || years) {
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
            years,
            range_low: false,
            words: from_words,
            start: w,
            end,
        });
    }
    // Ranges: "between 20 and 25k", "entre 20 y 25 mil", "١١ و ١٢ ألف", "20-25k".
    let range = an.cat("numbers.range");
    for i in 1..out.len() {
        let (a, b) = (&out[i - 1], &out[i]);
        let joined = (b.start == a.end + 1
            && m.hits
                .iter()
                .any(|h| h.payload == range && h.start == a.end && h.end == b.start))
            || (b.start == a.end
                && d.words
                    .get(a.end.saturating_sub(1))
                    .zip(d.words.get(b.start))
                    .is_some_and(|(&x, &y)| d.toks[x + 1..y].iter().any(|t| matches!(t.text, "-" | "–"))));
        if joined && !a.multiplied && a.currency.is_none() && (b.multiplied || b.currency.is_some()) {
            let (cur, mult) = (b.currency.clone(), b.multiplied);
            let a = &mut out[i - 1];
            a.range_low = true;
            a.currency = cur;
            a.multiplied = mult;
        }
    }
    out
}

/// A number written in words starting at word `w` ("twenty five", "veinte y cinco",
/// "خمسة وعشرين"): its value and the word after it. Words come from `[number_words]`.
fn word_number(an: &Analyzer, m: &Msg, w: usize) -> Option<(u32, usize)> {
    let d = &m.doc;
    let value_of = |j: usize, first: bool| -> Option<u32> {
        let t = d.word(j);
        if let Some(v) = an.number_words.get(t) {
            return Some(*v);
        }
        // Arabic "وعشرين": the conjunction glued to the next number word.
        if !first
            && let Some(rest) = t.strip_prefix('و')
            && let Some(v) = an.number_words.get(rest)
        {
            return Some(*v);
        }
        // "لخمسة وعشرين ألف", "بعشرين": a preposition glued to the first number word.
        if first
            && let Some(rest) = t.strip_prefix('ل').or_else(|| t.strip_prefix('ب'))
            && let Some(v) = an.number_words.get(rest)
        {
            return Some(*v);
        }
        None
    };
    let and = an.cat("numbers.and");
    let mut total: Option<u32> = None;
    let mut j = w;
    while j < d.words.len() && d.same_clause(w, j) && !d.is_num(j) {
        if let Some(v) = value_of(j, total.is_none()) {
            let cur = total.unwrap_or(0);
            total = Some(if v == 100 && (1..10).contains(&cur) {
                cur * 100
            } else {
                cur.saturating_add(v)
            });
            j += 1;
        } else if total.is_some()
            && j + 1 < d.words.len()
            && m.hits
                .iter()
                .any(|h| h.payload == and && h.start == j && h.end == j + 1)
            && value_of(j + 1, false).is_some()
        {
            j += 1;
        } else {
            break;
        }
    }
    total.map(|t| (t, j))
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
