//! Prompts and the extraction schema shared by every LLM provider.
//!
//! The templates are `templates/analyze.*.txt.j2` and `templates/draft.*.txt.j2`, rendered through
//! the one template mechanism ([`crate::templates`]): embedded, overridable, strict about
//! undefined variables.
//!
//! The same module owns what comes back: [`extraction_schema_for`] (the JSON Schema the model
//! must follow) and [`parse_extraction`] (restore redacted values, validate, drop evidence that
//! names no message the model saw). A provider answer that breaks the contract is
//! [`ProviderError::Invalid`], never a panic.

use super::redact::Redactor;
use super::window::message_text;
use super::{AnalysisInput, Extraction, ProviderError, ToolSpec};
use crate::templates::Templates;
use dossier_core::profile::{INTENTS, Profile, STAGES};
use dossier_core::{Currency, Direction, Message};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use std::str::FromStr;

/// Why a prompt could not be rendered (a template bug; tests render every template).
#[derive(Debug, thiserror::Error)]
#[error("prompt template: {0}")]
pub struct PromptError(String);

impl From<PromptError> for ProviderError {
    fn from(e: PromptError) -> Self {
        ProviderError::Invalid(e.to_string())
    }
}

fn render(templates: &Templates, name: &str, ctx: serde_json::Value) -> Result<String, PromptError> {
    templates.render(name, &ctx).map_err(|e| PromptError(e.to_string()))
}

/// What the spec says each default stage means (docs/conversation-and-profile.md §3); custom stages are shown by name only.
fn stage_description(stage: &str) -> Option<&'static str> {
    Some(match stage {
        "first_inquiry" => "has just made first contact: a greeting or one opening question, no prior history",
        "exploring" => {
            "asks about options, features, availability in general, without settling on a specific item or talking price"
        }
        "comparing" => {
            "weighs specific alternatives (two or more items, or against a competitor's offer), asks prices of specific options"
        }
        "negotiating" => {
            "discusses price, discount, financing terms, monthly payment or trade-in value for a specific item"
        }
        "ready_to_buy" => {
            "commits: wants to reserve, pay a deposit, sign, book delivery or pick-up, asks what documents to bring to buy"
        }
        "support" => {
            "has bought already, or writes about an existing purchase or service: a complaint, a warranty or repair question, a service booking"
        }
        _ => return None,
    })
}

#[derive(Serialize)]
struct StageView<'a> {
    name: &'a str,
    description: Option<&'static str>,
}

#[derive(Serialize)]
struct MessageView {
    id: String,
    direction: &'static str,
    timestamp: String,
    text: String,
}

fn message_views(messages: &[Message]) -> Vec<MessageView> {
    messages
        .iter()
        .map(|m| MessageView {
            id: m.id.as_str().to_owned(),
            direction: match m.direction {
                Direction::In => "in",
                Direction::Out => "out",
            },
            timestamp: m.timestamp.to_string(),
            text: message_text(m),
        })
        .collect()
}

/// The profile as a model needs it: values without evidence ids, signals, trail or the phone
/// number, so it is short and carries no identifiers beyond name and e-mail.
pub fn profile_summary(p: &Profile) -> serde_json::Value {
    json!({
        "contact": {
            "name": p.contact.name,
            "email": p.contact.email,
            "language": p.contact.language,
            "branch": p.contact.branch,
        },
        "stage": p.stage.as_ref().map(|f| &f.value),
        "intent": p.intent.as_ref().map(|f| &f.value),
        "interests": p.interests.iter().map(|i| &i.item).collect::<Vec<_>>(),
        "budget": p.budget.as_ref().map(|b| json!({
            "amount": b.amount.normalize().to_string(),
            "currency": b.currency.as_str(),
            "period": b.period,
        })),
        "financing": p.financing.as_ref().map(|f| json!({
            "interested": f.interested,
            "term_months": f.term_months,
            "down_payment": f.down_payment.map(|d| d.normalize().to_string()),
        })),
        "trade_in": p.trade_in.as_ref().map(|t| json!({"has": t.has, "description": t.description})),
        "urgency": p.urgency,
        "sentiment": p.sentiment,
        "returning": p.returning,
        "objections": p.objections.iter().map(|n| &n.text).collect::<Vec<_>>(),
        "open_questions": p.open_questions.iter().map(|n| &n.text).collect::<Vec<_>>(),
        "next_best_action": p.next_best_action,
        "facts": p.facts.iter().map(|f| &f.text).collect::<Vec<_>>(),
    })
}

