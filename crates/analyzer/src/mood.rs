//! Urgency and sentiment of the customer.
//!
//! Urgency is `high` only for a stated near deadline (a strong cue such as "asap"/"urgente"/
//! "مسافر", or a need word and a near time in one clause), `low` for "no rush"/"next year";
//! the latest statement wins. Sentiment is a lexicon score with exponential decay, so the
//! latest messages weigh most; complaint words weigh double.

use crate::state::{AnalyzerState, push_ev};
use crate::{Analyzer, Msg};
use dossier_core::Message;
use dossier_core::profile::{Profile, Sentiment, Urgency};

const DECAY: f32 = 0.85;
pub(crate) const THRESHOLD: f32 = 0.5;

pub(crate) fn urgency_of(an: &Analyzer, m: &Msg) -> Option<Urgency> {
    // "if I move back to the UK next year": a time said under "if" sets no urgency.
    let stated = |cat: &str| {
        m.hits_of(an.cat(cat))
            .any(|h| !m.negated(an, h) && !m.under_condition(an, h, 6))
    };
    if stated("urgency.low") {
        return Some(Urgency::Low);
    }
    if stated("urgency.high") {
        return Some(Urgency::High);
    }
    let need = an.cat("urgency.need");
    let time = an.cat("urgency.time");
    let combo = m
        .hits_of(need)
        .filter(|h| !m.negated(an, h))
        .any(|n| m.hits_of(time).any(|t| m.doc.same_clause(n.start, t.start)));
    // "Quero falar com o gerente hoje", "عايز حد يكلمني النهارده": an answer or a call demanded
    // today is a same-day deadline (reserving "today" is a plan, a visit "tomorrow" no hurry).
    let want = an.cat("urgency.demand");
    let today = an.cat("urgency.today");
    let today_wanted = m
        .hits_of(want)
        .filter(|h| !m.negated(an, h) && !m.under_condition(an, h, 6))
        .any(|w| {
            m.hits_of(today)
                .any(|t| t.start > w.start && m.doc.same_clause(w.start, t.start))
        });
    (combo || today_wanted).then_some(Urgency::High)
}

