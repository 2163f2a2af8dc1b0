//! Budget, financing and trade-in.
//!
//! Budget is only the customer's own limit: an amount near a limit cue ("up to", "presupuesto",
//! "até", "في حدود"), or an answer right after the agent asked for a budget — and never one near
//! an exclusion cue (down payment, price paid, trade-in value, counter-offer, quoted elsewhere).
//! The latest one wins.

use crate::amount::{Amount, amounts};
use crate::state::{AnalyzerState, BudgetState, FinancingState, TradeState, push_ev};
use crate::{Analyzer, Msg};
use dossier_core::profile::{Budget, BudgetPeriod, Financing, Profile, TradeIn};
use dossier_core::{ConversationContact, Message};
use rust_decimal::Decimal;

/// Is an amount close to (and in the same clause as) a hit of `cat`?
fn near(an: &Analyzer, m: &Msg, a: &Amount, cat: &str, before: usize, after: usize) -> bool {
    let c = an.cat(cat);
    // Idioms that hold a cue word without its sense ("si vale la pena": worth it, no value).
    let idiom = an.cat("budget.idiom");
    let in_idiom = |h: &crate::lex::Hit| m.hits_of(idiom).any(|i| i.start <= h.start && h.end <= i.end);
    m.hits_of(c).filter(|h| !in_idiom(h)).any(|h| {
        let b = h.end <= a.start && a.start - h.end <= before && m.doc.same_clause(h.start, a.start);
        let f = h.start >= a.end && h.start - a.end <= after && m.doc.same_clause(h.start, a.end.saturating_sub(1));
        b || f
    })
}

fn note_currency(an: &Analyzer, st: &mut AnalyzerState, amts: &[Amount]) {
    for a in amts {
        if let Some(c) = &a.currency {
            // "ni un sol", "1 real": a figure of speech names no currency.
            if a.value < Decimal::from(10) && !a.multiplied {
                continue;
            }
            if let Some(r) = an.resolve_code(c, st) {
                st.last_currency = Some(r);
            }
        }
    }
}

pub(crate) fn observe_agent(an: &Analyzer, st: &mut AnalyzerState, m: &Msg, amts: &[Amount]) {
    note_currency(an, st, amts);
    if let Some(q) = amts
        .iter()
        .filter(|a| a.money_like() && !a.monthly && a.value >= Decimal::from(10_000))
        .map(|a| a.value)
        .max()
    {
        st.last_quote = Some(q);
    }
    let asks = m.raw.contains('?') || m.raw.contains('؟');
    st.agent_asked_budget = asks && m.has_cat(an, "budget.ask");
    st.agent_asked_trade = asks && m.has_cat(an, "trade_in.ask");
    // "Preciso do seu nome completo e e-mail" asks without a question mark.
    st.agent_asked_name = m.has_cat(an, "contact.name_ask");
    st.agent_asked_financing = asks && m.has_cat(an, "financing.ask");
}

/// What a customer message said about money.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MoneyFacts {
    /// A budget was stated.
    pub budget: bool,
    /// A down payment or a loan term was stated (financing terms).
    pub terms: bool,
    /// A sum beside the customer's own (trade-in) car: its value is the topic.
    pub trade_value: bool,
    /// The message names a sum of money.
    pub sum: bool,
    /// Sentences (bit per sentence index, first 64) where the customer offers a sum for the car
    /// ("can you do 29k?", "¿me la dejas en 29?", "faz 25.500?", "تسويها 29؟"): a price request.
    pub offer_sents: u64,
    /// A loan term of whole half-years, 12 months or more ("60 months", "a 72 meses", "48x",
    /// "٤٨ شهر"): a financing question even without a financing word.
    pub loan_term: bool,
    /// A counter-offer far below every wanted car's price while a trade-in is on the table
    /// ("make it 11 and we have a deal" for a 30k car): the trade-in's value is the topic.
    pub trade_offer: bool,
}

impl MoneyFacts {
    pub(crate) fn offers_in(&self, sent: usize) -> bool {
        sent < 64 && self.offer_sents & (1u64 << sent) != 0
    }
}

/// Is the amount right after a "don't have" cue ("i dont have 2k down", "no tengo 10 mil")?
fn not_had(an: &Analyzer, m: &Msg, a: &Amount) -> bool {
    let c = an.cat("budget.not_have");
    m.hits_of(c)
        .any(|h| h.end <= a.start && a.start - h.end <= 3 && m.doc.same_clause(h.start, a.start))
}

