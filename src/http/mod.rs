//! HTTP: every route in [`router`], the middleware stack in one function, errors in [`error`].

pub mod api;
pub mod auth;
pub mod error;
pub mod health;
pub mod openapi;

use crate::channels::whatsapp;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use metrics::{Counter, Histogram, counter, histogram};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// All routes of docs/service.md, with the middleware stack.
pub fn router(state: AppState) -> Router {
    let limit = state.settings.service.server.body_limit_bytes;
    let timeout = Duration::from_secs(state.settings.service.server.request_timeout_secs);
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::serve))
        .route(
            "/webhooks/whatsapp",
            get(whatsapp::webhook::verify).post(whatsapp::webhook::receive),
        )
        .route("/v1/companies/{company}/messages", post(api::messages::ingest_message))
        .route(
            "/v1/companies/{company}/contacts/{contact}/messages",
            get(api::messages::list_messages),
        )
        .route(
            "/v1/companies/{company}/contacts/{contact}/profile",
            get(api::profile::get_profile),
        )
        .route(
            "/v1/companies/{company}/contacts/{contact}/signals",
            post(api::profile::post_signals),
        )
        .route(
            "/v1/companies/{company}/contacts/{contact}",
            delete(api::profile::delete_contact),
        )
        .route(
            "/v1/companies/{company}/settings",
            get(api::settings::get_settings).put(api::settings::put_settings),
        )
        .route("/v1/companies/{company}/drafts/stats", get(api::drafts::get_stats))
        .route("/v1/companies/{company}/spend", get(api::spend::get_spend))
        .route("/slack/commands", post(crate::channels::slack::routes::commands))
        .route(
            "/slack/interactions",
            post(crate::channels::slack::routes::interactions),
        )
        .route(
            "/mattermost/commands",
            post(crate::channels::mattermost::routes::commands),
        )
        .route(
            "/mattermost/actions",
            post(crate::channels::mattermost::routes::actions),
        )
        .route("/v1/companies/{company}/tools/{tool}", post(api::tools::call_tool))
        .route("/webhooks/chatwoot", post(crate::channels::chatwoot::webhook::receive))
        .route("/panel/{company}", get(crate::panel::page))
        .route("/panel/{company}/view", get(crate::panel::view))
        .route("/panel/{company}/events", get(crate::panel::events))
        .route("/panel/{company}/drafts/{action}", post(crate::panel::action))
        .route("/panel/{company}/{file}", get(crate::panel::asset));
    with_middleware(routes, state, limit, timeout)
}

fn with_middleware(routes: Router<AppState>, state: AppState, limit: usize, timeout: Duration) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    routes
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(limit, too_large_as_json))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            HeaderName::from_static("x-hub-signature-256"),
            HeaderName::from_static("x-slack-signature"),
            HeaderName::from_static("x-chatwoot-signature"),
            HeaderName::from_static("x-dossier-panel-key"),
        ]))
        .with_state(state)
}

/// A random (v4) UUID for each request, as `tower_http`'s `MakeRequestUuid` makes, drawn from
/// the thread's generator instead of a `getrandom` system call per request: an id to correlate
/// logs, not a secret.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        let text = id.hyphenated().encode_lower(&mut buf);
        axum::http::HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

async fn fallback() -> error::ApiError {
    error::ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::MethodNotAllowed
}

/// Requests by route (the matched pattern, never the raw path) and status, with latency.
async fn track_metrics(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let handles = RouteMetrics::of(
        req.extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str()),
    );
    let method = req.method().clone();
    let start = Instant::now();
    let resp = next.run(req).await;
    handles.requests(&method, resp.status()).increment(1);
    handles.seconds.record(start.elapsed().as_secs_f64());
    resp
}

/// One route's metric handles, resolved once: a `counter!` with owned labels allocates them and
/// looks the series up in the registry on every request; a handle is the series itself.
struct RouteMetrics {
    route: String,
    seconds: Histogram,
    /// `dossier_http_requests_total` by method and status (a handful per route).
    requests: RwLock<Vec<(Method, StatusCode, Counter)>>,
}

impl RouteMetrics {
    /// The handles of `route` (a matched pattern, or `unmatched`: a bounded set).
    fn of(route: &str) -> Arc<RouteMetrics> {
        static ROUTES: OnceLock<RwLock<HashMap<String, Arc<RouteMetrics>>>> = OnceLock::new();
        let routes = ROUTES.get_or_init(Default::default);
        if let Some(m) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
            return m.clone();
        }
        routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(route.to_owned())
            .or_insert_with(|| {
                Arc::new(RouteMetrics {
                    route: route.to_owned(),
                    seconds: histogram!("dossier_http_request_seconds", "route" => route.to_owned()),
                    requests: RwLock::new(Vec::new()),
                })
            })
            .clone()
    }

    fn requests(&self, method: &Method, status: StatusCode) -> Counter {
        let find = |v: &[(Method, StatusCode, Counter)]| {
            v.iter()
                .find(|(m, s, _)| m == method && *s == status)
                .map(|(_, _, c)| c.clone())
        };
        if let Some(c) = find(&self.requests.read().unwrap_or_else(|e| e.into_inner())) {
            return c;
        }
        let mut all = self.requests.write().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = find(&all) {
            return c;
        }
        let c = counter!("dossier_http_requests_total", "route" => self.route.clone(),
            "method" => method.to_string(), "status" => status.as_u16().to_string());
        all.push((method.clone(), status, c.clone()));
        c
    }
}

/// An oversized body is answered 413 in the JSON error shape, naming the configured limit (axum's
/// own answer is plain text, and the extractors do not know the limit).
async fn too_large_as_json(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error::ApiError::TooLarge(limit).into_response();
    }
    resp
}
