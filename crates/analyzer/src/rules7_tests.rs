//! Round-7 rules (issue #11), each in several languages. Conversations here are made up; none
//! is copied from a set.

use crate::tests_support::*;

fn interests(msgs: &[(&str, &str)]) -> Vec<String> {
    run(msgs).interests.into_iter().map(|i| i.model).collect()
}

fn trade_in(msgs: &[(&str, &str)]) -> Option<bool> {
    run(msgs).trade_in.map(|t| t.has)
}

#[test]
fn a_trade_in_described_with_its_mileage_is_the_customers_car() {
    assert_eq!(
        interests(&[(
            "in",
            "I'm thinking about the Tucson you have listed. Would you take my car as part payment? It's a 2019 Nissan Rogue, 78,000 km"
        )]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[(
            "in",
            "Me interesa la Tucson. ¿Aceptan mi carro como parte de pago? Es una Nissan Rogue 2019 con 78 mil km"
        )]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[
            ("in", "شفت التوسان عندكم، قديش سعرها؟"),
            ("out", "31,900"),
            ("in", "عندي هيونداي i30 موديل 2016 ماشية 140 ألف كيلو، بدي بدلها عليها")
        ]),
        vec!["Tucson"]
    );
}

#[test]
fn a_number_alone_is_no_model() {
    // "٥٠٠ ألف درهم" is a budget, not a Fiat 500 (nor a Peugeot 2008 in "2008").
    let p = run(&[
        ("in", "أبا رنج روفر أو توسان"),
        ("in", "بس صراحة ميزانيتي ٥٠٠ ألف درهم، ما أبا أزيد عنها"),
    ]);
    assert!(p.interests.iter().all(|i| !i.model.chars().all(|c| c.is_ascii_digit())));
    assert!(p.budget.is_some());
}

#[test]
fn a_trade_in_cue_inside_a_refusal_is_none() {
    for text in [
        "عندي سيارة قديمة بس رح بيعها لحالي، ما بدي بدلها",
        "كاش، وما عندي سيارة أبدلها",
        "Cash, and no car to trade",
        "No tengo carro para dar a cuenta",
    ] {
        assert_eq!(
            trade_in(&[("in", "I like the Tucson"), ("in", text)]),
            Some(false),
            "{text}"
        );
    }
}

#[test]
fn weekdays_are_no_names() {
    for text in [
        "Still nothing. It's Wednesday.",
        "Ya es lunes y nada",
        "Hoje é sexta",
        "اليوم الخميس وما حد رد",
    ] {
        assert_eq!(run(&[("in", text)]).contact.name, None, "{text}");
    }
}

#[test]
fn a_model_ruled_out_in_words_of_taste_leaves_the_interests() {
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("in", "I like the Tacoma and the Frontier"),
            ("in", "The Frontier is too boxy for me, not my thing."),
        ],
        &[
            ("in", "Me gustan la Tacoma y la Frontier"),
            ("in", "La Frontier no me convence, no es para mí"),
        ],
        &[
            ("in", "Gosto da Tacoma e da Frontier"),
            ("in", "A Frontier não é pra mim"),
        ],
        &[
            ("in", "عاجبتني التاكوما والفرونتير"),
            ("in", "بصراحة استبعدت الفرونتير"),
        ],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["Tacoma"], "{c:?}");
    }
}

