//! Pipeline stage (docs/conversation-and-profile.md §3) and latest intent (docs/conversation-and-profile.md §4).
//!
//! Stage: each customer message may show a level (support > ready_to_buy > negotiating >
//! comparing); the conversation keeps the highest reached, since a customer who negotiated does
//! not go back to "exploring" by asking about colours. Below comparing, the count of substantive
//! customer messages tells first contact from exploring.
//! Intent: the first intent category (in priority order) with a cue in the latest customer
//! message that has one; thanks/ok/greetings do not change it.

use crate::budget::MoneyFacts;
use crate::lex::Hit;
use crate::state::{AnalyzerState, IntentState, StageState, push_ev};
use crate::{Analyzer, Msg};
use dossier_core::Message;
use dossier_core::profile::{Fact, Profile};

pub const FIRST_INQUIRY: u8 = 1;
pub const EXPLORING: u8 = 2;
pub const COMPARING: u8 = 3;
pub const NEGOTIATING: u8 = 4;
pub const READY: u8 = 5;
pub const SUPPORT: u8 = 6;

pub fn stage_name(level: u8) -> &'static str {
    match level {
        SUPPORT => "support",
        READY => "ready_to_buy",
        NEGOTIATING => "negotiating",
        COMPARING => "comparing",
        EXPLORING => "exploring",
        _ => "first_inquiry",
    }
}

/// Intents in priority order when one message shows several.
pub(crate) const INTENT_ORDER: [&str; 12] = [
    "complaint",
    "documents",
    "reservation",
    "test_drive",
    "trade_in",
    "financing",
    "service",
    "comparison",
    "other",
    "price",
    "availability",
    "features",
];

/// A message with real content: a cue of some intent, a vehicle, an amount or a question,
/// beyond a bare greeting or thanks.
pub(crate) fn is_substantive(an: &Analyzer, m: &Msg, vehicle_or_money: bool) -> bool {
    if vehicle_or_money {
        return true;
    }
    let greet = an.cat("intent.greeting");
    let close = an.cat("intent.closing");
    let covered: usize = (0..m.doc.words.len())
        .filter(|&w| {
            m.hits
                .iter()
                .any(|h| (h.payload == greet || h.payload == close) && h.start <= w && w < h.end)
        })
        .count();
    let words = m.doc.words.len();
    let has_intent = an.intent_ids.iter().any(|(_, c)| m.has(*c));
    if has_intent && covered < words {
        return true;
    }
    words.saturating_sub(covered) >= 3
}

/// Price, financing, commitment or package talk in a message: a warranty or service word beside
/// it is part of the deal being negotiated, not an after-sale case.
pub(crate) fn sales_context(an: &Analyzer, m: &Msg, money: MoneyFacts) -> bool {
    money.budget
        || money.terms
        || [
            "stage.package",
            "stage.negotiating",
            "stage.ready",
            "intent.price",
            "financing.interest",
            "intent.interest",
            "stage.prospect",
        ]
        .iter()
        .any(|c| m.has_pos(an, c))
}

/// Is every commitment cue of the message said under a condition ("if you do 375 we close",
/// "si me dan 11 mil cerramos", "إذا نزلت نتفاهم")?
pub(crate) fn conditional_ready(an: &Analyzer, m: &Msg) -> bool {
    let cond = an.cat("stage.conditional");
    let ready = [an.cat("stage.ready"), an.cat("intent.reservation")];
    let mut any = false;
    for h in m.hits.iter().filter(|h| ready.contains(&h.payload)) {
        any = true;
        let sent = m.doc.sentence.get(h.start);
        // "Y si me lo dejás en 29.500, ¿qué papeles necesito?": the condition may stand just
        // before the question mark that opens the next sentence.
        if !m
            .hits_of(cond)
            .any(|c| c.start < h.start && (m.doc.sentence.get(c.start) == sent || h.start - c.start <= 12))
        {
            return false;
        }
    }
    any
}

/// "Te ofrezco 29 y lo cerramos", "87 e fecho": every commitment cue stands in a sentence where
/// a sum is offered, so the close is a counter-offer.
pub(crate) fn offered_close(an: &Analyzer, m: &Msg, money: MoneyFacts) -> bool {
    let ready = [an.cat("stage.ready"), an.cat("intent.reservation")];
    let mut hits = m.hits.iter().filter(|h| ready.contains(&h.payload)).peekable();
    hits.peek().is_some()
        && hits.all(|h| money.offers_in(m.doc.sentence.get(h.start).copied().unwrap_or(u16::MAX) as usize))
}

