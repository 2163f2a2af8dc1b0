//! `dossier draft FILE` (the reply dossier would propose to a conversation file's latest
//! customer message, docs/conversation-and-profile.md §8) and `dossier eval DIR --drafts` (every
//! draft of a folder scored by the checks of §8 against labels that say what a good reply needs).

use super::CliError;
use super::analyze::{AnalysisArgs, CliLlm, analyze_conversation, company_of, read_conversation, runtime};
use crate::companies::CompanyRuntime;
use crate::config::{ProviderKind, Settings};
use crate::copilot::drafts::check::{self, Grounds};
use crate::copilot::drafts::compose::{self, Composed};
use dossier_core::text::fold;
use dossier_core::{Conversation, Message};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The conversation's messages in time order (ties in file order), as the composer reads them.
fn in_order(conv: &Conversation) -> Vec<Message> {
    let mut m = conv.messages.clone();
    m.sort_by_key(|m| m.timestamp);
    m
}

/// The draft for one conversation: its profile, then the builtin composer, then the company's
/// LLM when one is chosen (checked like the builtin draft, which stands when it fails).
pub async fn draft_for(
    settings: &Settings,
    llm: &CliLlm,
    rt: &CompanyRuntime,
    conv: &Conversation,
    company: &str,
    agent_language: &str,
) -> Result<Composed, CliError> {
    let profile = analyze_conversation(settings, llm, rt, conv, company).await;
    let messages = in_order(conv);
    let builtin = compose::compose(
        llm.templates(),
        &rt.tools,
        &profile,
        &messages,
        &rt.config,
        agent_language,
    )
    .map_err(|e| CliError::failure(format!("{e:#}")))?;
    let s = &rt.config.intelligence;
    if s.provider == ProviderKind::Builtin {
        return Ok(builtin);
    }
    let llm_text = crate::copilot::drafts::llm::llm_draft(llm.env(settings), rt, s, &profile, &messages, None).await;
    Ok(compose::prefer_llm(
        builtin,
        llm_text,
        s.provider.as_str(),
        &profile,
        &messages,
    ))
}

pub async fn draft(
    dir: &Path,
    file: &Path,
    args: AnalysisArgs,
    agent_language: Option<String>,
) -> Result<(), CliError> {
    let settings = Settings::load_or_defaults(dir)?;
    let conv = read_conversation(file)?;
    let company = company_of(&conv, &args);
    let rt = runtime(&settings, &company, &args)?;
    let llm = CliLlm::new(&settings, &args)?;
    let agent = compose::agent_language(agent_language.as_deref().or(Some(&rt.config.copilot.agent_language)));
    let d = draft_for(&settings, &llm, &rt, &conv, &company, &agent).await?;
    out!(
        "{}",
        serde_json::to_string_pretty(&d).map_err(|e| CliError::failure(e.to_string()))?
    );
    Ok(())
}

/// What a good reply needs, from a labels file's `draft` object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DraftLabels {
    pub needs: String,
    pub known: Vec<String>,
    pub over_limit: bool,
    pub fits: Vec<String>,
    pub not_in_stock: bool,
    pub alternatives: Vec<String>,
    pub agent_language: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LabelsFile {
    language: Option<String>,
    intent: String,
    #[serde(default)]
    interests: Vec<String>,
    draft: Option<DraftLabels>,
}

/// The checks of §8, each passed or not.
pub const CHECKS: [&str; 7] = [
    "language",
    "gloss",
    "grounded",
    "not_asked_twice",
    "answers",
    "limits",
    "whatsapp",
];

/// One draft's score.
#[derive(Debug, Clone, Serialize)]
pub struct DraftScore {
    pub language: String,
    pub intent: String,
    pub checks: BTreeMap<&'static str, bool>,
    pub problems: Vec<String>,
}

fn contains_any(text: &str, words: &[&str]) -> bool {
    let t = fold(text);
    words.iter().any(|w| t.contains(&fold(w)))
}

