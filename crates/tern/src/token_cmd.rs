//! `tern token create`: issues an API token from the command line (for
//! scripts and for recovering access), the same way the API does.

use anyhow::{Context, Result, anyhow};
use tern_api::admin::{TokenRequest, issue_token, parse_duration};
use tern_core::{Scope, Store};

use crate::config::TokenCommand;

pub async fn run(store: &dyn Store, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            org,
            name,
            scopes,
            project,
            expires_in,
        } => {
            let organisation = store
                .organisation_by_slug(&org)
                .await?
                .ok_or_else(|| anyhow!("no organisation '{org}'"))?;
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
                        .ok_or_else(|| anyhow!("no project '{slug}' in organisation '{org}'"))?
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
    }
    Ok(())
}
