//! The canonical order of an RRset's RDATA (RFC 4034 §6.3), which the
//! signer uses to build what it signs.

use super::Rdata;

/// Sorts RDATA by its canonical (uncompressed, lower-case-name) wire form,
/// compared as left-justified unsigned octet strings, a shorter string
/// before any longer one it starts. Duplicates stay adjacent; RFC 4034 §6.3
/// wants them removed before signing (`Vec::dedup` after this does that).
pub fn canonical_rrset_order(rdatas: &mut [Rdata]) {
    rdatas.sort_by_cached_key(Rdata::wire);
}
