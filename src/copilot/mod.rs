//! The agent copilot in team chat: chat-independent commands, cards, drafts, approvals, handoffs.
//!
//! Slack ([`crate::channels::slack`]) and Mattermost ([`crate::channels::mattermost`]) verify the
//! request, map the workspace to a company, and call [`execute`]; they render its [`Reply`] their
//! own way. The worker calls [`drafts::on_analyzed`] after each analysis of a customer message.
//!
//! # Layout
//! - [`command`]: `/dossier …` text → [`command::Command`], with usage lines for bad input.
//! - [`contact`]: `<contact>` text → a contact id (phone formats, wa_id, name search).
//! - [`card`]: the profile card model, with each fact's evidence in the customer's own words.
//! - [`drafts`]: composing drafts from `prompts/drafts/*.txt.j2`, the `draft` doc, posting cards.
//! - [`approve`]: Approve / template / Edit / Discard: sending through the Graph API.
//! - [`handoff`]: the handoff summary for the managers channel, and the assignee on the profile.
//! - [`token`]: signed button values (`company|contact|version|action` + HMAC).

pub mod approve;
pub mod card;
pub mod command;
pub mod contact;
pub mod drafts;
pub mod handoff;
pub mod token;

use crate::analysis::doc::ProfileDoc;
use crate::state::App;
use crate::store::StoreError;
use command::Command;
use contact::{Candidate, Resolved};
use dossier_core::money::format_amount;
use dossier_core::{CompanyId, ContactId, Profile};
use dossier_tools::Tools;
use serde_json::{Value, json};

/// The per-contact document holding the smart profile (a [`ProfileDoc`], written by the worker).
pub const PROFILE_DOC: &str = crate::analysis::doc::DOC_NAME;

/// Reads a contact's stored profile.
pub async fn load_profile(app: &App, company: &CompanyId, contact: &ContactId) -> Result<Option<Profile>, StoreError> {
    match app.store.doc(company, contact, PROFILE_DOC).await? {
        Some(doc) => serde_json::from_slice::<ProfileDoc>(&doc.body)
            .map(|d| Some(d.profile))
            .map_err(|e| StoreError::Corrupt(format!("profile of {}: {e}", contact.masked()))),
        None => Ok(None),
    }
}

/// The company's business tools (built with its runtime).
pub fn tools_for(app: &App, company: &CompanyId) -> Option<Tools> {
    app.companies.get(company.as_str()).map(|rt| rt.tools.clone())
}

/// Who asked, from where (for handoffs and logs).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user_id: String,
    pub user_name: String,
    pub channel_id: String,
}

/// What a command answers, before a chat renders it.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Plain text (no markup that differs between Slack and Mattermost).
    Text(String),
    /// The usage line for bad input.
    Usage(String),
    Card(Box<card::ProfileCard>),
    /// Several contacts match: the agent picks one; `then` is the subcommand to run on it.
    Picks {
        then: &'static str,
        candidates: Vec<Candidate>,
    },
    /// A drafted reply with its buttons.
    Draft(Box<drafts::DraftCard>),
}

/// Whether a command is answered at once or acknowledged and finished later (`response_url`).
pub fn is_slow(c: &Command) -> bool {
    matches!(c, Command::Draft { .. } | Command::Handoff { .. })
}

/// Runs a command for `company`. Never fails on the agent's input: a problem is a [`Reply`].
pub async fn execute(app: &App, company: &CompanyId, command: &Command, caller: &Caller) -> anyhow::Result<Reply> {
    Ok(match command {
        Command::Help => Reply::Text(command::help_text()),
        Command::Profile { contact } | Command::Summary { contact } | Command::Programs { contact } => {
            let then = match command {
                Command::Profile { .. } => "profile",
                Command::Summary { .. } => "summary",
                _ => "programs",
            };
            match contact::resolve(app, company, contact).await? {
                Resolved::One(id) => run_on(app, company, then, &id).await?,
                Resolved::Many(candidates) => Reply::Picks { then, candidates },
                Resolved::None(why) => Reply::Text(why),
            }
        }
        Command::Draft { contact, instructions } => match contact::resolve(app, company, contact).await? {
            Resolved::One(id) => {
                let card = drafts::draft_on_demand(app, company, &id, instructions.as_deref()).await?;
                Reply::Draft(Box::new(card))
            }
            Resolved::Many(candidates) => Reply::Picks {
                then: "draft",
                candidates,
            },
            Resolved::None(why) => Reply::Text(why),
        },
        Command::Handoff {
            contact,
            assignee,
            note,
        } => match contact::resolve(app, company, contact).await? {
            Resolved::One(id) => {
                Reply::Text(handoff::handoff(app, company, &id, assignee, note.as_deref(), caller).await?)
            }
            Resolved::Many(candidates) => Reply::Picks {
                then: "profile",
                candidates,
            },
            Resolved::None(why) => Reply::Text(why),
        },
        Command::Stock { query } => Reply::Text(stock(app, company, query)),
        Command::Price { make, model, year } => Reply::Text(price(app, company, make, model, *year)),
        Command::Finance {
            price,
            down,
            months,
            apr,
        } => Reply::Text(finance(app, company, *price, *down, *months, *apr)),
        Command::Rates {
            condition,
            months,
            year,
            score,
        } => Reply::Text(rates(app, company, condition, *months, *year, *score)),
    })
}

