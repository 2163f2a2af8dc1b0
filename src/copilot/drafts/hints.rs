//! What the customer's own words narrow down that the profile does not hold: which unit of a
//! model ("the new Prado", "la Camry híbrida"), when they want to come ("sábado de manhã, umas
//! 10h", "بكرة العصر"), and whether they ask where the branch is or when it opens. The planner
//! uses them to pick the unit a reply quotes and to confirm a time instead of asking for it.
//!
//! Only words of the customer's own messages count; a hint is a narrowing, never a fact on the
//! profile. The words are data per language, together: a customer may switch languages.

use dossier_core::Message;
use dossier_core::text::fold;
use dossier_tools::search::Item;
use serde::Serialize;
use std::sync::LazyLock;

/// The condition and fuel the customer asked for, when they said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitHints {
    pub new: Option<bool>,
    pub fuel: Option<&'static str>,
}

const NEW: [&str; 14] = [
    "new",
    "brand new",
    "0km",
    "0 km",
    "zero km",
    "nuevo",
    "nueva",
    "0 kilometros",
    "novo",
    "nova",
    "جديد",
    "جديدة",
    "الجديد",
    "الجديدة",
];
const USED: [&str; 17] = [
    "used",
    "pre-owned",
    "preowned",
    "second hand",
    "second-hand",
    "usado",
    "usada",
    "seminovo",
    "seminova",
    "semi-novo",
    "de segunda",
    "mestico",
    "مستعمل",
    "مستعملة",
    "المستعمل",
    "المستعملة",
    "استعمال",
];
/// Fuel words and the catalog's value for them.
const FUELS: [(&str, &[&str]); 3] = [
    (
        "hybrid",
        &[
            "hybrid",
            "hibrido",
            "hibrida",
            "هايبرد",
            "هايبريد",
            "هجين",
            "الهايبرد",
            "الهايبريد",
            "الهجين",
        ],
    ),
    (
        "electric",
        &[
            "electric",
            "ev",
            "electrico",
            "electrica",
            "eletrico",
            "eletrica",
            "كهربائي",
            "كهربائية",
            "كهربا",
        ],
    ),
    ("diesel", &["diesel", "ديزل", "الديزل"]),
];

/// Folds a word list once (the lists are written for people, with accents and hamzas).
fn folded(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| fold(w)).collect()
}

/// The words of folded text, split once and matched against many lists.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whole words (or phrases of whole words) of folded `list` among `words`. An Arabic word may
/// carry a one-letter prefix (و، ب، ل، ف، ع، ك: "and", "with", "for", "on"…).
fn has_word<S: AsRef<str>>(words: &[&str], list: &[S]) -> bool {
    list.iter().any(|w| {
        let w = w.as_ref();
        if !w.contains(' ') {
            return words.iter().any(|x| {
                *x == w
                    || x.strip_prefix(['و', 'ب', 'ل', 'ف', 'ع', 'ك']).is_some_and(|rest| {
                        rest == w || rest.strip_prefix('ا').is_some_and(|r| w.strip_prefix('ا') == Some(r))
                    })
            });
        }
        let parts: Vec<&str> = w.split(' ').collect();
        words.windows(parts.len()).any(|win| win == parts.as_slice())
    })
}

static NEW_F: LazyLock<Vec<String>> = LazyLock::new(|| folded(&NEW));
static USED_F: LazyLock<Vec<String>> = LazyLock::new(|| folded(&USED));
static FUELS_F: LazyLock<Vec<(&str, Vec<String>)>> =
    LazyLock::new(|| FUELS.iter().map(|(k, w)| (*k, folded(w))).collect());
static DAYS_F: LazyLock<Vec<(&str, Vec<String>)>> =
    LazyLock::new(|| DAYS.iter().map(|(k, w)| (*k, folded(w))).collect());
static PARTS_F: LazyLock<Vec<(&str, Vec<String>)>> =
    LazyLock::new(|| PARTS.iter().map(|(k, w)| (*k, folded(w))).collect());
