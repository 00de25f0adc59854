//! `tern org …` and `tern project …`: the tenants, made directly in the
//! configured database with the API's rules (`tern_core::tenancy`), and the
//! slug lookups the other commands share.

use anyhow::{Result, anyhow};
use clap::Subcommand;
use tern_core::tenancy::{NewOrganisation, new_project};
use tern_core::{CoreError, Organisation, Store, ZoneFilter, new_id, now_millis};

use crate::table::Table;

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Create an organisation (as `POST /api/v1/organisations` does).
    Create {
        /// Its slug: 1-63 lower-case letters, digits and '-', e.g. acme
        slug: String,
        /// Display name [default: the slug]
        #[arg(long)]
        name: Option<String>,
        /// Feature gates, comma-separated: dns, kms [default: dns]
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        /// Most zones the organisation may hold [default: no limit]
        #[arg(long)]
        max_zones: Option<u32>,
        /// Most records one of its zones may hold [default: no limit]
        #[arg(long)]
        max_records_per_zone: Option<u32>,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Create a project in an organisation.
    Create {
        /// Its slug: 1-63 lower-case letters, digits and '-', e.g. web
        slug: String,
        /// Organisation slug
        #[arg(long, default_value = "default")]
        org: String,
        /// Display name [default: the slug]
        #[arg(long)]
        name: Option<String>,
    },
    /// List projects.
    List {
        /// Only this organisation's projects (slug) [default: all]
        #[arg(long)]
        org: Option<String>,
    },
}

/// The organisation of a slug, or an error that says how to make it.
pub async fn find_org(store: &dyn Store, slug: &str) -> Result<Organisation> {
    let hint = if slug == DEFAULT_ORG {
        "the first `tern serve` or `tern zone import` makes it".to_string()
    } else {
        format!("create it with `tern org create {slug}`")
    };
    store
        .organisation_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no organisation '{slug}' ({hint})"))
}

pub async fn run_org(store: &dyn Store, cmd: OrgCommand) -> Result<()> {
    match cmd {
        OrgCommand::Create {
            slug,
            name,
            features,
            max_zones,
            max_records_per_zone,
        } => {
            let org = NewOrganisation {
                name: name.unwrap_or_else(|| slug.clone()),
                slug,
                features: (!features.is_empty()).then_some(features),
                max_zones,
                max_records_per_zone,
            }
            .build()
            .map_err(cli_error)?;
            store.create_organisation(&org).await?;
            println!("created organisation {} ({})", org.slug, org.id);
        }
        OrgCommand::List => {
            let mut table = Table::new(&["ID", "SLUG", "NAME", "FEATURES", ">ZONES", ">MAX-ZONES"]);
            for org in store.list_organisations().await? {
                let zones = store
                    .list_zones(&ZoneFilter {
                        org_id: Some(org.id),
                        ..ZoneFilter::default()
                    })
                    .await?
                    .len();
                table.row(vec![
                    org.id.to_string(),
                    org.slug,
                    org.name,
                    org.features.join(","),
                    zones.to_string(),
                    org.max_zones.map_or("-".to_string(), |m| m.to_string()),
                ]);
            }
            table.print()?;
        }
    }
    Ok(())
}

pub async fn run_project(store: &dyn Store, cmd: ProjectCommand) -> Result<()> {
    match cmd {
        ProjectCommand::Create { slug, org, name } => {
            let org = find_org(store, &org).await?;
            let project =
                new_project(org.id, slug.clone(), name.unwrap_or(slug)).map_err(cli_error)?;
            store.create_project(&project).await?;
            println!(
                "created project {} in organisation {} ({})",
                project.slug, org.slug, project.id
            );
        }
        ProjectCommand::List { org } => {
            let orgs = match org {
                Some(slug) => vec![find_org(store, &slug).await?],
                None => store.list_organisations().await?,
            };
            let mut table = Table::new(&["ID", "ORG", "SLUG", "NAME"]);
            for org in orgs {
                for project in store.list_projects(org.id).await? {
                    table.row(vec![
                        project.id.to_string(),
                        org.slug.clone(),
                        project.slug,
                        project.name,
                    ]);
                }
            }
            table.print()?;
        }
    }
    Ok(())
}

/// The core names fields as the API body does (`slug`, `features`); on the
/// command line the slug is the argument and the rest are flags.
fn cli_error(error: CoreError) -> anyhow::Error {
    match error {
        CoreError::Validation { field, message } => {
            let arg = match field.as_str() {
                "slug" => "SLUG".to_string(),
                other => format!("--{}", other.replace('_', "-")),
            };
            anyhow!("{arg}: {message}")
        }
        other => other.into(),
    }
}

/// The organisation a fresh installation starts with: the first `serve`
/// makes it (with the admin token), or the first `tern zone import`.
pub const DEFAULT_ORG: &str = "default";

pub fn default_organisation() -> Organisation {
    Organisation {
        id: new_id(),
        slug: DEFAULT_ORG.into(),
        name: "Default".into(),
        features: vec!["dns".into(), "kms".into()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    }
}
