//! Round-8 rules (issue #11), each in several languages. Conversations here are made up; none
//! is copied from a set.

use crate::tests_support::*;
use dossier_core::profile::{Sentiment, Urgency};

fn intent(msgs: &[(&str, &str)]) -> Option<String> {
    run(msgs).intent.map(|i| i.value)
}

fn interests(msgs: &[(&str, &str)]) -> Vec<String> {
    run(msgs).interests.into_iter().map(|i| i.model).collect()
}

fn budget(msgs: &[(&str, &str)]) -> Option<(String, String, String)> {
    run(msgs).budget.map(|b| {
        (
            b.amount.to_string(),
            b.currency.to_string(),
            format!("{:?}", b.period).to_lowercase(),
        )
    })
}

#[test]
fn names_signed_or_introduced_in_more_forms() {
    let name = |msgs: &[(&str, &str)], profile: Option<&str>| run_with(msgs, profile).contact.name;
    // A greeting from the lexicon before "X Y here".
    assert_eq!(
        name(&[("in", "Howdy, Naledi Khumalo here. Is the Kona still there?")], None).as_deref(),
        Some("Naledi Khumalo")
    );
    // One name word signs after a dash only right after a sign-off word.
    assert_eq!(
        name(&[("in", "Ok I will think about it. Cheers - Devika")], None).as_deref(),
        Some("Devika")
    );
    assert_eq!(name(&[("in", "Is the Kona automatic - Sunday")], None), None);
    // A signature line with no sign-off word.
    assert_eq!(
        name(&[("in", "Vale, nos vemos el sábado.\nPaloma Ruiz Ortega")], None).as_deref(),
        Some("Paloma Ruiz Ortega")
    );
    assert_eq!(
        name(&[("in", "Vale, nos vemos el sábado.\nToyota Corolla Cross")], None),
        None
    );
    // Hyphens and apostrophes as written.
    assert_eq!(
        name(&[("in", "My name is Chidi Okafor-Bello, about the RAV4")], None).as_deref(),
        Some("Chidi Okafor-Bello")
    );
    // Iraqi "آني" introduces, and a nisba after "اسمي" is a surname.
    assert_eq!(
        name(&[("in", "آني مصطفى، عندكم توسان؟")], None).as_deref(),
        Some("مصطفى")
    );
    assert_eq!(
        name(&[("in", "اسمي كريم المصري. بكم التوسان؟")], None).as_deref(),
        Some("كريم المصري")
    );
}

#[test]
fn profile_names_with_a_cut_surname_or_a_title_are_no_full_names() {
    let name = |profile: &str| {
        run_with(&[("in", "hi, is the Tucson available?")], Some(profile))
            .contact
            .name
    };
    assert_eq!(name("Omar Kh."), None);
    assert_eq!(name("Engr. Bayo"), None);
    assert_eq!(name("Aoife Ní Bhriain").as_deref(), Some("Aoife Ní Bhriain"));
    assert_eq!(name("Seán Ó Súilleabháin").as_deref(), Some("Seán Ó Súilleabháin"));
}

#[test]
fn space_grouped_thousands_and_dollar_notes() {
    assert_eq!(
        budget(&[("in", "My budget is 95 000 dirham for an SUV")]),
        Some(("95000".into(), "AED".into(), "total".into()))
    );
    assert_eq!(
        budget(&[("in", "Mi presupuesto es de 1 200 000 pesos")]).map(|b| b.0),
        Some("1200000".into())
    );
    // A phone number is no grouped sum.
    assert_eq!(
        budget(&[("in", "call me on 050 123 4567, my budget is 30k")]).map(|b| b.0),
        Some("30000".into())
    );
    // Iraqi: "ورقة" is a hundred-dollar note, "دفتر" ten thousand dollars; no papers asked.
    let p = run(&[("in", "ميزانيتي ٣٠٠ ورقة، شنو عندكم؟")]);
    assert_eq!(
        p.budget.map(|b| (b.amount.to_string(), b.currency.to_string())),
        Some(("30000".into(), "USD".into()))
    );
    assert_ne!(p.intent.map(|i| i.value).as_deref(), Some("documents"));
    assert_eq!(
        budget(&[("in", "عندي ٣ دفاتر تقريبا")]).map(|b| (b.0, b.1)),
        Some(("30000".into(), "USD".into()))
    );
    assert_eq!(
        budget(&[("in", "Posso pagar até 18.000 MT por mês")]),
        Some(("18000".into(), "MZN".into(), "monthly".into()))
    );
}

