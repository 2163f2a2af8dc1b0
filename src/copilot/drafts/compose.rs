//! The builtin composer: a minijinja template `drafts/{intent}.{lang}.txt.j2` (else
//! `drafts/default.{lang}.txt.j2`, else `drafts/default.en.txt.j2`) filled with the profile and
//! the business tools' facts only — so a price or a payment in a draft always comes from a tool
//! result, never from the customer's text.

use super::DRAFT_MAX;
use crate::copilot::card::clip;
use crate::templates::{TemplateError, Templates};
use dossier_core::Profile;
use dossier_core::money::format_amount;
use dossier_core::profile::ToolFact;
use serde_json::{Value, json};

fn language(p: &Profile) -> String {
    p.contact
        .language
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_lowercase())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "en".into())
}

/// The values a template may use: profile facts and tool results, nothing from free text.
pub fn template_context(p: &Profile, facts: &[ToolFact]) -> Value {
    let first_name = p
        .contact
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .map(str::to_owned);
    let interest = p
        .leading_interest()
        .map(|i| json!({ "label": i.item, "make": i.make, "model": i.model, "year": i.year }));
    let money = |v: &Value| v.as_str().and_then(|s| s.parse().ok()).map(format_amount);
    let mut stock = Value::Null;
    let mut lowest = Value::Null;
    let mut payment = Value::Null;
    for f in facts {
        match f.tool.as_str() {
            "inventory_search" => {
                stock = json!({
                    "count": f.data["total"],
                    "items": f.data["items"].as_array().map(|a| a.iter().take(3).map(|i| json!({
                        "year": i["year"], "trim": i["trim"], "branch": i["branch"],
                        "price": money(&i["price"]), "currency": i["currency"],
                    })).collect::<Vec<_>>()),
                })
            }
            "lowest_price" => {
                let l = &f.data["lowest"];
                if l.is_object() {
                    lowest = json!({
                        "price": money(&l["price"]), "currency": l["currency"], "year": l["year"],
                        "trim": l["trim"], "branch": l["branch"],
                    });
                }
            }
            "finance_payment" => {
                payment = json!({
                    "monthly": money(&f.data["monthly_payment"]),
                    "currency": f.data["currency"],
                    "term_months": f.data["term_months"],
                    "apr": f.data["apr"],
                    "apr_assumed": f.data["apr_source"] == "assumed",
                    "down": money(&f.data["down_payment"]),
                })
            }
            _ => {}
        }
    }
    json!({
        "name": first_name,
        "language": language(p),
        "intent": p.intent.as_ref().map(|i| i.value.clone()),
        "stage": p.stage.as_ref().map(|s| s.value.clone()),
        "interest": interest,
        "financing": p.financing.as_ref().map(|f| f.interested),
        "trade_in": p.trade_in.as_ref().map(|t| t.has),
        "test_drive": p.intent.as_ref().is_some_and(|i| i.value == "test_drive"),
        "stock": stock,
        "lowest": lowest,
        "payment": payment,
    })
}

/// Composes a draft text: returns `(text, language, intent, template name)`.
pub fn compose(
    templates: &Templates,
    p: &Profile,
    facts: &[ToolFact],
) -> anyhow::Result<(String, String, String, String)> {
    let lang = language(p);
    let intent = p
        .intent
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| "other".into());
    let candidates = [
        format!("drafts/{intent}.{lang}.txt.j2"),
        format!("drafts/default.{lang}.txt.j2"),
        "drafts/default.en.txt.j2".to_owned(),
    ];
    let ctx = template_context(p, facts);
    for name in &candidates {
        match templates.render(name, &ctx) {
            Ok(text) => {
                let used_lang = name.rsplit('.').nth(2).unwrap_or("en").to_owned();
                return Ok((tidy(&text), used_lang, intent, name.clone()));
            }
            Err(TemplateError::Missing(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("no draft template (need drafts/default.en.txt.j2)")
}

/// Trims lines, keeps at most one blank line between paragraphs, caps the length.
fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    clip(&out.join("\n"), DRAFT_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompts() -> &'static Templates {
        Templates::embedded()
    }

    fn facts() -> Vec<ToolFact> {
        vec![
            ToolFact {
                tool: "inventory_search".into(),
                text: "3 Toyota Corolla in stock".into(),
                data: json!({"total": 3, "items": [{"year": 2022, "trim": "LE", "branch": "Northside", "price": "20900.00", "currency": "USD"}]}),
            },
            ToolFact {
                tool: "lowest_price".into(),
                text: "Lowest".into(),
                data: json!({"found": true, "lowest": {"year": 2022, "trim": "LE", "branch": "Northside", "price": "20900.00", "currency": "USD"}}),
            },
            ToolFact {
                tool: "finance_payment".into(),
                text: "Estimated".into(),
                data: json!({"monthly_payment": "314.52", "currency": "USD", "term_months": 60, "apr": "6.9", "apr_source": "rate_table", "down_payment": "5000.00"}),
            },
        ]
    }

    #[test]
    fn spanish_financing_draft_uses_tool_numbers_only() {
        let (p, _) = crate::copilot::card::tests::sample();
        let (text, lang, intent, template) = compose(prompts(), &p, &facts()).unwrap();
        assert_eq!((lang.as_str(), intent.as_str()), ("es", "financing"));
        assert_eq!(template, "drafts/financing.es.txt.j2");
        assert!(text.contains("314.52"), "{text}");
        insta::assert_snapshot!("draft_financing_es", text);
    }

    #[test]
    fn falls_back_to_default_then_english() {
        let (mut p, _) = crate::copilot::card::tests::sample();
        p.intent = None;
        p.contact.language = Some("pt-BR".into());
        let (text, lang, _, template) = compose(prompts(), &p, &facts()).unwrap();
        assert_eq!((lang.as_str(), template.as_str()), ("pt", "drafts/default.pt.txt.j2"));
        insta::assert_snapshot!("draft_default_pt", text);
        p.contact.language = Some("xx".into());
        p.contact.name = None;
        let (text, lang, _, template) = compose(prompts(), &p, &[]).unwrap();
        assert_eq!((lang.as_str(), template.as_str()), ("en", "drafts/default.en.txt.j2"));
        insta::assert_snapshot!("draft_default_en_no_facts", text);
    }

    #[test]
    fn tidy_collapses_blank_lines() {
        assert_eq!(tidy("  a \n\n\n b\n\n"), "a\n\nb");
    }
}
