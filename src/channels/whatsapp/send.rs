//! Sending through the WhatsApp Cloud API: `POST {graph_base_url}/{api_version}/{phone_number_id}/messages`
//! with the company's bearer token (docs/protocols/whatsapp.md §5): the [`CustomerChannel`] adapter the copilot's
//! Approve sends through. Errors are matched on `error.code`, never on the HTTP status: 131047
//! means the 24-hour window is closed (send a template instead); 130429, 131056 and 80007/4 are
//! rate limits, retried after 4^X seconds; anything else is reported.

use crate::config::{CompanyConfig, Secrets, Settings};
use crate::copilot::ports::{CustomerChannel, NoChannel, Outgoing, SendError, Sent};
use crate::copilot::thread::ThreadAction;
use async_trait::async_trait;
use dossier_core::ContactId;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Attempts on a rate-limit error (waits 1 s, 4 s between them).
pub const RATE_ATTEMPTS: u32 = 3;
/// Variable that caps the rate-limit wait in milliseconds (tests set it small).
pub const RETRY_CAP_VAR: &str = "WHATSAPP_RETRY_CAP_MS";

fn recipient(to: &ContactId) -> Value {
    if to.is_phone() {
        json!({ "to": format!("+{}", to.as_str()) })
    } else {
        json!({ "recipient": to.as_str() })
    }
}

/// A text message body (docs/protocols/whatsapp.md §5.1).
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

/// A template message body (docs/protocols/whatsapp.md §5.1), with body parameters as text.
pub fn template_body(to: &ContactId, name: &str, language: &str, params: &[String]) -> Value {
    let mut template = json!({ "name": name, "language": { "code": language } });
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

/// A Thread Control body (field-2026.md §3.1): the user as `to` (a phone number, with `+`) or
/// `recipient` (a business-scoped id), and the action; `pass` names the role it hands to.
pub fn thread_control_body(user: &ContactId, action: &ThreadAction) -> Value {
    let mut b = json!({ "messaging_product": "whatsapp", "action": action.as_str() });
    if let ThreadAction::Pass { target_role } = action {
        b["control_pass"] = json!({ "target_role": target_role });
    }
    merge(&mut b, recipient(user));
    b
}

/// One company's sending number on the Graph API.
pub struct GraphSender {
    http: reqwest::Client,
    url: String,
    /// `/{phone_number_id}/marketing_messages`: where marketing templates go.
    marketing_url: String,
    /// `{thread_control_base_url}`; the phone number id and `/thread_control` are appended.
    thread_control_base: String,
    phone_number_id: String,
    token: SecretString,
    retry_cap: Duration,
}

impl GraphSender {
    /// The company's sender, or a [`NoChannel`] saying why it cannot send.
    pub fn for_company(
        http: &reqwest::Client,
        settings: &Settings,
        secrets: &Secrets,
        company: &CompanyConfig,
    ) -> Arc<dyn CustomerChannel> {
        let Some(pnid) = company.whatsapp.phone_number_ids.first() else {
            return Arc::new(NoChannel("the company has no whatsapp.phone_number_ids".into()));
        };
        let Some(token) = secrets.var(&company.whatsapp.access_token_env) else {
            return Arc::new(NoChannel(format!("{} is not set", company.whatsapp.access_token_env)));
        };
        let wa = &settings.service.whatsapp;
        let cap = secrets
            .var(RETRY_CAP_VAR)
            .and_then(|v| v.expose_secret().parse::<u64>().ok())
            .unwrap_or(30_000);
        let root = format!("{}/{}/{pnid}", wa.graph_base_url.trim_end_matches('/'), wa.api_version);
        Arc::new(GraphSender {
            http: http.clone(),
            url: format!("{root}/messages"),
            marketing_url: format!("{root}/marketing_messages"),
            thread_control_base: wa.thread_control_base_url.trim_end_matches('/').to_owned(),
            phone_number_id: pnid.clone(),
            token,
            retry_cap: Duration::from_millis(cap),
        })
    }

    fn body(message: &Outgoing) -> Value {
        match message {
            Outgoing::Text { to, text } => text_body(to, text),
            Outgoing::Template { to, name, language, .. } => template_body(to, name, language, &[]),
        }
    }

    fn url_for(&self, message: &Outgoing) -> &str {
        match message {
            Outgoing::Template { marketing: true, .. } => &self.marketing_url,
            _ => &self.url,
        }
    }
}

#[async_trait]
impl CustomerChannel for GraphSender {
    /// Sends from the company's first phone number, retrying rate-limit errors.
    async fn send(&self, message: &Outgoing) -> Result<Sent, SendError> {
        let body = Self::body(message);
        let url = self.url_for(message);
        let mut attempt = 0u32;
        loop {
            let resp = self
                .http
                .post(url)
                .bearer_auth(self.token.expose_secret())
                .json(&body)
                .send()
                .await
                .map_err(|e| SendError::Transport(e.without_url().to_string()))?;
            let status = resp.status();
            let v: Value = resp.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                if let Some(id) = v["messages"][0]["id"].as_str() {
                    return Ok(Sent { wamid: id.to_owned() });
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
                let wait = Duration::from_millis(4u64.pow(attempt - 1) * 1000).min(self.retry_cap);
                tracing::info!(
                    code,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "WhatsApp rate limit, retrying"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(SendError::Api { code, message });
        }
    }

    /// `POST {base}/{phone_number_id}/thread_control` with `X-API-Version: 1.0.0`; the number the
    /// conversation runs on when known, else the company's first.
    async fn thread_control(
        &self,
        phone_number_id: Option<&str>,
        user: &ContactId,
        action: &ThreadAction,
    ) -> Result<(), SendError> {
        let pnid = phone_number_id.unwrap_or(&self.phone_number_id);
        let url = format!("{}/{pnid}/thread_control", self.thread_control_base);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(self.token.expose_secret())
            .header("X-API-Version", "1.0.0")
            .json(&thread_control_body(user, action))
            .send()
            .await
            .map_err(|e| SendError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(());
        }
        Err(SendError::Api {
            code: v["error"]["code"].as_i64().unwrap_or(0),
            message: v["error"]["message"]
                .as_str()
                .unwrap_or("thread control refused")
                .to_owned(),
        })
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
        let b = template_body(&to, "follow_up_es_en", "en_US", &["Maria".into()]);
        assert_eq!(b["template"]["language"]["code"], "en_US");
        assert_eq!(b["template"]["components"][0]["parameters"][0]["text"], "Maria");
        let bsuid = ContactId::parse("US.13491208655302741918").unwrap();
        assert_eq!(text_body(&bsuid, "x")["recipient"], "US.13491208655302741918");
        let pass = thread_control_body(
            &to,
            &ThreadAction::Pass {
                target_role: "ai_agent".into(),
            },
        );
        assert_eq!(
            pass,
            json!({ "messaging_product": "whatsapp", "action": "pass", "to": "+5215512345678", "control_pass": { "target_role": "ai_agent" } })
        );
        let release = thread_control_body(&bsuid, &ThreadAction::Release);
        assert_eq!(release["recipient"], "US.13491208655302741918");
        assert!(release.get("to").is_none() && release.get("control_pass").is_none());
    }
}
