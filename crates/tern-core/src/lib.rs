//! tern-core: the DNS data model, zone files, zone rules and `ZoneService`, the
//! only writer of zone data. No I/O of its own: storage is behind `Store`.

pub mod auth;
pub mod dnssec_key;
pub mod error;
pub mod model;
pub mod name;
pub mod policy;
pub mod rdata;
pub mod reverse;
pub mod rollover;
pub mod rules;
pub mod serial;
pub mod service;
pub mod serving;
pub mod signing;
pub mod store;
pub mod template;
pub mod tenancy;
pub mod text;
pub mod timestamp;
pub mod transfer;
pub mod tsig;
pub mod zonefile;

pub use auth::{AccessGrant, ApiToken, GrantRole, Scope, TokenRejection};
pub use dnssec_key::{DnssecKey, KeyRole, KeyState, KeyTransition};
pub use error::CoreError;
pub use model::*;
pub use name::{Name, NameError};
pub use rdata::{NameContext, Rdata, RdataError, RecordType, TypeBitmap, canonical_rrset_order};
pub use service::{
    Actor, Change, ChangeSet, CommitListener, CommitOutcome, ImportMode, ImportOptions,
    ImportReport, NewRecord, NewZone, RecordUpdate, ServiceConfig, ZoneChanged, ZoneService,
    ZoneUpdate,
};
pub use signing::{
    Denial, DnssecSettings, ParentDs, ParentDsLookup, SignedDelta, Unsigning, ZoneSigner,
    is_signer_owned,
};
pub use store::{Commit, IdempotencyClaim, NameClaim, RecordFilter, Store, StoreError, ZoneFilter};
pub use tsig::{TsigAlgorithm, TsigKey, TsigKeyError};
