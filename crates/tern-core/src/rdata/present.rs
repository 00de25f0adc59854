//! Canonical presentation of RDATA: the text zone files, the API and the
//! store show, which `Rdata::parse_canonical` reads back.

use std::fmt::{self, Write};

use crate::text::{hex_encode, write_quoted};

use super::{Rdata, denial, dnssec_text, generic, loc, strings, svcb};

impl fmt::Display for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        match self {
            Rdata::A(a) => write!(out, "{a}")?,
            Rdata::Aaaa(a) => write!(out, "{a}")?,
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => {
                out.push_str(n.as_str())
            }
            Rdata::Mx {
                preference,
                exchange,
            } => write!(out, "{preference} {exchange}")?,
            Rdata::Txt(strings) | Rdata::Spf(strings) => strings::write_strings(&mut out, strings),
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => write!(out, "{priority} {weight} {port} {target}")?,
            Rdata::Caa { flags, tag, value } => {
                write!(out, "{flags} {tag} ")?;
                write_quoted(&mut out, value);
            }
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            } => write!(out, "{algorithm} {fp_type} {}", hex_encode(fingerprint))?,
            Rdata::Tlsa {
                usage,
                selector,
                matching_type,
                data,
            } => write!(
                out,
                "{usage} {selector} {matching_type} {}",
                hex_encode(data)
            )?,
            Rdata::Naptr {
                order,
                preference,
                flags,
                services,
                regexp,
                replacement,
            } => {
                write!(out, "{order} {preference} ")?;
                for s in [flags, services, regexp] {
                    s.write_presentation(&mut out);
                    out.push(' ');
                }
                out.push_str(replacement.as_str());
            }
            Rdata::Ds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            }
            | Rdata::Cds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            } => write!(
                out,
                "{key_tag} {algorithm} {digest_type} {}",
                hex_encode(digest)
            )?,
            Rdata::Hinfo { cpu, os } => strings::write_strings(&mut out, [cpu, os]),
            Rdata::Loc {
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
                ..
            } => loc::write_loc(
                &mut out, *size, *horiz_pre, *vert_pre, *latitude, *longitude, *altitude,
            )?,
            Rdata::Rp { mbox, txt } => write!(out, "{mbox} {txt}")?,
            Rdata::Svcb {
                priority,
                target,
                params,
            }
            | Rdata::Https {
                priority,
                target,
                params,
            } => {
                write!(out, "{priority} {target}")?;
                for p in params {
                    out.push(' ');
                    svcb::write_svc_param(&mut out, p);
                }
            }
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => write!(
                out,
                "{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
            )?,
            Rdata::Dnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            }
            | Rdata::Cdnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            } => write!(
                out,
                "{flags} {protocol} {algorithm} {}",
                dnssec_text::base64_encode(public_key)
            )?,
            Rdata::Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag,
                signer,
                signature,
            } => {
                write!(out, "{type_covered} {algorithm} {labels} {original_ttl} ")?;
                dnssec_text::write_rrsig_time(&mut out, *expiration);
                out.push(' ');
                dnssec_text::write_rrsig_time(&mut out, *inception);
                let signature = dnssec_text::base64_encode(signature);
                write!(out, " {key_tag} {signer} {signature}")?;
            }
            Rdata::Nsec { next, types } => {
                out.push_str(next.as_str());
                if !types.is_empty() {
                    write!(out, " {types}")?;
                }
            }
            Rdata::Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types,
            } => {
                write!(out, "{hash_algorithm} {flags} {iterations} ")?;
                denial::write_salt(&mut out, salt);
                write!(out, " {}", dnssec_text::base32hex_encode(next_hashed))?;
                if !types.is_empty() {
                    write!(out, " {types}")?;
                }
            }
            Rdata::Nsec3param {
                hash_algorithm,
                flags,
                iterations,
                salt,
            } => {
                write!(out, "{hash_algorithm} {flags} {iterations} ")?;
                denial::write_salt(&mut out, salt);
            }
            Rdata::Unknown { data, .. } => generic::write(&mut out, data),
        }
        f.write_str(&out)
    }
}
