//! tern-api
