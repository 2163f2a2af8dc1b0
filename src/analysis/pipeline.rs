//! Every read-modify-write of a contact's profile document happens here, in [`apply`]: folding
//! new messages (the analysis job), outside signals (the signals API, a handoff's assignee).
//!
//! A fold reads the contact in one atomic [`Snapshot`]: its record, the document and the messages
//! stored after the position the document says it folded. It folds those (all of them again when
//! one is older than what was folded), lays the LLM's extraction on top when the company chose
//! one, merges outside signals and tool facts, keeps the trail, and writes the document
//! compare-and-set with the new folded position. A job that finds nothing new writes nothing, and
//! no message is ever folded twice. Reading a profile ([`preview`]) never writes.

use super::doc::ProfileDoc;
use super::merge::{MAX_SIGNALS, apply_external, extend_trail};
use super::{AnalysisInput, Extraction, LlmProvider};
use crate::companies::CompanyRuntime;
use crate::config::{IntelligenceSettings, ProviderKind, Providers};
use crate::state::App;
use crate::store::{Entry, Positioned, ReadFrom, Snapshot, SnapshotRequest};
use dossier_core::profile::{Budget, BudgetPeriod, Fact, Financing, Interest, Note, Profile, Signal, TradeIn};
use dossier_core::{CompanyId, ContactId, ConversationContact, Currency, Message, MessageId};
use jiff::Timestamp;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Write attempts before giving up on a contact that other writers keep changing.
const CAS_ATTEMPTS: usize = 8;

/// The company's Customer Intelligence settings: the API's override, else the file's. Read once
/// per job or request and passed down.
pub async fn effective_settings(app: &App, company: &CompanyId) -> anyhow::Result<IntelligenceSettings> {
    let stored = app.store.settings(company).await?;
    Ok(settings_from(app, company, stored.as_deref()))
}

/// The effective settings from the stored override (`None`: the company file's).
fn settings_from(app: &App, company: &CompanyId, stored: Option<&[u8]>) -> IntelligenceSettings {
    if let Some(bytes) = stored {
        match serde_json::from_slice::<IntelligenceSettings>(bytes) {
            Ok(s) => return s,
            Err(e) => {
                tracing::warn!(company = %company, error = %e, "stored settings unreadable; using the company file's")
            }
        }
    }
    app.settings.company_or_default(company.as_str()).intelligence
}

/// Whether a fold runs the company's LLM (and so reads the recent window too).
fn uses_llm(s: &IntelligenceSettings) -> bool {
    s.enabled && s.provider != ProviderKind::Builtin
}

/// Builds the LLM provider the settings ask for, from the endpoint the operator configured, or
/// says why there is none.
pub fn llm_provider(
    env: LlmEnv<'_>,
    providers: &Providers,
    s: &IntelligenceSettings,
) -> Result<Option<Arc<dyn LlmProvider>>, String> {
    if s.provider == ProviderKind::Builtin {
        return Ok(None);
    }
    let endpoint = providers.get(s.provider).ok_or_else(|| {
        format!(
            "{} is not configured for this company; used the builtin analyzer",
            s.provider.as_str()
        )
    })?;
    let url = endpoint.base_url.clone().unwrap_or_else(|| match s.provider {
        ProviderKind::Anthropic => super::anthropic::AnthropicProvider::DEFAULT_BASE_URL.to_owned(),
        _ => super::openai::OpenAiProvider::DEFAULT_BASE_URL.to_owned(),
    });
    crate::net::check_request_url(env.policy, &url).map_err(|e| format!("{e}; used the builtin analyzer"))?;
    let var = endpoint.key_var(s.provider);
    let key = env
        .secrets
        .var(&var)
        .ok_or_else(|| format!("{var} is not set; used the builtin analyzer"))?;
    let timeout = Duration::from_secs(s.timeout_secs);
    let model = s.model.clone().unwrap_or_default();
    Ok(match s.provider {
        ProviderKind::Builtin => None,
        ProviderKind::Openai => Some(Arc::new(
            super::openai::OpenAiProvider::new(env.http.clone(), Some(&url), model, key, timeout, s.pii_redaction)
                .with_temperature(endpoint.temperature)
                .with_negotiated(env.negotiated.clone()),
        )),
        ProviderKind::Anthropic => Some(Arc::new(
            super::anthropic::AnthropicProvider::new(
                env.http.clone(),
                Some(&url),
                model,
                key,
                timeout,
                s.pii_redaction,
            )
            .with_temperature(endpoint.temperature),
        )),
    })
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub profile: Profile,
    /// Messages folded in this run.
    pub new_messages: usize,
    /// The customer message a reply is due for, when this run made one due.
    pub draft_due: Option<u64>,
}

