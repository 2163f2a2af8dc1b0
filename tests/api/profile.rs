//! The smart profile over HTTP: analysis through the worker, evidence, trail, outside signals,
//! erasure, settings, and the business tools route.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const C: &str = "5511987650001";

async fn conversation(app: &TestApp) {
    app.ingest(
        C,
        "p.1",
        "in",
        "2026-10-01T10:00:00Z",
        "Oi! Vocês têm o Corolla 2022? Meu orçamento é até 30 mil dólares",
    )
    .await;
    app.ingest(
        C,
        "p.2",
        "out",
        "2026-10-01T10:05:00Z",
        "Temos sim! O Corolla 2022 LE sai por $21,400.",
    )
    .await;
    app.ingest(
        C,
        "p.3",
        "in",
        "2026-10-01T10:07:00Z",
        "Legal. Quero financiar, dou 5 mil de entrada.",
    )
    .await;
}

#[tokio::test]
async fn the_worker_builds_a_profile_with_evidence_and_facts() {
    let app = spawn_app().await;
    conversation(&app).await;
    assert_eq!(app.drain_jobs().await, 1, "three messages, one analysis");
    let r = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["company"], "acme");
    assert_eq!(p["contact"]["language"], "pt");
    assert_eq!(p["interests"][0]["make"], "Toyota");
    assert_eq!(p["interests"][0]["model"], "Corolla");
    assert_eq!(p["interests"][0]["evidence"][0], "p.1");
    assert_eq!(p["budget"]["amount"], "30000");
    assert_eq!(p["budget"]["currency"], "USD");
    assert_eq!(p["budget"]["evidence"][0], "p.1");
    assert_eq!(p["financing"]["interested"], true);
    assert_eq!(p["history"]["messages_in"], 2);
    assert_eq!(p["history"]["messages_out"], 1);
    assert_eq!(p["provider"], "builtin");
    assert!(
        p["facts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["tool"] == "lowest_price"),
        "{p}"
    );
    assert!(p.get("trail").is_none(), "the trail comes only on request");
    // Every evidence id names a stored message.
    for ev in p.to_string().split("\"evidence\":[").skip(1) {
        for id in ev.split(']').next().unwrap().split(',').filter(|s| !s.is_empty()) {
            assert!(["\"p.1\"", "\"p.2\"", "\"p.3\""].contains(&id), "unknown evidence {id}");
        }
    }
}

#[tokio::test]
async fn a_profile_is_available_before_any_job_ran() {
    let app = spawn_app().await;
    conversation(&app).await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["interests"][0]["model"], "Corolla");
    // The queued jobs then find nothing new and leave the profile as it is.
    app.drain_jobs().await;
    let again: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["budget"], p["budget"]);
    assert_eq!(
        app.api(
            Method::GET,
            "/v1/companies/acme/contacts/5511000000000/profile",
            ACME_TOKEN,
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            OTHER_TOKEN,
            None
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn the_trail_shows_why_the_budget_moved() {
    let app = spawn_app().await;
    conversation(&app).await;
    app.drain_jobs().await;
    app.ingest(
        C,
        "p.4",
        "in",
        "2026-10-02T09:00:00Z",
        "Pensei melhor: meu orçamento agora é no máximo 25 mil dólares.",
    )
    .await;
    app.drain_jobs().await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile?trail=true"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["budget"]["amount"], "25000");
    let moves: Vec<&Value> = p["trail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["field"] == "budget")
        .collect();
    let last = moves.last().expect("a budget change in the trail");
    assert_eq!(last["from"]["amount"], "30000");
    assert_eq!(last["to"]["amount"], "25000");
    assert_eq!(last["evidence"][0], "p.4");
}

#[tokio::test]
async fn an_agents_stage_holds_until_newer_customer_evidence() {
    let app = spawn_app().await;
    conversation(&app).await;
    app.drain_jobs().await;
    let url = format!("/v1/companies/acme/contacts/{C}/signals");
    let body = json!({ "signals": [ { "kind": "stage", "value": "ready_to_buy", "source": "agent:U42" },
                                    { "kind": "email", "value": "carlos@example.com", "source": "crm" } ] });
    let r = app.api(Method::POST, &url, ACME_TOKEN, Some(body)).await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["stage"]["value"], "ready_to_buy");
    assert_eq!(p["stage"]["source"], "agent:U42");
    assert_eq!(p["contact"]["email"], "carlos@example.com");
    assert!(p["signals"].as_array().unwrap().iter().any(|s| s["source"] == "crm"));
    // A re-analysis without new customer messages keeps the agent's word.
    app.ingest(
        C,
        "p.5",
        "out",
        "2026-10-01T10:09:00Z",
        "Perfeito, te mando a simulação.",
    )
    .await;
    app.drain_jobs().await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["stage"]["value"], "ready_to_buy");
    // Newer customer evidence wins again; the CRM's e-mail stays.
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60)).to_string();
    app.ingest(C, "p.6", "in", &later, "Quanto fica a parcela em 48 meses?")
        .await;
    app.drain_jobs().await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(p["stage"]["source"], "agent:U42", "{p}");
    assert_eq!(p["contact"]["email"], "carlos@example.com");
    // Bad signals are refused, naming the problem.
    for bad in [
        json!({ "signals": [ { "kind": "stage", "value": "dreaming", "source": "agent" } ] }),
        json!({ "signals": [ { "kind": "budget", "value": { "amount": 25000 }, "source": "crm" } ] }),
        json!({ "signals": [ { "kind": "mood", "value": "x", "source": "crm" } ] }),
        json!({ "signals": [] }),
    ] {
        let r = app.api(Method::POST, &url, ACME_TOKEN, Some(bad.clone())).await;
        assert_eq!(r.status(), 422, "{bad}");
    }
}

