//! `radiculo keys`: create and revoke the API keys that guard stored assessments.
//!
//! A key's secret is printed once, on creation, and never stored: the database keeps only its
//! SHA-256. The public key id is what `revoke` takes and what the server's logs name.

use anyhow::Context;
use clap::{Args, Subcommand};
use radiculo_store::Store;

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    /// Where records and keys are kept, as for `serve`.
    #[arg(long, env = "RADICULO_DATABASE_URL", default_value_t = radiculo_server::default_database_url(), global = true)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key for a tenant and print its secret (shown this once only).
    Create {
        /// The tenant the key belongs to: 1 to 64 of A-Z a-z 0-9 _ . -
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key by its id (`key_…`): it stops working at once.
    Revoke {
        /// The key id printed by `create`.
        key_id: String,
    },
}

pub fn run(args: &KeysArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(async {
            let store = Store::connect(&args.database_url)
                .await
                .context("opening the database")?;
            let now = jiff::Timestamp::now().to_string();
            let result = match &args.command {
                KeysCommand::Create { tenant } => {
                    let key = store
                        .create_key(tenant, &now)
                        .await
                        .map_err(|e| match e {
                            radiculo_store::StoreError::InvalidTenant(why) => {
                                anyhow::Error::new(crate::InvalidInput(format!("--tenant: {why}")))
                            }
                            other => anyhow::Error::new(other),
                        })?;
                    println!("key id:  {}", key.id);
                    println!("tenant:  {}", key.tenant);
                    println!("secret:  {}", key.secret);
                    eprintln!(
                        "Keep the secret safe: it is shown only now. Send it as `Authorization: Bearer <secret>`."
                    );
                    Ok(())
                }
                KeysCommand::Revoke { key_id } => {
                    if store.revoke_key(key_id, &now).await? {
                        println!("revoked {key_id}");
                        Ok(())
                    } else {
                        Err(crate::InvalidInput(format!("no active key `{key_id}`")).into())
                    }
                }
            };
            store.close().await;
            result
        })
}
