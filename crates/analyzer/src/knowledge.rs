//! Domain knowledge (cue phrases, aliases, currency words, number words, stoplists) loaded from
//! TOML, so a company can extend it without a rebuild and no cue phrase is hard-coded in Rust.
//!
//! The format (documented at the top of every file in `config/knowledge/`):
//! - optional top-level `language = "xx"`: the ISO 639-1 code the file's `[detect]` words belong to;
//! - any table of **string arrays** adds cue phrases to the category `table.key` (merged over
//!   files, so `[stage] support = [...]` in `es.toml` and `en.toml` both feed `stage.support`);
//!   phrases are folded (case, accents); a token ending in `*` matches as a prefix;
//!   keys ending in `_emoji` are matched as raw substrings instead;
//! - any table of **strings** is a lookup map (`[currency_symbols] "r$" = "BRL"`, `[actions] ...`);
//! - `[[vehicle]]` entries (`make`, `model`, `aliases`) and `[[make]]` entries (`name`, `aliases`)
//!   add vehicles the catalog may lack and aliases in other scripts;
//! - `[detect] stopwords = [...]` are the language-detection words of `language`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const BUILTIN: [(&str, &str); 7] = [
    ("common.toml", include_str!("../../../config/knowledge/common.toml")),
    ("en.toml", include_str!("../../../config/knowledge/en.toml")),
    ("es.toml", include_str!("../../../config/knowledge/es.toml")),
    ("pt.toml", include_str!("../../../config/knowledge/pt.toml")),
    ("ar.toml", include_str!("../../../config/knowledge/ar.toml")),
    ("vehicles.toml", include_str!("../../../config/knowledge/vehicles.toml")),
    (
        "vehicles-world.toml",
        include_str!("../../../config/knowledge/vehicles-world.toml"),
    ),
];

/// Why a knowledge file was refused.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read knowledge file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("knowledge file {path}: {reason}")]
    Format { path: String, reason: String },
}

/// A vehicle model known without the catalog (or extra aliases for a catalog one).
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleAlias {
    pub make: String,
    pub model: String,
    pub aliases: Vec<String>,
}

/// All lexicons, merged from the built-in files and any company files.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// Category (`stage.support`) → phrases as written.
    pub(crate) cues: BTreeMap<String, Vec<String>>,
    /// Category → the `language` of the file each phrase came from (aligned with `cues`).
    pub(crate) cue_langs: BTreeMap<String, Vec<Option<String>>>,
    /// Map name (`currency_symbols`) → key → value.
    pub(crate) maps: BTreeMap<String, BTreeMap<String, String>>,
    /// Language code → detection words.
    pub(crate) stopwords: BTreeMap<String, Vec<String>>,
    pub(crate) vehicles: Vec<VehicleAlias>,
    /// Make → aliases.
    pub(crate) makes: Vec<(String, Vec<String>)>,
}

impl Knowledge {
    /// The defaults shipped in `config/knowledge/*.toml`.
    pub fn builtin() -> Knowledge {
        let mut k = Knowledge::default();
        for (name, text) in BUILTIN {
            // The embedded files are ours and covered by a test; a bad one is a build defect.
            if let Err(e) = k.extend_from_str(name, text) {
                panic!("built-in knowledge is invalid: {e}");
            }
        }
        k
    }

