//! `dossier demo`: the whole flow on the bundled sample data, with nothing installed and no
//! network. Starts the real service in-process on a free loopback port with the embedded store,
//! replays every sample conversation (customer messages as signed WhatsApp webhooks, business
//! messages through the ingestion API), waits for the analysis worker, and prints what agents
//! would see: the smart profiles, a profile card asked for with a signed Slack slash command, and
//! the reply drafted for the customer's latest message.

use super::CliError;
use crate::channels::whatsapp::payload::envelope_for;
use crate::channels::whatsapp::signature::sign;
use crate::config::{Secrets, Settings};
use crate::startup::{Application, build_state};
use crate::state::AppState;
use crate::store::memory::MemoryStore;
use crate::store::{SnapshotRequest, Store};
use dossier_core::money::format_amount;
use dossier_core::profile::BudgetPeriod;
use dossier_core::{CompanyId, ContactId, Conversation, Profile};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder of conversation files to replay.
    #[arg(long, default_value = "data/conversations")]
    pub conversations: PathBuf,
    /// Print the stored conversation of the first N contacts.
    #[arg(long, default_value_t = 1)]
    pub show: usize,
    /// Whose card and draft to show (conversation file name prefix).
    #[arg(long, default_value = "006")]
    pub card: String,
}

const DEMO_COMPANY: &str = "demo-motors";

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::failure(e.to_string())
}

