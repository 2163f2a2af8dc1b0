//! Who handles a contact's conversation now, under WhatsApp Conversation Routing
//! (shared/guide/field-2026.md §3.1). Another responder (Meta Business Agent, a BSP inbox) may own
//! the thread while dossier only gets `standby` copies; ownership moves on `pass`, `take`,
//! `release` and idle timeout, and Meta leaves tracking it to each app. Sending a service message
//! while in standby silently *takes* the thread (for Meta's agent: it stops answering), so Approve
//! reads this before sending and the card says who handles the conversation.
//!
//! Kept as the per-contact document `thread` (compare-and-set). An event older than the stored
//! state is ignored, so redelivered or reordered webhooks cannot move ownership backwards.

use crate::state::App;
use dossier_core::{CompanyId, ContactId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub const THREAD_DOC: &str = "thread";

/// Who handles the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum Handler {
    /// dossier (its agents, through Approve) is the active responder.
    Dossier,
    /// Another responder is; dossier receives standby copies.
    Other,
}

/// How ownership last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum Via {
    /// `messaging_handovers` `control_passed`: the owner passed the thread to dossier.
    ControlPassed,
    /// `messaging_handovers` `control_taken`: the escalation partner took it from dossier.
    ControlTaken,
    /// A `standby` copy arrived: another responder is handling the thread.
    Standby,
    /// A customer message arrived on the `messages` field: routing chose dossier (what follows a
    /// `release`, which has no notification of its own).
    Routed,
    /// An agent chose "Take over and send".
    TakeOver,
    /// An agent chose "Hand back" (Thread Control API).
    HandBack,
}

/// The `thread` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub handler: Handler,
    /// The other responder's role when it handles the thread (`ai_agent`, `primary`,
    /// `escalation_partner`…), as Meta names it; `None` when not told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub since: Timestamp,
    pub via: Via,
    /// The business number the conversation runs on (Thread Control is per phone number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// Who held the thread before dossier got it: what "Hand back" passes it to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_role: Option<String>,
}

/// A responder's name for people. Meta names roles, not apps; `ai_agent` is Meta Business Agent.
pub fn role_label(role: Option<&str>) -> String {
    match role {
        Some("ai_agent") | Some("meta_business_agent") => "Meta's agent (Meta Business Agent)".into(),
        Some("primary") => "the number's primary responder".into(),
        Some("escalation_partner") => "the escalation partner".into(),
        Some(r) => format!("another responder ({})", r.chars().take(40).collect::<String>()),
        None => "another responder".into(),
    }
}

impl Thread {
    pub fn dossier_handles(&self) -> bool {
        self.handler == Handler::Dossier
    }

    /// "Meta's agent (Meta Business Agent) since 2026-12-01 12:00 UTC".
    pub fn describe(&self) -> String {
        let who = match self.handler {
            Handler::Dossier => "dossier (your agents)".to_owned(),
            Handler::Other => role_label(self.role.as_deref()),
        };
        format!("{who} since {}", self.since.strftime("%Y-%m-%d %H:%M UTC"))
    }

    /// The other responder, when dossier is not the active one.
    pub fn held_by(&self) -> Option<String> {
        (self.handler == Handler::Other).then(|| role_label(self.role.as_deref()))
    }
}

