//! Storing an accepted message: the one path shared by the WhatsApp webhook and the ingestion API.
//! Stored (deduplicated) first, then an analysis job is queued; only then does the caller answer.

use crate::state::App;
use crate::store::{Appended, ContactUpdate, Job, StoreError};
use dossier_core::{CompanyId, ContactId, Message};
use metrics::counter;

/// Stores `message` for `contact` and, for a new customer message, queues its analysis.
#[tracing::instrument(skip_all, fields(company = %company, contact = %contact.masked(), message = %message.id))]
pub async fn ingest(
    app: &App,
    source: &'static str,
    company: &CompanyId,
    contact: &ContactId,
    message: &Message,
    update: &ContactUpdate,
) -> Result<Appended, StoreError> {
    // Business messages are queued too: the profile must see what the agent said (a quoted
    // price is not a budget; an answered question is no longer open).
    let job = Job {
        company: company.to_string(),
        contact: contact.to_string(),
        message_id: message.id.to_string(),
        attempt: 0,
        inbound: message.is_inbound(),
    };
    let appended = app
        .store
        .append_and_enqueue(company, contact, message, update, &job)
        .await?;
    let outcome = match appended {
        Appended::New => "accepted",
        Appended::Duplicate => "duplicate",
    };
    counter!("dossier_messages_total", "source" => source, "outcome" => outcome).increment(1);
    Ok(appended)
}