fn profile_json(p: &Profile) -> String {
    serde_json::to_string(&profile_summary(p)).unwrap_or_else(|_| "{}".to_owned())
}

/// Renders the analysis prompt: `(system, user)`.
pub fn render_analyze(input: &AnalysisInput<'_>) -> Result<(String, String), PromptError> {
    let system = render(input.templates, "analyze.system.txt.j2", json!({}))?;
    let stages: Vec<StageView> = input
        .stages
        .iter()
        .map(|s| StageView {
            name: s,
            description: stage_description(s),
        })
        .collect();
    let ctx = json!({
        "company": input.company_name,
        "stages": stages,
        "intents": INTENTS,
        "catalog_models": input.catalog_models,
        "profile_json": profile_json(input.profile),
        "summary": input.summary,
        "messages": message_views(input.recent),
        "fields": input.fields.iter().map(|f| json!({
            "name": f.name, "description": f.description,
            "values": f.values.keys().collect::<Vec<_>>(), "pattern": f.pattern.is_some(),
        })).collect::<Vec<_>>(),
    });
    let user = render(input.templates, "analyze.user.txt.j2", ctx)?;
    Ok((system, user))
}

/// Renders the draft prompt: `(system, user)`. The tools are listed by name so the model knows
/// where prices and payments must come from; the provider passes their schemas separately.
pub fn render_draft(
    input: &AnalysisInput<'_>,
    instructions: Option<&str>,
    tools: &[ToolSpec],
) -> Result<(String, String), PromptError> {
    let system = render(
        input.templates,
        "draft.system.txt.j2",
        json!({ "company": input.company_name }),
    )?;
    let ctx = json!({
        "company": input.company_name,
        "language": input.profile.contact.language,
        "profile_json": profile_json(input.profile),
        "summary": input.summary,
        "messages": message_views(input.recent),
        "tools": tools.iter().map(|t| json!({"name": t.name, "description": t.description})).collect::<Vec<_>>(),
        "instructions": instructions.map(str::trim).filter(|s| !s.is_empty()),
    });
    let user = render(input.templates, "draft.user.txt.j2", ctx)?;
    Ok((system, user))
}

fn evidence() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "string"}, "description": "Ids of the recent messages that show this."})
}

fn with_evidence(value: serde_json::Value) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {"value": value, "evidence": evidence()},
        "required": ["value", "evidence"],
        "additionalProperties": false,
    })
}

fn nullable(schema: serde_json::Value) -> serde_json::Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn nullable_enum(values: &[&str]) -> serde_json::Value {
    let mut e: Vec<serde_json::Value> = values.iter().map(|v| json!(v)).collect();
    e.push(serde_json::Value::Null);
    json!({"type": ["string", "null"], "enum": e})
}

/// The strict JSON Schema of [`Extraction`] for the default stages.
pub fn extraction_schema() -> serde_json::Value {
    let stages: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    extraction_schema_for(&stages, &[])
}

