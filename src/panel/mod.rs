//! The profile panel: one page an inbox embeds beside the conversation (Chatwoot's Dashboard
//! App tab) or an agent opens on its own, showing one contact's smart profile, the latest draft
//! with Approve / Edit / Discard, and the evidence behind each fact on demand.
//!
//! - `GET /panel/{company}?key=K[&contact=C]`: the page, server-rendered (the first paint has
//!   the profile, no client round trip). Without `contact`, the page asks its Chatwoot host
//!   (`appContext`, requested with `chatwoot-dashboard-app:fetch-info`) and treats the phone or
//!   identifier it gets as a hint: the server resolves it within the key's company and shows
//!   nothing it cannot find there.
//! - `GET /panel/{company}/view?key=K&contact=C`: the same view as an HTML fragment (switching
//!   contact, refreshing after a change).
//! - `GET /panel/{company}/events?key=K&contact=C`: server-sent events, one `change` per profile
//!   or draft write of that contact on any instance ([`live`]).
//! - `POST /panel/{company}/drafts/{approve|discard|template}`: the copilot's own decisions
//!   ([`crate::copilot::approve::decide`]); Edit is Approve with the edited text.
//! - `GET /panel/{company}/panel.js|panel.css`: the page's only script and style (CSP `'self'`).
//!
//! Who may see it: the company's panel key (from the variable `[panel] key_env` names) opens
//! that company alone; it is compared in constant time and accepted from `?key=` (the dashboard
//! app URL; EventSource cannot send headers) or the `X-Dossier-Panel-Key` header. Rotating it is
//! setting a new value and updating the dashboard app URL. Customer text is escaped by the
//! templates (`*.html.j2`); the page answers with a Content-Security-Policy allowing only its
//! own script and style, `frame-ancestors` from `[panel] frame_ancestors`, and
//! `Referrer-Policy: no-referrer` so the key in the URL never leaves in a Referer header.

pub mod live;
pub mod render;

use crate::config::company::CompanyPanel;
use crate::copilot::approve::{Decision, decide};
use crate::copilot::contact::{Resolved, phone_digits, resolve};
use crate::http::error::{ApiError, ApiResult, AppJson};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use dossier_core::{CompanyId, ContactId};
use render::ContactView;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use subtle::ConstantTimeEq;

const JS: &str = include_str!("assets/panel.js");
const CSS: &str = include_str!("assets/panel.css");
/// Longest contact hint accepted (a phone, a wa_id, an identifier).
const HINT_MAX: usize = 140;

#[derive(Debug, Default, Deserialize)]
pub struct PanelQuery {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
}

fn eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The company the key opens, with its panel settings.
fn authorize<'a>(
    app: &'a AppState,
    company: &str,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> ApiResult<(CompanyId, &'a CompanyPanel)> {
    let id = CompanyId::parse(company).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let c = app
        .settings
        .companies
        .get(company)
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let panel = c
        .panel
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured(format!("company `{company}` has no [panel]")))?;
    let key = headers
        .get("x-dossier-panel-key")
        .and_then(|v| v.to_str().ok())
        .or(query_key)
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("the panel needs its key (`?key=`)".into()))?;
    let expected = app
        .secrets
        .var(&panel.key_env)
        .ok_or_else(|| ApiError::NotConfigured(format!("{} is not set", panel.key_env)))?;
    if eq(key, expected.expose_secret()) {
        return Ok((id, panel));
    }
    let other = app.settings.companies.values().any(|o| {
        o.id != company
            && o.panel
                .as_ref()
                .and_then(|p| app.secrets.var(&p.key_env))
                .is_some_and(|s| eq(key, s.expose_secret()))
    });
    if other {
        return Err(ApiError::Forbidden(format!(
            "this key does not open company `{company}`"
        )));
    }
    Err(ApiError::Unauthorized("unknown panel key".into()))
}

