//! The body type of common models (`config/knowledge/bodies.toml`, compiled in), for a model
//! the catalog does not have: its closest alternatives are units of the same kind.

use dossier_core::text::fold;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(serde::Deserialize)]
struct File {
    bodies: HashMap<String, Vec<String>>,
}

/// Folded "make model" → body type.
static BODIES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let file: File = toml::from_str(include_str!("../../../config/knowledge/bodies.toml"))
        .expect("config/knowledge/bodies.toml is checked by a test");
    let mut out = HashMap::new();
    for (body, models) in file.bodies {
        for m in models {
            out.insert(fold(&m), body.clone());
        }
    }
    out
});

/// The body type of `make model`, when the table knows it.
pub fn body_of(make: &str, model: &str) -> Option<&'static str> {
    BODIES.get(&fold(&format!("{make} {model}"))).map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_loads_and_answers() {
        assert_eq!(super::body_of("Hyundai", "Palisade"), Some("suv"));
        assert_eq!(super::body_of("toyota", "hilux"), Some("pickup"));
        assert_eq!(super::body_of("Nobody", "Nothing"), None);
    }
}
