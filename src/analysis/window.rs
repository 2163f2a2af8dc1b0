//! The rolling summary window: what of a long conversation a model sees.
//!
//! A provider gets the newest messages that fit a token budget verbatim ([`select_recent`]) and
//! everything older as a bounded rolling summary ([`RollingSummary`], [`fold`]). So the prompt
//! stays about the same size whether the conversation has 100 or 10,000 messages, and the
//! summary is updated incrementally as messages age out of the window, never rebuilt.
//!
//! The fold here is extractive and needs no model: it keeps the customer's key sentences (numbers,
//! questions, money and car words) and drops the least informative, oldest ones first when the
//! summary would outgrow its budget. It is used by the built-in path and as the fallback when an
//! LLM gives no summary.

use dossier_core::Message;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Tokens a message line costs beyond its text: brackets, direction, timestamp, newline.
pub const LINE_OVERHEAD_TOKENS: usize = 8;

/// How many ids of the last folded messages a summary remembers (to tell apart messages that
/// share the `covered_until` timestamp).
pub const COVERED_IDS_TAIL: usize = 32;

/// A rough token count (≈ 4 characters per token, rounded up). Good enough to keep prompts
/// bounded without shipping a tokenizer per model.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The text a message shows in a prompt: its text on one line, or `<type>` for media.
pub fn message_text(m: &Message) -> String {
    match m.text.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.split_whitespace().collect::<Vec<_>>().join(" "),
        _ => format!("<{}>", m.kind.as_deref().unwrap_or("message")),
    }
}

/// The tokens one message costs in a prompt: at least one for its text, plus the line overhead
/// and its id.
pub fn message_tokens(m: &Message) -> usize {
    estimate_tokens(&message_text(m)).max(1) + estimate_tokens(m.id.as_str()) + LINE_OVERHEAD_TOKENS
}

/// Splits `messages` (oldest first) into what is folded into the summary and the newest messages
/// that fit `budget_tokens`. The newest message is always kept, even alone over budget: the model
/// must see what the customer just said.
pub fn select_recent(messages: &[Message], budget_tokens: usize) -> (&[Message], &[Message]) {
    let mut used = 0usize;
    let mut start = messages.len();
    for (i, m) in messages.iter().enumerate().rev() {
        let cost = message_tokens(m);
        if used + cost > budget_tokens && start < messages.len() {
            break;
        }
        used += cost;
        start = i;
    }
    messages.split_at(start)
}

/// Everything before the recent window, compressed. Stored per contact and updated as messages
/// age out of the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollingSummary {
    pub text: String,
    /// Timestamp of the newest folded message.
    pub covered_until: Option<Timestamp>,
    /// Ids of the last folded messages (at most [`COVERED_IDS_TAIL`]), newest last.
    #[serde(default)]
    pub covered_ids_tail: Vec<String>,
    pub messages_covered: u64,
}

impl RollingSummary {
    /// True when `m` was folded already.
    pub fn covers(&self, m: &Message) -> bool {
        match self.covered_until {
            None => false,
            Some(until) if m.timestamp < until => true,
            Some(until) if m.timestamp == until => self.covered_ids_tail.iter().any(|id| id == m.id.as_str()),
            Some(_) => false,
        }
    }

    /// The summary as a prompt shows it, or `None` when nothing was folded yet.
    pub fn as_prompt_text(&self) -> Option<&str> {
        (!self.text.trim().is_empty()).then_some(self.text.as_str())
    }
}

/// Header line of an extractive summary; recognised (and rewritten) on the next fold.
const HEADER_PREFIX: &str = "Earlier: ";

