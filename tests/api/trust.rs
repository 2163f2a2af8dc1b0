//! Tenancy and secrets: a company token cannot make dossier send a secret anywhere; an LLM key
//! never leaves for a host the operator did not allow; small HTTP contract points.

use crate::helpers::*;
use dossier::config::{LlmConfig, Settings};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every request the sink saw, as text (headers and body).
async fn seen(sink: &MockServer) -> String {
    let mut out = String::new();
    for r in sink.received_requests().await.unwrap_or_default() {
        for (k, v) in r.headers.iter() {
            out.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("")));
        }
        out.push_str(&String::from_utf8_lossy(&r.body));
    }
    out
}

#[tokio::test]
async fn a_company_token_cannot_point_an_llm_at_its_server_or_name_a_secret() {
    let sink = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&sink)
        .await;
    // The operator allowed nothing for acme: no [providers] at all.
    let app = spawn_app().await;
    let url = "/v1/companies/acme/settings";
    for provider in ["openai", "anthropic"] {
        for secret in [
            "DOSSIER_ADMIN_TOKEN",
            "WHATSAPP_APP_SECRET",
            "OTHER_API_TOKEN",
            "REDIS_URL",
        ] {
            let attack = json!({ "provider": provider, "model": "m", "base_url": format!("{}/v1", sink.uri()),
                                 "api_key_env": secret });
            let r = app.api(Method::PUT, url, ACME_TOKEN, Some(attack)).await;
            assert_eq!(r.status(), 422, "{provider} {secret}");
            let e: Value = r.json().await.unwrap();
            assert!(e["error"]["message"].as_str().unwrap().contains("operator"), "{e}");
        }
        for field in [
            json!({"base_url": "http://169.254.169.254/latest"}),
            json!({"api_key_env": "OPENAI_API_KEY"}),
        ] {
            let mut body = json!({ "provider": provider, "model": "m" });
            body.as_object_mut().unwrap().extend(field.as_object().unwrap().clone());
            assert_eq!(app.api(Method::PUT, url, ACME_TOKEN, Some(body)).await.status(), 422);
        }
        // Even a clean request may only pick a provider the operator configured.
        let r = app
            .api(
                Method::PUT,
                url,
                ACME_TOKEN,
                Some(json!({ "provider": provider, "model": "m" })),
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("not configured"));
    }
    // Messages flow and are analysed; nothing ever reaches the sink.
    app.ingest(
        "5215550001000",
        "t.1",
        "in",
        "2026-10-01T10:00:00Z",
        "Hola, precio del Camry?",
    )
    .await;
    app.drain_jobs().await;
    assert!(seen(&sink).await.is_empty(), "the sink got: {}", seen(&sink).await);
    let s: Value = app.api(Method::GET, url, ACME_TOKEN, None).await.json().await.unwrap();
    assert_eq!(s["provider"], "builtin");
    assert!(s.get("base_url").is_none() && s.get("api_key_env").is_none(), "{s}");
}

#[tokio::test]
async fn the_operator_cannot_aim_a_key_at_an_internal_address_or_a_service_secret() {
    let load = |acme: &str, service: &str| Settings::load(&test_config_dir_with(service, acme));
    let cases = [
        (
            "[providers.openai]\nbase_url = \"http://169.254.169.254/v1\"\n",
            "",
            "providers.openai.base_url",
        ),
        (
            "[providers.openai]\nbase_url = \"https://169.254.169.254/v1\"\n",
            "",
            "providers.openai.base_url",
        ),
        (
            "[providers.openai]\nbase_url = \"https://127.0.0.1:8443/v1\"\n",
            "",
            "providers.openai.base_url",
        ),
        (
            "[providers.anthropic]\nbase_url = \"http://api.anthropic.com\"\n",
            "",
            "providers.anthropic.base_url",
        ),
        (
            "[providers.openai]\nbase_url = \"https://localhost/v1\"\n",
            "",
            "providers.openai.base_url",
        ),
        (
            "[providers.openai]\napi_key_env = \"DOSSIER_ADMIN_TOKEN\"\n",
            "",
            "providers.openai.api_key_env",
        ),
        (
            "[providers.openai]\napi_key_env = \"WHATSAPP_APP_SECRET\"\n",
            "",
            "providers.openai.api_key_env",
        ),
        (
            "[providers.anthropic]\napi_key_env = \"OTHER_API_TOKEN\"\n",
            "",
            "providers.anthropic.api_key_env",
        ),
        (
            "[providers.anthropic]\napi_key_env = \"ACME_API_TOKEN\"\n",
            "",
            "providers.anthropic.api_key_env",
        ),
        (
            "[providers.openai]\napi_key_env = \"REDIS_URL\"\n",
            "",
            "providers.openai.api_key_env",
        ),
    ];
    for (acme, service, key) in cases {
        let e = load(acme, service).expect_err(acme);
        assert_eq!(e.key, key, "{acme}: {e}");
    }
    // Allowed by name, it loads.
    let ok = load(
        "[providers.openai]\nbase_url = \"http://127.0.0.1:8081/v1\"\napi_key_env = \"ACME_LLM_KEY\"\n",
        "[llm]\nallow_http_hosts = [\"127.0.0.1:8081\"]\n",
    );
    assert!(ok.is_ok(), "{ok:?}");
}