static LOCATION_F: LazyLock<Vec<String>> = LazyLock::new(|| folded(&LOCATION));
static HOURS_F: LazyLock<Vec<String>> = LazyLock::new(|| folded(&HOURS));
static ESCALATION_F: LazyLock<Vec<String>> = LazyLock::new(|| folded(&ESCALATION));

/// The unit hints in the messages that show the interest (its evidence) and the customer's
/// latest message.
pub fn unit_hints(recent: &[Message], evidence: &[dossier_core::MessageId]) -> UnitHints {
    let last_in = recent.iter().rev().find(|m| m.is_inbound()).map(|m| &m.id);
    let texts: Vec<String> = recent
        .iter()
        .filter(|m| m.is_inbound() && (evidence.contains(&m.id) || Some(&m.id) == last_in))
        .map(|m| fold(m.text()))
        .collect();
    let mut h = UnitHints::default();
    for t in &texts {
        let t = &words(t);
        let (n, u) = (has_word(t, &NEW_F), has_word(t, &USED_F));
        if n != u {
            h.new = Some(n);
        }
        if let Some((fuel, _)) = FUELS_F.iter().find(|(_, words)| has_word(t, words)) {
            h.fuel = Some(fuel);
        }
    }
    h
}

impl UnitHints {
    /// Whether `v` is what the customer asked for.
    pub fn fits(&self, v: &Item) -> bool {
        let new_ok = self
            .new
            .is_none_or(|n| (v.condition == dossier_core::catalog::Condition::New) == n);
        let fuel_ok = self.fuel.is_none_or(|f| {
            let in_field = |s: &Option<String>| s.as_deref().is_some_and(|x| fold(x).contains(f));
            in_field(&v.fuel) || in_field(&v.trim)
        });
        new_ok && fuel_ok
    }

    pub fn is_empty(&self) -> bool {
        self.new.is_none() && self.fuel.is_none()
    }
}

/// When the customer wants to come, as they said it: a day, a part of the day, an hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct When {
    /// `today`, `tomorrow`, or a weekday `monday` … `sunday`.
    pub day: Option<&'static str>,
    /// `morning`, `afternoon` or `evening`.
    pub part: Option<&'static str>,
    /// 0–23, with minutes.
    pub hour: Option<u32>,
    pub minute: u32,
    /// The hour as each language writes it: `16:00`, `16h` / `16h30`, `4 pm` / `4:30 pm`.
    pub clock: Option<String>,
    pub clock_h: Option<String>,
    pub clock_12: Option<String>,
}

const DAYS: [(&str, &[&str]); 9] = [
    ("today", &["today", "tonight", "hoy", "hoje", "اليوم", "الليلة"]),
    (
        "tomorrow",
        &[
            "tomorrow", "manana", "amanha", "بكرة", "بكره", "بكرا", "غدا", "غداً", "باجر",
        ],
    ),
    (
        "monday",
        &[
            "monday",
            "lunes",
            "segunda",
            "segunda-feira",
            "الاثنين",
            "الإثنين",
            "الاتنين",
        ],
    ),
    (
        "tuesday",
        &["tuesday", "martes", "terca", "terca-feira", "الثلاثاء", "التلات"],
    ),
    (
        "wednesday",
        &[
            "wednesday",
            "miercoles",
            "quarta",
            "quarta-feira",
            "الأربعاء",
            "الاربعاء",
            "الاربع",
        ],
    ),
    ("thursday", &["thursday", "jueves", "quinta", "quinta-feira", "الخميس"]),
    (
        "friday",
        &["friday", "viernes", "sexta", "sexta-feira", "الجمعة", "الجمعه"],
    ),
    ("saturday", &["saturday", "sabado", "السبت"]),
    ("sunday", &["sunday", "domingo", "الأحد", "الاحد", "الحد"]),
];
const PARTS: [(&str, &[&str]); 3] = [
    (
        "morning",
        &[
            "morning",
            "in the morning",
            "por la manana",
            "de manana",
            "de manha",
            "pela manha",
            "الصبح",
            "الصباح",
            "صباحا",
            "الضحى",
        ],
    ),
    (
        "afternoon",
        &[
            "afternoon",
            "por la tarde",
            "en la tarde",
            "a la tarde",
            "de tarde",
            "a tarde",
            "العصر",
            "عصرا",
            "الظهر",
            "بعد الظهر",
        ],
    ),
    (
        "evening",
        &[
            "evening",
            "por la noche",
            "de noche",
            "a noite",
            "de noite",
            "المسا",
            "المساء",
            "مساء",
            "بالليل",
        ],
    ),
];

