//! How a draft lives: composed when a reply is due (the draft job) or asked for (`/dossier
//! draft`), superseding the pending one, posted to the company's drafts channels and kept up to
//! date there through the team-chat port.

use super::{Draft, DraftCard, DraftStatus, compose, context_line, llm, load, modify, outcomes, save};
use crate::analysis::doc::ProfileDoc;
use crate::companies::CompanyRuntime;
use crate::config::{IntelligenceSettings, ProviderKind};
use crate::state::App;
use crate::store::{ContactRecord, SnapshotRequest};
use dossier_core::{CompanyId, ContactId, Message, Profile};
use jiff::Timestamp;

/// The newest messages a draft may look at (an LLM drafter's window; the builtin reads the last).
const RECENT: usize = 40;

/// What a draft is composed from, read once.
struct Inputs {
    profile: Profile,
    record: Option<ContactRecord>,
    recent: Vec<Message>,
    draft_due: Option<u64>,
}

async fn inputs(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Inputs> {
    let snap = app
        .store
        .snapshot(
            company,
            contact,
            SnapshotRequest {
                recent: RECENT,
                ..SnapshotRequest::document_only()
            },
        )
        .await?;
    let doc = snap
        .profile
        .as_ref()
        .and_then(|d| serde_json::from_slice::<ProfileDoc>(&d.body).ok());
    Ok(Inputs {
        profile: doc
            .as_ref()
            .map(|d| d.profile.clone())
            .unwrap_or_else(|| Profile::empty(company.as_str(), Some(contact.as_str()))),
        draft_due: doc.and_then(|d| d.draft_due),
        record: snap.record,
        recent: snap.recent,
    })
}

/// The draft job: a reply is due for the customer message at position `pos`. Stale when a newer
/// customer message made another draft due (that job composes it); done already when the
/// current draft is for `pos` (a redelivered job) — then only its cards are made sure of.
pub async fn on_draft_due(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    pos: u64,
) -> anyhow::Result<()> {
    if !settings.enabled || !settings.auto_draft {
        return Ok(());
    }
    let inputs = inputs(app, company, contact).await?;
    if inputs.draft_due != Some(pos) {
        metrics::counter!("dossier_drafts_total", "outcome" => "stale").increment(1);
        return Ok(());
    }
    let draft = match load(app, company, contact).await? {
        Some((_, d)) if d.for_pos == Some(pos) => d,
        _ => new_draft(app, rt, settings, company, contact, &inputs, None, Some(pos)).await?,
    };
    if draft.cards.is_empty() && draft.status == DraftStatus::Pending {
        post_cards(app, rt, company, contact, draft).await?;
    }
    Ok(())
}

/// `/dossier draft`: a draft shown to the asking agent (not posted to the drafts channel).
pub async fn draft_on_demand(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    instructions: Option<&str>,
) -> anyhow::Result<DraftCard> {
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| anyhow::anyhow!("unknown company {company}"))?;
    let settings = crate::analysis::pipeline::effective_settings(app, company).await?;
    let inputs = inputs(app, company, contact).await?;
    let draft = new_draft(app, &rt, &settings, company, contact, &inputs, instructions, None).await?;
    Ok(DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft,
    })
}