pub(crate) fn sentiment_score(an: &Analyzer, m: &Msg) -> f32 {
    let greet = an.cat("intent.greeting");
    let in_greeting = |h: &crate::lex::Hit| {
        m.hits_of(greet)
            .any(|g| g.start <= h.start && h.end <= g.end && g.end - g.start > h.end - h.start)
    };
    let pos = an.cat("sentiment.positive");
    let neg = an.cat("sentiment.negative");
    let mild = an.cat("sentiment.mild");
    let laugh = an.cat("sentiment.laugh");
    let close = an.cat("intent.closing");
    // A message that is only a greeting, thanks or an acknowledgement ("ok cool", "Perfect,
    // thanks!", "تمام 👍") is politeness: its positive words carry no feeling (§5).
    let polite_only = !crate::stage::is_substantive(an, m, false);
    // The same for a sentence of only such words before a real one ("ok cool. i could do 15k").
    let mut covered_words = vec![false; m.doc.words.len()];
    for c in m.hits.iter().filter(|c| c.payload == close || c.payload == greet) {
        for w in c.start..c.end.min(covered_words.len()) {
            covered_words[w] = true;
        }
    }
    let covered = |w: usize| covered_words.get(w).copied().unwrap_or(false);
    // A lone reaction ("Awesome. Can I come Saturday?") still shows feeling; only a sentence
    // with a plain acknowledgement in it ("ok", "vale", "تمام") is politeness.
    let plain_ack = |w: usize| {
        m.hits_of(close).any(|c| {
            c.start <= w
                && w < c.end
                && !m
                    .hits
                    .iter()
                    .any(|p| (p.payload == pos || p.payload == mild) && p.start <= c.start && c.end <= p.end)
        })
    };
    let polite_sentence = |h: &crate::lex::Hit| {
        let sent = m.doc.sentence.get(h.start).copied();
        let words = || (0..m.doc.words.len()).filter(|&w| m.doc.sentence.get(w).copied() == sent);
        words().all(covered) && words().any(plain_ack)
    };
    let is_closing_word = |h: &crate::lex::Hit| m.hits_of(close).any(|c| c.start <= h.start && h.end <= c.end);
    // "está ótimo", "works for me": an approval inside an acknowledgement of a slot or an
    // answer carries no feeling.
    let ack_phrase = an.cat("sentiment.ack_phrase");
    let in_ack = |h: &crate::lex::Hit| m.hits_of(ack_phrase).any(|a| a.start <= h.start && h.end <= a.end);
    // "وإذا ما عجبتني", "if I like it": feeling under "if" is a hypothetical.
    let hypothetical = |h: &crate::lex::Hit| m.under_condition(an, h, 3);
    let mut s = 0.0;
    let counts = |cat: u32| {
        m.hits_of(cat)
            .filter(|h| {
                !m.negated(an, h)
                    && !in_greeting(h)
                    && !hypothetical(h)
                    && !((polite_only || polite_sentence(h)) && is_closing_word(h))
            })
            .count() as f32
    };
    s += counts(pos);
    // An approval word said with an exclamation ("Qué bien!!", "Gostei do Rogue!") is feeling.
    // A sentence of nothing but acknowledgements ("Joya.", "Show.", "Massa.") is a reaction,
    // not feeling: its approval words count only when said with an exclamation.
    let ack_sentence = |h: &crate::lex::Hit| {
        let sent = m.doc.sentence.get(h.start).copied();
        (0..m.doc.words.len())
            .filter(|&w| m.doc.sentence.get(w).copied() == sent)
            .all(covered)
            && !m.doc.in_exclamation(h.start)
    };
    let keep = |h: &&crate::lex::Hit| {
        !in_ack(h)
            && !hypothetical(h)
            && !m.negated(an, h)
            && !in_greeting(h)
            && !((polite_only || polite_sentence(h) || ack_sentence(h)) && is_closing_word(h))
    };
    let exclaimed = m
        .hits_of(mild)
        .filter(keep)
        .filter(|h| m.doc.in_exclamation(h.start))
        .count() as f32;
    s += exclaimed * an.tuning("sentiment.mild_exclaimed", 1.0);
    s += an.tuning("sentiment.mild", 0.5)
        * m.hits_of(mild)
            .filter(keep)
            .filter(|h| !m.doc.in_exclamation(h.start))
            .count() as f32;
    s += m.hits_of(an.cat("sentiment.specific_thanks")).count() as f32;
    s += an.tuning("sentiment.laugh", 0.5) * m.hits_of(laugh).count() as f32;
    s -= 2.0 * m.hits_of(neg).filter(|h| !m.negated(an, h)).count() as f32;
    // A smiley beside plain words ("Aqui é a Tainá, a Jéssica me passou esse número 😊") is
    // politeness too; it adds to feeling only where feeling words are.
    let strong_words = s.abs() >= 1.0;
    let k = &an.knowledge;
    if m.raw.is_ascii() {
        return s.clamp(-6.0, 4.0); // no emoji
    }
    // A smiley on a bare greeting or thanks ("Boa tarde! tudo bem? 😊") is politeness; a
    // thumbs-up or an ok hand is an acknowledgement anywhere.
    let polite = k.cues("sentiment.polite_emoji");
    let ack = k.cues("sentiment.ack_emoji");
    s += an.tuning("sentiment.emoji", 1.0)
        * k.cues("sentiment.positive_emoji")
            .iter()
            .filter(|e| {
                m.raw.contains(e.as_str())
                    && !((polite_only || !strong_words) && polite.contains(e))
                    && !ack.contains(e)
            })
            .count() as f32;
    s -= 1.5
        * k.cues("sentiment.negative_emoji")
            .iter()
            .filter(|e| m.raw.contains(e.as_str()))
            .count() as f32;
    s.clamp(-6.0, 4.0)
}

pub(crate) fn observe(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg) {
    if let Some(u) = urgency_of(an, m) {
        st.urgency = Some((u, msg.id.clone()));
    }
    let s = sentiment_score(an, m);
    st.sentiment = st.sentiment * an.tuning("sentiment.decay", DECAY) + s;
    if s != 0.0 {
        push_ev(&mut st.sentiment_evidence, &msg.id);
    }
}

pub(crate) fn fill(an: &Analyzer, st: &AnalyzerState, p: &mut Profile) {
    if st.messages_in == 0 {
        return;
    }
    let threshold = an.tuning("sentiment.threshold", THRESHOLD);
    p.urgency = Some(st.urgency.as_ref().map(|(u, _)| *u).unwrap_or(Urgency::Normal));
    p.sentiment = Some(if st.sentiment >= threshold {
        Sentiment::Positive
    } else if st.sentiment <= -threshold {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    });
}

#[cfg(test)]
mod tests {
    use crate::tests_support::*;
    use dossier_core::profile::{Sentiment, Urgency};

    fn u(t: &str) -> Urgency {
        run(&[("in", t)]).urgency.unwrap()
    }