#[test]
fn comparatives_between_two_models_and_what_thanks_name() {
    assert_eq!(
        intent(&[
            ("in", "بكم التوسان والسانتافي؟"),
            ("out", "التوسان ٣١ والسانتافي ٣٨"),
            ("in", "والسانتافي أوسع من جوا؟")
        ])
        .as_deref(),
        Some("comparison")
    );
    assert_eq!(
        intent(&[
            ("in", "Estoy viendo la CR-V y la RAV4"),
            ("out", "Las dos están disponibles"),
            ("in", "¿Y cuál gasta menos en ciudad?")
        ])
        .as_deref(),
        Some("comparison")
    );
    // Thanks for what the agent gave is no new request.
    assert_eq!(
        intent(&[
            ("in", "Which is better for a family, the CR-V or the RAV4?"),
            ("out", "The RAV4 has more boot space; the CR-V is quieter."),
            (
                "in",
                "Thanks a lot for the detailed comparison of the boot and the price!"
            )
        ])
        .as_deref(),
        Some("comparison")
    );
    assert_eq!(
        intent(&[
            ("in", "Qual a diferença entre o Kicks e o Kona?"),
            ("out", "O Kona é mais potente; o Kicks gasta menos."),
            ("in", "Muito obrigado pela explicação sobre o consumo e o preço")
        ])
        .as_deref(),
        Some("comparison")
    );
}

#[test]
fn urgency_phrases_that_negate_themselves_or_only_sound_like_time() {
    let u = |t: &str| run(&[("in", "I like the Tucson"), ("in", t)]).urgency;
    assert_eq!(u("Not buying until next year, just looking"), Some(Urgency::Low));
    assert_eq!(u("Tranquilo, no tengo ningún apuro"), Some(Urgency::Low));
    assert_eq!(u("La necesito pa'l viernes sin falta"), Some(Urgency::High));
    assert_eq!(u("Te escribo con calma más tarde"), Some(Urgency::Normal));
    assert_eq!(u("Vou ver com calma e te falo"), Some(Urgency::Normal));
    assert_eq!(u("A dealer down the road offered me less"), Some(Urgency::Normal));
}

#[test]
fn annoyance_and_thanks_for_a_fix() {
    let p = run(&[
        ("in", "اشتريت التوسان من شهر والمكيف مش شغال"),
        ("out", "نعتذر، ممكن تجيبها بكرة؟"),
        ("in", "أنا معصب جدا، ده كلام؟"),
    ]);
    assert_eq!(p.sentiment, Some(Sentiment::Negative));
    assert_eq!(p.intent.map(|i| i.value).as_deref(), Some("complaint"));
    let p = run(&[
        ("in", "Compré la Tucson con ustedes y la llevé por la garantía"),
        ("out", "Ya quedó lista"),
        ("in", "Gracias por resolver lo del sensor tan rápido, de verdad"),
    ]);
    assert_eq!(p.sentiment, Some(Sentiment::Positive));
}

#[test]
fn rule_outs_and_settling_in_more_forms() {
    assert_eq!(
        interests(&[
            ("in", "Tucson or Kona for me"),
            ("out", "Both in stock"),
            ("in", "Actually the Kona's out, too small. So it's the Tucson.")
        ]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[
            ("in", "Me gustan la Tucson y la Kona"),
            ("out", "Tenemos las dos"),
            ("in", "La Kona la tiene mi hermano y le falla todo, esa no")
        ]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[
            ("in", "Vi o Tucson e o Kona"),
            ("out", "Temos os dois"),
            ("in", "Então é o Tucson, o Kona é pequeno")
        ]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[
            ("in", "I like the CR-V and the RAV4"),
            ("out", "Both available"),
            ("in", "It's the RAV4 or nothing")
        ]),
        vec!["RAV4"]
    );
}