/// Runs a contact subcommand (`profile`, `summary`, `programs`, `draft`) on a resolved contact
/// (also what a pick-list button does).
pub async fn run_on(app: &App, company: &CompanyId, then: &str, id: &ContactId) -> anyhow::Result<Reply> {
    let profile = load_profile(app, company, id).await?;
    let record = app.store.contact(company, id).await?;
    if profile.is_none() && record.is_none() {
        return Ok(Reply::Text(format!(
            "No conversation with {} yet.",
            contact::display_phone(id)
        )));
    }
    let profile = profile.unwrap_or_else(|| Profile::empty(company.as_str(), Some(id.as_str())));
    Ok(match then {
        "summary" => Reply::Text(summary_text(&profile, record.as_ref(), id)),
        "programs" => Reply::Text(programs(app, company, id, &profile)),
        "draft" => Reply::Draft(Box::new(drafts::draft_on_demand(app, company, id, None).await?)),
        _ => {
            let facts = if profile.facts.is_empty() {
                tools_for(app, company)
                    .map(|t| t.profile_facts(&profile))
                    .unwrap_or_default()
            } else {
                profile.facts.clone()
            };
            let messages = app
                .store
                .messages_by_id(company, id, &profile_evidence(&profile))
                .await?;
            Reply::Card(Box::new(card::ProfileCard::build(
                company,
                id,
                &profile,
                record.as_ref(),
                &messages,
                &facts,
            )))
        }
    })
}

/// Every message id the profile's facts rest on (what the card quotes).
pub fn profile_evidence(p: &Profile) -> Vec<dossier_core::MessageId> {
    let mut ids: Vec<dossier_core::MessageId> = Vec::new();
    let facts = [p.stage.as_ref(), p.intent.as_ref()]
        .into_iter()
        .flatten()
        .flat_map(|f| f.evidence.iter());
    ids.extend(facts.cloned());
    ids.extend(p.interests.iter().flat_map(|i| i.evidence.iter().cloned()));
    ids.extend(p.budget.iter().flat_map(|b| b.evidence.iter().cloned()));
    ids.extend(p.financing.iter().flat_map(|f| f.evidence.iter().cloned()));
    ids.extend(p.trade_in.iter().flat_map(|t| t.evidence.iter().cloned()));
    ids.sort();
    ids.dedup();
    ids
}

fn summary_text(p: &Profile, record: Option<&crate::store::ContactRecord>, id: &ContactId) -> String {
    let name = contact::display_name(record, Some(p)).unwrap_or_else(|| contact::display_phone(id));
    let mut lines = vec![format!("{name} · {}", contact::display_phone(id))];
    if let Some(s) = &p.stage {
        lines.push(format!("Stage: {}", card::human(&s.value)));
    }
    lines.push(p.summary.clone().unwrap_or_else(|| "No summary yet.".into()));
    if let Some(n) = &p.next_best_action {
        lines.push(format!("Next: {n}"));
    }
    lines.join("\n")
}

fn no_tools() -> String {
    "This company has no catalog configured.".into()
}

fn tool_error(e: dossier_tools::ToolError) -> String {
    format!("I could not run that: {e}")
}

fn item_line(v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
    let trim = v["trim"].as_str().map(|t| format!(" {t}")).unwrap_or_default();
    let price = s("price").parse().map(format_amount).unwrap_or_else(|_| s("price"));
    format!(
        "{} {} {}{trim} · {} {} · {} · {} ({})",
        v["year"],
        s("make"),
        s("model"),
        price,
        s("currency"),
        s("condition"),
        s("branch"),
        s("id")
    )
}

fn stock(app: &App, company: &CompanyId, query: &str) -> String {
    let Some(tools) = tools_for(app, company) else {
        return no_tools();
    };
    match tools.call("inventory_search", json!({ "query": query, "limit": 5 }), None) {
        Ok(out) => {
            let items = out["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                return format!("Nothing in stock matches `{query}`.");
            }
            let mut lines = vec![format!("{} in stock for `{query}`:", out["total"])];
            lines.extend(items.iter().map(|i| format!("• {}", item_line(i))));
            lines.join("\n")
        }
        Err(e) => tool_error(e),
    }
}

