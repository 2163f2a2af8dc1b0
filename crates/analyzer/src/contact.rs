//! Name and e-mail of the customer.
//!
//! A name written by the customer ("my name is", "soy", "meu nome é", "اسمي", "أنا …") wins over
//! the WhatsApp profile name, which is used only when it looks like a person's name (1–4 words,
//! letters only, capitalised, no emoji or digits, no slogan word).

use crate::state::AnalyzerState;
use crate::{Analyzer, Msg};
use dossier_core::profile::Profile;
use dossier_core::text::fold;
use dossier_core::{ConversationContact, Message};

/// Removes Arabic harakat and tatweel only, keeping case and accents, so the raw text tokenises
/// like the folded one (a name is reported as written).
pub fn light_fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'))
        .map(|c| match c {
            '’' | '‘' | '`' => '\'',
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '٬' | '،' => ',',
            '٫' => '.',
            c => c,
        })
        .collect()
}

/// The words of `light` (the message lightly folded), aligned with the message's word tokens;
/// `None` when they do not align.
pub(crate) fn raw_words<'a>(light: &'a str, m: &Msg) -> Option<Vec<&'a str>> {
    let words: Vec<&str> = crate::lex::lex(light)
        .into_iter()
        .filter(|t| matches!(t.kind, crate::lex::Kind::Word | crate::lex::Kind::Num))
        .map(|t| t.text)
        .collect();
    (words.len() == m.doc.words.len()).then_some(words)
}

