//! `/dossier …`: the text after the command, parsed into a typed [`Command`].
//!
//! Bad input never becomes an error page: [`parse`] returns a [`Usage`] whose line the handler
//! answers ephemerally. `--share` anywhere in the text posts the answer in the channel.

use rust_decimal::Decimal;
use std::str::FromStr;

/// One subcommand with its arguments. `contact` is still text: [`super::contact`] resolves it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Profile {
        contact: String,
    },
    Summary {
        contact: String,
    },
    Draft {
        contact: String,
        instructions: Option<String>,
    },
    Handoff {
        contact: String,
        assignee: String,
        note: Option<String>,
    },
    Stock {
        query: String,
    },
    Price {
        make: String,
        model: String,
        year: Option<i32>,
    },
    Finance {
        price: Decimal,
        down: Option<Decimal>,
        months: Option<u32>,
        apr: Option<Decimal>,
    },
    Rates {
        condition: String,
        months: u32,
        year: Option<i32>,
        score: Option<u32>,
    },
    Programs {
        contact: String,
    },
    Help,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub command: Command,
    /// `--share`: answer in the channel instead of privately.
    pub share: bool,
}

/// What to tell the agent when the text is not a command: a reason and the usage line.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub problem: String,
    pub usage: &'static str,
}

impl Usage {
    /// One ephemeral message: the problem, then how to write it.
    pub fn message(&self) -> String {
        format!("{}\nUsage: `{}`", self.problem, self.usage)
    }
}

pub const USAGE_PROFILE: &str = "/dossier profile <phone | wa_id | name>";
pub const USAGE_SUMMARY: &str = "/dossier summary <phone | wa_id | name>";
pub const USAGE_DRAFT: &str = "/dossier draft <phone | wa_id | name> [: instructions]";
pub const USAGE_HANDOFF: &str = "/dossier handoff <phone | wa_id | name> @person [note]";
pub const USAGE_STOCK: &str = "/dossier stock <query>";
pub const USAGE_PRICE: &str = "/dossier price <make> <model> [year]";
pub const USAGE_FINANCE: &str = "/dossier finance <price> [down X] [months N] [apr R]";
pub const USAGE_RATES: &str = "/dossier rates <new|used|certified> [months N] [year Y] [score S]";
pub const USAGE_PROGRAMS: &str = "/dossier programs <phone | wa_id | name>";
pub const USAGE_ALL: &str = "/dossier profile|summary|draft|handoff|stock|price|finance|rates|programs|help …";

/// The help text (mrkdwn-neutral: no bold, so it reads the same in Slack and Mattermost).
pub fn help_text() -> String {
    [
        "dossier commands (add --share to post the answer in the channel):",
        USAGE_PROFILE,
        USAGE_SUMMARY,
        USAGE_DRAFT,
        USAGE_HANDOFF,
        USAGE_STOCK,
        USAGE_PRICE,
        USAGE_FINANCE,
        USAGE_RATES,
        USAGE_PROGRAMS,
        "A contact is a phone in any common format (+52 55 1234 5678, 0044 20 …), a wa_id or a name.",
    ]
    .join("\n")
}

fn usage(problem: impl Into<String>, usage: &'static str) -> Usage {
    Usage {
        problem: problem.into(),
        usage,
    }
}

/// Parses the text after `/dossier`.
pub fn parse(text: &str) -> Result<Parsed, Usage> {
    let mut share = false;
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| {
            if w.eq_ignore_ascii_case("--share") {
                share = true;
                false
            } else {
                true
            }
        })
        .collect();
    let Some((sub, rest)) = words.split_first() else {
        return Ok(Parsed {
            command: Command::Help,
            share,
        });
    };
    let rest_text = rest.join(" ");
    let command = match sub.to_lowercase().as_str() {
        "help" | "?" => Command::Help,
        "profile" | "p" => Command::Profile {
            contact: need_contact(&rest_text, USAGE_PROFILE)?,
        },
        "summary" => Command::Summary {
            contact: need_contact(&rest_text, USAGE_SUMMARY)?,
        },
        "programs" => Command::Programs {
            contact: need_contact(&rest_text, USAGE_PROGRAMS)?,
        },
        "draft" => parse_draft(&rest_text)?,
        "handoff" => parse_handoff(rest)?,
        "stock" => {
            if rest_text.is_empty() {
                return Err(usage("What should I look for?", USAGE_STOCK));
            }
            Command::Stock { query: rest_text }
        }
        "price" => parse_price(rest)?,
        "finance" => parse_finance(rest)?,
        "rates" | "rate" => parse_rates(rest)?,
        other => return Err(usage(format!("Unknown subcommand `{other}`."), USAGE_ALL)),
    };
    Ok(Parsed { command, share })
}

