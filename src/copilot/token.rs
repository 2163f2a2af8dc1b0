//! Signed button values. A button carries `company|contact|version|mac`, where `mac` is an HMAC
//! over `company|contact|version|action` under a key derived from the platform secret (Slack's
//! signing secret, Mattermost's token). A forged value, a value moved to another button, or a
//! click in a workspace mapped to another company does nothing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a verified button points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonRef {
    pub company: String,
    pub contact: String,
    /// The draft's sequence number (0 for buttons not bound to a draft).
    pub version: u64,
}

/// Derives the button key from a platform secret, so the secret itself never signs buttons.
pub fn derive_key(secret: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"dossier/button-token/v1");
    mac.finalize().into_bytes().to_vec()
}

fn mac(key: &[u8], company: &str, contact: &str, version: u64, action: &str) -> String {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("{company}|{contact}|{version}|{action}").as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The value for a button doing `action` on `company`/`contact`/`version`.
pub fn sign(key: &[u8], company: &str, contact: &str, version: u64, action: &str) -> String {
    format!(
        "{company}|{contact}|{version}|{}",
        mac(key, company, contact, version, action)
    )
}

/// Checks a button value for `action`; `None` when it is forged, malformed or for another action.
pub fn verify(key: &[u8], value: &str, action: &str) -> Option<ButtonRef> {
    let mut parts = value.split('|');
    let (company, contact, version, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let version: u64 = version.parse().ok()?;
    let expected = hex::decode(mac(key, company, contact, version, action)).ok()?;
    let given = hex::decode(sig).ok()?;
    // Constant-time compare of the truncated tag.
    use subtle::ConstantTimeEq;
    if given.len() != expected.len() || !bool::from(given.ct_eq(&expected)) {
        return None;
    }
    Some(ButtonRef {
        company: company.to_owned(),
        contact: contact.to_owned(),
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forgeries() {
        let key = derive_key(b"secret");
        let v = sign(&key, "demo-motors", "5215512345678", 3, "draft_approve");
        let r = verify(&key, &v, "draft_approve").unwrap();
        assert_eq!(r.company, "demo-motors");
        assert_eq!(r.contact, "5215512345678");
        assert_eq!(r.version, 3);
        assert!(v.len() < 2000);
        // another action, another key, tampered fields
        assert!(verify(&key, &v, "draft_discard").is_none());
        assert!(verify(&derive_key(b"other"), &v, "draft_approve").is_none());
        assert!(verify(&key, &v.replace("demo-motors", "acme"), "draft_approve").is_none());
        assert!(verify(&key, &v.replace("|3|", "|4|"), "draft_approve").is_none());
        assert!(verify(&key, "junk", "draft_approve").is_none());
        assert!(verify(&key, &format!("{v}|x"), "draft_approve").is_none());
    }
}