fn is_arabic(w: &str) -> bool {
    w.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn capitalised(w: &str) -> bool {
    let mut cs = w.chars();
    match cs.next() {
        Some(c) if c.is_uppercase() => w.chars().count() >= 2 && w.chars().skip(1).any(|c| c.is_lowercase()),
        _ => false,
    }
}

/// "jorge" → "Jorge".
fn capitalise(w: &str) -> String {
    let mut cs = w.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// Arabic lineage words ("بن سعد"): they join the names around them.
const LINEAGE: [&str; 3] = ["بن", "ابن", "بنت"];
const PARTICLES: [&str; 14] = [
    "de", "da", "do", "dos", "das", "del", "van", "von", "di", "la", "el", "al", "ben", "bin",
];

/// A name right after an introduction cue, as written.
pub(crate) fn name_in(an: &Analyzer, m: &Msg) -> Option<String> {
    let intro = an.cat("contact.name_intro");
    let after = an.cat("contact.name_after_name_word");
    if !m.hits.iter().any(|h| h.payload == intro || h.payload == after) {
        return None;
    }
    // Words of the raw text (case kept), aligned with `doc.words`; only read when needed.
    let light = light_fold(m.raw);
    let raw_words = raw_words(&light, m)?;
    let not_name = an.cat("contact.not_name");
    // What the customer is rather than who (a job, a nationality, a state, a filler): "I'm a
    // nurse", "soy peruano", "sou engenheiro", "أنا مهندس".
    let kunya_id = an.cat("contact.kunya");
    let what = [
        an.cat("contact.occupations"),
        an.cat("contact.nationalities"),
        an.cat("contact.states"),
        an.cat("contact.fillers"),
        an.cat("contact.kunya"),
    ];
    // An Arabic word read as a cue only by dropping a pronoun suffix ("منى" as "من" + ي) may
    // well be a name: such readings do not stop one.
    let suffix_read = |w: usize| {
        let raw = m.doc.word(w);
        let c = m.doc.canon.get(w).copied().unwrap_or(raw);
        is_arabic(raw) && c != raw && raw.starts_with(c)
    };
    let is_not_name = |w: usize| {
        !suffix_read(w)
            && m.hits.iter().any(|h| {
                h.start == w
                    && ((h.payload == not_name && h.end == w + 1)
                        // Read exactly, not as a typo: "Catalina" is no "catalana".
                        || (what.contains(&h.payload) && m.doc.canon.get(w).is_some_and(|c| *c == m.doc.word(w))))
            })
    };
    // Only what the customer is (job, nationality, state, filler): blocks a name anywhere.
    let is_what = |w: usize| {
        !suffix_read(w)
            && m.hits.iter().any(|h| {
                h.start == w
                    && what.contains(&h.payload)
                    && h.payload != kunya_id
                    && m.doc.canon.get(w).is_some_and(|c| *c == m.doc.word(w))
            })
    };
    // Words that end a name ("معاك أحمد اللي كلمتك", "this is Sarah who called").
    let name_end = an.cat("contact.name_end");
    let ends_name = |w: usize| !suffix_read(w) && m.hits.iter().any(|h| h.payload == name_end && h.start == w);
    let kunya = an.cat("contact.kunya");
    let is_kunya = |w: usize| {
        m.hits
            .iter()
            .any(|h| h.payload == kunya && h.start == w && h.end == w + 1)
    };
    let name_word = an.cat("contact.name_words");
    let first_name_word = m.hits_of(name_word).map(|h| h.end).min();
    let weak = an.cat("contact.weak_intro");
    // Intros after which only a capitalised word is a name ("it's unbearable", "its broken").
    let cap_cat = an.cat("contact.cap_only_intro");
    let cap_only = |s: usize| m.hits.iter().any(|h| h.payload == cap_cat && h.end == s);
    let starts: Vec<(usize, bool)> = m
        .hits
        .iter()
        .filter(|h| {
            h.payload == intro
                || (h.payload == after && first_name_word.is_some_and(|e| h.start >= e && h.start - e <= 5))
        })
        .map(|h| {
            (
                h.end,
                m.hits
                    .iter()
                    .any(|w| w.payload == weak && w.start == h.start && w.end == h.end),
            )
        })
        .collect();
    for (s, weak) in starts {
        let Some(first) = raw_words.get(s) else {
            continue;
        };
        // A kunya ("أنا أبو فيصل", "Abu Faisal here") is no name.
        if is_kunya(s) {
            continue;
        }
        // After a weak intro the name follows in the same clause ("de aquí. ¿Qué documentos"
        // is no "Qué").
        if weak && s > 0 && !m.doc.same_clause(s - 1, s) {
            continue;
        }
        // Any intro: the name starts in its sentence, a colon allowed ("Nome: Ana Silva"), so
        // "a mi nombre. Pero soy…" and "باسمي؟ بيكفي" give none.
        let colon = m
            .doc
            .tok_index(s)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| m.doc.toks.get(i))
            .is_some_and(|t| t.text == ":");
        if s > 0 && !colon && m.doc.sentence.get(s - 1) != m.doc.sentence.get(s) {
            continue;
        }
        let clause = m.doc.clause.get(s).copied();
        let mut words: Vec<&str> = Vec::new();
        if is_arabic(first) {
            let mut w = s;
            while w < raw_words.len() && words.len() < 4 && m.doc.clause.get(w).copied() == clause {
                let t = raw_words[w];
                // Known cue words (verbs, adverbs) are not names.
                let known = !suffix_read(w) && m.hits.iter().any(|h| h.start <= w && w < h.end);
                if ends_name(w) {
                    break;
                }
                // A second name that is also an ordinary word ("محمود سعيد اللي ...": Saeed, or
                // "happy"), right before a relative pronoun: part of the name.
                let surname = words.len() == 1 && is_arabic(t) && ends_name(w + 1) && !m.doc.is_num(w);
                // "اسمي ماهر الشامي": after "my name is", a nisba ("الشامي", "المصري") is a
                // surname, not a nationality.
                let nisba = !weak
                    && !words.is_empty()
                    && t.starts_with("ال")
                    && m.hits
                        .iter()
                        .any(|h| h.start == w && h.end == w + 1 && h.payload == what[1]);
                let surname = surname || nisba;
                if !surname && (!is_arabic(t) || is_not_name(w) || m.doc.is_num(w) || known) {
                    break;
                }
                words.push(t);
                w += 1;
            }
            // After a weak intro ("أنا …") the name must end the clause: "أنا ياسمين مصطفى.",
            // or be followed by a relative pronoun or a verb of wanting ("معاك أحمد اللي").
            let clause_ends = m.doc.clause.get(w).copied() != clause || ends_name(w);
            // "عبد الفتاح", "عبد الله": "عبد" and the word after it are one name.
            // "هبة الله", "نصر الله": "الله" is one name with the word before it.
            let units = |ws: &[&str]| {
                ws.len()
                    - ws.iter()
                        .take(ws.len().saturating_sub(1))
                        .filter(|t| fold(t) == "عبد")
                        .count()
                    - ws.iter().skip(1).filter(|t| fold(t) == "الله").count()
            };
            // "فهد بن سعد القحطاني": a lineage with بن/بنت keeps its four words.
            let lineage = |t: &&str| LINEAGE.contains(&fold(t).as_str());
            let max_units = if words.iter().skip(1).any(lineage) { 4 } else { 2 };
            if weak && (!clause_ends || units(&words) > max_units) {
                words.clear();
            }
            while units(&words) > max_units {
                words.pop();
            }
            while words.last().is_some_and(lineage) {
                words.pop();
            }
            if words.last().is_some_and(|t| fold(t) == "عبد") {
                words.pop();
            }
        } else if !capitalised(first) && cap_only(s) {
            continue;
        } else if !capitalised(first) {
            // A lowercase name ("my name is jamal", "soy jorge", "me chamo ana"): letters only,
            // no word of any language's vocabulary, and after a weak intro ("soy", "i'm") the
            // name must end the clause ("sou casado e tenho" is no name).
            let plain = |w: usize| {
                let t = raw_words.get(w).copied().unwrap_or("");
                let f = fold(t);
                t.chars().count() >= 2
                    && t.chars().all(char::is_alphabetic)
                    && t.chars().all(|c| !c.is_uppercase())
                    && !is_not_name(w)
                    && !an.canon.is_known(&f)
                    && !m.hits.iter().any(|h| h.start <= w && w < h.end)
            };
            let mut w = s;
            while w < raw_words.len()
                && words.len() < if weak { 2 } else { 3 }
                && m.doc.clause.get(w).copied() == clause
                && plain(w)
            {
                words.push(raw_words[w]);
                w += 1;
            }
            let clause_ends = m.doc.clause.get(w).copied() != clause || ends_name(w);
            if weak && !clause_ends {
                words.clear();
            }
            if !words.is_empty() && !is_not_name(s) {
                let cap: Vec<String> = words.iter().map(|t| capitalise(t)).collect();
                return Some(cap.join(" "));
            }
            continue;
        } else {
            let mut w = s;
            while w < raw_words.len() && words.len() < 4 && m.doc.clause.get(w).copied() == clause {
                let t = raw_words[w];
                let lower = fold(t);
                // After a strong intro ("my name is", "registered under") a capitalised word
                // is a name even when it is also a slogan word ("Grace", "Angel", "Rey").
                let blocked = if weak { is_not_name(w) } else { is_what(w) };
                let name_word = capitalised(t) && !blocked && !m.doc.is_num(w);
                if name_word
                    || (!words.is_empty()
                        && PARTICLES.contains(&lower.as_str())
                        && (raw_words.get(w + 1).is_some_and(|n| capitalised(n))
                            || (raw_words
                                .get(w + 1)
                                .is_some_and(|n| PARTICLES.contains(&fold(n).as_str()))
                                && raw_words.get(w + 2).is_some_and(|n| capitalised(n)))))
                {
                    words.push(t);
                } else {
                    break;
                }
                w += 1;
            }
        }
        let blocked_first = if weak { is_not_name(s) } else { is_what(s) };
        if !words.is_empty() && !blocked_first {
            return Some(as_written(&light, &words));
        }
    }
    None
}

/// The answer to the agent's "what is your full name?": the capitalised words the message
/// starts with ("Inês Carvalho Matos, ines@example.com"), two to four of them.
fn answered_name(an: &Analyzer, m: &Msg) -> Option<String> {
    let light = light_fold(m.raw);
    let raw = raw_words(&light, m)?;
    let mut words = Vec::new();
    for (w, t) in raw.iter().enumerate() {
        if m.doc.clause.get(w) != m.doc.clause.first() || words.len() == 4 {
            break;
        }
        let particle = !words.is_empty() && PARTICLES.contains(&fold(t).as_str());
        let cue = m.hits.iter().any(|h| h.start <= w && w < h.end);
        if ((is_arabic(t) || capitalised(t)) && !cue) || particle {
            words.push(*t);
        } else {
            return None;
        }
    }
    let rest_is_contact = m.doc.clause.get(words.len()) != m.doc.clause.first() || words.len() == raw.len();
    let n = words.len();
    let _ = an;
    (n >= 2 && rest_is_contact).then(|| as_written(&light, &words))
}

/// A name signed under a sign-off ("مع التحية،\nعبد الرحمن الزهراني", "Saludos,\nCarmen Vidal"):
/// the last line, two to four name words.
fn signed_name(an: &Analyzer, m: &Msg) -> Option<String> {
    // "Send the invoice to … please. - Tyrone Jackson": a dash, then the name, ends the message.
    if let Some((_, tail)) = m
        .raw
        .trim_end()
        .rsplit_once(" - ")
        .or_else(|| m.raw.trim_end().rsplit_once(" — "))
    {
        let words: Vec<&str> = tail.trim().trim_end_matches('.').split_whitespace().collect();
        // No vehicle, no word of any vocabulary ("- Hyundai Tucson", "- Then Financing").
        let n = m.doc.words.len();
        let vehicle_at_end = an.vehicles.hits(m).iter().any(|h| h.end + words.len() > n);
        // "Thanks - Arvind": one name word signs only right after a sign-off word.
        let head = fold(m.raw.trim_end().rsplit_once(tail).map(|(h, _)| h).unwrap_or(""));
        let head = head.trim_end_matches(|c: char| !c.is_alphanumeric());
        let signed_off = an.knowledge.cues("contact.signoff").iter().any(|c| {
            head.ends_with(&fold(c)) && head[..head.len() - fold(c).len()].ends_with([' ', ',', '.', '!'])
                || head == fold(c)
        });
        let n_ok = (2..=3).contains(&words.len()) || (words.len() == 1 && signed_off);
        if n_ok && !vehicle_at_end && words.iter().all(|w| unknown_name_word(an, w)) {
            return Some(words.join(" "));
        }
    }
    // "Perfeito. Até sexta então.\nMarta Sousa Pinto": a last line of two to four name words
    // that no vocabulary knows, under a message, is a signature even without a sign-off word.
    if let Some((body, last)) = m.raw.trim_end().rsplit_once('\n')
        && !body.trim().is_empty()
    {
        let words: Vec<&str> = last.split_whitespace().collect();
        let n = m.doc.words.len();
        let vehicle_at_end = an.vehicles.hits(m).iter().any(|h| h.end + words.len() > n);
        let namey = |w: &&str| {
            unknown_name_word(an, w.trim_end_matches('.'))
                || (w.contains('-') && w.split('-').all(|p| unknown_name_word(an, p)))
        };
        if (2..=4).contains(&words.len()) && !vehicle_at_end && words.iter().all(namey) {
            return Some(words.join(" "));
        }
    }
    if !m.has_cat(an, "contact.signoff") {
        return None;
    }
    let last = m.raw.trim_end().rsplit('\n').next()?.trim();
    let words: Vec<&str> = last.split_whitespace().collect();
    let folded = fold(last);
    let cue_line = an
        .knowledge
        .cues("contact.signoff")
        .iter()
        .any(|c| folded.trim_end_matches(|ch: char| !ch.is_alphanumeric()) == fold(c));
    let namey = |w: &&str| {
        let f = fold(w);
        (is_arabic(w) || capitalised(w) || PARTICLES.contains(&f.as_str()))
            && w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'')
    };
    if (2..=4).contains(&words.len()) && !cue_line && words.iter().all(namey) && m.raw.contains('\n') {
        return Some(words.join(" "));
    }
    // On the same line: "Thanks. Regards, Priya Nair", "مع خالص التحية، سامي الخطيب."
    let light = light_fold(m.raw);
    let raw_words = raw_words(&light, m)?;
    let cue = an.cat("contact.signoff");
    let h = m.hits_of(cue).max_by_key(|h| h.end)?;
    let tail = &raw_words[h.end..];
    let comma = m
        .doc
        .tok_index(h.end.saturating_sub(1))
        .and_then(|i| m.doc.toks.get(i + 1))
        .is_some_and(|t| matches!(t.text, "," | "،" | ":" | "-"));
    // "Thanks, Hyundai Tucson", "Obrigado, Boa Noite": no vehicle, no vocabulary word.
    let vehicle = an.vehicles.hits(m).iter().any(|v| v.end > h.end);
    (comma
        && !vehicle
        && (2..=4).contains(&tail.len())
        && tail.iter().all(namey)
        && tail
            .iter()
            .all(|w| PARTICLES.contains(&fold(w).as_str()) || !an.canon.is_known(&fold(w)))
        && tail.iter().any(|w| !PARTICLES.contains(&fold(w).as_str())))
    .then(|| as_written(&light, tail))
}

