//! The handoff summary a manager acts on: who the customer is, what they want, what was promised
//! (quotes sent, callbacks, appointments) and by whom, open questions, and what not to ask again;
//! each with the customer's or the dealership's own words as evidence, in the managers'
//! language (en, es, pt, ar; the labels and the profile's values are translated, quotes stay as
//! written).

use super::promises::{Kind, Promise};
use crate::copilot::card::{clip, human};
use crate::copilot::contact::{display_name, display_phone};
use dossier_core::money::format_amount;
use dossier_core::{ContactId, Message, MessageId, Profile};
use serde::Serialize;
use std::collections::HashMap;

/// The handoff summary, chat-independent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handoff {
    pub title: String,
    pub assignee: String,
    pub by: String,
    pub language: String,
    /// Label → lines, in reading order.
    pub sections: Vec<(String, Vec<String>)>,
}

impl Handoff {
    /// Markdown-ish text; `bold` is `*` for Slack, `**` for Mattermost.
    pub fn render(&self, bold: &str) -> String {
        let l = labels(&self.language);
        let mut out = vec![format!(
            "{bold}{}: {}{bold} → {} ({} {})",
            l.handoff, self.title, self.assignee, l.from, self.by
        )];
        for (label, lines) in &self.sections {
            match lines.as_slice() {
                [one] => out.push(format!("{bold}{label}:{bold} {one}")),
                many => {
                    out.push(format!("{bold}{label}:{bold}"));
                    out.extend(many.iter().map(|x| format!("• {x}")));
                }
            }
        }
        out.join("\n")
    }
}

/// What the summary is built from.
pub struct Inputs<'a> {
    pub profile: &'a Profile,
    pub record: Option<&'a crate::store::ContactRecord>,
    pub contact: &'a ContactId,
    /// The latest messages, oldest first (evidence is looked up here).
    pub messages: &'a [Message],
    pub promises: &'a [Promise],
    pub assignee: &'a str,
    pub by: &'a str,
    pub note: Option<&'a str>,
    /// The managers' language (one of en, es, pt, ar; anything else reads English).
    pub language: &'a str,
}

struct Labels {
    handoff: &'static str,
    from: &'static str,
    who: &'static str,
    wants: &'static str,
    stage: &'static str,
    promised: &'static str,
    open: &'static str,
    dont_ask: &'static str,
    summary: &'static str,
    next: &'static str,
    note: &'static str,
    unknown_name: &'static str,
    not_clear: &'static str,
    nothing_yet: &'static str,
    none: &'static str,
    writes_in: &'static str,
    returning: &'static str,
    budget: &'static str,
    monthly: &'static str,
    financing: &'static str,
    down: &'static str,
    months: &'static str,
    trade_in: &'static str,
    no_trade_in: &'static str,
    since: &'static str,
    asks_about: &'static str,
    dealership: &'static str,
    quote: &'static str,
    callback: &'static str,
    appointment: &'static str,
    send: &'static str,
    call_first: &'static str,
    name: &'static str,
    vehicle: &'static str,
    day_time: &'static str,
    down_item: &'static str,
    term_item: &'static str,
    /// Between items of a list (Arabic has its own comma).
    sep: &'static str,
}

const EN: Labels = Labels {
    handoff: "Handoff",
    from: "from",
    who: "Who",
    wants: "Wants",
    stage: "Stage",
    promised: "Promised",
    open: "Open questions",
    dont_ask: "Do not ask again",
    summary: "Summary",
    next: "Suggested next step",
    note: "Note",
    unknown_name: "Unknown name",
    not_clear: "Not clear yet",
    nothing_yet: "Nothing yet",
    none: "None",
    writes_in: "writes in",
    returning: "returning customer",
    budget: "budget",
    monthly: "a month",
    financing: "financing",
    down: "down",
    months: "months",
    trade_in: "trade-in",
    no_trade_in: "no trade-in",
    since: "since",
    asks_about: "asks about",
    dealership: "the dealership",
    quote: "Quote sent",
    callback: "Callback promised",
    appointment: "Appointment",
    send: "To send",
    call_first: "Call the customer and confirm what they need.",
    name: "name",
    vehicle: "vehicle",
    day_time: "day and time",
    down_item: "down payment",
    term_item: "term",
    sep: ", ",
};

