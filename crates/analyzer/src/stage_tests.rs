//! Stage and intent tests (split from `stage.rs`).

use crate::tests_support::*;

fn stage(msgs: &[(&str, &str)]) -> (String, String) {
    let p = run(msgs);
    (
        p.stage.map(|s| s.value).unwrap_or_default(),
        p.intent.map(|s| s.value).unwrap_or_default(),
    )
}

#[test]
fn stages_in_four_languages() {
    assert_eq!(stage(&[("in", "hello")]).0, "first_inquiry");
    assert_eq!(
        stage(&[("in", "Hola"), ("in", "buenas tardes")]),
        ("first_inquiry".into(), "greeting".into())
    );
    assert_eq!(
        stage(&[("in", "Is the 2022 Civic still available?")]),
        ("first_inquiry".into(), "availability".into())
    );
    assert_eq!(
        stage(&[("in", "what SUVs do you have?"), ("in", "which ones have a third row?")]).0,
        "exploring"
    );
    assert_eq!(
        stage(&[("in", "Tô em dúvida entre o Compass e o Tucson")]).0,
        "comparing"
    );
    assert_eq!(
        stage(&[("in", "me interesa el Wrangler"), ("in", "cuánto es lo menos?")]).0,
        "negotiating"
    );
    assert_eq!(stage(&[("in", "عايزة أحجز النترا ٢٠٢٣")]).0, "ready_to_buy");
    assert_eq!(
        stage(&[("in", "Comprei um Corolla com vocês, quero agendar a revisão")]).0,
        "support"
    );
    assert_eq!(stage(&[("in", "اشتريت منكم تاكوما والحين فيها مشكلة")]).0, "support");
}

#[test]
fn closing_keeps_intent() {
    assert_eq!(
        stage(&[
            ("in", "can I test drive the Mazda CX-5 on saturday?"),
            ("in", "thanks!")
        ])
        .1,
        "test_drive"
    );
    assert_eq!(stage(&[("in", "Quanto tá o Model Y?"), ("in", "valeu")]).1, "price");
}

#[test]
fn support_customer_shopping_again() {
    let bought = |t: &str| stage(&[("in", "I bought a Tucson from you and need an oil change"), ("in", t)]).0;
    assert_eq!(bought("also looking to buy a second car for my wife"), "exploring");
    assert_eq!(
        bought("also looking to buy a second car, the Civic or the Corolla?"),
        "comparing"
    );
    let s = stage(&[
        ("in", "compré una Tucson con ustedes, toca servicio"),
        ("in", "queremos comprar otro carro"),
    ])
    .0;
    assert_eq!(s, "exploring");
    let s = stage(&[
        ("in", "comprei um Corolla com vocês, quero agendar a revisão"),
        ("in", "queremos comprar outro carro"),
    ])
    .0;
    assert_eq!(s, "exploring");
    let s = stage(&[
        ("in", "اشتريت منكم تاكوما وأبي موعد صيانة"),
        ("in", "وبعد ابي اشتري سيارة ثانية"),
    ])
    .0;
    assert_eq!(s, "exploring");
    // A ready customer asking a price question about the same car stays ready.
    let s = stage(&[
        ("in", "I'll take the Civic, can I put a deposit?"),
        ("in", "what's the best price on the Civic with taxes?"),
    ])
    .0;
    assert_eq!(s, "ready_to_buy");
}

#[test]
fn general_rules_round2() {
    // A competitor's out-the-door price is weighed, not haggled.
    let s = stage(&[
        ("in", "I like the Civic you have"),
        ("in", "another dealer offered me a Corolla for 21,000 out the door"),
    ]);
    assert_eq!(s.0, "comparing");
    // "La quiero + next step" is not a commitment; "señar" (Argentina) is.
    assert_eq!(
        stage(&[("in", "me interesa el Wrangler"), ("in", "la quiero sacar a crédito")]).0,
        "negotiating"
    );
    assert_eq!(stage(&[("in", "quiero señar el Wrangler hoy")]).0, "ready_to_buy");
    // Portuguese "no" (= "in the") does not negate.
    assert_eq!(
        stage(&[("in", "gostei do Compass"), ("in", "qual a taxa no financiamento?")]).1,
        "financing"
    );
    // Booking a service appointment is a service request.
    assert_eq!(
        stage(&[(
            "in",
            "I bought a Civic from you last year, I want to book a service appointment"
        )])
        .1,
        "service"
    );
}