/// "Meredith Calloway here", "Joseph Otieno here from Nairobi": two or three capitalised words
/// opening a sentence, then "here".
fn here_name(an: &Analyzer, m: &Msg) -> Option<String> {
    // "Michael Turner, by the way", "Joseph Otieno here": the name opens the sentence.
    let here = (0..m.doc.words.len()).find(|&w| {
        m.doc.word(w) == "here"
            || (m.doc.word(w) == "by" && m.doc.word(w + 1) == "the" && m.doc.word(w + 2) == "way")
            || m.doc.word(w) == "btw"
    })?;
    let light = light_fold(m.raw);
    let raw_words = raw_words(&light, m)?;
    let sent = m.doc.sentence.get(here);
    let start = (0..here).rev().take_while(|&w| m.doc.sentence.get(w) == sent).last()?;
    // A greeting may open the sentence ("Hi, Meredith Calloway here", "Hiya, Graham Pike here").
    let greeting = an.cat("intent.greeting");
    let greeted = |w: usize| m.hits_of(greeting).any(|h| h.start <= w && w < h.end);
    let first = (start..here).find(|&w| !greeted(w))?;
    let words: Vec<&str> = raw_words[first..here].to_vec();
    // "Abu Faisal here" is a kunya; "The Tucson here", "Great Price, by the way" are no names:
    // no vehicle and no word of any vocabulary.
    let kunya = words
        .first()
        .is_some_and(|w| an.knowledge.cues("contact.kunya").iter().any(|k| fold(k) == fold(w)));
    let vehicle = an.vehicles.hits(m).iter().any(|h| h.start < here);
    (!kunya && !vehicle && (2..=3).contains(&words.len()) && words.iter().all(|w| unknown_name_word(an, w)))
        .then(|| as_written(&light, &words))
}