#[test]
fn an_escalation_after_a_fault_is_a_complaint() {
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("in", "The Tucson I bought from you keeps showing a warning light"),
            ("out", "Sorry, bring it in"),
            (
                "in",
                "I already did. Nobody called. I want to speak to someone in charge",
            ),
        ],
        &[
            ("in", "La Tucson que les compré dejó de enfriar"),
            ("out", "Tráigala al taller"),
            ("in", "Ya la llevé y nadie me ha llamado. Quiero hablar con el gerente"),
        ],
        &[
            ("in", "A Tucson que comprei com vocês parou de funcionar o ar"),
            ("out", "Traga na oficina"),
            ("in", "Já levei e ninguém me ligou. Quero falar com o gerente"),
        ],
        &[
            ("in", "التوسان اللي اشتريتها منكم الشاشة تعلق وما تشتغل"),
            ("out", "نعتذر، جيبها الورشة"),
            ("in", "وديتها ومحد كلمني لين الحين، أبي أحد مسؤول يكلمني"),
        ],
    ];
    for c in cases {
        let p = run(c);
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("complaint"), "{c:?}");
        assert_eq!(p.sentiment, Some(dossier_core::profile::Sentiment::Negative), "{c:?}");
    }
}

#[test]
fn buying_a_house_is_no_after_sale() {
    for text in [
        "We've just bought a villa here and we're looking for a car",
        "Acabamos de comprar una casa y buscamos un coche",
        "Compramos uma casa aqui e procuramos um carro",
        "اشترينا بيت هنا وندور سيارة",
    ] {
        let p = run(&[("in", text)]);
        assert_ne!(p.stage.map(|s| s.value).as_deref(), Some("support"), "{text}");
    }
}

#[test]
fn something_around_a_sum_is_a_budget() {
    for text in [
        "Something around 30,000 dollars",
        "Algo alrededor de 30 mil dólares",
        "Algo em torno de 30 mil dólares",
        "شي بحدود ٣٠ ألف دولار",
    ] {
        let p = run(&[("in", "Looking for a family SUV"), ("in", text)]);
        assert_eq!(
            p.budget.map(|b| b.amount.to_string()).as_deref(),
            Some("30000"),
            "{text}"
        );
    }
}

#[test]
fn a_deposit_sent_is_ready_to_buy() {
    for text in [
        "Transfer done, here is the receipt",
        "Ya hice la transferencia",
        "Transferência feita, segue o comprovativo",
        "حولت العربون",
    ] {
        let p = run(&[
            ("in", "I want to reserve the Tucson"),
            ("out", "The deposit is 500, by transfer"),
            ("in", text),
        ]);
        assert_eq!(p.stage.map(|s| s.value).as_deref(), Some("ready_to_buy"), "{text}");
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("reservation"), "{text}");
    }
}

#[test]
fn two_models_joined_by_or_in_a_question_are_compared() {
    for text in [
        "Be honest: Tucson or Kona for highway driving? fuel and comfort",
        "Dime sinceramente: ¿Tucson o Kona para carretera? consumo y confort",
        "Me fala com sinceridade: Tucson ou Kona pra quem roda em estrada? consumo e conforto",
        "بصراحة التوسان ولا الكونا للسفر؟ الاستهلاك والراحة",
    ] {
        let p = run(&[("in", "I like the Tucson and the Kona"), ("in", text)]);
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("comparison"), "{text}");
    }
}

#[test]
fn how_much_it_uses_asks_for_features() {
    for text in [
        "And how much fuel does it use on the highway?",
        "¿Y cuánto consume en ruta?",
        "E quanto faz por litro na estrada?",
        "وكم تصرف بنزين عالخط؟",
    ] {
        let p = run(&[("in", "Do you have the Tucson?"), ("out", "Yes, 31,900"), ("in", text)]);
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("features"), "{text}");
    }
}

#[test]
fn a_model_name_never_spans_a_sentence_end() {
    // "Corolla. Cross…" names the Corolla only.
    assert_eq!(
        interests(&[("in", "I like the Corolla. Cross-town traffic is bad here")]),
        vec!["Corolla"]
    );
    assert_eq!(
        interests(&[("in", "العادية صغيرة علي، انسى الكورولا كروس. الكورولا أحسن")]),
        vec!["Corolla"]
    );
}

