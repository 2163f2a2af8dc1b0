//! The checks a draft must pass before an agent sees it (docs/conversation-and-profile.md §8),
//! shared by the LLM drafter (a draft failing them is set aside for the builtin one, with the
//! reason on the card) and `dossier eval --drafts` (which scores them). They read only the
//! draft's text and what it may rest on: the tool results, the profile and the conversation.

use dossier_core::profile::ToolFact;
use dossier_core::{Message, Profile};
use std::collections::HashSet;

/// What a draft was checked against.
pub struct Grounds<'a> {
    pub facts: &'a [ToolFact],
    pub profile: &'a Profile,
    pub conversation: &'a [Message],
}

/// The outcome of the checks: each problem found, in words an agent reads on the card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub wrong_language: Option<String>,
    pub ungrounded: Vec<String>,
    pub asked_known: Vec<String>,
    pub too_long: bool,
    pub markup: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.wrong_language.is_none()
            && self.ungrounded.is_empty()
            && self.asked_known.is_empty()
            && !self.too_long
            && self.markup.is_empty()
    }

    /// Why the draft fails, one sentence.
    pub fn reason(&self) -> String {
        let mut why = Vec::new();
        if let Some(l) = &self.wrong_language {
            why.push(format!("it is written in {l}, not the customer's language"));
        }
        if !self.ungrounded.is_empty() {
            why.push(format!(
                "it states numbers no tool, profile or message gave ({})",
                self.ungrounded.join(", ")
            ));
        }
        if !self.asked_known.is_empty() {
            why.push(format!(
                "it asks for what the customer already said ({})",
                self.asked_known.join(", ")
            ));
        }
        if self.too_long {
            why.push(format!("it is longer than {} characters", super::compose::WHATSAPP_MAX));
        }
        if !self.markup.is_empty() {
            why.push(format!("it has markup WhatsApp shows raw ({})", self.markup.join(", ")));
        }
        why.join("; ")
    }
}

/// Runs every check on `text`, meant for a customer writing `language`.
pub fn check(text: &str, language: &str, known: &[&str], g: &Grounds<'_>) -> Verdict {
    let detected = detect_language(text);
    Verdict {
        wrong_language: detected.filter(|d| *d != language).map(str::to_owned),
        ungrounded: ungrounded(text, g),
        asked_known: asked_known(text, known),
        too_long: text.chars().count() > super::compose::WHATSAPP_MAX,
        markup: markup(text),
    }
}

const STOP_EN: [&str; 24] = [
    "the", "and", "is", "are", "you", "we", "have", "for", "with", "to", "of", "hi", "thanks", "your", "it", "would",
    "can", "what", "our", "this", "that", "in", "at", "be",
];
const STOP_ES: [&str; 26] = [
    "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "para", "con", "por", "es", "está", "tenemos",
    "usted", "su", "gracias", "hola", "le", "lo", "del", "al", "muy", "puede",
];
const STOP_PT: [&str; 26] = [
    "o", "os", "as", "de", "que", "e", "em", "um", "uma", "para", "com", "por", "é", "está", "temos", "você", "seu",
    "sua", "obrigado", "olá", "não", "do", "da", "no", "na", "pode",
];

/// The language of a reply: Arabic by its script, else whichever of English, Spanish and
/// Portuguese its function words point to. `None` when there is too little to tell.
pub fn detect_language(text: &str) -> Option<&'static str> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return None;
    }
    // Arabic replies carry Latin model and branch names ("Hyundai Tucson", "São Paulo Moema"):
    // a third of the letters in Arabic script is an Arabic text.
    let arabic = text.chars().filter(|c| ('\u{0600}'..='\u{06FF}').contains(c)).count();
    if arabic * 3 >= letters {
        return Some("ar");
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let score = |list: &[&str]| words.iter().filter(|w| list.contains(w)).count();
    let mut scores = [
        ("en", score(&STOP_EN)),
        ("es", score(&STOP_ES)),
        ("pt", score(&STOP_PT)),
    ];
    // Portuguese and Spanish share many words; their own letters and endings decide.
    let pt_marks = lower.matches(['ã', 'õ', 'ç']).count() + words.iter().filter(|w| w.ends_with("ção")).count();
    let es_marks = lower.matches(['ñ', '¿', '¡']).count();
    scores[2].1 += pt_marks * 2;
    scores[1].1 += es_marks * 2;
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    (scores[0].1 >= 2 && scores[0].1 > scores[1].1).then_some(scores[0].0)
}

