//! The webhook fields beside `messages` that matter since 2025–2026 (shared/guide/field-2026.md
//! §3.1, §3.3, §3.5): `standby` and `messaging_handovers` (Conversation Routing: another responder,
//! such as Meta Business Agent, may own the thread), `smb_message_echoes` and `history`
//! (coexistence numbers: the WhatsApp Business app and the Cloud API on one number), and
//! `template_category_update`.
//!
//! Each change is read item by item from its raw JSON: one malformed handover, echo or history
//! message is reported on its own (and dead-lettered by the webhook) while the rest of the batch
//! is still used. Nothing here panics on any input.

use super::payload::{Metadata, WaContact, WaMessage};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

/// The `metadata` every phone-number-scoped change carries (routes it to a company).
pub fn metadata(value: &Value) -> Result<Metadata, String> {
    Metadata::deserialize(value.get("metadata").unwrap_or(&Value::Null)).map_err(|e| format!("metadata: {e}"))
}

/// `contacts[]` of a change, where present; a malformed list counts as absent.
pub fn contacts(value: &Value) -> Vec<WaContact> {
    value
        .get("contacts")
        .and_then(|c| Vec::<WaContact>::deserialize(c).ok())
        .unwrap_or_default()
}

fn array<'a>(value: &'a Value, names: &[&str]) -> &'a [Value] {
    names
        .iter()
        .find_map(|n| value.get(*n).and_then(Value::as_array))
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first(obj: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| string(obj.get(*n)))
}

/// A timestamp in Unix seconds (string or number); milliseconds are recognised by size.
fn timestamp(v: Option<&Value>) -> Option<Timestamp> {
    let secs = match v? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let secs = if secs > 100_000_000_000 { secs / 1000 } else { secs };
    Timestamp::from_second(secs).ok()
}

/// Messages in a change (`messages[]`), each parsed alone.
pub fn messages(value: &Value, names: &[&str]) -> Vec<Result<WaMessage, String>> {
    array(value, names)
        .iter()
        .map(|m| {
            WaMessage::deserialize(m).map_err(|e| {
                let id = m.get("id").and_then(Value::as_str).unwrap_or("?");
                format!("message {id}: {e}")
            })
        })
        .collect()
}

/// The two ownership notifications (`messaging_handovers`). A `release` has none: the next
/// responder is chosen by routing on the user's next message (field-2026.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverKind {
    /// Sent to the *new* owner when the current one calls `pass`: dossier now handles the thread.
    ControlPassed,
    /// Sent to the *previous* owner when the escalation partner takes the thread (explicitly, or
    /// implicitly by sending a service message): dossier no longer handles it.
    ControlTaken,
}

/// One ownership change for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Handover {
    pub kind: HandoverKind,
    /// The user: `wa_id` when given, else the business-scoped user id.
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub at: Timestamp,
    /// Roles, not apps (Meta names roles): `ai_agent`, `primary`, `escalation_partner`…
    pub previous_role: Option<String>,
    pub new_role: Option<String>,
    /// What the caller of `pass`/`take` attached (up to 2,000 characters).
    pub metadata: Option<String>,
}

/// Reads the handovers of a `messaging_handovers` change.
///
/// Meta's reference (Updated Sep 22, 2026) documents an envelope whose `type` names which of the
/// two objects, `control_passed` or `control_taken`, is present beside it, each naming the role
/// before and after; the stored copy of that page ends before the JSON body, so key names inside
/// are read tolerantly: the list under `handovers` / `messaging_handovers` (or the value itself
/// when it carries `type`), the user as `from`/`wa_id`/`recipient_id`/`to` (and `from_user_id`/
/// `user_id`/`recipient_user_id`), roles as `previous_owner_role`/`previous_role`/`from_role` and
/// `new_owner_role`/`new_role`/`current_owner_role`/`to_role`.
pub fn handovers(value: &Value, now: Timestamp) -> Vec<Result<Handover, String>> {
    let listed = array(value, &["handovers", "messaging_handovers"]);
    let items: Vec<&Value> = if listed.is_empty() && value.get("type").is_some() {
        vec![value]
    } else {
        listed.iter().collect()
    };
    let contacts = contacts(value);
    items.into_iter().map(|h| handover(h, &contacts, now)).collect()
}