/// A purchase cue said of the customer, not of someone else ("my colleague purchased from
/// you", "a friend who bought from you in Recife" is a referral, not an after-sale case).
pub(crate) fn own_support(an: &Analyzer, m: &Msg) -> bool {
    let people = an.cat("others.people");
    m.hits_of(an.cat("stage.support")).any(|h| {
        !m.negated(an, h)
            && !m
                .hits_of(people)
                .any(|p| p.end <= h.start && h.start - p.end <= 3 && m.doc.same_clause(p.start, h.start))
    })
}

/// An after-sale word that a prospect also uses ("warranty", "mantenimiento", "صيانة") shows a
/// support case only in a statement or a sentence about the customer's own car, outside sales
/// talk, and not while the conversation is weighing or negotiating a purchase.
pub(crate) fn weak_support(an: &Analyzer, st: &AnalyzerState, m: &Msg, money: MoneyFacts) -> bool {
    let weak = an.cat("stage.support_weak");
    let Some(h) = m.hits_of(weak).find(|h| !m.negated(an, h)) else {
        return false;
    };
    if sales_context(an, m, money) {
        return false;
    }
    let in_sales = st
        .stage
        .as_ref()
        .is_some_and(|s| (COMPARING..=READY).contains(&s.level));
    let own = m.has_cat(an, "stage.own");
    if in_sales && !own {
        return false;
    }
    // "52 mil millas, único dueño, mantenimientos en el concesionario": with a trade-in on the
    // table, service history describes the car handed in.
    if !own && st.trade_in.as_ref().is_some_and(|t| t.has) && st.stage.as_ref().is_none_or(|s| s.level != SUPPORT) {
        return false;
    }
    // "عندي كامري مو منكم، تسوون صيانة؟", "I have a 2017 Camry, do you do oil changes?": a
    // service question about a car the customer has, before any shopping talk.
    let possess = m.has_cat(an, "trade_in.possession") && st.interests.is_empty() && st.stage.is_none();
    own || possess || !m.doc.in_question(h.start)
}

/// Evidence classes of a stage, by strength of the cue behind it; `[confidence]` in
/// `common.toml` gives each its stated confidence (tuned on the held-out sets).
pub const STAGE_BASIS: [&str; 12] = [
    "stage.unknown",
    "stage.support_strong",
    "stage.support_weak",
    "stage.ready",
    "stage.negotiating_terms",
    "stage.negotiating_cue",
    "stage.comparing_strong",
    "stage.comparing_weak",
    "stage.comparing_models",
    "stage.exploring_count",
    "stage.first_inquiry",
    "stage.restarted",
];
/// Evidence classes of an intent.
pub const INTENT_BASIS: [&str; 7] = [
    "intent.unknown",
    "intent.question_cue",
    "intent.statement_cue",
    "intent.money",
    "intent.after_sale",
    "intent.other_default",
    "intent.greeting",
];

fn basis_of(name: &str, table: &[&str]) -> u8 {
    table.iter().position(|b| *b == name).unwrap_or(0) as u8
}

