use crate::helpers::*;

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let m = app.get("/metrics").await;
    assert_eq!(m.status(), 200);
    let text = m.text().await.unwrap();
    assert!(text.contains("dossier_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/readyz\""), "{text}");
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = spawn_app().await;
    let r = app.get("/nope").await;
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}