/// An allowed endpoint that redirects elsewhere: the request carrying the key is not followed.
#[tokio::test]
async fn a_key_never_follows_a_redirect_to_another_host() {
    let sink = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&sink)
        .await;
    let allowed = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/v1/chat/completions", sink.uri())),
        )
        .mount(&allowed)
        .await;
    for (provider, url) in [
        ("openai", format!("{}/v1", allowed.uri())),
        ("anthropic", allowed.uri()),
    ] {
        let app = spawn_app_configured(
            Backend::Redis,
            &format!("[llm]\nallow_http_hosts = [\"{}\"]\n", allowed.address()),
            &format!("[providers.{provider}]\nbase_url = \"{url}\"\n"),
        )
        .await;
        let put = app
            .api(
                Method::PUT,
                "/v1/companies/acme/settings",
                ACME_TOKEN,
                Some(json!({ "provider": provider, "model": "m" })),
            )
            .await;
        assert_eq!(put.status(), 200);
        app.ingest(
            "5215550001001",
            "t.1",
            "in",
            "2026-10-01T10:00:00Z",
            "Hola, precio del Camry?",
        )
        .await;
        app.drain_jobs().await;
        let p: Value = app
            .api(
                Method::GET,
                "/v1/companies/acme/contacts/5215550001001/profile",
                ACME_TOKEN,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(p["provider"], "builtin", "the redirect failed the call: {p}");
        assert!(
            !allowed.received_requests().await.unwrap().is_empty(),
            "{provider} called its endpoint"
        );
    }
    let got = seen(&sink).await;
    assert!(got.is_empty(), "the sink got: {got}");
}

/// A name that resolves to an internal address is refused at connect time, unless listed.
#[tokio::test]
async fn names_resolving_to_internal_addresses_are_refused() {
    let target = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&target)
        .await;
    let port = target.address().port();
    let strict = dossier::net::llm_client(&LlmConfig::default()).unwrap();
    let e = strict
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .expect_err("localhost resolves to loopback");
    assert!(format!("{e:?}").contains("internal"), "{e:?}");
    let listed = dossier::net::llm_client(&LlmConfig {
        allow_http_hosts: vec![],
        allow_private_hosts: vec!["localhost".into()],
    })
    .unwrap();
    assert_eq!(
        listed
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(target.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn errors_keep_the_json_shape_and_bad_tokens_are_refused_before_the_body() {
    let app = spawn_app().await;
    // 405 in the JSON error shape.
    let r = app
        .client
        .delete(format!("{}/v1/companies/acme/settings", app.address))
        .bearer_auth(ACME_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "method_not_allowed");
    // 413 names the real limit.
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = app
        .client
        .post(format!("{}/v1/companies/acme/messages", app.address))
        .bearer_auth(ACME_TOKEN)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains("1048576"), "{e}");
    // A bad token is a 401 even when the body is garbage (the token is checked first).
    for (token, status) in [("nope", 401), (OTHER_TOKEN, 403)] {
        let r = app
            .client
            .post(format!("{}/v1/companies/acme/messages", app.address))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{token}");
        let r = app
            .client
            .put(format!("{}/v1/companies/acme/settings", app.address))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            status,
            "{token}: refused before reading a body over the limit"
        );
    }
}

/// With redaction on, the request that reaches the model carries none of the customer's
/// identifiers, their name in the profile JSON included.
#[tokio::test]
async fn personal_data_does_not_reach_the_llm() {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&llm)
        .await;
    let app = spawn_app_configured(
        Backend::Redis,
        "[llm]\nallow_http_hosts = [\"127.0.0.1\"]\n",
        &format!("[providers.openai]\nbase_url = \"{}/v1\"\n", llm.uri()),
    )
    .await;
    let put = app
        .api(
            Method::PUT,
            "/v1/companies/acme/settings",
            ACME_TOKEN,
            Some(json!({ "provider": "openai", "model": "m" })),
        )
        .await;
    assert_eq!(put.status(), 200);
    let wa = "5215550009191";
    let secrets = [
        "Soy Mariana López, mi CURP es GODE561231HDFRRN09",
        "tel. 612.345.678 o Tel.5512345678, wa.me/5215512345678",
        "correo mariana (at) gmail (dot) com, DNI 12.345.678, cvv 123",
    ];
    for (i, text) in secrets.iter().enumerate() {
        app.client
            .post(format!("{}/v1/companies/acme/messages", app.address))
            .bearer_auth(ACME_TOKEN)
            .json(&json!({ "contact": { "wa_id": wa, "profile_name": "Mariana López" },
                           "message": { "id": format!("p.{i}"), "direction": "in",
                                        "timestamp": format!("2026-10-01T10:0{i}:00Z"), "text": text } }))
            .send()
            .await
            .unwrap();
    }
    app.drain_jobs().await;
    let got = seen(&llm).await;
    assert!(!got.is_empty(), "the model was called");
    for leak in [
        "Mariana",
        "López",
        "GODE561231",
        "612.345.678",
        "5512345678",
        "gmail",
        "12.345.678",
        "cvv 123",
    ] {
        assert!(!got.contains(leak), "{leak} reached the model:\n{got}");
    }
}