fn message_level(an: &Analyzer, st: &AnalyzerState, m: &Msg, wanted: &[String], money: MoneyFacts) -> (u8, u8) {
    let b = |n: &str| basis_of(n, &STAGE_BASIS);
    if !m.has_pos(an, "stage.new_purchase") {
        if own_support(an, m) {
            return (SUPPORT, b("stage.support_strong"));
        }
        if weak_support(an, st, m, money) {
            return (SUPPORT, b("stage.support_weak"));
        }
    }
    // "vou comprar lá pro fim do ano", "I'll buy it next year": a purchase put off is no
    // commitment.
    // "Se me fizerem 375 ... fechamos negócio", "إذا نزلت لـ 300 نتفاهم": a commitment under a
    // condition is a counter-offer.
    let conditional = conditional_ready(an, m) || offered_close(an, m, money);
    if m.has_pos(an, "stage.ready") && !m.has_pos(an, "urgency.low") && !conditional {
        return (READY, b("stage.ready"));
    }
    let specific = !wanted.is_empty() || !st.interests.is_empty();
    // Still weighing several models, money talk that names none of them (or several) is part
    // of comparing: negotiating is about a specific item (§3).
    let focused = st
        .focus
        .as_ref()
        .is_some_and(|f| st.interests.iter().any(|i| an.vehicles.key_of(&i.make, &i.model) == *f));
    let weighing = st.interests.len() >= 2 && wanted.len() != 1 && !focused;
    let fin = m.has_pos(an, "financing.interest");
    // A trade-in value asked about the customer's own car ("I have a 2018 Elantra, how much
    // could you give me for it?") is trade-in talk even without a trade-in word.
    let trade = m.has_pos(an, "trade_in.cue")
        || (m.has_pos(an, "intent.trade_in") && (m.has_cat(an, "trade_in.possession") || !st.owned_models.is_empty()));
    // A price that a competitor offered ("the other dealer offered me 27,500 out the door") is
    // weighed against ours: comparing, not haggling (financing or a trade-in still negotiate).
    let competitor = m.has_pos(an, "stage.competitor");
    if specific && (fin || trade || money.terms || money.loan_term) {
        if weighing {
            return (COMPARING, b("stage.comparing_weak"));
        }
        return (NEGOTIATING, b("stage.negotiating_terms"));
    }
    let offer = money.offer_sents != 0;
    // "الكامري غالية عليّ": a price remark that rules the model out is no haggling.
    let drop = an.cat("interest.drop");
    let haggles = m
        .hits_of(an.cat("stage.negotiating"))
        .any(|h| !m.negated(an, h) && !m.hits_of(drop).any(|d| d.start <= h.start && h.end <= d.end));
    if specific && !competitor && (conditional || offer || haggles) {
        if weighing {
            return (COMPARING, b("stage.comparing_weak"));
        }
        return (NEGOTIATING, b("stage.negotiating_cue"));
    }
    if m.has_cat(an, "stage.comparing_strong") || m.has_cat(an, "stage.competitor") {
        return (COMPARING, b("stage.comparing_strong"));
    }
    // "Qual o valor do Pilot?", "which one is the price of…": a "which" inside a price or
    // features phrase weighs nothing.
    let weak = an.cat("stage.comparing_weak");
    let own_phrase = [
        an.cat("intent.price"),
        an.cat("intent.features"),
        an.cat("intent.financing"),
    ];
    let weak_cmp = m.hits_of(weak).any(|h| {
        !m.hits.iter().any(|o| {
            own_phrase.contains(&o.payload) && o.start <= h.start && h.end <= o.end && o.end - o.start > h.end - h.start
        })
    });
    if specific && weak_cmp {
        return (COMPARING, b("stage.comparing_weak"));
    }
    if st.interests.len() >= 2 && !wanted.is_empty() {
        return (COMPARING, b("stage.comparing_models"));
    }
    (0, 0)
}

