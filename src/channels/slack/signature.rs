//! Slack request signing (v0): `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:{ts}:{raw body}")>`
//! with `X-Slack-Request-Timestamp`, accepted within a replay window (5 minutes) either way.
//!
//! Checked on the raw bytes before any parsing (re-encoding a form would not match), in constant
//! time. The clock is a parameter so the official test vector can be checked at its own time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlackSignatureError {
    #[error("missing X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("X-Slack-Signature is not `v0=<64 hex digits>` or the timestamp is not a number")]
    Malformed,
    #[error("X-Slack-Request-Timestamp is outside the replay window")]
    Stale,
    #[error("X-Slack-Signature does not match the body")]
    Mismatch,
}

/// Verifies a Slack request. `now` is the current Unix time in seconds; `max_skew_secs` the window.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    max_skew_secs: i64,
) -> Result<(), SlackSignatureError> {
    let (ts, sig) = match (timestamp, signature) {
        (Some(t), Some(s)) if !t.is_empty() && !s.is_empty() => (t.trim(), s.trim()),
        _ => return Err(SlackSignatureError::Missing),
    };
    let ts_num: i64 = ts.parse().map_err(|_| SlackSignatureError::Malformed)?;
    if (now - ts_num).abs() > max_skew_secs {
        return Err(SlackSignatureError::Stale);
    }
    let hex_sig = sig.strip_prefix("v0=").ok_or(SlackSignatureError::Malformed)?;
    let expected = hex::decode(hex_sig).map_err(|_| SlackSignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SlackSignatureError::Malformed);
    }
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| SlackSignatureError::Mismatch)?;
    mac.update(b"v0:");
    mac.update(ts.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| SlackSignatureError::Mismatch)
}

/// The `X-Slack-Signature` Slack would send (tests and the load generator use it).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Unix time now, in seconds.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn fixture(name: &str) -> Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/slack")
            .join(name);
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    #[test]
    fn official_vector_from_slack_docs() {
        let v = fixture("signing_vector_docs.json");
        let secret = v["signing_secret"].as_str().unwrap().as_bytes();
        let ts = v["timestamp"].as_str().unwrap();
        let body = v["body"].as_str().unwrap().as_bytes();
        let sig = v["signature"].as_str().unwrap();
        let now = v["verify_with_clock_now"].as_i64().unwrap();
        assert_eq!(sign(secret, ts, body), sig);
        assert_eq!(verify(secret, Some(ts), Some(sig), body, now, 300), Ok(()));
        // Upstream negative cases: tampered body, real clock (expired), missing parts.
        let mut tampered = body.to_vec();
        tampered.extend_from_slice(b"------");
        assert_eq!(
            verify(secret, Some(ts), Some(sig), &tampered, now, 300),
            Err(SlackSignatureError::Mismatch)
        );
        assert_eq!(
            verify(secret, Some(ts), Some(sig), body, unix_now(), 300),
            Err(SlackSignatureError::Stale)
        );
        assert_eq!(
            verify(secret, None, Some(sig), body, now, 300),
            Err(SlackSignatureError::Missing)
        );
        assert_eq!(
            verify(secret, Some(ts), None, body, now, 300),
            Err(SlackSignatureError::Missing)
        );
        assert_eq!(
            verify(secret, Some(ts), Some(sig), b"", now, 300),
            Err(SlackSignatureError::Mismatch)
        );
    }

    #[test]
    fn replay_window_is_five_minutes_both_ways() {
        let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
        let sig = sign(secret, "1000", b"a=b");
        assert!(verify(secret, Some("1000"), Some(&sig), b"a=b", 1300, 300).is_ok());
        assert!(verify(secret, Some("1000"), Some(&sig), b"a=b", 700, 300).is_ok());
        assert_eq!(
            verify(secret, Some("1000"), Some(&sig), b"a=b", 1301, 300),
            Err(SlackSignatureError::Stale)
        );
        assert_eq!(
            verify(secret, Some("1000"), Some(&sig), b"a=b", 699, 300),
            Err(SlackSignatureError::Stale)
        );
        assert_eq!(
            verify(secret, Some("x"), Some(&sig), b"a=b", 1000, 300),
            Err(SlackSignatureError::Malformed)
        );
        assert_eq!(
            verify(secret, Some("1000"), Some("v1=ab"), b"a=b", 1000, 300),
            Err(SlackSignatureError::Malformed)
        );
    }

    #[test]
    fn derived_vectors() {
        let v = fixture("signing_vectors_derived.json");
        let secret = v["signing_secret"].as_str().unwrap().as_bytes();
        for vec in v["vectors"].as_array().unwrap() {
            let ts = vec["timestamp"].as_str().unwrap();
            let body = vec["body"].as_str().unwrap().as_bytes();
            let sig = vec["signature"].as_str().unwrap();
            let now: i64 = ts.parse().unwrap();
            assert_eq!(
                verify(secret, Some(ts), Some(sig), body, now, 300),
                Ok(()),
                "{}",
                vec["name"]
            );
        }
    }
}
