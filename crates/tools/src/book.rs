//! The loader both per-company books share (the rate table, the incentive programs): read a TOML
//! file, deserialize it into the book's type, then run the book's own checks, the ones serde cannot
//! express (a row naming a tier that does not exist, an inverted range).
//!
//! One loader, so both books report a bad file the same way: the path, then the reason. For a
//! syntax or type error the reason is toml's report, which names the line and column and quotes
//! the text.

use serde::de::DeserializeOwned;
use std::path::Path;

/// Why a book did not load. Each book converts it into its own public error, whose message says
/// which book it was.
#[derive(Debug)]
pub(crate) enum BookError {
    Io { path: String, source: std::io::Error },
    Invalid { path: String, reason: String },
}

/// Reads and parses the book at `path`; errors carry the path as displayed.
pub(crate) fn load<T: DeserializeOwned>(path: &Path, check: fn(&T) -> Result<(), String>) -> Result<T, BookError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BookError::Io {
        path: origin.clone(),
        source,
    })?;
    parse(&text, &origin, check)
}

/// Parses a book from text; `origin` stands for the path in errors (`"<string>"` for inline text).
pub(crate) fn parse<T: DeserializeOwned>(
    text: &str,
    origin: &str,
    check: fn(&T) -> Result<(), String>,
) -> Result<T, BookError> {
    let invalid = |reason: String| BookError::Invalid {
        path: origin.to_owned(),
        reason,
    };
    let book: T = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    check(&book).map_err(invalid)?;
    Ok(book)
}

#[cfg(test)]
mod tests {
    use crate::{ProgramBook, RateTable};

    #[test]
    fn errors_name_the_book_the_file_and_the_line() {
        let path = std::env::temp_dir().join(format!("dossier-book-{}.toml", std::process::id()));
        std::fs::write(&path, "[[rate]]\nterm_min = 1\nterm_max = \"oops\"\napr = \"5\"\n").unwrap();
        let e = RateTable::load(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).ok();
        assert!(e.starts_with(&format!("rate table {}: ", path.display())), "{e}");
        assert!(e.contains("line 3"), "{e}");

        let missing = path.with_extension("missing");
        let e = ProgramBook::load(&missing).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("cannot read program book {}: ", missing.display())),
            "{e}"
        );

        let e = ProgramBook::from_toml_str(
            "[[program]]\nid = \"a\"\nname = \"A\"\nbenefit = { kind = \"cash\", value = \"-5\" }\n",
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "program book <string>: program `a`: negative benefit"
        );
    }
}
