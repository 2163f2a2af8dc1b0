//! One analysis run for one contact: fold the new messages into the builtin state, lay the LLM's
//! extraction on top when the company chose one, merge outside signals and tool facts, keep the
//! trail, and write the document compare-and-set (retrying on a concurrent writer).

use super::doc::{DOC_NAME, ProfileDoc};
use super::merge::{apply_external, extend_trail};
use super::{AnalysisInput, Extraction, LlmProvider};
use crate::companies::CompanyRuntime;
use crate::config::{IntelligenceSettings, ProviderKind};
use crate::state::App;
use dossier_core::profile::{Budget, BudgetPeriod, Fact, Financing, Interest, Note, Profile, TradeIn};
use dossier_core::{CompanyId, ContactId, ConversationContact, Currency, Message, MessageId};
use jiff::Timestamp;
use secrecy::SecretString;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Write attempts before giving up on a contact that other writers keep changing.
const CAS_ATTEMPTS: usize = 8;
/// Most messages read for a full re-fold (a late message older than what was folded).
const MAX_REFOLD: usize = 100_000;

/// The company's Customer Intelligence settings: the API's override, else the file's.
pub async fn effective_settings(app: &App, company: &CompanyId) -> anyhow::Result<IntelligenceSettings> {
    if let Some(bytes) = app.store.settings(company).await?
        && let Ok(s) = serde_json::from_slice::<IntelligenceSettings>(&bytes)
    {
        return Ok(s);
    }
    Ok(app.settings.company_or_default(company.as_str()).intelligence)
}

/// Builds the LLM provider the settings ask for, or says why there is none.
pub fn llm_provider(
    http: &reqwest::Client,
    secrets: &crate::config::Secrets,
    s: &IntelligenceSettings,
) -> Result<Option<Arc<dyn LlmProvider>>, String> {
    let timeout = Duration::from_secs(s.timeout_secs);
    let model = s.model.clone().unwrap_or_default();
    let key = || -> Result<SecretString, String> {
        let var = s.key_var().unwrap_or_default();
        secrets
            .var(&var)
            .ok_or_else(|| format!("{} is not set; used the builtin analyzer", var))
    };
    Ok(match s.provider {
        ProviderKind::Builtin => None,
        ProviderKind::Openai => Some(Arc::new(super::openai::OpenAiProvider::new(
            http.clone(),
            s.base_url.as_deref(),
            model,
            key()?,
            timeout,
            s.pii_redaction,
        ))),
        ProviderKind::Anthropic => Some(Arc::new(super::anthropic::AnthropicProvider::new(
            http.clone(),
            s.base_url.as_deref(),
            model,
            key()?,
            timeout,
            s.pii_redaction,
        ))),
    })
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub profile: Profile,
    /// Messages folded in this run.
    pub new_messages: usize,
    pub version: u64,
}