pub(crate) fn observe(
    an: &Analyzer,
    st: &mut AnalyzerState,
    msg: &Message,
    m: &Msg,
    wanted: &[String],
    money: MoneyFacts,
) {
    // A customer with an after-sale case who starts shopping for another vehicle ("also
    // looking to buy a second car", "queremos comprar otro"): the pipeline starts again.
    if st.stage.as_ref().is_some_and(|s| s.level == SUPPORT) && m.has_pos(an, "stage.new_purchase") {
        st.stage = Some(StageState {
            level: EXPLORING,
            since: msg.timestamp,
            evidence: vec![msg.id.clone()],
            basis: basis_of("stage.restarted", &STAGE_BASIS),
        });
    }
    let (level, basis) = message_level(an, st, m, wanted, money);
    // Committed to one model, the customer weighs another ("hold on with the Camry, what's the
    // Elantra's full price?", back after ten days asking the Frontier's price): the latest state
    // is comparing again.
    if st.stage.as_ref().is_some_and(|s| s.level == READY)
        && level < READY
        && let Some(committed) = st.ready_model.clone()
        && wanted.iter().any(|w| *w != committed)
        && [
            "intent.price",
            "intent.comparison",
            "stage.comparing_strong",
            "stage.comparing_weak",
        ]
        .iter()
        .any(|c| m.has_pos(an, c))
    {
        st.stage = Some(StageState {
            level: COMPARING,
            since: msg.timestamp,
            evidence: vec![msg.id.clone()],
            basis: basis_of("stage.comparing_models", &STAGE_BASIS),
        });
        st.ready_model = None;
    }
    if level == READY && st.stage.as_ref().is_none_or(|s| s.level < READY) {
        st.ready_model = match wanted {
            [one] => Some(one.clone()),
            _ => st.focus.clone().or_else(|| match st.interests.as_slice() {
                [one] => Some(an.vehicles.key_of(&one.make, &one.model)),
                _ => None,
            }),
        };
    }
    if level > 0 {
        match &mut st.stage {
            Some(s) if s.level == level => {
                push_ev(&mut s.evidence, &msg.id);
                // The strongest evidence seen for this level (lower index = stronger cue).
                if basis > 0 && (s.basis == 0 || basis < s.basis) {
                    s.basis = basis;
                }
            }
            Some(s) if s.level > level => {}
            _ => {
                st.stage = Some(StageState {
                    level,
                    since: msg.timestamp,
                    evidence: vec![msg.id.clone()],
                    basis,
                });
            }
        }
    }
    // Intent.
    // The latest request: the last question with an intent cue, else the last sentence with
    // one; priority order inside the sentence.
    let n_sent = m.doc.sentence.last().map(|s| *s as usize + 1).unwrap_or(0);
    // Words inside a time phrase ("el mes que viene", "next week") ask for nothing.
    let time_cats = [an.cat("urgency.low"), an.cat("urgency.time")];
    let in_time = |h: &Hit| {
        m.hits.iter().any(|t| {
            time_cats.contains(&t.payload) && t.start <= h.start && h.end <= t.end && t.end - t.start > h.end - h.start
        })
    };
    // Words inside a closing phrase ("ما فيه مشكلة", "no problem") ask for nothing either.
    let close = an.cat("intent.closing");
    let in_closing = |h: &Hit| {
        m.hits_of(close)
            .any(|c| c.start <= h.start && h.end <= c.end && c.end - c.start > h.end - h.start)
    };
    // Cue hits of a category in a sentence; a hit inside a longer one of the same category
    // ("colores" in "en otros colores") counts once with it.
    // The longest phrase wins: a cue inside a longer cue of another intent ("قديش" in "قديش
    // بتمشي بالشحنة") or of a package phrase ("contrato de manutenção") counts for that one.
    let docs_weak = an.cat("intent.documents_weak");
    let mut longer_cats: Vec<u32> = an.intent_ids.iter().map(|(_, c)| *c).collect();
    longer_cats.push(an.cat("stage.package"));
    longer_cats.push(docs_weak);
    let conditional = conditional_ready(an, m) || offered_close(an, m, money);
    // Every intent cue that asks for something, with its sentence: found once per message.
    let mut intent_cats: Vec<u32> = an.intent_ids.iter().map(|(_, c)| *c).collect();
    intent_cats.push(docs_weak);
    let sent_of = |w: usize| m.doc.sentence.get(w).copied().unwrap_or(u16::MAX) as usize;
    // "the full price with registration and insurance", "بكم بعد الترخيص والتأمين": papers
    // named as cost items of a price question are part of the price.
    let price_cat = an.cat("intent.price");
    let documents_cat = an.cat("intent.documents");
    let item_prep = an.cat("intent.cost_item_prep");
    let cost_item = |h: &Hit| {
        (h.payload == documents_cat || h.payload == docs_weak)
            && m.hits_of(price_cat).any(|p| sent_of(p.start) == sent_of(h.start))
            && m.hits_of(item_prep)
                .any(|w| w.end <= h.start && h.start - w.end <= 3 && m.doc.same_clause(w.start, h.start))
    };
    // "¿Y si falla fuera de garantía?": a fault said under "if" is a hypothetical, no complaint.
    let complaint_cat = an.cat("intent.complaint");
    let after_sale_now = st.stage.as_ref().is_some_and(|s| s.level == SUPPORT);
    let hypothetical = |h: &Hit| !after_sale_now && h.payload == complaint_cat && m.under_condition(an, h, 3);
    let comparison_cat = an.cat("intent.comparison");
    // "٢٥٠ ورقة": notes counted after a number are money, not papers.
    let notes = an.cat("numbers.usd_hundred");
    let counted_notes =
        |h: &Hit| h.start > 0 && m.doc.is_num(h.start - 1) && m.hits_of(notes).any(|n| n.start == h.start);
    let mut eligible: Vec<(u32, u16)> = m
        .hits
        .iter()
        .filter(|h| intent_cats.contains(&h.payload))
        .filter(|h| {
            !m.negated(an, h)
                && !in_time(h)
                && !in_closing(h)
                && !cost_item(h)
                && !hypothetical(h)
                && !counted_notes(h)
                // "entre 25 e 30 mil", "between 20 and 25k": a range of money, no models weighed.
                && !(h.payload == comparison_cat && m.doc.is_num(h.end))
                && !m.hits.iter().any(|o| {
                    longer_cats.contains(&o.payload)
                        && o.start <= h.start
                        && h.end <= o.end
                        && o.end - o.start > h.end - h.start
                })
        })
        .map(|h| (h.payload, m.doc.sentence.get(h.start).copied().unwrap_or(u16::MAX)))
        .collect();
    // "Onix Plus ou HB20S pra quem roda em estrada?": two models joined by "or" in a question
    // ask to compare them, whatever else the question names.
    let either = an.cat("intent.either");
    // Cheap checks first: resolving mentions is the costly part.
    if m.hits_of(either).next().is_some() && m.doc.sentence_q.iter().any(|q| *q) && an.vehicles.hits(m).len() >= 2 {
        let mentions = an.vehicles.mentions(an, m, st);
        for c in m.hits_of(either) {
            let s = sent_of(c.start);
            let before = mentions.iter().find(|x| x.start < c.start && sent_of(x.start) == s);
            let after = mentions.iter().find(|x| x.start >= c.end && sent_of(x.start) == s);
            if let (Some(a), Some(b)) = (before, after)
                && a.model != b.model
                && m.doc.in_question(c.start)
                && let Some(&(_, cmp)) = an.intent_ids.iter().find(|(n, _)| *n == "comparison")
            {
                eligible.push((cmp, s as u16));
            }
        }
    }
    // "E o Land Cruiser é mais forte na areia?", "واللاندكروزر أقوى بالطعوس؟": a comparative in
    // a question while two models are in play weighs them against each other.
    let comparative = an.cat("intent.comparative");
    if st.interests.len() >= 2
        && let Some(&(_, cmp)) = an.intent_ids.iter().find(|(n, _)| *n == "comparison")
    {
        // Only when nothing else is asked in that sentence ("How much is the Tiggo there, is it
        // cheaper?" asks a price).
        let asked: Vec<u16> = eligible.iter().map(|(_, s)| *s).collect();
        for c in m.hits_of(comparative) {
            let s = sent_of(c.start) as u16;
            if m.doc.in_question(c.start) && !m.negated(an, c) && !asked.contains(&s) {
                eligible.push((cmp, s));
            }
        }
    }
    // "Thank you, this is really helpful, especially the warranty breakdown!", "Obrigada pelas
    // explicações sobre o consumo": what a thanks names was given, not asked for.
    let thanks = an.cat("intent.thanks");
    let informational = [
        an.cat("intent.features"),
        an.cat("intent.price"),
        an.cat("intent.availability"),
        an.cat("intent.comparison"),
        an.cat("intent.other"),
        docs_weak,
    ];
    let thanked: Vec<usize> = m
        .hits_of(thanks)
        .map(|h| sent_of(h.start))
        .filter(|&s| !m.doc.sentence_q.get(s).copied().unwrap_or(false))
        .collect();
    if !thanked.is_empty() {
        eligible.retain(|(p, s)| !(informational.contains(p) && thanked.contains(&(*s as usize))));
    }
    // "Budget is around 18 lakh, what options do you have?": the budget word tells what the
    // customer can spend; the request is the other cue of its sentence.
    let budget_word = an.cat("budget.ask");
    let budget_sents: Vec<u16> = m
        .hits_of(price_cat)
        .filter(|p| m.hits_of(budget_word).any(|b| b.start <= p.start && p.end <= b.end))
        .map(|p| sent_of(p.start) as u16)
        .collect();
    if !budget_sents.is_empty() {
        // Also a budget stated after an earlier request ("الميزانية ديالي 70 ألف درهم" after asking
        // what is in stock): that request stands.
        let other_in = |s: u16| {
            eligible.iter().any(|(p, t)| *t == s && *p != price_cat)
                || (st.intent.is_some() && !m.doc.sentence_q.get(s as usize).copied().unwrap_or(false))
        };
        let drop: Vec<u16> = budget_sents.into_iter().filter(|s| other_in(*s)).collect();
        let price_hits_of = |s: u16| m.hits_of(price_cat).filter(|p| sent_of(p.start) as u16 == s).count();
        for s in drop {
            // Only when the budget word is the sentence's one price cue.
            let budget_only = price_hits_of(s)
                == m.hits_of(price_cat)
                    .filter(|p| {
                        sent_of(p.start) as u16 == s
                            && m.hits_of(budget_word).any(|b| b.start <= p.start && p.end <= b.end)
                    })
                    .count();
            if budget_only {
                eligible.retain(|(p, t)| !(*p == price_cat && *t == s));
            }
        }
    }
    let count_in = |c: u32, sent: usize| eligible.iter().filter(|(p, s)| *p == c && *s as usize == sent).count();
    // "Ok, I'll check with my bank and let you know": putting a decision off asks for nothing
    // new; the request before it stands.
    let defers = m.has_cat(an, "stage.defer") && !m.doc.sentence_q.iter().any(|q| *q);
    if defers && st.intent.is_some() {
        return;
    }
    // "Does the price include maintenance?", "¿la garantía cubre la batería?" before buying:
    // a question about the deal, not a service request.
    let after_sale = st.stage.as_ref().is_some_and(|s| s.level == SUPPORT);
    let weighing = st
        .stage
        .as_ref()
        .is_some_and(|s| (COMPARING..=READY).contains(&s.level));
    let sales_service = !after_sale
        && !m.has_pos(an, "stage.support")
        && !weak_support(an, st, m, money)
        && (weighing || sales_context(an, m, money));
    // A sum offered while the trade-in value is the topic ("I'd want 16 for it. Can you do
    // 16?") is about the trade-in.
    let trade_cat = an.cat("intent.trade_in");
    let trade_talk = money.trade_offer
        || eligible.iter().any(|(p, _)| *p == trade_cat)
        || (wanted.is_empty() && st.intent.as_ref().is_some_and(|i| i.value == "trade_in"));
    let avail_cat = an.cat("intent.availability");
    let features_cat = an.cat("intent.features");
    let bare_cat = an.cat("intent.bare_have");
    let colour_cat = an.cat("intent.colour");
    let bare_have_features = |sent: usize| -> bool {
        let vehicles = an.vehicles.hits(m);
        // Every availability cue of the sentence is a bare "have" that reads "it has": a
        // longer phrase ("does it have"), a subject before it ("O Highlander tem"), or no
        // vehicle after it ("Tem teto solar?" — but "Tem Corolla automático?" asks for stock).
        let bare_ok = |b: &Hit| {
            b.end - b.start >= 2
                || (b.start > 0 && sent_of(b.start - 1) == sent)
                || !vehicles.iter().any(|v| v.start >= b.end && sent_of(v.start) == sent)
        };
        let mut avail = m.hits_of(avail_cat).filter(|h| sent_of(h.start) == sent).peekable();
        if avail.peek().is_none() {
            return false;
        }
        let all_bare = avail.all(|h| {
            m.hits_of(bare_cat)
                .any(|b| b.start <= h.start && h.end <= b.end && bare_ok(b))
        });
        // Colours asked with a bare "have" ("Tem em vermelho?") are a stock question.
        let features = m.hits_of(features_cat).any(|f| {
            sent_of(f.start) == sent
                && !m.negated(an, f)
                && !m.hits_of(colour_cat).any(|c| c.start <= f.start && f.end <= c.end)
        });
        all_bare && features
    };
    let in_sentence = |sent: usize| -> Option<(&'static str, u8)> {
        for &(name, c) in &an.intent_ids {
            if name == "service" && sales_service {
                continue;
            }
            // After a purchase, "I paid 35k for it" or "I want to receive it" is no reservation;
            // under a condition it is a counter-offer.
            if name == "reservation" && (after_sale || conditional) {
                continue;
            }
            // A sum and the customer's own car in one message: the trade-in value is the topic
            // ("Faz 37 no Corolla", "si me dais 55 por el Tiguan", "سوها 175 عاللاندكروزر").
            if name == "trade_in" && money.trade_value && !money.terms {
                return Some(("trade_in", 1));
            }
            // A counter-offer ("can you do 29k?", "86 والشحن عليكم، deal?") asks for a price,
            // even with a logistics or payment condition beside it.
            if matches!(name, "other" | "price" | "financing") && money.offers_in(sent) && !trade_talk && !money.terms {
                return Some(("price", (count_in(an.cat("intent.price"), sent) + 1).min(5) as u8));
            }
            let n = count_in(c, sent);
            // "Tem câmbio automático?": a bare "do you have" about a feature, no vehicle named.
            if name == "availability"
                && n > 0
                && wanted.is_empty()
                && count_in(an.cat("intent.features"), sent) >= n.max(2)
            {
                return Some(("features", n.min(5) as u8));
            }
            // "O Highlander tem sete lugares?", "¿Tiene cámara de reversa?", "does it have a
            // sunroof?": a bare "have" that asks what the car has, not what the dealer stocks.
            if name == "availability" && n > 0 && bare_have_features(sent) {
                return Some(("features", n.min(5) as u8));
            }
            if n > 0 {
                // "book a service appointment": booking is the means, the service the request.
                // (Not "the service plan" of a deal: the same exclusions as any cue.)
                let service = an.cat("intent.service");
                if name == "reservation" && !sales_service && count_in(service, sent) > 0 {
                    return Some(("service", n.min(5) as u8));
                }
                // "apártame el sábado 10 am para manejar las dos": booking a test drive (the drive
                // after the booking word; "متى أجي أوقع" is coming to sign).
                let drive = an.cat("intent.test_drive");
                let first_res = m.hits_of(c).filter(|h| sent_of(h.start) == sent).map(|h| h.start).min();
                let drive_after =
                    first_res.is_some_and(|r| m.hits_of(drive).any(|d| sent_of(d.start) == sent && d.start > r));
                if name == "reservation" && count_in(drive, sent) > 0 && drive_after {
                    return Some(("test_drive", n.min(5) as u8));
                }
                return Some((name, n.min(5) as u8));
            }
        }
        // Insurance words ask about papers only when nothing else is asked ("¿el seguro va
        // dentro de la cuota?" is financing, "comparación de mantenimiento y seguro" comparison),
        // and not while the customer is working out a payment or a price: "¿y el seguro va
        // aparte?" right after the monthly payment asks what the deal costs.
        let weak = count_in(docs_weak, sent);
        let costing = st
            .intent
            .as_ref()
            .is_some_and(|i| matches!(i.value.as_str(), "financing" | "price"));
        (weak > 0 && !costing && eligible.iter().all(|(p, _)| *p == docs_weak))
            .then_some(("documents", weak.min(5) as u8))
    };
    let is_q = |sent: usize| m.doc.sentence_q.get(sent).copied().unwrap_or(false);
    let ib = |n: &str| basis_of(n, &INTENT_BASIS);
    let mut found = (0..n_sent)
        .rev()
        .filter(|&s| is_q(s))
        .find_map(in_sentence)
        .map(|(v, n)| (v, n, ib("intent.question_cue")));
    if found.is_none() {
        found = (0..n_sent)
            .rev()
            .find_map(in_sentence)
            .map(|(v, n)| (v, n, ib("intent.statement_cue")));
    }
    // "33,500 dollars, cash. If ok I will bring my wife to see the colour": a sum offered
    // outweighs what the customer says they will do once it is accepted.
    if money.offer_sents != 0
        && !trade_talk
        && found.is_some_and(|(v, _, b)| {
            b == ib("intent.statement_cue")
                && matches!(
                    v,
                    "test_drive" | "other" | "availability" | "features" | "service" | "comparison"
                )
        })
    {
        found = Some(("price", 1, ib("intent.money")));
    }
    // "I'm interested in the Tucson you have listed", "vi la Tahoe en su página": with no
    // other request, interest in a listed car asks whether it is there.
    if found.is_none() && m.has_pos(an, "intent.interest") && (!wanted.is_empty() || !st.interests.is_empty()) {
        found = Some(("availability", 1, ib("intent.statement_cue")));
    }
    // "How do I pay the deposit? Zelle ok?": a payment method asked beside a commitment is
    // part of the reservation.
    let reserve_cat = an.cat("intent.reservation");
    if found.is_some_and(|(v, _, _)| v == "other")
        && !after_sale
        && !conditional
        && eligible.iter().any(|(p, _)| *p == reserve_cat)
    {
        found = Some(("reservation", 1, ib("intent.question_cue")));
    }
    if (money.trade_value || money.trade_offer)
        && !money.terms
        && found.is_none_or(|(v, _, _)| matches!(v, "price" | "service" | "features"))
    {
        found = Some(("trade_in", 1, ib("intent.money")));
    }
    if conditional && money.sum && found.is_none() {
        found = Some(("price", 1, ib("intent.money")));
    }
    if money.terms && found.is_none_or(|(v, _, _)| v == "price") {
        found = Some(("financing", 1, ib("intent.money")));
    }
    // "What would 60 months look like?": a loan term asks about financing.
    if money.loan_term && found.is_none_or(|(v, _, _)| v == "price") {
        found = Some(("financing", 1, ib("intent.money")));
    }
    if found.is_none() && money.budget && st.intent.is_none() {
        found = Some(("price", 1, ib("intent.money")));
    }
    // "Tô arretada… quero uma resposta hoje", "أنا زهقت، عايز حد مسؤول يكلمني": after a
    // purchase, a service request said in anger is a complaint.
    let angry = || {
        m.hits_of(an.cat("sentiment.negative"))
            .any(|h| !m.negated(an, h) && !m.under_condition(an, h, 3))
    };
    // (A price or visit question after a purchase reads as service, see `fill`.)
    let service_like = |v: &str| matches!(v, "service" | "price" | "availability" | "test_drive" | "features");
    if after_sale && found.is_some_and(|(v, _, _)| service_like(v)) && angry() {
        found = Some(("complaint", 1, ib("intent.after_sale")));
    }
    // An opening request and a short follow-up on it ("¿reciben carros como parte de pago?" …
    // "primero quiero saber cuánto me darían por el Accent") are still a first inquiry.
    if st.first_substantive.as_ref() == Some(&msg.id) {
        st.first_intent = Some(found.map(|f| f.0).unwrap_or_default().to_owned());
    } else if st.first_substantive.is_some()
        && (money.budget
            || found.is_some_and(|(v, _, b)| st.first_intent.as_deref() != Some(v) || b == ib("intent.question_cue")))
    {
        st.new_request = true;
    }
    match found {
        Some((v, n, basis)) => {
            st.intent = Some(IntentState {
                value: v.to_owned(),
                evidence: msg.id.clone(),
                strength: n,
                basis,
            })
        }
        None => {
            if st.intent.is_none() && m.has_cat(an, "intent.greeting") && st.greeting.is_none() {
                st.greeting = Some(msg.id.clone());
            }
        }
    }
}

