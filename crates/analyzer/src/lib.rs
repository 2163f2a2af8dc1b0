//! The offline, built-in conversation analyzer: turns a WhatsApp conversation into a smart
//! customer profile (docs/conversation-and-profile.md §2) with rules and lexicons only — no network, no model.
//!
//! Why a fold: the service stores an [`AnalyzerState`] per contact and calls
//! [`Analyzer::observe`] once per new message, so the cost of a message never depends on how
//! long the conversation already is. [`Analyzer::analyze`] is the same fold over a whole file.
//!
//! All cue phrases, aliases and number/currency words live in `config/knowledge/*.toml`
//! ([`Knowledge`]), embedded as defaults and extendable per company.

pub mod amount;
pub mod budget;
pub mod contact;
pub mod eval;
pub mod interests;
pub mod knowledge;
pub mod lang;
pub mod lex;
pub mod mood;
pub mod stage;
pub mod state;
pub mod summary;

pub use knowledge::{Knowledge, KnowledgeError};
pub use state::AnalyzerState;

use dossier_core::text::fold;
use dossier_core::{Catalog, Conversation, ConversationContact, Currency, Message, Profile};
use interests::VehicleIndex;
use lex::{Canon, Doc, Hit, PhraseSet};
use lex::{HashMap, HashSet};
use std::sync::Arc;

/// Longest message text analysed (characters beyond are ignored; keeps cost bounded).
const MAX_TEXT: usize = 4000;

/// The analyzer for one company: knowledge plus the catalog's alias index, built once.
pub struct Analyzer {
    pub(crate) knowledge: Arc<Knowledge>,
    pub(crate) canon: Canon,
    pub(crate) cues: PhraseSet,
    pub(crate) cat_ids: HashMap<String, u32>,
    pub(crate) cat_names: Vec<String>,
    pub(crate) vehicles: VehicleIndex,
    pub(crate) stopwords: Vec<(String, HashSet<String>)>,
    pub(crate) symbols: HashMap<String, String>,
    pub(crate) dollar_codes: Vec<String>,
    /// The catalog's main currency (amounts without any marker).
    pub(crate) default_currency: String,
    /// The catalog's highest price in `default_currency`: a sum far above it with no currency
    /// named ("tengo 75 palos" against a USD catalog) is in the customer's own currency.
    pub(crate) max_price: Option<rust_decimal::Decimal>,
    /// The lowest catalog price in `default_currency` per folded "make|model": a sum offered far
    /// below every wanted car's price is about something else (the trade-in's value).
    pub(crate) min_prices: HashMap<String, rust_decimal::Decimal>,
    pub(crate) email_re: regex::Regex,
    /// Precomputed category ids of hot paths.
    pub(crate) intent_ids: Vec<(&'static str, u32)>,
    /// Currency word categories → ISO code, or `~family` for a word several countries share.
    pub(crate) currency_cats: Vec<(u32, String)>,
    /// Currency family → (members, default) (`peso` → MXN COP ARS …, MXN).
    pub(crate) families: HashMap<String, (Vec<String>, String)>,
    /// Country calling code → currency (longest prefix of a WhatsApp number wins).
    pub(crate) phone_currency: Vec<(String, String)>,
    pub(crate) neg_id: u32,
    /// Language codes of the knowledge files; a phrase's `Hit::lang` is 1 + its index here.
    pub(crate) lang_codes: Vec<String>,
    /// Per category id: matched only in the message's languages (sentiment, stage, intent).
    pub(crate) lang_restricted: Vec<bool>,
    /// Folded number word → value (`[number_words]`: "veinte" → 20).
    pub(crate) number_words: HashMap<String, u32>,
    /// Evidence class → stated confidence (`[confidence]`).
    pub(crate) confidences: HashMap<String, f32>,
    /// Tuning numbers (`[tuning]`).
    pub(crate) tunings: HashMap<String, f32>,
    /// Common Arabizi words (`[arabizi] words`), folded.
    pub(crate) arabizi: HashSet<String>,
}

/// One message prepared for the extractors.
pub(crate) struct Msg<'a> {
    pub raw: &'a str,
    pub doc: Doc<'a>,
    pub hits: Vec<Hit>,
    /// Vehicle-name hits, found once per message on first use.
    pub vehicle_hits: std::cell::OnceCell<Vec<Hit>>,
}