/// Words that show the reply gives what the label says it needs, per language together.
fn answers(needs: &str, text: &str, d: &Composed, branches: &[String], wanted: &[String]) -> bool {
    let mentions = |names: &[String]| names.iter().any(|n| contains_any(text, &[n.as_str()]));
    let fact = |tool: &str| d.facts.iter().any(|f| f.tool == tool);
    let number_of = |tool: &str, key: &str| -> bool {
        d.facts
            .iter()
            .filter(|f| f.tool == tool)
            .filter_map(|f| {
                let v = f
                    .data
                    .pointer(key)
                    .or_else(|| f.data.get(key.trim_start_matches('/')))?;
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_f64().map(|x| x.to_string()))
            })
            .any(|n| {
                check::numbers(text)
                    .iter()
                    .any(|(_, r)| r.iter().any(|x| x.parse::<f64>().ok() == n.parse::<f64>().ok()))
            })
    };
    match needs {
        "stock" => mentions(branches) && (fact("inventory_search") || mentions(wanted)),
        "price" => number_of("lowest_price", "/lowest/price") || number_of("inventory_search", "/items/0/price"),
        "payment" => number_of("finance_payment", "/monthly_payment"),
        "next_step" => contains_any(
            text,
            &[
                "what day",
                "when would",
                "when could",
                "book",
                "schedule",
                "come in",
                "come and see",
                "visit",
                "qué día",
                "que dia",
                "cuándo",
                "agend",
                "see you",
                "i'll book",
                "bring it",
                "lo esperamos",
                "te esperamos",
                "tráigalo",
                "te esperamos",
                "pode trazer",
                "visita",
                "pasar por",
                "venir",
                "reserv",
                "quando",
                "passar na",
                "vir ",
                "marcar",
                "موعد",
                "متى",
                "زيارة",
                "تفضل",
                "احجز",
                "حجز",
                "أحجز",
                "بانتظارك",
                "أحضرها",
            ],
        ),
        "apology" => contains_any(
            text,
            &[
                "sorry",
                "apolog",
                "lamento",
                "disculp",
                "perdón",
                "sinto muito",
                "desculp",
                "lamentamos",
                "نعتذر",
                "آسف",
                "يؤسفني",
                "نأسف",
            ],
        ),
        "media_ack" => contains_any(
            text,
            &[
                "photo",
                "voice note",
                "audio",
                "video",
                "picture",
                "image",
                "document",
                "foto",
                "nota de voz",
                "imagen",
                "imagem",
                "áudio",
                "vídeo",
                "documento",
                "صورة",
                "الصورة",
                "رسالة صوتية",
                "الصوتية",
                "مقطع",
                "الفيديو",
                "المستند",
            ],
        ),
        "documents" => contains_any(
            text,
            &[
                "id",
                "identification",
                "proof of",
                "license",
                "identificación",
                "identificacion",
                "cédula",
                "comprobante",
                "documento",
                "rg",
                "cnh",
                "comprovante",
                "هوية",
                "إثبات",
                "رخصة",
                "الهوية",
                "مستندات",
            ],
        ),
        "features" => mentions(wanted) || contains_any(text, &["km", "spec", "ficha", "مواصفات"]),
        "comparison" => wanted.iter().filter(|w| contains_any(text, &[w.as_str()])).count() >= 2,
        "greeting" => contains_any(
            text,
            &[
                "hi",
                "hello",
                "hola",
                "olá",
                "ola",
                "oi",
                "أهلا",
                "أهلاً",
                "مرحبا",
                "السلام",
            ],
        ),
        "trade_in" => contains_any(
            text,
            &[
                "trade",
                "apprais",
                "parte de pago",
                "retoma",
                "avalú",
                "tasación",
                "troca",
                "avalia",
                "استبدال",
                "تقييم",
                "تثمين",
            ],
        ),
        _ => !text.trim().is_empty(),
    }
}

