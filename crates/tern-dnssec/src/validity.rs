//! When signatures are valid: inception and expiration for a new RRSIG, with
//! the expiration spread per RRset so a zone's signatures do not all expire
//! (and need re-signing) in the same second, comparisons in RFC 1982 serial
//! arithmetic (RRSIG times wrap at 2^32, RFC 4034 §3.1.5), and the
//! `YYYYMMDDHHmmSS` presentation form.

use ring::digest;
use tern_core::serial::serial_gt;
use tern_core::{Name, RecordType};

const DAY: u32 = 86_400;

/// How long new signatures are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityPolicy {
    /// Seconds from signing to the latest expiration.
    pub lifetime: u32,
    /// Expirations fall anywhere in the last `jitter` seconds of the
    /// lifetime, decided by the RRset.
    pub jitter: u32,
    /// Inception lies this far before the signing time, so that validators
    /// whose clocks run behind accept a fresh signature (Knot and BIND
    /// backdate by an hour too).
    pub inception_backdate: u32,
}

impl Default for ValidityPolicy {
    /// Two weeks, spread over the last two days, backdated an hour.
    fn default() -> Self {
        ValidityPolicy {
            lifetime: 14 * DAY,
            jitter: 2 * DAY,
            inception_backdate: 3600,
        }
    }
}

/// The inception and expiration fields of one RRSIG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    pub inception: u32,
    pub expiration: u32,
}

impl Validity {
    /// The validity of a signature made at `now` (Unix seconds) over the
    /// RRset whose `rrset_seed` this is (`rrset_jitter_seed`). Deterministic:
    /// the same RRset signed in the same second gets the same times.
    pub fn new(now: u64, policy: &ValidityPolicy, rrset_seed: u64) -> Validity {
        let jitter = policy.jitter.min(policy.lifetime);
        let shortened = rrset_seed % (u64::from(jitter) + 1);
        let expiration = now.saturating_add(u64::from(policy.lifetime)) - shortened;
        let inception = now.saturating_sub(u64::from(policy.inception_backdate));
        Validity {
            inception: rrsig_time(inception),
            expiration: rrsig_time(expiration),
        }
    }

    /// Whether `now` lies between inception and expiration, inclusive
    /// (RFC 4035 §5.3.1), compared in serial arithmetic.
    pub fn is_valid_at(&self, now: u64) -> bool {
        let now = rrsig_time(now);
        !serial_gt(self.inception, now) && !serial_gt(now, self.expiration)
    }

    /// Whether the signature expires at or before `now + window`: time to
    /// sign again.
    pub fn expires_within(&self, now: u64, window: u32) -> bool {
        !serial_gt(
            self.expiration,
            rrsig_time(now.saturating_add(u64::from(window))),
        )
    }
}

/// Unix seconds as an RRSIG time field: modulo 2^32 (RFC 4034 §3.1.5).
pub fn rrsig_time(unix_secs: u64) -> u32 {
    (unix_secs & u64::from(u32::MAX)) as u32
}

/// A per-RRset number that spreads expirations: stable across processes,
/// nodes and releases (unlike `std`'s hasher), since every node of a
/// cluster must compute the same signature times.
pub fn rrset_jitter_seed(owner: &Name, rtype: RecordType) -> u64 {
    let mut input = Vec::with_capacity(owner.wire_len() + 2);
    owner.to_wire(&mut input);
    input.extend_from_slice(&rtype.0.to_be_bytes());
    let hash = digest::digest(&digest::SHA256, &input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_ref()[..8]);
    u64::from_be_bytes(first)
}

