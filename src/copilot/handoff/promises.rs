//! What the dealership promised in a conversation, read from its own messages: quotes sent (a
//! price or a payment), callbacks, appointments, things to send. Each promise keeps the message
//! that shows it, who sent it (the agent who approved a drafted reply, else the dealership) and
//! when, so a manager taking over knows what the customer is waiting for.

use crate::copilot::drafts::hints;
use dossier_core::text::fold;
use dossier_core::{Message, MessageId};
use jiff::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Quote,
    Callback,
    Appointment,
    Send,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promise {
    pub kind: Kind,
    /// The agent who approved the message, when dossier sent it; else `None` (the dealership).
    pub by: Option<String>,
    pub at: Timestamp,
    pub message: MessageId,
    pub text: String,
}

const CALLBACK: [&str; 22] = [
    "call you",
    "give you a call",
    "ring you",
    "call you back",
    "te llamo",
    "le llamo",
    "lo llamo",
    "la llamo",
    "le llamaremos",
    "te llamamos",
    "le llamamos",
    "te ligo",
    "vou te ligar",
    "vou ligar",
    "ligo para voce",
    "vamos te ligar",
    "te retorno",
    "سأتصل",
    "راح اتصل",
    "بتصل فيك",
    "نتصل بك",
    "سنتصل",
];
const APPOINTMENT: [&str; 24] = [
    "booked",
    "book you",
    "scheduled",
    "see you",
    "confirmed",
    "your appointment",
    "agendado",
    "agendada",
    "agendo",
    "le agendo",
    "te agendo",
    "deixo agendado",
    "cita",
    "lo esperamos",
    "la esperamos",
    "te esperamos",
    "te espero",
    "reservado",
    "confirmada",
    "موعد",
    "حجزت",
    "سأحجز",
    "بانتظارك",
    "نراك",
];
const SEND: [&str; 19] = [
    "i'll send",
    "i will send",
    "we'll send",
    "sending you",
    "te envio",
    "le envio",
    "te mando",
    "le mando",
    "le enviamos",
    "vou te mandar",
    "vou te enviar",
    "te mando",
    "envio para voce",
    "mando para voce",
    "سأرسل",
    "برسل",
    "راح ارسل",
    "ارسل لك",
    "نرسل لك",
];
const PRICE: [&str; 20] = [
    "price",
    "usd",
    "eur",
    "$",
    "€",
    "per month",
    "a month",
    "precio",
    "cuota",
    "al mes",
    "mensual",
    "preco",
    "parcela",
    "por mes",
    "reais",
    "r$",
    "سعر",
    "ريال",
    "دولار",
    "شهري",
];

fn has_any(folded: &str, words: &[&str]) -> bool {
    words.iter().any(|w| folded.contains(&fold(w)))
}

/// The promises in the dealership's messages, oldest first.
pub fn promises(messages: &[Message]) -> Vec<Promise> {
    let mut out = Vec::new();
    for m in messages.iter().filter(|m| !m.is_inbound()) {
        let text = m.text();
        if text.trim().is_empty() {
            continue;
        }
        let t = fold(text);
        let by = m
            .detail
            .as_ref()
            .and_then(|d| d.get("approved_by"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let mut push = |kind| {
            out.push(Promise {
                kind,
                by: by.clone(),
                at: m.timestamp,
                message: m.id.clone(),
                text: text.to_owned(),
            })
        };
        let quoted = crate::copilot::drafts::check::numbers(text)
            .iter()
            .any(|(_, r)| r.iter().any(|x| x.parse::<f64>().is_ok_and(|n| n >= 100.0)))
            && has_any(&t, &PRICE);
        if quoted {
            push(Kind::Quote);
        }
        if has_any(&t, &CALLBACK) {
            push(Kind::Callback);
        }
        let timed = hints::requested_when(std::slice::from_ref(&as_inbound(m))).is_some();
        if has_any(&t, &APPOINTMENT) && (timed || t.contains("test drive") || t.contains("prueba")) {
            push(Kind::Appointment);
        }
        if has_any(&t, &SEND) && !quoted {
            push(Kind::Send);
        }
    }
    out
}

/// The time parser reads customer messages; a business message is read the same way.
fn as_inbound(m: &Message) -> Message {
    let mut c = m.clone();
    c.direction = dossier_core::Direction::In;
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_core::Direction;

    fn out(id: &str, text: &str) -> Message {
        Message {
            id: MessageId::parse(format!("wamid.{id}")).unwrap(),
            direction: Direction::Out,
            timestamp: Timestamp::UNIX_EPOCH,
            text: Some(text.into()),
            kind: Some("text".into()),
            status: None,
            detail: Some(serde_json::json!({"approved_by": "<@U1>"})),
        }
    }

    #[test]
    fn quotes_callbacks_appointments_and_sends_in_four_languages() {
        let kinds = |t: &str| promises(&[out("1", t)]).into_iter().map(|p| p.kind).collect::<Vec<_>>();
        assert_eq!(kinds("The Corolla LE is 20,900 USD at Northside."), [Kind::Quote]);
        assert_eq!(kinds("Mañana te llamo para confirmar"), [Kind::Callback]);
        assert_eq!(
            kinds("Deixo seu test drive agendado no sábado às 10h"),
            [Kind::Appointment]
        );
        assert_eq!(kinds("سأرسل لك عرض السعر اليوم"), [Kind::Send]);
        assert_eq!(kinds("¡Hola! ¿En qué le puedo ayudar?"), Vec::<Kind>::new());
        assert_eq!(
            promises(&[out("1", "I'll call you back")])[0].by.as_deref(),
            Some("<@U1>")
        );
    }
}