/// The strict JSON Schema of [`Extraction`] for a company's stages. Strict mode (OpenAI) wants
/// every property listed as required and no additional properties; optional means nullable.
pub fn extraction_schema_for(stages: &[String], fields: &[super::custom::FieldDef]) -> serde_json::Value {
    let text = json!({"type": "string"});
    let interest = json!({
        "type": "object",
        "properties": {
            "make": {"type": "string"},
            "model": {"type": "string"},
            "year": {"type": ["integer", "null"]},
            "evidence": evidence(),
        },
        "required": ["make", "model", "year", "evidence"],
        "additionalProperties": false,
    });
    let budget = json!({
        "type": "object",
        "properties": {
            "amount": {"type": "string", "description": "Plain decimal, no thousands separators, e.g. 25000 or 450.50."},
            "currency": {"type": "string", "description": "ISO 4217 code, e.g. USD."},
            "period": {"type": "string", "enum": ["total", "monthly"]},
            "evidence": evidence(),
        },
        "required": ["amount", "currency", "period", "evidence"],
        "additionalProperties": false,
    });
    let mut schema = json!({
        "type": "object",
        "properties": {
            "stage": nullable(with_evidence(json!({"type": "string", "enum": stages}))),
            "intent": nullable(with_evidence(json!({"type": "string", "enum": INTENTS}))),
            "interests": {"type": "array", "items": interest},
            "budget": nullable(budget),
            "financing": nullable(with_evidence(json!({"type": "boolean"}))),
            "trade_in": nullable(with_evidence(json!({"type": "boolean"}))),
            "urgency": nullable_enum(&["low", "normal", "high"]),
            "sentiment": nullable_enum(&["negative", "neutral", "positive"]),
            "name": nullable(with_evidence(text.clone())),
            "email": nullable(with_evidence(text.clone())),
            "language": {"type": ["string", "null"], "description": "ISO 639-1 code."},
            "objections": {"type": "array", "items": with_evidence(text.clone())},
            "open_questions": {"type": "array", "items": with_evidence(text.clone())},
            "summary": {"type": ["string", "null"]},
            "next_best_action": {"type": ["string", "null"]},
        },
        "required": [
            "stage", "intent", "interests", "budget", "financing", "trade_in", "urgency", "sentiment",
            "name", "email", "language", "objections", "open_questions", "summary", "next_best_action",
        ],
        "additionalProperties": false,
    });
    // The company's own fields, each nullable, enums limited to their values.
    if !fields.is_empty() {
        let props: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|f| {
                let value = if f.pattern.is_some() {
                    json!({"type": "string", "description": f.description})
                } else {
                    json!({"type": "string", "enum": f.values.keys().collect::<Vec<_>>(), "description": f.description})
                };
                (f.name.clone(), nullable(with_evidence(value)))
            })
            .collect();
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        schema["properties"]["custom"] = json!({
            "type": "object", "properties": props, "required": names, "additionalProperties": false,
        });
        if let Some(req) = schema["required"].as_array_mut() {
            req.push(json!("custom"));
        }
    }
    schema
}

/// Turns a provider's JSON answer into a checked [`Extraction`]: placeholders are restored,
/// enums, amount and currency are checked (a wrong one is [`ProviderError::Invalid`]), and
/// evidence ids that name no message in `input.recent` are dropped.
pub fn parse_extraction(
    mut value: serde_json::Value,
    input: &AnalysisInput<'_>,
    redactor: &Redactor,
) -> Result<Extraction, ProviderError> {
    if !value.is_object() {
        return Err(ProviderError::Invalid("extraction is not a JSON object".into()));
    }
    redactor.restore_json(&mut value);
    let ext: Extraction = serde_json::from_value(value)
        .map_err(|e| ProviderError::Invalid(format!("extraction does not match the schema: {e}")))?;
    validate_extraction(ext, input)
}

/// Empties `slot` when its value is outside the vocabulary, and says why in `dropped`.
fn drop_unknown<T>(
    slot: &mut Option<T>,
    value: impl Fn(&T) -> &str,
    known: impl Fn(&str) -> bool,
    what: &str,
    dropped: &mut Vec<String>,
) {
    let why = slot
        .as_ref()
        .map(&value)
        .filter(|v| !known(v))
        .map(|v| format!("unknown {what} `{}`", short(v)));
    if let Some(why) = why {
        dropped.push(why);
        *slot = None;
    }
}

