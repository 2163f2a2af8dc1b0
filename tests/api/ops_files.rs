//! The operator files in deploy/ name only metrics (and label values) the code exports: a
//! dashboard panel or an alert on a metric that was renamed would stay silent forever.

use std::collections::BTreeSet;
use std::path::Path;

fn source_text() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).expect("read source"));
            }
        }
    }
    let mut out = String::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// Metric names a PromQL text uses, histogram series folded to the histogram's name.
fn metric_names(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"\bdossier_[a-z_]+").unwrap();
    re.find_iter(text)
        .map(|m| {
            let name = m.as_str();
            ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name)
                .to_owned()
        })
        .collect()
}

/// `label="value"` matchers with a literal value.
fn label_values(text: &str) -> BTreeSet<(String, String)> {
    let re = regex::Regex::new(r#"\b([a-z_]+)=\\?"([a-z_]+)\\?""#).unwrap();
    re.captures_iter(text)
        .map(|c| (c[1].to_owned(), c[2].to_owned()))
        .collect()
}

fn check(file: &str, text: &str, src: &str) {
    let names = metric_names(text);
    assert!(names.len() >= 5, "{file} names only {names:?}");
    for name in &names {
        assert!(
            src.contains(&format!("\"{name}\"")),
            "{file} uses {name}, which the code never exports"
        );
    }
    for (label, value) in label_values(text) {
        assert!(
            src.contains(&format!("\"{label}\"")) && src.contains(&format!("\"{value}\"")),
            "{file} matches {label}=\"{value}\", which the code never sets"
        );
    }
}

#[test]
fn alert_rules_and_dashboard_name_only_exported_metrics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let src = source_text();

    let alerts = std::fs::read_to_string(root.join("prometheus/alerts.yml")).expect("alerts.yml");
    let rules = alerts.matches("- alert:").count();
    assert!(rules >= 4, "expected the alert rules, found {rules}");
    assert_eq!(rules, alerts.matches("expr:").count(), "every alert has one expr");
    for needed in [
        "dossier_queue_backlog",
        "dossier_redis_durable",
        "outcome=\"dead\"",
        "outcome=\"rejected\"",
    ] {
        assert!(alerts.contains(needed), "alerts.yml lacks {needed}");
    }
    check("alerts.yml", &alerts, &src);

    let dash = std::fs::read_to_string(root.join("grafana/dossier.json")).expect("dossier.json");
    let json: serde_json::Value = serde_json::from_str(&dash).expect("dashboard is JSON");
    let panels = json["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    let mut exprs = String::new();
    for p in panels {
        for t in p["targets"].as_array().expect("targets") {
            exprs.push_str(t["expr"].as_str().expect("expr"));
            exprs.push('\n');
        }
    }
    check("dossier.json", &exprs, &src);
}

#[test]
fn the_check_catches_a_renamed_metric() {
    let src = source_text();
    let bad = "rate(dossier_messages_stored_totally[5m])";
    let r = std::panic::catch_unwind(|| {
        check(
            "x",
            &format!(
                "{bad} dossier_jobs_total dossier_redis_durable dossier_queue_backlog dossier_store_seconds_bucket"
            ),
            &src,
        )
    });
    assert!(r.is_err());
}