/// A change to a contact's profile document.
#[derive(Debug, Clone)]
pub enum Change {
    /// Fold what is new (the analysis job).
    Fold,
    /// Merge signals from outside systems (CRM, DMS, an agent, a handoff).
    Signals(Vec<Signal>),
}

/// The stored document, or a new one. A document that does not parse is rebuilt from the
/// conversation: it is treated as absent (its version kept for the compare-and-set).
fn load_doc(company: &CompanyId, contact: &ContactId, snap: &Snapshot) -> (u64, Option<ProfileDoc>) {
    match &snap.profile {
        None => (0, None),
        Some(d) => match serde_json::from_slice::<ProfileDoc>(&d.body) {
            Ok(doc) => (d.version, Some(doc)),
            Err(e) => {
                tracing::warn!(company = %company, contact = %contact.masked(), error = %e, "profile document is corrupt; rebuilding it from the conversation");
                metrics::counter!("dossier_profile_rebuilt_total").increment(1);
                (d.version, None)
            }
        },
    }
}

fn empty_doc(company: &CompanyId, contact: &ContactId) -> ProfileDoc {
    ProfileDoc::new(Profile::empty(company.as_str(), Some(contact.as_str())))
}

/// Applies `change` to the contact's profile document, compare-and-set, retried while other
/// writers get there first. The one place the document is written.
pub async fn apply(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    change: &Change,
) -> anyhow::Result<Outcome> {
    Ok(apply_with(app, rt, settings, company, contact, change, None, None)
        .await?
        .0)
}

/// The analysis job's fold: the company's settings are read with the contact's snapshot (one
/// round trip on a single node), and the job entry `done` is acknowledged with the profile
/// write (the same script on a single node) unless the fold makes a draft due, whose job must
/// be queued before the ack. Returns the settings, the outcome, and whether `done` was
/// acknowledged (else the caller acknowledges it).
pub async fn fold_job(
    app: &App,
    rt: &CompanyRuntime,
    company: &CompanyId,
    contact: &ContactId,
    done: Option<&Entry>,
) -> anyhow::Result<(IntelligenceSettings, Outcome, bool)> {
    let request = SnapshotRequest {
        from: ReadFrom::Folded,
        recent: 0,
        take_queued: true,
    };
    let (stored, snap) = app.store.snapshot_with_settings(company, contact, request).await?;
    let settings = settings_from(app, company, stored.as_deref());
    // An LLM fold also needs the recent window: read again (the queued mark is already taken, so
    // whatever is stored from now on queues another job).
    let first = (!uses_llm(&settings)).then_some(snap);
    let (outcome, acked) = apply_with(app, rt, &settings, company, contact, &Change::Fold, first, done).await?;
    Ok((settings, outcome, acked))
}