#[test]
fn a_shorter_name_rules_out_the_series_the_customer_named() {
    // The demo catalog stocks the Corolla and the Corolla Cross: "forget the Corolla" after
    // asking only about the Cross rules the Cross out.
    let cases: [&[(&str, &str)]; 3] = [
        &[
            ("in", "Do you have the Corolla Cross and the RAV4?"),
            ("in", "Too pricey, forget the Corolla"),
        ],
        &[
            ("in", "¿Tienen la Corolla Cross y la RAV4?"),
            ("in", "Muy cara, olvida la Corolla"),
        ],
        &[
            ("in", "Vocês têm o Corolla Cross e o RAV4?"),
            ("in", "Caro demais, esquece o Corolla"),
        ],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["RAV4"], "{c:?}");
    }
}

#[test]
fn a_short_series_suffix_after_an_article_names_the_series_already_named() {
    // "the Cross" once the Corolla Cross is in the talk; Arabic "الكروس" too.
    assert_eq!(
        interests(&[
            ("in", "What's the difference between the Corolla and the Corolla Cross?"),
            ("in", "The Corolla is too small for me, forget it. I like the Cross")
        ]),
        vec!["Corolla Cross"]
    );
    assert_eq!(
        interests(&[
            ("in", "ايش الفرق بين الكورولا والكورولا كروس؟"),
            ("in", "الكورولا صغيرة علي، انسى الكورولا. الكروس عجبتني")
        ]),
        vec!["Corolla Cross"]
    );
}

#[test]
fn arabizi_rule_outs_and_requests() {
    assert_eq!(
        interests(&[
            ("in", "3am fakker jib Tucson aw Kona"),
            ("in", "khalas la tfakker bl Kona, ktir ghalye")
        ]),
        vec!["Tucson"]
    );
    let p = run(&[
        ("in", "marhaba, fi 3andkon el Tucson?"),
        ("out", "eh, 31,900"),
        ("in", "tamam, baddi e7jezha, adesh el 3arboun?"),
    ]);
    assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("reservation"));
}

#[test]
fn a_purchase_under_if_is_a_prospects_question() {
    for text in [
        "Does the warranty transfer to me if I buy it?",
        "¿La garantía pasa a mi nombre si la compro?",
        "A garantia passa pro meu nome se eu comprar?",
        "والضمان ينتقل لي باسمي عادي لو شريته؟",
    ] {
        let p = run(&[
            ("in", "Hi, the used Tucson you have, how much warranty is left?"),
            ("in", text),
        ]);
        assert_ne!(p.stage.map(|s| s.value).as_deref(), Some("support"), "{text}");
        assert_eq!(p.contact.name, None, "{text}");
    }
}

#[test]
fn a_model_no_longer_considered_leaves_the_interests() {
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("in", "Tacoma or Frontier?"),
            ("in", "The Tacoma is off my list now. Is the Frontier still there?"),
        ],
        &[
            ("in", "¿Tacoma o Frontier?"),
            ("in", "La Tacoma ya ni la considero, está fuera. ¿La Frontier sigue?"),
        ],
        &[
            ("in", "Tacoma ou Frontier?"),
            ("in", "A Tacoma já nem considero. A Frontier ainda tem?"),
        ],
        &[
            ("in", "التاكوما ولا الفرونتير؟"),
            ("in", "التاكوما طلعت من الحسبة. الفرونتير لسا موجودة؟"),
        ],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["Frontier"], "{c:?}");
    }
}

#[test]
fn the_wanted_car_and_the_trade_in_in_one_clause() {
    let cases: [&[(&str, &str)]; 3] = [
        &[("in", "I'm interested in the Tucson and I have a 2019 Kona to trade in")],
        &[(
            "in",
            "Estoy interesado en la Tucson y tengo una Kona 2019 para dejar en parte de pago",
        )],
        &[("in", "Tenho interesse no Tucson e tenho um Kona 2019 para dar na troca")],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["Tucson"], "{c:?}");
        assert_eq!(trade_in(c), Some(true), "{c:?}");
    }
    // The trade-in's service history is no after-sale case.
    let p = run(&[
        (
            "in",
            "Estoy interesado en la Tucson y tengo una Kona 2019 para dejar en parte de pago",
        ),
        ("in", "52 mil millas, único dueño, mantenimientos en el concesionario"),
    ]);
    assert_ne!(p.stage.map(|s| s.value).as_deref(), Some("support"));
}