    #[test]
    fn urgency() {
        assert_eq!(u("My lease ends this Friday, I need to have it by then"), Urgency::High);
        assert_eq!(u("lo necesito para mañana, es urgente"), Urgency::High);
        assert_eq!(u("chego no dia 20 e quero buscar direto"), Urgency::High);
        assert_eq!(u("أنا مسافر الأسبوع الجاي"), Urgency::High);
        assert_eq!(u("No rush on my end"), Urgency::Low);
        assert_eq!(u("tô sem pressa, só ano que vem"), Urgency::Low);
        assert_eq!(u("مش مستعجل"), Urgency::Low);
        assert_eq!(u("Tomorrow works"), Urgency::Normal);
        // Stated deadlines and no-rush across dialects.
        assert_eq!(u("I start Monday at the new job and need a car"), Urgency::High);
        assert_eq!(u("la necesito ya, empiezo a trabajar el lunes"), Urgency::High);
        assert_eq!(u("necesito algo al toque"), Urgency::High);
        assert_eq!(u("começo a trabalhar segunda, preciso do carro"), Urgency::High);
        assert_eq!(u("ابيها باجر ضروري"), Urgency::High);
        assert_eq!(u("محتاجها قبل السفر"), Urgency::High);
        assert_eq!(u("solo cotizando por ahora"), Urgency::Low);
        assert_eq!(u("براحتك، مش مستعجلين"), Urgency::Low);
        assert_eq!(u("só no ano que vem"), Urgency::Low);
    }

    #[test]
    fn sentiment() {
        let s = |t: &[(&str, &str)]| run(t).sentiment.unwrap();
        assert_eq!(
            s(&[("in", "This is ridiculous, I'm disappointed")]),
            Sentiment::Negative
        );
        assert_eq!(s(&[("in", "me late la tacoma 💪")]), Sentiment::Positive);
        assert_eq!(s(&[("in", "Good morning, is it available?")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "تمام، شكراً جداً 🙏")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "no problem at all")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Boa tarde! tudo bem? 😊")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "we love the car 😊")]), Sentiment::Positive);
    }

    #[test]
    fn polite_closings_and_thumbs_up_are_neutral() {
        let s = |t: &[(&str, &str)]| run(t).sentiment.unwrap();
        assert_eq!(
            s(&[("in", "what would the payment be on 72 months?"), ("in", "ok cool 👍")]),
            Sentiment::Neutral
        );
        assert_eq!(
            s(&[("in", "Is the Civic available?"), ("in", "Perfect, thanks!")]),
            Sentiment::Neutral
        );
        assert_eq!(
            s(&[("in", "¿Tienen la Tacoma?"), ("in", "Perfecto, muchas gracias 👍")]),
            Sentiment::Neutral
        );
        assert_eq!(s(&[("in", "Vale, genial, gracias")]), Sentiment::Neutral);
        assert_eq!(
            s(&[("in", "Quanto tá o Compass?"), ("in", "show, valeu 👍")]),
            Sentiment::Neutral
        );
        assert_eq!(s(&[("in", "Ok, combinado. Obrigado 👌")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "كم سعر الكامري؟"), ("in", "تمام 👍")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "ok")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "ok cool. i could do 15k total")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Ok genial. ¿Y la financian?")]), Sentiment::Neutral);
        // A one-word reaction is acknowledgement; said with an exclamation it is feeling.
        assert_eq!(s(&[("in", "Genial. ¿Y la financian?")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "¡Genial! ¿Y la financian?")]), Sentiment::Positive);
        assert_eq!(s(&[("in", "Joya. Pasame el formulario")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Show. Vcs financiam?")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Gostei do Rogue!")]), Sentiment::Positive);
        // Approval words that describe the car are weak; "bien" is an intensifier.
        assert_eq!(s(&[("in", "I need something good on gas")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Uy, bien salado todo 😅")]), Sentiment::Neutral);
        assert_eq!(s(&[("in", "Honestly this is very frustrating")]), Sentiment::Negative);
        assert_eq!(s(&[("in", "isso é uma vergonha")]), Sentiment::Negative);
        assert_eq!(s(&[("in", "والله شي محبط")]), Sentiment::Negative);
        // Clear feeling still counts.
        assert_eq!(s(&[("in", "I love it, it's amazing! thanks")]), Sentiment::Positive);
        assert_eq!(s(&[("in", "Me encantó la camioneta 😍")]), Sentiment::Positive);
        assert_eq!(
            s(&[("in", "Thank you so much for getting me that rate!")]),
            Sentiment::Positive
        );
        assert_eq!(
            s(&[
                ("in", "When is it ready?"),
                ("in", "👍"),
                ("in", "thanks for the quick help")
            ]),
            Sentiment::Positive
        );
        assert_eq!(s(&[("in", "gracias por la atención tan rápida")]), Sentiment::Positive);
        assert_eq!(
            s(&[("in", "muito obrigado pela paciência, adorei o carro")]),
            Sentiment::Positive
        );
        assert_eq!(
            s(&[("in", "شكرا جزيلا على المساعدة، السيارة روعة")]),
            Sentiment::Positive
        );
        assert_eq!(
            s(&[("in", "👍 this is unacceptable, nobody called me")]),
            Sentiment::Negative
        );
    }
}
