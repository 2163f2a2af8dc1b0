//! The agent copilot in team chat: chat-independent commands, cards, drafts, approvals, handoffs.
//!
//! The team chats (Slack, Mattermost: `src/channels/`) verify a request, map the workspace to a
//! company, and call [`execute`]; they render its [`Reply`] their own way. The copilot reaches
//! them back only through [`ports::TeamChat`]. The draft job calls [`drafts::on_draft_due`].
//!
//! # Layout
//! - [`command`]: `/dossier …` text → [`command::Command`], with usage lines for bad input.
//! - [`contact`]: `<contact>` text → a contact id (phone formats, wa_id, name search).
//! - [`card`]: the profile card model, with each fact's evidence in the customer's own words.
//! - [`drafts`]: the `draft` doc, composing (builtin templates, LLM), posting and updating cards.
//! - [`ports`]: what the copilot needs from outside, as traits: a team chat, a customer channel.
//! - [`approve`]: Approve / template / Edit / Discard: sending through the Graph API.
//! - [`handoff`]: the handoff summary for the managers channel, and the assignee on the profile.
//! - [`token`]: signed button values (`company|contact|version|action` + HMAC).

pub mod approve;
pub mod card;
pub mod command;
pub mod contact;
pub mod cost;
pub mod drafts;
pub mod handoff;
pub mod ports;
pub mod templates;
pub mod thread;
pub mod token;

use crate::state::App;
use command::Command;
use contact::{Candidate, Resolved};
use dossier_core::catalog::Condition;
use dossier_core::money::format_amount;
use dossier_core::{CompanyId, ContactId, Profile};
use dossier_tools::Tools;
use dossier_tools::finance::PaymentInput;
use dossier_tools::programs::ProgramsInput;
use dossier_tools::rates::RateInput;
use dossier_tools::search::{Item, LowestPriceInput, LowestPriceOutput, SearchInput};
use rust_decimal::Decimal;

/// Runs `f` with the company's business tools (built with its runtime).
fn with_tools(app: &App, company: &CompanyId, f: impl FnOnce(&Tools) -> String) -> String {
    match app.companies.get(company.as_str()) {
        Some(rt) => f(&rt.tools),
        None => "This company has no catalog configured.".into(),
    }
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
        Command::Stock { query } => Reply::Text(with_tools(app, company, |t| stock(t, query))),
        Command::Price { make, model, year } => Reply::Text(with_tools(app, company, |t| price(t, make, model, *year))),
        Command::Finance {
            price,
            down,
            months,
            apr,
        } => Reply::Text(finance(*price, *down, *months, *apr)),
        Command::Rates {
            condition,
            months,
            year,
            score,
        } => Reply::Text(with_tools(app, company, |t| {
            rates(t, condition, *months, *year, *score)
        })),
    })
}