#[allow(clippy::too_many_arguments)]
async fn apply_with(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    change: &Change,
    mut first: Option<Snapshot>,
    done: Option<&Entry>,
) -> anyhow::Result<(Outcome, bool)> {
    let recent = if uses_llm(settings) {
        recent_cap(&app.settings.service.summary)
    } else {
        0
    };
    for attempt in 0..CAS_ATTEMPTS {
        let request = match change {
            Change::Fold => SnapshotRequest {
                from: ReadFrom::Folded,
                recent,
                take_queued: attempt == 0,
            },
            Change::Signals(_) => SnapshotRequest::document_only(),
        };
        let snap = match first.take() {
            Some(s) => s,
            None => app.store.snapshot(company, contact, request).await?,
        };
        let (version, stored) = load_doc(company, contact, &snap);
        let (doc, folded, mut outcome) = match change {
            Change::Fold => {
                let Some((doc, folded, outcome)) = fold(app, rt, settings, company, contact, snap, stored).await?
                else {
                    let outcome = Outcome {
                        profile: Profile::empty(company.as_str(), Some(contact.as_str())),
                        new_messages: 0,
                        draft_due: None,
                    };
                    return Ok((outcome, false));
                };
                (doc, folded, outcome)
            }
            Change::Signals(signals) => {
                let mut doc = stored.unwrap_or_else(|| empty_doc(company, contact));
                merge_signals(&mut doc, signals, settings);
                (
                    doc,
                    snap.folded,
                    Outcome {
                        profile: Profile::empty(company.as_str(), None),
                        new_messages: 0,
                        draft_due: None,
                    },
                )
            }
        };
        let body = serde_json::to_vec(&doc)?;
        // A due draft's job is queued after the write and before the ack (by the caller).
        let ack = done.filter(|_| outcome.draft_due.is_none());
        let notice = app.live.notice(company, contact, "profile");
        let payload = serde_json::to_string(&notice).ok();
        if app
            .store
            .put_profile_then(company, contact, version, &body, folded, payload.as_deref(), ack)
            .await?
        {
            app.live.tell_local(notice);
            if matches!(change, Change::Fold) {
                metrics::counter!("dossier_analyses_total", "provider" => doc.profile.provider.clone()).increment(1);
            }
            outcome.profile = doc.profile;
            return Ok((outcome, ack.is_some()));
        }
        metrics::counter!("dossier_analysis_conflicts_total").increment(1);
    }
    anyhow::bail!(
        "profile of {} kept changing under {CAS_ATTEMPTS} attempts",
        contact.masked()
    )
}

/// Adds signals to the document and merges them into its profile, with provenance and trail.
fn merge_signals(doc: &mut ProfileDoc, signals: &[Signal], settings: &IntelligenceSettings) {
    let old = doc.profile.clone();
    doc.external.extend(signals.iter().cloned());
    doc.external.sort_by_key(|s| s.observed_at);
    if doc.external.len() > MAX_SIGNALS {
        doc.external.drain(..doc.external.len() - MAX_SIGNALS);
    }
    apply_external(&mut doc.profile, &doc.external);
    restrict_fields(&mut doc.profile, settings);
    doc.profile.signals.extend(signals.iter().cloned());
    if doc.profile.signals.len() > MAX_SIGNALS {
        let n = doc.profile.signals.len() - MAX_SIGNALS;
        doc.profile.signals.drain(..n);
    }
    let now = Timestamp::now();
    doc.profile.updated_at = Some(now);
    extend_trail(&old, &mut doc.profile, now);
}

/// The newest messages an LLM prompt may draw its window from.
fn recent_cap(cfg: &crate::config::SummaryConfig) -> usize {
    (cfg.recent_tokens / 4).clamp(20, 400)
}

/// Messages in fold order: by time, ties by position.
fn in_fold_order(mut v: Vec<Positioned>) -> Vec<Positioned> {
    v.sort_by(|a, b| a.message.timestamp.cmp(&b.message.timestamp).then(a.pos.cmp(&b.pos)));
    v
}