const ES: Labels = Labels {
    handoff: "Traspaso",
    from: "de",
    who: "Quién",
    wants: "Quiere",
    stage: "Etapa",
    promised: "Compromisos",
    open: "Preguntas abiertas",
    dont_ask: "No volver a preguntar",
    summary: "Resumen (en inglés)",
    next: "Siguiente paso sugerido",
    note: "Nota",
    unknown_name: "Nombre desconocido",
    not_clear: "Aún no está claro",
    nothing_yet: "Nada todavía",
    none: "Ninguna",
    writes_in: "escribe en",
    returning: "cliente que regresa",
    budget: "presupuesto",
    monthly: "al mes",
    financing: "financiamiento",
    down: "de pago inicial",
    months: "meses",
    trade_in: "auto a cuenta",
    no_trade_in: "sin auto a cuenta",
    since: "desde",
    asks_about: "pregunta por",
    dealership: "la agencia",
    quote: "Cotización enviada",
    callback: "Llamada prometida",
    appointment: "Cita",
    send: "Por enviar",
    call_first: "Llamar al cliente y confirmar qué necesita.",
    name: "nombre",
    vehicle: "vehículo",
    day_time: "día y hora",
    down_item: "pago inicial",
    term_item: "plazo",
    sep: ", ",
};

const PT: Labels = Labels {
    handoff: "Passagem",
    from: "de",
    who: "Quem",
    wants: "Quer",
    stage: "Etapa",
    promised: "Compromissos",
    open: "Perguntas em aberto",
    dont_ask: "Não perguntar de novo",
    summary: "Resumo (em inglês)",
    next: "Próximo passo sugerido",
    note: "Nota",
    unknown_name: "Nome desconhecido",
    not_clear: "Ainda não está claro",
    nothing_yet: "Nada ainda",
    none: "Nenhuma",
    writes_in: "escreve em",
    returning: "cliente que voltou",
    budget: "orçamento",
    monthly: "por mês",
    financing: "financiamento",
    down: "de entrada",
    months: "meses",
    trade_in: "usado na troca",
    no_trade_in: "sem usado na troca",
    since: "desde",
    asks_about: "pergunta sobre",
    dealership: "a loja",
    quote: "Proposta enviada",
    callback: "Retorno prometido",
    appointment: "Agendamento",
    send: "A enviar",
    call_first: "Ligar para o cliente e confirmar o que ele precisa.",
    name: "nome",
    vehicle: "veículo",
    day_time: "dia e horário",
    down_item: "entrada",
    term_item: "prazo",
    sep: ", ",
};

const AR: Labels = Labels {
    handoff: "تسليم",
    from: "من",
    who: "العميل",
    wants: "يريد",
    stage: "المرحلة",
    promised: "الالتزامات",
    open: "أسئلة مفتوحة",
    dont_ask: "لا تسأل مجدداً عن",
    summary: "الملخص (بالإنجليزية)",
    next: "الخطوة التالية المقترحة",
    note: "ملاحظة",
    unknown_name: "اسم غير معروف",
    not_clear: "غير واضح بعد",
    nothing_yet: "لا شيء بعد",
    none: "لا يوجد",
    writes_in: "لغته:",
    returning: "عميل عائد",
    budget: "الميزانية",
    monthly: "شهرياً",
    financing: "تمويل",
    down: "دفعة أولى",
    months: "شهراً",
    trade_in: "سيارة للاستبدال",
    no_trade_in: "لا توجد سيارة للاستبدال",
    since: "منذ",
    asks_about: "يسأل عن",
    dealership: "المعرض",
    quote: "عرض سعر أُرسل",
    callback: "وعد بالاتصال",
    appointment: "موعد",
    send: "للإرسال",
    call_first: "اتصل بالعميل وتأكد مما يحتاجه.",
    name: "الاسم",
    vehicle: "السيارة",
    day_time: "اليوم والوقت",
    down_item: "الدفعة الأولى",
    term_item: "مدة التمويل",
    sep: "، ",
};

fn labels(language: &str) -> &'static Labels {
    match language {
        "es" => &ES,
        "pt" => &PT,
        "ar" => &AR,
        _ => &EN,
    }
}