#[test]
fn warranty_and_service_words_while_negotiating_are_no_support() {
    // English.
    let s = stage(&[
        ("in", "I like the Tucson SEL"),
        ("in", "what's your best price? does it include the extended warranty?"),
    ]);
    assert_eq!(s.0, "negotiating");
    assert_ne!(s.1, "service");
    let s = stage(&[
        ("in", "I'm interested in the Civic, can you do 24k?"),
        ("in", "and does the warranty cover the battery?"),
    ]);
    assert_eq!(s.0, "negotiating");
    // Spanish, Portuguese, Arabic.
    let s = stage(&[
        ("in", "me interesa la Hilux"),
        ("in", "¿me la dejan en 30 mil si incluyen los mantenimientos gratis?"),
    ]);
    assert_eq!(s.0, "negotiating");
    assert_ne!(s.1, "service");
    let s = stage(&[
        ("in", "gostei do Compass"),
        ("in", "faz por 150 mil com as revisões grátis?"),
    ]);
    assert_eq!(s.0, "negotiating");
    assert_ne!(s.1, "service");
    let s = stage(&[("in", "عجبتني الكامري"), ("in", "آخر سعر مع صيانة مجانية؟")]);
    assert_eq!(s.0, "negotiating");
    assert_ne!(s.1, "service");
    // A warranty question before buying is no support either.
    assert_ne!(
        stage(&[("in", "How long is the warranty on the Corolla?")]).0,
        "support"
    );
    // The customer's own car still is.
    assert_eq!(
        stage(&[("in", "my car is due for maintenance, can I book it?")]).0,
        "support"
    );
    assert_eq!(
        stage(&[(
            "in",
            "A minha garantia cobre o ar condicionado? meu carro tá com problema"
        )])
        .0,
        "support"
    );
    assert_eq!(stage(&[("in", "سيارتي محتاجة صيانة")]).0, "support");
    assert_eq!(
        stage(&[("in", "Mi camioneta ya le toca el mantenimiento de los 20 mil")]).0,
        "support"
    );
}

#[test]
fn a_yes_that_puts_off_the_decision_commits_to_nothing() {
    let base = [("in", "gostei da L200"), ("in", "dá pra parcelar em 24x?")];
    let s = stage(&[base[0], base[1], ("in", "Fechado, vou ver com meu banco e te falo")]);
    assert_eq!(s, ("negotiating".into(), "financing".into()));
    let s = stage(&[
        ("in", "me interesa la Hilux, me la dejan en 30 mil?"),
        ("in", "Listo, lo consulto con mi esposa y te aviso"),
    ]);
    assert_eq!(s.0, "negotiating");
    // A yes alone still commits.
    assert_eq!(
        stage(&[base[0], base[1], ("in", "Fechado! quero reservar")]).0,
        "ready_to_buy"
    );
}

#[test]
fn cues_of_other_languages_do_not_fire() {
    // Spanish: Portuguese "entrada" (down payment) and "indica".
    let p = run(&[("in", "¿me indica dónde está la entrada de la agencia?")]);
    assert!(p.financing.is_none());
    // Portuguese: Spanish "firma" (sign).
    let s = stage(&[("in", "trabalho numa firma grande e queria ver um carro pra mim")]).0;
    assert_ne!(s, "ready_to_buy");
    // English: Portuguese "legal" (cool).
    let p = run(&[("in", "is it legal to drive it home without the plates?")]);
    assert_eq!(p.sentiment, Some(dossier_core::profile::Sentiment::Neutral));
    // Arabic-script cues stay on in mixed text, English ones too.
    assert_eq!(stage(&[("in", "عايز احجز the Elantra please")]).0, "ready_to_buy");
    assert_eq!(stage(&[("in", "ممكن test drive بكرة للنترا؟")]).1, "test_drive");
}