/// Folds what the snapshot holds past the document's position. `None` when there is nothing new
/// (the caller writes nothing). Returns the new document, its folded position and the outcome.
async fn fold(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    mut snap: Snapshot,
    stored: Option<ProfileDoc>,
) -> anyhow::Result<Option<(ProfileDoc, u64, Outcome)>> {
    let rebuild = stored.is_none() && snap.folded > 0;
    if stored.is_some() && snap.messages.is_empty() {
        return Ok(None);
    }
    if snap.record.is_none() && snap.messages.is_empty() {
        return Ok(None);
    }
    let mut doc = stored.unwrap_or_else(|| empty_doc(company, contact));
    let late = doc
        .observed_until
        .is_some_and(|until| snap.messages.iter().any(|m| m.message.timestamp < until));
    if late || rebuild {
        // A message older than what was folded arrived (or the document was lost): fold the
        // whole conversation again, in time order.
        let all = app
            .store
            .snapshot(
                company,
                contact,
                SnapshotRequest {
                    from: ReadFrom::After(0),
                    recent: 0,
                    take_queued: false,
                },
            )
            .await?;
        snap.messages = all.messages;
        snap.until = all.until.max(snap.until);
        snap.record = all.record.or(snap.record);
        doc.analyzer = Default::default();
        doc.custom.clear();
        doc.observed_until = None;
    }
    let fresh = in_fold_order(std::mem::take(&mut snap.messages));
    for m in &fresh {
        rt.analyzer.observe(&mut doc.analyzer, &m.message);
        rt.fields.observe(&mut doc.custom, &m.message);
    }
    let record = snap.record.as_ref();
    let conv_contact = ConversationContact {
        wa_id: record
            .and_then(|r| r.wa_id.clone())
            .and_then(|w| ContactId::parse(w).ok()),
        user_id: record
            .and_then(|r| r.user_id.clone())
            .and_then(|w| ContactId::parse(w).ok()),
        profile_name: record.and_then(|r| r.profile_name.clone()),
    };
    let mut profile = rt.analyzer.profile(&doc.analyzer, company.as_str(), &conv_contact);
    if let Some(r) = record {
        profile.history.messages_in = r.messages_in as u32;
        profile.history.messages_out = r.messages_out as u32;
        profile.history.first_seen = r.first_seen;
        profile.history.last_seen = r.last_seen;
        profile.history.last_inbound_at = r.last_inbound;
    }
    profile.contact.assignee = doc.profile.contact.assignee.clone();
    profile.custom = rt.fields.facts(&doc.custom);
    if settings.enabled && settings.provider != ProviderKind::Builtin {
        let rolled = overlay_llm(
            app.llm_env(),
            rt,
            settings,
            Rolling {
                extractive: doc.rolling.take(),
                llm: doc.llm_summary.clone(),
            },
            &snap.recent,
            &mut profile,
        )
        .await;
        doc.rolling = rolled.extractive;
        doc.llm_summary = rolled.llm;
    }
    apply_external(&mut profile, &doc.external);
    restrict_fields(&mut profile, settings);
    profile.facts = rt.tools.profile_facts(&profile);
    let now = Timestamp::now();
    profile.updated_at = Some(now);
    extend_trail(&doc.profile, &mut profile, now);
    doc.observed_until = fresh.iter().map(|m| m.message.timestamp).max().max(doc.observed_until);
    // A reply is due for the newest customer message folded now (not for a rebuild of old ones).
    let draft_due = if settings.enabled && settings.auto_draft && rt.shows_drafts() && !late && !rebuild {
        fresh
            .iter()
            .filter(|m| m.message.is_inbound() && super::doc::wants_reply(&m.message))
            .map(|m| m.pos)
            .max()
    } else {
        None
    };
    if draft_due.is_some() {
        doc.draft_due = draft_due;
    }
    doc.profile = profile;
    let outcome = Outcome {
        // The document's, moved in once it is written (no copy).
        profile: Profile::empty(company.as_str(), None),
        new_messages: fresh.len(),
        draft_due,
    };
    Ok(Some((doc, snap.until, outcome)))
}

/// A contact's profile for reading (cards, the API, tools): [`preview`] with the company's runtime
/// and settings. `None` when the contact is unknown.
pub async fn read_profile(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Option<Profile>> {
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| anyhow::anyhow!("unknown company `{company}`"))?;
    let settings = effective_settings(app, company).await?;
    preview(app, &rt, &settings, company, contact).await
}

