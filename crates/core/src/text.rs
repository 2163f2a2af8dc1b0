//! Text folding shared by the analyzer and the catalog search: lowercase, strip accents and Arabic
//! diacritics, unify Arabic letter variants, turn Arabic-Indic and Persian digits into ASCII.

use unicode_normalization::UnicodeNormalization;

/// Folds text for matching: lowercase, no accents (é → e), no Arabic harakat or tatweel, unified
/// alef/yeh/teh-marbuta forms, ASCII digits. Keeps other characters (and so word boundaries).
pub fn fold(input: &str) -> String {
    if input.is_ascii() {
        // Nothing to decompose: lowercase, and the backtick as an apostrophe.
        return input
            .bytes()
            .map(|b| match b {
                b'`' => '\'',
                b => char::from(b.to_ascii_lowercase()),
            })
            .collect();
    }
    let mut out = String::with_capacity(input.len());
    for c in input.nfd() {
        if unicode_normalization::char::is_combining_mark(c) && !is_arabic(c) {
            continue; // Latin accents
        }
        match c {
            // Arabic harakat, superscript alef, tatweel
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            'ؤ' => out.push('و'),
            'ئ' => out.push('ي'),
            '٬' | '،' => out.push(','),
            '٫' => out.push('.'),
            '’' | '‘' | '`' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    // NFD split some Arabic letters with hamza above/below into base + mark; recompose what is left.
    out.nfc().collect()
}

fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// Splits folded text into word tokens (letters and digits; everything else separates).
pub fn tokens(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_latin_and_arabic() {
        assert_eq!(fold("Sedán ÉXITO"), "sedan exito");
        assert_eq!(fold("٢٥ ألف"), "25 الف");
        assert_eq!(fold("السيارة"), "السياره");
        assert_eq!(fold("مُحَمَّد"), "محمد");
        assert_eq!(fold("São Paulo"), "sao paulo");
    }

    #[test]
    fn tokenises() {
        let f = fold("Hi! The CR-V, 2022?");
        assert_eq!(tokens(&f).collect::<Vec<_>>(), ["hi", "the", "cr", "v", "2022"]);
    }
}