pub async fn run(dir: &Path, args: DemoArgs) -> Result<(), CliError> {
    crate::telemetry::init_logs_at(false, "warn");
    let mut settings = Settings::load(dir)?;
    settings.listen = "127.0.0.1:0".parse().map_err(fail)?;
    settings.service.worker.enabled = true;
    let company = settings
        .companies
        .get(DEMO_COMPANY)
        .cloned()
        .ok_or_else(|| CliError::bad_input(format!("{}: no companies/{DEMO_COMPANY}.toml", dir.display())))?;
    let pnid = company.whatsapp.phone_number_ids.first().cloned().ok_or_else(|| {
        CliError::bad_input(format!(
            "companies/{DEMO_COMPANY}.toml: `whatsapp.phone_number_ids` is empty"
        ))
    })?;
    let team = company.slack.as_ref().map(|s| s.team_id.clone()).unwrap_or_default();
    // Fresh secrets for this run only: the demo signs its own requests like Meta and Slack would.
    let app_secret = uuid::Uuid::new_v4().to_string();
    let admin = uuid::Uuid::new_v4().to_string();
    let slack_secret = uuid::Uuid::new_v4().to_string();
    let secrets = Secrets::explicit([
        ("WHATSAPP_APP_SECRET".to_owned(), app_secret.clone()),
        ("WHATSAPP_VERIFY_TOKEN".to_owned(), uuid::Uuid::new_v4().to_string()),
        ("DOSSIER_ADMIN_TOKEN".to_owned(), admin.clone()),
        ("SLACK_SIGNING_SECRET".to_owned(), slack_secret.clone()),
    ]);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(settings.service.whatsapp.dedupe_ttl_secs));
    let state = build_state(settings, secrets, store.clone()).await?;
    let app = Application::build(state.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let conversations = load_conversations(&args.conversations)?;
    out!(
        "dossier demo: {} sample conversations, service on {base} (embedded store, offline analyzer, no network)\n",
        conversations.len()
    );
    let client = reqwest::Client::new();
    let (mut webhooks, mut api) = (0usize, 0usize);
    for (_, conv) in &conversations {
        let Some(wa_id) = conv.contact.key().cloned() else {
            continue;
        };
        let name = conv.contact.profile_name.as_deref();
        for m in &conv.messages {
            let resp = if m.is_inbound() {
                webhooks += 1;
                let body = serde_json::to_vec(&envelope_for(&pnid, wa_id.as_str(), name, m)).map_err(fail)?;
                client
                    .post(format!("{base}/webhooks/whatsapp"))
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sign(app_secret.as_bytes(), &body))
                    .body(body)
                    .send()
                    .await
            } else {
                api += 1;
                client
                    .post(format!("{base}/v1/companies/{DEMO_COMPANY}/messages"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({ "contact": conv.contact, "message": m }))
                    .send()
                    .await
            };
            let resp = resp.map_err(fail)?;
            if !resp.status().is_success() {
                return Err(fail(format!(
                    "the service answered {} to a replayed message",
                    resp.status()
                )));
            }
        }
    }
    out!(
        "replayed {webhooks} customer messages as signed WhatsApp webhooks and {api} agent messages through the API\n"
    );

    let company_id = CompanyId::parse(DEMO_COMPANY).map_err(fail)?;
    for (file, conv) in conversations.iter().take(args.show) {
        let Some(contact) = conv.contact.key() else { continue };
        let stored = store.messages(&company_id, contact, 1000, None).await.map_err(fail)?;
        out!("STORED CONVERSATION {file} ({} messages, oldest first):", stored.len());
        for m in &stored {
            let who = if m.is_inbound() { "customer" } else { "agent   " };
            let text = m
                .text
                .clone()
                .unwrap_or_else(|| format!("[{}]", m.kind.as_deref().unwrap_or("message")));
            out!(
                "   {} {who}  {}",
                m.timestamp.strftime("%m-%d %H:%M"),
                truncate(&text, 100)
            );
        }
        out!("");
    }

    let contacts: Vec<(String, ContactId)> = conversations
        .iter()
        .filter_map(|(f, c)| c.contact.key().map(|k| (f.clone(), k.clone())))
        .collect();
    let waited = Instant::now();
    wait_for_analysis(&state, &company_id, &contacts).await?;
    out!(
        "SMART PROFILES (the analysis worker folded every message within {} ms)\n",
        waited.elapsed().as_millis()
    );
    for (file, contact) in &contacts {
        if let Some(p) = crate::analysis::pipeline::read_profile(&state, &company_id, contact)
            .await
            .map_err(fail)?
        {
            out!("{}\n", compact_profile(file, contact, &p));
        }
    }

    // What an agent sees: the card through a real signed slash command, then the auto-draft.
    let Some((file, contact)) = contacts
        .iter()
        .find(|(f, _)| f.starts_with(&args.card))
        .or(contacts.first())
    else {
        return Ok(());
    };
    let form = format!(
        "token=demo&team_id={team}&team_domain=demo&channel_id=C0DEMO&channel_name=sales&user_id=U0DEMO\
         &user_name=agent&command=%2Fdossier&text=profile+{contact}&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fnone\
         &trigger_id=1.2.3"
    );
    let ts = jiff::Timestamp::now().as_second().to_string();
    let signature = crate::channels::slack::signature::sign(slack_secret.as_bytes(), &ts, form.as_bytes());
    let started = Instant::now();
    let resp = client
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &ts)
        .header("x-slack-signature", signature)
        .body(form)
        .send()
        .await
        .map_err(fail)?;
    let status = resp.status();
    let answer: serde_json::Value = resp.json().await.map_err(fail)?;
    out!(
        "TEAM CHAT: an agent types `/dossier profile +{contact}` in Slack ({file}). dossier answered {status} in {} ms \
         with a {}-block card, shown here as text:\n",
        started.elapsed().as_millis(),
        answer["blocks"].as_array().map_or(0, Vec::len)
    );
    if let Some(p) = crate::analysis::pipeline::read_profile(&state, &company_id, contact)
        .await
        .map_err(fail)?
    {
        let record = store.contact(&company_id, contact).await.map_err(fail)?;
        let evidence = crate::copilot::profile_evidence(&p);
        let messages = store
            .messages_by_id(&company_id, contact, &evidence)
            .await
            .map_err(fail)?;
        let card =
            crate::copilot::card::ProfileCard::build(&company_id, contact, &p, record.as_ref(), &messages, &p.facts);
        out!("{}", indent(&card.to_text(true)));
    }
    // Drafts are their own jobs, after the analysis: give them a moment. One conversation in
    // each language the composer writes, each with its meaning in the agents' language.
    let mut shown = vec![(file.clone(), contact.clone())];
    for lang in ["es", "pt", "ar"] {
        for (f, c) in &contacts {
            let p = crate::analysis::pipeline::read_profile(&state, &company_id, c)
                .await
                .map_err(fail)?;
            if p.and_then(|p| p.contact.language).as_deref() == Some(lang) {
                shown.push((f.clone(), c.clone()));
                break;
            }
        }
    }
    for (file, contact) in &shown {
        print_draft(&state, &company_id, contact, file).await?;
    }
    shutdown.cancel();
    let _ = server.await;
    Ok(())
}