fn price(app: &App, company: &CompanyId, make: &str, model: &str, year: Option<i32>) -> String {
    let Some(tools) = tools_for(app, company) else {
        return no_tools();
    };
    let mut input = json!({ "make": make, "model": model });
    if let Some(y) = year {
        input["year"] = json!(y);
    }
    match tools.call("lowest_price", input, None) {
        Ok(out) if out["found"] == json!(true) => {
            let mut text = format!("Lowest listed: {}", item_line(&out["lowest"]));
            if out["runner_up"].is_object() {
                text.push_str(&format!("\nNext: {}", item_line(&out["runner_up"])));
            }
            text.push_str(&format!("\n{} matching in stock.", out["count"]));
            text
        }
        Ok(_) => format!(
            "No {make} {model}{} in stock.",
            year.map(|y| format!(" {y}")).unwrap_or_default()
        ),
        Err(e) => tool_error(e),
    }
}

fn finance(
    app: &App,
    company: &CompanyId,
    price: rust_decimal::Decimal,
    down: Option<rust_decimal::Decimal>,
    months: Option<u32>,
    apr: Option<rust_decimal::Decimal>,
) -> String {
    let Some(tools) = tools_for(app, company) else {
        return no_tools();
    };
    let term = months.unwrap_or(dossier_tools::facts::DEFAULT_TERM);
    let (apr, note) = match apr {
        Some(a) => (a, String::new()),
        None => (
            dossier_tools::facts::ASSUMED_APR,
            " (assumed; give `apr R` for a real rate)".into(),
        ),
    };
    let mut input = json!({ "price": price.to_string(), "apr": apr.to_string(), "term_months": term });
    if let Some(d) = down {
        input["down_payment"] = json!(d.to_string());
    }
    match tools.call("finance_payment", input, None) {
        Ok(out) => {
            let m = |k: &str| {
                out[k]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .map(format_amount)
                    .unwrap_or_default()
            };
            format!(
                "{}/month for {term} months at {}% APR{note}\nAmount financed {} · total of payments {} · interest {}",
                m("monthly_payment"),
                apr.normalize(),
                m("amount_financed"),
                m("total_of_payments"),
                m("total_interest"),
            )
        }
        Err(e) => tool_error(e),
    }
}

fn rates(
    app: &App,
    company: &CompanyId,
    condition: &str,
    months: u32,
    year: Option<i32>,
    score: Option<u32>,
) -> String {
    let Some(tools) = tools_for(app, company) else {
        return no_tools();
    };
    let mut input = json!({ "condition": condition, "term_months": months });
    if let Some(y) = year {
        input["vehicle_year"] = json!(y);
    }
    if let Some(s) = score {
        input["credit_score"] = json!(s);
    }
    match tools.call("finance_rate", input, None) {
        Ok(out) if out["found"] == json!(true) => {
            let tier = match (out["tier"].as_str(), out["tier_assumed"] == json!(true)) {
                (Some(t), true) => format!(" ({t} credit assumed)"),
                (Some(t), false) => format!(" ({t} credit)"),
                _ => String::new(),
            };
            format!(
                "{condition}, {months} months: {}% APR{tier}",
                out["apr"].as_str().unwrap_or("?")
            )
        }
        Ok(out) => format!(
            "No rate for {condition}, {months} months{}",
            out["reason"].as_str().map(|r| format!(": {r}")).unwrap_or_default()
        ),
        Err(e) => tool_error(e),
    }
}

fn programs(app: &App, company: &CompanyId, id: &ContactId, profile: &Profile) -> String {
    let Some(tools) = tools_for(app, company) else {
        return no_tools();
    };
    match tools.call("recommend_programs", json!({ "contact": id.as_str() }), Some(profile)) {
        Ok(out) => {
            let list = out["programs"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return "No programs apply to this deal.".into();
            }
            let mut lines = vec!["Programs for this deal:".to_owned()];
            for p in list.iter().take(8) {
                let mark = if p["eligible"] == json!(true) { "✓" } else { "?" };
                let mut line = format!(
                    "{mark} {} — {}",
                    p["name"].as_str().unwrap_or(""),
                    p["why"].as_str().unwrap_or("")
                );
                if let Some(m) = p["missing"].as_array().filter(|m| !m.is_empty()) {
                    let m: Vec<&str> = m.iter().filter_map(Value::as_str).collect();
                    line.push_str(&format!(" (missing: {})", m.join("; ")));
                }
                lines.push(line);
            }
            lines.join("\n")
        }
        Err(e) => tool_error(e),
    }
}
