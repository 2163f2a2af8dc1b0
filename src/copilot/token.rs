//! Signed button values. A button carries `company|contact|version|expires|mac`, where `mac` is an
//! HMAC over `company|contact|version|expires|action` under a key derived from a platform secret
//! (Slack's signing secret; a company's Mattermost command token). A forged value, a value moved
//! to another button, an expired one, or a click in a workspace mapped to another company does
//! nothing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a button stays valid: a draft is superseded or the 24-hour window closes long before.
pub const TTL_SECS: i64 = 7 * 24 * 3600;

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

fn mac(key: &[u8], company: &str, contact: &str, version: u64, expires: i64, action: &str) -> String {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("{company}|{contact}|{version}|{expires}|{action}").as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The value for a button doing `action` on `company`/`contact`/`version`, valid for [`TTL_SECS`].
pub fn sign(key: &[u8], company: &str, contact: &str, version: u64, action: &str) -> String {
    sign_until(key, company, contact, version, action, now() + TTL_SECS)
}

/// [`sign`] with an explicit expiry (unix seconds).
pub fn sign_until(key: &[u8], company: &str, contact: &str, version: u64, action: &str, expires: i64) -> String {
    format!(
        "{company}|{contact}|{version}|{expires}|{}",
        mac(key, company, contact, version, expires, action)
    )
}

/// Checks a button value for `action`; `None` when it is forged, malformed, expired or for
/// another action.
pub fn verify(key: &[u8], value: &str, action: &str) -> Option<ButtonRef> {
    verify_at(key, value, action, now())
}

fn verify_at(key: &[u8], value: &str, action: &str, now: i64) -> Option<ButtonRef> {
    let mut parts = value.split('|');
    let (company, contact, version, expires, sig) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() {
        return None;
    }
    let version: u64 = version.parse().ok()?;
    let expires: i64 = expires.parse().ok()?;
    let expected = hex::decode(mac(key, company, contact, version, expires, action)).ok()?;
    let given = hex::decode(sig).ok()?;
    // Constant-time compare of the truncated tag.
    use subtle::ConstantTimeEq;
    if given.len() != expected.len() || !bool::from(given.ct_eq(&expected)) {
        return None;
    }
    if expires < now {
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

    #[test]
    fn buttons_expire_and_the_expiry_is_signed() {
        let key = derive_key(b"secret");
        let v = sign_until(&key, "acme", "1", 1, "draft_approve", 1_000);
        assert!(verify_at(&key, &v, "draft_approve", 999).is_some());
        assert!(verify_at(&key, &v, "draft_approve", 1_001).is_none(), "expired");
        let stretched = v.replace("|1000|", "|9999999999|");
        assert!(
            verify_at(&key, &stretched, "draft_approve", 1_001).is_none(),
            "a moved expiry does not verify"
        );
    }
}
