//! `POST /v1/companies/{company}/messages` (ingest from any inbox) and
//! `GET /v1/companies/{company}/contacts/{contact}/messages` (the conversation, oldest first).

use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson, TenantErrors};
use crate::ingest::ingest;
use crate::state::AppState;
use crate::store::{Appended, ContactUpdate};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use dossier_core::{CompanyId, ContactId, ConversationContact, Message};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `{ "contact": {...}, "message": {...} }`, the shapes of a conversation file (docs/conversation-and-profile.md §1).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestBody {
    pub contact: ConversationContact,
    pub message: Message,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestReply {
    pub contact: String,
    pub message_id: String,
    /// `false` when the message id was already stored (nothing changed).
    pub stored: bool,
}

/// Stores a message from another inbox (the same path as WhatsApp's webhook: deduplicated by
/// message id, stored before the answer, analysed after).
#[utoipa::path(
    post, path = "/v1/companies/{company}/messages", tag = "messages",
    params(("company" = CompanyId, Path)),
    request_body = IngestBody,
    responses(
        (status = 201, description = "stored", body = IngestReply),
        (status = 200, description = "this message id was already stored; nothing changed", body = IngestReply),
        TenantErrors,
    ),
    security(("bearer" = []))
)]
pub async fn ingest_message(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    AppJson(body): AppJson<IngestBody>,
) -> ApiResult<(StatusCode, AppJson<IngestReply>)> {
    let contact = body
        .contact
        .key()
        .cloned()
        .ok_or_else(|| ApiError::Invalid("contact: needs `wa_id` or `user_id`".into()))?;
    if body.message.text.as_deref().is_none_or(|t| t.trim().is_empty()) && body.message.kind.is_none() {
        return Err(ApiError::Invalid("message: needs `text` or a `type`".into()));
    }
    let update = ContactUpdate {
        profile_name: body.contact.profile_name.clone(),
        wa_id: body.contact.wa_id.as_ref().map(ToString::to_string),
        user_id: body.contact.user_id.as_ref().map(ToString::to_string),
    };
    let appended = ingest(&app, "api", &company, &contact, &body.message, &update).await?;
    let stored = appended == Appended::New;
    let status = if stored { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        AppJson(IngestReply {
            contact: contact.to_string(),
            message_id: body.message.id.to_string(),
            stored,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
    /// Only messages before this RFC 3339 time.
    #[param(format = DateTime)]
    pub before: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessagesReply {
    pub contact: String,
    pub messages: Vec<Message>,
}

pub const MAX_PAGE: usize = 1000;

/// The conversation, oldest first.
#[utoipa::path(
    get, path = "/v1/companies/{company}/contacts/{contact}/messages", tag = "messages",
    params(("company" = CompanyId, Path), ("contact" = ContactId, Path), ListQuery),
    responses((status = 200, body = MessagesReply), TenantErrors),
    security(("bearer" = []))
)]
pub async fn list_messages(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, contact)): Path<(String, String)>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AppJson<MessagesReply>> {
    let contact = ContactId::parse(contact).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::Invalid(format!("limit: must be between 1 and {MAX_PAGE}")));
    }
    let before = q
        .before
        .map(|b| b.parse::<Timestamp>())
        .transpose()
        .map_err(|_| ApiError::Invalid("before: must be an RFC 3339 timestamp".into()))?;
    let messages = app.store.messages(&company, &contact, limit, before).await?;
    if messages.is_empty() && app.store.contact(&company, &contact).await?.is_none() {
        return Err(ApiError::NotFound(format!("no contact {contact}")));
    }
    Ok(AppJson(MessagesReply {
        contact: contact.to_string(),
        messages,
    }))
}