/// Scores one draft against its labels.
pub fn score(
    d: &Composed,
    lang: &str,
    intent: &str,
    labels: &DraftLabels,
    grounds: &Grounds<'_>,
    branches: &[String],
    wanted: &[String],
) -> DraftScore {
    let mut checks = BTreeMap::new();
    let mut problems = Vec::new();
    let detected = check::detect_language(&d.text);
    let language_ok = d.language == lang && detected.is_none_or(|x| x == lang);
    if !language_ok {
        problems.push(format!(
            "language {} (detected {detected:?}), wanted {lang}",
            d.language
        ));
    }
    checks.insert("language", language_ok);
    let agent = labels.agent_language.as_deref().unwrap_or("en");
    let gloss = if d.gloss.is_empty() { &d.text } else { &d.gloss };
    let gloss_ok = check::detect_language(gloss).is_none_or(|x| x == agent) && !gloss.trim().is_empty();
    if !gloss_ok {
        problems.push(format!("gloss not in {agent}"));
    }
    checks.insert("gloss", gloss_ok);
    let known: Vec<&str> = labels.known.iter().map(String::as_str).collect();
    let v = check::check(&d.text, lang, &known, grounds);
    checks.insert("grounded", v.ungrounded.is_empty());
    if !v.ungrounded.is_empty() {
        problems.push(format!("numbers from nowhere: {}", v.ungrounded.join(", ")));
    }
    let asked: Vec<&String> = d.asks.iter().filter(|a| known.contains(&a.as_str())).collect();
    let twice = asked.is_empty() && v.asked_known.is_empty();
    if !twice {
        problems.push(format!("asked again: {:?} {:?}", asked, v.asked_known));
    }
    checks.insert("not_asked_twice", twice);
    let ans = answers(&labels.needs, &d.text, d, branches, wanted);
    if !ans {
        problems.push(format!("does not give what it needs ({})", labels.needs));
    }
    checks.insert("answers", ans);
    let over_cue = contains_any(
        &d.text,
        &[
            "above",
            "over your",
            "over the",
            "exceed",
            "supera",
            "por encima",
            "excede",
            "passa d",
            "acima",
            "ultrapassa",
            "يتجاوز",
            "أعلى من",
            "يزيد",
        ],
    );
    let limits = (!labels.over_limit
        || (over_cue
            && (labels.fits.iter().any(|f| contains_any(&d.text, &[f.as_str()]))
                || contains_any(&d.text, &["month", "mes", "mês", "شهر"]))))
        && (!labels.not_in_stock || labels.alternatives.iter().any(|a| contains_any(&d.text, &[a.as_str()])));
    if !limits {
        problems.push("does not say the limit is passed or offer what fits".into());
    }
    checks.insert("limits", limits);
    let wa = !v.too_long && v.markup.is_empty();
    if !wa {
        problems.push(format!("{} chars, markup {:?}", d.text.chars().count(), v.markup));
    }
    checks.insert("whatsapp", wa);
    DraftScore {
        language: lang.to_owned(),
        intent: intent.to_owned(),
        checks,
        problems,
    }
}

/// Pass rates per check, over `scores`, and the share of drafts passing all of them.
pub fn rates(scores: &[&DraftScore]) -> (BTreeMap<&'static str, f64>, f64) {
    let n = scores.len().max(1) as f64;
    let per = CHECKS
        .iter()
        .map(|c| {
            (
                *c,
                scores
                    .iter()
                    .filter(|s| s.checks.get(c).copied().unwrap_or(false))
                    .count() as f64
                    / n,
            )
        })
        .collect();
    let all = scores.iter().filter(|s| s.checks.values().all(|v| *v)).count() as f64 / n;
    (per, all)
}

