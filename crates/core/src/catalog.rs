//! A company's inventory feed (docs/conversation-and-profile.md §6): CSV with a header row.
//!
//! A bad row is reported with its line number and reason and skipped; it never fails the load,
//! so one typo in a dealer's export does not take the whole inventory offline.

use crate::money::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    New,
    Used,
    Certified,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::New => "new",
            Condition::Used => "used",
            Condition::Certified => "certified",
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Condition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(Condition::New),
            "used" => Ok(Condition::Used),
            "certified" | "cpo" => Ok(Condition::Certified),
            other => Err(format!("condition `{other}` is not new, used or certified")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VehicleStatus {
    Available,
    Reserved,
    Sold,
}

impl FromStr for VehicleStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "available" | "" => Ok(VehicleStatus::Available),
            "reserved" => Ok(VehicleStatus::Reserved),
            "sold" => Ok(VehicleStatus::Sold),
            other => Err(format!("status `{other}` is not available, reserved or sold")),
        }
    }
}

/// One vehicle of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub id: String,
    pub branch: String,
    pub make: String,
    pub model: String,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<String>,
    pub condition: Condition,
    pub price: Decimal,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mileage_km: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transmission: Option<String>,
    pub status: VehicleStatus,
    /// Columns the spec does not name, kept as they are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl Vehicle {
    /// "Toyota Corolla 2022 LE".
    pub fn title(&self) -> String {
        match &self.trim {
            Some(t) => format!("{} {} {} {}", self.make, self.model, self.year, t),
            None => format!("{} {} {}", self.make, self.model, self.year),
        }
    }

    pub fn is_available(&self) -> bool {
        self.status == VehicleStatus::Available
    }
}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("catalog {path}: {reason}")]
    Header { path: String, reason: String },
}

/// A loaded catalog, plus the rows that were skipped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    pub vehicles: Vec<Vehicle>,
    #[serde(skip)]
    pub skipped: Vec<RowError>,
}

const REQUIRED: [&str; 5] = ["id", "make", "model", "year", "price"];
const KNOWN: [&str; 15] = [
    "id",
    "branch",
    "make",
    "model",
    "year",
    "trim",
    "condition",
    "price",
    "currency",
    "mileage_km",
    "color",
    "body",
    "fuel",
    "transmission",
    "status",
];