impl Analyzer {
    pub fn new(knowledge: Arc<Knowledge>, catalog: &Catalog) -> Analyzer {
        let mut cues = PhraseSet::default();
        let mut cat_ids = HashMap::default();
        let mut cat_names = Vec::new();
        let mut lang_codes: Vec<String> = Vec::new();
        let mut lang_restricted = Vec::new();
        for (name, phrases) in knowledge.categories() {
            // Raw-substring lists, and word lists read only by string comparison (profile-name
            // nicknames and titles must not become vocabulary: "me llamo lupita" is a name).
            if name.ends_with("_emoji")
                || ["contact.nicknames", "contact.titles", "arabizi.words"].contains(&name.as_str())
            {
                continue;
            }
            let id = cat_names.len() as u32;
            cat_ids.insert(name.clone(), id);
            cat_names.push(name.clone());
            lang_restricted.push(["sentiment.", "stage.", "intent."].iter().any(|p| name.starts_with(p)));
            let langs = knowledge.cue_langs(name);
            for (i, p) in phrases.iter().enumerate() {
                let lang = match langs.get(i).and_then(Option::as_deref) {
                    Some(l) => match lang_codes.iter().position(|c| c == l) {
                        Some(j) => j + 1,
                        None => {
                            lang_codes.push(l.to_owned());
                            lang_codes.len()
                        }
                    },
                    None => 0,
                };
                cues.add_lang(p, id, u8::try_from(lang).unwrap_or(0));
            }
        }
        let vehicles = VehicleIndex::build(&knowledge, catalog);
        let mut canon = Canon::default();
        for w in cues.vocab() {
            canon.add_word(w, 8);
        }
        // Vehicle names tolerate a typo, but not their generated plurals: "loans" is no
        // "logans", "verlas" no "versas".
        let vocab: HashSet<&str> = vehicles.set.vocab().collect();
        for w in vehicles.set.vocab() {
            let plural = w.strip_suffix('s').is_some_and(|stem| vocab.contains(stem));
            canon.add_word(w, if plural { usize::MAX } else { 6 });
        }
        let stopwords: Vec<(String, HashSet<String>)> = knowledge
            .stopword_table()
            .into_iter()
            .map(|(l, ws)| (l, ws.iter().map(|w| fold(w)).collect()))
            .collect();
        for (_, ws) in &stopwords {
            for w in ws {
                canon.add_dict_word(w);
            }
        }
        for w in knowledge.cues("dictionary.words") {
            canon.add_dict_word(&fold(w));
        }
        // Short catalog model names (one word of 5 letters) tolerate one typo ("camri").
        for v in &catalog.vehicles {
            let f = fold(&v.model);
            if !f.contains(' ') {
                canon.add_short_model(&f);
            }
        }
        let symbols = knowledge
            .map("currency_symbols")
            .map(|m| m.iter().map(|(k, v)| (fold(k), v.clone())).collect())
            .unwrap_or_default();
        let number_words = knowledge
            .map("number_words")
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((fold(k), v.trim().parse::<u32>().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let confidences = knowledge
            .map("confidence")
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.trim().parse::<f32>().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let tunings = knowledge
            .map("tuning")
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.trim().parse::<f32>().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let dollar_codes = knowledge.cues("currency_meta.dollar_codes").to_vec();
        let mut counts: HashMap<&str, usize> = HashMap::default();
        for v in &catalog.vehicles {
            *counts.entry(v.currency.as_str()).or_default() += 1;
        }
        let default_currency = counts
            .into_iter()
            .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
            .map(|(c, _)| c.to_owned())
            .unwrap_or_else(|| "USD".to_owned());
        let max_price = catalog
            .vehicles
            .iter()
            .filter(|v| v.currency.as_str() == default_currency)
            .map(|v| v.price)
            .max();
        let mut min_prices: HashMap<String, rust_decimal::Decimal> = HashMap::default();
        for v in catalog
            .vehicles
            .iter()
            .filter(|v| v.currency.as_str() == default_currency)
        {
            let key = format!(
                "{}|{}",
                dossier_core::text::fold(&v.make),
                dossier_core::text::fold(&v.model)
            );
            let e = min_prices.entry(key).or_insert(v.price);
            if v.price < *e {
                *e = v.price;
            }
        }
        // A fixed, valid pattern: cannot fail.
        let email_re = regex::Regex::new(r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
            .unwrap_or_else(|_| unreachable!());
        let id = |n: &str| cat_ids.get(n).copied().unwrap_or(u32::MAX);
        let intent_ids = stage::INTENT_ORDER
            .iter()
            .map(|i| (*i, id(&format!("intent.{i}"))))
            .collect();
        let currency_cats = cat_names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.strip_prefix("currency.")
                    .filter(|c| c.len() == 3)
                    .map(|c| (i as u32, c.to_owned()))
                    .or_else(|| n.strip_prefix("currency_family.").map(|f| (i as u32, format!("~{f}"))))
            })
            .collect();
        let members = knowledge.map("currency_family_members").cloned().unwrap_or_default();
        let defaults = knowledge.map("currency_family_default").cloned().unwrap_or_default();
        let families = members
            .iter()
            .map(|(f, list)| {
                let list: Vec<String> = list.split_whitespace().map(str::to_owned).collect();
                let default = defaults
                    .get(f)
                    .cloned()
                    .or_else(|| list.first().cloned())
                    .unwrap_or_else(|| "USD".to_owned());
                (f.clone(), (list, default))
            })
            .collect();
        let mut phone_currency: Vec<(String, String)> = knowledge
            .map("phone_currency")
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        phone_currency.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let neg_id = id("negation.words");
        Analyzer {
            intent_ids,
            currency_cats,
            families,
            phone_currency,
            neg_id,
            lang_codes,
            lang_restricted,
            number_words,
            confidences,
            tunings,
            arabizi: knowledge.cues("arabizi.words").iter().map(|w| fold(w)).collect(),
            knowledge,
            canon,
            cues,
            cat_ids,
            cat_names,
            vehicles,
            stopwords,
            symbols,
            dollar_codes,
            default_currency,
            max_price,
            min_prices,
            email_re,
        }
    }

    /// The stated confidence of an evidence class (`[confidence]` in the knowledge files).
    pub(crate) fn confidence(&self, class: &str) -> f32 {
        self.confidences.get(class).copied().unwrap_or(0.5)
    }

    /// A tuning number (`[tuning]` in the knowledge files), or `default`.
    pub(crate) fn tuning(&self, name: &str, default: f32) -> f32 {
        self.tunings.get(name).copied().unwrap_or(default)
    }

    /// The knowledge this analyzer was built from.
    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    pub(crate) fn cat(&self, name: &str) -> u32 {
        self.cat_ids.get(name).copied().unwrap_or(u32::MAX)
    }

    /// Analyzes a whole conversation (messages must be sorted; `Conversation::from_json` does it).
    pub fn analyze(&self, conv: &Conversation, company: &str) -> Profile {
        let mut st = AnalyzerState::default();
        for m in &conv.messages {
            self.observe(&mut st, m);
        }
        self.profile(&st, company, &conv.contact)
    }

    /// Folds one message into the state. Cost depends on this message only.
    pub fn observe(&self, st: &mut AnalyzerState, msg: &Message) {
        let inbound = msg.is_inbound();
        // History first: counts, gaps, returning.
        let ts = msg.timestamp;
        if let Some(last) = st.last_seen {
            let gap = ts.duration_since(last);
            if gap.as_secs() >= 7 * 24 * 3600 {
                st.conversations = st.conversations.saturating_add(1);
                if inbound {
                    st.returning = true;
                }
            }
        } else {
            st.conversations = 1;
            st.first_seen = Some(ts);
        }
        if st.last_seen.is_none_or(|l| ts > l) {
            st.last_seen = Some(ts);
        }
        if inbound {
            st.messages_in = st.messages_in.saturating_add(1);
            st.last_inbound_at = Some(ts);
        } else {
            st.messages_out = st.messages_out.saturating_add(1);
        }
        let text = msg.text();
        if text.trim().is_empty() {
            return;
        }
        let text = match text.char_indices().nth(MAX_TEXT) {
            Some((i, _)) => &text[..i],
            None => text,
        };
        let folded = lex::fold_fast(text);
        let mut m = self.prepare(text, &folded);
        if inbound {
            let detected = lang::detect(self, &m);
            self.restrict_languages(st, &mut m, detected.as_ref());
            self.observe_customer(st, msg, &m, detected);
        } else {
            self.observe_agent(st, msg, &m);
        }
    }

    fn prepare<'a>(&'a self, raw: &'a str, folded: &'a str) -> Msg<'a> {
        let doc = self.canon.doc(folded);
        let mut hits = Vec::new();
        self.cues.find(&doc, &mut hits);
        self.apply_masks(&mut hits);
        Msg {
            raw,
            doc,
            hits,
            vehicle_hits: std::cell::OnceCell::new(),
        }
    }

    /// `mask.ready` phrases ("la quiero sacar a crédito": wanting it *with* a next step, not
    /// committing) hide the commitment cues inside their span.
    fn apply_masks(&self, hits: &mut Vec<Hit>) {
        // A one-word yes that is also a closing ("Fechado", "Listo", "Dale") next to a cue that
        // puts the decision off ("vou ver com meu banco") commits to nothing.
        let defer = self.cat("stage.defer");
        if hits.iter().any(|h| h.payload == defer) {
            let close = self.cat("intent.closing");
            let closing: Vec<(usize, usize)> = hits
                .iter()
                .filter(|h| h.payload == close)
                .map(|h| (h.start, h.end))
                .collect();
            let hidden = [self.cat("stage.ready"), self.cat("intent.reservation")];
            hits.retain(|h| !hidden.contains(&h.payload) || !closing.iter().any(|&(s, e)| s <= h.start && h.end <= e));
        }
        // "موظفة بالضمان الاجتماعي", "social security": an after-sale word inside such a phrase
        // says nothing about a purchase.
        // "لو شريته", "if I buy it": a purchase under a condition is a prospect's, no after-sale.
        let mask = self.cat("mask.support");
        let prospect = self.cat("stage.prospect");
        let spans: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| h.payload == mask || h.payload == prospect)
            .map(|h| (h.start, h.end))
            .collect();
        if !spans.is_empty() {
            // Overlap is enough: "just bought" shares its verb with "bought a villa".
            // "estou no serviço" (at work): no service request either.
            let hidden = [
                self.cat("stage.support"),
                self.cat("stage.support_weak"),
                self.cat("intent.service"),
            ];
            hits.retain(|h| !hidden.contains(&h.payload) || !spans.iter().any(|&(s, e)| s < h.end && h.start < e));
        }
        let mask = self.cat("mask.ready");
        let spans: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| h.payload == mask)
            .map(|h| (h.start, h.end))
            .collect();
        if spans.is_empty() {
            return;
        }
        let hidden = [self.cat("stage.ready"), self.cat("intent.reservation")];
        hits.retain(|h| !hidden.contains(&h.payload) || !spans.iter().any(|&(s, e)| s <= h.start && h.end <= e));
    }

    /// Words that negate in another language but not in the message's own (Portuguese "no" =
    /// "in the"): dropped when the message is in that language (or, when unclear, the conversation).
    fn drop_false_negations(&self, st: &AnalyzerState, m: &mut Msg, lang: &str, margin: f32) {
        let id_of = |code: &str| self.lang_codes.iter().position(|c| c == code).map(|i| (i + 1) as u8);
        let dominant = st
            .lang_votes
            .iter()
            .max_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal))
            .and_then(|(l, _)| id_of(l));
        // A clear language decides alone; an unclear one leans on the conversation's.
        let own = [id_of(lang), if margin < 2.0 { dominant } else { None }];
        let ff = self.cat("negation.false_friends");
        let false_neg: Vec<(usize, usize)> = m
            .hits
            .iter()
            .filter(|h| h.payload == ff && own.contains(&Some(h.lang)))
            .map(|h| (h.start, h.end))
            .collect();
        if !false_neg.is_empty() {
            let neg = self.neg_id;
            m.hits
                .retain(|h| h.payload != neg || !false_neg.contains(&(h.start, h.end)));
        }
    }

    /// Cue collisions across languages ("entrada", "firma", "legal"): when the message's
    /// language is clear, sentiment/stage/intent cues of other languages are dropped. English
    /// (code-switching), the conversation's main language and Arabic-script cues stay on.
    fn restrict_languages(&self, st: &AnalyzerState, m: &mut Msg, detected: Option<&(String, f32)>) {
        let Some((lang, margin)) = detected else {
            return;
        };
        self.drop_false_negations(st, m, lang, *margin);
        if lang == "ar" || *margin < 2.0 {
            return;
        }
        let id_of = |code: &str| self.lang_codes.iter().position(|c| c == code).map(|i| (i + 1) as u8);
        let dominant = st
            .lang_votes
            .iter()
            .max_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal))
            .and_then(|(l, _)| id_of(l));
        let allowed = [id_of(lang), id_of("en"), id_of("ar"), dominant];
        m.hits.retain(|h| {
            h.lang == 0
                || !self.lang_restricted.get(h.payload as usize).copied().unwrap_or(false)
                || allowed.contains(&Some(h.lang))
        });
    }

    fn observe_agent(&self, st: &mut AnalyzerState, msg: &Message, m: &Msg) {
        // The agent replied: the customer's earlier questions count as answered.
        st.open_questions.clear();
        let mentions = self.vehicles.mentions(self, m, st);
        for v in &mentions {
            let key = self.vehicles.key(v.model);
            if !st.seen_models.contains(&key) {
                state::push_capped(&mut st.seen_models, key, state::MAX_SEEN_MODELS);
            }
        }
        let amts = amount::amounts(self, m);
        interests::note_agent_trade(self, st, msg, m, &mentions);
        interests::note_agent_list(self, st, m, &mentions, &amts);
        budget::observe_agent(self, st, m, &amts);
    }

    fn observe_customer(&self, st: &mut AnalyzerState, msg: &Message, m: &Msg, detected: Option<(String, f32)>) {
        lang::observe(st, detected);
        contact::observe(self, st, msg, m);
        let wanted = interests::observe(self, st, msg, m);
        let money = budget::observe_customer(self, st, msg, m);
        let substantive = stage::is_substantive(self, m, !wanted.is_empty() || money.budget || money.terms);
        if substantive {
            st.substantive_in = st.substantive_in.saturating_add(1);
            if st.substantive_in == 1 {
                st.first_substantive = Some(msg.id.clone());
            } else if st.substantive_in == 2 {
                st.second_substantive_at = Some(msg.timestamp);
                st.second_substantive = Some(msg.id.clone());
            }
        }
        stage::observe(self, st, msg, m, &wanted, money);
        mood::observe(self, st, msg, m);
        summary::observe(self, st, msg, m);
        budget::after_customer(st);
        st.agent_list_age = st.agent_list_age.saturating_add(1);
    }

    /// Builds the profile from the state.
    pub fn profile(&self, st: &AnalyzerState, company: &str, contact: &ConversationContact) -> Profile {
        let mut p = Profile::empty(company, contact.key().map(|k| k.as_str()));
        contact::fill(self, st, contact, &mut p);
        lang::fill(st, &mut p);
        interests::fill(st, &mut p);
        budget::fill(self, st, contact, &mut p);
        stage::fill(self, st, &mut p);
        mood::fill(self, st, &mut p);
        summary::fill(self, st, &mut p);
        p.history = dossier_core::profile::History {
            first_seen: st.first_seen,
            last_seen: st.last_seen,
            messages_in: st.messages_in,
            messages_out: st.messages_out,
            conversations: st.conversations,
            last_inbound_at: st.last_inbound_at,
        };
        p.returning = st.returning;
        p.updated_at = st.last_seen;
        summary::signals(self, st, p.contact.name.is_some(), &mut p);
        p
    }

    /// Resolves a currency code, a family (`~peso`) or `$` as far as the messages allow: an
    /// ISO 4217 code, or the family when only the customer's country can tell (see
    /// [`Analyzer::country_currency`]).
    pub(crate) fn resolve_code(&self, code: &str, st: &AnalyzerState) -> Option<String> {
        if code == "$" {
            return Some(match &st.last_currency {
                Some(c) if self.dollar_codes.contains(c) => c.clone(),
                // "pesos" earlier, "$30 mil" now: the same (dollar-sign) peso.
                Some(c) if c == "~peso" => c.clone(),
                _ if self.dollar_codes.contains(&self.default_currency) => self.default_currency.clone(),
                _ => "USD".to_owned(),
            });
        }
        if let Some(f) = code.strip_prefix('~') {
            let (members, _) = self.families.get(f)?;
            if members.contains(&self.default_currency) {
                return Some(self.default_currency.clone());
            }
            return Some(code.to_owned());
        }
        Currency::parse(code).ok().map(|c| c.as_str().to_owned())
    }

    /// Resolves a code to ISO 4217; a family goes to the customer's country's currency when it
    /// is one of the family, else to the family's default ("pesos" from +57 → COP).
    pub(crate) fn finish_currency(&self, code: &str, contact: &ConversationContact) -> Option<Currency> {
        // An implausible sum in the catalog's currency: the customer's country's, when known.
        if code == LOCAL_CURRENCY {
            let c = self.country_currency(contact).unwrap_or(self.default_currency.as_str());
            return Currency::parse(c).ok();
        }
        if let Some(f) = code.strip_prefix('~') {
            let (members, default) = self.families.get(f)?;
            let country = self.country_currency(contact);
            let pick = country
                .filter(|c| members.iter().any(|m| m == c))
                .unwrap_or(default.as_str());
            return Currency::parse(pick).ok();
        }
        Currency::parse(code).ok()
    }

    /// The currency of the customer's country, from the calling code of the WhatsApp number.
    pub(crate) fn country_currency(&self, contact: &ConversationContact) -> Option<&str> {
        let id = contact.wa_id.as_ref()?.as_str().trim_start_matches('+');
        self.phone_currency
            .iter()
            .find(|(p, _)| id.starts_with(p.as_str()))
            .map(|(_, c)| c.as_str())
    }
}