/// The contact's thread state; `None` when no routing event was ever seen (then dossier is the
/// only responder, as before routing existed).
pub async fn load(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Option<Thread>> {
    Ok(load_versioned(app, company, contact).await?.map(|(_, t)| t))
}

async fn load_versioned(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Option<(u64, Thread)>> {
    match app.store.doc(company, contact, THREAD_DOC).await? {
        None => Ok(None),
        Some(d) => match serde_json::from_slice::<Thread>(&d.body) {
            Ok(t) => Ok(Some((d.version, t))),
            Err(e) => {
                // A corrupt state must not block Approve forever: treat it as unknown (rewritten
                // by the next event).
                tracing::warn!(company = %company, contact = %contact.masked(), error = %e, "thread state is corrupt; ignored");
                Ok(Some((d.version, stale_placeholder())))
            }
        },
    }
}

fn stale_placeholder() -> Thread {
    Thread {
        handler: Handler::Dossier,
        role: None,
        since: Timestamp::UNIX_EPOCH,
        via: Via::Routed,
        phone_number_id: None,
        previous_role: None,
    }
}

/// Writes `next` unless the stored state is newer (compare-and-set, retried); returns the state
/// as it now is and whether `next` was applied.
pub async fn record(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    next: Thread,
) -> anyhow::Result<(Thread, bool)> {
    for _ in 0..8 {
        let current = load_versioned(app, company, contact).await?;
        let (expected, mut next) = match current {
            Some((_, cur)) if cur.since > next.since => return Ok((cur, false)),
            Some((v, cur)) => {
                let mut n = next.clone();
                n.phone_number_id = n.phone_number_id.or(cur.phone_number_id.clone());
                // Keep who to hand back to while dossier holds the thread.
                if n.handler == Handler::Dossier && n.previous_role.is_none() && cur.handler == Handler::Dossier {
                    n.previous_role = cur.previous_role.clone();
                }
                (v, n)
            }
            None => (0, next.clone()),
        };
        if next.handler == Handler::Other {
            next.previous_role = None;
        }
        let body = serde_json::to_vec(&next)?;
        if app.store.put_doc(company, contact, THREAD_DOC, expected, &body).await? {
            metrics::counter!("dossier_thread_changes_total", "via" => via_str(next.via), "handler" => handler_str(next.handler)).increment(1);
            return Ok((next, true));
        }
    }
    anyhow::bail!("the thread state kept changing under us")
}

/// Marks the thread as held by another responder because a `standby` copy arrived, unless a newer
/// state says otherwise or it is already so (a standby copy repeats what is known: no write).
/// Returns the new state when it changed.
pub async fn on_standby(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    at: Timestamp,
    phone_number_id: &str,
) -> anyhow::Result<Option<Thread>> {
    if let Some(t) = load(app, company, contact).await?
        && (t.handler == Handler::Other || t.since > at)
    {
        return Ok(None);
    }
    let (t, applied) = record(
        app,
        company,
        contact,
        Thread {
            handler: Handler::Other,
            role: None,
            since: at,
            via: Via::Standby,
            phone_number_id: Some(phone_number_id.to_owned()),
            previous_role: None,
        },
    )
    .await?;
    Ok(applied.then_some(t))
}

/// Companies this process saw a routing event for (`standby`, `messaging_handovers`). Only their
/// customer messages are checked by [`on_routed`], so a company without routing keeps one store
/// round trip per message. Another instance that has not seen such an event yet leaves the state
/// as "another responder handles it": Approve then asks for an explicit take-over, the safe side.
fn routing_seen() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> = std::sync::OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Set once any company had a routing event: until then the ingestion path takes no lock at all.
static ANY_ROUTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes that `company` uses Conversation Routing (see [`routing_seen`]).
pub fn mark_routing(company: &CompanyId) {
    ANY_ROUTING.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut s) = routing_seen().lock()
        && !s.contains(company.as_str())
    {
        s.insert(company.as_str().to_owned());
    }
}

/// Whether this process saw a routing event for `company`.
pub fn uses_routing(company: &CompanyId) -> bool {
    ANY_ROUTING.load(std::sync::atomic::Ordering::Relaxed)
        && routing_seen()
            .lock()
            .map(|s| s.contains(company.as_str()))
            .unwrap_or(true)
}

/// A customer message on the `messages` field: routing gave it to dossier. Only written when a
/// state exists and says another responder handles the thread; only read for companies that use
/// routing (no routing, no reads: the ingestion path stays one round trip).
pub async fn on_routed(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    at: Timestamp,
    phone_number_id: &str,
) -> anyhow::Result<()> {
    match load(app, company, contact).await? {
        Some(t) if t.handler == Handler::Other && t.since < at => {
            record(
                app,
                company,
                contact,
                Thread {
                    handler: Handler::Dossier,
                    role: None,
                    since: at,
                    via: Via::Routed,
                    phone_number_id: Some(phone_number_id.to_owned()),
                    previous_role: t.role,
                },
            )
            .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

pub fn via_str(v: Via) -> &'static str {
    match v {
        Via::ControlPassed => "control_passed",
        Via::ControlTaken => "control_taken",
        Via::Standby => "standby",
        Via::Routed => "routed",
        Via::TakeOver => "take_over",
        Via::HandBack => "hand_back",
    }
}

fn handler_str(h: Handler) -> &'static str {
    match h {
        Handler::Dossier => "dossier",
        Handler::Other => "other",
    }
}

/// What a Thread Control call asks (field-2026.md §3.1).
#[derive(Debug, Clone, PartialEq)]
pub enum ThreadAction {
    /// Hand the thread to a role (`ai_agent` hands it to Meta Business Agent).
    Pass { target_role: String },
    /// Give the thread up; routing picks the next responder on the user's next message.
    Release,
    /// Take the thread (reserved for the escalation partner).
    Take,
}

impl ThreadAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            ThreadAction::Pass { .. } => "pass",
            ThreadAction::Release => "release",
            ThreadAction::Take => "take",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_who() {
        assert_eq!(role_label(Some("ai_agent")), "Meta's agent (Meta Business Agent)");
        assert_eq!(role_label(None), "another responder");
        let t = Thread {
            handler: Handler::Other,
            role: Some("ai_agent".into()),
            since: "2026-12-01T12:00:00Z".parse().unwrap(),
            via: Via::Standby,
            phone_number_id: None,
            previous_role: None,
        };
        assert_eq!(
            t.describe(),
            "Meta's agent (Meta Business Agent) since 2026-12-01 12:00 UTC"
        );
        assert!(t.held_by().is_some());
        assert!(serde_json::to_string(&t).unwrap().contains("\"handler\":\"other\""));
    }
}
