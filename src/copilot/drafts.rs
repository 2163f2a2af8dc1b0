//! Drafted replies. The builtin drafter fills a minijinja template from `prompts/drafts/`
//! (`{intent}.{lang}.txt.j2`, else `default.{lang}.txt.j2`, else `default.en.txt.j2`) with the
//! profile and the business tools' facts only — so a price or a payment in a draft always comes
//! from a tool result, never from the customer's text.
//!
//! The current draft of a contact is the per-contact doc `draft` ([`Draft`]): its sequence number
//! (carried, signed, by the card's buttons), status, text and the cards that show it. A newer
//! customer message supersedes a pending draft (its cards are updated). Nothing is sent from here:
//! only an agent's Approve ([`super::approve`]) sends.

use super::card::{clip, human};
use super::contact::{display_name, display_phone};
use crate::channels::{mattermost, slack};
use crate::config::{CompanyConfig, IntelligenceSettings};
use crate::state::App;
use anyhow::Context;
use dossier_core::money::format_amount;
use dossier_core::profile::ToolFact;
use dossier_core::{CompanyId, ContactId, Profile};
use jiff::Timestamp;
use minijinja::Environment;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The per-contact doc holding the current draft.
pub const DRAFT_DOC: &str = "draft";
/// Longest draft text kept (WhatsApp allows 4096 characters in a text message).
pub const DRAFT_MAX: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Waiting for an agent.
    Pending,
    /// An agent approved it; the Graph API call is under way (a second click does nothing).
    Sending,
    /// Approved and accepted by WhatsApp (`wamid` set).
    Sent,
    Discarded,
    /// A newer customer message came first.
    Superseded,
}

/// A message in a team chat that shows a draft (so it can be updated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRef {
    /// `slack` or `mattermost`.
    pub platform: String,
    pub channel: String,
    /// Slack message `ts`, or Mattermost post id.
    pub ts: String,
}

/// The `draft` doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Increases with every new draft of this contact; buttons carry it, signed.
    pub seq: u64,
    pub status: DraftStatus,
    pub text: String,
    pub language: String,
    pub intent: String,
    /// The template the text came from.
    pub template: String,
    /// What the agent asked for (`/dossier draft … : instructions`); shown on the card, not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub created_at: Timestamp,
    /// One line about the contact for the card.
    pub context: String,
    #[serde(default)]
    pub cards: Vec<CardRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
    /// The last thing that happened (sent by…, error…, window closed…), shown on the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The 24-hour window was closed at the last attempt: the card offers the template.
    #[serde(default)]
    pub window_closed: bool,
    /// The company's template name, when it has one (offered when the window is closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_offer: Option<String>,
}

/// What a renderer needs to show a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftCard {
    pub company: String,
    pub contact: String,
    pub draft: Draft,
}

impl DraftCard {
    /// Buttons are live only while the draft is pending.
    pub fn actionable(&self) -> bool {
        self.draft.status == DraftStatus::Pending
    }
}

/// Where `prompts/` is: next to the configuration folder (`config/../prompts`), else the source tree.
pub fn prompts_dir(config_dir: &Path) -> PathBuf {
    let beside = config_dir.join("../prompts");
    if beside.join("drafts").is_dir() {
        return beside;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("prompts")
}

fn environment(dir: &Path) -> Arc<Environment<'static>> {
    static ENVS: OnceLock<Mutex<HashMap<PathBuf, Arc<Environment<'static>>>>> = OnceLock::new();
    let mut envs = ENVS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    envs.entry(dir.to_path_buf())
        .or_insert_with(|| {
            let mut env = Environment::new();
            env.set_loader(minijinja::path_loader(dir));
            env.set_auto_reload(false);
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
            Arc::new(env)
        })
        .clone()
}

/// Languages with templates; anything else drafts in English.
fn language(p: &Profile) -> String {
    p.contact
        .language
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_lowercase())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "en".into())
}