fn need_contact(rest: &str, u: &'static str) -> Result<String, Usage> {
    let c = rest.trim().trim_matches('"').trim();
    if c.is_empty() {
        return Err(usage("Which contact?", u));
    }
    Ok(c.to_owned())
}

/// True for characters a phone number may be written with.
fn phoneish(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')
}

/// `draft <contact> [: instructions]`: a quoted name, a phone (with spaces) or one word, then the
/// instructions (a leading `:` or `--` is optional).
fn parse_draft(rest: &str) -> Result<Command, Usage> {
    let rest = rest.trim();
    if rest.is_empty() {
        return Err(usage("Which contact?", USAGE_DRAFT));
    }
    let (contact, tail) = if let Some(r) = rest.strip_prefix('"') {
        match r.find('"') {
            Some(end) => (r[..end].trim().to_owned(), &r[end + 1..]),
            None => return Err(usage("The contact's quote is not closed.", USAGE_DRAFT)),
        }
    } else if let Some((c, t)) = rest.split_once(':') {
        (c.trim().to_owned(), t)
    } else if rest.starts_with(|c: char| c == '+' || c.is_ascii_digit()) {
        let end = rest.find(|c: char| !phoneish(c)).unwrap_or(rest.len());
        (rest[..end].trim().to_owned(), &rest[end..])
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (rest[..end].to_owned(), &rest[end..])
    };
    if contact.is_empty() {
        return Err(usage("Which contact?", USAGE_DRAFT));
    }
    let tail = tail.trim().trim_start_matches(':').trim_start_matches("--").trim();
    Ok(Command::Draft {
        contact,
        instructions: (!tail.is_empty()).then(|| tail.to_owned()),
    })
}

/// A mention: `@name`, or Slack's escaped `<@U123|name>` / `<@U123>`.
fn is_mention(w: &str) -> bool {
    (w.starts_with('@') && w.len() > 1) || (w.starts_with("<@") && w.ends_with('>'))
}

fn parse_handoff(rest: &[&str]) -> Result<Command, Usage> {
    let Some(at) = rest.iter().position(|w| is_mention(w)) else {
        return Err(usage("Who takes over? Mention them with @.", USAGE_HANDOFF));
    };
    let contact = rest[..at].join(" ");
    let contact = contact.trim().trim_matches('"').trim();
    if contact.is_empty() {
        return Err(usage("Which contact?", USAGE_HANDOFF));
    }
    let note = rest[at + 1..].join(" ");
    Ok(Command::Handoff {
        contact: contact.to_owned(),
        assignee: rest[at].to_owned(),
        note: (!note.trim().is_empty()).then(|| note.trim().to_owned()),
    })
}

fn year(w: &str) -> Option<i32> {
    w.parse::<i32>().ok().filter(|y| (1950..=2100).contains(y))
}

fn parse_price(rest: &[&str]) -> Result<Command, Usage> {
    let mut words = rest.to_vec();
    let y = words.last().and_then(|w| year(w));
    if y.is_some() {
        words.pop();
    }
    if words.len() < 2 {
        return Err(usage("Give a make and a model.", USAGE_PRICE));
    }
    Ok(Command::Price {
        make: words[0].to_owned(),
        model: words[1..].join(" "),
        year: y,
    })
}

/// A money amount as agents type it: `27900`, `27,900`, `$27,900.50`, `27.9k`.
pub fn money(w: &str) -> Option<Decimal> {
    let w = w.trim().trim_start_matches(['$', '€', '£']).replace(',', "");
    let (num, mult) = match w.strip_suffix(['k', 'K']) {
        Some(n) => (n.to_owned(), Decimal::from(1000)),
        None => (w, Decimal::ONE),
    };
    let d = Decimal::from_str(&num).ok()? * mult;
    (d >= Decimal::ZERO).then_some(d)
}

fn percent(w: &str) -> Option<Decimal> {
    let d = Decimal::from_str(w.trim().trim_end_matches('%')).ok()?;
    (d >= Decimal::ZERO && d <= Decimal::from(100)).then_some(d)
}