impl Catalog {
    /// Loads a CSV file. Only an unreadable file or a header without the required columns fails.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let bytes = std::fs::read(path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Catalog::from_csv(&bytes).map_err(|reason| CatalogError::Header {
            path: path.display().to_string(),
            reason,
        })
    }

    /// Parses CSV bytes; returns an error only when the header lacks a required column.
    pub fn from_csv(bytes: &[u8]) -> Result<Catalog, String> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| format!("bad header row: {e}"))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        for r in REQUIRED {
            if !headers.iter().any(|h| h == r) {
                return Err(format!("header has no `{r}` column"));
            }
        }
        let mut catalog = Catalog::default();
        let mut seen = std::collections::HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = rec
                .as_ref()
                .ok()
                .and_then(|r| r.position().map(|p| p.line()))
                .unwrap_or(i as u64 + 2);
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    catalog.skipped.push(RowError {
                        line,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let row: BTreeMap<&str, &str> = headers.iter().map(String::as_str).zip(rec.iter()).collect();
            match vehicle_from_row(&row) {
                Ok(v) if !seen.insert(v.id.clone()) => catalog.skipped.push(RowError {
                    line,
                    reason: format!("duplicate id `{}`", v.id),
                }),
                Ok(v) => catalog.vehicles.push(v),
                Err(reason) => catalog.skipped.push(RowError { line, reason }),
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&Vehicle> {
        self.vehicles.iter().find(|v| v.id == id)
    }

    /// The branches the catalog lists, in the order they first appear.
    pub fn branches(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in &self.vehicles {
            if !out.contains(&v.branch) {
                out.push(v.branch.clone());
            }
        }
        out
    }

    /// Distinct (make, model) pairs as the catalog writes them.
    pub fn models(&self) -> Vec<(String, String)> {
        let mut set: Vec<(String, String)> = self
            .vehicles
            .iter()
            .map(|v| (v.make.clone(), v.model.clone()))
            .collect();
        set.sort();
        set.dedup();
        set
    }
}

fn vehicle_from_row(row: &BTreeMap<&str, &str>) -> Result<Vehicle, String> {
    let get = |k: &str| row.get(k).copied().unwrap_or("").trim();
    let opt = |k: &str| Some(get(k)).filter(|s| !s.is_empty()).map(str::to_owned);
    let req = |k: &str| {
        let v = get(k);
        if v.is_empty() {
            Err(format!("`{k}` is empty"))
        } else {
            Ok(v.to_owned())
        }
    };
    let year: i32 = req("year")?
        .parse()
        .map_err(|_| format!("year `{}` is not a number", get("year")))?;
    if !(1900..=2100).contains(&year) {
        return Err(format!("year {year} is out of range"));
    }
    let price =
        Decimal::from_str(&req("price")?).map_err(|_| format!("price `{}` is not a decimal number", get("price")))?;
    if price.is_sign_negative() {
        return Err(format!("price {price} is negative"));
    }
    let currency = match get("currency") {
        "" => Currency::USD,
        c => Currency::parse(c)?,
    };
    let condition = match get("condition") {
        "" => Condition::Used,
        c => c.parse()?,
    };
    let mileage_km = match get("mileage_km") {
        "" => None,
        m => Some(
            m.parse::<u64>()
                .map_err(|_| format!("mileage_km `{m}` is not a whole number"))?,
        ),
    };
    let attributes = row
        .iter()
        .filter(|(k, v)| !KNOWN.contains(k) && !v.is_empty())
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Ok(Vehicle {
        id: req("id")?,
        branch: opt("branch").unwrap_or_default(),
        make: req("make")?,
        model: req("model")?,
        year,
        trim: opt("trim"),
        condition,
        price,
        currency,
        mileage_km,
        color: opt("color"),
        body: opt("body").map(|b| b.to_lowercase()),
        fuel: opt("fuel").map(|b| b.to_lowercase()),
        transmission: opt("transmission").map(|b| b.to_lowercase()),
        status: get("status").parse()?,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_rows_and_reports_bad_ones() {
        let csv = "id,branch,make,model,year,trim,condition,price,currency,mileage_km,color,body,fuel,transmission,status,vin\n\
DT-1,Downtown,Toyota,Corolla,2022,LE,used,21400,USD,46200,white,sedan,gasoline,cvt,available,ABC\n\
DT-2,Downtown,Toyota,Corolla,20x2,LE,used,21400,USD,46200,white,sedan,gasoline,cvt,available,\n\
DT-3,Downtown,Honda,Civic,2020,,used,-5,USD,,,,,,sold,\n\
DT-1,Downtown,Toyota,Corolla,2022,LE,used,21400,USD,46200,white,sedan,gasoline,cvt,available,\n";
        let c = Catalog::from_csv(csv.as_bytes()).unwrap();
        assert_eq!(c.vehicles.len(), 1);
        assert_eq!(c.vehicles[0].attributes.get("vin").map(String::as_str), Some("ABC"));
        let lines: Vec<u64> = c.skipped.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(c.skipped[0].reason.contains("year"));
        assert!(c.skipped[2].reason.contains("duplicate"));
    }

    #[test]
    fn refuses_a_header_without_required_columns() {
        assert!(Catalog::from_csv(b"id,make\nx,y\n").is_err());
    }

    #[test]
    fn loads_the_sample_catalog() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog/demo-motors.csv");
        let c = Catalog::load(&path).unwrap();
        assert_eq!(c.vehicles.len(), 80);
        assert!(c.skipped.is_empty());
    }
}
