//! Round-6 rules (issue #11: intent and stage on unseen conversations), each in several
//! languages. Conversations here are made up; none is copied from a set.

use crate::tests_support::*;

fn si(msgs: &[(&str, &str)]) -> (String, String) {
    let p = run(msgs);
    (
        p.stage.map(|s| s.value).unwrap_or_default(),
        p.intent.map(|s| s.value).unwrap_or_default(),
    )
}

fn intent(msgs: &[(&str, &str)]) -> String {
    si(msgs).1
}

fn pair(stage: &str, intent: &str) -> (String, String) {
    (stage.to_owned(), intent.to_owned())
}

#[test]
fn a_counter_offer_asks_for_a_price_and_negotiates() {
    let quote = ("out", "It's 31,900");
    assert_eq!(
        si(&[
            ("in", "Hi, I like the Tucson SEL"),
            quote,
            ("in", "Can you do 29k if I pay cash?")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        si(&[
            ("in", "Me interesa la Tucson"),
            quote,
            ("in", "¿Me la dejas en 29 si pago de contado?")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        si(&[
            ("in", "Tenho interesse no Wrangler"),
            quote,
            ("in", "Tá caro. Faz 25.500?")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        si(&[("in", "عجبتني التوسان"), quote, ("in", "تسويها 29 كاش؟")]),
        pair("negotiating", "price")
    );
    // "I was thinking more like 36" is an offer too.
    assert_eq!(
        si(&[
            ("in", "Quero a Tacoma"),
            quote,
            ("in", "Muito salgado, pensei em algo tipo 36")
        ]),
        pair("negotiating", "price")
    );
    // A condition about financing does not make the offer a financing question.
    assert_eq!(
        intent(&[
            ("in", "Interested in the Accord"),
            quote,
            (
                "in",
                "That's over my budget. Could you drop it to 23 if I finance with you?"
            )
        ]),
        "price"
    );
    // An offer while the trade-in value is the topic stays trade-in talk.
    assert_eq!(
        intent(&[
            (
                "in",
                "I have a 2019 Sportage, how much would you give me for it if I buy the Santa Fe?"
            ),
            ("out", "Around 13,000 as a trade"),
            ("in", "I'd want at least 16 for it. Can you do 16?")
        ]),
        "trade_in"
    );
    // A down payment is no offer.
    assert_eq!(
        intent(&[
            ("in", "I want the RAV4"),
            ("in", "If I put 6k down, what would the monthly be?")
        ]),
        "financing"
    );
}

#[test]
fn a_bare_have_before_a_feature_asks_about_features() {
    assert_eq!(
        intent(&[("in", "O Highlander tem sete lugares e CarPlay?")]),
        "features"
    );
    assert_eq!(intent(&[("in", "الهايلاندر فيها صف ثالث وكاربلاي؟")]), "features");
    assert_eq!(intent(&[("in", "Does it have a sunroof?")]), "features");
    // "do you have" + a car, or a colour, asks for stock.
    assert_eq!(intent(&[("in", "Tem Corolla automático?")]), "availability");
    assert_eq!(intent(&[("in", "Gostei do Compass. Tem em vermelho?")]), "availability");
    assert_eq!(intent(&[("in", "Do you have the Tahoe in black?")]), "availability");
}

#[test]
fn a_payment_method_beside_a_deposit_is_the_reservation() {
    assert_eq!(
        si(&[
            ("in", "Deal, 27 for the Tucson"),
            ("in", "How do I pay the deposit? Zelle ok?")
        ]),
        pair("ready_to_buy", "reservation")
    );
    assert_eq!(
        si(&[
            ("in", "Trato, 27 por la Tucson"),
            ("in", "¿Cómo les pago el apartado? ¿Por transferencia?")
        ]),
        pair("ready_to_buy", "reservation")
    );
    assert_eq!(
        intent(&[
            ("in", "اتفقنا 27 للتوسان"),
            ("in", "كيف أدفع العربون؟ تحويل بنكي ينفع؟")
        ]),
        "reservation"
    );
    // Alone, a payment method is "other".
    assert_eq!(
        intent(&[("in", "Quero um SUV"), ("in", "Vocês aceitam bitcoin?")]),
        "other"
    );
    assert_eq!(
        intent(&[("in", "عايز عربية SUV"), ("in", "بتقبلوا الدفع بالفيزا؟")]),
        "other"
    );
    assert_eq!(
        intent(&[
            ("in", "I'll take the Accord if the price is right"),
            ("in", "Can I pay part in cash and part with a card?")
        ]),
        "other"
    );
}

#[test]
fn logistics_questions_are_other() {
    assert_eq!(
        intent(&[("in", "Busco una SUV familiar"), ("in", "¿Hacen envíos a Guadalajara?")]),
        "other"
    );
    assert_eq!(intent(&[("in", "أدور جيب عائلي"), ("in", "توصلون للدمام؟")]), "other");
    assert_eq!(
        intent(&[("in", "Procuro SUV"), ("in", "Vocês abrem domingo?")]),
        "other"
    );
}

#[test]
fn loan_terms_and_credit_questions_are_financing() {
    assert_eq!(
        si(&[
            ("in", "I want the Tucson"),
            ("out", "31,900"),
            ("in", "What would 60 months look like?")
        ]),
        pair("negotiating", "financing")
    );
    // "with no credit history" refuses nothing.
    assert_eq!(
        intent(&[
            ("in", "I like the Sentra SV"),
            (
                "in",
                "Can I get financed with no credit history? I'm new in the country"
            )
        ]),
        "financing"
    );
    assert_eq!(
        intent(&[
            ("in", "Busco un sedán"),
            ("in", "Lo quiero a crédito, tengo 3 mil para el enganche")
        ]),
        "financing"
    );
    assert_ne!(
        si(&[("in", "Busco un sedán"), ("in", "Lo quiero a crédito")]).0,
        "ready_to_buy"
    );
}

#[test]
fn appointments_and_slots() {
    assert_eq!(
        si(&[(
            "in",
            "Comprei meu Elantra com vocês ano passado, tá na hora da revisão. Tem horário semana que vem?"
        )]),
        pair("support", "service")
    );
    assert_eq!(
        intent(&[
            ("in", "Between the CX-5 and the Tucson"),
            ("out", "both available"),
            ("in", "Great, I'll come Saturday at 10 to see both. Thanks!")
        ]),
        "test_drive"
    );
    assert_eq!(
        intent(&[
            ("in", "Procuro um SUV"),
            ("out", "Tucson ou Sportage"),
            ("in", "Posso ir experimentar no sábado?")
        ]),
        "test_drive"
    );
    // A courtesy car during a repair is a service request, not a trade-in.
    assert_eq!(
        intent(&[("in", "اشتريت الاسكيب منكم في مارس. تعطوني سيارة بديلة وهي في الورشة؟")]),
        "service"
    );
}

#[test]
fn service_on_a_car_the_customer_has() {
    assert_eq!(
        si(&[(
            "in",
            "Hi, I have a 2017 Camry I bought somewhere else, do you do oil changes for other cars?"
        )]),
        pair("support", "service")
    );
    assert_eq!(
        si(&[(
            "in",
            "Hi, my Tacoma I got from you has a recall notice, can you schedule that?"
        )]),
        pair("support", "service")
    );
    assert_eq!(
        si(&[("in", "السلام عليكم، عندي كامري مو منكم، تسوون صيانة لسيارات من برا؟")]).0,
        "support"
    );
    // A prospect's maintenance question is no support.
    assert_ne!(
        si(&[("in", "I have a Civic now, is the CR-V maintenance expensive?")]).0,
        "support"
    );
}

#[test]
fn plates_asked_by_a_prospect_are_no_support() {
    assert_ne!(
        si(&[
            ("in", "Busco una camioneta"),
            ("in", "¿Ustedes tramitan las placas y el seguro o lo hago yo?")
        ])
        .0,
        "support"
    );
    assert_ne!(
        si(&[
            ("in", "Procuro um SUV"),
            ("in", "Vocês fazem o emplacamento ou eu que faço?")
        ])
        .0,
        "support"
    );
    // After a purchase they still are.
    assert_eq!(
        si(&[
            ("in", "Compré el Rogue aquí el mes pasado"),
            ("in", "Todavía no me entregan las placas y nadie me contesta")
        ]),
        pair("support", "complaint")
    );
}

#[test]
fn price_negotiation_phrases_of_several_dialects() {
    let quote = ("out", "33,900");
    for (like, ask) in [
        (
            "Hola, me interesa la Highlander 2021",
            "¿Es lo último? ¿No hay rebajita?",
        ),
        (
            "Oi, tenho interesse no Highlander 2021",
            "Tem como melhorar esse valor?",
        ),
        ("مرحبا، مهتم بالهايلاندر 2021", "هذا آخر شي؟ ما فيه مجال؟"),
        (
            "Hi, interested in the Accord",
            "Can you throw in floor mats and tint at that price?",
        ),
        ("Me late la Tucson", "¿Qué tanto me la puede bajar?"),
        ("Me gusta la Hilux", "¿Qué me hacés de contado?"),
        ("Curti o Tucson", "Tem como dar uma chorada no preço?"),
    ] {
        assert_eq!(
            si(&[("in", like), quote, ("in", ask)]),
            pair("negotiating", "price"),
            "{ask}"
        );
    }
    assert_eq!(intent(&[("in", "سلام، بشحال الكورولا؟")]), "price");
}

#[test]
fn trade_in_value_of_the_customers_car_negotiates() {
    for (like, ask) in [
        (
            "I'm interested in the Santa Fe",
            "I have a 2018 Elantra with 60k miles, how much could you give me for it?",
        ),
        (
            "Me interesa la Santa Fe",
            "Tengo un Elantra 2018 con 60 mil km, ¿en cuánto me lo toman?",
        ),
        ("مهتم بالسانتافي", "عندي النترا 2018 ماشية 60 ألف، بكم تاخذونها مني؟"),
    ] {
        assert_eq!(
            si(&[("in", like), ("in", ask)]),
            pair("negotiating", "trade_in"),
            "{ask}"
        );
    }
    // The car after a purchase verb is the one wanted.
    let p = run(&[(
        "in",
        "I have a 2019 Kia Sportage. How much would you give me for it if I buy the Santa Fe?",
    )]);
    let items: Vec<String> = p.interests.iter().map(|i| i.model.clone()).collect();
    assert_eq!(items, ["Santa Fe"]);
}

#[test]
fn commitments_and_after_sale_pickups() {
    let quote = ("out", "28,900");
    for (like, yes) in [
        ("I like the Civic Sport", "Ok let's do it. Send me the contract"),
        ("Me gusta el Civic Sport", "Listo, cerramos. ¿Cuándo me lo entregan?"),
        ("Gostei do Civic Sport", "Beleza, vou fechar. Quando posso assinar?"),
        ("Me gusta la Tucson", "Listo, ¿cómo hago para separarla?"),
    ] {
        assert_eq!(
            si(&[("in", like), quote, ("in", yes)]),
            pair("ready_to_buy", "reservation"),
            "{yes}"
        );
    }
    for text in [
        "I picked up my Civic last week and there's a scratch on the door. Not happy",
        "Recogí mi Civic la semana pasada y tiene un rayón en la puerta. Nada contento",
        "Peguei meu Civic semana passada e veio com um risco na porta. Não gostei nada",
        "استلمت السيفيك الأسبوع اللي فات وفيها خدش في الباب. مو راضي",
        "اشتريت العربية من عندكم من شهر والتكييف بايظ. حاجة تقرف",
    ] {
        assert_eq!(si(&[("in", text)]), pair("support", "complaint"), "{text}");
    }
}

#[test]
fn interest_in_a_listed_car_and_greetings() {
    for text in [
        "Hi, I'm interested in the Tucson you have listed",
        "Oi, tenho interesse no Tucson anunciado",
        "Vi la Tahoe 2021 en su página",
        "شفت التاهو 2021 في موقعكم",
    ] {
        assert_eq!(si(&[("in", text)]), pair("first_inquiry", "availability"), "{text}");
    }
    assert_eq!(si(&[("in", "Hi! How are you?")]), pair("first_inquiry", "greeting"));
    assert_eq!(
        si(&[("in", "السلام عليكم، كيف الحال؟")]),
        pair("first_inquiry", "greeting")
    );
    // "Qual o valor" is a price question, not a comparison.
    assert_eq!(
        si(&[("in", "Qual o valor do Pilot 2020?")]),
        pair("first_inquiry", "price")
    );
}

// Rules from the r6 error kinds (each made up, in several languages).

#[test]
fn a_purchase_said_of_someone_else_is_no_support() {
    let s = si(&[
        ("in", "Hello, I'm interested in the Tucson"),
        ("out", "It's 31,900"),
        (
            "in",
            "Last time my colleague purchased from you he got a good discount. Can you do 29k?",
        ),
    ]);
    assert_eq!(s, pair("negotiating", "price"));
    assert_ne!(
        si(&[(
            "in",
            "A friend who bought from you recommended you. I'm looking at the Hilux"
        )])
        .0,
        "support"
    );
    assert_ne!(
        si(&[("in", "Mi hermano compró con ustedes, busco una Hilux")]).0,
        "support"
    );
}

#[test]
fn a_close_offered_with_a_sum_is_a_counter_offer() {
    let quote = ("out", "31,990");
    for (like, offer) in [
        ("Me interesa el Jeep Compass", "Te ofrezco 29 y lo cerramos"),
        ("O Onix Plus ainda tá aí?", "87 e fecho. Ou isso ou vou em outro"),
        ("مرحبا، عجبتني التوسان", "خليها 29 وبنمشي فيها"),
        (
            "I like the Tucson",
            "Ok I will tell you my final. 29,500 dollars, cash. If ok I will bring my wife to see it.",
        ),
    ] {
        assert_eq!(
            si(&[("in", like), quote, ("in", offer)]),
            pair("negotiating", "price"),
            "{offer}"
        );
        assert!(run(&[("in", like), quote, ("in", offer)]).budget.is_none(), "{offer}");
    }
}

#[test]
fn weighing_another_model_after_committing_is_comparing() {
    let s = si(&[
        (
            "in",
            "I want to buy the Camry. Please reserve it for me, I will bring the deposit Saturday",
        ),
        ("out", "Done, it's on hold"),
        (
            "in",
            "Please hold on a bit. Can you send me the full price of the Elantra? Then we decide between the two.",
        ),
    ]);
    assert_eq!(s, pair("comparing", "price"));
    let s = si(&[
        ("in", "Quiero la Hilux, sepárela por favor"),
        ("out", "Listo, separada"),
        ("in", "Oiga, mejor espéreme. ¿Me puede mandar el precio de la Frontier?"),
    ]);
    assert_eq!(s, pair("comparing", "price"));
}

#[test]
fn an_opening_request_and_its_follow_up_stay_a_first_inquiry() {
    assert_eq!(
        si(&[
            ("in", "Hola, ¿reciben carros como parte de pago? Tengo un Accent 2015"),
            ("out", "Sí, ¿qué auto le interesa?"),
            (
                "in",
                "Todavía no sé, primero quiero saber cuánto me darían por el Accent"
            ),
        ]),
        pair("first_inquiry", "trade_in")
    );
    assert_eq!(
        si(&[
            (
                "in",
                "Boa tarde. É possível marcar um test drive ao Corolla num destes dias? Estou disponível de manhã."
            ),
            ("out", "Quinta às 9h ou 10h30?"),
            ("in", "Quinta às 10h30 está ótimo. Obrigado."),
        ]),
        pair("first_inquiry", "test_drive")
    );
    // A new question is a second request.
    assert_eq!(
        si(&[
            ("in", "Esse Tiggo 8 tem teto solar?"),
            ("out", "Tem"),
            ("in", "E câmera 360? E o motor é turbo?")
        ])
        .0,
        "exploring"
    );
}

#[test]
fn insurance_and_papers_as_cost_items() {
    assert_eq!(
        intent(&[
            ("in", "Quiero el Raize a 60 meses"),
            ("in", "¿Y el seguro vehicular va dentro de la cuota?")
        ]),
        "financing"
    );
    assert_eq!(
        intent(&[
            ("in", "Tengo 6 mil de pie, a 48 meses. ¿Cuánto me quedaría la cuota?"),
            ("in", "y el seguro va aparte?")
        ]),
        "financing"
    );
    assert_eq!(
        intent(&[("in", "Hola, ¿qué necesito para el seguro del carro que compré?")]),
        "documents"
    );
    assert_eq!(
        intent(&[
            ("in", "Between the Camry and the Elantra"),
            (
                "in",
                "Can you send me the full price of the Elantra, with registration and insurance?"
            )
        ]),
        "price"
    );
    assert_eq!(
        intent(&[("in", "بكم الترايتون بعد الترخيص والتأمين؟ أريد أقارن السعر الكامل")]),
        "price"
    );
    assert_eq!(
        intent(&[
            ("in", "Ando entre la Tucson y la Kicks"),
            ("in", "Pásame una comparación de las dos, mantenimiento y seguro")
        ]),
        "comparison"
    );
}

#[test]
fn hypotheticals_and_acknowledgements_carry_no_feeling() {
    use dossier_core::profile::Sentiment;
    let s = |t: &[(&str, &str)]| run(t).sentiment.unwrap();
    assert_eq!(
        s(&[("in", "Quinta às 10h30 está ótimo. Obrigado.")]),
        Sentiment::Neutral
    );
    assert_eq!(
        s(&[("in", "طيب بدي أجربها، وإذا ما عجبتني بستنى السوناتا")]),
        Sentiment::Neutral
    );
    assert_eq!(
        s(&[(
            "in",
            "Oi, boa noite! Aqui é a Tainá, a Jéssica que trabalha aí me passou esse número 😊"
        )]),
        Sentiment::Neutral
    );
    assert_eq!(s(&[("in", "Lovely, ta 👍")]), Sentiment::Neutral);
    // A fault under "if" before buying is no complaint; after a purchase it still is.
    assert_ne!(
        intent(&[(
            "in",
            "¿la batería híbrida qué garantía tiene? ¿Y si falla fuera de garantía, es carísimo?"
        )]),
        "complaint"
    );
}

#[test]
fn ambiguous_names_as_dates_common_words_and_sentence_openers() {
    let models = |msgs: &[(&str, &str)]| -> Vec<String> { run(msgs).interests.into_iter().map(|i| i.model).collect() };
    assert!(
        !models(&[(
            "in",
            "I want the Tacoma. I start on site March 2 and need a truck by then"
        )])
        .contains(&"March".to_owned())
    );
    assert_eq!(
        models(&[(
            "in",
            "The Civic or the HR-V, which one would you pick for city driving?"
        )])
        .len(),
        2
    );
    assert_eq!(
        models(&[(
            "in",
            "I'll take the Civic. What documents? Passport original is required?"
        )]),
        ["Civic"]
    );
    // A rule-out under "if" rules nothing out; "fica entre" keeps the two.
    assert_eq!(
        models(&[
            ("in", "Quero ver o Compass e o Kicks"),
            ("in", "Fica entre Kicks e Tucson mesmo")
        ])
        .len(),
        2
    );
}

#[test]
fn a_body_type_ruled_out_takes_its_models() {
    let models = |msgs: &[(&str, &str)]| -> Vec<String> { run(msgs).interests.into_iter().map(|i| i.model).collect() };
    assert_eq!(
        models(&[
            ("in", "Estoy mirando una pickup diésel, tipo Tacoma"),
            (
                "in",
                "Al final lo de la pickup lo descarto. Lo que nos gusta es algo tipo RAV4"
            )
        ]),
        ["RAV4"]
    );
}

#[test]
fn names_start_in_their_intro_sentence() {
    let name = |t: &str, p: Option<&str>| run_with(&[("in", t)], p).contact.name;
    assert_eq!(name("Sí, a mi nombre. Pero soy colombiana", None), None);
    assert_eq!(name("شو الأوراق عشان أسجلها باسمي؟ بيكفي جواز السفر؟", None), None);
    assert_eq!(name("Sou agrônomo, trabalho em Petrolina", None), None);
    assert_eq!(
        name("oi", Some("Raimundo Nonato Sales")).as_deref(),
        Some("Raimundo Nonato Sales")
    );
    assert_eq!(name("oi", Some("Best Auto Sales")), None);
}

#[test]
fn registers_of_r6_markets() {
    // Nigerian Pidgin, Taglish, Indian and UK English.
    assert_eq!(
        si(&[
            ("in", "I dey interested for the Camry"),
            ("out", "28,900"),
            ("in", "Na too much o. Abeg do am 26 make we close")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        intent(&[("in", "Please sir, una get Highlander for ground?")]),
        "availability"
    );
    assert_eq!(intent(&[("in", "Hi po, magkano po yung Civic?")]), "price");
    assert_eq!(
        intent(&[
            ("in", "Interested po ako sa Civic"),
            ("in", "Pwede po ba installment? Magkano po downpayment?")
        ]),
        "financing"
    );
    assert_eq!(
        intent(&[
            ("in", "I like the Civic"),
            ("in", "What is EMI for 5 years with 20% down payment?")
        ]),
        "financing"
    );
    assert_eq!(
        intent(&[
            ("in", "Looking for a small SUV"),
            ("out", "Kicks or HR-V"),
            ("in", "Could I pop in Saturday for a test drive?")
        ]),
        "test_drive"
    );
    // Chilean/Venezuelan Spanish, Northeast Brazil and European Portuguese, Iraqi Arabic.
    assert_eq!(
        si(&[
            ("in", "Me gusta la Tucson"),
            ("out", "31 mil"),
            ("in", "Está cara igual, ¿me hace un descuentito?")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        si(&[
            ("in", "Oxe, gostei da Hilux"),
            ("out", "45 mil"),
            ("in", "Tá carinho viu, dá pra fazer um precinho melhor?")
        ]),
        pair("negotiating", "price")
    );
    assert_eq!(
        si(&[("in", "Bom dia, qual é o preço do Tucson?")]),
        pair("first_inquiry", "price")
    );
    assert_eq!(
        intent(&[("in", "Eita, vocês têm Strada cabine dupla aí?")]),
        "availability"
    );
    assert_eq!(intent(&[("in", "هلو، شكد سعر الكامري؟")]), "price");
}
