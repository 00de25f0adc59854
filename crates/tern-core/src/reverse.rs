//! Reverse-DNS naming: the zone that serves a network's PTR records
//! (`in-addr.arpa` on octet boundaries, RFC 2317 classless zones below a
//! /24, `ip6.arpa` on nibble boundaries) and the PTR owner of an address.

use std::net::IpAddr;

use crate::name::Name;
use crate::transfer::Cidr;

/// The zone for a network, and for an RFC 2317 classless zone the /24
/// parent that delegates it and the addresses it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseZone {
    pub name: Name,
    pub classless: Option<Classless>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classless {
    /// The /24 zone (`2.0.192.in-addr.arpa.`).
    pub parent: Name,
    /// The child zone's label under the parent (`0/26`).
    pub label: String,
    /// Last octets covered, inclusive.
    pub first: u8,
    pub last: u8,
}

fn name(text: &str) -> Result<Name, String> {
    Name::parse_absolute(text).map_err(|e| e.to_string())
}

/// The reverse zone for `cidr` (given as text, e.g. `192.0.2.0/24`).
pub fn reverse_zone(cidr: &str) -> Result<ReverseZone, String> {
    let net = Cidr::parse(cidr)?;
    match net.network {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let prefix = net.prefix;
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            if u32::from(v4) & !mask != 0 {
                return Err(format!(
                    "'{cidr}' has host bits set; the network is {}/{prefix}",
                    std::net::Ipv4Addr::from(u32::from(v4) & mask)
                ));
            }
            let zone = match prefix {
                8 => name(&format!("{}.in-addr.arpa.", o[0]))?,
                16 => name(&format!("{}.{}.in-addr.arpa.", o[1], o[0]))?,
                24 => name(&format!("{}.{}.{}.in-addr.arpa.", o[2], o[1], o[0]))?,
                25..=31 => {
                    let parent = name(&format!("{}.{}.{}.in-addr.arpa.", o[2], o[1], o[0]))?;
                    let label = format!("{}/{prefix}", o[3]);
                    let size = 1u16 << (32 - prefix);
                    let last =
                        u8::try_from(u16::from(o[3]) + size - 1).map_err(|e| e.to_string())?;
                    return Ok(ReverseZone {
                        name: Name::parse_zone_file(&label.replace('/', "\\/"), &parent)
                            .map_err(|e| e.to_string())?,
                        classless: Some(Classless {
                            parent,
                            label,
                            first: o[3],
                            last,
                        }),
                    });
                }
                _ => {
                    return Err(format!(
                        "IPv4 reverse zones are /8, /16 or /24, or /25-/31 (RFC 2317); /{prefix} is none of these"
                    ));
                }
            };
            Ok(ReverseZone {
                name: zone,
                classless: None,
            })
        }
        IpAddr::V6(v6) => {
            let prefix = net.prefix;
            if prefix % 4 != 0 || prefix == 0 || prefix > 124 {
                return Err(format!(
                    "IPv6 reverse zones follow nibble boundaries (a prefix divisible by 4, 4-124); /{prefix} is not"
                ));
            }
            let bits = u128::from(v6);
            if bits & !(u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)) != 0 {
                return Err(format!("'{cidr}' has host bits set"));
            }
            let nibbles = usize::from(prefix / 4);
            let hex = format!("{bits:032x}");
            let mut labels: Vec<String> = hex[..nibbles].chars().map(String::from).collect();
            labels.reverse();
            Ok(ReverseZone {
                name: name(&format!("{}.ip6.arpa.", labels.join(".")))?,
                classless: None,
            })
        }
    }
}

/// The PTR owner of an address (`1.2.0.192.in-addr.arpa.`).
pub fn ptr_name(address: IpAddr) -> Name {
    let text = match address {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let hex = format!("{:032x}", u128::from(v6));
            let mut labels: Vec<String> = hex.chars().map(String::from).collect();
            labels.reverse();
            format!("{}.ip6.arpa.", labels.join("."))
        }
    };
    // Built from digits and dots only: always a valid name.
    Name::parse_absolute(&text).unwrap_or_else(|_| Name::root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_for_networks() {
        let zone = |c: &str| reverse_zone(c).map(|z| z.name.to_string());
        assert_eq!(zone("10.0.0.0/8").unwrap(), "10.in-addr.arpa.");
        assert_eq!(zone("172.16.0.0/16").unwrap(), "16.172.in-addr.arpa.");
        assert_eq!(zone("192.0.2.0/24").unwrap(), "2.0.192.in-addr.arpa.");
        assert_eq!(zone("2001:db8::/32").unwrap(), "8.b.d.0.1.0.0.2.ip6.arpa.");
        assert!(
            zone("192.0.16.0/20")
                .unwrap_err()
                .contains("/8, /16 or /24")
        );
        assert!(zone("192.0.2.1/24").unwrap_err().contains("host bits"));
        assert!(zone("2001:db8::/30").unwrap_err().contains("nibble"));
        let classless = reverse_zone("192.0.2.64/26").unwrap();
        let c = classless.classless.unwrap();
        assert_eq!((c.label.as_str(), c.first, c.last), ("64/26", 64, 127));
        assert_eq!(c.parent.to_string(), "2.0.192.in-addr.arpa.");
        assert!(
            classless
                .name
                .to_string()
                .ends_with(".2.0.192.in-addr.arpa.")
        );
    }

    #[test]
    fn ptr_names() {
        assert_eq!(
            ptr_name("192.0.2.1".parse().unwrap()).to_string(),
            "1.2.0.192.in-addr.arpa."
        );
        assert!(
            ptr_name("2001:db8::1".parse().unwrap())
                .to_string()
                .starts_with("1.0.0.0.")
        );
    }
}