#[test]
fn paid_is_a_reservation_and_money_back_a_complaint() {
    for text in ["Paid na po 🙏", "Ya quedó pagado", "Já paguei o sinal", "تم الدفع"] {
        let p = run(&[
            ("in", "I want to reserve the Tucson"),
            ("out", "Deposit is 500, link sent"),
            ("in", text),
        ]);
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("reservation"), "{text}");
    }
    for text in [
        "If it fails again I want my money back",
        "Si vuelve a fallar quiero que me devuelvan la plata",
        "Se falhar de novo quero meu dinheiro de volta",
        "إذا خربت مرة ثانية ابي فلوسي",
    ] {
        let p = run(&[
            ("in", "The Tucson I bought from you broke down again"),
            ("out", "Sorry"),
            ("in", text),
        ]);
        assert_eq!(p.intent.map(|s| s.value).as_deref(), Some("complaint"), "{text}");
    }
}

#[test]
fn compound_arabic_names_businesses_and_epithets() {
    let name = |t: &str, p: Option<&str>| run_with(&[("in", t)], p).contact.name;
    assert_eq!(
        name("مساء الخير، أنا اسمي كريم عبد الفتاح. عايز أعرف السعر", None).as_deref(),
        Some("كريم عبد الفتاح")
    );
    for profile in [
        "Mombasa Imports Ltd",
        "Transportes Quispe SAC Ltda",
        "Zé do Caminhão",
        "مؤسسة النخبة للمقاولات",
    ] {
        assert_eq!(name("Hi, is the Tucson available?", Some(profile)), None, "{profile}");
    }
    assert_eq!(
        name("Hi, is the Tucson available?", Some("Raimundo Nonato Sales")).as_deref(),
        Some("Raimundo Nonato Sales")
    );
}

#[test]
fn urgency_under_if_and_travel_deadlines() {
    use dossier_core::profile::Urgency;
    let u = |t: &str| run(&[("in", "I like the Tucson"), ("in", t)]).urgency;
    assert_eq!(
        u("Would the warranty still apply if I move back to the UK next year?"),
        Some(Urgency::Normal)
    );
    assert_eq!(
        u("¿La garantía vale si me mudo a España el año que viene?"),
        Some(Urgency::Normal)
    );
    assert_eq!(
        u("We fly to Manila on the 14th so I need it registered before that"),
        Some(Urgency::High)
    );
    assert_eq!(
        u("La necesito pa este weekend que me voy pa los Keys"),
        Some(Urgency::High)
    );
    assert_eq!(u("Chego em Miami dia 20 e volto dia 27"), Some(Urgency::High));
    assert_eq!(
        u("Dá para esticar o prazo? não quero passar dos 400 mensais"),
        Some(Urgency::Normal)
    );
    assert_eq!(u("متى يوصلكم؟ ما عندي عجلة، بس أبي أعرف"), Some(Urgency::Low));
}