/// The time the customer asked for in their latest messages (the newest that names one),
/// when it names at least a day or an hour. "mañana" alone is tomorrow; "de mañana" the morning.
pub fn requested_when(recent: &[Message]) -> Option<When> {
    for m in recent.iter().rev().filter(|m| m.is_inbound()).take(3) {
        let t = fold(m.text());
        let mut w = When::default();
        let tw = words(&t);
        if let Some((p, _)) = PARTS_F.iter().find(|(_, list)| has_word(&tw, list)) {
            w.part = Some(p);
        }
        // "de mañana"/"por la mañana" is the morning, not tomorrow.
        let day_text = if w.part == Some("morning") {
            t.replace("de manana", " ").replace("por la manana", " ")
        } else {
            t.clone()
        };
        let dw = words(&day_text);
        if let Some((d, _)) = DAYS_F.iter().find(|(_, list)| has_word(&dw, list)) {
            w.day = Some(d);
        }
        if let Some((h, min)) = hour(&t) {
            w.hour = Some(h);
            w.minute = min;
            w.clock = Some(format!("{h}:{min:02}"));
            w.clock_h = Some(if min == 0 {
                format!("{h}h")
            } else {
                format!("{h}h{min:02}")
            });
            let (h12, half) = match h {
                0 => (12, "am"),
                1..=11 => (h, "am"),
                12 => (12, "pm"),
                _ => (h - 12, "pm"),
            };
            w.clock_12 = Some(if min == 0 {
                format!("{h12} {half}")
            } else {
                format!("{h12}:{min:02} {half}")
            });
        }
        if w.day.is_some() || w.hour.is_some() {
            return Some(w);
        }
    }
    None
}

/// An hour written as `10h`, `10:30`, `10am`, `3 pm`, `às 10`, `a las 4`, `at 5`, `الساعة 4`.
fn hour(t: &str) -> Option<(u32, u32)> {
    let words: Vec<&str> = t.split_whitespace().collect();
    for (i, raw) in words.iter().enumerate() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != ':');
        let (num, rest) = w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
        let Ok(h) = num.parse::<u32>() else { continue };
        let next = words
            .get(i + 1)
            .map(|n| n.trim_matches(|c: char| !c.is_alphanumeric()))
            .unwrap_or("");
        let prev = if i > 0 { words[i - 1] } else { "" };
        let (mut h, mut min, mut sure) = (h, 0, false);
        if let Some(m) = rest
            .strip_prefix(':')
            .or_else(|| rest.strip_prefix('h'))
            .filter(|m| !m.is_empty())
        {
            let Ok(m) = m.parse::<u32>() else { continue };
            min = m;
            sure = true;
        } else if rest == "h" || rest == "hs" || rest == "hrs" {
            sure = true;
        }
        let pm = rest == "pm" || next == "pm" || next == "p.m";
        let am = rest == "am" || next == "am" || next == "a.m";
        if pm || am {
            sure = true;
        }
        if [
            "at",
            "as",
            "a",
            "las",
            "la",
            "pelas",
            "umas",
            "tipo",
            "الساعة",
            "الساعه",
            "ساعة",
        ]
        .contains(&prev)
            && rest.is_empty()
        {
            sure = true;
        }
        if !sure || h > 23 || min > 59 {
            continue;
        }
        if pm && h < 12 {
            h += 12;
        }
        return Some((h, min));
    }
    None
}

