//! tern-dns: the authoritative nameserver. The nameserver issue fills this crate.