/// A model-written value quoted in a reason, cut short (reasons are shown on the card).
fn short(v: &str) -> String {
    let mut out: String = v.chars().take(40).collect();
    if v.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Checks an extraction against the contract and cleans what can be cleaned without guessing.
/// A value outside the contract (an unknown stage, an amount that is not a number) is dropped,
/// with the reason in `dropped`, and the rest kept: the builtin value stays in its place, and
/// one bad field from a small local model does not throw its whole answer away.
pub fn validate_extraction(mut ext: Extraction, input: &AnalysisInput<'_>) -> Result<Extraction, ProviderError> {
    let ids: HashSet<&str> = input.recent.iter().map(|m| m.id.as_str()).collect();
    let keep = |ev: &mut Vec<String>| {
        ev.retain(|id| ids.contains(id.trim()));
        ev.iter_mut().for_each(|id| *id = id.trim().to_owned());
        ev.dedup();
    };
    let mut dropped = Vec::new();

    drop_unknown(
        &mut ext.stage,
        |s| &s.value,
        |v| input.stages.iter().any(|s| s == v),
        "stage",
        &mut dropped,
    );
    if let Some(stage) = &mut ext.stage {
        keep(&mut stage.evidence);
    }
    drop_unknown(
        &mut ext.intent,
        |i| &i.value,
        |v| INTENTS.contains(&v),
        "intent",
        &mut dropped,
    );
    if let Some(intent) = &mut ext.intent {
        keep(&mut intent.evidence);
    }
    drop_unknown(
        &mut ext.urgency,
        |u| u,
        |v| ["low", "normal", "high"].contains(&v),
        "urgency",
        &mut dropped,
    );
    drop_unknown(
        &mut ext.sentiment,
        |s| s,
        |v| ["negative", "neutral", "positive"].contains(&v),
        "sentiment",
        &mut dropped,
    );
    if let Some(mut b) = ext.budget.take() {
        let amount = Decimal::from_str(b.amount.trim())
            .ok()
            .filter(|d| d.is_sign_positive() && b.amount.trim().chars().all(|c| c.is_ascii_digit() || c == '.'));
        let currency = Currency::parse(&b.currency);
        match (amount, currency) {
            (None, _) => dropped.push(format!("budget amount `{}` is not a plain decimal", short(&b.amount))),
            (_, Err(e)) => dropped.push(format!("budget currency: {e}")),
            (Some(_), _) if b.period != "total" && b.period != "monthly" => {
                dropped.push(format!("unknown budget period `{}`", short(&b.period)))
            }
            (Some(amount), Ok(currency)) => {
                b.amount = amount.normalize().to_string();
                b.currency = currency.as_str().to_owned();
                keep(&mut b.evidence);
                ext.budget = Some(b);
            }
        }
    }
    if let Some(lang) = ext.language.take() {
        // `pt-BR` → `pt`: the profile keeps the language, not the region.
        let l = lang.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        if l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()) {
            ext.language = Some(l);
        } else {
            dropped.push(format!("language `{}` is not an ISO 639-1 code", short(&lang)));
        }
    }
    for f in [&mut ext.financing, &mut ext.trade_in].into_iter().flatten() {
        keep(&mut f.evidence);
    }
    ext.interests
        .retain(|i| !i.make.trim().is_empty() && !i.model.trim().is_empty());
    for i in &mut ext.interests {
        i.make = i.make.trim().to_owned();
        i.model = i.model.trim().to_owned();
        keep(&mut i.evidence);
    }
    for slot in [&mut ext.name, &mut ext.email] {
        if let Some(v) = slot.as_mut() {
            v.value = v.value.trim().to_owned();
            keep(&mut v.evidence);
        }
        if slot.as_ref().is_some_and(|v| v.value.is_empty()) {
            *slot = None;
        }
    }
    // An "e-mail" that is no address (or still a placeholder) is not an e-mail.
    if ext
        .email
        .as_ref()
        .is_some_and(|e| !e.value.contains('@') || e.value.contains(' '))
    {
        ext.email = None;
    }
    for list in [&mut ext.objections, &mut ext.open_questions] {
        list.retain(|n| !n.value.trim().is_empty());
        list.iter_mut().for_each(|n| keep(&mut n.evidence));
    }
    for s in [&mut ext.summary, &mut ext.next_best_action] {
        if s.as_deref().is_some_and(|t| t.trim().is_empty()) {
            *s = None;
        }
    }
    ext.dropped = dropped;
    Ok(ext)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dossier_core::MessageId;
    use dossier_core::profile::Fact;
    use jiff::Timestamp;

    pub(crate) fn m(id: &str, dir: Direction, ts: &str, text: &str) -> Message {
        Message {
            id: MessageId::parse(id).unwrap(),
            direction: dir,
            timestamp: ts.parse::<Timestamp>().unwrap(),
            text: Some(text.to_owned()),
            kind: None,
            status: None,
            detail: None,
        }
    }

    pub(crate) fn messages() -> Vec<Message> {
        vec![
            m(
                "wamid.1",
                Direction::In,
                "2026-10-01T15:04:05Z",
                "Hola, ¿tienen el Corolla 2022?",
            ),
            m(
                "wamid.2",
                Direction::Out,
                "2026-10-01T15:06:00Z",
                "¡Sí! Tenemos dos unidades.",
            ),
            m(
                "wamid.3",
                Direction::In,
                "2026-10-01T15:10:00Z",
                "Mi presupuesto es 25,000 USD. Soy Mariana, mi correo es mariana@example.com y mi cel +52 55 1234 5678",
            ),
            Message {
                text: None,
                kind: Some("image".into()),
                ..m("wamid.4", Direction::In, "2026-10-01T15:11:00Z", "")
            },
        ]
    }

    pub(crate) fn profile() -> Profile {
        let mut p = Profile::empty("demo-motors", Some("5215512345678"));
        p.contact.language = Some("es".into());
        p.stage = Some(Fact {
            value: "exploring".into(),
            confidence: 0.6,
            since: None,
            evidence: vec![MessageId::parse("wamid.1").unwrap()],
            source: None,
        });
        p
    }

    pub(crate) fn stages() -> Vec<String> {
        STAGES.iter().map(|s| s.to_string()).collect()
    }

    pub(crate) fn catalog() -> Vec<String> {
        vec!["Toyota Corolla".into(), "Toyota RAV4".into(), "Honda Civic".into()]
    }

    pub(crate) fn input<'a>(
        p: &'a Profile,
        msgs: &'a [Message],
        stages: &'a [String],
        catalog: &'a [String],
    ) -> AnalysisInput<'a> {
        AnalysisInput {
            templates: crate::templates::Templates::embedded(),
            company_name: "Demo Motors",
            profile: p,
            summary: Some(
                "Earlier: 3 messages up to 2026-09-20; the customer's key points, oldest first:\n- 2026-09-20: Busco SUV familiar",
            ),
            recent: msgs,
            stages,
            catalog_models: catalog,
            fields: &[],
        }
    }

    #[test]
    fn analyze_prompt_snapshot() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let (system, user) = render_analyze(&input(&p, &msgs, &st, &cat)).unwrap();
        insta::assert_snapshot!("analyze_system", system);
        insta::assert_snapshot!("analyze_user", user);
    }

    #[test]
    fn draft_prompt_snapshot() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let tools = vec![ToolSpec {
            name: "lowest_price".into(),
            description: "Lowest listed price of a model.".into(),
            parameters: json!({"type": "object"}),
        }];
        let (system, user) = render_draft(
            &input(&p, &msgs, &st, &cat),
            Some("Offer a test drive on Saturday"),
            &tools,
        )
        .unwrap();
        insta::assert_snapshot!("draft_system", system);
        insta::assert_snapshot!("draft_user", user);
        let (_, bare) = render_draft(&input(&p, &msgs, &st, &cat), None, &[]).unwrap();
        assert!(!bare.contains("Tools you can call") && !bare.contains("instructions"));
    }

    #[test]
    fn custom_stages_render_by_name() {
        let (p, msgs, cat) = (profile(), messages(), catalog());
        let st = vec!["lead".to_owned(), "closed_won".to_owned()];
        let mut inp = input(&p, &msgs, &st, &cat);
        inp.summary = None;
        let (_, user) = render_analyze(&inp).unwrap();
        assert!(user.contains("- lead\n- closed_won\n"), "{user}");
        assert!(user.contains("(nothing earlier)"));
        let schema = extraction_schema_for(&st, &[]);
        assert_eq!(
            schema["properties"]["stage"]["anyOf"][0]["properties"]["value"]["enum"],
            json!(["lead", "closed_won"])
        );
    }

    /// Every object lists all its properties as required and forbids others (OpenAI strict mode).
    #[test]
    fn schema_is_strict() {
        fn check(v: &serde_json::Value, path: &str) {
            if let Some(obj) = v.as_object() {
                if obj.get("type") == Some(&json!("object")) {
                    let props: Vec<&String> = obj["properties"].as_object().unwrap().keys().collect();
                    let mut req: Vec<&str> = obj["required"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap())
                        .collect();
                    req.sort_unstable();
                    let mut p: Vec<&str> = props.iter().map(|s| s.as_str()).collect();
                    p.sort_unstable();
                    assert_eq!(p, req, "at {path}");
                    assert_eq!(obj["additionalProperties"], json!(false), "at {path}");
                }
                for (k, child) in obj {
                    check(child, &format!("{path}/{k}"));
                }
            } else if let Some(arr) = v.as_array() {
                arr.iter().for_each(|c| check(c, path));
            }
        }
        let schema = extraction_schema();
        check(&schema, "");
        // Every Extraction field is in the schema.
        let fields = serde_json::to_value(Extraction::default()).unwrap();
        // `custom` is asked for only when the company defines fields.
        let mut a: Vec<_> = fields
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "custom")
            .cloned()
            .collect();
        let mut b: Vec<_> = schema["properties"].as_object().unwrap().keys().cloned().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        insta::assert_json_snapshot!("extraction_schema", schema);
    }

    #[test]
    fn parses_validates_and_restores() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let inp = input(&p, &msgs, &st, &cat);
        let mut r = Redactor::new();
        let _ = r.redact("mi correo es mariana@example.com");
        let answer = json!({
            "stage": {"value": "negotiating", "evidence": ["wamid.3", "wamid.99"]},
            "intent": {"value": "price", "evidence": ["wamid.3"]},
            "interests": [{"make": "Toyota", "model": "Corolla", "year": 2022, "evidence": ["wamid.1"]}, {"make": " ", "model": "x", "year": null, "evidence": []}],
            "budget": {"amount": "25000.00", "currency": "usd", "period": "total", "evidence": ["wamid.3"]},
            "financing": null, "trade_in": null, "urgency": "normal", "sentiment": "positive",
            "name": {"value": "Mariana", "evidence": ["wamid.3"]},
            "email": {"value": "[EMAIL_1]", "evidence": ["wamid.3"]},
            "language": "ES", "objections": [], "open_questions": [], "summary": "Wants a Corolla.", "next_best_action": null
        });
        let ext = parse_extraction(answer, &inp, &r).unwrap();
        assert_eq!(
            ext.stage.unwrap().evidence,
            vec!["wamid.3"],
            "wamid.99 names no message"
        );
        assert_eq!(ext.interests.len(), 1);
        let b = ext.budget.unwrap();
        assert_eq!((b.amount.as_str(), b.currency.as_str()), ("25000", "USD"));
        assert_eq!(ext.email.unwrap().value, "mariana@example.com");
        assert_eq!(ext.language.as_deref(), Some("es"));

        // A value outside the contract is dropped with its reason; the rest is kept.
        for bad in [
            json!({"stage": {"value": "closing", "evidence": []}, "name": {"value": "Ana", "evidence": []}}),
            json!({"intent": {"value": "buy", "evidence": []}, "name": {"value": "Ana", "evidence": []}}),
            json!({"urgency": "extreme", "name": {"value": "Ana", "evidence": []}}),
            json!({"budget": {"amount": "25,000", "currency": "USD", "period": "total"}, "name": {"value": "Ana", "evidence": []}}),
            json!({"budget": {"amount": "-5", "currency": "USD", "period": "total"}, "name": {"value": "Ana", "evidence": []}}),
            json!({"budget": {"amount": "hola", "currency": "USD", "period": "total"}, "name": {"value": "Ana", "evidence": []}}),
            json!({"budget": {"amount": "25000", "currency": "dollars", "period": "total"}, "name": {"value": "Ana", "evidence": []}}),
            json!({"budget": {"amount": "25000", "currency": "USD", "period": "weekly"}, "name": {"value": "Ana", "evidence": []}}),
            json!({"language": "spanish", "name": {"value": "Ana", "evidence": []}}),
        ] {
            let ext = parse_extraction(bad.clone(), &inp, &r).unwrap();
            assert_eq!(ext.dropped.len(), 1, "{bad}: {:?}", ext.dropped);
            assert!(
                ext.stage.is_none() && ext.intent.is_none() && ext.urgency.is_none(),
                "{bad}"
            );
            assert!(ext.budget.is_none() && ext.language.is_none(), "{bad}");
            assert_eq!(
                ext.name.map(|n| n.value).as_deref(),
                Some("Ana"),
                "{bad}: the rest is kept"
            );
        }
        // What does not have the contract's shape at all is refused whole.
        for bad in [json!({"interests": "Corolla"}), json!("not an object")] {
            assert!(
                matches!(parse_extraction(bad.clone(), &inp, &r), Err(ProviderError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
