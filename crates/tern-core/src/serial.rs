//! SOA serial management: RFC 1982 comparison and Tern's rule for the next
//! serial (date-based `YYYYMMDDnn` while it is ahead, plain increment after).

/// RFC 1982 §3.2: `a` is greater than `b` in serial number arithmetic.
pub fn serial_gt(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < (1 << 31)
}

/// `YYYYMMDD00` for the given Unix time (UTC), if it fits in 32 bits.
pub fn date_serial(unix_secs: i64) -> Option<u32> {
    let (y, m, d) = civil_from_days(unix_secs.div_euclid(86_400));
    let value = i64::from(y) * 1_000_000 + i64::from(m) * 10_000 + i64::from(d) * 100;
    u32::try_from(value).ok()
}

/// The serial after `current`: today's `YYYYMMDD00` when that is ahead of
/// `current` in RFC 1982 terms, otherwise `current + 1` (wrapping, never 0,
/// which some secondaries treat as "no serial").
pub fn next_serial(current: u32, unix_secs: i64) -> u32 {
    if let Some(date) = date_serial(unix_secs)
        && serial_gt(date, current)
    {
        return date;
    }
    match current.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

/// Serial after an import: the file's serial when it is ahead of the next
/// serial, so secondaries that knew the old server's serials keep following.
pub fn import_serial(current: u32, file_serial: u32, unix_secs: i64) -> u32 {
    let next = next_serial(current, unix_secs);
    if serial_gt(file_serial, next) {
        file_serial
    } else {
        next
    }
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, UTC).
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_23_2026: i64 = 1_795_392_000; // 2026-11-23T00:00:00Z

    #[test]
    fn date_based_then_increment() {
        assert_eq!(date_serial(NOV_23_2026), Some(2026112300));
        assert_eq!(next_serial(0, NOV_23_2026), 2026112300);
        assert_eq!(next_serial(2026112300, NOV_23_2026), 2026112301);
        assert_eq!(next_serial(2026112399, NOV_23_2026), 2026112400);
        assert_eq!(next_serial(4_000_000_000, NOV_23_2026), 4_000_000_001);
        // u32::MAX is "behind" the date serial in RFC 1982 terms.
        assert_eq!(next_serial(u32::MAX, NOV_23_2026), 2026112300);
        // Past the year 4294 dates no longer fit: plain increment, skipping 0.
        assert_eq!(date_serial(95_617_584_000), None);
        assert_eq!(next_serial(u32::MAX, 95_617_584_000), 1);
    }

    #[test]
    fn rfc1982_comparison() {
        assert!(serial_gt(2, 1));
        assert!(serial_gt(0, u32::MAX));
        assert!(!serial_gt(1, 1));
        assert!(!serial_gt(1, 1 + (1 << 31)));
    }

    #[test]
    fn import_keeps_a_file_serial_that_is_ahead() {
        assert_eq!(import_serial(5, 2030010101, NOV_23_2026), 2030010101);
        assert_eq!(
            import_serial(2026112305, 2024010101, NOV_23_2026),
            2026112306
        );
    }
}
