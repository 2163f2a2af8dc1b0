//! No phone number or e-mail reaches a log line, whatever carried it: a dead-letter reason, a
//! serde error quoting a numeric `from`, WhatsApp's `errors` texts, an unusable sender id.

use crate::helpers::*;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tracing_subscriber::EnvFilter;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

const PHONE: &str = "5215550008888";
const EMAIL: &str = "leak.me@example.com";

async fn provoke(app: &TestApp) {
    let value = |messages: serde_json::Value, errors: serde_json::Value| {
        json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{ "field": "messages",
            "value": { "messaging_product": "whatsapp",
              "metadata": { "display_phone_number": "1", "phone_number_id": ACME_PNIDS[0] },
              "contacts": [{ "profile": { "name": EMAIL }, "wa_id": PHONE }],
              "messages": messages, "errors": errors } }] }] })
    };
    let bodies = [
        // A numeric `from`: serde's error quotes the number.
        value(
            json!([{ "from": 5215550008888u64, "id": "wamid.n1", "timestamp": "1780000000", "type": "text",
                        "text": { "body": "hola" } }]),
            json!([]),
        ),
        // WhatsApp's own error texts, with a phone and an e-mail in them.
        value(
            json!([]),
            json!([{ "code": 131051, "title": format!("Unsupported for {PHONE}"),
                                  "message": format!("contact {EMAIL} at +{PHONE}"),
                                  "error_data": { "details": format!("user {EMAIL}") } }]),
        ),
        // A sender id that is no id: the dead-letter reason quotes it.
        value(
            json!([{ "from": format!("{EMAIL} +{PHONE}"), "id": "wamid.n2", "timestamp": "1780000000",
                        "type": "text", "text": { "body": "hola" } }]),
            json!([]),
        ),
        // A message id carrying a phone.
        value(
            json!([{ "from": PHONE, "id": format!("wamid {PHONE} {EMAIL}"), "timestamp": "x", "type": "text",
                        "text": { "body": "hola" } }]),
            json!([]),
        ),
    ];
    for b in bodies {
        let r = app.post_webhook(&serde_json::to_vec(&b).unwrap()).await;
        assert!(r.status().is_success(), "{}", r.status());
    }
    // An unknown number, and a body that is not an envelope at all.
    let mut unknown = value(json!([]), json!([]));
    unknown["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!(PHONE);
    app.post_webhook(&serde_json::to_vec(&unknown).unwrap()).await;
    app.post_webhook(format!("not json {PHONE} {EMAIL}").as_bytes()).await;
}

async fn captured(json: bool) -> String {
    let buf = Buffer::default();
    let sub = dossier::telemetry::subscriber(json, EnvFilter::new("info"), dossier::telemetry::Scrubbed(buf.clone()));
    let _guard = tracing::subscriber::set_default(sub);
    let app = spawn_app().await;
    provoke(&app).await;
    drop(app);
    String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn no_phone_or_email_reaches_a_log_line_pretty_or_json() {
    for json in [false, true] {
        let out = captured(json).await;
        assert!(
            out.contains("dead-lettered"),
            "the provoking requests were logged: {out}"
        );
        assert!(out.contains("WhatsApp reported errors"), "{out}");
        for secret in [PHONE, EMAIL, "8888"] {
            assert!(!out.contains(secret), "json={json}: {secret} in the logs:\n{out}");
        }
    }
}