/// The values a template may use: profile facts and tool results, nothing from free text.
pub fn template_context(p: &Profile, facts: &[ToolFact]) -> Value {
    let first_name = p
        .contact
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .map(str::to_owned);
    let interest = p
        .leading_interest()
        .map(|i| json!({ "label": i.item, "make": i.make, "model": i.model, "year": i.year }));
    let money = |v: &Value| v.as_str().and_then(|s| s.parse().ok()).map(format_amount);
    let mut stock = Value::Null;
    let mut lowest = Value::Null;
    let mut payment = Value::Null;
    for f in facts {
        match f.tool.as_str() {
            "inventory_search" => {
                stock = json!({
                    "count": f.data["total"],
                    "items": f.data["items"].as_array().map(|a| a.iter().take(3).map(|i| json!({
                        "year": i["year"], "trim": i["trim"], "branch": i["branch"],
                        "price": money(&i["price"]), "currency": i["currency"],
                    })).collect::<Vec<_>>()),
                })
            }
            "lowest_price" => {
                let l = &f.data["lowest"];
                if l.is_object() {
                    lowest = json!({
                        "price": money(&l["price"]), "currency": l["currency"], "year": l["year"],
                        "trim": l["trim"], "branch": l["branch"],
                    });
                }
            }
            "finance_payment" => {
                payment = json!({
                    "monthly": money(&f.data["monthly_payment"]),
                    "currency": f.data["currency"],
                    "term_months": f.data["term_months"],
                    "apr": f.data["apr"],
                    "apr_assumed": f.data["apr_source"] == "assumed",
                    "down": money(&f.data["down_payment"]),
                })
            }
            _ => {}
        }
    }
    json!({
        "name": first_name,
        "language": language(p),
        "intent": p.intent.as_ref().map(|i| i.value.clone()),
        "stage": p.stage.as_ref().map(|s| s.value.clone()),
        "interest": interest,
        "financing": p.financing.as_ref().map(|f| f.interested),
        "trade_in": p.trade_in.as_ref().map(|t| t.has),
        "test_drive": p.intent.as_ref().is_some_and(|i| i.value == "test_drive"),
        "stock": stock,
        "lowest": lowest,
        "payment": payment,
    })
}

/// Composes a draft text: returns `(text, language, intent, template name)`.
pub fn compose(prompts: &Path, p: &Profile, facts: &[ToolFact]) -> anyhow::Result<(String, String, String, String)> {
    let env = environment(prompts);
    let lang = language(p);
    let intent = p
        .intent
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| "other".into());
    let candidates = [
        format!("drafts/{intent}.{lang}.txt.j2"),
        format!("drafts/default.{lang}.txt.j2"),
        "drafts/default.en.txt.j2".to_owned(),
    ];
    let ctx = minijinja::Value::from(minijinja::value::Serde(template_context(p, facts)));
    for name in &candidates {
        match env.get_template(name) {
            Ok(t) => {
                let text = t.render(ctx.clone()).with_context(|| format!("rendering {name}"))?;
                let used_lang = name.rsplit('.').nth(2).unwrap_or("en").to_owned();
                return Ok((tidy(&text), used_lang, intent, name.clone()));
            }
            Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("loading {name}"))),
        }
    }
    anyhow::bail!(
        "no draft template in {} (need drafts/default.en.txt.j2)",
        prompts.display()
    )
}

/// Trims lines, keeps at most one blank line between paragraphs, caps the length.
fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    clip(&out.join("\n"), DRAFT_MAX)
}

/// The card's one-line context: name, phone, stage, interest, intent.
pub fn context_line(p: &Profile, record: Option<&crate::store::ContactRecord>, contact: &ContactId) -> String {
    let mut parts = vec![
        display_name(record, Some(p)).unwrap_or_else(|| "Unknown name".into()),
        display_phone(contact),
    ];
    if let Some(s) = &p.stage {
        parts.push(human(&s.value));
    }
    if let Some(i) = p.leading_interest() {
        parts.push(i.item.clone());
    }
    if let Some(i) = &p.intent {
        parts.push(format!("asks about {}", human(&i.value).to_lowercase()));
    }
    parts.join(" · ")
}