/// Runs a contact subcommand (`profile`, `summary`, `programs`, `draft`) on a resolved contact
/// (also what a pick-list button does).
pub async fn run_on(app: &App, company: &CompanyId, then: &str, id: &ContactId) -> anyhow::Result<Reply> {
    let profile = crate::analysis::pipeline::read_profile(app, company, id).await?;
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
        "programs" => Reply::Text(with_tools(app, company, |t| programs(t, id, &profile))),
        "draft" => Reply::Draft(Box::new(drafts::draft_on_demand(app, company, id, None).await?)),
        _ => {
            let facts = if profile.facts.is_empty() {
                app.companies
                    .get(company.as_str())
                    .map(|rt| rt.tools.profile_facts(&profile))
                    .unwrap_or_default()
            } else {
                profile.facts.clone()
            };
            let messages = app
                .store
                .messages_by_id(company, id, &profile_evidence(&profile))
                .await?;
            let mut card = card::ProfileCard::build(company, id, &profile, record.as_ref(), &messages, &facts);
            card.panel_url = crate::panel::link(app, company, id);
            // Who handles the conversation, when another responder may (Conversation Routing).
            if let Some(t) = thread::load(app, company, id).await? {
                card.context = format!("{} · handled by {}", card.context, t.describe());
            }
            Reply::Card(Box::new(card))
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

fn tool_error(e: dossier_tools::ToolError) -> String {
    format!("I could not run that: {e}")
}

fn item_line(v: &Item) -> String {
    let trim = v.trim.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
    format!(
        "{} {} {}{trim} · {} {} · {} · {} ({})",
        v.year,
        v.make,
        v.model,
        format_amount(v.price),
        v.currency,
        v.condition,
        v.branch,
        v.id
    )
}

fn stock(tools: &Tools, query: &str) -> String {
    let input = SearchInput {
        query: Some(query.to_owned()),
        limit: Some(5),
        ..Default::default()
    };
    match tools.inventory_search(&input) {
        Ok(out) if out.items.is_empty() => format!("Nothing in stock matches `{query}`."),
        Ok(out) => {
            let mut lines = vec![format!("{} in stock for `{query}`:", out.total)];
            lines.extend(out.items.iter().map(|i| format!("• {}", item_line(i))));
            lines.join("\n")
        }
        Err(e) => tool_error(e),
    }
}

fn price(tools: &Tools, make: &str, model: &str, year: Option<i32>) -> String {
    let input = LowestPriceInput {
        make: make.to_owned(),
        model: model.to_owned(),
        year,
        trim: None,
        condition: None,
    };
    match tools.lowest_price(&input) {
        Ok(LowestPriceOutput {
            found: true,
            lowest: Some(lowest),
            runner_up,
            count,
        }) => {
            let mut text = format!("Lowest listed: {}", item_line(&lowest));
            if let Some(Some(next)) = runner_up {
                text.push_str(&format!("\nNext: {}", item_line(&next)));
            }
            text.push_str(&format!("\n{count} matching in stock."));
            text
        }
        Ok(_) => format!(
            "No {make} {model}{} in stock.",
            year.map(|y| format!(" {y}")).unwrap_or_default()
        ),
        Err(e) => tool_error(e),
    }
}

fn finance(price: Decimal, down: Option<Decimal>, months: Option<u32>, apr: Option<Decimal>) -> String {
    let term = months.unwrap_or(dossier_tools::facts::DEFAULT_TERM);
    let (apr, note) = match apr {
        Some(a) => (a, String::new()),
        None => (
            dossier_tools::facts::ASSUMED_APR,
            " (assumed; give `apr R` for a real rate)".into(),
        ),
    };
    let input = PaymentInput {
        price,
        down_payment: down,
        apr,
        term_months: term,
        ..Default::default()
    };
    match dossier_tools::finance::payment(&input) {
        Ok(out) => format!(
            "{}/month for {term} months at {}% APR{note}\nAmount financed {} · total of payments {} · interest {}",
            format_amount(out.monthly_payment),
            apr.normalize(),
            format_amount(out.amount_financed),
            format_amount(out.total_of_payments),
            format_amount(out.total_interest),
        ),
        Err(e) => tool_error(e),
    }
}

fn rates(tools: &Tools, condition: &str, months: u32, year: Option<i32>, score: Option<u32>) -> String {
    let Ok(cond) = condition.parse::<Condition>() else {
        return format!("`{condition}` is not new, used or certified.");
    };
    let input = RateInput {
        condition: cond,
        vehicle_year: year,
        term_months: months,
        credit_score: score,
        program: None,
    };
    match tools.finance_rate(&input) {
        Ok(out) if out.found => {
            let tier = match (&out.tier, out.tier_assumed) {
                (Some(t), true) => format!(" ({t} credit assumed)"),
                (Some(t), false) => format!(" ({t} credit)"),
                _ => String::new(),
            };
            let apr = out.apr.map(|a| a.normalize().to_string()).unwrap_or_else(|| "?".into());
            format!("{condition}, {months} months: {apr}% APR{tier}")
        }
        Ok(out) => format!(
            "No rate for {condition}, {months} months{}",
            out.reason.map(|r| format!(": {r}")).unwrap_or_default()
        ),
        Err(e) => tool_error(e),
    }
}

fn programs(tools: &Tools, id: &ContactId, profile: &Profile) -> String {
    let input = ProgramsInput {
        contact: Some(id.to_string()),
        ..Default::default()
    };
    match tools.recommend_programs(&input, Some(profile)) {
        Ok(out) if out.programs.is_empty() => "No programs apply to this deal.".into(),
        Ok(out) => {
            let mut lines = vec!["Programs for this deal:".to_owned()];
            for p in out.programs.iter().take(8) {
                let mark = if p.eligible { "✓" } else { "?" };
                let mut line = format!("{mark} {} — {}", p.name, p.why);
                if !p.missing.is_empty() {
                    line.push_str(&format!(" (missing: {})", p.missing.join("; ")));
                }
                lines.push(line);
            }
            lines.join("\n")
        }
        Err(e) => tool_error(e),
    }
}