fn handover(h: &Value, contacts: &[WaContact], now: Timestamp) -> Result<Handover, String> {
    if !h.is_object() {
        return Err("a handover is not an object".into());
    }
    let kind_name = first(h, &["type", "event"]).ok_or("a handover without `type`")?;
    let kind = match kind_name.as_str() {
        "control_passed" | "pass" | "pass_thread_control" => HandoverKind::ControlPassed,
        "control_taken" | "take" | "take_thread_control" => HandoverKind::ControlTaken,
        other => {
            return Err(format!(
                "unknown handover type `{}`",
                other.chars().take(40).collect::<String>()
            ));
        }
    };
    let obj = h
        .get(kind_name.as_str())
        .filter(|o| o.is_object())
        .unwrap_or(&Value::Null);
    let pick = |names: &[&str]| first(h, names).or_else(|| first(obj, names));
    let mut wa_id = pick(&["from", "wa_id", "recipient_id", "to"]);
    let mut user_id = pick(&["from_user_id", "user_id", "recipient_user_id", "recipient"]);
    if let Some(u) = obj.get("user").or_else(|| h.get("user")) {
        wa_id = wa_id.or_else(|| first(u, &["wa_id", "phone_number", "id"]));
        user_id = user_id.or_else(|| first(u, &["user_id"]));
    }
    if wa_id.is_none() && user_id.is_none() && contacts.len() == 1 {
        wa_id = contacts[0].wa_id.clone();
        user_id = contacts[0].user_id.clone();
    }
    if wa_id.is_none() && user_id.is_none() {
        return Err(format!("{kind_name}: no user (from / wa_id / user_id)"));
    }
    let at = timestamp(h.get("timestamp"))
        .or_else(|| timestamp(obj.get("timestamp")))
        .unwrap_or(now);
    Ok(Handover {
        kind,
        wa_id,
        user_id,
        at,
        previous_role: pick(&["previous_owner_role", "previous_role", "from_role", "previous_owner"]),
        new_role: pick(&[
            "new_owner_role",
            "new_role",
            "current_owner_role",
            "to_role",
            "new_owner",
        ]),
        metadata: pick(&["metadata"]).map(|m| m.chars().take(2000).collect()),
    })
}

/// An echo's user: `to` (the user; `from` is the business number), else its BSUID.
pub fn echo_user(m: &WaMessage) -> (Option<String>, Option<String>) {
    let get = |k: &str| string(m.rest.get(k));
    (get("to"), get("to_user_id").or_else(|| get("recipient_user_id")))
}

/// One past chat from a `history` change: the user and the messages, in time order.
#[derive(Debug)]
pub struct HistoryThread {
    /// `threads[].id`: the user's WhatsApp id.
    pub user: Option<String>,
    pub messages: Vec<Result<WaMessage, String>>,
    /// `metadata.phase` of the chunk (0, 1, 2: day 0–1, 1–90, 90–180).
    pub phase: Option<String>,
}

/// Reads a `history` change: `history[] { metadata {phase, chunk_order, progress}, threads[] { id,
/// messages[] } }` (Meta's history reference, Updated May 21, 2026; 360dialog's coexistence page
/// shows the same shape). A declined share carries `errors` and no threads.
pub fn history(value: &Value) -> Vec<HistoryThread> {
    let mut out = Vec::new();
    for chunk in array(value, &["history"]) {
        let phase = chunk.get("metadata").and_then(|m| string(m.get("phase")));
        for t in array(chunk, &["threads"]) {
            let mut messages = messages(t, &["messages"]);
            // In order: by timestamp, the order given breaking ties (a stable sort).
            messages.sort_by_key(|m| {
                m.as_ref()
                    .ok()
                    .and_then(|m| m.timestamp.to_timestamp())
                    .map_or(i64::MIN, |t| t.as_second())
            });
            out.push(HistoryThread {
                user: string(t.get("id")),
                messages,
                phase: phase.clone(),
            });
        }
    }
    out
}

/// A *completed* template category change (`previous_category` and `new_category`). The impending
/// form (`correct_category`, `category_update_timestamp`) announces a change not made yet, so it is
/// not routed on (field-2026.md §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryChange {
    pub template: String,
    pub language: Option<String>,
    pub previous: String,
    pub new: String,
}

