//! The LLM providers against real servers people run, when their URLs are given:
//! `DOSSIER_TEST_OPENAI_URL` (an OpenAI-compatible `/v1` root, e.g. llama.cpp's server) and
//! `DOSSIER_TEST_ANTHROPIC_URL` (an Anthropic Messages endpoint, e.g. the litellm proxy).
//! `../shared/tools/local-llm/serve.sh start 18555 18556` starts both on loopback with a tiny
//! model that writes "hola" in every free string; these tests check the exchange works end to
//! end (the answer is applied), not the model's judgement. Without the URLs they say so and pass.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn run(provider: &str, url: &str, model: &str, key_var: &str) {
    let host = reqwest::Url::parse(url).unwrap();
    let host = format!("{}:{}", host.host_str().unwrap(), host.port_or_known_default().unwrap());
    let app = spawn_app_configured(
        Backend::Redis,
        &format!("[llm]\nallow_http_hosts = [\"{host}\"]\n"),
        &format!("[providers.{provider}]\nbase_url = \"{url}\"\napi_key_env = \"{key_var}\"\n"),
    )
    .await;
    let put = app
        .api(
            Method::PUT,
            "/v1/companies/acme/settings",
            ACME_TOKEN,
            Some(json!({ "provider": provider, "model": model, "timeout_secs": 120 })),
        )
        .await;
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let wa = "5215550008080";
    app.ingest(
        wa,
        "l.1",
        "in",
        "2026-10-01T10:00:00Z",
        "Hola, busco un Toyota Corolla, mi presupuesto es 25 mil dólares",
    )
    .await;
    app.drain_jobs().await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{wa}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["provider"], provider, "the real server's answer was applied: {p}");
    let note = p["provider_note"].as_str().unwrap_or("");
    assert!(!note.contains("failed"), "{note}");
    let card =
        dossier::copilot::drafts::draft_on_demand(&app.state, &"acme".parse().unwrap(), &wa.parse().unwrap(), None)
            .await
            .unwrap();
    assert!(!card.draft.text.is_empty());
    eprintln!(
        "{provider} at {url}: profile provider {}, note {note:?}; draft from {} ({})",
        p["provider"],
        card.draft.template,
        card.draft.set_aside.as_deref().unwrap_or("not set aside")
    );
}

#[tokio::test]
async fn a_real_openai_compatible_server() {
    let Ok(url) = std::env::var("DOSSIER_TEST_OPENAI_URL") else {
        eprintln!("DOSSIER_TEST_OPENAI_URL is not set: skipping (../shared/tools/local-llm/serve.sh starts one)");
        return;
    };
    let model = std::env::var("DOSSIER_TEST_OPENAI_MODEL").unwrap_or_else(|_| "tiny".into());
    run("openai", &url, &model, "OPENAI_API_KEY").await;
}

#[tokio::test]
async fn a_real_anthropic_messages_endpoint() {
    let Ok(url) = std::env::var("DOSSIER_TEST_ANTHROPIC_URL") else {
        eprintln!("DOSSIER_TEST_ANTHROPIC_URL is not set: skipping (../shared/tools/local-llm/serve.sh starts one)");
        return;
    };
    let model = std::env::var("DOSSIER_TEST_ANTHROPIC_MODEL").unwrap_or_else(|_| "claude-local".into());
    run("anthropic", &url, &model, "LOCAL_ANTHROPIC_KEY").await;
}