pub async fn eval(dir: &Path, data: &Path, args: AnalysisArgs, json: bool) -> Result<(), CliError> {
    let settings = Settings::load_or_defaults(dir)?;
    let mut args = args;
    for (slot, name) in [(&mut args.rates, "rates.toml"), (&mut args.programs, "programs.toml")] {
        if slot.is_none() && data.join(name).is_file() {
            *slot = Some(data.join(name));
        }
    }
    let llm = CliLlm::new(&settings, &args)?;
    let mut files: Vec<_> = std::fs::read_dir(data)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", data.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".labels.json"))
        .collect();
    files.sort();
    let mut runtimes: BTreeMap<String, CompanyRuntime> = BTreeMap::new();
    let mut scores = Vec::new();
    for f in files {
        let lp = f.with_extension("labels.json");
        let Ok(bytes) = std::fs::read(&lp) else { continue };
        let labels: LabelsFile = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::bad_input(format!("{}: not a labels file: {e}", lp.display())))?;
        let Some(dl) = labels.draft else { continue };
        let conv = read_conversation(&f)?;
        let company = company_of(&conv, &args);
        if !runtimes.contains_key(&company) {
            runtimes.insert(company.clone(), runtime(&settings, &company, &args)?);
        }
        let rt = &runtimes[&company];
        let agent = compose::agent_language(dl.agent_language.as_deref());
        let d = draft_for(&settings, &llm, rt, &conv, &company, &agent).await?;
        let profile = analyze_conversation(&settings, &llm, rt, &conv, &company).await;
        let messages = in_order(&conv);
        let grounds = Grounds {
            facts: &d.facts,
            profile: &profile,
            conversation: &messages,
        };
        let mut branches: Vec<String> = rt.catalog.vehicles.iter().map(|v| v.branch.clone()).collect();
        branches.sort();
        branches.dedup();
        // What the customer wants, as the labels say (the analysis may have missed a model).
        let wanted: Vec<String> = if labels.interests.is_empty() {
            profile
                .interests
                .iter()
                .map(|i| format!("{} {}", i.make, i.model))
                .collect()
        } else {
            labels.interests.clone()
        };
        let lang = labels.language.clone().unwrap_or_else(|| "en".into());
        let s = score(&d, &lang, &labels.intent, &dl, &grounds, &branches, &wanted);
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        scores.push((name, s, d));
    }
    if scores.is_empty() {
        return Err(CliError::bad_input(format!(
            "{}: no NAME.json whose NAME.labels.json has a `draft` object",
            data.display()
        )));
    }
    let all: Vec<&DraftScore> = scores.iter().map(|(_, s, _)| s).collect();
    if json {
        let files: serde_json::Map<String, serde_json::Value> = scores
            .iter()
            .map(|(n, s, d)| (n.clone(), serde_json::json!({ "score": s, "draft": d })))
            .collect();
        let (per, pass) = rates(&all);
        out!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "checks": per, "all_pass": pass, "n": all.len(), "files": files })
            )
            .unwrap_or_default()
        );
        return Ok(());
    }
    let header = format!(
        "{:<20} {:>3} {}  {:>8}",
        "group",
        "n",
        CHECKS.map(|c| format!("{c:>16}")).join(""),
        "all pass"
    );
    out!("{header}");
    let mut groups: BTreeMap<String, Vec<&DraftScore>> = BTreeMap::new();
    for s in &all {
        groups.entry(format!("lang {}", s.language)).or_default().push(s);
        groups.entry(format!("intent {}", s.intent)).or_default().push(s);
    }
    groups.insert("all".into(), all.clone());
    for (g, v) in &groups {
        let (per, pass) = rates(v);
        let cells: String = CHECKS.iter().map(|c| format!("{:>16.3}", per[c])).collect();
        out!("{g:<20} {:>3} {cells}  {pass:>8.3}", v.len());
    }
    for (n, s, _) in &scores {
        if !s.problems.is_empty() {
            out!("{n:<16} {}", s.problems.join("; "));
        }
    }
    Ok(())
}