/// `Ok(None)` for an impending notice; `Err` for a payload without the fields that matter.
pub fn template_category(value: &Value) -> Result<Option<CategoryChange>, String> {
    let template = first(value, &["message_template_name"]).ok_or("no message_template_name")?;
    let new = first(value, &["new_category"]).ok_or("no new_category")?;
    let Some(previous) = first(value, &["previous_category"]) else {
        return Ok(None);
    };
    Ok(Some(CategoryChange {
        template,
        language: first(value, &["message_template_language"]),
        previous: previous.to_ascii_lowercase(),
        new: new.to_ascii_lowercase(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn handovers_read_both_kinds_and_report_bad_items_alone() {
        let v = json!({
            "metadata": { "phone_number_id": "1" },
            "handovers": [
                { "type": "control_passed", "from": "16505551234", "timestamp": "1764590000",
                  "control_passed": { "previous_owner_role": "ai_agent", "new_owner_role": "primary", "metadata": "asked for a human" } },
                { "type": "control_taken", "from_user_id": "US.1349", "control_taken": { "previous_role": "primary", "new_role": "escalation_partner" } },
                { "type": "explode" },
                "not an object",
                { "type": "control_taken" },
            ]
        });
        let hs = handovers(&v, now());
        assert_eq!(hs.len(), 5);
        let a = hs[0].as_ref().unwrap();
        assert_eq!(a.kind, HandoverKind::ControlPassed);
        assert_eq!(a.wa_id.as_deref(), Some("16505551234"));
        assert_eq!(a.previous_role.as_deref(), Some("ai_agent"));
        assert_eq!(a.at.as_second(), 1764590000);
        let b = hs[1].as_ref().unwrap();
        assert_eq!(b.kind, HandoverKind::ControlTaken);
        assert_eq!(b.user_id.as_deref(), Some("US.1349"));
        assert_eq!(b.new_role.as_deref(), Some("escalation_partner"));
        assert_eq!(b.at, now());
        assert!(hs[2].is_err() && hs[3].is_err() && hs[4].is_err());
        // Garbage of every shape: no panic, nothing read.
        for junk in [
            json!(null),
            json!(7),
            json!({"handovers": 3}),
            json!({"type": 5}),
            json!([]),
        ] {
            let _ = handovers(&junk, now());
        }
    }

    #[test]
    fn history_sorts_each_thread_and_keeps_bad_messages_apart() {
        let v = json!({ "history": [{ "metadata": { "phase": 0, "chunk_order": 1, "progress": 100 }, "threads": [{
            "id": "5215512345678",
            "messages": [
                { "from": "5215512345678", "id": "wamid.b", "timestamp": "200", "type": "text", "text": { "body": "two" } },
                { "from": "15550000000", "id": "wamid.a", "timestamp": "100", "type": "text", "text": { "body": "one" } },
                { "from": "x", "timestamp": "150" }
            ]
        }]}]});
        let t = history(&v);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].phase.as_deref(), Some("0"));
        let ids: Vec<String> = t[0]
            .messages
            .iter()
            .map(|m| m.as_ref().map(|m| m.id.clone()).unwrap_or_else(|e| e.clone()))
            .collect();
        assert_eq!(ids[1], "wamid.a");
        assert_eq!(ids[2], "wamid.b");
        assert!(t[0].messages[0].is_err());
        assert!(history(&json!({ "history": "no" })).is_empty());
    }

    #[test]
    fn no_input_panics() {
        let shapes = [
            json!(null),
            json!(true),
            json!(-1),
            json!(1e308),
            json!("s"),
            json!([]),
            json!({}),
            json!({ "metadata": 5, "contacts": "x", "messages": [null, 1, {}], "message_echoes": {} }),
            json!({ "history": [null, { "threads": [null, { "id": 5, "messages": [{ "id": 1, "timestamp": [] }] }] }] }),
            json!({ "handovers": [{ "type": "control_taken", "timestamp": i64::MAX, "control_taken": [] }] }),
            json!({ "type": "control_passed", "from": "1", "timestamp": "-99999999999999" }),
            json!({ "message_template_name": [], "new_category": {}, "previous_category": 3 }),
        ];
        for v in &shapes {
            let _ = metadata(v);
            let _ = contacts(v);
            let _ = messages(v, &["messages", "message_echoes"]);
            let _ = handovers(v, now());
            let _ = history(v);
            let _ = template_category(v);
        }
    }

    #[test]
    fn only_completed_category_changes_route() {
        let done = json!({ "message_template_id": 1, "message_template_name": "follow_up", "message_template_language": "en_US", "previous_category": "UTILITY", "new_category": "MARKETING" });
        let c = template_category(&done).unwrap().unwrap();
        assert_eq!((c.previous.as_str(), c.new.as_str()), ("utility", "marketing"));
        let soon = json!({ "message_template_name": "follow_up", "correct_category": "MARKETING", "new_category": "UTILITY", "category_update_timestamp": 1 });
        assert_eq!(template_category(&soon).unwrap(), None);
        assert!(template_category(&json!({})).is_err());
    }
}