/// Reads `key value` pairs (and `N months`) after the positional arguments.
fn options<'a>(words: &[&'a str], keys: &[&str], u: &'static str) -> Result<Vec<(String, &'a str)>, Usage> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].to_lowercase();
        let next = words.get(i + 1).copied();
        if keys.contains(&w.as_str()) {
            let v = next.ok_or_else(|| usage(format!("`{w}` needs a value."), u))?;
            out.push((w, v));
            i += 2;
        } else if let Some(n) = next.filter(|n| {
            let n = n.to_lowercase();
            keys.contains(&"months") && (n == "months" || n == "mo" || n == "month")
        }) {
            let _ = n;
            out.push(("months".into(), words[i]));
            i += 2;
        } else {
            return Err(usage(format!("I don't understand `{}`.", words[i]), u));
        }
    }
    Ok(out)
}

fn months(v: &str, u: &'static str) -> Result<u32, Usage> {
    v.parse::<u32>()
        .ok()
        .filter(|m| (1..=120).contains(m))
        .ok_or_else(|| usage(format!("`{v}` is not a number of months (1–120)."), u))
}

fn parse_finance(rest: &[&str]) -> Result<Command, Usage> {
    let Some((first, tail)) = rest.split_first() else {
        return Err(usage("Give the price.", USAGE_FINANCE));
    };
    let price = money(first)
        .filter(|p| !p.is_zero())
        .ok_or_else(|| usage(format!("`{first}` is not a price."), USAGE_FINANCE))?;
    let (mut down, mut m, mut apr) = (None, None, None);
    for (k, v) in options(tail, &["down", "months", "apr", "term"], USAGE_FINANCE)? {
        match k.as_str() {
            "down" => down = Some(money(v).ok_or_else(|| usage(format!("`{v}` is not an amount."), USAGE_FINANCE))?),
            "months" | "term" => m = Some(months(v, USAGE_FINANCE)?),
            _ => apr = Some(percent(v).ok_or_else(|| usage(format!("`{v}` is not a rate."), USAGE_FINANCE))?),
        }
    }
    if down.is_some_and(|d| d >= price) {
        return Err(usage("The down payment covers the whole price.", USAGE_FINANCE));
    }
    Ok(Command::Finance {
        price,
        down,
        months: m,
        apr,
    })
}