/// Folds `folded` (oldest first; messages already covered are skipped, so passing the whole
/// folded slice each time is fine) into `summary`. Pure; the result's text never exceeds
/// `max_summary_tokens` by [`estimate_tokens`].
pub fn fold(summary: &RollingSummary, folded: &[Message], max_summary_tokens: usize) -> RollingSummary {
    let first_new = folded.partition_point(|m| summary.covered_until.is_some_and(|u| m.timestamp < u));
    let new: Vec<&Message> = folded[first_new..].iter().filter(|m| !summary.covers(m)).collect();
    if new.is_empty() && estimate_tokens(&summary.text) <= max_summary_tokens {
        return summary.clone();
    }

    let mut entries: Vec<String> = summary
        .text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(HEADER_PREFIX))
        .map(|l| l.strip_prefix("- ").unwrap_or(l).to_owned())
        .collect();
    let added: Vec<(String, String)> = new
        .iter()
        .filter(|m| m.is_inbound())
        .flat_map(|m| {
            let day = m.timestamp.strftime("%Y-%m-%d").to_string();
            key_sentences(m.text()).into_iter().map(move |s| (day.clone(), s))
        })
        .collect();
    if !added.is_empty() {
        let mut seen: std::collections::HashSet<String> = entries.iter().map(|e| dedup_key(e)).collect();
        for (day, sentence) in added {
            if seen.insert(dedup_key(&sentence)) {
                entries.push(format!("{day}: {sentence}"));
            }
        }
    }

    let mut tail = summary.covered_ids_tail.clone();
    tail.extend(new.iter().map(|m| m.id.as_str().to_owned()));
    if tail.len() > COVERED_IDS_TAIL {
        tail.drain(..tail.len() - COVERED_IDS_TAIL);
    }
    let covered_until = new.iter().map(|m| m.timestamp).max().max(summary.covered_until);
    let messages_covered = summary.messages_covered + new.len() as u64;

    let header = covered_until.map(|u| {
        format!(
            "{HEADER_PREFIX}{messages_covered} messages up to {}; the customer's key points, oldest first:",
            u.strftime("%Y-%m-%d")
        )
    });
    let text = bounded_text(header.as_deref(), entries, max_summary_tokens);
    RollingSummary {
        text,
        covered_until,
        covered_ids_tail: tail,
        messages_covered,
    }
}

fn render(header: Option<&str>, entries: &[String]) -> String {
    let mut out = String::new();
    if let Some(h) = header {
        out.push_str(h);
    }
    for e in entries {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("- ");
        out.push_str(e);
    }
    out
}

/// Drops entries until the text fits: lowest score first, the oldest among equals; the newest
/// entry goes last. Then, if still too long, the header goes and the text is cut.
fn bounded_text(header: Option<&str>, mut entries: Vec<String>, max_tokens: usize) -> String {
    // Sizes are tracked incrementally: re-rendering and re-scoring per removal is quadratic in
    // expensive work once a summary holds many entries.
    let mut lens: Vec<usize> = entries.iter().map(|e| e.chars().count() + 2).collect(); // "- "
    let header_chars = header.map_or(0, |h| h.chars().count());
    let mut body_chars: usize = lens.iter().sum();
    let rendered_tokens = |body: usize, n: usize| {
        let lines = n + usize::from(header.is_some());
        (header_chars + body + lines.saturating_sub(1)).div_ceil(4)
    };
    let mut scores: Vec<usize> = Vec::new();
    while rendered_tokens(body_chars, entries.len()) > max_tokens && entries.len() > 1 {
        if scores.is_empty() {
            scores = entries.iter().map(|e| score(e)).collect();
        }
        // Older entries count a little less, so ties go to the oldest; the newest stays.
        let n = entries.len();
        let victim = (0..n - 1).min_by_key(|&i| scores[i] * 4 + (i * 4 / n)).unwrap_or(0);
        entries.remove(victim);
        scores.remove(victim);
        body_chars -= lens.remove(victim);
    }
    let mut text = render(header, &entries);
    if estimate_tokens(&text) > max_tokens {
        text = render(None, &entries);
    }
    if estimate_tokens(&text) > max_tokens {
        let keep = (max_tokens * 4).saturating_sub(1);
        text = text.chars().take(keep).collect::<String>();
        if keep > 0 {
            text.push('…');
        }
    }
    text
}

/// How much a sentence tells about the customer: numbers (budget, year, term), questions, and
/// money or car words count; short pleasantries do not.
fn score(sentence: &str) -> usize {
    let folded = fold_light(sentence);
    let mut s = 0;
    if folded.chars().any(|c| c.is_ascii_digit()) {
        s += 3;
    }
    if sentence.contains('?') || sentence.contains('¿') || sentence.contains('؟') {
        s += 1;
    }
    if KEY_WORDS.iter().any(|w| folded.contains(w)) {
        s += 3;
    }
    s + (folded.chars().count() / 40).min(2)
}

/// Lowercase without Latin accents, Arabic-Indic digits as ASCII: enough for scoring and
/// de-duplication, and far cheaper than full Unicode folding (a fold re-scores every entry).
fn fold_light(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ة' => 'ه',
            'أ' | 'إ' | 'آ' => 'ا',
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            c => c,
        })
        .collect()
}