pub(crate) fn fill(an: &Analyzer, st: &AnalyzerState, p: &mut Profile) {
    if st.messages_in == 0 {
        return;
    }
    let conf = |name: &str| an.confidence(name);
    let (level, since, evidence, basis) = match &st.stage {
        Some(s) if s.level >= EXPLORING => (s.level, Some(s.since), s.evidence.clone(), s.basis),
        _ => {
            let follow_up = st.substantive_in == 2 && !st.new_request;
            if (st.substantive_in >= 2 && !follow_up) || (st.returning && st.substantive_in >= 1) {
                let ev = st.second_substantive.iter().cloned().collect();
                (
                    EXPLORING,
                    st.second_substantive_at.or(st.first_seen),
                    ev,
                    basis_of("stage.exploring_count", &STAGE_BASIS),
                )
            } else {
                let ev = st
                    .first_substantive
                    .iter()
                    .cloned()
                    .chain(st.greeting.iter().cloned())
                    .collect();
                (
                    FIRST_INQUIRY,
                    st.first_seen,
                    ev,
                    basis_of("stage.first_inquiry", &STAGE_BASIS),
                )
            }
        }
    };
    // Stated confidence: the rate at which stages resting on this kind of evidence are right,
    // a little more when several messages back it.
    let class = STAGE_BASIS.get(basis as usize).copied().unwrap_or("stage.unknown");
    let mut c = conf(class);
    if evidence.len() >= 2 {
        c += conf("stage.repeat_bonus");
    }
    p.stage = Some(Fact {
        value: stage_name(level).to_owned(),
        confidence: round2(c.clamp(0.05, 0.98)),
        since,
        evidence,
        source: None,
    });
    let intent = match &st.intent {
        Some(i) => {
            let mut v = i.value.as_str();
            let mut class = INTENT_BASIS.get(i.basis as usize).copied().unwrap_or("intent.unknown");
            // In an after-sale thread a price or visit question is about the service.
            if level == SUPPORT && matches!(v, "price" | "availability" | "test_drive" | "features") {
                v = "service";
                class = "intent.after_sale";
            }
            let mut c = conf(class);
            if i.strength >= 2 {
                c += conf("intent.multi_bonus");
            }
            Some(Fact {
                value: v.to_owned(),
                confidence: round2(c.clamp(0.05, 0.98)),
                since: None,
                evidence: vec![i.evidence.clone()],
                source: None,
            })
        }
        // "Hello po, just wanna ask po", "Aqui é a Tainá, a Jéssica me passou esse número": a
        // greeting with no request in the whole conversation is a greeting.
        None if st.substantive_in > 0 && !(st.greeting.is_some() && level == FIRST_INQUIRY) => Some(Fact {
            value: "other".into(),
            confidence: round2(conf("intent.other_default")),
            since: None,
            evidence: st.first_substantive.iter().cloned().collect(),
            source: None,
        }),
        None => st.greeting.as_ref().map(|g| Fact {
            value: "greeting".into(),
            confidence: round2(conf("intent.greeting")),
            since: None,
            evidence: vec![g.clone()],
            source: None,
        }),
    };
    p.intent = intent;
}

pub(crate) fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod tests;
