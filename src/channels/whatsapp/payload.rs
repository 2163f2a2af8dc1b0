//! Typed WhatsApp webhook payloads (`field: "messages"`, and the 2026 fields in [`fields`]).
//!
//! Everything is an array (entries × changes × messages/statuses/errors). Every documented message
//! type has its own variant; an unknown `type` becomes [`Content::Unknown`] with its raw JSON, so
//! a new WhatsApp feature is stored, never rejected (a 4xx would start 7 days of retries).

use dossier_core::{Direction, Message, MessageId};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id (not the phone number id).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: String,
    /// Kept raw (the text, not a `Value` tree): only `messages` changes are parsed further,
    /// straight into their types; other fields are acknowledged.
    #[serde(default = "null_value")]
    pub value: Box<RawValue>,
}

fn null_value() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is JSON")
}

impl Change {
    /// The value as a JSON tree (the rarer fields that read it that way).
    pub fn value_tree(&self) -> Value {
        serde_json::from_str(self.value.get()).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct MessagesValue {
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<WaContact>,
    #[serde(default)]
    pub messages: Vec<WaMessage>,
    #[serde(default)]
    pub statuses: Vec<WaStatus>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub phone_number_id: String,
    #[serde(default)]
    pub display_phone_number: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WaContact {
    #[serde(default)]
    pub profile: Option<WaProfile>,
    #[serde(default)]
    pub wa_id: Option<String>,
    /// Business-scoped user id (2026): present even when the phone number is hidden.
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WaProfile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// Common fields of an inbound message; the type-specific object stays in `rest` until
/// [`WaMessage::content`] types it.
#[derive(Debug)]
pub struct WaMessage {
    pub id: String,
    pub from: Option<String>,
    pub from_user_id: Option<String>,
    pub timestamp: StringOrNumber,
    /// `type` (empty when absent).
    pub kind: String,
    pub context: Option<Value>,
    pub referral: Option<Value>,
    pub errors: Option<Value>,
    /// Every other key of the message object.
    pub rest: serde_json::Map<String, Value>,
}

/// By hand rather than `#[serde(flatten)]`: flatten first buffers the whole message as serde's
/// generic content (every key and string copied) and then reads the fields out of that copy;
/// here the known fields are read straight into their types and every other key goes to `rest`,
/// with the same results and errors (a missing `id` or `timestamp`, a duplicate known field).
impl<'de> Deserialize<'de> for WaMessage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WaMessage;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("struct WaMessage")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WaMessage, A::Error> {
                fn once<T, E: Error>(slot: &mut Option<T>, v: T, name: &'static str) -> Result<(), E> {
                    if slot.is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    *slot = Some(v);
                    Ok(())
                }
                let (mut id, mut from, mut from_user_id, mut timestamp) = (None, None, None, None);
                let (mut kind, mut context, mut referral, mut errors) = (None, None, None, None);
                let mut rest = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => once(&mut id, map.next_value::<String>()?, "id")?,
                        "from" => once(&mut from, map.next_value::<Option<String>>()?, "from")?,
                        "from_user_id" => once(&mut from_user_id, map.next_value::<Option<String>>()?, "from_user_id")?,
                        "timestamp" => once(&mut timestamp, map.next_value::<StringOrNumber>()?, "timestamp")?,
                        "type" => once(&mut kind, map.next_value::<String>()?, "type")?,
                        "context" => once(&mut context, map.next_value::<Option<Value>>()?, "context")?,
                        "referral" => once(&mut referral, map.next_value::<Option<Value>>()?, "referral")?,
                        "errors" => once(&mut errors, map.next_value::<Option<Value>>()?, "errors")?,
                        _ => {
                            let v = map.next_value::<Value>()?;
                            rest.insert(key, v);
                        }
                    }
                }
                Ok(WaMessage {
                    id: id.ok_or_else(|| A::Error::missing_field("id"))?,
                    from: from.flatten(),
                    from_user_id: from_user_id.flatten(),
                    timestamp: timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?,
                    kind: kind.unwrap_or_default(),
                    context: context.flatten(),
                    referral: referral.flatten(),
                    errors: errors.flatten(),
                    rest,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// Meta sends Unix seconds as strings; some webhooks use numbers. Accept both.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringOrNumber {
    S(String),
    N(i64),
}

impl StringOrNumber {
    pub fn to_timestamp(&self) -> Option<Timestamp> {
        let secs = match self {
            StringOrNumber::S(s) => s.trim().parse::<i64>().ok()?,
            StringOrNumber::N(n) => *n,
        };
        Timestamp::from_second(secs).ok()
    }
}

#[derive(Debug, Deserialize)]
pub struct WaStatus {
    pub id: String,
    pub status: String,
    pub timestamp: StringOrNumber,
    #[serde(default)]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub errors: Option<Value>,
    /// `{billable, pricing_model, type, category}`: kept raw so a shape Meta changes never makes
    /// the whole change unreadable (only `category`, `pricing_model` and `type` are read).
    #[serde(default)]
    pub pricing: Option<Value>,
}

impl WaStatus {
    /// What the status says the message is billed as: `category` and `pricing_model` (and `type`),
    /// the deprecated `billable` left out. `None` when there is no usable `pricing` object.
    pub fn pricing(&self) -> Option<Value> {
        let p = self.pricing.as_ref()?.as_object()?;
        let mut out = serde_json::Map::new();
        for k in ["category", "pricing_model", "type"] {
            if let Some(v) = p.get(k).and_then(Value::as_str) {
                out.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Media {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub voice: Option<bool>,
    #[serde(default)]
    pub animated: Option<bool>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interactive {
    ButtonReply { button_reply: Reply },
    ListReply { list_reply: Reply },
    NfmReply { nfm_reply: NfmReply },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reply {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NfmReply {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// A JSON-encoded string (WhatsApp Flows).
    #[serde(default)]
    pub response_json: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Button {
    #[serde(default)]
    pub payload: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reaction {
    pub message_id: String,
    /// Absent or empty when the reaction was removed.
    #[serde(default)]
    pub emoji: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Order {
    #[serde(default)]
    pub catalog_id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub product_items: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct System {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The new id after `user_changed_number`.
    #[serde(default)]
    pub wa_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Text {
    pub body: String,
}

/// The typed content of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(Text),
    Image(Media),
    Video(Media),
    Audio(Media),
    Document(Media),
    Sticker(Media),
    Location(Location),
    Contacts(Vec<Value>),
    Interactive(Interactive),
    Button(Button),
    Reaction(Reaction),
    Order(Order),
    System(System),
    /// WhatsApp could not deliver the content to the API (`unsupported.type` says what it was).
    Unsupported {
        what: Option<String>,
    },
    Revoke {
        original_message_id: String,
    },
    Edit {
        original_message_id: String,
        message: Value,
    },
    /// A type this version does not know, or a known type whose object is missing or malformed.
    Unknown {
        kind: String,
        raw: Value,
    },
}

fn field<T: serde::de::DeserializeOwned>(rest: &serde_json::Map<String, Value>, name: &str) -> Option<T> {
    rest.get(name).and_then(|v| serde_json::from_value(v.clone()).ok())
}

impl WaMessage {
    /// Types the message's content.
    pub fn content(&self) -> Content {
        let r = &self.rest;
        let typed = match self.kind.as_str() {
            "text" => field(r, "text").map(Content::Text),
            "image" => field(r, "image").map(Content::Image),
            "video" => field(r, "video").map(Content::Video),
            "audio" => field(r, "audio").map(Content::Audio),
            "document" => field(r, "document").map(Content::Document),
            "sticker" => field(r, "sticker").map(Content::Sticker),
            "location" => field(r, "location").map(Content::Location),
            "contacts" => field(r, "contacts").map(Content::Contacts),
            "interactive" => field(r, "interactive").map(Content::Interactive),
            "button" => field(r, "button").map(Content::Button),
            "reaction" => field(r, "reaction").map(Content::Reaction),
            "order" => field(r, "order").map(Content::Order),
            "system" => field(r, "system").map(Content::System),
            "unsupported" | "unknown" => Some(Content::Unsupported {
                what: r
                    .get("unsupported")
                    .and_then(|u| u.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }),
            "revoke" => r
                .get("revoke")
                .and_then(|v| v.get("original_message_id"))
                .and_then(Value::as_str)
                .map(|id| Content::Revoke {
                    original_message_id: id.to_owned(),
                }),
            "edit" => r.get("edit").and_then(|e| {
                Some(Content::Edit {
                    original_message_id: e.get("original_message_id")?.as_str()?.to_owned(),
                    message: e.get("message").cloned().unwrap_or(Value::Null),
                })
            }),
            _ => None,
        };
        typed.unwrap_or_else(|| Content::Unknown {
            kind: self.kind.clone(),
            raw: Value::Object(r.clone()),
        })
    }

    /// The readable text of the message, if it has any: body, caption, reply title, button text…
    pub fn text(&self) -> Option<String> {
        let t = match self.content() {
            Content::Text(t) => Some(t.body),
            Content::Image(m) | Content::Video(m) | Content::Document(m) => m.caption,
            Content::Location(l) => match (l.name, l.address) {
                (Some(n), Some(a)) => Some(format!("{n}, {a}")),
                (n, a) => n.or(a),
            },
            Content::Interactive(Interactive::ButtonReply { button_reply: r })
            | Content::Interactive(Interactive::ListReply { list_reply: r }) => Some(r.title),
            Content::Interactive(Interactive::NfmReply { nfm_reply }) => nfm_reply.body,
            Content::Button(b) => Some(b.text),
            Content::Order(o) => o.text,
            Content::System(s) => s.body,
            Content::Edit { message, .. } => {
                let kind = message.get("type").and_then(Value::as_str).unwrap_or("text");
                message
                    .get(kind)
                    .and_then(|o| o.get("body").or_else(|| o.get("caption")))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }
            _ => None,
        };
        t.filter(|s| !s.trim().is_empty())
    }

    /// Converts to the stored message. `None` when the id or timestamp is unusable.
    pub fn to_message(&self) -> Result<Message, String> {
        let id = MessageId::parse(self.id.clone()).map_err(|e| e.to_string())?;
        let timestamp = self
            .timestamp
            .to_timestamp()
            .ok_or_else(|| "timestamp is not Unix seconds".to_owned())?;
        let mut detail = serde_json::Map::new();
        for (k, v) in &self.rest {
            detail.insert(k.clone(), v.clone());
        }
        if let Some(c) = &self.context {
            detail.insert("context".into(), c.clone());
        }
        if let Some(r) = &self.referral {
            detail.insert("referral".into(), r.clone());
        }
        if let Some(e) = &self.errors {
            detail.insert("errors".into(), e.clone());
        }
        Ok(Message {
            id,
            direction: Direction::In,
            timestamp,
            text: self.text(),
            kind: Some(if self.kind.is_empty() {
                "unknown".into()
            } else {
                self.kind.clone()
            }),
            status: None,
            detail: (!detail.is_empty()).then_some(Value::Object(detail)),
        })
    }
}

/// Parses the `value` of a `messages` change.
pub fn parse_messages_value(value: &RawValue) -> Result<MessagesValue, String> {
    serde_json::from_str(value.get()).map_err(|e| e.to_string())
}

/// Builds the webhook body Meta would post for one inbound message (the demo, the load generator
/// and tests replay conversation files through the real webhook with it).
pub fn envelope_for(
    phone_number_id: &str,
    wa_id: &str,
    profile_name: Option<&str>,
    message: &Message,
) -> serde_json::Value {
    use serde_json::json;
    let ts = message.timestamp.as_second().to_string();
    let kind = message.kind.clone().unwrap_or_else(|| "text".into());
    let mut m = json!({ "from": wa_id, "id": message.id.as_str(), "timestamp": ts });
    match (kind.as_str(), message.text.as_deref()) {
        ("text", Some(t)) | (_, Some(t)) if matches!(kind.as_str(), "text") => {
            m["type"] = json!("text");
            m["text"] = json!({ "body": t });
        }
        (k @ ("image" | "video" | "document"), caption) => {
            m["type"] = json!(k);
            let mut media = json!({ "id": format!("media-{}", message.id), "mime_type": "application/octet-stream" });
            if let Some(c) = caption {
                media["caption"] = json!(c);
            }
            m[k] = media;
        }
        ("audio", _) => {
            m["type"] = json!("audio");
            m["audio"] =
                json!({ "id": format!("media-{}", message.id), "mime_type": "audio/ogg; codecs=opus", "voice": true });
        }
        (k, Some(t)) => {
            m["type"] = json!("text");
            m["text"] = json!({ "body": t });
            let _ = k;
        }
        (k, None) => {
            m["type"] = json!(k);
            m[k] = json!({});
        }
    }
    let contact = match profile_name {
        Some(n) => json!({ "profile": { "name": n }, "wa_id": wa_id }),
        None => json!({ "wa_id": wa_id }),
    };
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "0",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550000000", "phone_number_id": phone_number_id },
                    "contacts": [contact],
                    "messages": [m]
                }
            }]
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixtures() -> Vec<(String, Envelope)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/whatsapp");
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    serde_json::from_slice(&bytes).unwrap(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn every_fixture_parses_and_every_documented_type_is_typed() {
        let fx = fixtures();
        assert_eq!(fx.len(), 40);
        let mut kinds = std::collections::BTreeSet::new();
        for (name, env) in &fx {
            for entry in &env.entry {
                for change in &entry.changes {
                    let v = parse_messages_value(&change.value).unwrap_or_else(|e| panic!("{name}: {e}"));
                    for m in &v.messages {
                        let c = m.content();
                        let known = !matches!(c, Content::Unknown { .. });
                        // The one fixture whose interactive object is missing (Meta's 131000 case)
                        // must come out as Unknown, not be rejected.
                        assert!(known || name.starts_with("value_errors"), "{name}: {c:?}");
                        kinds.insert(m.kind.clone());
                        assert!(m.timestamp.to_timestamp().is_some(), "{name}");
                    }
                    for s in &v.statuses {
                        assert!(s.timestamp.to_timestamp().is_some(), "{name}");
                    }
                }
            }
        }
        for k in [
            "text",
            "image",
            "video",
            "audio",
            "document",
            "sticker",
            "location",
            "contacts",
            "interactive",
            "button",
            "reaction",
            "order",
            "system",
            "unsupported",
            "revoke",
            "edit",
        ] {
            assert!(kinds.contains(k), "no fixture of type {k}");
        }
    }

    #[test]
    fn texts_come_from_the_right_place() {
        let fx = fixtures();
        let text_of = |file: &str| {
            let env = &fx.iter().find(|(n, _)| n == file).unwrap().1;
            let v = parse_messages_value(&env.entry[0].changes[0].value).unwrap();
            v.messages[0].text()
        };
        assert_eq!(text_of("text_message.json").as_deref(), Some("Body Text"));
        assert_eq!(
            text_of("edit_message_image.json").as_deref(),
            Some("Updated image caption")
        );
        assert!(text_of("reaction_message.json").is_none());
        // Pricing is read from statuses that carry it (the deprecated `billable` left out).
        let env = &fx
            .iter()
            .find(|(n, _)| n == "status_sent_pmp_marketing.json")
            .unwrap()
            .1;
        let v = parse_messages_value(&env.entry[0].changes[0].value).unwrap();
        let p = v.statuses[0].pricing().unwrap();
        assert_eq!(p["category"], "marketing");
        assert_eq!(p["pricing_model"], "PMP");
        assert!(p.get("billable").is_none());
        let env = &fx
            .iter()
            .find(|(n, _)| n == "status_v24_no_conversation_no_pricing.json")
            .unwrap()
            .1;
        let v = parse_messages_value(&env.entry[0].changes[0].value).unwrap();
        assert!(v.statuses[0].pricing().is_none());
        assert!(text_of("interactive_button_reply.json").is_some());
    }
}