/// Stems of words that carry what a profile needs (en, es, pt, ar), folded (no accents).
const KEY_WORDS: [&str; 48] = [
    "price",
    "precio",
    "preco",
    "cost",
    "budget",
    "presupuesto",
    "orcamento",
    "financ",
    "credit",
    "credito",
    "loan",
    "monthly",
    "mensual",
    "parcela",
    "cuota",
    "down payment",
    "enganche",
    "entrada",
    "trade",
    "permuta",
    "usado",
    "test drive",
    "prueba",
    "reserv",
    "deposit",
    "apartado",
    "sinal",
    "sign",
    "firmar",
    "deliver",
    "entrega",
    "document",
    "warranty",
    "garantia",
    "service",
    "servicio",
    "complain",
    "queja",
    "reclam",
    "discount",
    "descuento",
    "desconto",
    "name",
    "nombre",
    "سعر",
    "تمويل",
    "قسط",
    "ميزانيه",
];

/// Pleasantries that say nothing on their own.
const FILLER: [&str; 24] = [
    "ok",
    "okay",
    "ok gracias",
    "gracias",
    "muchas gracias",
    "thanks",
    "thank you",
    "thx",
    "hola",
    "hi",
    "hello",
    "hey",
    "buenas",
    "buenos dias",
    "buenas tardes",
    "obrigado",
    "obrigada",
    "oi",
    "ola",
    "si",
    "yes",
    "sim",
    "شكرا",
    "مرحبا",
];