/// Analyses whatever is new for `contact` and stores the profile. `use_llm = false` keeps to the
/// builtin analyzer (used when a profile is read before any job ran).
pub async fn analyze_contact(
    app: &App,
    rt: &CompanyRuntime,
    company: &CompanyId,
    contact: &ContactId,
    use_llm: bool,
) -> anyhow::Result<Outcome> {
    let settings = effective_settings(app, company).await?;
    for _ in 0..CAS_ATTEMPTS {
        let record = app.store.contact(company, contact).await?;
        let stored = app.store.doc(company, contact, DOC_NAME).await?;
        let (version, mut doc) = match &stored {
            Some(d) => (d.version, serde_json::from_slice::<ProfileDoc>(&d.body)?),
            None => (
                0,
                ProfileDoc::new(Profile::empty(company.as_str(), Some(contact.as_str()))),
            ),
        };
        let total = record.as_ref().map_or(0, |r| r.messages_in + r.messages_out);
        let new_count = total.saturating_sub(doc.observed) as usize;
        if new_count == 0 && stored.is_some() {
            return Ok(Outcome {
                profile: doc.profile,
                new_messages: 0,
                version,
            });
        }
        // No document yet: fold the whole conversation; else only what is new.
        let first_run = stored.is_none();
        let limit = if first_run { MAX_REFOLD } else { new_count.max(1) };
        let mut fresh = app.store.messages(company, contact, limit, None).await?;
        let late = match (fresh.first(), doc.observed_until) {
            (Some(first), Some(until)) => first.timestamp < until,
            _ => false,
        };
        if late {
            // A message older than what was folded arrived: fold the whole conversation again.
            fresh = app.store.messages(company, contact, MAX_REFOLD, None).await?;
            doc.analyzer = Default::default();
        }
        for m in &fresh {
            rt.analyzer.observe(&mut doc.analyzer, m);
        }
        let conv_contact = ConversationContact {
            wa_id: record
                .as_ref()
                .and_then(|r| r.wa_id.clone())
                .and_then(|w| ContactId::parse(w).ok()),
            user_id: record
                .as_ref()
                .and_then(|r| r.user_id.clone())
                .and_then(|w| ContactId::parse(w).ok()),
            profile_name: record.as_ref().and_then(|r| r.profile_name.clone()),
        };
        let mut profile = rt.analyzer.profile(&doc.analyzer, company.as_str(), &conv_contact);
        if let Some(r) = &record {
            profile.history.messages_in = r.messages_in as u32;
            profile.history.messages_out = r.messages_out as u32;
            profile.history.first_seen = r.first_seen;
            profile.history.last_seen = r.last_seen;
            profile.history.last_inbound_at = r.last_inbound;
        }
        profile.contact.assignee = doc.profile.contact.assignee.clone();
        if use_llm && settings.enabled && settings.provider != ProviderKind::Builtin {
            // The window is bounded: at most this many of the newest messages are candidates.
            let cap = (app.settings.service.summary.recent_tokens / 4).clamp(20, 400);
            let candidates = app.store.messages(company, contact, cap, None).await?;
            let cfg = &app.settings.service.summary;
            doc.rolling = overlay_llm(
                LlmEnv {
                    http: &app.http,
                    secrets: &app.secrets,
                    summary: cfg,
                },
                rt,
                &settings,
                doc.rolling.take(),
                &candidates,
                &mut profile,
            )
            .await;
        }
        apply_external(&mut profile, &doc.external);
        restrict_fields(&mut profile, &settings);
        profile.facts = rt.tools.profile_facts(&profile);
        let now = Timestamp::now();
        profile.updated_at = Some(now);
        extend_trail(&doc.profile, &mut profile, now);
        let new_messages = fresh.len();
        doc.observed = if late || first_run {
            fresh.len() as u64
        } else {
            doc.observed + fresh.len() as u64
        };
        doc.observed_until = fresh.iter().map(|m| m.timestamp).max().max(doc.observed_until);
        doc.profile = profile;
        let body = serde_json::to_vec(&doc)?;
        if app.store.put_doc(company, contact, DOC_NAME, version, &body).await? {
            metrics::counter!("dossier_analyses_total", "provider" => doc.profile.provider.clone()).increment(1);
            return Ok(Outcome {
                profile: doc.profile,
                new_messages,
                version: version + 1,
            });
        }
        metrics::counter!("dossier_analysis_conflicts_total").increment(1);
    }
    anyhow::bail!(
        "profile of {} kept changing under {CAS_ATTEMPTS} attempts",
        contact.masked()
    )
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

/// What an LLM call needs from the process: the HTTP client, the secrets (for the key) and the
/// summary budgets. The worker takes them from `App`, the CLI builds its own.
#[derive(Clone, Copy)]
pub struct LlmEnv<'a> {
    pub http: &'a reqwest::Client,
    pub secrets: &'a crate::config::Secrets,
    pub summary: &'a crate::config::SummaryConfig,
}

/// Runs the company's LLM over the rolling summary and the recent window of `candidates` (messages
/// newer than what the rolling summary covers); on any failure the builtin profile stands and says
/// why. Returns the rolling summary to keep.
pub async fn overlay_llm(
    env: LlmEnv<'_>,
    rt: &CompanyRuntime,
    s: &IntelligenceSettings,
    rolling: Option<super::window::RollingSummary>,
    candidates: &[Message],
    profile: &mut Profile,
) -> Option<super::window::RollingSummary> {
    let provider = match llm_provider(env.http, env.secrets, s) {
        Ok(Some(p)) => p,
        Ok(None) => return rolling,
        Err(why) => {
            profile.provider_note = Some(why);
            return rolling;
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
    let input = AnalysisInput {
        company_name: &rt.config.name,
        profile: &baseline,
        summary: (!rolling.text.is_empty()).then_some(rolling.text.as_str()),
        recent,
        stages: &s.stages,
        catalog_models: &catalog_models,
    };
    match provider.extract(&input).await {
        Ok(x) => {
            let ids: HashSet<&str> = recent.iter().map(|m| m.id.as_str()).collect();
            let ok = apply_extraction(profile, &x, &ids, &s.stages);
            profile.provider = provider.name().to_owned();
            if !ok {
                profile.provider_note = Some("the model's answer was partly invalid; kept builtin values there".into());
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, provider = provider.name(), "LLM analysis failed; keeping the builtin profile");
            metrics::counter!("dossier_llm_failures_total", "provider" => provider.name()).increment(1);
            profile.provider_note = Some(format!("{} failed ({e}); builtin analysis shown", provider.name()));
        }
    }
    Some(rolling)
}

fn evidence(ids: &[String], known: &HashSet<&str>) -> Vec<MessageId> {
    ids.iter()
        .filter(|i| known.contains(i.as_str()))
        .filter_map(|i| MessageId::parse(i.clone()).ok())
        .collect()
}

/// Lays a validated extraction over the builtin profile. Values without evidence in the window
/// or outside the allowed vocabularies are ignored. Returns false when something was dropped.
pub fn apply_extraction(p: &mut Profile, x: &Extraction, known: &HashSet<&str>, stages: &[String]) -> bool {
    let mut clean = true;
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
