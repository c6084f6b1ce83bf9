//! New Relic for commands that run outside the collector (`status`, the guard after
//! a deploy): one transport on the run's runtime, the key from the variable the
//! config names, each query waited for. The secret never leaves the credential.

use serde_json::Value;

use super::{NewRelicError, issues, post};
use crate::config::Config;
use crate::facts::Incident;
use crate::net::{self, Credential, Network, Transport};
use crate::secrets::Env;

pub struct NewRelic {
    network: Network,
    transport: Transport,
    url: String,
    key: Credential,
    pub account_id: u64,
}

impl NewRelic {
    /// Connects with the `[newrelic]` section of `config`, on the run's `network`;
    /// an error says what to fix.
    pub fn connect(network: &Network, config: &Config, env: Env<'_>) -> Result<Self, String> {
        let nc = config.newrelic.as_ref().ok_or_else(|| {
            format!(
                "no [newrelic] section in config {}: add one with account_id and api_key_env",
                config.path.display()
            )
        })?;
        let key = net::secret(
            env,
            &nc.api_key_env,
            "newrelic.api_key_env",
            "New Relic user API key",
        )
        .map_err(|e| e.to_string())?;
        let key = Credential::new(&nc.url, "API-Key", &key).map_err(|e| e.to_string())?;
        // A deadline of its own from now: the guard arms after a person's yes and
        // the collection, which the run's deadline may not outlast.
        let network = network.renewed();
        let transport = network.transport().map_err(|e| e.to_string())?;
        Ok(Self {
            network,
            transport,
            url: nc.url.clone(),
            key,
            account_id: nc.account_id,
        })
    }

    /// The issues open on `app`'s entity.
    pub fn open_issues(&self, app: &str) -> Result<Vec<Incident>, NewRelicError> {
        self.network.block_on(issues::open_issues(
            &self.transport,
            &self.url,
            &self.key,
            self.account_id,
            app,
        ))
    }

    /// One NerdGraph query's answer.
    pub fn query(&self, body: &Value) -> Result<Value, NewRelicError> {
        self.network
            .block_on(post(&self.transport, &self.url, &self.key, body))
    }

    /// The NerdGraph URL, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }
}