/// Every number written in `text`, as the values it can mean: `21,400` and `21.400` are both
/// read as 21400 (and 21.4), `393,11` as 393.11. Digits glued to letters (`CX-30`, `RAV4`) are
/// names, not numbers.
pub fn numbers(text: &str) -> Vec<(String, Vec<String>)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let glued_left =
            i > 0 && (chars[i - 1].is_alphabetic() || chars[i - 1] == '-' && i > 1 && chars[i - 2].is_alphanumeric());
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if glued_left {
            // `CX-30`, `A4`: the digits belong to a name.
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (matches!(chars[i], ',' | '.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
        {
            i += 1;
        }
        if chars.get(i).is_some_and(|c| c.is_alphabetic()) {
            // `4x4`, `2022LE`: part of a name.
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let raw: String = chars[start..i].iter().collect();
        out.push((raw.clone(), readings(&raw)));
    }
    out
}

fn readings(raw: &str) -> Vec<String> {
    let canon = |s: String| -> String {
        match s.split_once('.') {
            Some((i, f)) => {
                let f = f.trim_end_matches('0');
                let i = i.trim_start_matches('0');
                let i = if i.is_empty() { "0" } else { i };
                if f.is_empty() { i.to_owned() } else { format!("{i}.{f}") }
            }
            None => {
                let t = s.trim_start_matches('0');
                if t.is_empty() { "0".into() } else { t.to_owned() }
            }
        }
    };
    let mut v = vec![
        canon(raw.replace(',', "")),
        canon(raw.replace('.', "").replace(',', ".")),
        canon(raw.replace([',', '.'], "")),
    ];
    v.sort();
    v.dedup();
    v
}

/// Every number the draft may use: in the tool results, the profile and the conversation.
fn sources(g: &Grounds<'_>) -> HashSet<String> {
    let mut set = HashSet::new();
    let mut add_text = |t: &str, set: &mut HashSet<String>| {
        for (_, r) in numbers(t) {
            set.extend(r);
        }
    };
    fn walk(v: &serde_json::Value, set: &mut HashSet<String>, add: &mut dyn FnMut(&str, &mut HashSet<String>)) {
        match v {
            serde_json::Value::String(s) => add(s, set),
            serde_json::Value::Number(n) => add(&n.to_string(), set),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, set, add)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, set, add)),
            _ => {}
        }
    }
    for f in g.facts {
        add_text(&f.text, &mut set);
        walk(&f.data, &mut set, &mut add_text);
    }
    if let Ok(p) = serde_json::to_value(g.profile) {
        walk(&p, &mut set, &mut add_text);
    }
    for m in g.conversation {
        add_text(m.text(), &mut set);
    }
    set
}

/// Numbers in `text` that come from nowhere (small counts, 0–10, are words more than facts).
fn ungrounded(text: &str, g: &Grounds<'_>) -> Vec<String> {
    let src = sources(g);
    numbers(text)
        .into_iter()
        .filter(|(_, r)| {
            !r.iter()
                .any(|x| x.parse::<f64>().is_ok_and(|n| n <= 10.0) || src.contains(x))
        })
        .map(|(raw, _)| raw)
        .collect()
}

/// Words that, in a question, ask for each fact a customer may already have given.
const ASK_WORDS: [(&str, &[&str]); 7] = [
    (
        "name",
        &[
            "your name",
            "tu nombre",
            "su nombre",
            "seu nome",
            "teu nome",
            "اسمك",
            "اسم حضرتك",
            "الاسم الكامل",
        ],
    ),
    (
        "vehicle",
        &[
            "which model",
            "what model",
            "which car",
            "what car",
            "which vehicle",
            "qué modelo",
            "que modelo",
            "cuál modelo",
            "qué vehículo",
            "qué auto",
            "qué carro",
            "qual modelo",
            "qual carro",
            "qual veículo",
            "أي موديل",
            "أي سيارة",
            "ما الموديل",
            "ما السيارة",
        ],
    ),
    (
        "budget",
        &[
            "budget",
            "presupuesto",
            "orçamento",
            "ميزانيت",
            "how much can you spend",
            "cuánto puede gastar",
            "quanto pode gastar",
        ],
    ),
    (
        "down_payment",
        &[
            "down payment",
            "put down",
            "enganche",
            "cuota inicial",
            "pie ",
            "entrada",
            "dar de inicial",
            "pago inicial",
            "de inicial",
            "quanto de entrada",
            "دفعة",
            "المقدم",
            "مقدم",
        ],
    ),
    (
        "term",
        &[
            "how many months",
            "which term",
            "what term",
            "cuántos meses",
            "qué plazo",
            "quantos meses",
            "qual prazo",
            "prazo",
            "plazo",
            "كم شهر",
            "مدة التمويل",
            "عدد الأشهر",
        ],
    ),
    (
        "trade_in",
        &[
            "trade-in",
            "trade in",
            "to trade",
            "parte de pago",
            "retoma",
            "entregar su auto",
            "na troca",
            "dar seu carro",
            "استبدال",
            "سيارتك القديمة",
            "بدل",
        ],
    ),
    (
        "day_time",
        &[
            "what day",
            "which day",
            "what time",
            "qué día",
            "que día",
            "a qué hora",
            "qué hora",
            "que dia",
            "qual dia",
            "que horas",
            "qual horário",
            "أي يوم",
            "اليوم والوقت",
            "الوقت المناسب",
            "متى يناسبك",
        ],
    ),
];