/// The current draft and its doc version.
pub async fn load(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Option<(u64, Draft)>> {
    match app.store.doc(company, contact, DRAFT_DOC).await? {
        Some(doc) => Ok(Some((
            doc.version,
            serde_json::from_slice(&doc.body).context("draft doc")?,
        ))),
        None => Ok(None),
    }
}

/// Writes the draft if the doc is still at `expected`.
pub async fn save(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    expected: u64,
    d: &Draft,
) -> anyhow::Result<bool> {
    Ok(app
        .store
        .put_doc(company, contact, DRAFT_DOC, expected, &serde_json::to_vec(d)?)
        .await?)
}

/// Changes the current draft with `f` (compare-and-set, retried); returns the draft as written.
/// `f` returns `false` to leave it alone (then `None`).
pub async fn modify(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    mut f: impl FnMut(&mut Draft) -> bool,
) -> anyhow::Result<Option<Draft>> {
    for _ in 0..8 {
        let Some((v, mut d)) = load(app, company, contact).await? else {
            return Ok(None);
        };
        if !f(&mut d) {
            return Ok(None);
        }
        if save(app, company, contact, v, &d).await? {
            return Ok(Some(d));
        }
    }
    anyhow::bail!("the draft kept changing under us")
}

/// The company's Customer Intelligence settings: the stored override, else the file's.
pub async fn intelligence(app: &App, config: &CompanyConfig, company: &CompanyId) -> IntelligenceSettings {
    match app.store.settings(company).await {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|_| config.intelligence.clone()),
        _ => config.intelligence.clone(),
    }
}

/// Re-renders every card that shows `draft` (after a status change).
pub async fn update_cards(app: &App, company: &CompanyId, contact: &ContactId, draft: &Draft) {
    let Some(rt) = app.companies.get(company.as_str()) else {
        return;
    };
    let card = DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft: draft.clone(),
    };
    for c in &draft.cards {
        let result = match c.platform.as_str() {
            "slack" => slack::client::update_draft_card(app, &rt.config, &c.channel, &c.ts, &card)
                .await
                .map_err(anyhow::Error::from),
            "mattermost" => mattermost::client::update_draft_post(app, &rt.config, &c.ts, &card).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(company = %company, contact = %contact.masked(), platform = %c.platform, error = %e, "could not update a draft card");
        }
    }
}

/// Builds a new pending draft for `contact` (superseding the current one, whose cards are updated)
/// and stores it. Returns it; the caller posts it.
/// Drafts with the company's LLM: it sees the profile, the rolling window of recent messages and
/// the business tools; prices and payments can only come from the tool calls it makes.
async fn llm_draft(
    app: &App,
    rt: &crate::companies::CompanyRuntime,
    settings: &crate::config::IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    profile: &Profile,
    instructions: Option<&str>,
) -> anyhow::Result<(String, String)> {
    use crate::analysis::{AnalysisInput, ToolSpec};
    let provider = crate::analysis::pipeline::llm_provider(&app.http, &app.secrets, settings)
        .map_err(anyhow::Error::msg)?
        .context("no LLM provider configured")?;
    let cfg = &app.settings.service.summary;
    let cap = (cfg.recent_tokens / 4).clamp(20, 400);
    let messages = app.store.messages(company, contact, cap, None).await?;
    let (_, recent) = crate::analysis::window::select_recent(&messages, cfg.recent_tokens);
    let models: Vec<String> = rt
        .catalog
        .models()
        .into_iter()
        .map(|(m, o)| format!("{m} {o}"))
        .collect();
    let input = AnalysisInput {
        company_name: &rt.config.name,
        profile,
        summary: profile.summary.as_deref(),
        recent,
        stages: &settings.stages,
        catalog_models: &models,
    };
    let tools: Vec<ToolSpec> = dossier_tools::definitions()
        .into_iter()
        .map(|d| ToolSpec {
            name: d.name.to_string(),
            description: d.description.to_string(),
            parameters: d.parameters,
        })
        .collect();
    let run_tool = |name: &str, args: serde_json::Value| -> Result<serde_json::Value, String> {
        rt.tools.call(name, args, Some(profile)).map_err(|e| e.to_string())
    };
    let text = provider.draft(&input, instructions, &tools, &run_tool).await?;
    let text = text.trim();
    anyhow::ensure!(!text.is_empty(), "the model drafted nothing");
    Ok((clip(text, DRAFT_MAX), format!("llm:{}", provider.name())))
}

