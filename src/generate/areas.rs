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

/// Samples the geography: each area's populations multiplied by the scale
/// of its region (from `region_scales`, else `scale`) and rounded, so the
/// written populations are the ones the sampled volumes stand for and every
/// rate per head stays at its national level. Returns the sampled areas and
/// the volume multiplier that keeps that true: `scale` when every region has
/// it, else the sampled share of the national population.
pub(crate) fn sample_areas(
    areas: Vec<Area>,
    scale: f64,
    region_scales: &[(String, f64)],
) -> Result<(Vec<Area>, f64), GenerateError> {
    let mut known: Vec<&str> = areas.iter().map(|a| a.region_code.as_str()).collect();
    known.sort_unstable();
    known.dedup();
    for (i, (code, _)) in region_scales.iter().enumerate() {
        if !known.contains(&code.as_str()) {
            return Err(GenerateError::UnknownRegion {
                code: code.clone(),
                known: known.join(", "),
            });
        }
        if region_scales[..i].iter().any(|(c, _)| c == code) {
            return Err(GenerateError::DuplicateRegion { code: code.clone() });
        }
    }
    let scale_of = |a: &Area| {
        region_scales
            .iter()
            .find(|(c, _)| *c == a.region_code)
            .map_or(scale, |(_, s)| *s)
    };
    let national: f64 = areas.iter().map(|a| a.population as f64).sum();
    let sampled_share: f64 = areas
        .iter()
        .map(|a| a.population as f64 * scale_of(a))
        .sum::<f64>()
        / national.max(1.0);
    let volume_scale = if region_scales.is_empty() {
        scale
    } else {
        sampled_share
    };
    let sampled = areas
        .into_iter()
        .map(|a| {
            let s = scale_of(&a);
            // Populations are at most tens of millions and s at most 100,
            // so the products are far inside i64.
            let times = |n: i64| (n as f64 * s).round() as i64;
            let adults = times(a.population_18plus);
            let young = times(a.population_10_17);
            Area {
                population: times(a.population).max(adults + young).max(1),
                population_18plus: adults,
                population_10_17: young,
                ..a
            }
        })
        .collect();
    Ok((sampled, volume_scale))
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
    fn sampling_scales_populations_and_volumes_together() {
        let csv = format!(
            "{HEADER}\nE06000001,A,R1,One,P,1000,700,150\nE06000002,B,R2,Two,P,3000,2000,500\n"
        );
        let areas = parse_areas(&csv).unwrap();
        // uniform: populations times the scale, volumes at the scale itself
        let (uniform, v) = sample_areas(areas.clone(), 0.01, &[]).unwrap();
        assert_eq!(v, 0.01);
        assert_eq!(
            (
                uniform[1].population,
                uniform[1].population_18plus,
                uniform[1].population_10_17
            ),
            (30, 20, 5)
        );
        // R1 at 0.5, R2 at 0.1: populations 500 and 300; the volumes are
        // the sampled share of the population, (500 + 300) / 4000 = 0.2,
        // so each area gets 0.2 x national x its share of 800 = national x
        // its sampled population / 4000: the national rate per head
        let (mixed, v) = sample_areas(areas.clone(), 0.1, &[("R1".into(), 0.5)]).unwrap();
        assert!((v - 0.2).abs() < 1e-12, "{v}");
        assert_eq!(
            (
                mixed[0].population,
                mixed[0].population_18plus,
                mixed[0].population_10_17
            ),
            (500, 350, 75)
        );
        assert_eq!(mixed[1].population, 300);
        assert!(matches!(
            sample_areas(areas.clone(), 0.1, &[("R9".into(), 0.5)]),
            Err(GenerateError::UnknownRegion { .. })
        ));
        assert!(matches!(
            sample_areas(areas, 0.1, &[("R1".into(), 0.5), ("R1".into(), 0.2)]),
            Err(GenerateError::DuplicateRegion { .. })
        ));
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
