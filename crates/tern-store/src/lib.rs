//! tern-store