async fn new_draft(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    profile: &Profile,
    instructions: Option<&str>,
) -> anyhow::Result<Draft> {
    let rt = app
        .companies
        .get(company.as_str())
        .with_context(|| format!("unknown company {company}"))?;
    let facts = if profile.facts.is_empty() {
        super::tools_for(app, company)
            .map(|t| t.profile_facts(profile))
            .unwrap_or_default()
    } else {
        profile.facts.clone()
    };
    let prompts = prompts_dir(&app.settings.dir);
    let (mut text, language, intent, mut template) = compose(&prompts, profile, &facts)?;
    let settings = intelligence(app, &rt.config, company).await;
    if settings.provider != crate::config::ProviderKind::Builtin {
        match llm_draft(app, &rt, &settings, company, contact, profile, instructions).await {
            Ok((t, name)) => {
                text = t;
                template = name;
            }
            // The builtin draft stands; the agent still gets a reply to approve.
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "LLM draft failed; using the template draft"),
        }
    }
    let record = app.store.contact(company, contact).await?;
    for _ in 0..8 {
        let current = load(app, company, contact).await?;
        let (mut expected, seq) = match &current {
            Some((v, d)) => (*v, d.seq + 1),
            None => (0, 1),
        };
        if let Some((v, old)) = &current
            && old.status == DraftStatus::Pending
        {
            let mut old = old.clone();
            old.status = DraftStatus::Superseded;
            old.note = Some("Superseded by a newer draft.".into());
            if !save(app, company, contact, *v, &old).await? {
                continue;
            }
            update_cards(app, company, contact, &old).await;
            expected = v + 1;
        }
        let draft = fresh(
            seq,
            &text,
            &language,
            &intent,
            &template,
            instructions,
            profile,
            record.as_ref(),
            contact,
            &rt.config,
        );
        if save(app, company, contact, expected, &draft).await? {
            return Ok(draft);
        }
    }
    anyhow::bail!("the draft kept changing under us")
}

#[allow(clippy::too_many_arguments)]
fn fresh(
    seq: u64,
    text: &str,
    language: &str,
    intent: &str,
    template: &str,
    instructions: Option<&str>,
    profile: &Profile,
    record: Option<&crate::store::ContactRecord>,
    contact: &ContactId,
    config: &CompanyConfig,
) -> Draft {
    Draft {
        seq,
        status: DraftStatus::Pending,
        text: text.to_owned(),
        language: language.to_owned(),
        intent: intent.to_owned(),
        template: template.to_owned(),
        instructions: instructions.map(str::to_owned),
        created_at: Timestamp::now(),
        context: context_line(profile, record, contact),
        cards: Vec::new(),
        wamid: None,
        note: None,
        window_closed: false,
        template_offer: config.whatsapp.template.as_ref().map(|t| t.name.clone()),
    }
}

/// `/dossier draft <contact>`: a draft shown to the asking agent (not posted to the drafts channel).
pub async fn draft_on_demand(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    instructions: Option<&str>,
) -> anyhow::Result<DraftCard> {
    let profile = super::load_profile(app, company, contact)
        .await?
        .unwrap_or_else(|| Profile::empty(company.as_str(), Some(contact.as_str())));
    let draft = new_draft(app, company, contact, &profile, instructions).await?;
    Ok(DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft,
    })
}