/// Name words joined as the customer wrote them: "Adebayo-Cole" and "O'Brien" keep their
/// hyphen or apostrophe (the tokenizer splits there), other gaps become one space. `words` are
/// slices of `text`.
fn as_written(text: &str, words: &[&str]) -> String {
    let base = text.as_ptr() as usize;
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            let prev = words[i - 1];
            let gap_from = prev.as_ptr() as usize + prev.len();
            let gap_to = w.as_ptr() as usize;
            let gap = if gap_from >= base && gap_to >= gap_from {
                text.get(gap_from - base..gap_to - base).unwrap_or(" ")
            } else {
                " "
            };
            out.push_str(if matches!(gap, "-" | "'") { gap } else { " " });
        }
        out.push_str(w);
    }
    out
}

/// A capitalised word of letters that no vocabulary knows: a name word outside an intro.
fn unknown_name_word(an: &Analyzer, w: &str) -> bool {
    capitalised(w) && w.chars().all(char::is_alphabetic) && !an.canon.is_known(&fold(w))
}

pub(crate) fn observe(an: &Analyzer, st: &mut AnalyzerState, msg: &Message, m: &Msg) {
    if st.name.is_none()
        && let Some(n) = signed_name(an, m)
    {
        st.name = Some((n, msg.id.clone()));
    }
    if st.name.is_none()
        && let Some(n) = here_name(an, m)
    {
        st.name = Some((n, msg.id.clone()));
    }
    if st.agent_asked_name
        && st.name.is_none()
        && let Some(n) = answered_name(an, m)
    {
        st.name = Some((n, msg.id.clone()));
    }
    if let Some(n) = name_in(an, m) {
        let keep_old = st.name.as_ref().is_some_and(|(old, _)| {
            let (o, n) = (fold(old), fold(&n));
            o.len() > n.len() && o.starts_with(&n)
        });
        if !keep_old {
            st.name = Some((n, msg.id.clone()));
        }
    }
    if let Some(e) = an.email_re.find(m.raw) {
        st.email = Some((e.as_str().trim_end_matches('.').to_lowercase(), msg.id.clone()));
    }
}

