//! Chatwoot's webhook signature (merged upstream Feb 2026): `X-Chatwoot-Signature: sha256=<hex>`,
//! HMAC-SHA256 under the webhook's secret over `"{X-Chatwoot-Timestamp}.{raw body}"`, with the
//! timestamp (unix seconds) inside the signed string so an old delivery cannot be replayed with a
//! fresh timestamp. Checked on the raw bytes, before anything is parsed; compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Chatwoot-Signature or X-Chatwoot-Timestamp")]
    Missing,
    #[error("X-Chatwoot-Timestamp is not unix seconds")]
    BadTimestamp,
    #[error("X-Chatwoot-Timestamp is outside the allowed window")]
    Stale,
    #[error("X-Chatwoot-Signature is not sha256=<hex>")]
    Malformed,
    #[error("X-Chatwoot-Signature does not match")]
    Mismatch,
}

/// The header value for `body` signed at `timestamp` (tests, fakes).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the timestamp against `now` (± `max_skew` seconds).
pub fn check_time(timestamp: Option<&str>, now: i64, max_skew: i64) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .ok_or(SignatureError::Missing)?
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - ts).abs() > max_skew {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// Checks `signature` for `body` at `timestamp` under `secret`.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let hex_part = sig.trim().strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_part).map_err(|_| SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(ts.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_over_timestamp_and_body_only() {
        let sig = sign(b"s3cret", "1764600000", b"{\"a\":1}");
        assert!(verify(b"s3cret", Some("1764600000"), Some(&sig), b"{\"a\":1}").is_ok());
        assert_eq!(
            verify(b"s3cret", Some("1764600001"), Some(&sig), b"{\"a\":1}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some("1764600000"), Some(&sig), b"{\"a\":1}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"s3cret", Some("1764600000"), Some("sha1=00"), b"{}"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"s3cret", Some("1764600000"), Some("sha256=zz"), b"{}"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify(b"s3cret", None, Some(&sig), b"{}"), Err(SignatureError::Missing));
    }

    #[test]
    fn the_window_is_both_ways() {
        assert!(check_time(Some("1000"), 1200, 300).is_ok());
        assert_eq!(check_time(Some("1000"), 1400, 300), Err(SignatureError::Stale));
        assert_eq!(check_time(Some("2000"), 1400, 300), Err(SignatureError::Stale));
        assert_eq!(check_time(Some("soon"), 1400, 300), Err(SignatureError::BadTimestamp));
        assert_eq!(check_time(None, 1400, 300), Err(SignatureError::Missing));
    }
}