/// The unit of a model the conversation is about: the one whose price a message quotes (the
/// dealership's quote, or the customer repeating it), else the one whose own trim word a message
/// names ("the GT-Line"); the newest message that points at one decides.
pub fn discussed<'a>(recent: &[Message], units: &'a [Item]) -> Option<&'a Item> {
    if units.len() < 2 {
        return None;
    }
    let trim_words = |x: &Item| -> Vec<String> {
        x.trim
            .as_deref()
            .map(fold)
            .unwrap_or_default()
            .split_whitespace()
            .filter(|w| w.chars().count() >= 3 && w.chars().any(char::is_alphabetic))
            .map(str::to_owned)
            .collect()
    };
    let all: Vec<Vec<String>> = units.iter().map(trim_words).collect();
    // Each unit's own trim words: those not every unit of the model has.
    let own: Vec<Vec<String>> = all
        .iter()
        .map(|ws| {
            ws.iter()
                .filter(|w| !all.iter().all(|o| o.contains(w)))
                .cloned()
                .collect()
        })
        .collect();
    for m in recent.iter().rev() {
        let text = m.text();
        if text.trim().is_empty() {
            continue;
        }
        let nums: Vec<String> = super::check::numbers(text).into_iter().flat_map(|(_, r)| r).collect();
        let by_price = units
            .iter()
            .filter(|v| nums.contains(&v.price.normalize().to_string()))
            .min_by_key(|v| v.price);
        if by_price.is_some() {
            return by_price;
        }
        let folded = fold(text);
        let tw = words(&folded);
        let by_trim = units
            .iter()
            .zip(&own)
            .filter(|(_, ws)| has_word(&tw, ws))
            .map(|(v, _)| v)
            .min_by_key(|v| v.price);
        if by_trim.is_some() {
            return by_trim;
        }
    }
    None
}

const ESCALATION: [&str; 24] = [
    "manager",
    "supervisor",
    "someone in charge",
    "speak to someone",
    "talk to someone",
    "gerente",
    "supervisora",
    "encargado",
    "encargada",
    "alguien responsable",
    "poder de decision",
    "responsavel",
    "alguem responsavel",
    "falar com alguem",
    "reclamacao",
    "queja",
    "complaint",
    "مسؤول",
    "المسؤول",
    "المدير",
    "مدير",
    "شكوى",
    "اشتكي",
    "حماية المستهلك",
];

/// Whether the customer's latest messages ask for a manager or someone in charge, or say they
/// will complain: a support case is then a complaint, answered with an apology and a person.
pub fn escalation(recent: &[Message]) -> bool {
    recent
        .iter()
        .rev()
        .filter(|m| m.is_inbound())
        .take(3)
        .any(|m| has_word(&words(&fold(m.text())), &ESCALATION_F))
}

/// What the customer asks about the branch itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BranchQuestion {
    pub location: bool,
    pub hours: bool,
}

const LOCATION: [&str; 16] = [
    "where",
    "address",
    "location",
    "located",
    "donde",
    "direccion",
    "ubicacion",
    "ubicados",
    "onde",
    "endereco",
    "localizacao",
    "وين",
    "موقعكم",
    "الموقع",
    "اللوكيشن",
    "عنوانكم",
];
const HOURS: [&str; 18] = [
    "open",
    "opening",
    "hours",
    "close",
    "horario",
    "abren",
    "abierto",
    "cierran",
    "horarios",
    "abre",
    "aberto",
    "fecham",
    "funciona",
    "دوام",
    "تفتحون",
    "تفتحوا",
    "مفتوحين",
    "الدوام",
];

/// Whether the customer's latest message asks where the branch is or when it opens.
pub fn branch_question(recent: &[Message]) -> BranchQuestion {
    let mut q = BranchQuestion::default();
    for m in recent.iter().rev().filter(|m| m.is_inbound()).take(2) {
        let t = fold(m.text());
        let t = words(&t);
        q.location |= has_word(&t, &LOCATION_F);
        q.hours |= has_word(&t, &HOURS_F);
    }
    q
}

