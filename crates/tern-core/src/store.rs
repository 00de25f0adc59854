//! The `Store` trait: what the write path and the readers need from a
//! database. tern-store implements it for SQLite and PostgreSQL; the service
//! never sees SQL.

use async_trait::async_trait;
use uuid::Uuid;

use crate::auth::{AccessGrant, ApiToken};
use crate::dnssec_key::DnssecKey;
pub use crate::error::StoreError;
use crate::model::Timestamp;
use crate::model::{JournalEntry, Organisation, Project, Record, Zone, ZoneKind, ZoneStatus};
use crate::name::Name;
use crate::rdata::RecordType;
use crate::template::Template;
use crate::tsig::TsigKey;

/// Which of a zone's records a listing wants.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub name: Option<Name>,
    pub rtype: Option<RecordType>,
    /// Substring of the owner or of the presentation RDATA, any case.
    pub search: Option<String>,
}

/// What the store knows of an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: the caller handles the request and completes the key.
    Claimed,
    /// A request with this key is being handled now.
    InProgress { fingerprint: String },
    /// Handled before: the response to repeat.
    Done {
        fingerprint: String,
        status: u16,
        body: String,
    },
}

/// Filters for listing zones; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct ZoneFilter {
    pub org_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub name: Option<Name>,
    pub status: Option<ZoneStatus>,
    pub kind: Option<ZoneKind>,
    pub include_deleted: bool,
}

/// What a commit does to its zone's claim on its name. Each name has at most
/// one claim, held by a live (not deleted) zone: the first zone of the name
/// takes it, and a zone that cannot is refused unless names are shared, in
/// which case it exists unclaimed beside the holder. The claim is a database
/// constraint, so two organisations racing on one name cannot both win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameClaim {
    /// The zone stays live or stays deleted: claims are not touched (every
    /// ordinary change).
    #[default]
    Keep,
    /// The zone comes back from deletion: it counts against the
    /// organisation's zone quota again and takes the claim, or, with
    /// `shared`, stays unclaimed when another zone holds it.
    Take { shared: bool },
    /// The zone is being deleted: its claim, if it holds it, passes to the
    /// oldest other live zone of its name (never to nobody while one lives).
    Release,
}

impl NameClaim {
    /// The claim change of a status change from `before` to `after`.
    pub fn between(before: ZoneStatus, after: ZoneStatus, shared: bool) -> NameClaim {
        match (before == ZoneStatus::Deleted, after == ZoneStatus::Deleted) {
            (true, false) => NameClaim::Take { shared },
            (false, true) => NameClaim::Release,
            _ => NameClaim::Keep,
        }
    }
}

/// Everything one committed change writes, applied in one transaction: the
/// records, the zone row (serial, metadata) and the journal entry. The
/// journal entry is the change itself: a record in `added` whose id is also
/// in `removed` is updated in place, one only in `added` is inserted, one
/// only in `removed` is deleted. (One copy of a large change, not two.)
#[derive(Debug, Clone)]
pub struct Commit {
    pub zone_id: Uuid,
    /// The serial the service validated against; the store refuses the commit
    /// with `SerialMismatch` if the zone has moved on.
    pub expected_serial: u32,
    /// The zone row after the change (its `serial` is the new serial).
    pub zone: Zone,
    /// The journal entry to append; `seq` is assigned by the store.
    pub journal: JournalEntry,
    /// Whether the change deletes or restores the zone (its name's claim).
    pub claim: NameClaim,
    /// DNSSEC keys created or moved by the change, written in the same
    /// transaction.
    pub keys: Vec<crate::dnssec_key::DnssecKey>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- organisations and projects ----
    async fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError>;
    async fn organisation(&self, id: Uuid) -> Result<Option<Organisation>, StoreError>;
    async fn organisation_by_slug(&self, slug: &str) -> Result<Option<Organisation>, StoreError>;
    async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError>;
    /// Name, features and quotas (id, slug and creation time stay).
    async fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError>;
    async fn create_project(&self, project: &Project) -> Result<(), StoreError>;
    async fn project_by_slug(
        &self,
        org_id: Uuid,
        slug: &str,
    ) -> Result<Option<Project>, StoreError>;

    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError>;
    /// Projects of an organisation, ordered by slug.
    async fn list_projects(&self, org_id: Uuid) -> Result<Vec<Project>, StoreError>;