/// Prints the reply drafted for `contact`'s latest message, waiting a moment for its draft job.
async fn print_draft(state: &AppState, company: &CompanyId, contact: &ContactId, file: &str) -> Result<(), CliError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut draft = None;
    while draft.is_none() && Instant::now() < deadline {
        draft = crate::copilot::drafts::load(state, company, contact)
            .await
            .map_err(fail)?;
        if draft.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let Some((_, d)) = draft else {
        out!("(no draft for {file}: auto-draft is off for this company)\n");
        return Ok(());
    };
    out!(
        "DRAFTED REPLY ({file}, in {}) to the customer's latest message (posted to the drafts channel; nothing is sent until an agent approves):",
        d.language
    );
    out!("   {}", d.context);
    for line in d.text.lines() {
        out!("   │ {line}");
    }
    if let Some(g) = &d.gloss {
        out!("   In your language:");
        for line in g.lines().filter(|l| !l.trim().is_empty()) {
            out!("   ┆ {line}");
        }
    }
    let asks = if d.asks.is_empty() {
        String::new()
    } else {
        format!(", asks for {}", d.asks.join(", "))
    };
    out!(
        "   [Approve & send]  [Edit]  [Discard]  [👍] [👎]      {} · template {}{asks}\n",
        d.intent,
        d.template
    );
    Ok(())
}

/// Waits until the worker has folded every stored message of every contact into its profile.
async fn wait_for_analysis(
    state: &AppState,
    company: &CompanyId,
    contacts: &[(String, ContactId)],
) -> Result<(), CliError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut done = 0;
        for (_, c) in contacts {
            let snap = state
                .store
                .snapshot(company, c, SnapshotRequest::document_only())
                .await
                .map_err(fail)?;
            if snap.stored > 0 && snap.folded >= snap.stored {
                done += 1;
            }
        }
        if done == contacts.len() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(fail(format!(
                "the worker analysed {done} of {} contacts within 60 s",
                contacts.len()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn label<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A few lines per contact: who, where in the pipeline, what they want, what to do next.
fn compact_profile(file: &str, contact: &ContactId, p: &Profile) -> String {
    let name = p.contact.name.clone().unwrap_or_else(|| "(no name)".into());
    let lang = p.contact.language.clone().unwrap_or_else(|| "?".into());
    let stage = p.stage.as_ref().map_or("?".to_owned(), |s| s.value.clone());
    let intent = p.intent.as_ref().map_or("?".to_owned(), |s| s.value.clone());
    let interests: Vec<String> = p.interests.iter().map(|i| format!("{} {}", i.make, i.model)).collect();
    let mut facts = Vec::new();
    if let Some(b) = &p.budget {
        let per = if b.period == BudgetPeriod::Monthly { "/mo" } else { "" };
        facts.push(format!("budget {} {}{per}", format_amount(b.amount), b.currency));
    }
    if p.financing.as_ref().is_some_and(|f| f.interested) {
        facts.push("financing".into());
    }
    if p.trade_in.as_ref().is_some_and(|t| t.has) {
        facts.push("trade-in".into());
    }
    if let Some(u) = p.urgency {
        facts.push(format!("urgency {}", label(&u)));
    }
    if let Some(s) = p.sentiment {
        facts.push(label(&s));
    }
    if p.returning {
        facts.push("returning".into());
    }
    let wants = if interests.is_empty() {
        "-".to_owned()
    } else {
        interests.join(", ")
    };
    let mut out = format!(
        "{file} {} {name} [{lang}]  stage {stage} · intent {intent} · wants {wants}\n   {}",
        contact.masked(),
        facts.join(" · ")
    );
    if let Some(f) = p.facts.first() {
        out.push_str(&format!("\n   fact: {}", truncate(&f.text, 110)));
    }
    if let Some(a) = &p.next_best_action {
        out.push_str(&format!("\n   next: {}", truncate(a, 110)));
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}

/// Reads every `*.json` conversation (not `*.labels.json`) in `dir`, sorted by file name.
pub fn load_conversations(dir: &Path) -> Result<Vec<(String, Conversation)>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CliError::bad_input(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".labels.json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).map_err(|e| CliError::bad_input(format!("{}: {e}", f.display())))?;
        let conv = Conversation::from_json(&bytes)
            .map_err(|e| CliError::bad_input(format!("{}: not a conversation file: {e}", f.display())))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, conv));
    }
    Ok(out)
}

fn truncate(s: &str, n: usize) -> String {
    let one_line = s.replace('\n', " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}