/// An RRSIG time as `YYYYMMDDHHmmSS` in UTC (RFC 4034 §3.2), taking the
/// field as seconds since 1970 (so up to 2106).
pub fn format_rrsig_time(time: u32) -> String {
    let mut days = time / DAY;
    let of_day = time % DAY;
    let mut year = 1970u32;
    loop {
        let in_year = if is_leap(year) { 366 } else { 365 };
        if days < in_year {
            break;
        }
        days -= in_year;
        year += 1;
    }
    let mut month = 1u32;
    for length in month_lengths(year) {
        if days < length {
            break;
        }
        days -= length;
        month += 1;
    }
    format!(
        "{year:04}{month:02}{:02}{:02}{:02}{:02}",
        days + 1,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn month_lengths(year: u32) -> [u32; 12] {
    let february = if is_leap(year) { 29 } else { 28 };
    [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rrsig_times() {
        assert_eq!(format_rrsig_time(0), "19700101000000");
        assert_eq!(format_rrsig_time(1_440_021_600), "20150819220000");
        assert_eq!(format_rrsig_time(951_782_400), "20000229000000");
        assert_eq!(format_rrsig_time(1_709_251_199), "20240229235959");
        assert_eq!(format_rrsig_time(u32::MAX), "21060207062815");
    }

    #[test]
    fn validity_is_backdated_and_jittered_within_the_window() {
        let policy = ValidityPolicy::default();
        let now = 1_700_000_000u64;
        for seed in [0, 1, 12345, u64::MAX, 2 * u64::from(DAY)] {
            let v = Validity::new(now, &policy, seed);
            assert_eq!(u64::from(v.inception), now - 3600);
            let exp = u64::from(v.expiration);
            assert!(exp <= now + u64::from(policy.lifetime), "{seed}");
            assert!(
                exp >= now + u64::from(policy.lifetime - policy.jitter),
                "{seed}"
            );
            assert_eq!(v, Validity::new(now, &policy, seed), "deterministic");
        }
    }

    #[test]
    fn expirations_spread_over_many_rrsets() {
        let policy = ValidityPolicy::default();
        let expirations: std::collections::HashSet<u32> = (0..1000)
            .map(|i| {
                let owner = Name::parse_absolute(&format!("host{i}.example.")).expect("name");
                let seed = rrset_jitter_seed(&owner, RecordType::A);
                Validity::new(1_700_000_000, &policy, seed).expiration
            })
            .collect();
        assert!(expirations.len() > 990, "{}", expirations.len());
    }

    #[test]
    fn seeds_depend_on_owner_and_type_only() {
        let owner = Name::parse_absolute("www.example.").expect("name");
        let other = Name::parse_absolute("WWW.example.").expect("name");
        assert_eq!(
            rrset_jitter_seed(&owner, RecordType::A),
            rrset_jitter_seed(&other, RecordType::A)
        );
        assert_ne!(
            rrset_jitter_seed(&owner, RecordType::A),
            rrset_jitter_seed(&owner, RecordType::AAAA)
        );
    }

    #[test]
    fn zero_jitter_and_a_jitter_beyond_the_lifetime() {
        let exact = ValidityPolicy {
            lifetime: 100,
            jitter: 0,
            inception_backdate: 0,
        };
        let v = Validity::new(1000, &exact, 987_654);
        assert_eq!((v.inception, v.expiration), (1000, 1100));
        let wide = ValidityPolicy {
            jitter: 1000,
            ..exact
        };
        let v = Validity::new(1000, &wide, 987_654);
        assert!((1000..=1100).contains(&v.expiration));
        let early = Validity::new(10, &ValidityPolicy::default(), 0);
        assert_eq!(early.inception, 0, "backdating saturates at the epoch");
    }

    #[test]
    fn validity_window_in_serial_arithmetic() {
        let v = Validity {
            inception: 1000,
            expiration: 2000,
        };
        assert!(!v.is_valid_at(999));
        assert!(v.is_valid_at(1000));
        assert!(v.is_valid_at(2000));
        assert!(!v.is_valid_at(2001));
        assert!(v.expires_within(1500, 500));
        assert!(!v.expires_within(1500, 499));
        // A window across the 2^32 wrap (the year 2106).
        let wrapped = Validity {
            inception: u32::MAX - 10,
            expiration: 20,
        };
        assert!(wrapped.is_valid_at(u64::from(u32::MAX)));
        assert!(wrapped.is_valid_at(1u64 << 32));
        assert!(wrapped.is_valid_at((1u64 << 32) + 20));
        assert!(!wrapped.is_valid_at((1u64 << 32) + 21));
        assert_eq!(rrsig_time((1u64 << 32) + 5), 5);
    }
}
