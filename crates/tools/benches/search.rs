//! Search benchmark: a deterministic 10,000-vehicle catalog, ~2,000 varied queries, several rounds.
//! Prints catalog load + index build time and p50/p99 latency per query (target p99 ≤ 1 ms).
//!
//! `CARGO_TARGET_DIR=target-tools cargo bench -p dossier-tools --bench search`

use dossier_core::Catalog;
use dossier_tools::{ProgramBook, RateTable, Tools};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Tiny deterministic PRNG (SplitMix64): same catalog and queries on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

const MODELS: &[(&str, &str, &str)] = &[
    ("Toyota", "Corolla", "sedan"),
    ("Toyota", "Corolla Cross", "suv"),
    ("Toyota", "Camry", "sedan"),
    ("Toyota", "RAV4", "suv"),
    ("Toyota", "Tacoma", "pickup"),
    ("Toyota", "Highlander", "suv"),
    ("Honda", "Civic", "sedan"),
    ("Honda", "Accord", "sedan"),
    ("Honda", "CR-V", "suv"),
    ("Honda", "HR-V", "suv"),
    ("Honda", "Pilot", "suv"),
    ("Ford", "F-150", "pickup"),
    ("Ford", "Mustang", "coupe"),
    ("Ford", "Escape", "suv"),
    ("Ford", "Explorer", "suv"),
    ("Ford", "Maverick", "pickup"),
    ("Chevrolet", "Silverado 1500", "pickup"),
    ("Chevrolet", "Equinox", "suv"),
    ("Chevrolet", "Malibu", "sedan"),
    ("Chevrolet", "Tahoe", "suv"),
    ("Nissan", "Sentra", "sedan"),
    ("Nissan", "Altima", "sedan"),
    ("Nissan", "Rogue", "suv"),
    ("Nissan", "Frontier", "pickup"),
    ("Hyundai", "Elantra", "sedan"),
    ("Hyundai", "Tucson", "suv"),
    ("Hyundai", "Santa Fe", "suv"),
    ("Hyundai", "Ioniq 5", "suv"),
    ("Mazda", "Mazda3", "hatchback"),
    ("Mazda", "CX-5", "suv"),
    ("Jeep", "Wrangler", "suv"),
    ("Jeep", "Grand Cherokee", "suv"),
    ("Tesla", "Model 3", "sedan"),
    ("Tesla", "Model Y", "suv"),
    ("Kia", "Sportage", "suv"),
    ("Kia", "Forte", "sedan"),
    ("Volkswagen", "Jetta", "sedan"),
    ("Volkswagen", "Tiguan", "suv"),
    ("Subaru", "Outback", "suv"),
    ("Subaru", "Crosstrek", "suv"),
];
const TRIMS: &[&str] = &[
    "LE",
    "SE",
    "XLE Hybrid",
    "EX",
    "Sport",
    "LX",
    "XLT",
    "Lariat",
    "LT",
    "RST",
    "SV Crew Cab 4x4",
    "Limited AWD",
    "TRD Off-Road 4x4",
    "Touring",
    "Premium",
    "Standard Range",
];
const COLORS: &[&str] = &["white", "black", "silver", "gray", "red", "blue", "green", "beige"];
const BRANCHES: &[&str] = &["Downtown", "Northside", "Airport", "Westgate", "Polanco", "Lakeside"];
const FUELS: &[&str] = &["gasoline", "gasoline", "gasoline", "hybrid", "electric", "diesel"];
const TRANS: &[&str] = &["automatic", "automatic", "cvt", "manual"];
const CONDS: &[&str] = &["new", "used", "used", "certified"];
const STATUS: &[&str] = &["available", "available", "available", "available", "reserved", "sold"];

fn catalog_csv(n: usize) -> String {
    let mut r = Rng(42);
    let mut s = String::from(
        "id,branch,make,model,year,trim,condition,price,currency,mileage_km,color,body,fuel,transmission,status\n",
    );
    for i in 0..n {
        let (make, model, body) = *r.pick(MODELS);
        let year = r.range(2012, 2026);
        let price = r.range(80, 700) * 100;
        s.push_str(&format!(
            "GEN-{i:05},{},{make},{model},{year},{},{},{price},USD,{},{},{body},{},{},{}\n",
            r.pick(BRANCHES),
            r.pick(TRIMS),
            r.pick(CONDS),
            r.range(0, 200_000),
            r.pick(COLORS),
            r.pick(FUELS),
            r.pick(TRANS),
            r.pick(STATUS),
        ));
    }
    s
}

