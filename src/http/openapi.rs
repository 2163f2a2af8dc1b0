//! The OpenAPI 3.1 document of the JSON routes, generated from the handlers' annotations and the
//! types they read and write (utoipa), served at `/openapi.json`. `docs/openapi.json` is the
//! committed copy a test keeps equal to this, so a change of contract shows in review.

use crate::http::api;
use crate::http::error::{ErrorBody, ErrorDetail};
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dossier",
        description = "A smart customer profile inside the WhatsApp conversation. Every error answers \
                       `{\"error\": {\"code\", \"message\"}}`. Bearer tokens: a company's token opens that \
                       company alone; DOSSIER_ADMIN_TOKEN opens all.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        crate::http::health::healthz,
        crate::http::health::readyz,
        crate::channels::whatsapp::webhook::verify,
        crate::channels::whatsapp::webhook::receive,
        crate::channels::chatwoot::webhook::receive,
        api::messages::ingest_message,
        api::messages::list_messages,
        api::profile::get_profile,
        api::profile::post_signals,
        api::profile::delete_contact,
        api::settings::get_settings,
        api::settings::put_settings,
        api::drafts::get_stats,
        api::tools::call_tool,
        api::spend::get_spend,
    ),
    components(schemas(ErrorBody, ErrorDetail, dossier_core::CompanyId, dossier_core::ContactId)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "webhooks", description = "Inboxes that push to dossier, each verified its own way"),
        (name = "messages", description = "Ingest from any inbox; read a conversation"),
        (name = "profiles", description = "The smart profile of a contact"),
        (name = "settings", description = "Customer Intelligence settings of a company"),
        (name = "drafts", description = "What became of drafted replies"),
        (name = "tools", description = "The business tools over HTTP"),
        (name = "spend", description = "What WhatsApp sends cost, estimated from the company's rate card"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.components.get_or_insert_with(Default::default).add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
