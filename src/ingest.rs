//! Storing an accepted message: the one path shared by the WhatsApp webhook, the ingestion API
//! and Approve. Stored (deduplicated) first, with the contact's analysis queued unless one is
//! already waiting; only then does the caller answer.

use crate::jobs::job::Job;
use crate::state::App;
use crate::store::{Appended, ContactUpdate, StoreError};
use dossier_core::{CompanyId, ContactId, Message};
use metrics::counter;

/// Stores `message` for `contact` and queues the contact's analysis.
#[tracing::instrument(skip_all, fields(company = %company, contact = %contact.masked(), message = %message.id))]
pub async fn ingest(
    app: &App,
    source: &'static str,
    company: &CompanyId,
    contact: &ContactId,
    message: &Message,
    update: &ContactUpdate,
) -> Result<Appended, StoreError> {
    // Business messages are analysed too: the profile must see what the agent said (a quoted
    // price is not a budget; an answered question is no longer open).
    let job = Job::analyze(company, contact).to_payload();
    let appended = app
        .store
        .append_and_queue(company, contact, message, update, Some(&job))
        .await?;
    let outcome = match appended {
        Appended::New => "accepted",
        Appended::Duplicate => "duplicate",
    };
    counter!("dossier_messages_total", "source" => source, "outcome" => outcome).increment(1);
    Ok(appended)
}