/// Is the amount right after a correction cue ("maybe 1000", "quizás 6 mil", "يمكن ٧ آلاف")?
fn corrected(an: &Analyzer, m: &Msg, a: &Amount) -> bool {
    let c = an.cat("budget.correction");
    m.hits_of(c)
        .any(|h| h.end <= a.start && a.start - h.end <= 2 && m.doc.same_clause(h.start, a.start))
}

/// Reads budget, financing and trade-in facts.
pub(crate) fn observe_customer(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg) -> MoneyFacts {
    // A revised limit said in thousands without the word ("podemos estirarnos hasta 50",
    // "خليها 47" after a budget of 45 mil): the same scale as the budget before it.
    let raw_amts = amounts(an, m);
    let prev = st
        .budget
        .as_ref()
        .filter(|b| !b.monthly && b.amount >= Decimal::from(10_000))
        .map(|b| b.amount)
        // "I'm not paying a dirham over 310" after a quote of 560,000: the quote's scale.
        .or(st.last_quote)
        .or_else(|| {
            // "Tenemos hasta 45 mil, aunque podemos estirarnos hasta 50": the same message's scale.
            raw_amts
                .iter()
                .filter(|a| a.multiplied && a.money_like() && a.value >= Decimal::from(10_000))
                .map(|a| a.value)
                .next()
        });
    let amts: Vec<Amount> = raw_amts
        .into_iter()
        .map(|a| {
            let Some(p) = prev else { return a };
            let small = !a.monthly
                && !a.unit
                && !a.term
                && !a.year_like
                && !a.years
                && a.currency.is_none()
                && !a.multiplied
                && a.value >= Decimal::from(10)
                && a.value < Decimal::from(1000)
                && a.value.fract().is_zero();
            let v = a.value * Decimal::from(1000);
            // "até dia 30" is a date.
            let date = m.hits_of(an.cat("budget.date_before")).any(|h| h.end == a.start);
            if small
                && !date
                && v * Decimal::from(2) >= p
                && v <= p * Decimal::from(2)
                && near(an, m, &a, "budget.limit", 6, 4)
            {
                Amount {
                    value: v,
                    multiplied: true,
                    ..a
                }
            } else {
                a
            }
        })
        .collect();
    // "خليها ٣٥ وبنمشي فيها", "87 e fecho": a close right after the sum makes it an offer.
    let offer_cat = an.cat("budget.offer");
    let offered_after = |a: &Amount| {
        m.hits_of(offer_cat)
            .any(|h| h.start >= a.end && h.start - a.end <= 2 && m.doc.same_clause(h.start, a.end.saturating_sub(1)))
    };
    let mut found_budget = false;
    let mut cue_based: Option<&Amount> = None;
    let mut asked_based: Option<&Amount> = None;
    let trade_clause = |a: &Amount| {
        let c = an.cat("trade_in.cue");
        m.hits_of(c).any(|h| m.doc.same_clause(h.start, a.start))
    };
    let mut down: Option<Decimal> = None;
    let mut term: Option<u32> = None;
    let mut term_prep = false;
    let mut down_refused = false;
    let mut monthly_seen = false;
    let down_cat = an.cat("budget.down");
    let down_said = m.has(down_cat);
    let fin_context =
        down_said || m.has_cat(an, "financing.interest") || st.financing.as_ref().is_some_and(|f| f.interested);
    let prep_before = |a: &Amount| {
        let c = an.cat("budget.term_prep");
        m.hits_of(c).any(|h| h.end == a.start)
    };
    for a in &amts {
        if a.term || (a.years && fin_context && prep_before(a)) {
            let months = if a.years { a.value * Decimal::from(12) } else { a.value };
            term = months.trunc().to_string().parse().ok();
            term_prep |= prep_before(a);
            continue;
        }
        if !a.money_like() || a.range_low {
            continue;
        }
        if near(an, m, a, "budget.down", 3, 3) {
            // "i don't have 2k down" is no down payment; "maybe 1000" later in the message is.
            if not_had(an, m, a) {
                down_refused = true;
            } else {
                down = Some(a.value);
            }
            continue;
        }
        let limit = near(an, m, a, "budget.limit", 6, 4);
        if down_said
            && !near(an, m, a, "budget.exclude", 5, 3)
            && ((down_refused && (corrected(an, m, a) || !limit)) || (corrected(an, m, a) && !limit))
        {
            down = Some(a.value);
            continue;
        }
        // "خليها ٣٥ وبنمشي فيها", "te ofrezco 29": a sum offered for the car is no budget.
        if near(an, m, a, "budget.exclude", 5, 3)
            || trade_clause(a)
            || offered_after(a)
            || (near(an, m, a, "budget.offer", 4, 0) && !near(an, m, a, "budget.limit", 6, 4))
        {
            continue;
        }
        if a.monthly {
            monthly_seen = true;
        }
        // "entre 25 e 30 mil dólares", "between 20 and 25k": a range of money the customer
        // names is what they can spend, its top the limit.
        let range_top = amts
            .iter()
            .any(|o| o.range_low && o.end < a.start && a.start - o.end <= 2)
            && (a.currency.is_some() || a.multiplied);
        if near(an, m, a, "budget.limit", 6, 4) || range_top {
            cue_based = Some(a);
        } else if st.agent_asked_budget
            && (a.currency.is_some() || a.multiplied || a.monthly || a.value >= Decimal::from(1000))
        {
            asked_based = Some(a);
        }
    }
    let cued = cue_based.is_some();
    if let Some(a) = cue_based.or(asked_based) {
        let currency = a
            .currency
            .as_deref()
            .and_then(|c| an.resolve_code(c, st))
            // Another amount of the same message with its currency ("20 mil pavos, hasta 20 mil").
            .or_else(|| {
                amts.iter()
                    .filter(|o| o.money_like() && (o.multiplied || o.value >= Decimal::from(10)))
                    .find_map(|o| o.currency.as_deref())
                    .and_then(|c| an.resolve_code(c, st))
            })
            .or_else(|| {
                let fallback = st
                    .last_currency
                    .as_deref()
                    .and_then(|c| an.resolve_code(c, st))
                    .or_else(|| an.resolve_code(&an.default_currency, st))?;
                // "Tengo 75 palos" with a USD catalog: 75 million is no dollar budget for a
                // car; the sum is in the customer's own currency.
                let cap = an.max_price.map(|p| p * Decimal::from(if a.monthly { 2 } else { 20 }));
                if fallback == an.default_currency && cap.is_some_and(|c| a.value > c) {
                    Some(crate::LOCAL_CURRENCY.to_owned())
                } else {
                    Some(fallback)
                }
            });
        if let Some(cur) = currency {
            let mut monthly = a.monthly;
            if !monthly
                && let Some(prev) = &st.budget
                && prev.monthly
                && prev.currency == cur
            {
                let diff = (prev.amount - a.value).abs();
                monthly = diff * Decimal::from(4) <= prev.amount;
            }
            st.budget = Some(BudgetState {
                amount: a.value.normalize(),
                currency: cur,
                monthly,
                evidence: msg.id.clone(),
                at: msg.timestamp,
                cued,
            });
            found_budget = true;
        }
    }
    note_currency(an, st, &amts);

    // Financing: interest vs decline, term and down payment.
    let interest_cat = an.cat("financing.interest");
    let decline_cat = an.cat("financing.decline");
    let mut interest = 0;
    let mut decline = 0;
    for h in m.hits_of(interest_cat) {
        // "I drive maybe 1,200 km a month": a distance per month is no payment.
        if amts.iter().any(|a| a.unit && a.end <= h.start && h.start - a.end <= 1) {
            continue;
        }
        if m.negated(an, h) {
            decline += 1;
        } else {
            interest += 1;
        }
    }
    // "cash?" asks about an option; only a statement declines financing.
    decline += m
        .hits_of(decline_cat)
        .filter(|h| !m.negated(an, h) && !m.doc.in_question(h.start))
        .count();
    if monthly_seen {
        interest += 1;
    }
    // A down payment or a term "on 60 months" is a financing plan.
    if decline == 0 && (down.is_some() || (term.is_some() && (term_prep || down_said))) {
        interest += 1;
    }
    if st.agent_asked_financing && decline == 0 {
        let affirm = an.cat("financing.affirm");
        if m.hits_of(affirm).any(|h| h.start <= 1) {
            interest += 1;
        }
    }
    let fin_known = st.financing.as_ref().is_some_and(|f| f.interested);
    if interest > 0 || decline > 0 || ((term.is_some() || down.is_some()) && fin_known) {
        let f = st.financing.get_or_insert_with(FinancingState::default);
        if interest > 0 {
            f.interested = true;
        } else if decline > 0 {
            f.interested = false;
        }
        if let Some(t) = term {
            f.term_months = Some(t);
        }
        if let Some(d) = down {
            f.down_payment = Some(d.normalize());
        }
        push_ev(&mut f.evidence, &msg.id);
    }

    // Trade-in.
    let none = m.has_pos(an, "trade_in.none");
    let cue = an.cat("trade_in.cue");
    // A cue inside or after a "none" phrase of its clause ("ما بدي بدلها", "no tengo carro para
    // dar a cuenta") is that refusal, not a trade-in.
    let none_cat = an.cat("trade_in.none");
    let has_cue = m.hits_of(cue).any(|h| {
        !m.negated(an, h)
            && !m
                .hits_of(none_cat)
                .any(|n| n.start <= h.start && m.doc.same_clause(n.start, h.start))
    });
    if none && !has_cue {
        let t = st.trade_in.get_or_insert_with(TradeState::default);
        t.has = false;
        push_ev(&mut t.evidence, &msg.id);
    } else if has_cue {
        let t = st.trade_in.get_or_insert_with(TradeState::default);
        t.has = true;
        push_ev(&mut t.evidence, &msg.id);
    }
    let sum = amts
        .iter()
        .any(|a| (a.money_like() || a.value >= Decimal::from(10)) && !a.term && !a.year_like);
    let owned = sum
        && !st.owned_models.is_empty()
        && an
            .vehicles
            .mentions(an, m, st)
            .iter()
            .any(|x| st.owned_models.contains(&an.vehicles.key(x.model)));
    // A counter-offer: a sum right after (or just before) an offer phrase, outside a down
    // payment, a term or a trade-in clause.
    let mut offer_sents = 0u64;
    let mut trade_offer = false;
    let trading = st.trade_in.as_ref().is_some_and(|t| t.has) || !st.owned_models.is_empty();
    let cheapest_wanted = || {
        let prices: Vec<Decimal> = st
            .interests
            .iter()
            .filter_map(|i| {
                an.min_prices
                    .get(&format!(
                        "{}|{}",
                        dossier_core::text::fold(&i.make),
                        dossier_core::text::fold(&i.model)
                    ))
                    .copied()
            })
            .collect();
        (prices.len() == st.interests.len())
            .then(|| prices.into_iter().min())
            .flatten()
    };
    for a in &amts {
        if a.term || a.year_like || a.unit || a.monthly || !(a.money_like() || a.value >= Decimal::from(10)) {
            continue;
        }
        // "I will tell you my final. 33,500 dollars": the offer cue may close the sentence
        // right before the sum.
        let just_before = m.hits_of(offer_cat).any(|h| h.end <= a.start && a.start - h.end <= 1);
        if near(an, m, a, "budget.down", 3, 3)
            || trade_clause(a)
            || !(just_before || near(an, m, a, "budget.offer", 4, 2))
        {
            continue;
        }
        if let Some(&s) = m.doc.sentence.get(a.start)
            && s < 64
        {
            offer_sents |= 1u64 << s;
        }
        // "11" for 11,000: a bare small number in a conversation about thousands.
        let value = if !a.multiplied && a.value < Decimal::from(1000) {
            a.value * Decimal::from(1000)
        } else {
            a.value
        };
        if trading
            && a.currency.as_deref().is_none_or(|c| c == an.default_currency)
            && cheapest_wanted().is_some_and(|p| value * Decimal::from(2) < p)
        {
            trade_offer = true;
        }
    }
    // "can the 5 years be 6 years?" once financing is on the table.
    let fin_on = fin_context || st.financing.as_ref().is_some_and(|f| f.interested);
    let loan_term = amts.iter().any(|a| {
        (a.term && a.value >= Decimal::from(12) && (a.value % Decimal::from(6)).is_zero())
            || (a.years && fin_on && a.value >= Decimal::from(2) && a.value <= Decimal::from(8))
    });
    MoneyFacts {
        loan_term,
        offer_sents,
        budget: found_budget,
        terms: decline == 0 && (down.is_some() || (term.is_some() && (term_prep || down_said))),
        trade_value: owned && sum,
        sum,
        trade_offer,
    }
}