/// A stage or intent name in the managers' language.
fn value_name(v: &str, language: &str) -> String {
    let t: &[(&str, [&str; 3])] = &[
        ("first_inquiry", ["Primer contacto", "Primeiro contato", "استفسار أول"]),
        ("exploring", ["Explorando", "Explorando", "يستكشف"]),
        ("comparing", ["Comparando", "Comparando", "يقارن"]),
        ("negotiating", ["Negociando", "Negociando", "يتفاوض"]),
        (
            "ready_to_buy",
            ["Listo para comprar", "Pronto para comprar", "جاهز للشراء"],
        ),
        ("support", ["Posventa", "Pós-venda", "خدمة ما بعد البيع"]),
        ("greeting", ["saludo", "saudação", "التحية"]),
        ("availability", ["disponibilidad", "disponibilidade", "التوفر"]),
        ("price", ["precio", "preço", "السعر"]),
        ("features", ["características", "características", "المواصفات"]),
        ("comparison", ["comparación", "comparação", "المقارنة"]),
        ("financing", ["financiamiento", "financiamento", "التمويل"]),
        ("trade_in", ["auto a cuenta", "troca", "الاستبدال"]),
        ("test_drive", ["prueba de manejo", "test drive", "تجربة القيادة"]),
        ("reservation", ["reserva", "reserva", "الحجز"]),
        ("documents", ["documentos", "documentos", "المستندات"]),
        ("complaint", ["queja", "reclamação", "شكوى"]),
        ("service", ["servicio", "serviço", "الصيانة"]),
        ("other", ["otro", "outro", "أخرى"]),
    ];
    let i = match language {
        "es" => 0,
        "pt" => 1,
        "ar" => 2,
        _ => return human(v),
    };
    t.iter()
        .find(|(k, _)| *k == v)
        .map(|(_, n)| n[i].to_owned())
        .unwrap_or_else(|| human(v))
}

