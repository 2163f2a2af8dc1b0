//! Resolving the `<contact>` an agent typed: a phone in any common format, a `wa_id`, a
//! business-scoped user id, or a name searched within the company (accent- and case-insensitive).

use crate::state::App;
use crate::store::{ContactRecord, StoreError};
use dossier_core::text::fold;
use dossier_core::{CompanyId, ContactId, Profile};

/// How many recent contacts a name search looks at.
pub const NAME_SEARCH_LIMIT: usize = 500;
/// Most matches shown in a pick list.
pub const PICK_LIST_MAX: usize = 10;

/// What the agent's text points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    One(ContactId),
    /// Several contacts match a name: the agent picks one.
    Many(Vec<Candidate>),
    None(String),
}

/// One match of a name search.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub contact: ContactId,
    pub name: String,
}

/// A phone written any common way → the E.164 digits WhatsApp uses as `wa_id` (no `+`).
/// `+52 55 1234 5678`, `(52) 55-1234-5678`, `0044 20 7946 0018`, `+1.555.123.4567`.
/// Returns `None` for anything that is not 8–15 digits after the international prefix.
pub fn phone_digits(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c)) {
        return None;
    }
    if t.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let digits = if t.starts_with('+') {
        digits
    } else if let Some(d) = digits.strip_prefix("00") {
        d.to_owned()
    } else {
        digits
    };
    (8..=15).contains(&digits.len()).then_some(digits)
}

/// Other `wa_id`s the same number may be stored under: Mexico (`52` ↔ `521`) and Argentina
/// (`54` ↔ `549`) mobiles are written with and without the mobile digit.
fn variants(digits: &str) -> Vec<String> {
    let mut v = vec![digits.to_owned()];
    for (cc, mobile) in [("52", "521"), ("54", "549")] {
        if let Some(rest) = digits.strip_prefix(mobile) {
            v.push(format!("{cc}{rest}"));
        } else if let Some(rest) = digits.strip_prefix(cc) {
            v.push(format!("{mobile}{rest}"));
        }
    }
    v
}

/// Resolves `text` within `company`.
pub async fn resolve(app: &App, company: &CompanyId, text: &str) -> Result<Resolved, StoreError> {
    let text = text.trim();
    if let Some(digits) = phone_digits(text) {
        for candidate in variants(&digits) {
            let Ok(id) = ContactId::parse(candidate) else {
                continue;
            };
            if app.store.contact(company, &id).await?.is_some() {
                return Ok(Resolved::One(id));
            }
        }
        return Ok(Resolved::None(format!("No conversation with +{digits} yet.")));
    }
    // A business-scoped user id (`US.1349…`) or any other exact contact id.
    if text.contains('.')
        && !text.contains(' ')
        && let Ok(id) = ContactId::parse(text)
        && app.store.contact(company, &id).await?.is_some()
    {
        return Ok(Resolved::One(id));
    }
    let wanted = fold(text);
    let wanted: Vec<&str> = dossier_core::text::tokens(&wanted).collect();
    if wanted.is_empty() {
        return Ok(Resolved::None(format!("`{text}` is not a phone number or a name.")));
    }
    let records = app.store.contacts(company, NAME_SEARCH_LIMIT).await?;
    let mut found = Vec::new();
    for r in &records {
        let Ok(id) = ContactId::parse(r.contact.clone()) else {
            continue;
        };
        let mut names: Vec<String> = r.profile_name.iter().cloned().collect();
        if let Some(n) = profile_name(app, company, &id).await? {
            names.push(n);
        }
        if let Some(best) = names.iter().find(|n| matches_name(n, &wanted)) {
            found.push(Candidate {
                contact: id,
                name: best.clone(),
            });
        }
    }
    Ok(match found.len() {
        0 => Resolved::None(format!("No contact named `{text}`.")),
        1 => Resolved::One(found.remove(0).contact),
        _ => {
            found.truncate(PICK_LIST_MAX);
            Resolved::Many(found)
        }
    })
}

/// Every word the agent typed starts a word of the name: "mari sou" finds "María Souza".
fn matches_name(name: &str, wanted: &[&str]) -> bool {
    let folded = fold(name);
    let words: Vec<&str> = dossier_core::text::tokens(&folded).collect();
    wanted.iter().all(|w| words.iter().any(|n| n.starts_with(w)))
}

async fn profile_name(app: &App, company: &CompanyId, contact: &ContactId) -> Result<Option<String>, StoreError> {
    Ok(
        crate::analysis::doc::stored_profile(app.store.as_ref(), company, contact)
            .await?
            .and_then(|p| p.contact.name),
    )
}

/// The best display name for a contact: the profile's name, else WhatsApp's profile name.
pub fn display_name(record: Option<&ContactRecord>, profile: Option<&Profile>) -> Option<String> {
    profile
        .and_then(|p| p.contact.name.clone())
        .or_else(|| record.and_then(|r| r.profile_name.clone()))
}

/// `+52 1 55 1234 5678`-ish display of a wa_id: `+` and the digits, grouped loosely.
pub fn display_phone(contact: &ContactId) -> String {
    if contact.is_phone() {
        format!("+{}", contact.as_str())
    } else {
        contact.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_common_formats() {
        assert_eq!(phone_digits("+52 55 1234 5678").as_deref(), Some("525512345678"));
        assert_eq!(phone_digits("0044 20 7946 0018").as_deref(), Some("442079460018"));
        assert_eq!(phone_digits("(52) 55-1234-5678").as_deref(), Some("525512345678"));
        assert_eq!(phone_digits("+1.555.123.4567").as_deref(), Some("15551234567"));
        assert_eq!(phone_digits("5215512345678").as_deref(), Some("5215512345678"));
        assert_eq!(phone_digits("Maria"), None);
        assert_eq!(phone_digits("12345"), None);
        assert_eq!(phone_digits("1234567890123456"), None);
        assert_eq!(phone_digits("+52+55"), None);
    }

    #[test]
    fn mobile_digit_variants() {
        assert_eq!(variants("525512345678"), ["525512345678", "5215512345678"]);
        assert_eq!(variants("5215512345678"), ["5215512345678", "525512345678"]);
        assert_eq!(variants("15551234567"), ["15551234567"]);
    }

    #[test]
    fn names_fold_accents_and_case() {
        let w = |s: &str| fold(s);
        let q = w("maria sou");
        let q: Vec<&str> = dossier_core::text::tokens(&q).collect();
        assert!(matches_name("María Souza", &q));
        assert!(!matches_name("Mario Lopez", &q));
        let q = w("JOSÉ");
        let q: Vec<&str> = dossier_core::text::tokens(&q).collect();
        assert!(matches_name("Jose Perez", &q));
    }
}