#[test]
fn revised_limits_savings_and_no_salary() {
    let b = |msgs: &[(&str, &str)]| run(msgs).budget.map(|b| (b.amount.to_string(), b.period));
    use dossier_core::profile::BudgetPeriod::*;
    assert_eq!(
        b(&[
            ("in", "ميزانيتي ١٥ ألف دينار"),
            ("in", "خلني أقول ١٧ ألف دينار كحد أقصى مع الشحن")
        ])
        .map(|x| x.0),
        Some("17000".into())
    );
    assert_eq!(
        b(&[
            ("in", "Mi presupuesto es de 19 mil dólares"),
            ("in", "Hablé con mi señora y podemos estirarnos a 21 mil")
        ])
        .map(|x| x.0),
        Some("21000".into())
    );
    assert_eq!(
        b(&[
            ("in", "Tenho uns 150 mil reais guardados pro carro"),
            ("in", "Melhor ficar em 130 mil reais")
        ])
        .map(|x| x.0),
        Some("130000".into())
    );
    assert_eq!(
        b(&[("in", "I had kept aside 12 lakh rupees for a car")]).map(|x| x.0),
        Some("1200000".into())
    );
    assert_eq!(
        b(&[
            ("in", "I can pay max 1,200 dirham per month"),
            ("in", "Bank will approve for nurses salary 9000?")
        ]),
        Some(("1200".into(), Monthly))
    );
}

#[test]
fn a_surname_that_is_a_model_and_more_rule_outs() {
    assert_eq!(
        interests(&[(
            "in",
            "Oi! Aqui é a Fernanda Lima Tucson, procuro um SUV. Vocês têm o Kona?"
        )]),
        vec!["Kona"]
    );
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("in", "Tacoma or Frontier?"),
            ("in", "The Tacoma is a dream but no way on my salary. The Frontier then"),
        ],
        &[
            ("in", "¿Tacoma o Frontier?"),
            ("in", "La Tacoma sácala de la lista, muy cara. La Frontier entonces"),
        ],
        &[
            ("in", "Tacoma ou Frontier?"),
            ("in", "A Tacoma achei sem graça, pode tirar da lista. A Frontier então"),
        ],
        &[
            ("in", "التاكوما ولا الفرونتير؟"),
            ("in", "التاكوما شيلها، غالية. الفرونتير أحسن"),
        ],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["Frontier"], "{c:?}");
    }
    // "I also have a 2016 Kona … trade it in": the customer's car.
    assert_eq!(
        interests(&[
            ("in", "I like the Tucson"),
            ("in", "I also have a 2016 Hyundai Kona. Would want to trade it in")
        ]),
        vec!["Tucson"]
    );
}

#[test]
fn names_signed_on_the_same_line_here_and_in_darija() {
    let name = |t: &str, p: Option<&str>| {
        run_with(&[("in", "Is the Tucson available?"), ("in", t)], p)
            .contact
            .name
    };
    assert_eq!(
        name("Thanks. Regards, Priya Nair", Some("Priya")).as_deref(),
        Some("Priya Nair")
    );
    assert_eq!(
        name("Obrigado. Cumprimentos, João Mendes", None).as_deref(),
        Some("João Mendes")
    );
    assert_eq!(
        name("حسناً، أرجو التأكيد. مع خالص التحية، سامي الخطيب.", None).as_deref(),
        Some("سامي الخطيب")
    );
    assert_eq!(
        name("Hi, Joseph Otieno here from Nairobi. How much is it?", Some("Joe O.")).as_deref(),
        Some("Joseph Otieno")
    );
    assert_eq!(
        name("Smiti Karim Benjelloun. Wach nqder nji samedi?", None).as_deref(),
        Some("Karim Benjelloun")
    );
    assert_eq!(
        name("السلام عليكم، اسمي هبة الله سمير.", None).as_deref(),
        Some("هبة الله سمير")
    );
    assert_eq!(
        name("ok", Some("Youssef El Amrani")).as_deref(),
        Some("Youssef El Amrani")
    );
    for p in ["Léo RJ", "Sharma Ji", "Al Nour Contracting"] {
        assert_eq!(name("ok", Some(p)), None, "{p}");
    }
}