/// Facts in `known` that a question of the draft asks for again.
pub fn asked_known(text: &str, known: &[&str]) -> Vec<String> {
    let lower = text.to_lowercase();
    let questions: Vec<&str> = lower
        .split_inclusive(['?', '؟', '\n'])
        .filter(|s| s.contains('?') || s.contains('؟'))
        .collect();
    let mut out = Vec::new();
    for (fact, words) in ASK_WORDS {
        if known.contains(&fact) && questions.iter().any(|q| words.iter().any(|w| q.contains(w))) {
            out.push(fact.to_owned());
        }
    }
    out
}

/// Markup WhatsApp would show raw, and placeholders a template or a model left behind.
pub fn markup(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (needle, what) in [
        ("**", "Markdown bold"),
        ("__", "Markdown underline"),
        ("](", "a Markdown link"),
        ("{{", "a template placeholder"),
        ("}}", "a template placeholder"),
        ("[NAME", "a placeholder"),
        ("[PHONE_", "a placeholder"),
        ("[EMAIL_", "a placeholder"),
        ("TODO", "a placeholder"),
        ("<name>", "a placeholder"),
    ] {
        if text.contains(needle) {
            out.push(what.to_owned());
        }
    }
    if text.lines().any(|l| l.trim_start().starts_with('#')) {
        out.push("a Markdown heading".into());
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_told_apart() {
        assert_eq!(
            detect_language("Hi Ana! We have the Corolla at Downtown for you."),
            Some("en")
        );
        assert_eq!(
            detect_language("¡Hola Ana! Tenemos el Corolla en la sucursal para usted."),
            Some("es")
        );
        assert_eq!(
            detect_language("Olá Ana! Temos o Corolla na loja, você pode vir ver."),
            Some("pt")
        );
        assert_eq!(detect_language("مرحباً أحمد! لدينا تويوتا كامري في الفرع."), Some("ar"));
        assert_eq!(detect_language("Corolla 2022"), None);
        // Latin model and branch names inside an Arabic reply.
        assert_eq!(
            detect_language(
                "سيارة Hyundai Palisade غير متوفرة حالياً. Hyundai Santa Fe Limited 2025، فرع São Paulo Moema"
            ),
            Some("ar")
        );
    }

    #[test]
    fn numbers_read_both_ways_and_names_are_not_numbers() {
        let n: Vec<String> = numbers("Desde 21.400 USD, 393,11 al mes, CX-30 y RAV4, 4x4, 2022")
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(n, ["21.400", "393,11", "2022"]);
        assert!(readings("21.400").contains(&"21400".to_owned()));
        assert!(readings("393,11").contains(&"393.11".to_owned()));
        assert!(readings("21,400").contains(&"21400".to_owned()));
    }

    #[test]
    fn known_facts_asked_again_are_found() {
        let t = "Great! How much would you put down? And which model do you like?";
        assert_eq!(asked_known(t, &["down_payment"]), ["down_payment"]);
        assert!(asked_known(t, &["term"]).is_empty());
        assert_eq!(asked_known("¿Cuántos meses prefiere?", &["term"]), ["term"]);
        assert!(
            asked_known("Con 60 meses el pago es 400.", &["term"]).is_empty(),
            "not a question"
        );
        assert_eq!(markup("**Hi** [link](x)"), ["Markdown bold", "a Markdown link"]);
    }
}
