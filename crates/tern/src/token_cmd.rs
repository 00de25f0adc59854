//! `tern token …`: issues API tokens from the command line (for scripts and
//! for recovering access) the same way the API does, lists and revokes them.

use anyhow::{Context, Result, anyhow, bail};
use tern_api::admin::{TokenRequest, issue_token, parse_duration};
use tern_api::iso;
use tern_core::{Scope, Store, now_millis};

use crate::config::TokenCommand;
use crate::org_cmd::find_org;
use crate::table::Table;

pub async fn run(store: &dyn Store, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            org,
            name,
            scopes,
            project,
            expires_in,
        } => {
            let organisation = find_org(store, &org).await?;
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<Scope>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow!("--scopes: {e}"))?;
            let project_id = match project {
                Some(slug) => Some(
                    store
                        .project_by_slug(organisation.id, &slug)
                        .await?
                        .ok_or_else(|| {
                            anyhow!(
                                "no project '{slug}' in organisation '{org}' \
                                 (create it with `tern project create {slug} --org {org}`)"
                            )
                        })?
                        .id,
                ),
                None => None,
            };
            let expires_in_secs = expires_in
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|e| anyhow!("--expires-in: {e}"))?;
            let (token, secret) = issue_token(
                store,
                TokenRequest {
                    org_id: organisation.id,
                    project_id,
                    name,
                    scopes,
                    expires_in_secs,
                    allowed_networks: Vec::new(),
                },
                None,
            )
            .await
            .map_err(|e| anyhow!("{}", e.detail))
            .context("creating the token")?;
            eprintln!(
                "token {} ({}) created; it is shown only now:",
                token.name, token.id
            );
            println!("{secret}");
        }
        TokenCommand::List { org } => {
            let orgs = store.list_organisations().await?;
            let org_id = match org {
                Some(slug) => Some(find_org(store, &slug).await?.id),
                None => None,
            };
            let mut table = Table::new(&[
                "ID",
                "NAME",
                "ORG",
                "PROJECT",
                "SCOPES",
                "EXPIRES",
                "LAST-USED",
                "STATE",
            ]);
            let now = now_millis();
            for token in store.list_tokens(org_id).await? {
                let project = match token.project_id {
                    Some(id) => store.project(id).await?.map_or(id.to_string(), |p| p.slug),
                    None => "-".to_string(),
                };
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else if token.expires_at.is_some_and(|at| at <= now) {
                    "expired"
                } else {
                    "active"
                };
                table.row(vec![
                    token.id.to_string(),
                    token.name.clone(),
                    orgs.iter()
                        .find(|o| o.id == token.org_id)
                        .map_or("?".to_string(), |o| o.slug.clone()),
                    project,
                    token
                        .scopes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    token.expires_at.map_or("never".to_string(), iso),
                    token.last_used_at.map_or("never".to_string(), iso),
                    state.to_string(),
                ]);
            }
            table.print()?;
        }
        TokenCommand::Revoke { id } => {
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| anyhow!("'{id}' is not a token id (see `tern token list`)"))?;
            let token = store
                .token(id)
                .await?
                .ok_or_else(|| anyhow!("no token {id}"))?;
            if !store.revoke_token(id, now_millis()).await? {
                bail!("token {id} ({}) is already revoked", token.name);
            }
            println!(
                "revoked token {id} ({}); a running server refuses it within a few seconds",
                token.name
            );
        }
    }
    Ok(())
}
