//! The geography: the 152 English upper-tier LAA authorities of 2009 and the
//! 22 Welsh unitary authorities, embedded from `areas.csv`.

use super::error::GenerateError;

/// The embedded lookup, sorted by `la_code`.
const AREAS_CSV: &str = include_str!("areas.csv");

/// The header `areas.csv` must have, which is also the `areas` table's columns.
const HEADER: &str = "la_code,la_name,region_code,region_name,probation_area,population,population_18plus,population_10_17";

/// One local authority: a row of the `areas` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// ONS GSS code, e.g. `E08000003`.
    pub la_code: String,
    /// Name, e.g. `Manchester`.
    pub la_name: String,
    /// GSS code of the Government Office region, or `W92000004` for Wales.
    pub region_code: String,
    /// Region name, e.g. `North West`.
    pub region_name: String,
    /// Probation area name.
    pub probation_area: String,
    /// Mid-year population, all ages.
    pub population: i64,
    /// Mid-year population aged 18 and over.
    pub population_18plus: i64,
    /// Mid-year population aged 10-17.
    pub population_10_17: i64,
}

/// The kind of authority, read from the GSS code prefix; it drives how
/// urban an area's crime and offending rates are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// `E06`: English unitary authority.
    Unitary,
    /// `E08`: metropolitan district.
    Metropolitan,
    /// `E09`: London borough (and the City of London).
    London,
    /// `E10`: shire county.
    County,
    /// `W06`: Welsh unitary authority.
    Welsh,
}

impl Area {
    /// The kind of authority, from the code prefix.
    pub fn kind(&self) -> AreaKind {
        match self.la_code.get(..3) {
            Some("E08") => AreaKind::Metropolitan,
            Some("E09") => AreaKind::London,
            Some("E10") => AreaKind::County,
            Some("W06") => AreaKind::Welsh,
            _ => AreaKind::Unitary,
        }
    }

    /// Whether the authority is in England (TellUs covered England only).
    pub fn is_english(&self) -> bool {
        self.la_code.starts_with('E')
    }
}

/// Parses the embedded `areas.csv` (sorted by `la_code`).
pub fn areas() -> Result<Vec<Area>, GenerateError> {
    parse_areas(AREAS_CSV)
}

/// Parses an areas CSV: the exact header, then one row per authority with
/// eight fields (double quotes allowed around fields that hold commas).
pub fn parse_areas(text: &str) -> Result<Vec<Area>, GenerateError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l.trim_end_matches('\r'));
    if header != Some(HEADER) {
        return Err(GenerateError::Areas {
            line: 1,
            reason: format!("expected the header {HEADER}"),
        });
    }
    let mut areas = Vec::new();
    for (index, raw) in lines {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fail = |reason: String| GenerateError::Areas {
            line: index + 1,
            reason,
        };
        let fields = split_csv_line(line).map_err(|r| fail(r.to_string()))?;
        let [
            code,
            name,
            region,
            region_name,
            probation,
            pop,
            pop18,
            pop1017,
        ] = <[String; 8]>::try_from(fields)
            .map_err(|f| fail(format!("expected 8 fields, found {}", f.len())))?;
        if !is_la_code(&code) {
            return Err(fail(format!("{code:?} is not an E06/E08/E09/E10/W06 code")));
        }
        let number = |field: &str, text: &str| {
            text.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| fail(format!("{field} {text:?} is not a count")))
        };
        areas.push(Area {
            population: number("population", &pop)?,
            population_18plus: number("population_18plus", &pop18)?,
            population_10_17: number("population_10_17", &pop1017)?,
            la_code: code,
            la_name: name,
            region_code: region,
            region_name,
            probation_area: probation,
        });
    }
    areas.sort_by(|a, b| a.la_code.cmp(&b.la_code));
    Ok(areas)
}

/// Whether `code` looks like `E06`/`E08`/`E09`/`E10`/`W06` followed by six digits.
pub fn is_la_code(code: &str) -> bool {
    let prefix_ok = matches!(code.get(..3), Some("E06" | "E08" | "E09" | "E10" | "W06"));
    prefix_ok && code.len() == 9 && code.bytes().skip(3).all(|b| b.is_ascii_digit())
}

/// Splits one CSV line into fields, honouring double quotes and `""`.
fn split_csv_line(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field");
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_areas_have_the_2009_geography() {
        let areas = areas().unwrap();
        assert_eq!(areas.len(), 174);
        let in_region = |r: &str| areas.iter().filter(|a| a.region_code == r).count();
        assert_eq!(in_region("E12000001"), 12, "North East");
        assert_eq!(in_region("W92000004"), 22, "Wales");
        assert!(areas.iter().all(|a| is_la_code(&a.la_code)));
        let english = areas.iter().filter(|a| a.is_english()).count();
        assert_eq!(english, 152);
        assert!(areas.windows(2).all(|w| w[0].la_code < w[1].la_code));
        assert!(
            areas
                .iter()
                .all(|a| a.population >= a.population_18plus + a.population_10_17)
        );
    }

    #[test]
    fn code_format_is_checked() {
        assert!(is_la_code("E08000003"));
        assert!(is_la_code("W06000015"));
        for bad in [
            "E07000001",
            "E0800003",
            "E080000033",
            "X06000001",
            "E06A00001",
            "",
        ] {
            assert!(!is_la_code(bad), "{bad}");
        }
    }

    #[test]
    fn quoted_fields_and_bad_rows() {
        let csv = format!(
            "{HEADER}\nE06000023,\"Bristol, City of\",E12000009,South West,Avon and Somerset,1,1,0\n"
        );
        let areas = parse_areas(&csv).unwrap();
        assert_eq!(areas[0].la_name, "Bristol, City of");
        let short = format!("{HEADER}\nE06000023,Bristol,E12000009\n");
        assert!(matches!(
            parse_areas(&short),
            Err(GenerateError::Areas { line: 2, .. })
        ));
        let bad_code = format!("{HEADER}\nE07000023,B,E12000009,SW,A,1,1,0\n");
        assert!(matches!(
            parse_areas(&bad_code),
            Err(GenerateError::Areas { line: 2, .. })
        ));
        assert!(parse_areas("la_code\n").is_err());
    }
}
