//! Calendar dates as day numbers: ISO `YYYY-MM-DD` (optionally with a time, which is ignored
//! for daily counts) to days since 1970-01-01 and back, by Howard Hinnant's
//! `days_from_civil` / `civil_from_days` algorithms (proleptic Gregorian calendar).

/// Days since 1970-01-01 of `y-m-d`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` of `days` since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `days` as `YYYY-MM-DD`.
pub fn format(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD`, optionally followed by a time (`T10:30`, ` 10:30:00`, `Z`...), into
/// days since 1970-01-01. The time is checked for shape but not used: counts are per day.
pub fn parse(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("`{t}` is not a date; write YYYY-MM-DD (optionally with a time)");
    let date = t.get(..10).ok_or_else(bad)?;
    let rest = &t[10..];
    if !rest.is_empty() && !rest.starts_with(['T', ' ']) {
        return Err(bad());
    }
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let y: i64 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || d == 0 {
        return Err(bad());
    }
    let days = days_from_civil(y, m, d);
    // 31 February and the like do not survive the round trip.
    if civil_from_days(days) != (y, m, d) {
        return Err(format!("`{t}`: there is no such day"));
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days_and_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse("2024-02-29").unwrap(), days_from_civil(2024, 2, 29));
        assert_eq!(
            parse("2026-11-29T10:30:00Z").unwrap(),
            days_from_civil(2026, 11, 29)
        );
        assert_eq!(
            parse("2026-11-29 10:30").unwrap(),
            days_from_civil(2026, 11, 29)
        );
        for d in -1000..40_000 {
            assert_eq!(parse(&format(d)).unwrap(), d);
        }
        assert!(parse("2023-02-29").unwrap_err().contains("no such day"));
        assert!(parse("29/11/2026").is_err());
        assert!(parse("2026-13-01").is_err());
        assert!(parse("2026-11-29x").is_err());
    }
}