fn language_name(code: &str, language: &str) -> String {
    let names: &[(&str, [&str; 4])] = &[
        ("en", ["English", "inglés", "inglês", "الإنجليزية"]),
        ("es", ["Spanish", "español", "espanhol", "الإسبانية"]),
        ("pt", ["Portuguese", "portugués", "português", "البرتغالية"]),
        ("ar", ["Arabic", "árabe", "árabe", "العربية"]),
    ];
    let i = match language {
        "es" => 1,
        "pt" => 2,
        "ar" => 3,
        _ => 0,
    };
    names
        .iter()
        .find(|(k, _)| *k == code)
        .map(|(_, n)| n[i].to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The customer's words behind a fact: the first evidence message found, quoted and clipped.
fn quote(ids: &[MessageId], by_id: &HashMap<&MessageId, &Message>) -> String {
    ids.iter()
        .rev()
        .find_map(|id| by_id.get(id).filter(|m| m.is_inbound()))
        .map(|m| m.text().trim().replace('\n', " "))
        .filter(|t| !t.is_empty())
        .map(|t| format!(" (“{}”)", clip(&t, 140)))
        .unwrap_or_default()
}

pub fn build(i: &Inputs<'_>) -> Handoff {
    let lang = match i.language {
        "es" | "pt" | "ar" => i.language,
        _ => "en",
    };
    let l = labels(lang);
    let p = i.profile;
    let by_id: HashMap<&MessageId, &Message> = i.messages.iter().map(|m| (&m.id, m)).collect();
    let name = display_name(i.record, Some(p)).unwrap_or_else(|| l.unknown_name.into());
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();

    let mut who = vec![name.clone(), display_phone(i.contact)];
    if let Some(c) = &p.contact.language {
        who.push(format!("{} {}", l.writes_in, language_name(c, lang)));
    }
    if p.returning {
        who.push(l.returning.into());
    }
    if let Some(b) = &p.contact.branch {
        who.push(b.clone());
    }
    sections.push((l.who.into(), vec![who.join(" · ")]));

    let mut wants = Vec::new();
    for it in p.interests.iter().rev().take(3) {
        wants.push(format!("{}{}", it.item, quote(&it.evidence, &by_id)));
    }
    if let Some(b) = &p.budget {
        let per = if b.period == dossier_core::profile::BudgetPeriod::Monthly {
            format!(" {}", l.monthly)
        } else {
            String::new()
        };
        wants.push(format!(
            "{} {} {}{per}{}",
            l.budget,
            format_amount(b.amount),
            b.currency,
            quote(&b.evidence, &by_id)
        ));
    }
    if let Some(f) = p.financing.as_ref().filter(|f| f.interested) {
        let mut terms = Vec::new();
        if let Some(d) = f.down_payment {
            terms.push(format!("{} {}", format_amount(d), l.down));
        }
        if let Some(t) = f.term_months {
            terms.push(format!("{t} {}", l.months));
        }
        let terms = if terms.is_empty() {
            String::new()
        } else {
            format!(": {}", terms.join(l.sep))
        };
        wants.push(format!("{}{terms}{}", l.financing, quote(&f.evidence, &by_id)));
    }
    if let Some(t) = &p.trade_in {
        let what = if t.has {
            match &t.description {
                Some(d) if !d.is_empty() => format!("{}: {d}", l.trade_in),
                _ => l.trade_in.to_owned(),
            }
        } else {
            l.no_trade_in.to_owned()
        };
        wants.push(format!("{what}{}", quote(&t.evidence, &by_id)));
    }
    if wants.is_empty() {
        wants.push(l.not_clear.into());
    }
    sections.push((l.wants.into(), wants));

    let mut stage = p
        .stage
        .as_ref()
        .map(|s| {
            let since = s
                .since
                .map(|t| format!(" {} {}", l.since, t.strftime("%Y-%m-%d")))
                .unwrap_or_default();
            format!("{}{since}", value_name(&s.value, lang))
        })
        .unwrap_or_else(|| l.not_clear.into());
    if let Some(it) = &p.intent {
        stage.push_str(&format!(
            " · {} {}",
            l.asks_about,
            value_name(&it.value, lang).to_lowercase()
        ));
    }
    sections.push((l.stage.into(), vec![stage]));

    let promised: Vec<String> = i
        .promises
        .iter()
        .rev()
        .take(5)
        .rev()
        .map(|pr| {
            let kind = match pr.kind {
                Kind::Quote => l.quote,
                Kind::Callback => l.callback,
                Kind::Appointment => l.appointment,
                Kind::Send => l.send,
            };
            let who = pr.by.as_deref().unwrap_or(l.dealership);
            format!(
                "{kind} · {who} · {}: “{}”",
                pr.at.strftime("%Y-%m-%d"),
                clip(&pr.text.replace('\n', " "), 160)
            )
        })
        .collect();
    sections.push((
        l.promised.into(),
        if promised.is_empty() {
            vec![l.nothing_yet.into()]
        } else {
            promised
        },
    ));

    let open: Vec<String> = p
        .open_questions
        .iter()
        .chain(p.objections.iter())
        .map(|n| format!("{}{}", n.text, quote(&n.evidence, &by_id)))
        .collect();
    sections.push((l.open.into(), if open.is_empty() { vec![l.none.into()] } else { open }));

    let known = crate::copilot::drafts::plan::known_in(p, i.messages);
    let dont: Vec<&str> = known
        .iter()
        .map(|k| match *k {
            "name" => l.name,
            "vehicle" => l.vehicle,
            "budget" => l.budget,
            "down_payment" => l.down_item,
            "term" => l.term_item,
            "trade_in" => l.trade_in,
            "day_time" => l.day_time,
            other => other,
        })
        .collect();
    sections.push((
        l.dont_ask.into(),
        vec![if dont.is_empty() {
            l.none.to_owned()
        } else {
            dont.join(l.sep)
        }],
    ));
    if let Some(s) = &p.summary {
        sections.push((l.summary.into(), vec![clip(s, 600)]));
    }
    sections.push((
        l.next.into(),
        vec![p.next_best_action.clone().unwrap_or_else(|| l.call_first.into())],
    ));
    if let Some(n) = i.note {
        sections.push((l.note.into(), vec![n.to_owned()]));
    }
    Handoff {
        title: format!("{name} · {}", display_phone(i.contact)),
        assignee: i.assignee.to_owned(),
        by: i.by.to_owned(),
        language: lang.to_owned(),
        sections,
    }
}
