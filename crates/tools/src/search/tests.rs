use super::synonyms::Synonyms;
use super::typo::osa_within;
use super::{LowestPriceInput, SYNONYMS_TOML, SearchIndex, SearchInput, SearchOutput};
use crate::ToolError;
use dossier_core::{Catalog, Condition, VehicleStatus};
use rust_decimal::Decimal;
use std::path::Path;

fn catalog() -> Catalog {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog/demo-motors.csv");
    Catalog::load(&path).unwrap()
}

struct Fixture {
    catalog: Catalog,
    index: SearchIndex,
}

fn fixture() -> Fixture {
    let catalog = catalog();
    let index = SearchIndex::build(&catalog);
    Fixture { catalog, index }
}

impl Fixture {
    fn q(&self, query: &str) -> SearchOutput {
        self.run(SearchInput {
            query: Some(query.into()),
            limit: Some(100),
            ..Default::default()
        })
    }

    fn run(&self, input: SearchInput) -> SearchOutput {
        self.index.search(&self.catalog, &input).unwrap()
    }
}

fn ids(o: &SearchOutput) -> Vec<&str> {
    o.items.iter().map(|i| i.id.as_str()).collect()
}

const PICKUPS: usize = 10; // available pickups in the sample catalog

#[test]
fn synonym_file_parses() {
    let s = Synonyms::parse(SYNONYMS_TOML).unwrap();
    assert!(s.groups.len() > 20);
    assert!(s.phrases.contains_key("بيك اب"));
    assert!(s.phrases.contains_key("sedan"));
}

#[test]
fn typo_corola_finds_corollas_first() {
    let f = fixture();
    let o = f.q("corola");
    assert_eq!(o.total, 4, "{o:?}");
    let top: Vec<&str> = o.items.iter().map(|i| i.model.as_str()).collect();
    assert_eq!(top, ["Corolla", "Corolla", "Corolla", "Corolla Cross"]);
    assert!(o.items[0].score.unwrap() > o.items[3].score.unwrap());
    // two typos in a long word
    let o = f.q("silverrado");
    assert!(
        o.items.iter().all(|i| i.model == "Silverado 1500") && o.total == 2,
        "{o:?}"
    );
    let o = f.q("hyundia");
    assert!(o.total > 0 && o.items.iter().all(|i| i.make == "Hyundai"));
}

#[test]
fn camioneta_means_pickup() {
    let f = fixture();
    for q in [
        "camioneta",
        "caminhonete",
        "picape",
        "troca",
        "pickup",
        "pick-up",
        "بيك اب",
        "بيكب",
        "بيك أب",
        "camionetas",
    ] {
        let o = f.q(q);
        assert_eq!(o.total, PICKUPS, "{q}: {:?}", ids(&o));
        assert!(o.items.iter().all(|i| i.body.as_deref() == Some("pickup")), "{q}");
    }
}

#[test]
fn sedan_blanco_in_three_languages() {
    let f = fixture();
    for q in [
        "sedán blanco",
        "sedã branco",
        "سيدان أبيض",
        "white sedan",
        "SEDAN BLANCA",
    ] {
        let o = f.q(q);
        assert_eq!(ids(&o), ["DT-1023", "DT-1001", "DT-1029"], "{q}");
        assert!(
            o.items
                .iter()
                .all(|i| i.color.as_deref() == Some("white") && i.body.as_deref() == Some("sedan"))
        );
    }
}

#[test]
fn chatty_queries_ignore_filler() {
    let f = fixture();
    let o = f.q("Hola, quiero una camioneta blanca por favor");
    assert!(o.total >= 2, "{o:?}");
    assert!(
        o.items
            .iter()
            .all(|i| i.color.as_deref() == Some("white") && i.body.as_deref() == Some("pickup"))
    );
    assert!(o.ignored.contains(&"hola".to_owned()), "{:?}", o.ignored);
}