fn parse_rates(rest: &[&str]) -> Result<Command, Usage> {
    let Some((first, tail)) = rest.split_first() else {
        return Err(usage("New or used?", USAGE_RATES));
    };
    let condition = match first.to_lowercase().as_str() {
        c @ ("new" | "used" | "certified") => c.to_owned(),
        "cpo" => "certified".to_owned(),
        other => {
            return Err(usage(format!("`{other}` is not new, used or certified."), USAGE_RATES));
        }
    };
    let (mut m, mut y, mut score) = (None, None, None);
    for (k, v) in options(tail, &["months", "term", "year", "score"], USAGE_RATES)? {
        match k.as_str() {
            "months" | "term" => m = Some(months(v, USAGE_RATES)?),
            "year" => y = Some(year(v).ok_or_else(|| usage(format!("`{v}` is not a year."), USAGE_RATES))?),
            _ => {
                score = Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|s| (300..=850).contains(s))
                        .ok_or_else(|| usage(format!("`{v}` is not a credit score (300–850)."), USAGE_RATES))?,
                )
            }
        }
    }
    Ok(Command::Rates {
        condition,
        months: m.unwrap_or(60),
        year: y,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(t: &str) -> Command {
        parse(t).unwrap().command
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn help_and_empty() {
        assert_eq!(cmd(""), Command::Help);
        assert_eq!(cmd("help"), Command::Help);
        assert!(help_text().contains(USAGE_FINANCE));
    }

    #[test]
    fn contact_commands() {
        assert_eq!(
            cmd("profile +52 55 1234 5678"),
            Command::Profile {
                contact: "+52 55 1234 5678".into()
            }
        );
        assert_eq!(
            cmd("summary Maria Souza"),
            Command::Summary {
                contact: "Maria Souza".into()
            }
        );
        assert_eq!(
            cmd("programs 5215512345678"),
            Command::Programs {
                contact: "5215512345678".into()
            }
        );
        let p = parse("profile --share 5215512345678").unwrap();
        assert!(p.share);
        assert_eq!(
            p.command,
            Command::Profile {
                contact: "5215512345678".into()
            }
        );
        assert!(!parse("profile x").unwrap().share);
    }

    #[test]
    fn drafts() {
        assert_eq!(
            cmd("draft 5215512345678"),
            Command::Draft {
                contact: "5215512345678".into(),
                instructions: None
            }
        );
        assert_eq!(
            cmd("draft +52 55 1234 5678 offer a test drive"),
            Command::Draft {
                contact: "+52 55 1234 5678".into(),
                instructions: Some("offer a test drive".into())
            }
        );
        assert_eq!(
            cmd("draft \"María José\" mention the promo"),
            Command::Draft {
                contact: "María José".into(),
                instructions: Some("mention the promo".into())
            }
        );
        assert_eq!(
            cmd("draft Maria Souza: be brief"),
            Command::Draft {
                contact: "Maria Souza".into(),
                instructions: Some("be brief".into())
            }
        );
        assert_eq!(
            cmd("draft Maria"),
            Command::Draft {
                contact: "Maria".into(),
                instructions: None
            }
        );
    }

    #[test]
    fn handoff() {
        assert_eq!(
            cmd("handoff Maria Souza @carlos wants a Friday test drive"),
            Command::Handoff {
                contact: "Maria Souza".into(),
                assignee: "@carlos".into(),
                note: Some("wants a Friday test drive".into())
            }
        );
        assert_eq!(
            cmd("handoff 5215512345678 <@U0AGENT01|carlos>"),
            Command::Handoff {
                contact: "5215512345678".into(),
                assignee: "<@U0AGENT01|carlos>".into(),
                note: None
            }
        );
    }

    #[test]
    fn tools_commands() {
        assert_eq!(
            cmd("stock corolla 2022 automatic"),
            Command::Stock {
                query: "corolla 2022 automatic".into()
            }
        );
        assert_eq!(
            cmd("price Toyota Corolla 2022"),
            Command::Price {
                make: "Toyota".into(),
                model: "Corolla".into(),
                year: Some(2022)
            }
        );
        assert_eq!(
            cmd("price toyota rav4"),
            Command::Price {
                make: "toyota".into(),
                model: "rav4".into(),
                year: None
            }
        );
        assert_eq!(
            cmd("finance 27,900 down 5k months 60 apr 6.9%"),
            Command::Finance {
                price: d("27900"),
                down: Some(d("5000")),
                months: Some(60),
                apr: Some(d("6.9"))
            }
        );
        assert_eq!(
            cmd("finance $25000 48 months"),
            Command::Finance {
                price: d("25000"),
                down: None,
                months: Some(48),
                apr: None
            }
        );
        assert_eq!(
            cmd("rates used months 48 year 2021 score 700"),
            Command::Rates {
                condition: "used".into(),
                months: 48,
                year: Some(2021),
                score: Some(700)
            }
        );
        assert_eq!(
            cmd("rates new"),
            Command::Rates {
                condition: "new".into(),
                months: 60,
                year: None,
                score: None
            }
        );
    }

    #[test]
    fn bad_input_gives_a_usage_line() {
        for (text, u) in [
            ("frobnicate", USAGE_ALL),
            ("profile", USAGE_PROFILE),
            ("summary  ", USAGE_SUMMARY),
            ("draft", USAGE_DRAFT),
            ("draft \"Maria", USAGE_DRAFT),
            ("handoff Maria", USAGE_HANDOFF),
            ("handoff @carlos", USAGE_HANDOFF),
            ("stock", USAGE_STOCK),
            ("price Toyota", USAGE_PRICE),
            ("price 2022", USAGE_PRICE),
            ("finance", USAGE_FINANCE),
            ("finance lots", USAGE_FINANCE),
            ("finance 20000 down", USAGE_FINANCE),
            ("finance 20000 down 30000", USAGE_FINANCE),
            ("finance 20000 months 999", USAGE_FINANCE),
            ("finance 20000 apr high", USAGE_FINANCE),
            ("finance 20000 banana 3", USAGE_FINANCE),
            ("rates", USAGE_RATES),
            ("rates shiny", USAGE_RATES),
            ("rates new score 20", USAGE_RATES),
            ("programs", USAGE_PROGRAMS),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.usage, u, "{text}");
            assert!(e.message().contains("Usage: `"), "{text}");
        }
    }
}