/// Marker currency: "the customer's country's currency", resolved at the end from the number.
pub(crate) const LOCAL_CURRENCY: &str = "~local";

impl Msg<'_> {
    pub fn has(&self, cat: u32) -> bool {
        self.hits.iter().any(|h| h.payload == cat)
    }
    pub fn hits_of(&self, cat: u32) -> impl Iterator<Item = &Hit> {
        self.hits.iter().filter(move |h| h.payload == cat)
    }
    /// True when a negation word stands just before the hit (or just after, same clause).
    pub fn negated(&self, an: &Analyzer, h: &Hit) -> bool {
        let neg = an.neg_id;
        self.hits_of(neg).any(|n| {
            if n.start >= h.start && n.end <= h.end {
                return false; // the negation is part of the phrase itself ("no rush")
            }
            // "se não resolver vou reclamar", "if not fixed I'll complain": a "not" right after
            // "if" negates the condition's verb, not what follows it.
            let cond = an.cat("stage.conditional");
            let in_condition = h.start > n.end && self.hits_of(cond).any(|c| c.end <= n.start && n.start - c.end <= 1);
            let before =
                n.end <= h.start && h.start - n.end <= 2 && self.doc.same_clause(n.start, h.start) && !in_condition;
            // "financed with no credit history": a "no" after "with" negates the noun that
            // follows it, not the cue before it.
            let with_no = n.start == h.end + 1 && matches!(self.doc.word(h.end), "with" | "con" | "com");
            let after = n.start >= h.end
                && n.start - h.end <= 1
                && !with_no
                && self.doc.same_clause(n.start, h.end.saturating_sub(1));
            before || after
        })
    }
    /// Is the hit said under a condition: "if", "si", "se", "إذا" at most `within` words before
    /// it, in its clause ("if I like it", "وإذا ما عجبتني")?
    pub fn under_condition(&self, an: &Analyzer, h: &Hit, within: usize) -> bool {
        let cond = an.cat("stage.conditional");
        self.hits_of(cond)
            .any(|c| c.end <= h.start && h.start - c.end <= within && self.doc.same_clause(c.start, h.start))
    }
    /// Hits of a category that are not negated.
    pub fn has_pos(&self, an: &Analyzer, cat: &str) -> bool {
        let c = an.cat(cat);
        self.hits_of(c).any(|h| !self.negated(an, h))
    }
    pub fn has_cat(&self, an: &Analyzer, cat: &str) -> bool {
        self.has(an.cat(cat))
    }
}