/// The profile as stored, or, before any analysis ran (or when the document is corrupt), the
/// builtin analyzer's view of the conversation, computed without writing anything: reading a
/// profile never takes the analysis job's work (and its LLM call and draft) away. `None` when the
/// contact is unknown.
pub async fn preview(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
) -> anyhow::Result<Option<Profile>> {
    let snap = app
        .store
        .snapshot(company, contact, SnapshotRequest::document_only())
        .await?;
    let (_, stored) = load_doc(company, contact, &snap);
    if let Some(doc) = stored {
        return Ok(Some(doc.profile));
    }
    if snap.record.is_none() {
        return Ok(None);
    }
    if snap.profile.is_some() {
        // Corrupt: have the worker rebuild it.
        let job = crate::jobs::job::Job::analyze(company, contact);
        job.enqueue(app.store.as_ref()).await?;
    }
    let all = app
        .store
        .snapshot(
            company,
            contact,
            SnapshotRequest {
                from: ReadFrom::After(0),
                recent: 0,
                take_queued: false,
            },
        )
        .await?;
    let mut state = Default::default();
    let mut custom = Default::default();
    for m in in_fold_order(all.messages) {
        rt.analyzer.observe(&mut state, &m.message);
        rt.fields.observe(&mut custom, &m.message);
    }
    let record = all.record.as_ref();
    let conv_contact = ConversationContact {
        wa_id: record
            .and_then(|r| r.wa_id.clone())
            .and_then(|w| ContactId::parse(w).ok()),
        user_id: record
            .and_then(|r| r.user_id.clone())
            .and_then(|w| ContactId::parse(w).ok()),
        profile_name: record.and_then(|r| r.profile_name.clone()),
    };
    let mut profile = rt.analyzer.profile(&state, company.as_str(), &conv_contact);
    profile.custom = rt.fields.facts(&custom);
    if let Some(r) = record {
        profile.history.messages_in = r.messages_in as u32;
        profile.history.messages_out = r.messages_out as u32;
        profile.history.first_seen = r.first_seen;
        profile.history.last_seen = r.last_seen;
        profile.history.last_inbound_at = r.last_inbound;
    }
    restrict_fields(&mut profile, settings);
    profile.facts = rt.tools.profile_facts(&profile);
    Ok(Some(profile))
}

/// Fields the company switched off are cleared.
fn restrict_fields(p: &mut Profile, s: &IntelligenceSettings) {
    let on = |f: &str| s.fields.iter().any(|x| x == f);
    if !on("stage") {
        p.stage = None;
    }
    if !on("intent") {
        p.intent = None;
    }
    if !on("interests") {
        p.interests.clear();
    }
    if !on("budget") {
        p.budget = None;
    }
    if !on("financing") {
        p.financing = None;
    }
    if !on("trade_in") {
        p.trade_in = None;
    }
    if !on("urgency") {
        p.urgency = None;
    }
    if !on("sentiment") {
        p.sentiment = None;
    }
    if !on("name") {
        p.contact.name = None;
    }
    if !on("email") {
        p.contact.email = None;
    }
    if !on("objections") {
        p.objections.clear();
    }
    if !on("open_questions") {
        p.open_questions.clear();
    }
    if !on("summary") {
        p.summary = None;
    }
    if !on("next_best_action") {
        p.next_best_action = None;
    }
}

/// What an LLM call needs from the process: the guarded HTTP client, the secrets (for the key),
/// the summary budgets and the network policy. The worker takes them from `App`, the CLI builds
/// its own.
#[derive(Clone, Copy)]
pub struct LlmEnv<'a> {
    pub http: &'a reqwest::Client,
    pub secrets: &'a crate::config::Secrets,
    pub summary: &'a crate::config::SummaryConfig,
    pub policy: &'a crate::config::LlmConfig,
    pub templates: &'a crate::templates::Templates,
    /// What each OpenAI-compatible endpoint was found to accept.
    pub negotiated: &'a Arc<super::openai::Negotiated>,
}

/// The summaries an LLM prompt carries of what is older than its recent window: the LLM's own,
/// rolled forward by each call, and the extractive one (the builtin engine's, and the fallback).
#[derive(Debug, Clone, Default)]
pub struct Rolling {
    pub extractive: Option<super::window::RollingSummary>,
    pub llm: Option<String>,
}

