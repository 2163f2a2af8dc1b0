//! Reading Redis replies: strings, integers, arrays, the contact hash, stored messages.

use super::super::*;
use super::corrupt;
use ::redis::Value;

pub(super) fn queue_slot(q: Queue) -> usize {
    match q {
        Queue::Analysis => 0,
        Queue::Drafts => 1,
    }
}

pub(super) fn bulk(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

pub(super) fn int(v: &Value) -> u64 {
    match v {
        Value::Int(i) => (*i).max(0) as u64,
        other => bulk(other).and_then(|s| s.parse().ok()).unwrap_or(0),
    }
}

pub(super) fn array(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        _ => &[],
    }
}

/// Every string in a (possibly nested) reply, flattened: multi-node replies come as maps or
/// arrays of per-node answers.
pub(super) fn flatten(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) | Value::Set(a) => a.iter().for_each(|x| flatten(x, out)),
        Value::Map(m) => m.iter().for_each(|(k, x)| {
            flatten(k, out);
            flatten(x, out);
        }),
        other => out.extend(bulk(other)),
    }
}

pub(super) fn record_from(h: &std::collections::HashMap<String, String>, contact: &ContactId) -> ContactRecord {
    ContactRecord {
        contact: h.get("contact").cloned().unwrap_or_else(|| contact.to_string()),
        profile_name: h.get("profile_name").cloned(),
        wa_id: h.get("wa_id").cloned(),
        user_id: h.get("user_id").cloned(),
        first_seen: ts_from_secs(h.get("first_seen")),
        last_seen: ts_from_secs(h.get("last_seen")),
        last_inbound: ts_from_secs(h.get("last_inbound")),
        messages_in: h.get("in").and_then(|v| v.parse().ok()).unwrap_or(0),
        messages_out: h.get("out").and_then(|v| v.parse().ok()).unwrap_or(0),
    }
}

/// A stored message JSON with its delivery status laid on.
pub(super) fn decode_message(raw: &str, status: Option<&str>) -> StoreResult<Message> {
    let mut m: Message = serde_json::from_str(raw).map_err(corrupt)?;
    if let Some(st) = status
        && let Some((_, json)) = st.split_once('|')
        && let Ok(st) = serde_json::from_str::<StatusUpdate>(json)
    {
        st.apply_to(&mut m);
    }
    Ok(m)
}

pub(super) fn ts_from_secs(v: Option<&String>) -> Option<Timestamp> {
    v.and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok())
}