impl Analyzer {
    /// Diagnostic: the cue categories and vehicles found in a text (`category[start..end]`).
    pub fn explain(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let m = self.prepare(text, &folded);
        let mut out: Vec<String> = m
            .hits
            .iter()
            .map(|h| {
                let name = self
                    .cat_names
                    .get(h.payload as usize)
                    .map(String::as_str)
                    .unwrap_or("?");
                let words: Vec<&str> = (h.start..h.end).map(|w| m.doc.word(w)).collect();
                format!("{name}[{}]", words.join(" "))
            })
            .collect();
        for v in self.vehicles.mentions(self, &m, &AnalyzerState::default()) {
            out.push(format!("vehicle[{} {:?}]", self.vehicles.key(v.model), v.year));
        }
        out
    }
}

#[cfg(test)]
mod rules_tests;

#[cfg(test)]
mod rules6_tests;
#[cfg(test)]
mod rules7_tests;
#[cfg(test)]
mod rules8_tests;

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use dossier_core::{Direction, MessageId};

    pub fn catalog() -> Catalog {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog/demo-motors.csv");
        Catalog::load(&path).unwrap_or_default()
    }

    pub fn analyzer() -> &'static Analyzer {
        static A: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
        A.get_or_init(|| Analyzer::new(Arc::new(Knowledge::builtin()), &catalog()))
    }

    pub fn conv(msgs: &[(&str, &str)], profile: Option<&str>) -> Conversation {
        let base = jiff::Timestamp::from_second(1_790_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let messages = msgs
            .iter()
            .enumerate()
            .map(|(i, (dir, text))| Message {
                id: MessageId::parse(format!("m{i}")).unwrap(),
                direction: if *dir == "in" { Direction::In } else { Direction::Out },
                timestamp: base + jiff::SignedDuration::from_secs(60 * i as i64),
                text: Some((*text).to_owned()),
                kind: None,
                status: None,
                detail: None,
            })
            .collect();
        Conversation {
            company: None,
            contact: ConversationContact {
                wa_id: None,
                user_id: None,
                profile_name: profile.map(str::to_owned),
            },
            messages,
        }
    }

    pub fn run_with(msgs: &[(&str, &str)], profile: Option<&str>) -> Profile {
        analyzer().analyze(&conv(msgs, profile), "test")
    }

    pub fn run(msgs: &[(&str, &str)]) -> Profile {
        run_with(msgs, None)
    }
}
