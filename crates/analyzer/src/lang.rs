//! Language of the customer: Arabic by script, English/Spanish/Portuguese by typical words.
//! Votes accumulate per customer message; the majority wins.

use crate::state::AnalyzerState;
use crate::{Analyzer, Msg};
use dossier_core::profile::Profile;

/// The language one message is written in, if any is recognisable.
pub(crate) fn detect(an: &Analyzer, m: &Msg) -> Option<(String, f32)> {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for c in m.raw.chars() {
        if ('\u{0600}'..='\u{06FF}').contains(&c) {
            arabic += 1;
        } else if c.is_alphabetic() {
            latin += 1;
        }
    }
    if arabic > 0 && arabic * 2 >= latin {
        return Some(("ar".to_owned(), 1.0));
    }
    // Arabizi: Arabic in Latin letters, with digits for Arabic sounds ("3indi", "ma7al", "la2")
    // or its common words ("ya3ni", "habibi", "inshallah").
    let arabizi = (0..m.doc.words.len())
        .filter(|&w| {
            let t = m.doc.word(w);
            let letters = t.chars().filter(|c| c.is_ascii_alphabetic()).count();
            let mid_digit = t.char_indices().any(|(i, c)| {
                matches!(c, '2' | '3' | '5' | '6' | '7' | '8' | '9') && (i > 0 || t.len() > 2) && letters >= 2
            }) && t.chars().all(|c| c.is_ascii_alphanumeric())
                && t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '3' | '7' | '2'))
                && !t.chars().all(|c| c.is_ascii_digit());
            // "3indkom" lexes as "3" + "indkom": a lone sound digit glued to the next word.
            let glued_digit = m.doc.is_num(w)
                && matches!(t, "2" | "3" | "5" | "7" | "8" | "9")
                && m.doc.words.get(w + 1).is_some_and(|&j| {
                    let (a, b) = (m.doc.toks[j - 1].text, m.doc.toks[j].text);
                    j > 0 && a.as_ptr() as usize + a.len() == b.as_ptr() as usize && m.doc.toks[j - 1].text == t
                });
            mid_digit || glued_digit || an.arabizi.contains(t)
        })
        .count();
    let mut best: Option<(&str, usize)> = None;
    let mut second = 0;
    for (lang, words) in &an.stopwords {
        if lang == "ar" {
            continue;
        }
        let n = (0..m.doc.words.len())
            .filter(|&w| words.contains(m.doc.word(w)))
            .count();
        match best {
            Some((_, b)) if n <= b => second = second.max(n),
            _ => {
                second = best.map(|b| b.1).unwrap_or(0).max(second);
                best = Some((lang, n));
            }
        }
    }
    let Some((lang, n)) = best else {
        return (arabizi >= 2).then(|| ("ar".to_owned(), arabizi.min(3) as f32));
    };
    if arabizi >= 2 && arabizi * 2 >= n {
        return Some(("ar".to_owned(), arabizi.min(3) as f32));
    }
    if n == 0 || n == second {
        return None;
    }
    Some((lang.to_owned(), (n - second) as f32))
}

pub(crate) fn observe(st: &mut AnalyzerState, detected: Option<(String, f32)>) {
    if let Some((l, w)) = detected {
        *st.lang_votes.entry(l).or_default() += w.min(3.0);
    }
}

pub(crate) fn fill(st: &AnalyzerState, p: &mut Profile) {
    p.contact.language = st
        .lang_votes
        .iter()
        .max_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(l, _)| l.clone());
}

#[cfg(test)]
mod tests {
    use crate::tests_support::*;

    #[test]
    fn detects() {
        let l = |t: &str| run(&[("in", t)]).contact.language;
        assert_eq!(l("Hi, is the white Corolla still available?").as_deref(), Some("en"));
        assert_eq!(
            l("Hola, ¿tienen el Corolla 2022? lo quiero para la chamba").as_deref(),
            Some("es")
        );
        assert_eq!(l("Oi, tudo bem? Quanto tá o Model Y de vcs?").as_deref(), Some("pt"));
        assert_eq!(l("السلام عليكم، عندكم كامري ٢٠٢٠؟").as_deref(), Some("ar"));
    }
}
