//! The time type of every stored date: milliseconds since the Unix epoch.
//! Its own module so that the key model and the data model, which refer to
//! each other's types, both take it from here.

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;