fn dedup_key(s: &str) -> String {
    // Entries carry a `YYYY-MM-DD: ` prefix; the same sentence on another day is still the same.
    let body = match s.split_once(": ") {
        Some((day, rest)) if day.len() == 10 && day.as_bytes().get(4) == Some(&b'-') => rest,
        _ => s,
    };
    dossier_core::text::tokens(&fold_light(body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sentences of a customer message worth keeping, each at most ~200 characters.
fn key_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |s: &mut String, out: &mut Vec<String>| {
        let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
        s.clear();
        let key = dedup_key(&t);
        if key.is_empty() || FILLER.contains(&key.as_str()) {
            return;
        }
        if key.chars().count() < 12 && score(&t) == 0 {
            return;
        }
        let clipped: String = if t.chars().count() > 200 {
            t.chars().take(199).chain(std::iter::once('…')).collect()
        } else {
            t
        };
        out.push(clipped);
    };
    for c in text.chars() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | '\n' | '؟' | '。') {
            // `25.000` or `2.5` is not a sentence end.
            if c == '.' && current.chars().rev().nth(1).is_some_and(|p| p.is_ascii_digit()) {
                continue;
            }
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_core::{Direction, MessageId};
    use proptest::prelude::*;

    fn msg(i: usize, dir: Direction, text: &str) -> Message {
        Message {
            id: MessageId::parse(format!("wamid.{i}")).unwrap(),
            direction: dir,
            timestamp: Timestamp::from_second(1_790_000_000 + i as i64 * 60).unwrap(),
            text: Some(text.to_owned()),
            kind: None,
            status: None,
            detail: None,
        }
    }

    #[test]
    fn tokens_are_chars_over_four() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("ميزانية"), 2);
        let m = msg(1, Direction::In, "");
        // "<message>" is 9 characters (3 tokens), "wamid.1" 7 (2 tokens).
        assert_eq!(message_tokens(&m), 3 + 2 + LINE_OVERHEAD_TOKENS);
    }

    #[test]
    fn keeps_newest_that_fit() {
        let msgs: Vec<_> = (0..10).map(|i| msg(i, Direction::In, &"x".repeat(40))).collect();
        let per = message_tokens(&msgs[0]);
        let (old, recent) = select_recent(&msgs, per * 3 + 1);
        assert_eq!((old.len(), recent.len()), (7, 3));
        assert_eq!(recent[2].id.as_str(), "wamid.9");
        let (old, recent) = select_recent(&msgs, 1);
        assert_eq!((old.len(), recent.len()), (9, 1), "the newest message always stays");
        let (old, recent) = select_recent(&[], 100);
        assert!(old.is_empty() && recent.is_empty());
    }

    #[test]
    fn fold_keeps_key_customer_sentences_and_skips_covered() {
        let msgs = vec![
            msg(1, Direction::In, "Hola"),
            msg(2, Direction::Out, "¡Hola! ¿En qué le ayudo?"),
            msg(
                3,
                Direction::In,
                "Busco un Corolla 2022. Mi presupuesto es 25.000 dólares. Gracias",
            ),
            msg(4, Direction::In, "ok"),
        ];
        let s = fold(&RollingSummary::default(), &msgs, 200);
        assert_eq!(s.messages_covered, 4);
        assert_eq!(s.covered_until, Some(msgs[3].timestamp));
        assert!(s.text.contains("Busco un Corolla 2022."), "{}", s.text);
        assert!(s.text.contains("Mi presupuesto es 25.000 dólares."), "{}", s.text);
        assert!(!s.text.contains("Hola"), "{}", s.text);
        assert!(!s.text.contains("le ayudo"), "agent lines are not kept: {}", s.text);
        // Folding the same messages again changes nothing.
        assert_eq!(fold(&s, &msgs, 200), s);
        // A new message is added incrementally.
        let mut more = msgs.clone();
        more.push(msg(5, Direction::In, "Can I get financing over 60 months?"));
        let s2 = fold(&s, &more, 200);
        assert_eq!(s2.messages_covered, 5);
        assert!(s2.text.contains("financing over 60 months?"));
        assert!(s2.text.starts_with("Earlier: 5 messages"));
    }

    #[test]
    fn fold_stays_bounded_and_prefers_informative_sentences() {
        let mut msgs = Vec::new();
        for i in 0..200 {
            let t = if i % 10 == 0 {
                format!("My budget is {} dollars for the RAV4", 20_000 + i)
            } else {
                format!("just chatting about the weather today number {}", i)
            };
            msgs.push(msg(i, Direction::In, &t));
        }
        let mut s = RollingSummary::default();
        for chunk in 1..=20 {
            s = fold(&s, &msgs[..chunk * 10], 120);
            assert!(estimate_tokens(&s.text) <= 120, "{}", estimate_tokens(&s.text));
        }
        assert_eq!(s.messages_covered, 200);
        assert!(s.text.contains("20190"), "newest budget kept: {}", s.text);
        assert!(s.covered_ids_tail.len() <= COVERED_IDS_TAIL);
        // Tiny budgets still hold.
        let tiny = fold(&RollingSummary::default(), &msgs, 3);
        assert!(estimate_tokens(&tiny.text) <= 3, "{:?}", tiny.text);
    }

    #[test]
    fn summary_round_trips_as_json() {
        let s = fold(
            &RollingSummary::default(),
            &[msg(1, Direction::In, "Quiero el Civic 2021")],
            50,
        );
        let back: RollingSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    fn conversation() -> impl Strategy<Value = Vec<Message>> {
        let words = prop::sample::select(vec![
            "hola",
            "precio",
            "Corolla",
            "2022",
            "25,000",
            "¿cuánto?",
            "financing",
            "the",
            "car",
            "is",
            "blue.",
            "quiero",
            "ver",
            "mañana",
            "budget",
            "$450",
            "monthly?",
            "ok",
            "gracias",
            "trade-in",
            "Civic",
        ]);
        let text = prop::collection::vec(words, 0..60).prop_map(|w| w.join(" "));
        prop::collection::vec((any::<bool>(), text, 0i64..3), 0..250).prop_map(|items| {
            let mut t = 1_790_000_000i64;
            items
                .into_iter()
                .enumerate()
                .map(|(i, (inbound, text, gap))| {
                    t += gap; // ties happen (gap 0)
                    let mut m = msg(i, if inbound { Direction::In } else { Direction::Out }, &text);
                    m.timestamp = Timestamp::from_second(t).unwrap();
                    m
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// What the worker sends (summary + recent) stays within budget + summary max, however long
        /// the conversation, with the summary updated incrementally as messages arrive.
        #[test]
        fn prompt_input_is_bounded(msgs in conversation(), budget in 150usize..1500, max_summary in 20usize..400, step in 1usize..40) {
            let mut summary = RollingSummary::default();
            let mut n = 0;
            while n < msgs.len() {
                n = (n + step).min(msgs.len());
                let (folded, recent) = select_recent(&msgs[..n], budget);
                summary = fold(&summary, folded, max_summary);
                let recent_tokens: usize = recent.iter().map(message_tokens).sum();
                let summary_tokens = estimate_tokens(&summary.text);
                prop_assert!(summary_tokens <= max_summary);
                prop_assert!(recent_tokens <= budget, "every generated message fits the budget alone");
                prop_assert!(summary_tokens + recent_tokens <= budget + max_summary);
                prop_assert_eq!(summary.messages_covered as usize, folded.len());
            }
        }
    }
}
