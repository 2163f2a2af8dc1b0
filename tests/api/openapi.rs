//! `/openapi.json` is generated from the handlers; `docs/openapi.json` is its committed copy.
//! Regenerate it after changing a route or a type (not a `DOSSIER_` variable: those are
//! configuration): `OPENAPI_UPDATE=1 cargo test --test api openapi`.

use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_is_served_and_committed() {
    let app = spawn_app().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let served = r.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    let committed_path = repo_path("docs/openapi.json");
    if std::env::var_os("OPENAPI_UPDATE").is_some() {
        std::fs::write(&committed_path, format!("{served}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed.trim_end() == served.trim_end(),
        "docs/openapi.json is out of date; run OPENAPI_UPDATE=1 cargo test --test api openapi and commit it"
    );
}

/// Every JSON route of the router is in the document, with its methods, request and error
/// schemas; a new route without annotations fails here.
#[test]
fn every_json_route_is_documented() {
    let doc: serde_json::Value = serde_json::from_str(dossier::http::openapi::document()).unwrap();
    let router = std::fs::read_to_string(repo_path("src/http/mod.rs")).unwrap();
    let re = regex::Regex::new(r#"\.route\(\s*"([^"]+)",\s*((?:[a-z]+\([^)]*\)\.?)+)"#).unwrap();
    let method = regex::Regex::new(r"([a-z]+)\(").unwrap();
    let mut checked = 0;
    for c in re.captures_iter(&router) {
        let path = &c[1];
        // Not JSON: Prometheus text, the document itself, the team-chat routes, which speak
        // Slack's and Mattermost's own signed form protocols, and the profile panel (HTML pages,
        // server-sent events and its script for a browser, opened with the panel key; its
        // contract is in docs/service.md and the browser test).
        if ["/metrics", "/openapi.json"].contains(&path)
            || path.starts_with("/slack/")
            || path.starts_with("/mattermost/")
            || path.starts_with("/panel/")
        {
            continue;
        }
        let ops = &doc["paths"][path];
        assert!(ops.is_object(), "{path} is not in the OpenAPI document");
        for m in method.captures_iter(&c[2]) {
            let op = &ops[&m[1]];
            assert!(op.is_object(), "{} {path} is not in the OpenAPI document", &m[1]);
            let responses = op["responses"].as_object().unwrap();
            assert!(
                path == "/healthz" || responses.keys().any(|k| k.starts_with('4') || k.starts_with('5')),
                "{} {path} documents no error",
                &m[1]
            );
            if path.starts_with("/v1/") {
                assert_eq!(
                    op["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{path} needs the bearer"
                );
                for code in ["401", "403", "422"] {
                    assert!(responses.contains_key(code), "{} {path} lacks {code}", &m[1]);
                }
            }
            if ["post", "put"].contains(&&m[1]) {
                assert!(op["requestBody"].is_object(), "{} {path} has no request schema", &m[1]);
            }
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} operations found in the router");
}

/// A real profile answer validates against the profile schema's required fields and property
/// names (schemathesis in `.ci/run` checks every route fully).
#[tokio::test]
async fn a_profile_answer_has_the_documented_shape() {
    let app = spawn_app().await;
    app.post_texts(
        "5215550001111",
        &[(
            "wamid.oa1",
            1_700_000_000,
            "Hola, me interesa el Corolla, tengo 20000 USD",
        )],
    )
    .await;
    app.drain_jobs().await;
    let doc: serde_json::Value = serde_json::from_str(dossier::http::openapi::document()).unwrap();
    let schema = &doc["components"]["schemas"]["Profile"];
    let r = app
        .api(
            reqwest::Method::GET,
            "/v1/companies/acme/contacts/5215550001111/profile",
            ACME_TOKEN,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let p: serde_json::Value = r.json().await.unwrap();
    for req in schema["required"].as_array().unwrap() {
        assert!(p.get(req.as_str().unwrap()).is_some(), "profile lacks required {req}");
    }
    let props = schema["properties"].as_object().unwrap();
    // The answer is a ProfileReply: the profile, flattened, and who handles the conversation.
    let reply = doc["components"]["schemas"]["ProfileReply"].to_string();
    assert!(reply.contains("#/components/schemas/Profile"), "{reply}");
    assert!(reply.contains("conversation"), "{reply}");
    for key in p.as_object().unwrap().keys() {
        assert!(
            props.contains_key(key) || key == "conversation",
            "profile has {key}, which the schema does not describe"
        );
    }
    assert_eq!(p["conversation"]["handled_by"], "dossier");
}
