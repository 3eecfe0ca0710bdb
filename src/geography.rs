//! Geography: the levels areas are reported at, the England and Wales
//! total's code, and the LA lookup (each LA's name, region and numeric
//! attributes such as population). The lookup is read once per run, by
//! `execute`, from the geography table the catalog names; everything later
//! reads this copy.

use std::collections::BTreeMap;

/// Code of the England and Wales total.
pub const NATIONAL_CODE: &str = "E92000001+W92000004";
/// Name of the England and Wales total.
pub const NATIONAL_NAME: &str = "England and Wales";

/// The level of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AreaLevel {
    /// England and Wales.
    National,
    /// A DOM region.
    Region,
    /// A local authority.
    La,
}

impl AreaLevel {
    /// `national`, `region` or `la`.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::National => "national",
            AreaLevel::Region => "region",
            AreaLevel::La => "la",
        }
    }
}

/// One local authority.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// GSS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region GSS code.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Numeric attributes (population, ...) by column name.
    pub attributes: BTreeMap<String, f64>,
}

/// Every LA of the geography table, sorted by code.
#[derive(Debug, Clone, Default)]
pub struct AreaLookup {
    /// LAs by code.
    pub las: BTreeMap<String, Area>,
}

impl AreaLookup {
    /// Regions: code -> name, sorted by code.
    pub fn regions(&self) -> BTreeMap<String, String> {
        self.las
            .values()
            .map(|a| (a.region_code.clone(), a.region_name.clone()))
            .collect()
    }

    /// The LAs of a region, by code.
    pub fn in_region<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Area> + 'a {
        self.las.values().filter(move |a| a.region_code == region)
    }
}