#[test]
fn drive_fuel_and_transmission_words() {
    let f = fixture();
    let o = f.q("4x4");
    assert!(o.total >= 3);
    assert!(o.items.iter().all(|i| {
        let t = i.trim.as_deref().unwrap_or("").to_lowercase();
        t.contains("4x4") || t.contains("awd")
    }));
    let o = f.q("eléctrico");
    assert!(o.total >= 3 && o.items.iter().all(|i| i.fuel.as_deref() == Some("electric")));
    let o = f.q("كهربائي");
    assert!(o.total >= 3 && o.items.iter().all(|i| i.fuel.as_deref() == Some("electric")));
    let o = f.q("híbrido");
    assert!(o.total >= 3 && o.items.iter().all(|i| i.fuel.as_deref() == Some("hybrid")));
    let o = f.q("automático");
    assert!(
        o.items
            .iter()
            .all(|i| matches!(i.transmission.as_deref(), Some("automatic" | "cvt")))
    );
    let o = f.q("manual");
    assert!(o.total >= 2 && o.items.iter().all(|i| i.transmission.as_deref() == Some("manual")));
}

#[test]
fn model_spellings_and_years() {
    let f = fixture();
    for q in ["crv", "cr-v", "CR V", "honda crv"] {
        let o = f.q(q);
        assert!(
            o.total >= 3 && o.items.iter().all(|i| i.model == "CR-V"),
            "{q}: {:?}",
            ids(&o)
        );
    }
    let o = f.q("white corolla 2022");
    assert_eq!(ids(&o), ["DT-1001"]);
    let o = f.q("corolla 2022 2026");
    assert_eq!(o.total, 3, "{:?}", ids(&o));
    let o = f.q("model 3");
    assert!(o.items.iter().all(|i| i.model == "Model 3"));
    let o = f.q("toyo");
    assert!(o.total > 5 && o.items.iter().all(|i| i.make == "Toyota"));
}

#[test]
fn price_words_bound_the_price() {
    let f = fixture();
    for q in [
        "suv under 25k",
        "suv hasta 25 mil",
        "suv below $25,000",
        "suv até 25.000",
        "جيب اقل من 25 الف",
    ] {
        let o = f.q(q);
        assert!(o.total >= 3, "{q}");
        assert!(
            o.items
                .iter()
                .all(|i| i.body.as_deref() == Some("suv") && i.price <= Decimal::from(25000)),
            "{q}"
        );
    }
    let o = f.q("pickup from 2022");
    assert!(o.total > 0 && o.items.iter().all(|i| i.year >= 2022));
}

#[test]
fn filters() {
    let f = fixture();
    let o = f.run(SearchInput {
        make: Some("TOYOTA".into()),
        model: Some("corolla".into()),
        ..Default::default()
    });
    assert_eq!(o.total, 3);
    assert!(o.items.iter().all(|i| i.model == "Corolla"));
    let o = f.run(SearchInput {
        model: Some("Silverado".into()),
        ..Default::default()
    });
    assert_eq!(o.total, 2);
    let o = f.run(SearchInput {
        body: Some("camioneta".into()),
        branch: Some("northside".into()),
        condition: Some(Condition::Used),
        price_max: Some(Decimal::from(35000)),
        ..Default::default()
    });
    assert!(o.total >= 2);
    assert!(
        o.items
            .iter()
            .all(|i| i.branch == "Northside" && i.condition == Condition::Used && i.body.as_deref() == Some("pickup"))
    );
    let o = f.run(SearchInput {
        year_min: Some(2024),
        year_max: Some(2024),
        fuel: Some("gasoline".into()),
        transmission: Some("automatic".into()),
        ..Default::default()
    });
    assert!(
        o.items
            .iter()
            .all(|i| i.year == 2024 && i.fuel.as_deref() == Some("gasoline"))
    );
    let o = f.run(SearchInput {
        make: Some("Lamborghini".into()),
        ..Default::default()
    });
    assert_eq!(o.total, 0);
}

#[test]
fn unavailable_only_when_asked() {
    let f = fixture();
    let all = f.run(SearchInput {
        include_unavailable: Some(true),
        limit: Some(100),
        ..Default::default()
    });
    let avail = f.run(SearchInput {
        limit: Some(100),
        ..Default::default()
    });
    assert_eq!(all.total, 80);
    assert!(avail.total < 80);
    assert!(avail.items.iter().all(|i| i.status == VehicleStatus::Available));
    // unavailable ones rank below available ones
    let last = all.items.last().unwrap();
    assert_ne!(last.status, VehicleStatus::Available);
}