/// The WhatsApp profile name as a name, without a leading title ("Dr. Ahmed Ali" → "Ahmed
/// Ali"), when it is a real person's full name.
pub fn profile_name(an: &Analyzer, name: &str) -> Option<String> {
    if !plausible_profile_name(an, name) {
        return None;
    }
    let k = &an.knowledge;
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words.len() > 1 {
        let f = fold(words[0].trim_matches(|c: char| !c.is_alphanumeric()));
        if !k.cues("contact.titles").iter().any(|t| fold(t) == f) {
            break;
        }
        words.remove(0);
    }
    Some(words.join(" "))
}

/// Does a WhatsApp profile name look like a real person's full name?
pub fn plausible_profile_name(an: &Analyzer, name: &str) -> bool {
    let name = name.trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 || name.chars().count() > 60 {
        return false;
    }
    let all_letters = name.chars().all(|c| {
        c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.' || ('\u{064B}'..='\u{065F}').contains(&c)
    });
    if !all_letters {
        return false;
    }
    let k = &an.knowledge;
    let in_list = |cat: &str, w: &str| {
        let f = fold(w.trim_matches(|c: char| !c.is_alphanumeric()));
        k.cues(cat).iter().any(|s| fold(s) == f)
    };
    // Titles ("Dr.", "Ing.", "الشيخ") are dropped; what is left must be a full name: two words
    // or more (a first name alone, a nickname or a kunya like "أبو فيصل" / "Umm Khalid" is not).
    let mut words: Vec<&str> = words;
    while words.len() > 1 && in_list("contact.titles", words[0]) {
        words.remove(0);
    }
    if words.first().is_some_and(|w| in_list("contact.kunya", w)) {
        return false;
    }
    // "Sharma Ji", "Rahul Sir": an honorific after a name is how someone is addressed.
    if words.len() >= 2 && words.last().is_some_and(|w| in_list("contact.titles", w)) {
        return false;
    }
    let full = words
        .iter()
        .filter(|w| !PARTICLES.contains(&fold(w).as_str()) && w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count()
        >= 2;
    if !full {
        return false;
    }
    let stop: Vec<&String> = ["contact.not_name", "contact.occupations"]
        .iter()
        .flat_map(|c| k.cues(c))
        .filter(|s| !s.contains(' '))
        .collect();
    let mut long_word = false;
    // Nicknames only ("Zé Manel", "Pepe", "Juancho") are no full name; a nickname with a
    // surname ("Lupita Sánchez", "Rafa Souza") is how the person is known.
    if words
        .iter()
        .all(|w| in_list("contact.nicknames", w) || PARTICLES.contains(&fold(w).as_str()))
    {
        return false;
    }
    // "Zé do Caminhão", "Juancho el del Taxi": a nickname with an epithet is no full name.
    if words.len() >= 3 && in_list("contact.nicknames", words[0]) && PARTICLES.contains(&fold(words[1]).as_str()) {
        return false;
    }
    // "Mombasa Imports Ltd", "Transportes Silva Ltda": a business, not a person.
    if words.iter().any(|w| in_list("contact.business", w)) {
        return false;
    }
    let n_words = words.len();
    let mut stops = 0;
    for (i, w) in words.iter().enumerate() {
        // Initials ("M.K.", "J", "Andrés M.") are not a name: every part needs two letters,
        // but for a middle initial between two names ("Robert T. Hayes").
        let middle = i > 0 && i + 1 < n_words && n_words >= 3;
        // Irish "Ó" and "Ní" ("Ciarán Ó Briain") are surname particles, not initials.
        let gaelic = middle && matches!(*w, "Ó" | "Ní" | "Ui" | "Uí");
        if !middle && !gaelic && w.split(['.', '-', '\'']).any(|part| part.chars().count() == 1) {
            return false;
        }
        // "Ahmad Sh.", "Rami H.": a surname cut to an abbreviation is no full name.
        if i + 1 == n_words && i > 0 && w.ends_with('.') && !matches!(fold(w).as_str(), "jr" | "sr") {
            return false;
        }
        if gaelic {
            continue;
        }
        // "Léo RJ", "Ana SP": a place code, not a surname.
        if i > 0 && w.chars().count() <= 3 && w.chars().all(|c| c.is_uppercase()) {
            return false;
        }
        let letters = w.chars().filter(|c| c.is_alphabetic()).count();
        if letters >= 2 {
            long_word = true;
        }
        let f = fold(w.trim_matches(|c: char| !c.is_alphanumeric()));
        if PARTICLES.contains(&f.as_str()) {
            continue;
        }
        // "Best Auto Sales" is a slogan; "Raimundo Nonato Sales" is a name whose surname is
        // also a word: one such word after two name words is kept.
        if stop.iter().any(|s| fold(s) == f) {
            stops += 1;
            if i < 2 || n_words < 3 || stops > 1 {
                return false;
            }
        }
        if !is_arabic(w) && !w.chars().next().is_some_and(char::is_uppercase) && !PARTICLES.contains(&f.as_str()) {
            return false;
        }
    }
    long_word
}

pub(crate) fn fill(an: &Analyzer, st: &AnalyzerState, contact: &ConversationContact, p: &mut Profile) {
    p.contact.name = st
        .name
        .as_ref()
        .map(|(n, _)| n.clone())
        .or_else(|| contact.profile_name.as_deref().and_then(|n| profile_name(an, n)));
    p.contact.email = st.email.as_ref().map(|(e, _)| e.clone());
}

#[cfg(test)]
mod tests {
    use crate::tests_support::*;

    fn name(msgs: &[(&str, &str)], profile: Option<&str>) -> Option<String> {
        run_with(msgs, profile).contact.name
    }

    #[test]
    fn names_from_text() {
        assert_eq!(
            name(&[("in", "my name is Jamal Carter btw")], None).as_deref(),
            Some("Jamal Carter")
        );
        assert_eq!(name(&[("in", "Hi! I'm interested in the Civic")], None), None);
        assert_eq!(name(&[("in", "I'm between the Mazda CX-5 and the Rogue")], None), None);
        assert_eq!(
            name(&[("in", "Soy Alejandra Ruiz Treviño, me atendió Daniel")], None).as_deref(),
            Some("Alejandra Ruiz Treviño")
        );
        assert_eq!(
            name(&[("in", "Meu nome é Camila Souza, estou chegando")], None).as_deref(),
            Some("Camila Souza")
        );
        assert_eq!(
            name(&[("in", "مساء الخير، أنا ياسمين مصطفى. جيت امبارح")], None).as_deref(),
            Some("ياسمين مصطفى")
        );
        assert_eq!(name(&[("in", "أنا لسه جاي من مصر")], None), None);
        assert_eq!(
            name(&[("in", "The name on the deposit should be Priya Raman")], None).as_deref(),
            Some("Priya Raman")
        );
        assert_eq!(
            name(&[("in", "Está a nombre de Fernanda Hernández")], None).as_deref(),
            Some("Fernanda Hernández")
        );
        assert_eq!(
            name(&[("in", "me llamo Juan de la Cruz")], None).as_deref(),
            Some("Juan de la Cruz")
        );
        assert_eq!(
            name(
                &[("in", "my name is Jamal Carter"), ("in", "hey its Jamal again")],
                None
            )
            .as_deref(),
            Some("Jamal Carter")
        );
    }

    #[test]
    fn profile_names() {
        assert_eq!(
            name(&[("in", "hi")], Some("Kevin Walsh")).as_deref(),
            Some("Kevin Walsh")
        );
        assert_eq!(name(&[("in", "hi")], Some("🏀🏀")), None);
        assert_eq!(name(&[("in", "hi")], Some("Dios es fiel 🙏")), None);
        assert_eq!(name(&[("in", "hi")], Some("Deus no comando")), None);
        assert_eq!(name(&[("in", "hi")], Some("Best deals 4u")), None);
        assert_eq!(name(&[("in", "hi")], Some("J")), None);
        assert_eq!(name(&[("in", "hi")], Some("Sunshine ☀️")), None);
        assert_eq!(
            name(&[("in", "hi")], Some("Jesús Ramírez")).as_deref(),
            Some("Jesús Ramírez")
        );
        assert_eq!(name(&[("in", "hi")], Some("محمود عادل")).as_deref(), Some("محمود عادل"));
    }

    #[test]
    fn what_the_customer_is_is_no_name() {
        let n = |t: &str| name(&[("in", t)], None);
        // Jobs.
        assert_eq!(n("Hi, I'm a nurse and I need a reliable car"), None);
        assert_eq!(n("I'm Freelancer, need something cheap"), None);
        assert_eq!(n("soy ingeniero, busco una camioneta"), None);
        assert_eq!(n("Sou engenheira, queria ver o Compass"), None);
        assert_eq!(n("انا مهندس وابي سيارة عائلية"), None);
        assert_eq!(n("أنا موظف حكومي"), None);
        // Nationalities.
        assert_eq!(n("soy peruano, vivo en Lima"), None);
        assert_eq!(n("Soy venezolana."), None);
        assert_eq!(n("I'm Mexican, just moved here"), None);
        assert_eq!(n("sou portuguesa"), None);
        assert_eq!(n("انا سعودي"), None);
        // States and fillers.
        assert_eq!(n("I'm pre-approved already"), None);
        assert_eq!(n("Soy nuevo por aquí"), None);
        assert_eq!(n("sou pai de dois"), None);
        assert_eq!(n("انا محتار بين الاثنين"), None);
        assert_eq!(n("أنا جاهز"), None);
        assert_eq!(n("soy pues el que preguntó ayer"), None);
        // A real name after the same cues still is one.
        assert_eq!(n("soy peruano, me llamo Diego Salas").as_deref(), Some("Diego Salas"));
        assert_eq!(n("I'm a nurse, my name is Ana Lima").as_deref(), Some("Ana Lima"));
        assert_eq!(n("Soy Valeria").as_deref(), Some("Valeria"));
    }

    #[test]
    fn arabic_names_before_relative_pronouns_and_verbs() {
        let n = |t: &str| name(&[("in", t)], None);
        assert_eq!(n("معاك أحمد اللي كلمك امس").as_deref(), Some("أحمد"));
        assert_eq!(n("معك خالد الي تواصلت معك").as_deref(), Some("خالد"));
        assert_eq!(n("أنا سارة يلي سألت عن الكامري").as_deref(), Some("سارة"));
        assert_eq!(n("انا فهد من الرياض").as_deref(), Some("فهد"));
        assert_eq!(
            n("السلام عليكم، أنا محمود سعيد اللي اشتريت السويفت").as_deref(),
            Some("محمود سعيد")
        );
        assert_eq!(
            n("Soy Catalina, estoy buscando una camioneta").as_deref(),
            Some("Catalina")
        );
        assert_eq!(n("أنا منى وعايزة أسأل").as_deref(), Some("منى"));
        assert_eq!(n("انا اللي سألت امس"), None);
        assert_eq!(n("أنا من جدة"), None);
        // Kunyas are no name, in text or as a profile name.
        assert_eq!(n("معك أبو فيصل"), None);
        assert_eq!(n("انا ام خالد"), None);
        assert_eq!(n("Abu Faisal here, I'm Abu Faisal"), None);
    }

    #[test]
    fn profile_names_need_a_full_name() {
        let p = |pn: &str| name(&[("in", "hi")], Some(pn));
        assert_eq!(p("Derek"), None);
        assert_eq!(p("سالم"), None);
        assert_eq!(p("أبو فهد"), None);
        assert_eq!(p("ابو فيصل"), None);
        assert_eq!(p("Umm Khalid"), None);
        assert_eq!(p("Abu Saleh"), None);
        assert_eq!(p("Ing. Roberto"), None);
        assert_eq!(p("Dr. Ahmed Ali").as_deref(), Some("Ahmed Ali"));
        assert_eq!(p("د. سامي الحربي").as_deref(), Some("سامي الحربي"));
        assert_eq!(p("Juan de la Cruz").as_deref(), Some("Juan de la Cruz"));
        assert_eq!(p("Uber Driver Mike"), None);
        assert_eq!(p("Ana Paula").as_deref(), Some("Ana Paula"));
        // A name in the text still wins over a kunya profile.
        assert_eq!(
            name(&[("in", "اسمي فيصل العتيبي")], Some("أبو فهد")).as_deref(),
            Some("فيصل العتيبي")
        );
    }

    #[test]
    fn emails() {
        let p = run(&[("in", "pls email it to priya.raman@example.com.")]);
        assert_eq!(p.contact.email.as_deref(), Some("priya.raman@example.com"));
    }

    #[test]
    fn lowercase_names_after_a_cue() {
        let n = |t: &str| name(&[("in", t)], None);
        assert_eq!(n("my name is jamal").as_deref(), Some("Jamal"));
        assert_eq!(n("hi, my name is jamal carter").as_deref(), Some("Jamal Carter"));
        assert_eq!(
            n("buenas, soy jorge. ando buscando una troca").as_deref(),
            Some("Jorge")
        );
        assert_eq!(n("me llamo lupita").as_deref(), Some("Lupita"));
        assert_eq!(n("oi, me chamo ana").as_deref(), Some("Ana"));
        assert_eq!(n("meu nome é joão pedro").as_deref(), Some("João Pedro"));
        assert_eq!(n("i'm interested in the civic"), None);
        assert_eq!(n("im tired of waiting"), None);
        assert_eq!(n("soy de monterrey"), None);
        assert_eq!(n("sou casado e tenho dois filhos"), None);
        assert_eq!(n("sou casado"), None);
        assert_eq!(n("this is the one i want"), None);
    }
}
