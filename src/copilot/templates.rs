//! Templates as Meta has them now (shared/guide/field-2026.md §3.3): each has a category that can
//! change after approval (a completed `template_category_update` webhook says so), marketing
//! templates are sent to `/{phone_number_id}/marketing_messages`, and some recipients cannot be
//! sent some categories: marketing templates are not delivered to US (+1) numbers (paused since
//! 1 Apr 2025), and authentication templates cannot go to a contact known only by its
//! business-scoped user id (error 131062 per third parties).
//!
//! The category Meta last reported is kept per company as the company value
//! `template_category:<name>` (a year's time to live; the configured category applies after).

use crate::config::{MessageCategory, TemplateRef};
use crate::state::App;
use crate::store::ContactRecord;
use dossier_core::{CompanyId, ContactId};

/// How long a reported category is kept (renewed by every report).
const CATEGORY_TTL_SECS: u64 = 400 * 24 * 3600;

fn key(name: &str) -> String {
    format!("template_category:{name}")
}

/// The template's category now: the last completed change Meta reported, else the configured
/// one, else utility.
pub async fn category(app: &App, company: &CompanyId, t: &TemplateRef) -> MessageCategory {
    match app.store.kv(company, &key(&t.name)).await {
        Ok(Some(v)) => {
            if let Some(c) = std::str::from_utf8(&v).ok().and_then(MessageCategory::parse) {
                return c;
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not read a template's category; using the configured one"),
    }
    t.category.unwrap_or(MessageCategory::Utility)
}

/// Records a completed category change for every company it concerns: those listing the WABA in
/// `whatsapp.waba_ids`, or, when no company lists it, those without `waba_ids` whose template has
/// that name. Returns how many companies it updated.
pub async fn record_category(
    app: &App,
    waba: Option<&str>,
    change: &crate::channels::whatsapp::fields::CategoryChange,
) -> anyhow::Result<usize> {
    let Some(new) = MessageCategory::parse(&change.new) else {
        anyhow::bail!(
            "unknown template category `{}`",
            change.new.chars().take(40).collect::<String>()
        );
    };
    let configs: Vec<_> = app
        .settings
        .companies
        .keys()
        .filter_map(|id| app.companies.get(id))
        .collect();
    let by_waba: Vec<_> = configs
        .iter()
        .filter(|rt| waba.is_some_and(|w| rt.config.whatsapp.waba_ids.iter().any(|x| x == w)))
        .collect();
    let targets: Vec<_> = if by_waba.is_empty() {
        configs
            .iter()
            .filter(|rt| {
                rt.config.whatsapp.waba_ids.is_empty()
                    && rt
                        .config
                        .whatsapp
                        .template
                        .as_ref()
                        .is_some_and(|t| t.name == change.template)
            })
            .collect()
    } else {
        by_waba
    };
    let mut n = 0;
    for rt in targets {
        let company = CompanyId::parse(rt.config.id.clone())?;
        app.store
            .put_kv(
                &company,
                &key(&change.template),
                new.as_str().as_bytes(),
                CATEGORY_TTL_SECS,
            )
            .await?;
        metrics::counter!("dossier_template_category_changes_total", "company" => company.to_string(), "category" => new.as_str()).increment(1);
        tracing::info!(company = %company, template = %change.template, from = %change.previous, to = new.as_str(), "template category changed");
        n += 1;
    }
    Ok(n)
}

/// Why a template of `category` may not go to this contact, if it may not.
pub fn blocked(category: MessageCategory, contact: &ContactId, record: Option<&ContactRecord>) -> Option<String> {
    match category {
        MessageCategory::Marketing if us_number(contact, record) => Some(
            "Marketing templates are not delivered to US (+1) numbers (paused by Meta since 1 Apr 2025): \
             use a utility template or wait for the customer to write."
                .into(),
        ),
        MessageCategory::Authentication if bsuid_only(contact, record) => Some(
            "Authentication templates need a phone number; this customer is known only by a business-scoped \
             user id."
                .into(),
        ),
        _ => None,
    }
}

/// The contact's phone number, when known: the contact id itself, or the record's `wa_id`.
pub fn phone(contact: &ContactId, record: Option<&ContactRecord>) -> Option<String> {
    if contact.is_phone() {
        return Some(contact.as_str().to_owned());
    }
    record
        .and_then(|r| r.wa_id.clone())
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
}

fn us_number(contact: &ContactId, record: Option<&ContactRecord>) -> bool {
    // +1 is the North American Numbering Plan; Meta's pause is worded for US numbers, and the
    // number alone cannot tell a US +1 number from a Canadian one, so all of +1 is held back.
    phone(contact, record).is_some_and(|p| p.starts_with('1'))
}

fn bsuid_only(contact: &ContactId, record: Option<&ContactRecord>) -> bool {
    phone(contact, record).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_numbers_get_no_marketing_and_bsuid_only_no_authentication() {
        let us = ContactId::parse("16505551234").unwrap();
        let mx = ContactId::parse("5215512345678").unwrap();
        let bsuid = ContactId::parse("US.13491208655302741918").unwrap();
        assert!(blocked(MessageCategory::Marketing, &us, None).unwrap().contains("+1"));
        assert!(blocked(MessageCategory::Marketing, &mx, None).is_none());
        assert!(blocked(MessageCategory::Utility, &us, None).is_none());
        assert!(blocked(MessageCategory::Authentication, &bsuid, None).is_some());
        assert!(blocked(MessageCategory::Authentication, &mx, None).is_none());
        // A BSUID contact whose number is known may get an authentication template…
        let rec = ContactRecord {
            wa_id: Some("5215512345678".into()),
            ..Default::default()
        };
        assert!(blocked(MessageCategory::Authentication, &bsuid, Some(&rec)).is_none());
        // …and one whose number is +1 no marketing.
        let rec = ContactRecord {
            wa_id: Some("16505551234".into()),
            ..Default::default()
        };
        assert!(blocked(MessageCategory::Marketing, &bsuid, Some(&rec)).is_some());
    }
}