/// The branch the conversation names (by its full name or a distinctive word of it, such as
/// "Moema" for "São Paulo Moema"), the latest mention first.
pub fn branch_named<'a>(recent: &[Message], branches: &'a [String]) -> Option<&'a str> {
    let names: Vec<String> = branches.iter().map(|b| fold(b)).collect();
    // A word of one branch's name that no other branch has.
    let own: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            n.split_whitespace()
                .filter(|w| w.chars().count() >= 4)
                .filter(|w| names.iter().filter(|o| o.split_whitespace().any(|x| x == *w)).count() == 1)
                .map(str::to_owned)
                .collect()
        })
        .collect();
    for m in recent.iter().rev() {
        if m.text().trim().is_empty() {
            continue;
        }
        let t = fold(m.text());
        if let Some(i) = names.iter().position(|n| t.contains(n.as_str())) {
            return Some(&branches[i]);
        }
        let tw = words(&t);
        if let Some(i) = own.iter().position(|ws| has_word(&tw, ws)) {
            return Some(&branches[i]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_core::{Direction, MessageId};

    fn msgs(texts: &[&str]) -> Vec<Message> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Message {
                id: MessageId::parse(format!("wamid.h{i}")).unwrap(),
                direction: Direction::In,
                timestamp: jiff::Timestamp::UNIX_EPOCH,
                text: Some((*t).into()),
                kind: Some("text".into()),
                status: None,
                detail: None,
            })
            .collect()
    }

    #[test]
    fn condition_and_fuel_from_the_customer_words() {
        let h = unit_hints(&msgs(&["So what's your best price on the new Prado?"]), &[]);
        assert_eq!(h.new, Some(true));
        let h = unit_hints(&msgs(&["شو آخر سعر فيك تعمله عالكامري الهايبرد؟"]), &[]);
        assert_eq!(h.fuel, Some("hybrid"));
        let h = unit_hints(&msgs(&["Quero um seminovo, nada de novo"]), &[]);
        assert_eq!(h.new, None, "both said: no hint");
    }

    #[test]
    fn times_in_four_languages() {
        let w = requested_when(&msgs(&["Pode ser sábado de manhã, umas 10h"])).unwrap();
        assert_eq!((w.day, w.part, w.hour), (Some("saturday"), Some("morning"), Some(10)));
        let w = requested_when(&msgs(&["ابي اجرب اليارس كروس بكرة العصر، ممكن؟"])).unwrap();
        assert_eq!((w.day, w.part), (Some("tomorrow"), Some("afternoon")));
        let w = requested_when(&msgs(&["¿Puedo pasar mañana a las 4 pm?"])).unwrap();
        assert_eq!((w.day, w.hour), (Some("tomorrow"), Some(16)));
        let w = requested_when(&msgs(&["el sábado por la mañana"])).unwrap();
        assert_eq!((w.day, w.part), (Some("saturday"), Some("morning")));
        let w = requested_when(&msgs(&["Can I come at 5:30?"])).unwrap();
        assert_eq!((w.hour, w.minute), (Some(5), 30));
        assert!(requested_when(&msgs(&["I want the 2022 model with 30000 km"])).is_none());
        assert!(requested_when(&msgs(&["Tengo 2 hijos"])).is_none());
    }

    #[test]
    fn branch_questions_and_names() {
        let q = branch_question(&msgs(&["وين موقعكم بالضبط؟", "وفيه دوام يوم السبت؟"]));
        assert!(q.location && q.hours);
        assert_eq!(branch_question(&msgs(&["How much is it?"])), BranchQuestion::default());
        let branches = [
            "São Paulo Moema".to_owned(),
            "Bogotá Norte".to_owned(),
            "Riyadh Olaya".to_owned(),
        ];
        assert_eq!(
            branch_named(&msgs(&["Estou perto de Moema"]), &branches),
            Some("São Paulo Moema")
        );
        assert_eq!(
            branch_named(&msgs(&["la de bogota norte"]), &branches),
            Some("Bogotá Norte")
        );
        assert_eq!(branch_named(&msgs(&["hola"]), &branches), None);
    }

    #[test]
    fn asking_for_a_manager_is_an_escalation() {
        assert!(escalation(&msgs(&["أبي أحد مسؤول يكلمني اليوم"])));
        assert!(escalation(&msgs(&["I want to talk to a manager today"])));
        assert!(escalation(&msgs(&[
            "Quiero hablar con alguien que tenga poder de decisión"
        ])));
        assert!(!escalation(&msgs(&["Can I book a service for Friday?"])));
    }
}
