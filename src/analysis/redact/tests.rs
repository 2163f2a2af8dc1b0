use super::*;

fn red(text: &str) -> String {
    Redactor::new().redact(text)
}

fn kept(text: &str) {
    assert_eq!(red(text), text, "should be left alone: {text}");
}

#[test]
fn phones_in_many_formats() {
    assert_eq!(red("call me at +52 55 1234 5678 please"), "call me at [PHONE_1] please");
    assert_eq!(red("my number is (555) 123-4567."), "my number is [PHONE_1].");
    assert_eq!(red("555.123.4567"), "[PHONE_1]");
    assert_eq!(red("5215512345678"), "[PHONE_1]");
    assert_eq!(red("+1-202-555-0143"), "[PHONE_1]");
    assert_eq!(red("tel: 612 345 678"), "tel: [PHONE_1]");
}

#[test]
fn english() {
    let mut r = Redactor::new();
    let out = r.redact("Hi, I'm John, john.doe@example.com, cell 415-555-0199. Budget $25,000 for a 2022 RAV4.");
    assert_eq!(
        out,
        "Hi, I'm John, [EMAIL_1], cell [PHONE_1]. Budget $25,000 for a 2022 RAV4."
    );
    assert_eq!(
        r.restore("Write to [EMAIL_1] or [PHONE_1]"),
        "Write to john.doe@example.com or 415-555-0199"
    );
    kept("The monthly is $450 and the car is 1,250,000 pesos");
    kept("Between 2019-2022 models, 2018 2019 2020 too");
    kept("SSN-like but a date: 2026-10-01, and 01/10/2026");
    assert_eq!(red("my SSN is 123-45-6789"), "my SSN is [ID_1]");
    assert_eq!(red("card 4111 1111 1111 1111 exp 12/27"), "card [CARD_1] exp 12/27");
    assert_eq!(red("pay 4111111111111111"), "pay [CARD_1]");
    assert_eq!(red("amex 3782 822463 10005"), "amex [CARD_1]");
}

#[test]
fn spanish() {
    let mut r = Redactor::new();
    let out = r.redact("Hola, soy Mariana, mi correo es mariana.lopez@correo.com.mx y mi cel 55 1234 5678. Tengo 350 mil pesos, o $350.000");
    assert_eq!(
        out,
        "Hola, soy Mariana, mi correo es [EMAIL_1] y mi cel [PHONE_1]. Tengo 350 mil pesos, o $350.000"
    );
    kept("El Corolla 2022 cuesta 1.250.000 y la mensualidad 12.500,50");
    kept("presupuesto de 25,000 dólares, enganche de 5000");
    kept("tengo 1250000 para el carro, o hasta 25000000 en pesos colombianos");
    // The same number written twice gets the same placeholder.
    assert_eq!(r.redact("otra vez: 5512345678"), "otra vez: [PHONE_1]");
}

#[test]
fn portuguese() {
    let mut r = Redactor::new();
    let out = r.redact("Meu CPF é 123.456.789-09 e o CNPJ 12.345.678/0001-90, zap (11) 98765-4321");
    assert_eq!(out, "Meu CPF é [ID_1] e o CNPJ [ID_2], zap [PHONE_1]");
    kept("Tenho R$ 120 mil de entrada, ou R$ 120.000,00, carro 2021");
    kept("parcela de R$1.500 em 48x");
    assert_eq!(r.restore("CPF [ID_1]"), "CPF 123.456.789-09");
}

#[test]
fn arabic() {
    let mut r = Redactor::new();
    let out = r.redact("رقمي ٠٥٠١٢٣٤٥٦٧ والإيميل ahmed@mail.ae");
    assert_eq!(out, "رقمي [PHONE_1] والإيميل [EMAIL_1]");
    assert_eq!(r.restore("[PHONE_1]"), "٠٥٠١٢٣٤٥٦٧");
    kept("ميزانيتي ٢٠٠ ألف درهم لسيارة ٢٠٢٢");
    kept("السعر ١٢٠٬٠٠٠ درهم");
    assert_eq!(red("اتصل على +971 50 123 4567"), "اتصل على [PHONE_1]");
}