    // ---- API tokens ----
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    async fn token(&self, id: Uuid) -> Result<Option<ApiToken>, StoreError>;
    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError>;
    /// Tokens of one organisation (every one when `None`), newest first.
    async fn list_tokens(&self, org_id: Option<Uuid>) -> Result<Vec<ApiToken>, StoreError>;
    /// Whether a token that was not yet revoked is now.
    async fn revoke_token(&self, id: Uuid, at: Timestamp) -> Result<bool, StoreError>;
    async fn touch_token(&self, id: Uuid, at: Timestamp) -> Result<(), StoreError>;

    // ---- templates (organisations' own; built-ins are in code) ----
    /// Inserts, or replaces the template of the same id.
    async fn put_template(&self, template: &Template) -> Result<(), StoreError>;
    async fn template(&self, id: &str) -> Result<Option<Template>, StoreError>;
    async fn list_templates(&self, org_id: Uuid) -> Result<Vec<Template>, StoreError>;
    async fn delete_template(&self, id: &str) -> Result<bool, StoreError>;

    // ---- idempotency keys ----
    /// Claims `key` for a request with `fingerprint`, or reports who has it.
    /// Claims older than `stale_before` that never completed are taken over;
    /// entries older than `expire_before` are forgotten.
    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        stale_before: Timestamp,
        expire_before: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError>;
    async fn complete_idempotency_key(
        &self,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;
    /// Forgets a claim (the request failed in a way a retry may fix).
    async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError>;

    // ---- access grants ----
    /// `Duplicate` when the organisation already has a grant on the zone.
    async fn create_grant(&self, grant: &AccessGrant) -> Result<(), StoreError>;
    async fn zone_grants(&self, zone_id: Uuid) -> Result<Vec<AccessGrant>, StoreError>;
    async fn org_grants(&self, org_id: Uuid) -> Result<Vec<AccessGrant>, StoreError>;
    async fn delete_grant(&self, id: Uuid) -> Result<bool, StoreError>;

    // ---- zones ----
    async fn zone(&self, id: Uuid) -> Result<Option<Zone>, StoreError>;
    /// Zones ordered by name, then id.
    async fn list_zones(&self, filter: &ZoneFilter) -> Result<Vec<Zone>, StoreError>;
    /// The active zones of any of `names`, of every organisation (for
    /// `serving::served_zones`), ordered by name, then id.
    async fn active_zones_named(&self, names: &[Name]) -> Result<Vec<Zone>, StoreError>;

    // ---- records (reads) ----
    // Every read here but `records_chunked` (the nameserver's load) and the
    // DNSSEC section's sees the user's records alone: the DNSSEC records
    // the signer writes (`signing::is_signer_owned`) are left out, so no
    // face can list, count, address or change them.
    /// All records of a zone, ordered by name, type, then id.
    async fn records(&self, zone_id: Uuid) -> Result<Vec<Record>, StoreError>;
    /// All records of a zone, DNSSEC ones included, in chunks of unspecified order and size, so a
    /// caller that builds its own structure (the nameserver's index) never
    /// holds the whole zone twice. The default reads everything at once.
    async fn records_chunked(
        &self,
        zone_id: Uuid,
        sink: &mut (dyn FnMut(Vec<Record>) + Send),
    ) -> Result<(), StoreError> {
        sink(self.records(zone_id).await?);
        Ok(())
    }
    async fn records_at(&self, zone_id: Uuid, names: &[Name]) -> Result<Vec<Record>, StoreError>;
    /// One page of a zone's records matching `filter`, in name, type, id
    /// order (byte order on every engine), and how many match in all: a
    /// listing never reads the whole of a large zone.
    async fn records_page(
        &self,
        zone_id: Uuid,
        filter: &RecordFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Record>, u64), StoreError>;
    /// Records strictly below `name`.
    async fn records_below(&self, zone_id: Uuid, name: &Name) -> Result<Vec<Record>, StoreError>;
    async fn records_by_id(&self, zone_id: Uuid, ids: &[Uuid]) -> Result<Vec<Record>, StoreError>;
    async fn record_count(&self, zone_id: Uuid) -> Result<u64, StoreError>;
    /// The zone a record id belongs to (APIs that address records alone).
    async fn record_zone(&self, record_id: Uuid) -> Result<Option<Uuid>, StoreError>;

    // ---- writes ----
    /// Inserts a new zone with its initial records (`journal.added`) and the
    /// journal entry in one transaction; returns the journal sequence number.
    /// In the same transaction the organisation's zone quota is counted
    /// (`ZoneQuota`) and the zone takes its name's claim: a name held by
    /// another zone is `NameTaken` unless `shared_names`, and the same
    /// organisation's live zone of that name is `Duplicate`.
    async fn create_zone(
        &self,
        zone: &Zone,
        journal: &JournalEntry,
        shared_names: bool,
    ) -> Result<i64, StoreError>;
    /// Applies one change atomically; returns the journal sequence number.
    async fn commit(&self, commit: &Commit) -> Result<i64, StoreError>;
    /// Removes a zone, its records and its journal for good, appending a final
    /// journal entry (with `zone_after` in status `deleted`) so followers drop it.
    /// Touches no other zone's rows; a claim it held passes on as in
    /// `NameClaim::Release`.
    async fn purge_zone(&self, zone_id: Uuid, journal: &JournalEntry) -> Result<i64, StoreError>;

    // ---- journal ----
    /// The highest journal sequence number (0 when empty).
    async fn journal_head(&self) -> Result<i64, StoreError>;
    /// Journal entries with `seq > after`, oldest first, at most `limit`.
    async fn journal_since(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>, StoreError>;
    /// Journal entries of one zone, newest first, for history views.
    async fn zone_journal(
        &self,
        zone_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError>;
    /// How many journal entries one zone has (the history's `total`).
    async fn zone_journal_count(&self, zone_id: Uuid) -> Result<u64, StoreError>;

    // ---- DNSSEC ----
    /// The zone's signing keys, oldest first.
    async fn dnssec_keys(&self, zone_id: Uuid) -> Result<Vec<DnssecKey>, StoreError>;
    /// Inserts the key, or replaces the stored one with its id.
    async fn put_dnssec_key(&self, key: &DnssecKey) -> Result<(), StoreError>;
    /// The largest TTL set on any of the zone's records (`None` when every
    /// record inherits the zone default): how long a resolver may hold
    /// one of its signatures.
    async fn max_record_ttl(&self, zone_id: Uuid) -> Result<Option<u32>, StoreError>;
    /// Every record at any of `names`, the signer's included: what the
    /// signer of a change reads around it in one query.
    async fn all_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError>;
    /// The signer's records (`is_signer_owned` types) at any of `names`.
    async fn dnssec_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError>;
    /// The zone's records of any of `types`, ordered by name, type, then id.
    async fn records_of_types(
        &self,
        zone_id: Uuid,
        types: &[RecordType],
    ) -> Result<Vec<Record>, StoreError>;
    /// Of the zone's records of type `rtype`, the one whose owner sorts
    /// nearest before `name` (strictly; `None`: the last of all), or nearest
    /// after it when `after` (`None`: the first). Owners compare as text,
    /// which is hash order for NSEC3 owners (base32hex keeps the order and
    /// every owner has the same zone suffix): how the signer finds a hash's
    /// neighbours in the chain without reading it.
    async fn record_of_type_beside(
        &self,
        zone_id: Uuid,
        rtype: RecordType,
        name: Option<&Name>,
        after: bool,
    ) -> Result<Option<Record>, StoreError>;

    // ---- TSIG keys ----
    /// Every key, ordered by name.
    async fn tsig_keys(&self) -> Result<Vec<TsigKey>, StoreError>;
    /// `Duplicate` when a key of that name exists.
    async fn create_tsig_key(&self, key: &TsigKey) -> Result<(), StoreError>;
    /// Whether a key of that name existed.
    async fn delete_tsig_key(&self, name: &Name) -> Result<bool, StoreError>;
}
