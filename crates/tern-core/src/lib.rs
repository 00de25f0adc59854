//! tern-core: the DNS data model, zone files, zone rules and `ZoneService`, the
//! only writer of zone data. No I/O of its own: storage is behind `Store`.

pub mod model;
pub mod name;
pub mod rdata;
pub mod store;
pub mod text;

pub use model::*;
pub use name::{Name, NameError};
pub use rdata::{NameContext, Rdata, RdataError, RecordType};
pub use store::{Commit, Store, StoreError, ZoneFilter};