    /// Merges a company's extra file (same format as the built-in ones).
    pub fn extend_from_file(&mut self, path: &Path) -> Result<(), KnowledgeError> {
        let text = std::fs::read_to_string(path).map_err(|source| KnowledgeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.extend_from_str(&path.display().to_string(), &text)
    }

    /// Merges TOML text; `name` only labels errors.
    pub fn extend_from_str(&mut self, name: &str, text: &str) -> Result<(), KnowledgeError> {
        let err = |reason: String| KnowledgeError::Format {
            path: name.to_owned(),
            reason,
        };
        let root: toml::Table = text.parse().map_err(|e: toml::de::Error| err(e.to_string()))?;
        let language = match root.get("language") {
            Some(toml::Value::String(s)) => Some(s.trim().to_ascii_lowercase()),
            Some(_) => return Err(err("`language` must be a string".into())),
            None => None,
        };
        for (key, value) in &root {
            match (key.as_str(), value) {
                ("language", _) => {}
                ("vehicle", toml::Value::Array(items)) => {
                    for it in items {
                        let t = it.as_table().ok_or_else(|| err("[[vehicle]] must be tables".into()))?;
                        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                        let (Some(make), Some(model)) = (s("make"), s("model")) else {
                            return Err(err("[[vehicle]] needs `make` and `model`".into()));
                        };
                        let aliases = strings(t.get("aliases")).map_err(|e| err(format!("vehicle {model}: {e}")))?;
                        self.vehicles.push(VehicleAlias { make, model, aliases });
                    }
                }
                ("make", toml::Value::Array(items)) => {
                    for it in items {
                        let t = it.as_table().ok_or_else(|| err("[[make]] must be tables".into()))?;
                        let Some(make) = t.get("name").and_then(|v| v.as_str()) else {
                            return Err(err("[[make]] needs `name`".into()));
                        };
                        let aliases = strings(t.get("aliases")).map_err(|e| err(format!("make {make}: {e}")))?;
                        match self.makes.iter_mut().find(|(m, _)| m.eq_ignore_ascii_case(make)) {
                            Some((_, a)) => a.extend(aliases),
                            None => self.makes.push((make.to_owned(), aliases)),
                        }
                    }
                }
                ("detect", toml::Value::Table(t)) => {
                    let words = strings(t.get("stopwords")).map_err(|e| err(format!("detect: {e}")))?;
                    let Some(lang) = &language else {
                        return Err(err("[detect] needs a top-level `language`".into()));
                    };
                    self.stopwords.entry(lang.clone()).or_default().extend(words);
                }
                (table, toml::Value::Table(t)) => {
                    for (k, v) in t {
                        match v {
                            toml::Value::Array(_) => {
                                let list = strings(Some(v)).map_err(|e| err(format!("{table}.{k}: {e}")))?;
                                let n = list.len();
                                self.cues.entry(format!("{table}.{k}")).or_default().extend(list);
                                self.cue_langs
                                    .entry(format!("{table}.{k}"))
                                    .or_default()
                                    .extend(std::iter::repeat_n(language.clone(), n));
                            }
                            toml::Value::String(s) => {
                                self.maps
                                    .entry(table.to_owned())
                                    .or_default()
                                    .insert(k.to_lowercase(), s.clone());
                            }
                            _ => return Err(err(format!("{table}.{k}: expected strings"))),
                        }
                    }
                }
                (other, _) => return Err(err(format!("unexpected top-level key `{other}`"))),
            }
        }
        Ok(())
    }

    /// The phrases of a category (empty when unknown).
    pub fn cues(&self, category: &str) -> &[String] {
        self.cues.get(category).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A lookup map (`currency_symbols`, `actions`, ...).
    pub fn map(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.maps.get(name)
    }

    pub(crate) fn categories(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.cues.iter()
    }

    /// The language of the file each phrase of a category came from (aligned with `cues`).
    pub(crate) fn cue_langs(&self, category: &str) -> &[Option<String>] {
        self.cue_langs.get(category).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn stopword_table(&self) -> HashMap<String, Vec<String>> {
        self.stopwords.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

fn strings(v: Option<&toml::Value>) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "expected a list of strings".to_owned())
            })
            .collect(),
        Some(_) => Err("expected a list of strings".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_has_every_language() {
        let k = Knowledge::builtin();
        for l in ["en", "es", "pt", "ar"] {
            assert!(k.stopwords.contains_key(l), "{l}");
        }
        assert!(!k.cues("stage.support").is_empty());
        assert!(k.vehicles.len() > 50);
    }

    #[test]
    fn extends_and_reports_errors() {
        let mut k = Knowledge::builtin();
        let before = k.cues("stage.ready").len();
        k.extend_from_str("x", "[stage]\nready = [\"cierro trato\"]").unwrap();
        assert_eq!(k.cues("stage.ready").len(), before + 1);
        assert!(k.extend_from_str("x", "[stage]\nready = [1]").is_err());
        assert!(k.extend_from_str("x", "not toml [").is_err());
        assert!(k.extend_from_file(Path::new("/nonexistent/x.toml")).is_err());
    }
}