/// Runs the company's LLM over the rolling summary and the recent window of `candidates` (messages
/// newer than what the rolling summary covers); on any failure the builtin profile stands and says
/// why. Returns the summaries to keep: the LLM's new one replaces its previous one.
pub async fn overlay_llm(
    env: LlmEnv<'_>,
    rt: &CompanyRuntime,
    s: &IntelligenceSettings,
    summaries: Rolling,
    candidates: &[Message],
    profile: &mut Profile,
) -> Rolling {
    let Rolling {
        extractive: rolling,
        llm: llm_summary,
    } = summaries;
    let provider = match llm_provider(env, &rt.config.providers, s) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Rolling {
                extractive: rolling,
                llm: llm_summary,
            };
        }
        Err(why) => {
            profile.provider_note = Some(why);
            return Rolling {
                extractive: rolling,
                llm: llm_summary,
            };
        }
    };
    let since = rolling.as_ref().and_then(|r| r.covered_until);
    let candidates: Vec<Message> = candidates
        .iter()
        .filter(|m| since.is_none_or(|t| m.timestamp > t))
        .cloned()
        .collect();
    let (folded, recent) = super::window::select_recent(&candidates, env.summary.recent_tokens);
    let mut rolling = rolling.unwrap_or_default();
    if !folded.is_empty() {
        rolling = super::window::fold(&rolling, folded, env.summary.summary_tokens);
    }
    let catalog_models: Vec<String> = rt
        .catalog
        .models()
        .into_iter()
        .map(|(m, o)| format!("{m} {o}"))
        .collect();
    let baseline = profile.clone();
    // The LLM's own summary when it has written one, else the extractive one.
    let summary = llm_summary
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .or((!rolling.text.is_empty()).then_some(rolling.text.as_str()));
    let input = AnalysisInput {
        templates: env.templates,
        company_name: &rt.config.name,
        profile: &baseline,
        summary,
        recent,
        stages: &s.stages,
        catalog_models: &catalog_models,
        fields: rt.fields.defs(),
    };
    let mut llm_summary = llm_summary.clone();
    match provider.extract(&input).await {
        Ok(x) => {
            let ids: HashSet<&str> = recent.iter().map(|m| m.id.as_str()).collect();
            let ok = apply_extraction(profile, &x, &ids, &s.stages, &rt.fields);
            profile.provider = provider.name().to_owned();
            if let Some(text) = x.summary.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                // Bounded, so the next prompt stays the same size however long the conversation.
                let max = env.summary.summary_tokens * 4;
                llm_summary = Some(text.chars().take(max).collect());
            }
            if !ok || !x.dropped.is_empty() {
                let why = if x.dropped.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", x.dropped.join("; "))
                };
                profile.provider_note = Some(format!(
                    "the model's answer was partly invalid{why}; kept builtin values there"
                ));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, provider = provider.name(), "LLM analysis failed; keeping the builtin profile");
            metrics::counter!("dossier_llm_failures_total", "provider" => provider.name()).increment(1);
            profile.provider_note = Some(format!("{} failed ({e}); builtin analysis shown", provider.name()));
        }
    }
    Rolling {
        extractive: Some(rolling),
        llm: llm_summary,
    }
}

fn evidence(ids: &[String], known: &HashSet<&str>) -> Vec<MessageId> {
    ids.iter()
        .filter(|i| known.contains(i.as_str()))
        .filter_map(|i| MessageId::parse(i.clone()).ok())
        .collect()
}