/// Composes a new pending draft (the company's LLM when it has one, the builtin composer as the
/// fallback), supersedes the current pending one (updating its cards) and stores the new one.
#[allow(clippy::too_many_arguments)]
async fn new_draft(
    app: &App,
    rt: &CompanyRuntime,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    inputs: &Inputs,
    instructions: Option<&str>,
    for_pos: Option<u64>,
) -> anyhow::Result<Draft> {
    let profile = &inputs.profile;
    let agent = compose::agent_language(Some(&rt.config.copilot.agent_language));
    let mut draft = compose::compose(&app.templates, &rt.tools, profile, &inputs.recent, &rt.config, &agent)?;
    if settings.provider != ProviderKind::Builtin {
        let llm = llm::llm_draft(app.llm_env(), rt, settings, profile, &inputs.recent, instructions).await;
        draft = compose::prefer_llm(draft, llm, settings.provider.as_str(), profile, &inputs.recent);
    }
    let extras = extras(app, rt, company, contact, inputs.record.as_ref()).await;
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
            outcomes::record(app, company, &old, outcomes::Outcome::Superseded).await;
            update_cards(app, company, contact, &old).await;
            expected = v + 1;
        }
        let new = Draft {
            seq,
            status: DraftStatus::Pending,
            text: draft.text.clone(),
            language: draft.language.clone(),
            intent: draft.intent.clone(),
            template: draft.template.clone(),
            instructions: instructions.map(str::to_owned),
            created_at: Timestamp::now(),
            context: context_line(profile, inputs.record.as_ref(), contact),
            cards: Vec::new(),
            wamid: None,
            note: None,
            window_closed: false,
            template_offer: extras.template_offer.clone(),
            for_pos,
            gloss: (!draft.gloss.is_empty() && draft.gloss != draft.text).then(|| draft.gloss.clone()),
            asks: draft.asks.clone(),
            set_aside: draft.note.clone(),
            held_by: extras.held_by.clone(),
            hand_back_to: None,
            cost: Some(extras.cost.clone()),
            template_blocked: extras.template_blocked.clone(),
        };
        if save(app, company, contact, expected, &new).await? {
            metrics::counter!("dossier_drafts_total", "outcome" => "drafted").increment(1);
            return Ok(new);
        }
    }
    anyhow::bail!("the draft kept changing under us")
}

/// What a new draft's card says beyond the text: who handles the conversation, what approving
/// costs, and which template may be offered (and why not).
struct Extras {
    held_by: Option<String>,
    cost: String,
    template_offer: Option<String>,
    template_blocked: Option<String>,
}

async fn extras(
    app: &App,
    rt: &CompanyRuntime,
    company: &CompanyId,
    contact: &ContactId,
    record: Option<&ContactRecord>,
) -> Extras {
    let held_by = match crate::copilot::thread::load(app, company, contact).await {
        Ok(t) => t.and_then(|t| t.held_by()),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the thread state");
            None
        }
    };
    let service = crate::config::MessageCategory::Service;
    let estimate = crate::copilot::cost::estimate(&rt.config.whatsapp.rates, service, contact, record);
    let (template_offer, template_blocked) = match &rt.config.whatsapp.template {
        Some(t) => {
            let category = crate::copilot::templates::category(app, company, t).await;
            match crate::copilot::templates::blocked(category, contact, record) {
                Some(why) => (None, Some(format!("Template `{}` is not offered: {why}", t.name))),
                None => (Some(t.name.clone()), None),
            }
        }
        None => (None, None),
    };
    Extras {
        held_by,
        cost: crate::copilot::cost::card_line(estimate.as_ref(), service),
        template_offer,
        template_blocked,
    }
}

/// Posts the draft's card to every drafts channel of the company and records where.
async fn post_cards(
    app: &App,
    rt: &CompanyRuntime,
    company: &CompanyId,
    contact: &ContactId,
    draft: Draft,
) -> anyhow::Result<()> {
    let card = DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft: draft.clone(),
    };
    let mut cards = Vec::new();
    for binding in rt.chats() {
        let Some(ch) = &binding.drafts_channel else { continue };
        match binding.chat.post_draft(ch, &card).await {
            Ok(Some(r)) => cards.push(r),
            Ok(None) => {}
            Err(e) => tracing::warn!(chat = binding.chat.kind().as_str(), error = %e, "could not post the draft card"),
        }
    }
    if cards.is_empty() {
        return Ok(());
    }
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
    Ok(())
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
    for at in &draft.cards {
        let Some(chat) = rt.chat(at.chat) else { continue };
        if let Err(e) = chat.update_draft(at, &card).await {
            tracing::warn!(company = %company, contact = %contact.masked(), chat = at.chat.as_str(), error = %e, "could not update a draft card");
        }
    }
}