/// Called by the worker after each analysis of a new customer message: when the company drafts
/// automatically, supersedes the unsent draft (updating its card), composes a new one and posts
/// its card to the company's drafts channel(s).
#[tracing::instrument(skip_all, fields(company = %company, contact = %contact.masked()))]
pub async fn on_analyzed(
    app: &crate::state::AppState,
    company: &CompanyId,
    contact: &ContactId,
    profile: &Profile,
) -> anyhow::Result<()> {
    let Some(rt) = app.companies.get(company.as_str()) else {
        return Ok(());
    };
    let settings = intelligence(app, &rt.config, company).await;
    if !settings.enabled || !settings.auto_draft {
        return Ok(());
    }
    let slack_channel = rt.config.slack.as_ref().and_then(|s| s.drafts_channel.clone());
    let mm_channel = rt.config.mattermost.as_ref().and_then(|m| m.drafts_channel.clone());
    if slack_channel.is_none() && mm_channel.is_none() {
        return Ok(());
    }
    let draft = new_draft(app, company, contact, profile, None).await?;
    let card = DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft: draft.clone(),
    };
    let mut cards = Vec::new();
    if let Some(ch) = slack_channel {
        match slack::client::post_draft_card(app, &rt.config, &ch, &card).await {
            Ok(Some(r)) => cards.push(r),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not post the draft card to Slack"),
        }
    }
    if let Some(ch) = mm_channel {
        match mattermost::client::post_draft(app, &rt.config, &ch, &card).await {
            Ok(Some(r)) => cards.push(r),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not post the draft card to Mattermost"),
        }
    }
    if !cards.is_empty() {
        let seq = draft.seq;
        let written = modify(app, company, contact, |d| {
            if d.seq != seq {
                return false;
            }
            d.cards.extend(cards.iter().cloned());
            true
        })
        .await?;
        // A newer draft won the race: this card is already out of date.
        if written.is_none() {
            let mut stale = draft;
            stale.status = DraftStatus::Superseded;
            stale.cards = cards;
            update_cards(app, company, contact, &stale).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompts() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("prompts")
    }

    fn facts() -> Vec<ToolFact> {
        vec![
            ToolFact {
                tool: "inventory_search".into(),
                text: "3 Toyota Corolla in stock".into(),
                data: json!({"total": 3, "items": [{"year": 2022, "trim": "LE", "branch": "Northside", "price": "20900.00", "currency": "USD"}]}),
            },
            ToolFact {
                tool: "lowest_price".into(),
                text: "Lowest".into(),
                data: json!({"found": true, "lowest": {"year": 2022, "trim": "LE", "branch": "Northside", "price": "20900.00", "currency": "USD"}}),
            },
            ToolFact {
                tool: "finance_payment".into(),
                text: "Estimated".into(),
                data: json!({"monthly_payment": "314.52", "currency": "USD", "term_months": 60, "apr": "6.9", "apr_source": "rate_table", "down_payment": "5000.00"}),
            },
        ]
    }

    #[test]
    fn spanish_financing_draft_uses_tool_numbers_only() {
        let (p, _) = super::super::card::tests::sample();
        let (text, lang, intent, template) = compose(&prompts(), &p, &facts()).unwrap();
        assert_eq!((lang.as_str(), intent.as_str()), ("es", "financing"));
        assert_eq!(template, "drafts/financing.es.txt.j2");
        assert!(text.contains("314.52"), "{text}");
        insta::assert_snapshot!("draft_financing_es", text);
    }

    #[test]
    fn falls_back_to_default_then_english() {
        let (mut p, _) = super::super::card::tests::sample();
        p.intent = None;
        p.contact.language = Some("pt-BR".into());
        let (text, lang, _, template) = compose(&prompts(), &p, &facts()).unwrap();
        assert_eq!((lang.as_str(), template.as_str()), ("pt", "drafts/default.pt.txt.j2"));
        insta::assert_snapshot!("draft_default_pt", text);
        p.contact.language = Some("xx".into());
        p.contact.name = None;
        let (text, lang, _, template) = compose(&prompts(), &p, &[]).unwrap();
        assert_eq!((lang.as_str(), template.as_str()), ("en", "drafts/default.en.txt.j2"));
        insta::assert_snapshot!("draft_default_en_no_facts", text);
    }

    #[test]
    fn tidy_collapses_blank_lines() {
        assert_eq!(tidy("  a \n\n\n b\n\n"), "a\n\nb");
    }
}
