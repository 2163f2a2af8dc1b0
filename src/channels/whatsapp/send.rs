//! Sending through the WhatsApp Cloud API: `POST {graph_base_url}/{api_version}/{phone_number_id}/messages`
//! with the company's bearer token (whatsapp.md §5). Errors are matched on `error.code`, never on
//! the HTTP status: 131047 means the 24-hour window is closed (send a template instead); 130429,
//! 131056 and 80007/4 are rate limits, retried after 4^X seconds; anything else is reported.

use crate::config::CompanyConfig;
use crate::config::company::TemplateRef;
use crate::state::App;
use dossier_core::ContactId;
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::time::Duration;

/// The customer service window.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// Free-form replies stop this long before the window closes (clock skew, queueing).
pub const WINDOW_MARGIN: SignedDuration = SignedDuration::from_mins(5);
/// Attempts on a rate-limit error (waits 1 s, 4 s between them).
pub const RATE_ATTEMPTS: u32 = 3;
/// Variable that caps the rate-limit wait in milliseconds (tests set it small).
pub const RETRY_CAP_VAR: &str = "WHATSAPP_RETRY_CAP_MS";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("the 24-hour customer service window is closed (131047): send a template")]
    WindowClosed,
    #[error("WhatsApp rate limit ({code}) persisted after {RATE_ATTEMPTS} attempts")]
    RateLimited { code: i64 },
    #[error("WhatsApp refused the message ({code}): {message}")]
    Api { code: i64, message: String },
    #[error("sending is off: {0}")]
    NotConfigured(String),
    #[error("could not reach the Graph API: {0}")]
    Transport(String),
}

/// The accepted message.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub wamid: String,
    /// The body that was sent (kept on the outgoing message).
    pub body: Value,
}

/// Whether a free-form message may be sent now: a customer message in the last 24 h (minus margin).
pub fn window_open(last_inbound: Option<Timestamp>, now: Timestamp) -> bool {
    match last_inbound {
        Some(t) => now < t + WINDOW - WINDOW_MARGIN,
        None => false,
    }
}

fn recipient(to: &ContactId) -> Value {
    if to.is_phone() {
        json!({ "to": format!("+{}", to.as_str()) })
    } else {
        json!({ "recipient": to.as_str() })
    }
}

/// A text message body (§5.1).
pub fn text_body(to: &ContactId, text: &str) -> Value {
    let mut b = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "type": "text",
        "text": { "preview_url": false, "body": text },
    });
    merge(&mut b, recipient(to));
    b
}

/// A template message body (§5.1), with body parameters as text.
pub fn template_body(to: &ContactId, t: &TemplateRef, params: &[String]) -> Value {
    let mut template = json!({ "name": t.name, "language": { "code": t.language } });
    if !params.is_empty() {
        let p: Vec<Value> = params.iter().map(|s| json!({ "type": "text", "text": s })).collect();
        template["components"] = json!([{ "type": "body", "parameters": p }]);
    }
    let mut b = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "type": "template",
        "template": template,
    });
    merge(&mut b, recipient(to));
    b
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(a), Value::Object(b)) = (into.as_object_mut(), from) {
        a.extend(b);
    }
}

fn is_rate_code(code: i64) -> bool {
    matches!(code, 130429 | 131056 | 80007 | 4)
}

/// Sends `body` for `company` from its first phone number, retrying rate-limit errors.
pub async fn send(app: &App, company: &CompanyConfig, body: &Value) -> Result<Sent, SendError> {
    let pnid = company
        .whatsapp
        .phone_number_ids
        .first()
        .ok_or_else(|| SendError::NotConfigured("the company has no whatsapp.phone_number_ids".into()))?;
    let token = app
        .secrets
        .var(&company.whatsapp.access_token_env)
        .ok_or_else(|| SendError::NotConfigured(format!("{} is not set", company.whatsapp.access_token_env)))?;
    let wa = &app.settings.service.whatsapp;
    let url = format!(
        "{}/{}/{pnid}/messages",
        wa.graph_base_url.trim_end_matches('/'),
        wa.api_version
    );
    let cap = app
        .secrets
        .var(RETRY_CAP_VAR)
        .and_then(|v| v.expose_secret().parse::<u64>().ok())
        .unwrap_or(30_000);
    let mut attempt = 0u32;
    loop {
        let resp = app
            .http
            .post(&url)
            .bearer_auth(token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| SendError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            if let Some(id) = v["messages"][0]["id"].as_str() {
                return Ok(Sent {
                    wamid: id.to_owned(),
                    body: body.clone(),
                });
            }
            return Err(SendError::Api {
                code: 0,
                message: "the answer had no messages[0].id".into(),
            });
        }
        let code = v["error"]["code"].as_i64().unwrap_or(0);
        let message = v["error"]["error_data"]["details"]
            .as_str()
            .or(v["error"]["message"].as_str())
            .unwrap_or("unknown error")
            .to_owned();
        if code == 131047 {
            return Err(SendError::WindowClosed);
        }
        if is_rate_code(code) || (code == 0 && status.as_u16() == 429) {
            attempt += 1;
            if attempt >= RATE_ATTEMPTS {
                return Err(SendError::RateLimited { code });
            }
            let wait = 4u64.pow(attempt - 1) * 1000;
            tracing::info!(code, attempt, wait_ms = wait.min(cap), "WhatsApp rate limit, retrying");
            tokio::time::sleep(Duration::from_millis(wait.min(cap))).await;
            continue;
        }
        return Err(SendError::Api { code, message });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_docs() {
        let to = ContactId::parse("5215512345678").unwrap();
        let b = text_body(&to, "Hola");
        assert_eq!(b["to"], "+5215512345678");
        assert_eq!(b["type"], "text");
        assert_eq!(b["text"]["body"], "Hola");
        let t = TemplateRef {
            name: "follow_up_es_en".into(),
            language: "en_US".into(),
        };
        let b = template_body(&to, &t, &["Maria".into()]);
        assert_eq!(b["template"]["language"]["code"], "en_US");
        assert_eq!(b["template"]["components"][0]["parameters"][0]["text"], "Maria");
        let bsuid = ContactId::parse("US.13491208655302741918").unwrap();
        assert_eq!(text_body(&bsuid, "x")["recipient"], "US.13491208655302741918");
    }

    #[test]
    fn window() {
        let now: Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
        assert!(window_open(Some(now - SignedDuration::from_hours(23)), now));
        assert!(!window_open(Some(now - SignedDuration::from_mins(24 * 60 - 4)), now));
        assert!(!window_open(Some(now - SignedDuration::from_hours(25)), now));
        assert!(!window_open(None, now));
    }
}