#[tokio::test]
async fn erasing_a_contact_removes_everything() {
    let app = spawn_app().await;
    conversation(&app).await;
    app.drain_jobs().await;
    let r = app
        .api(
            Method::DELETE,
            &format!("/v1/companies/acme/contacts/{C}"),
            ACME_TOKEN,
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_messages("acme", C, ACME_TOKEN).await.status(), 404);
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{C}/profile"),
            ACME_TOKEN,
            None
        )
        .await
        .status(),
        404
    );
    // A redelivered message does not bring the erased conversation back.
    assert_eq!(
        app.ingest(C, "p.1", "in", "2026-10-01T10:00:00Z", "again")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn settings_are_validated_and_kept_per_company() {
    let app = spawn_app_configured(
        Backend::Redis,
        "",
        "[providers.openai]\nmodels = [\"gpt-4.1-mini\", \"gpt-4.1\"]\n",
    )
    .await;
    let url = "/v1/companies/acme/settings";
    let s: Value = app.api(Method::GET, url, ACME_TOKEN, None).await.json().await.unwrap();
    assert_eq!(s["provider"], "builtin");
    assert_eq!(s["pii_redaction"], true);
    let bad = app
        .api(Method::PUT, url, ACME_TOKEN, Some(json!({ "provider": "openai" })))
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.json::<Value>().await.unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("model")
    );
    let bad = app
        .api(Method::PUT, url, ACME_TOKEN, Some(json!({ "provider": "gpt" })))
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .api(Method::PUT, url, ACME_TOKEN, Some(json!({ "stages": [] })))
        .await;
    assert_eq!(bad.status(), 422);
    let ok = app
        .api(
            Method::PUT,
            url,
            ACME_TOKEN,
            Some(json!({ "provider": "openai", "model": "gpt-4.1-mini", "auto_draft": false })),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let s: Value = app.api(Method::GET, url, ACME_TOKEN, None).await.json().await.unwrap();
    assert_eq!(s["model"], "gpt-4.1-mini");
    assert_eq!(s["auto_draft"], false);
    let other: Value = app
        .api(Method::GET, "/v1/companies/other/settings", OTHER_TOKEN, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["provider"], "builtin");
    assert_eq!(
        app.api(Method::PUT, url, OTHER_TOKEN, Some(json!({}))).await.status(),
        403
    );
}

#[tokio::test]
async fn tools_answer_over_http_with_clear_errors() {
    let app = spawn_app().await;
    let r = app
        .api(
            Method::POST,
            "/v1/companies/acme/tools/finance_payment",
            ACME_TOKEN,
            Some(json!({
            "price": "27900", "down_payment": "1000", "trade_in_value": "7000", "apr": "6.9", "term_months": 60 })),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["amount_financed"], "19900.00");
    assert_eq!(v["monthly_payment"], "393.11");
    let r = app
        .api(
            Method::POST,
            "/v1/companies/acme/tools/lowest_price",
            ACME_TOKEN,
            Some(json!({ "make": "toyota", "model": "corolla", "year": 2022 })),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["found"], true);
    assert_eq!(v["lowest"]["price"], "20900");
    let r = app
        .api(
            Method::POST,
            "/v1/companies/acme/tools/finance_payment",
            ACME_TOKEN,
            Some(json!({ "price": 27900, "apr": "6.9", "term_months": 60, "colour": 1 })),
        )
        .await;
    assert_eq!(r.status(), 422);
    let msg = r.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("colour"), "{msg}");
    let r = app
        .api(
            Method::POST,
            "/v1/companies/acme/tools/teleport",
            ACME_TOKEN,
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), 404);
    // recommend_programs reads the stored profile of a contact.
    conversation(&app).await;
    app.drain_jobs().await;
    let r = app
        .api(
            Method::POST,
            "/v1/companies/acme/tools/recommend_programs",
            ACME_TOKEN,
            Some(json!({ "contact": C })),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// A company's own fields: found by the builtin engine with evidence, on the profile and the
/// API, set by an agent through the signals API (an enum only to one of its values), and scored
/// by `dossier eval` when labels carry them.
#[tokio::test]
async fn company_fields_are_found_set_by_signals_and_scored() {
    let fields = r#"
[[fields]]
name = "color"
description = "The exterior colour the customer wants"
values = { white = { en = ["white"], es = ["blanco", "blanca"], pt = ["branco", "branca"], ar = ["أبيض", "ابيض"] }, black = { en = ["black"], es = ["negro", "negra"], pt = ["preto", "preta"], ar = ["أسود", "اسود"] } }

[[fields]]
name = "plate"
description = "Licence plate of the trade-in"
pattern = '\b[A-Z]{3}-?\d{3,4}\b'
"#;
    let app = spawn_app_configured(Backend::Redis, "", fields).await;
    app.ingest(
        C,
        "cf.1",
        "in",
        "2026-10-01T10:00:00Z",
        "Oi! Quero o Corolla, de preferência preto. Minha placa é ABC-1234",
    )
    .await;
    app.drain_jobs().await;
    let url = format!("/v1/companies/acme/contacts/{C}/profile");
    let p: Value = app.api(Method::GET, &url, ACME_TOKEN, None).await.json().await.unwrap();
    assert_eq!(p["custom"]["color"]["value"], "black", "{p}");
    assert_eq!(p["custom"]["color"]["evidence"][0], "cf.1");
    assert_eq!(p["custom"]["plate"]["value"], "ABC-1234");

    let signals = format!("/v1/companies/acme/contacts/{C}/signals");
    let ok = json!({ "signals": [ { "kind": "color", "value": "white", "source": "agent:U7" } ] });
    let r = app.api(Method::POST, &signals, ACME_TOKEN, Some(ok)).await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["custom"]["color"]["value"], "white");
    assert_eq!(p["custom"]["color"]["source"], "agent:U7");
    for bad in [
        json!({ "signals": [ { "kind": "color", "value": "purple", "source": "agent" } ] }),
        json!({ "signals": [ { "kind": "color", "value": 3, "source": "agent" } ] }),
        json!({ "signals": [ { "kind": "plate", "value": "", "source": "agent" } ] }),
    ] {
        let r = app.api(Method::POST, &signals, ACME_TOKEN, Some(bad.clone())).await;
        assert_eq!(r.status(), 422, "{bad}");
    }

    // `dossier eval` scores the fields the labels carry, apart from the mean.
    let data = std::env::temp_dir().join(format!("dossier-fields-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let convs = [
        ("f1", "es", "Hola, busco una Hilux blanca", Some("white")),
        ("f2", "en", "Hi, do you have the RAV4 in black?", Some("black")),
        ("f3", "ar", "السلام عليكم، أبي كامري لونها أبيض", Some("white")),
        ("f4", "pt", "Bom dia, quanto custa o Civic?", None),
    ];
    for (name, lang, text, color) in convs {
        let conv = json!({ "company": "acme", "contact": { "wa_id": "5215500000001" },
            "messages": [ { "id": format!("wamid.{name}"), "direction": "in", "timestamp": "2026-10-01T10:00:00Z", "text": text } ] });
        std::fs::write(data.join(format!("{name}.json")), conv.to_string()).unwrap();
        let labels = json!({ "stage": "first_inquiry", "intent": "availability", "language": lang, "interests": [],
            "budget": null, "financing": false, "trade_in": false, "name": null, "email": null,
            "urgency": "normal", "sentiment": "neutral", "returning": false, "custom": { "color": color } });
        std::fs::write(data.join(format!("{name}.labels.json")), labels.to_string()).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args([
            "--config",
            app.config_dir.to_str().unwrap(),
            "eval",
            data.to_str().unwrap(),
            "--json",
        ])
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["table"]["custom"]["color"], json!([1.0, 4]), "{}", t["table"]);
}