#[test]
fn urls_with_tokens_only() {
    assert_eq!(
        red("see https://pay.example.com/checkout?token=abc123&user=9, thanks"),
        "see [URL_1], thanks"
    );
    kept("our stock: https://dealer.example.com/corolla-2022.");
}

#[test]
fn message_ids_and_timestamps_are_not_phones() {
    kept("[wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjA] (in) 2026-10-01T15:04:05Z: hola");
    kept("[wamid.1234567890] (out) 2026-10-01T15:04:05Z: ok");
    kept("[msg-1234567] (in)");
}

/// Personal data that must never reach a model, in the four languages, and what must stay.
#[test]
fn nothing_personal_leaves_in_any_language() {
    // (text, the secret that must be gone)
    let leaks: &[(&str, &str)] = &[
        // phones, every way people write them
        ("call 612.345.678 tomorrow", "612.345.678"),
        ("mi número es 612.345.678", "612.345.678"),
        ("Tel.5512345678", "5512345678"),
        ("tel:+5215512345678", "5215512345678"),
        ("numero5512345678 por favor", "5512345678"),
        ("Cel:5512345678", "5512345678"),
        ("whatsapp5512345678", "5512345678"),
        ("escríbeme a wa.me/5215512345678", "5215512345678"),
        ("https://wa.me/5215512345678?text=hola", "5215512345678"),
        ("https://api.whatsapp.com/send?phone=5215512345678", "5215512345678"),
        ("my number: 4 0 4 5 5 5 0 1 9 9", "4 0 4 5 5 5 0 1 9 9"),
        ("llámame al ５５１２３４５６７８", "５５１２３４５６７８"),
        ("my cell is 404 555\n0199", "0199"),
        ("(55) 1234\n5678 es mi cel", "5678"),
        ("+52 55 1234 5678", "1234 5678"),
        ("(555) 123-4567", "123-4567"),
        ("+1-202-555-0143", "555-0143"),
        ("zap (11) 98765-4321", "98765-4321"),
        ("liga no 11 98765 4321", "98765 4321"),
        ("meu celular é 11987654321", "11987654321"),
        ("+351 912 345 678", "912 345 678"),
        ("ligue 912 345 678", "912 345 678"),
        ("رقمي ٠٥٠١٢٣٤٥٦٧", "٠٥٠١٢٣٤٥٦٧"),
        ("جوالي 0501234567", "0501234567"),
        ("اتصل على +971 50 123 4567", "123 4567"),
        ("رقم:0551234567", "0551234567"),
        ("tel 5512345678 o 5587654321", "5587654321"),
        // e-mails, plain and dodging
        ("mariana.lopez@correo.com.mx", "mariana.lopez"),
        ("juan (at) gmail (dot) com", "juan"),
        ("juan at gmail dot com", "juan"),
        ("juan @ gmail.com", "juan"),
        ("juan[at]gmail[dot]com", "juan"),
        ("maria arroba hotmail punto com", "maria"),
        ("ana{at}empresa.com.br", "ana"),
        ("write to sam @ example . com", "sam"),
        ("البريد ahmed@mail.ae", "ahmed"),
        ("joao(at)uol.com.br", "joao"),
        // national ids
        ("mi CURP es GODE561231HDFRRN09", "GODE561231HDFRRN09"),
        ("RFC GODE561231AB1", "GODE561231AB1"),
        ("RFC empresa ABC010203XY9", "ABC010203XY9"),
        ("DNI 12345678Z", "12345678Z"),
        ("mi NIE es X1234567L", "X1234567L"),
        ("passport AB1234567", "AB1234567"),
        ("pasaporte G12345678", "G12345678"),
        ("DNI 12.345.678", "12.345.678"),
        ("cédula 1.234.567.890", "1.234.567.890"),
        ("mi cedula es 1234567890", "1234567890"),
        ("CPF 123.456.789-09", "123.456.789-09"),
        ("CNPJ 12.345.678/0001-90", "12.345.678/0001-90"),
        ("RG 12.345.678-9", "12.345.678-9"),
        ("SSN 123-45-6789", "123-45-6789"),
        ("رقم الهوية 1012345678", "1012345678"),
        ("رقم الإقامة 2123456789", "2123456789"),
        ("جواز السفر A12345678", "A12345678"),
        // cards and their codes
        ("card 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("4111-1111-1111-1111 exp 12/27 cvv 123", "123"),
        ("CVV: 9876", "9876"),
        ("código de seguridad 456", "456"),
        ("código de segurança 789", "789"),
        ("amex 3782 822463 10005", "822463"),
        // token URLs
        ("pay https://pay.example.com/x?token=abc123", "abc123"),
    ];
    assert!(leaks.len() >= 60, "{} cases", leaks.len());
    for (text, secret) in leaks {
        let out = Redactor::new().redact(text);
        assert!(!out.contains(secret), "{text:?} leaked {secret:?}: {out:?}");
    }
    // The customer's name, everywhere in the prompt (the profile JSON included).
    let mut r = Redactor::with_names(Some("Mariana López"));
    let out = r.redact(r#"{"contact":{"name":"Mariana López"}} Soy Mariana y busco un Corolla"#);
    assert!(!out.contains("Mariana") && !out.contains("López"), "{out}");
    assert!(out.contains("Corolla"));
    assert_eq!(
        r.restore(&out),
        r#"{"contact":{"name":"Mariana López"}} Soy Mariana y busco un Corolla"#
    );
    let mut r = Redactor::with_names(Some("محمود سعيد"));
    assert!(!r.redact("أنا محمود سعيد اللي كلمتكم").contains("محمود"));
    // What the model needs stays.
    for text in [
        "Budget $25,000 for a 2022 RAV4",
        "tengo 350 mil pesos o $350.000",
        "El Corolla 2022 cuesta 1.250.000 y la mensualidad 12.500,50",
        "presupuesto 250.000.000 pesos colombianos",
        "Tenho R$ 120 mil de entrada, ou R$ 120.000,00",
        "ميزانيتي ٢٠٠ ألف درهم لسيارة ٢٠٢٢",
        "models 2019-2022, delivery 2026-10-01",
        "CX-30, Model 3, F-150, X5, Q7, GLE450, Ioniq 5",
        "60 meses, 72 months, 48x",
        "the VIN ends in 123, stock DT-1004",
        "our stock: https://dealer.example.com/corolla-2022.",
        "[wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjA] (in) 2026-10-01T15:04:05Z: hola",
        "I am at the dealership at 5 pm",
        "25,000,000",
    ] {
        assert_eq!(Redactor::new().redact(text), text, "should be left alone");
    }
}

#[test]
fn log_lines_are_scrubbed() {
    let line = r#"WARN webhook content dead-lettered reason="message wamid.X: sender id: invalid +5215512345678" to=ana@example.com"#;
    let s = scrub(line);
    assert!(!s.contains("5215512345678") && !s.contains("ana@example.com"), "{s}");
    assert!(s.contains("[email]"), "{s}");
    assert_eq!(scrub("from 5215512345678 failed"), "from [phone] failed");
    let ts = "2026-12-01T14:23:43.123456Z INFO dossier: serving addr=127.0.0.1:8080 request_id=4f1c2a3b-9d8e-4c1b";
    assert_eq!(scrub(ts), ts, "timestamps, addresses and ids stay");
}

#[test]
fn restore_leaves_unknown_brackets() {
    let mut r = Redactor::new();
    r.redact("a@b.co");
    assert_eq!(
        r.restore("[EMAIL_1] [EMAIL_2] [x] [ unclosed"),
        "a@b.co [EMAIL_2] [x] [ unclosed"
    );
    let mut v = serde_json::json!({"email": {"value": "[EMAIL_1]"}, "list": ["[EMAIL_1]"]});
    r.restore_json(&mut v);
    assert_eq!(v["email"]["value"], "a@b.co");
    assert_eq!(v["list"][0], "a@b.co");
}