pub(crate) fn after_customer(st: &mut AnalyzerState) {
    st.agent_asked_budget = false;
    st.agent_asked_trade = false;
    st.agent_asked_name = false;
    st.agent_asked_financing = false;
}

pub(crate) fn fill(an: &Analyzer, st: &AnalyzerState, contact: &ConversationContact, p: &mut Profile) {
    p.budget = st.budget.as_ref().and_then(|b| {
        Some(Budget {
            amount: b.amount,
            currency: an.finish_currency(&b.currency, contact)?,
            period: if b.monthly {
                BudgetPeriod::Monthly
            } else {
                BudgetPeriod::Total
            },
            evidence: vec![b.evidence.clone()],
            source: None,
        })
    });
    p.financing = st.financing.as_ref().map(|f| Financing {
        interested: f.interested,
        term_months: f.term_months,
        down_payment: f.down_payment,
        evidence: f.evidence.clone(),
        source: None,
    });
    p.trade_in = st.trade_in.as_ref().map(|t| TradeIn {
        has: t.has,
        description: t.description.clone(),
        evidence: t.evidence.clone(),
        source: None,
    });
}

#[cfg(test)]
mod tests {
    use crate::tests_support::*;

    fn budget(msgs: &[(&str, &str)]) -> Option<(String, String, String)> {
        let p = run(msgs);
        p.budget.map(|b| {
            (
                b.amount.normalize().to_string(),
                b.currency.to_string(),
                format!("{:?}", b.period).to_lowercase(),
            )
        })
    }
    fn b(a: &str, c: &str, p: &str) -> Option<(String, String, String)> {
        Some((a.into(), c.into(), p.into()))
    }

