//! Company-defined profile fields: a company file declares extra fields, each an enum whose
//! values are shown by words per language, or a pattern whose match is the value. The builtin
//! engine finds them in the customer's messages (latest mention wins, with the message as
//! evidence); an LLM provider gets their definitions and fills them too; agents set them through
//! the signals API; `dossier eval` scores them when labels carry them.

use dossier_core::profile::CustomFact;
use dossier_core::text::fold;
use dossier_core::{Message, MessageId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One field as a company file declares it (`[[fields]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// snake_case, unlike every built-in field.
    pub name: String,
    /// What the field means (an LLM reads it).
    pub description: String,
    /// Enum fields: value → language → the words that show it.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Pattern fields: a regular expression whose match is the value.
    #[serde(default)]
    pub pattern: Option<String>,
}

impl FieldDef {
    /// Checks the definition; the error says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let snake = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !self.name.starts_with(|c: char| c.is_ascii_digit());
        if !snake {
            return Err(format!("`{}` is not a snake_case field name", self.name));
        }
        if crate::config::company::PROFILE_FIELDS.contains(&self.name.as_str())
            || crate::analysis::merge::SIGNAL_KINDS.contains(&self.name.as_str())
        {
            return Err(format!("`{}` is a built-in field", self.name));
        }
        match (&self.pattern, self.values.is_empty()) {
            (Some(_), false) => Err("a field has `values` or a `pattern`, not both".into()),
            (None, true) => Err("a field needs `values` (an enum) or a `pattern`".into()),
            (Some(p), true) => regex::Regex::new(p)
                .map(|_| ())
                .map_err(|e| format!("pattern does not compile: {e}")),
            (None, false) => {
                for (value, langs) in &self.values {
                    if langs.values().all(Vec::is_empty) {
                        return Err(format!("value `{value}` has no words to find it by"));
                    }
                }
                Ok(())
            }
        }
    }

    /// Whether `value` is one this field can take.
    pub fn accepts(&self, value: &str) -> bool {
        match &self.pattern {
            Some(p) => regex::Regex::new(p).is_ok_and(|re| re.is_match(value)),
            None => self.values.contains_key(value),
        }
    }
}

/// What the builtin engine found for a field so far (kept in the profile document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub value: String,
    pub evidence: MessageId,
    pub at: Timestamp,
}

enum Matcher {
    /// (folded word, value), longest words first.
    Words(Vec<(String, String)>),
    Pattern(regex::Regex),
}

/// A company's fields, compiled once (with its runtime).
pub struct Fields {
    defs: Vec<FieldDef>,
    matchers: Vec<Matcher>,
}

impl Fields {
    /// Compiles validated definitions (an invalid one was refused at load).
    pub fn compile(defs: &[FieldDef]) -> Fields {
        let matchers = defs
            .iter()
            .map(|d| match &d.pattern {
                Some(p) => {
                    Matcher::Pattern(regex::Regex::new(p).unwrap_or_else(|_| regex::Regex::new("$^").expect("empty")))
                }
                None => {
                    let mut words: Vec<(String, String)> = d
                        .values
                        .iter()
                        .flat_map(|(value, langs)| {
                            langs
                                .values()
                                .flatten()
                                .map(move |w| (fold(w).trim().to_owned(), value.clone()))
                        })
                        .filter(|(w, _)| !w.is_empty())
                        .collect();
                    words.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
                    Matcher::Words(words)
                }
            })
            .collect();
        Fields {
            defs: defs.to_vec(),
            matchers,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub fn defs(&self) -> &[FieldDef] {
        &self.defs
    }

    pub fn def(&self, name: &str) -> Option<&FieldDef> {
        self.defs.iter().find(|d| d.name == name)
    }

    /// Folds one message into `found`: a customer message naming a value (or matching the
    /// pattern) sets the field, the latest mention winning.
    pub fn observe(&self, found: &mut BTreeMap<String, Found>, m: &Message) {
        if !m.is_inbound() || m.text().trim().is_empty() {
            return;
        }
        let folded = format!(" {} ", fold(m.text()));
        for (def, matcher) in self.defs.iter().zip(&self.matchers) {
            let value = match matcher {
                Matcher::Pattern(re) => re.find(m.text()).map(|x| x.as_str().to_owned()),
                Matcher::Words(words) => {
                    // The mention that comes last in the message wins.
                    let mut best: Option<(usize, &str)> = None;
                    for (w, value) in words {
                        for (i, _) in folded.match_indices(w.as_str()) {
                            let before = folded[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
                            let after = folded[i + w.len()..]
                                .chars()
                                .next()
                                .is_none_or(|c| !c.is_alphanumeric());
                            if before && after && best.is_none_or(|(b, _)| i > b) {
                                best = Some((i, value.as_str()));
                            }
                        }
                    }
                    best.map(|(_, v)| v.to_owned())
                }
            };
            if let Some(value) = value {
                found.insert(
                    def.name.clone(),
                    Found {
                        value,
                        evidence: m.id.clone(),
                        at: m.timestamp,
                    },
                );
            }
        }
    }

    /// The profile's custom facts from what was found.
    pub fn facts(&self, found: &BTreeMap<String, Found>) -> BTreeMap<String, CustomFact> {
        found
            .iter()
            .filter(|(name, _)| self.def(name).is_some())
            .map(|(name, f)| {
                (
                    name.clone(),
                    CustomFact {
                        value: f.value.clone(),
                        confidence: 0.8,
                        evidence: vec![f.evidence.clone()],
                        source: None,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_core::Direction;

    fn color() -> FieldDef {
        let mut values = BTreeMap::new();
        values.insert(
            "white".to_owned(),
            BTreeMap::from([
                ("en".to_owned(), vec!["white".to_owned()]),
                ("es".to_owned(), vec!["blanco".to_owned(), "blanca".to_owned()]),
                ("ar".to_owned(), vec!["أبيض".to_owned()]),
            ]),
        );
        values.insert(
            "black".to_owned(),
            BTreeMap::from([("pt".to_owned(), vec!["preto".to_owned(), "preta".to_owned()])]),
        );
        FieldDef {
            name: "color".into(),
            description: "Exterior colour".into(),
            values,
            pattern: None,
        }
    }

    fn msg(id: &str, text: &str) -> Message {
        Message {
            id: id.parse().unwrap(),
            direction: Direction::In,
            timestamp: "2026-10-01T10:00:00Z".parse().unwrap(),
            text: Some(text.into()),
            kind: Some("text".into()),
            status: None,
            detail: None,
        }
    }

    #[test]
    fn enum_and_pattern_fields_are_found_with_evidence_latest_wins() {
        let plate = FieldDef {
            name: "plate".into(),
            description: "Licence plate of the trade-in".into(),
            values: BTreeMap::new(),
            pattern: Some(r"\b[A-Z]{3}-?\d{3,4}\b".into()),
        };
        assert!(color().validate().is_ok() && plate.validate().is_ok());
        let f = Fields::compile(&[color(), plate]);
        let mut found = BTreeMap::new();
        f.observe(&mut found, &msg("m1", "Lo quiero en BLANCO, por favor"));
        assert_eq!(found["color"].value, "white");
        f.observe(&mut found, &msg("m2", "Na verdade prefiro preto. Placa ABC-1234"));
        assert_eq!(found["color"].value, "black");
        assert_eq!(found["color"].evidence.as_str(), "m2");
        assert_eq!(found["plate"].value, "ABC-1234");
        f.observe(&mut found, &msg("m3", "whiteboard"));
        assert_eq!(
            found["color"].value, "black",
            "a word inside another word is not a mention"
        );
        f.observe(&mut found, &msg("m4", "أريدها بلون أبيض"));
        assert_eq!(found["color"].value, "white");
        let facts = f.facts(&found);
        assert_eq!(facts["color"].evidence[0].as_str(), "m4");
    }

    #[test]
    fn bad_definitions_say_why() {
        let mut d = color();
        d.name = "stage".into();
        assert!(d.validate().unwrap_err().contains("built-in"));
        d.name = "Color".into();
        assert!(d.validate().is_err());
        let mut d = color();
        d.pattern = Some("x".into());
        assert!(d.validate().unwrap_err().contains("not both"));
        let p = FieldDef {
            name: "p".into(),
            description: "".into(),
            values: BTreeMap::new(),
            pattern: Some("(".into()),
        };
        assert!(p.validate().unwrap_err().contains("compile"));
    }
}