#[test]
fn at_work_is_no_service_and_a_budget_word_is_no_price_request() {
    let p = run(&[
        ("in", "Boa tarde"),
        ("out", "Boa tarde!"),
        ("in", "Depois falo com calma, estou no serviço"),
    ]);
    assert_ne!(p.stage.map(|s| s.value).as_deref(), Some("support"));
    assert_eq!(
        intent(&[(
            "in",
            "Looking for an SUV. Budget is about 30k, what options do you have?"
        )])
        .as_deref(),
        Some("availability")
    );
    assert_eq!(
        intent(&[("in", "Can you knock 1,000 off the Tucson?")]).as_deref(),
        Some("price")
    );
}

#[test]
fn an_angry_request_after_a_purchase_is_a_complaint_and_a_comparative_beside_a_price_asks_the_price() {
    let p = run(&[
        (
            "in",
            "Comprei o Kicks com vocês mês passado e o freio está fazendo barulho",
        ),
        ("out", "Vamos verificar, pode trazer amanhã?"),
        (
            "in",
            "Tô revoltada. Quero uma resposta hoje, quanto custa essa revisão?",
        ),
    ]);
    assert_eq!(p.intent.map(|i| i.value).as_deref(), Some("complaint"));
    let p = run(&[
        ("in", "Compré el Tucson hace un mes y la pantalla se apaga"),
        ("out", "¿Lo puede traer el lunes?"),
        ("in", "¿Cuándo lo pueden revisar? Me estafaron, estoy harto"),
    ]);
    assert_eq!(p.intent.map(|i| i.value).as_deref(), Some("complaint"));
    assert_eq!(
        intent(&[
            ("in", "I like the CR-V and the RAV4"),
            ("out", "Both available here"),
            ("in", "How much is the RAV4 at your other branch, is it cheaper there?")
        ])
        .as_deref(),
        Some("price")
    );
}

#[test]
fn money_ranges_compound_millions_and_same_day_demands() {
    // A range of money is a budget, its top the limit; no models are weighed.
    let p = run(&[("in", "Busco una SUV familiar, entre 28 y 32 mil dólares")]);
    assert_eq!(
        p.budget.map(|b| (b.amount.to_string(), b.currency.to_string())),
        Some(("32000".into(), "USD".into()))
    );
    assert_ne!(p.intent.map(|i| i.value).as_deref(), Some("comparison"));
    assert_eq!(
        budget(&[("in", "Posso pagar até 2 milhões e 300 mil kwanzas")]).map(|b| (b.0, b.1)),
        Some(("2300000".into(), "AOA".into()))
    );
    let u = |t: &str| run(&[("in", "Compré la Tucson y el aire no enfría"), ("in", t)]).urgency;
    assert_eq!(u("Quiero una respuesta hoy mismo"), Some(Urgency::High));
    assert_eq!(u("Quiero apartar la cita hoy, ¿se puede?"), Some(Urgency::Normal));
    let u = |t: &str| run(&[("in", "عندكم برادو؟"), ("in", t)]).urgency;
    assert_eq!(u("لازم أشحنها وياي، أسافر يوم الأحد"), Some(Urgency::High));
}

#[test]
fn a_counter_offer_far_below_the_wanted_cars_price_is_about_the_trade_in() {
    // The demo catalog's cheapest Tucson costs far more than twice 10,000.
    let p = run(&[
        ("in", "I want the Tucson. Would you take my 2015 Civic as a trade-in?"),
        ("out", "We can offer 8,200 for the Civic"),
        ("in", "Honestly, make it 10 and it is a deal"),
    ]);
    assert_eq!(p.intent.map(|i| i.value).as_deref(), Some("trade_in"));
    // Without a trade-in, the same words offer a price for the car.
    let p = run(&[
        ("in", "I want the Tucson, what's your best price?"),
        ("out", "29,900"),
        ("in", "Honestly, make it 28 and it is a deal"),
    ]);
    assert_eq!(p.intent.map(|i| i.value).as_deref(), Some("price"));
}
