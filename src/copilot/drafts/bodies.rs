//! The body type of common models (`config/knowledge/bodies.toml`, compiled in), for a model
//! the catalog does not have: its closest alternatives are units of the same kind.

use dossier_core::text::fold;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(serde::Deserialize)]
struct File {
    bodies: HashMap<String, Vec<String>>,
    #[serde(default)]
    fuels: HashMap<String, Vec<String>>,
}

/// Folded "make model" → body type, and → fuel.
type Tables = (HashMap<String, String>, HashMap<String, String>);

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let file: File = toml::from_str(include_str!("../../../config/knowledge/bodies.toml"))
        .expect("config/knowledge/bodies.toml is checked by a test");
    let invert = |t: HashMap<String, Vec<String>>| {
        let mut out = HashMap::new();
        for (k, models) in t {
            for m in models {
                out.insert(fold(&m), k.clone());
            }
        }
        out
    };
    (invert(file.bodies), invert(file.fuels))
});

/// The body type of `make model`, when the table knows it.
pub fn body_of(make: &str, model: &str) -> Option<&'static str> {
    TABLES.0.get(&fold(&format!("{make} {model}"))).map(String::as_str)
}

/// The fuel of `make model` when it is electric or a hybrid everywhere it is sold.
pub fn fuel_of(make: &str, model: &str) -> Option<&'static str> {
    TABLES.1.get(&fold(&format!("{make} {model}"))).map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_loads_and_answers() {
        assert_eq!(super::body_of("Hyundai", "Palisade"), Some("suv"));
        assert_eq!(super::body_of("toyota", "hilux"), Some("pickup"));
        assert_eq!(super::body_of("Nobody", "Nothing"), None);
        assert_eq!(super::fuel_of("Hyundai", "Ioniq 5"), Some("electric"));
    }
}