/// The contact a hint points at within `company`: a phone in any common format or a `wa_id`
/// (with the Mexico/Argentina mobile variants), or an exact contact id; only one that exists.
async fn find_contact(app: &AppState, company: &CompanyId, hint: &str) -> ApiResult<Option<ContactId>> {
    let hint = hint.trim();
    if hint.is_empty() || hint.chars().count() > HINT_MAX {
        return Ok(None);
    }
    if phone_digits(hint).is_some() {
        return Ok(match resolve(app, company, hint).await? {
            Resolved::One(id) => Some(id),
            _ => None,
        });
    }
    let Ok(id) = ContactId::parse(hint) else {
        return Ok(None);
    };
    Ok(app.store.contact(company, &id).await?.map(|_| id))
}

#[derive(Serialize)]
struct PageCtx<'a> {
    company: &'a str,
    company_name: &'a str,
    origins: String,
    contact: Option<ContactView>,
    /// A contact was asked for and is not this company's.
    missing: bool,
    asset_version: &'static str,
}

fn security_headers(resp: &mut Response, panel: &CompanyPanel) {
    let ancestors = if panel.frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        panel.frame_ancestors.join(" ")
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

async fn view_for(
    app: &AppState,
    company: &CompanyId,
    panel: &CompanyPanel,
    hint: Option<&str>,
) -> ApiResult<(Option<ContactView>, bool)> {
    let Some(hint) = hint.filter(|h| !h.trim().is_empty()) else {
        return Ok((None, false));
    };
    let Some(id) = find_contact(app, company, hint).await? else {
        return Ok((None, true));
    };
    let view = render::contact_view(app, company, &id, hint.trim(), panel.show_phone)
        .await
        .map_err(ApiError::Internal)?;
    let missing = view.is_none();
    Ok((view, missing))
}

fn render(app: &AppState, name: &str, ctx: &PageCtx<'_>) -> ApiResult<String> {
    app.templates
        .render(name, ctx)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
}

async fn html(
    app: &AppState,
    company: &str,
    panel: &CompanyPanel,
    template: &str,
    view: (Option<ContactView>, bool),
) -> ApiResult<Response> {
    let c = app
        .settings
        .companies
        .get(company)
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let ctx = PageCtx {
        company,
        company_name: &c.name,
        origins: serde_json::to_string(&panel.frame_ancestors).unwrap_or_else(|_| "[]".into()),
        contact: view.0,
        missing: view.1,
        asset_version: env!("CARGO_PKG_VERSION"),
    };
    let mut resp = Html(render(app, template, &ctx)?).into_response();
    security_headers(&mut resp, panel);
    Ok(resp)
}

/// `GET /panel/{company}`: the whole page.
pub async fn page(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PanelQuery>,
) -> ApiResult<Response> {
    render_contact(&app, &company, &headers, &q, "panel/page.html.j2").await
}

/// `GET /panel/{company}/view`: the contact's view alone (what a live update fetches).
pub async fn view(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PanelQuery>,
) -> ApiResult<Response> {
    render_contact(&app, &company, &headers, &q, "panel/view.html.j2").await
}

async fn render_contact(
    app: &AppState,
    company: &str,
    headers: &HeaderMap,
    q: &PanelQuery,
    template: &str,
) -> ApiResult<Response> {
    let (id, panel) = authorize(app, company, headers, q.key.as_deref())?;
    let view = view_for(app, &id, panel, q.contact.as_deref()).await?;
    html(app, company, panel, template, view).await
}

/// `GET /panel/{company}/events`: `change` whenever the contact's profile or draft is written.
pub async fn events(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PanelQuery>,
) -> ApiResult<Response> {
    let (id, _) = authorize(&app, &company, &headers, q.key.as_deref())?;
    let hint = q.contact.as_deref().unwrap_or("");
    let contact = find_contact(&app, &id, hint)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such contact in this company".into()))?;
    let rx = app.live.listen();
    let closing = app.live.closing();
    let (co, ct) = (id.to_string(), contact.to_string());
    let stream = futures::stream::unfold(
        (rx, closing, co, ct, true),
        |(mut rx, closing, co, ct, first)| async move {
            if first {
                let ready = Event::default().event("ready").data("ok");
                return Some((Ok::<_, Infallible>(ready), (rx, closing, co, ct, false)));
            }
            loop {
                tokio::select! {
                    _ = closing.cancelled() => return None,
                    r = rx.recv() => match r {
                        Ok(n) if n.co == co && n.ct == ct => {
                            let e = Event::default().event("change").data(n.what);
                            return Some((Ok(e), (rx, closing, co, ct, false)));
                        }
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let e = Event::default().event("change").data("lagged");
                            return Some((Ok(e), (rx, closing, co, ct, false)));
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    let mut resp = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    pub contact: String,
    pub seq: u64,
    /// Approve with this text instead of the draft's (Edit).
    #[serde(default)]
    pub text: Option<String>,
    /// The agent's name as the host says it (Chatwoot's `currentAgent`): a label, not auth.
    #[serde(default)]
    pub agent: Option<String>,
}

/// `POST /panel/{company}/drafts/{action}`: the decision, then the refreshed view.
pub async fn action(
    State(app): State<AppState>,
    Path((company, action)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<PanelQuery>,
    AppJson(body): AppJson<ActionIn>,
) -> ApiResult<Response> {
    let (id, panel) = authorize(&app, &company, &headers, q.key.as_deref())?;
    // The agent's edit, if any: for Approve and for Take over and send alike.
    let text = body.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = text
        && t.chars().count() > crate::copilot::drafts::DRAFT_MAX
    {
        return Err(ApiError::Invalid(format!(
            "the text is longer than {} characters",
            crate::copilot::drafts::DRAFT_MAX
        )));
    }
    let text = text.map(str::to_owned);
    let decision = match action.as_str() {
        "approve" => Decision::Approve { text },
        // Sending while another responder handles the conversation takes it over: only this
        // explicit action does (a plain approve is refused and says why).
        "takeover" => Decision::TakeOver { text },
        "handback" => Decision::HandBack,
        "discard" => Decision::Discard,
        "template" => Decision::Template,
        other => return Err(ApiError::NotFound(format!("no draft action `{other}`"))),
    };
    let contact = find_contact(&app, &id, &body.contact)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such contact in this company".into()))?;
    let agent: String = body
        .agent
        .as_deref()
        .map(|a| a.chars().filter(|c| !c.is_control()).take(60).collect::<String>())
        .filter(|a| !a.trim().is_empty())
        .map(|a| format!("{a} (panel)"))
        .unwrap_or_else(|| "an agent (panel)".into());
    decide(&app, &id, &contact, body.seq, decision, &agent)
        .await
        .map_err(ApiError::Internal)?;
    let view = render::contact_view(&app, &id, &contact, body.contact.trim(), panel.show_phone)
        .await
        .map_err(ApiError::Internal)?;
    html(&app, &company, panel, "panel/view.html.j2", (view, false)).await
}

/// The panel's address for `contact`, key included, for the team-chat cards to link to: only
/// when the company has a panel with its key set and `[server] public_url` is known (a link
/// built from a request's `Host` header could point anywhere). The key in a card opens no more
/// than the card's own buttons already do: that company's profiles and drafts.
pub fn link(app: &crate::state::App, company: &CompanyId, contact: &ContactId) -> Option<String> {
    let public = app.settings.service.server.public_url.as_deref()?;
    let panel = app.settings.companies.get(company.as_str())?.panel.as_ref()?;
    let key = app.secrets.var(&panel.key_env)?;
    let contact = if contact.is_phone() {
        format!("+{contact}")
    } else {
        contact.to_string()
    };
    let query = serde_urlencoded::to_string([("key", key.expose_secret()), ("contact", contact.as_str())]).ok()?;
    Some(format!("{}/panel/{company}?{query}", public.trim_end_matches('/')))
}

/// The page's script and style: no key (they hold nothing), cached for an hour.
pub async fn asset(Path((_, file)): Path<(String, String)>) -> ApiResult<Response> {
    let (body, ct) = match file.as_str() {
        "panel.js" => (JS, "text/javascript; charset=utf-8"),
        "panel.css" => (CSS, "text/css; charset=utf-8"),
        _ => return Err(ApiError::NotFound("no such asset".into())),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}