/// Lays a validated extraction over the builtin profile. Values without evidence in the window
/// or outside the allowed vocabularies are ignored. Returns false when something was dropped.
pub fn apply_extraction(
    p: &mut Profile,
    x: &Extraction,
    known: &HashSet<&str>,
    stages: &[String],
    fields: &super::custom::Fields,
) -> bool {
    let mut clean = true;
    for (name, v) in &x.custom {
        match fields.def(name) {
            Some(def) if def.accepts(&v.value) => {
                p.custom.insert(
                    name.clone(),
                    dossier_core::profile::CustomFact {
                        value: v.value.clone(),
                        confidence: 0.8,
                        evidence: evidence(&v.evidence, known),
                        source: None,
                    },
                );
            }
            _ => clean = false,
        }
    }
    if let Some(st) = &x.stage {
        if stages.contains(&st.value) {
            let changed = p.stage.as_ref().is_none_or(|f| f.value != st.value);
            let since = if changed {
                Some(Timestamp::now())
            } else {
                p.stage.as_ref().and_then(|f| f.since)
            };
            p.stage = Some(Fact {
                value: st.value.clone(),
                confidence: 0.8,
                since,
                evidence: evidence(&st.evidence, known),
                source: None,
            });
        } else {
            clean = false;
        }
    }
    if let Some(it) = &x.intent {
        if dossier_core::profile::INTENTS.contains(&it.value.as_str()) {
            p.intent = Some(Fact {
                value: it.value.clone(),
                confidence: 0.8,
                since: None,
                evidence: evidence(&it.evidence, known),
                source: None,
            });
        } else {
            clean = false;
        }
    }
    for i in &x.interests {
        let ev = evidence(&i.evidence, known);
        if ev.is_empty() {
            clean = false;
            continue;
        }
        if let Some(existing) = p
            .interests
            .iter_mut()
            .find(|e| e.make.eq_ignore_ascii_case(&i.make) && e.model.eq_ignore_ascii_case(&i.model))
        {
            existing.evidence.extend(ev);
            existing.evidence.dedup();
        } else {
            p.interests.push(Interest {
                item: match i.year {
                    Some(y) => format!("{} {} {y}", i.make, i.model),
                    None => format!("{} {}", i.make, i.model),
                },
                make: i.make.clone(),
                model: i.model.clone(),
                year: i.year,
                trim: None,
                catalog_ref: None,
                mentions: ev.len() as u32,
                last_mentioned: None,
                evidence: ev,
            });
        }
    }
    if let Some(b) = &x.budget {
        match (rust_decimal::Decimal::from_str(&b.amount), Currency::parse(&b.currency)) {
            (Ok(amount), Ok(currency)) if amount > rust_decimal::Decimal::ZERO => {
                let period = if b.period == "monthly" {
                    BudgetPeriod::Monthly
                } else {
                    BudgetPeriod::Total
                };
                p.budget = Some(Budget {
                    amount,
                    currency,
                    period,
                    evidence: evidence(&b.evidence, known),
                    source: None,
                });
            }
            _ => clean = false,
        }
    }
    if let Some(f) = &x.financing {
        let (term, down) = p
            .financing
            .as_ref()
            .map_or((None, None), |f| (f.term_months, f.down_payment));
        p.financing = Some(Financing {
            interested: f.value,
            term_months: term,
            down_payment: down,
            evidence: evidence(&f.evidence, known),
            source: None,
        });
    }
    if let Some(t) = &x.trade_in {
        let desc = p.trade_in.as_ref().and_then(|t| t.description.clone());
        p.trade_in = Some(TradeIn {
            has: t.value,
            description: desc,
            evidence: evidence(&t.evidence, known),
            source: None,
        });
    }
    if let Some(u) = &x.urgency {
        match serde_json::from_value(serde_json::json!(u)) {
            Ok(v) => p.urgency = Some(v),
            Err(_) => clean = false,
        }
    }
    if let Some(s) = &x.sentiment {
        match serde_json::from_value(serde_json::json!(s)) {
            Ok(v) => p.sentiment = Some(v),
            Err(_) => clean = false,
        }
    }
    if let Some(n) = &x.name
        && !n.value.trim().is_empty()
    {
        p.contact.name = Some(n.value.trim().to_owned());
    }
    if let Some(e) = &x.email
        && e.value.contains('@')
    {
        p.contact.email = Some(e.value.trim().to_owned());
    }
    if let Some(l) = &x.language
        && l.len() == 2
        && l.chars().all(|c| c.is_ascii_lowercase())
    {
        p.contact.language = Some(l.clone());
    }
    let notes = |v: &[super::WithEvidence<String>]| -> Vec<Note> {
        v.iter()
            .map(|n| Note {
                text: n.value.clone(),
                evidence: evidence(&n.evidence, known),
            })
            .filter(|n| !n.evidence.is_empty())
            .collect()
    };
    if !x.objections.is_empty() {
        p.objections = notes(&x.objections);
    }
    if !x.open_questions.is_empty() {
        p.open_questions = notes(&x.open_questions);
    }
    if let Some(s) = &x.summary {
        p.summary = Some(s.clone());
    }
    if let Some(a) = &x.next_best_action {
        p.next_best_action = Some(a.clone());
    }
    clean
}
