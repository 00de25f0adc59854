//! `tern tsig …`: create, list and delete the TSIG keys zone transfers are
//! signed with, directly in the configured database. A running server picks
//! changes up within a few seconds.

use anyhow::{Context, Result, bail};
use tern_core::{Name, Store, TsigAlgorithm, TsigKey, now_millis};

use crate::config::{KeyFormat, TsigCommand};

pub async fn run(store: &dyn Store, cmd: TsigCommand) -> Result<()> {
    match cmd {
        TsigCommand::Create {
            name,
            algorithm,
            secret,
            format,
        } => {
            let key = match secret {
                Some(secret) => TsigKey::new(&name, &algorithm, &secret, now_millis()),
                None => {
                    let length = algorithm
                        .parse::<TsigAlgorithm>()
                        .map_err(|reason| anyhow::anyhow!("algorithm: {reason}"))?
                        .output_len();
                    let mut secret = vec![0u8; length];
                    getrandom::fill(&mut secret)
                        .map_err(|e| anyhow::anyhow!("generating a secret: {e}"))?;
                    TsigKey::with_secret(&name, &algorithm, secret, now_millis())
                }
            }
            .context("TSIG key refused")?;
            store
                .create_tsig_key(&key)
                .await
                .context("storing the TSIG key")?;
            println!("{}", clauses(&key, format));
        }
        TsigCommand::List { show_secrets } => {
            for key in store.tsig_keys().await? {
                if show_secrets {
                    println!("{}\t{}\t{}", key.name, key.algorithm, key.secret_base64());
                } else {
                    println!("{}\t{}", key.name, key.algorithm);
                }
            }
        }
        TsigCommand::Delete { name } => {
            let name = Name::parse_owner(&name, &Name::root())
                .with_context(|| format!("key name '{name}'"))?;
            if !store.delete_tsig_key(&name).await? {
                bail!("no TSIG key named {name}");
            }
            println!("deleted TSIG key {name}");
        }
    }
    Ok(())
}

/// The key in the syntax asked for; `all` labels each with a comment line
/// the three configuration languages all take.
fn clauses(key: &TsigKey, format: KeyFormat) -> String {
    match format {
        KeyFormat::Bind => key.bind_clause(),
        KeyFormat::Nsd => key.nsd_clause(),
        KeyFormat::Knot => key.knot_clause(),
        KeyFormat::All => format!(
            "# BIND (named.conf)\n{}\n\n# NSD (nsd.conf)\n{}\n\n# Knot (knot.conf)\n{}",
            key.bind_clause(),
            key.nsd_clause(),
            key.knot_clause()
        ),
    }
}