fn queries(n: usize) -> Vec<Value> {
    let mut r = Rng(7);
    let free = [
        "corola",
        "camioneta blanca",
        "sedán blanco",
        "بيك اب",
        "suv under 25k",
        "white corolla 2022",
        "crv",
        "f150 4x4",
        "híbrido",
        "eléctrico",
        "quiero una camioneta negra por favor",
        "tacoma trd",
        "silverrado",
        "hyundia tucson",
        "model 3 2023",
        "caminhonete preta",
        "سيدان أبيض",
        "jeep wrangler manual",
        "toyo",
        "mazda cx-5 2021",
        "pickup hasta 30 mil",
        "awd",
        "certified honda",
        "nuevo",
        "grand cherokee",
        "كهربائي",
        "rav4 hybrid 2024",
        "ford",
        "coupe red",
        "subaru outback",
    ];
    (0..n)
        .map(|i| match i % 5 {
            0 | 1 => json!({ "query": r.pick(&free), "limit": 10 }),
            2 => {
                let (make, model, _) = *r.pick(MODELS);
                json!({ "make": make, "model": model, "year_min": r.range(2015, 2022) })
            }
            3 => json!({
                "query": format!("{} {}", r.pick(COLORS), r.pick(MODELS).1),
                "price_max": r.range(150, 600).to_string() + "00",
                "offset": r.range(0, 3),
            }),
            _ => json!({ "body": *r.pick(&["pickup", "suv", "sedan", "camioneta"]), "branch": r.pick(BRANCHES), "condition": r.pick(CONDS) }),
        })
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    const N: usize = 10_000;
    let csv = catalog_csv(N);
    let mut loads = Vec::new();
    let mut tools = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        let catalog = Catalog::from_csv(csv.as_bytes()).expect("catalog");
        let t1 = Instant::now();
        let t = Tools::new(catalog, RateTable::default(), ProgramBook::default());
        let t2 = Instant::now();
        loads.push((t1 - t0, t2 - t1));
        tools = Some(t);
    }
    let tools = tools.expect("built");
    assert_eq!(tools.catalog().vehicles.len(), N);
    loads.sort();
    let (parse, index) = loads[loads.len() / 2];
    println!(
        "catalog {N} rows: CSV parse {:.1} ms + index build {:.1} ms = {:.1} ms (median of 5)",
        parse.as_secs_f64() * 1e3,
        index.as_secs_f64() * 1e3,
        (parse + index).as_secs_f64() * 1e3
    );

    let qs = queries(2_000);
    let mut total_hits = 0usize;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    // Per query, its fastest of the rounds: on a shared machine a preemption (a 4 ms time slice)
    // lands in some query's wall time; the minimum over rounds shows the query's own cost.
    let mut best = vec![Duration::MAX; qs.len()];
    for round in 1..=5 {
        let mut times = Vec::with_capacity(qs.len());
        for q in &qs {
            let t0 = Instant::now();
            let out = tools.call("inventory_search", q.clone(), None).expect("search");
            times.push(t0.elapsed());
            total_hits += out["total"].as_u64().unwrap_or(0) as usize;
        }
        if round == 1 && std::env::var_os("BENCH_SLOWEST").is_some() {
            let mut idx: Vec<usize> = (0..qs.len()).collect();
            idx.sort_by_key(|&i| std::cmp::Reverse(times[i]));
            for &i in idx.iter().take(8) {
                println!("  slow: {:>7.1} µs  {}", times[i].as_secs_f64() * 1e6, qs[i]);
            }
        }
        for (b, t) in best.iter_mut().zip(&times) {
            *b = (*b).min(*t);
        }
        times.sort();
        println!(
            "round {round}: {} queries  p50 {:>6.1} µs  p99 {:>7.1} µs  max {:>7.1} µs",
            times.len(),
            us(pct(&times, 0.50)),
            us(pct(&times, 0.99)),
            us(times.last().copied().unwrap_or_default()),
        );
    }
    best.sort();
    println!(
        "best of 5 per query:   p50 {:>6.1} µs  p99 {:>7.1} µs  max {:>7.1} µs",
        us(pct(&best, 0.50)),
        us(pct(&best, 0.99)),
        us(best.last().copied().unwrap_or_default()),
    );
    println!("(checksum {total_hits})");
}
