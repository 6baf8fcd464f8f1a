//! Calendar dates as day numbers: ISO `YYYY-MM-DD` (optionally with a time, validated then ignored
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

/// The last day a date can name: 9999-12-31 (four-digit years).
pub const MAX_DAY: i64 = 2_932_896;

/// `days` as `YYYY-MM-DD`, or `None` past [`MAX_DAY`] (a date no history could hold or read
/// back).
pub fn format_within(days: i64) -> Option<String> {
    (days <= MAX_DAY).then(|| format(days))
}

/// `days` as `YYYY-MM-DD`, or "after 9999-12-31" past [`MAX_DAY`].
pub fn format_or_after(days: i64) -> String {
    format_within(days).unwrap_or_else(|| "after 9999-12-31".to_string())
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01, optionally followed by `T` or a space and a
/// time, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction`, optionally followed by `Z` or an offset
/// `±HH:MM` / `±HHMM`. The time is validated (hours up to 23, minutes up to 59, seconds up to
/// 60 for a leap second, offset hours up to 14) and then ignored: the day is the date part,
/// since counts are per day.
pub fn parse(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "`{t}` is not a date; write YYYY-MM-DD, optionally with a time: `2026-03-01T10:30:00Z`, `2026-03-01 10:30`, `2026-03-01T10:30+01:00`"
        )
    };
    let date = t.get(..10).ok_or_else(bad)?;
    let rest = &t[10..];
    if !rest.is_empty() {
        let time = rest.strip_prefix(['T', ' ']).ok_or_else(bad)?;
        check_time(time).map_err(|why| format!("`{t}`: {why}"))?;
    }
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
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

/// Two ASCII digits as a number.
fn two(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// Checks the time after the date: `HH:MM[:SS[.fraction]]` then nothing, `Z`, `±HH:MM` or
/// `±HHMM`.
fn check_time(time: &str) -> Result<(), String> {
    const SHAPE: &str = "the time must be HH:MM, HH:MM:SS or HH:MM:SS.fraction, optionally followed by Z or an offset ±HH:MM";
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let (h, m, s) = match fields.as_slice() {
        [h, m] => (*h, *m, None),
        [h, m, s] => (*h, *m, Some(*s)),
        _ => return Err(SHAPE.into()),
    };
    let (Some(h), Some(m)) = (two(h), two(m)) else {
        return Err(SHAPE.into());
    };
    if h > 23 || m > 59 {
        return Err(format!(
            "{h:02}:{m:02} is not a time of day (hours 00 to 23, minutes 00 to 59)"
        ));
    }
    if let Some(s) = s {
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let Some(sec) = two(whole) else {
            return Err(SHAPE.into());
        };
        if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
            return Err(SHAPE.into());
        }
        if sec > 60 {
            return Err(format!(
                "{sec:02} is not a second (00 to 59, or 60 for a leap second)"
            ));
        }
    }
    if zone.is_empty() || zone == "Z" {
        return Ok(());
    }
    let offset = &zone[1..];
    let (oh, om) = match offset.split_once(':') {
        Some((a, b)) => (a, b),
        None if offset.len() == 4 => offset.split_at(2),
        None => return Err(SHAPE.into()),
    };
    let (Some(oh), Some(om)) = (two(oh), two(om)) else {
        return Err(SHAPE.into());
    };
    if oh > 14 || om > 59 {
        return Err(format!(
            "{zone} is not a time zone offset (from -14:00 to +14:00)"
        ));
    }
    Ok(())
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
        assert_eq!(format(MAX_DAY), "9999-12-31");
    }

    #[test]
    fn times_are_validated_then_ignored() {
        let day = days_from_civil(2026, 1, 2);
        for ok in [
            "2026-01-02T10:30",
            "2026-01-02 10:30:59",
            "2026-01-02T23:59:60",
            "2026-01-02T10:30:00.123456",
            "2026-01-02T10:30:00Z",
            "2026-01-02T10:30+01:00",
            "2026-01-02T10:30:00-0530",
            "2026-01-02 00:00:00+14:00",
        ] {
            assert_eq!(parse(ok), Ok(day), "{ok}");
        }
        for bad in [
            "2026-01-02 garbage",
            "2026-01-02Tfoo",
            "2026-01-02T",
            "2026-01-02T25:00:00Z",
            "2026-01-02T10:61:00",
            "2026-01-02T10:30:61",
            "2026-01-02T10:30:00.",
            "2026-01-02T10:30:00+99:00",
            "2026-01-02T10:30:00+15:00",
            "2026-01-02T10:30 EST",
            "2026-01-02T10:30EST",
            "2026-01-02T1:30",
            "2026-01-02T10:30:00ZZ",
            "2026-01-02T10:30+0100x",
            "+026-01-02",
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(parse("2026-01-02T25:00")
            .unwrap_err()
            .contains("not a time of day"));
    }
}