#[test]
fn pagination_is_stable() {
    let f = fixture();
    let page = |offset| {
        f.run(SearchInput {
            query: Some("suv".into()),
            limit: Some(5),
            offset: Some(offset),
            ..Default::default()
        })
    };
    let (a, b) = (page(0), page(5));
    assert_eq!(a.total, b.total);
    assert_eq!(a.items.len(), 5);
    let full = f.q("suv");
    let mut paged: Vec<&str> = ids(&a);
    paged.extend(ids(&b));
    assert_eq!(paged, ids(&full)[..10]);
    assert!(page(1000).items.is_empty());
    for w in full.items.windows(2) {
        assert!(w[0].score >= w[1].score);
    }
}

#[test]
fn bad_inputs_name_the_field() {
    let f = fixture();
    let field = |i: SearchInput| match f.index.search(&f.catalog, &i).unwrap_err() {
        ToolError::Invalid { field, .. } => field,
        e => panic!("{e:?}"),
    };
    assert_eq!(
        field(SearchInput {
            limit: Some(101),
            ..Default::default()
        }),
        "limit"
    );
    assert_eq!(
        field(SearchInput {
            year_min: Some(2024),
            year_max: Some(2020),
            ..Default::default()
        }),
        "year_min"
    );
    assert_eq!(
        field(SearchInput {
            price_min: Some(Decimal::from(-1)),
            ..Default::default()
        }),
        "price_min"
    );
}

#[test]
fn odd_queries_do_not_panic() {
    let f = fixture();
    for q in [
        "",
        " ",
        "🚗🚗",
        "٢٠٢٢",
        "999999999999999999999k",
        "a",
        "ال",
        "$$$",
        "under",
        "25k",
        "2022-2024",
        "x".repeat(400).as_str(),
    ] {
        let _ = f.q(q);
    }
    let o = f.q("٢٠٢٢ كورولا"); // Arabic-Indic digits fold to 2022
    assert!(o.items.iter().all(|i| i.year == 2022));
}

#[test]
fn osa_matches_strsim() {
    use proptest::prelude::*;
    proptest!(|(a in "[a-e]{0,9}", b in "[a-e]{0,9}", max in 0usize..3)| {
        let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let d = strsim::osa_distance(&a, &b);
        prop_assert_eq!(osa_within(&ca, &cb, max), (d <= max).then_some(d));
    });
}

#[test]
fn lowest_price() {
    let f = fixture();
    let lp = |make: &str, model: &str| {
        f.index
            .lowest_price(
                &f.catalog,
                &LowestPriceInput {
                    make: make.into(),
                    model: model.into(),
                    year: None,
                    trim: None,
                    condition: None,
                },
            )
            .unwrap()
    };
    let o = lp("toyota", "COROLLA");
    assert!(o.found);
    assert_eq!(o.count, 3);
    assert_eq!(o.lowest.as_ref().unwrap().id, "NS-2001");
    assert_eq!(o.runner_up.as_ref().unwrap().as_ref().unwrap().id, "DT-1001");
    let v = serde_json::to_value(&o).unwrap();
    assert_eq!(v["lowest"]["price"], "20900");
    let o = lp("Toyota", "Corolla Cross");
    assert_eq!(o.count, 1);
    assert_eq!(serde_json::to_value(&o).unwrap()["runner_up"], serde_json::Value::Null);
    let o = lp("Toyota", "Supra");
    assert!(!o.found);
    assert_eq!(
        serde_json::to_value(&o).unwrap(),
        serde_json::json!({"found": false, "count": 0})
    );
    // trim and year narrow it; reserved/sold never count
    let o = f
        .index
        .lowest_price(
            &f.catalog,
            &LowestPriceInput {
                make: "Toyota".into(),
                model: "Tacoma".into(),
                year: Some(2026),
                trim: Some("trd sport 4x4".into()),
                condition: Some(Condition::New),
            },
        )
        .unwrap();
    assert_eq!(o.count, 1, "{o:?}"); // DT-1038 is sold
    assert!(matches!(
        f.index.lowest_price(
            &f.catalog,
            &LowestPriceInput {
                make: " ".into(),
                model: "x".into(),
                year: None,
                trim: None,
                condition: None
            }
        ),
        Err(ToolError::Invalid { .. })
    ));
}