    #[test]
    fn english() {
        assert_eq!(
            budget(&[("in", "we want to keep it under $25,000 all in")]),
            b("25000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "Trying to stay around 25k")]),
            b("25000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "i can do like 450 a month max")]),
            b("450", "USD", "monthly")
        );
        assert_eq!(budget(&[("in", "My budget is $450/mo")]), b("450", "USD", "monthly"));
        assert_eq!(
            budget(&[("in", "38k out the door is my max.")]),
            b("38000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "budget around 1.5 million")]),
            b("1500000", "USD", "total")
        );
        assert_eq!(budget(&[("in", "I paid almost $25k for it")]), None);
        assert_eq!(budget(&[("in", "I can put 2k down")]), None);
        assert_eq!(budget(&[("in", "I've seen similar ones for around 37k")]), None);
        assert_eq!(
            budget(&[("in", "it has 45k miles, my budget is 20k")]),
            b("20000", "USD", "total")
        );
        assert_eq!(
            budget(&[
                ("out", "That's $27,900. Do you have a budget in mind?"),
                ("in", "about 22k")
            ]),
            b("22000", "USD", "total")
        );
        assert_eq!(budget(&[("out", "It is $27,900."), ("in", "ok")]), None);
        assert_eq!(
            budget(&[("in", "no more than 30,000 euros")]),
            b("30000", "EUR", "total")
        );
    }

    #[test]
    fn spanish() {
        assert_eq!(budget(&[("in", "traigo como 30 mil dlls")]), b("30000", "USD", "total"));
        assert_eq!(
            budget(&[("out", "Está en $26,500"), ("in", "mi presupuesto es de 25 mil")]),
            b("25000", "USD", "total")
        );
        assert_eq!(budget(&[("in", "si doy 5 mil de enganche")]), None);
        assert_eq!(
            budget(&[("in", "puedo pagar hasta 6 mil al mes")]),
            b("6000", "USD", "monthly")
        );
        assert_eq!(
            budget(&[("in", "tengo un presupuesto de 350 mil pesos")]),
            b("350000", "MXN", "total")
        );
        assert_eq!(budget(&[("in", "lleva como 12 mil km")]), None);
        assert_eq!(
            budget(&[("in", "mi presupuesto máximo es 25.000 dólares")]),
            b("25000", "USD", "total")
        );
    }

    #[test]
    fn portuguese() {
        assert_eq!(
            budget(&[("in", "Meu orçamento é de R$ 120 mil")]),
            b("120000", "BRL", "total")
        );
        assert_eq!(
            budget(&[("in", "consigo pagar até 2.500 por mês")]),
            b("2500", "USD", "monthly")
        );
        assert_eq!(budget(&[("in", "tenho 20 mil de entrada")]), None);
        assert_eq!(budget(&[("in", "no máximo 90 mil reais")]), b("90000", "BRL", "total"));
    }

    #[test]
    fn arabic() {
        assert_eq!(
            budget(&[("in", "معايا حوالي ٢٠٠ ألف جنيه")]),
            b("200000", "EGP", "total")
        );
        assert_eq!(budget(&[("in", "ميزانيتي ٨٠ ألف ريال")]), b("80000", "SAR", "total"));
        assert_eq!(budget(&[("in", "في حدود ١٠٠ ألف درهم")]), b("100000", "AED", "total"));
        assert_eq!(
            budget(&[("in", "اقدر ادفع ٢٠٠٠ دولار في الشهر")]),
            b("2000", "USD", "monthly")
        );
        assert_eq!(budget(&[("in", "شايف نفس السيارة معروضة بـ ١٦ ألف")]), None);
        assert_eq!(budget(&[("in", "ادفع ٥ آلاف مقدم")]), None);
        assert_eq!(budget(&[("in", "ميزانيتي مليون جنيه")]), b("1000000", "EGP", "total"));
        assert_eq!(
            budget(&[("in", "معايا حوالي مليون ونص جنيه")]),
            b("1500000", "EGP", "total")
        );
    }

    #[test]
    fn currencies_by_country_and_figures_of_speech() {
        let with = |msgs: &[(&str, &str)], wa: &str| {
            let mut c = conv(msgs, None);
            c.contact.wa_id = dossier_core::ContactId::parse(wa).ok();
            analyzer()
                .analyze(&c, "t")
                .budget
                .map(|b| (b.amount.normalize().to_string(), b.currency.to_string()))
        };
        let bc = |a: &str, c: &str| Some((a.to_owned(), c.to_owned()));
        // Peruvian soles, with the word or the symbol; never AUD from "a $".
        assert_eq!(
            budget(&[("in", "mi presupuesto es 50 mil soles")]),
            b("50000", "PEN", "total")
        );
        assert_eq!(
            budget(&[("in", "tengo S/ 60,000 como máximo")]),
            b("60000", "PEN", "total")
        );
        assert_eq!(
            budget(&[("in", "puedo llegar a $30,000 máximo")]),
            b("30000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "I can go up to a $25k max")]),
            b("25000", "USD", "total")
        );
        // A sum no car costs in the catalog's currency is the customer's own: "75 palos" from
        // Colombia, "3000 dh" a month from Morocco; a plausible one stays in the catalog's.
        assert_eq!(
            with(&[("in", "Yo tengo como 75 palos")], "573001234567"),
            bc("75000000", "COP")
        );
        assert_eq!(
            with(&[("in", "Tengo 90 palitos")], "573001234567"),
            bc("90000000", "COP")
        );
        assert_eq!(
            with(&[("in", "Mensualité max 3000 dh")], "212612345678"),
            bc("3000", "MAD")
        );
        assert_eq!(
            with(&[("in", "Tenho 15 milhões de kwanzas")], "244923456789"),
            bc("15000000", "AOA")
        );
        assert_eq!(with(&[("in", "Tengo 30 mil")], "573001234567"), bc("30000", "USD"));
        // "pesos" = the country's peso (from the phone number) when the catalog is no peso.
        let pesos = [("in", "mi presupuesto es de 80 millones de pesos")];
        assert_eq!(with(&pesos, "573001234567"), bc("80000000", "COP"));
        assert_eq!(
            with(&[("in", "tengo hasta 25 millones de pesos")], "56912345678"),
            bc("25000000", "CLP")
        );
        assert_eq!(
            with(&[("in", "hasta 30 millones de pesos")], "5491112345678"),
            bc("30000000", "ARS")
        );
        assert_eq!(
            with(&[("in", "tengo 400 mil pesos")], "5215512345678"),
            bc("400000", "MXN")
        );
        assert_eq!(
            budget(&[("in", "tengo un presupuesto de 350 mil pesos")]),
            b("350000", "MXN", "total")
        );
        // Riyal, dinar by country; a named currency of its own stays.
        assert_eq!(
            with(&[("in", "ميزانيتي ٢٠ ألف ريال")], "97455123456"),
            bc("20000", "QAR")
        );
        assert_eq!(
            with(&[("in", "ميزانيتي ٩ آلاف دينار")], "962791234567"),
            bc("9000", "JOD")
        );
        assert_eq!(
            with(&[("in", "ميزانيتي ٩ آلاف دينار كويتي")], "962791234567"),
            bc("9000", "KWD")
        );
        assert_eq!(
            with(&[("in", "meu orçamento é 90 mil reais")], "351912345678"),
            bc("90000", "BRL")
        );
        assert_eq!(
            with(&[("in", "o meu orçamento é 25 mil euros")], "351912345678"),
            bc("25000", "EUR")
        );
        assert_eq!(
            budget(&[("in", "tengo 20 mil pavos como mucho, hasta 20 mil")]),
            b("20000", "EUR", "total")
        );
        // A figure of speech does not change the currency of a budget.
        assert_eq!(
            budget(&[
                ("in", "my budget is $20,000"),
                ("in", "not 1 dollar more, 20k is my max")
            ]),
            b("20000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "mi tope son 18 mil dólares, ni un sol más")]),
            b("18000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "meu limite é 80 mil, nem 1 real a mais")]),
            b("80000", "USD", "total")
        );
    }

    #[test]
    fn monthly_caps_are_monthly() {
        assert_eq!(
            budget(&[("in", "keep the monthly payment under 400")]),
            b("400", "USD", "monthly")
        );
        assert_eq!(budget(&[("in", "my max payment is $550")]), b("550", "USD", "monthly"));
        assert_eq!(
            budget(&[("in", "i can do 450 or so a month")]),
            b("450", "USD", "monthly")
        );
        assert_eq!(
            budget(&[("in", "la cuota no puede pasar de 1.200 soles")]),
            b("1200", "PEN", "monthly")
        );
        assert_eq!(
            budget(&[("in", "puedo pagar una letra de hasta 300 euros")]),
            b("300", "EUR", "monthly")
        );
        assert_eq!(
            budget(&[("in", "a parcela tem que ser até 2 mil reais")]),
            b("2000", "BRL", "monthly")
        );
        assert_eq!(
            budget(&[("in", "القسط ما يزيد عن ٢٥٠٠ ريال")]),
            b("2500", "SAR", "monthly")
        );
        // A time phrase is no period: the total stays total.
        assert_eq!(
            budget(&[("in", "next month i can spend 20k")]),
            b("20000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "el mes que viene tengo 30 mil dólares")]),
            b("30000", "USD", "total")
        );
    }

    #[test]
    fn latest_wins_and_keeps_monthly() {
        assert_eq!(
            budget(&[("in", "i can do 450 a month max"), ("in", "need to stay under 450")]),
            b("450", "USD", "monthly")
        );
        assert_eq!(
            budget(&[("in", "budget is 20k"), ("in", "actually up to 25k")]),
            b("25000", "USD", "total")
        );
    }

    #[test]
    fn financing_and_trade_in() {
        let p = run(&[("in", "yea gonna need financing for sure, 60 months")]);
        let f = p.financing.unwrap();
        assert!(f.interested);
        assert_eq!(f.term_months, Some(60));
        let p = run(&[("in", "لا التقسيط مش هينفع دلوقتي")]);
        assert!(!p.financing.unwrap().interested);
        let p = run(&[("in", "Paying cash. No trade.")]);
        assert!(!p.financing.unwrap().interested);
        assert!(!p.trade_in.unwrap().has);
        let p = run(&[("in", "I got a 2015 civic i want to trade in")]);
        let t = p.trade_in.unwrap();
        assert!(t.has);
        assert_eq!(t.description.as_deref(), Some("2015 Honda Civic"));
        assert!(p.interests.is_empty());
        let p = run(&[("in", "quero dar meu Onix 2019 na troca")]);
        assert!(p.trade_in.unwrap().has);
        let p = run(&[("in", "ando buscando una troca para la chamba")]);
        assert!(p.trade_in.is_none());
    }

    fn fin(msgs: &[(&str, &str)]) -> (Option<String>, Option<u32>, bool) {
        let f = run(msgs).financing;
        (
            f.as_ref()
                .and_then(|f| f.down_payment)
                .map(|d| d.normalize().to_string()),
            f.as_ref().and_then(|f| f.term_months),
            f.is_some_and(|f| f.interested),
        )
    }

    #[test]
    fn down_payment_negated_corrected_and_terms() {
        // English (sample 006).
        let p = fin(&[
            ("in", "yea gonna need financing"),
            ("in", "i dont really have 2k down tbh, maybe 1000"),
        ]);
        assert_eq!(p.0.as_deref(), Some("1000"));
        let p = fin(&[
            ("in", "i dont really have 2k down tbh, maybe 1000"),
            ("in", "what if I put 1500 down on 60 months?"),
        ]);
        assert_eq!((p.0.as_deref(), p.1, p.2), (Some("1500"), Some(60), true));
        assert_eq!(fin(&[("in", "can I do 60 mo with 3000 down?")]).1, Some(60));
        assert_eq!(fin(&[("in", "can I finance it over 5 years?")]).1, Some(60));
        assert_eq!(budget(&[("in", "i dont have 5k down, maybe 2500")]), None);
        // Spanish.
        let p = fin(&[("in", "no tengo 2 mil de enganche, quizás 1000")]);
        assert_eq!((p.0.as_deref(), p.2), (Some("1000"), true));
        assert_eq!(fin(&[("in", "con 5 mil de enganche a 60 meses")]).1, Some(60));
        assert_eq!(fin(&[("in", "quiero financiamiento, 60 mensualidades")]).1, Some(60));
        assert_eq!(fin(&[("in", "quiero financiamiento a 5 años")]).1, Some(60));
        // Portuguese.
        let p = fin(&[("in", "não tenho 2 mil de entrada, talvez 1000")]);
        assert_eq!(p.0.as_deref(), Some("1000"));
        assert_eq!(fin(&[("in", "dá pra financiar em 60x?")]).1, Some(60));
        assert_eq!(fin(&[("in", "quero financiar em 60 parcelas")]).1, Some(60));
        assert_eq!(fin(&[("in", "financiamento em 60 vezes")]).1, Some(60));
        assert_eq!(fin(&[("in", "quero financiar em 5 anos")]).1, Some(60));
        // Arabic.
        let p = fin(&[("in", "ما عندي ٢ ألف مقدم، يمكن ١٠٠٠")]);
        assert_eq!(p.0.as_deref(), Some("1000"));
        assert_eq!(fin(&[("in", "تقسيط على ٦٠ شهر")]).1, Some(60));
        assert_eq!(fin(&[("in", "ابي تقسيط على ٥ سنين")]).1, Some(60));
        // Not a term: a car's age.
        assert_eq!(fin(&[("in", "it is 6 months old")]).1, None);
    }

    #[test]
    fn numbers_in_words_and_ranges() {
        assert_eq!(
            budget(&[("in", "my budget is twenty thousand")]),
            b("20000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "mi presupuesto es de veinte mil dólares")]),
            b("20000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "puedo pagar quince mil pesos al mes")]),
            b("15000", "MXN", "monthly")
        );
        assert_eq!(
            budget(&[("in", "meu orçamento é de vinte mil reais")]),
            b("20000", "BRL", "total")
        );
        assert_eq!(budget(&[("in", "ميزانيتي عشرين ألف جنيه")]), b("20000", "EGP", "total"));
        assert_eq!(
            budget(&[("in", "ميزانيتي خمسة وعشرين ألف دولار")]),
            b("25000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "my budget is between 20 and 25k")]),
            b("25000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "traigo entre 20 y 25 mil dólares")]),
            b("25000", "USD", "total")
        );
        assert_eq!(
            budget(&[("in", "orçamento entre 100 e 120 mil reais")]),
            b("120000", "BRL", "total")
        );
        assert_eq!(
            budget(&[("in", "ميزانيتي ١١ و ١٢ ألف دولار")]),
            b("12000", "USD", "total")
        );
        assert_eq!(budget(&[("in", "budget 20-25k")]), b("25000", "USD", "total"));
        // Words without a multiplier or currency are no amount.
        assert_eq!(budget(&[("in", "tengo dos hijos y hasta cinco perros")]), None);
    }
}