#[test]
fn the_car_asked_for_in_exchange_for_a_trade_in_is_wanted() {
    let cases: [&[(&str, &str)]; 3] = [
        &[(
            "in",
            "Quanto vocês dão no meu Honda Civic 2019 na troca por um Hyundai Tucson híbrido?",
        )],
        &[(
            "in",
            "¿Cuánto me dan por mi Honda Civic 2019 si lo cambio por una Hyundai Tucson?",
        )],
        &[(
            "in",
            "How much for my 2019 Honda Civic if I trade it for a Hyundai Tucson?",
        )],
    ];
    for c in cases {
        assert_eq!(interests(c), vec!["Tucson"], "{c:?}");
    }
}

#[test]
fn darija_is_arabic() {
    let p = run(&[(
        "in",
        "Salam, bghit n3ref prix dyal la Tucson. Wach kayna automatique? 3andi 180 alf dh",
    )]);
    assert_eq!(p.contact.language.as_deref(), Some("ar"));
}

#[test]
fn after_sale_papers_and_an_old_car_that_is_no_trade_in() {
    for text in [
        "I collected my Tucson last week, still waiting for the registration documents and plates",
        "Já paguei a viatura, a Tucson. Falta o livrete e a matrícula. Quando posso levantar?",
    ] {
        let p = run(&[("in", text)]);
        assert_eq!(p.stage.map(|s| s.value).as_deref(), Some("support"), "{text}");
    }
    let p = run(&[(
        "in",
        "مرحبا، أنا تعبان من سيارتي القديمة وبدي شي جديد. شو عندكم SUV هايبرد؟",
    )]);
    assert_ne!(p.trade_in.map(|t| t.has), Some(true));
}

#[test]
fn raised_and_lowered_limits_and_arabic_closes() {
    let b = |msgs: &[(&str, &str)]| run(msgs).budget.map(|b| b.amount.to_string());
    assert_eq!(
        b(&[
            ("in", "Tengo 45 lucas verdes"),
            ("in", "Bueno, estiro a 48 lucas como mucho")
        ])
        .as_deref(),
        Some("48000")
    );
    assert_eq!(
        b(&[
            ("in", "Meu orçamento é 160 mil reais"),
            ("in", "Se precisar dá pra subir pra 170 mil reais, mas é o teto")
        ])
        .as_deref(),
        Some("170000")
    );
    assert_eq!(
        b(&[
            ("in", "Tenho 150 mil reais"),
            ("in", "Pensando melhor, não passo de 140 mil reais")
        ])
        .as_deref(),
        Some("140000")
    );
    assert_eq!(
        b(&[("in", "I'm working on about 40k all up")]).as_deref(),
        Some("40000")
    );
    // "خلها ١١٥ ونقفل الموضوع" is a counter-offer: the stated limit stands.
    assert_eq!(
        b(&[
            ("in", "ميزانيتي ١٢٠ ألف ريال، مو أكثر"),
            ("in", "طيب خلها ١١٥ ألف ريال ونقفل الموضوع")
        ])
        .as_deref(),
        Some("120000")
    );
}

#[test]
fn more_ways_to_give_a_name() {
    let name = |t: &str| {
        run_with(&[("in", "Is the Tucson available?"), ("in", t)], None)
            .contact
            .name
    };
    assert_eq!(
        name("السلام عليكم، معك فهد بن سعد القحطاني. أبي ونيت ديزل").as_deref(),
        Some("فهد بن سعد القحطاني")
    );
    assert_eq!(
        name("مساء الخير، أخوك سالم المزروعي. أبا لاندكروزر").as_deref(),
        Some("سالم المزروعي")
    );
    assert_eq!(
        name("Michael Turner, by the way. I'm moving to Lima for work").as_deref(),
        Some("Michael Turner")
    );
    assert_eq!(
        name("Ok. Send the invoice to me please. - Tyrone Jackson").as_deref(),
        Some("Tyrone Jackson")
    );
    assert_eq!(
        name("Buenas noches, habla con Andrés Felipe Morales. Quiero un carrito").as_deref(),
        Some("Andrés Felipe Morales")
    );
    assert_eq!(
        name("Bom dia. Fala o Domingos Kiala. Estou interessado").as_deref(),
        Some("Domingos Kiala")
    );
    assert_eq!(
        name("Combinado. Obrigado, Tiago Sá Pereira.").as_deref(),
        Some("Tiago Sá Pereira")
    );
    // Not names: "I talked with you two weeks ago", "it's the Civic".
    assert_eq!(name("مرحبا، حكيت معكم قبل أسبوعين عن التوسان"), None);
    assert_eq!(name("O que eu quero é o Tucson"), None);
    assert_eq!(name("The Tucson here is cheaper than in Dubai"), None);
    assert_eq!(name("Great Price, by the way"), None);
    assert_eq!(name("Thanks, Hyundai Tucson"), None);
    assert_eq!(name("Obrigado, Boa Noite"), None);
}

