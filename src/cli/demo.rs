//! `dossier demo`: the whole flow on the bundled sample data, with nothing installed and no
//! network. Starts the real service in-process on a free loopback port with the embedded store,
//! replays every sample conversation (customer messages as signed WhatsApp webhooks, business
//! messages through the ingestion API), and prints what agents would see.

use super::CliError;
use crate::channels::whatsapp::payload::envelope_for;
use crate::channels::whatsapp::signature::sign;
use crate::config::{Secrets, Settings};
use crate::startup::{Application, build_state};
use crate::store::Store;
use crate::store::memory::MemoryStore;
use dossier_core::{CompanyId, ContactId, Conversation};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder of conversation files to replay.
    #[arg(long, default_value = "data/conversations")]
    pub conversations: PathBuf,
    /// Print only the first N contacts in full.
    #[arg(long, default_value_t = 3)]
    pub show: usize,
}

const DEMO_COMPANY: &str = "demo-motors";

pub async fn run(dir: &Path, args: DemoArgs) -> Result<(), CliError> {
    crate::telemetry::init_logs(false);
    let mut settings = Settings::load(dir)?;
    settings.listen = "127.0.0.1:0"
        .parse()
        .map_err(|_| CliError::failure("bad demo address"))?;
    let company = settings
        .companies
        .get(DEMO_COMPANY)
        .cloned()
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "{}: no companies/{DEMO_COMPANY}.toml",
                dir.display()
            ))
        })?;
    let pnid = company
        .whatsapp
        .phone_number_ids
        .first()
        .cloned()
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "companies/{DEMO_COMPANY}.toml: `whatsapp.phone_number_ids` is empty"
            ))
        })?;
    let app_secret = uuid::Uuid::new_v4().to_string();
    let admin = uuid::Uuid::new_v4().to_string();
    let secrets = Secrets::explicit([
        ("WHATSAPP_APP_SECRET".to_owned(), app_secret.clone()),
        (
            "WHATSAPP_VERIFY_TOKEN".to_owned(),
            uuid::Uuid::new_v4().to_string(),
        ),
        ("DOSSIER_ADMIN_TOKEN".to_owned(), admin.clone()),
    ]);
    let store: Arc<dyn Store> =
        Arc::new(MemoryStore::new(settings.service.whatsapp.dedupe_ttl_secs));
    let state = build_state(settings, secrets, store.clone()).await?;
    let app = Application::build(state.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let conversations = load_conversations(&args.conversations)?;
    println!(
        "dossier demo: {} sample conversations, service on {base} (embedded store, offline analyzer)\n",
        conversations.len()
    );
    let client = reqwest::Client::new();
    let mut posted = (0usize, 0usize);
    for (_, conv) in &conversations {
        let Some(wa_id) = conv.contact.key().cloned() else {
            continue;
        };
        let name = conv.contact.profile_name.as_deref();
        for m in &conv.messages {
            if m.is_inbound() {
                let body = serde_json::to_vec(&envelope_for(&pnid, wa_id.as_str(), name, m))
                    .map_err(anyhow::Error::from)?;
                let resp = client
                    .post(format!("{base}/webhooks/whatsapp"))
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sign(app_secret.as_bytes(), &body))
                    .body(body)
                    .send()
                    .await
                    .map_err(anyhow::Error::from)?;
                if !resp.status().is_success() {
                    return Err(CliError::failure(format!(
                        "webhook answered {}",
                        resp.status()
                    )));
                }
                posted.0 += 1;
            } else {
                let resp = client
                    .post(format!("{base}/v1/companies/{DEMO_COMPANY}/messages"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({ "contact": conv.contact, "message": m }))
                    .send()
                    .await
                    .map_err(anyhow::Error::from)?;
                if !resp.status().is_success() {
                    return Err(CliError::failure(format!(
                        "ingestion API answered {}",
                        resp.status()
                    )));
                }
                posted.1 += 1;
            }
        }
    }
    println!(
        "replayed {} customer messages as signed WhatsApp webhooks and {} agent messages through the API\n",
        posted.0, posted.1
    );
    let company_id =
        CompanyId::parse(DEMO_COMPANY).map_err(|e| CliError::failure(e.to_string()))?;
    for (i, (file, conv)) in conversations.iter().enumerate() {
        let Some(wa_id) = conv.contact.key() else {
            continue;
        };
        let contact =
            ContactId::parse(wa_id.as_str()).map_err(|e| CliError::failure(e.to_string()))?;
        let stored = store
            .messages(&company_id, &contact, 1000, None)
            .await
            .map_err(anyhow::Error::from)?;
        let record = store
            .contact(&company_id, &contact)
            .await
            .map_err(anyhow::Error::from)?;
        let name = record
            .and_then(|r| r.profile_name)
            .unwrap_or_else(|| "(no name)".into());
        println!(
            "── {file}  {}  {name}: {} messages stored",
            contact.masked(),
            stored.len()
        );
        if i < args.show {
            for m in &stored {
                let who = if m.is_inbound() {
                    "customer"
                } else {
                    "agent   "
                };
                let text = m
                    .text
                    .clone()
                    .unwrap_or_else(|| format!("[{}]", m.kind.as_deref().unwrap_or("message")));
                println!(
                    "   {} {who}  {}",
                    m.timestamp.strftime("%m-%d %H:%M"),
                    truncate(&text, 100)
                );
            }
        }
    }
    shutdown.cancel();
    let _ = server.await;
    Ok(())
}

/// Reads every `*.json` conversation (not `*.labels.json`) in `dir`, sorted by file name.
pub fn load_conversations(dir: &Path) -> Result<Vec<(String, Conversation)>, CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().ends_with(".labels.json")
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes =
            std::fs::read(&f).map_err(|e| CliError::bad_input(format!("{}: {e}", f.display())))?;
        let conv = Conversation::from_json(&bytes).map_err(|e| {
            CliError::bad_input(format!("{}: not a conversation file: {e}", f.display()))
        })?;
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