#[test]
fn rejecting_that_one_and_a_no_before_the_model() {
    assert_eq!(
        interests(&[
            ("in", "Please how much is the Tacoma?"),
            ("out", "The 2024 Tacoma is 44,900 USD"),
            (
                "in",
                "Haba. That one is too expensive abeg, forget am. What about the Frontier?"
            )
        ]),
        vec!["Frontier"]
    );
    assert_eq!(
        interests(&[
            ("in", "Do you have a Tacoma?"),
            ("out", "No, but a Frontier"),
            ("in", "Ok, no Tacoma then. The Frontier is fine")
        ]),
        vec!["Frontier"]
    );
    assert_eq!(
        interests(&[
            ("in", "Tacoma ou Frontier?"),
            ("in", "Tira a Tacoma da lista, vamos de Frontier")
        ]),
        vec!["Frontier"]
    );
    assert_eq!(
        interests(&[
            ("in", "Tacoma or Frontier?"),
            ("in", "The wife wants an SUV, so scrap the Tacoma. The Frontier then")
        ]),
        vec!["Frontier"]
    );
    assert_eq!(
        interests(&[
            ("in", "التاكوما ولا الفرونتير؟"),
            ("in", "التاكوما ما أباه، خلنا على الفرونتير")
        ]),
        vec!["Frontier"]
    );
    // A question keeps it: "no Tacoma in stock?"
    assert_eq!(
        interests(&[("in", "I like the Tacoma"), ("in", "So no Tacoma in stock at all?")]),
        vec!["Tacoma"]
    );
}

#[test]
fn more_stated_deadlines() {
    use dossier_core::profile::Urgency;
    let u = |t: &str| run(&[("in", "I like the Tucson"), ("in", t)]).urgency;
    assert_eq!(
        u("I land in Lima on December 10 and need a car that week"),
        Some(Urgency::High)
    );
    assert_eq!(
        u("I'll pay cash and want to close it by Monday since my job starts Tuesday"),
        Some(Urgency::High)
    );
    assert_eq!(
        u("Tem de ser nesta sexta, que na semana seguinte estou fora"),
        Some(Urgency::High)
    );
    assert_eq!(u("سفري يوم ٢٠ الشهر، لازم تكون جاهزة قبلها"), Some(Urgency::High));
    assert_eq!(u("I'll come by this week to see it"), Some(Urgency::Normal));
}

#[test]
fn a_wanted_car_with_its_mileage_stays_wanted() {
    assert_eq!(
        interests(&[
            ("out", "Hi! Are you looking to trade in a car?"),
            ("in", "No trade-in. The 2022 Tucson with 20,000 km looks perfect for us")
        ]),
        vec!["Tucson"]
    );
    assert_eq!(
        interests(&[
            ("in", "Is the used Tucson still there?"),
            ("out", "Yes! Cash or finance? Any trade-in?"),
            ("in", "Cash. The Tucson with 20,000 km is the one I want")
        ]),
        vec!["Tucson"]
    );
}
