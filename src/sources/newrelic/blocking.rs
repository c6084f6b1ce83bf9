//! New Relic for commands that run outside the collector (`status`, the guard after
//! a deploy): queries on the run's runtime, the key from the variable the config
//! names, each query waited for and held to a deadline of its own. The secret never
//! leaves the credential.

use serde_json::Value;

use super::{NewRelicError, issues, post};
use crate::config::Config;
use crate::facts::Incident;
use crate::net::{self, Credential, HttpError, Network, Transport};
use crate::secrets::Env;
use crate::sources::ConnectError;

pub struct NewRelic {
    network: Network,
    url: String,
    key: Credential,
    pub account_id: u64,
}

impl NewRelic {
    /// Connects with the `[newrelic]` section of `config`, on the run's `network`;
    /// an error says what to fix.
    pub fn connect(network: &Network, config: &Config, env: Env<'_>) -> Result<Self, ConnectError> {
        let nc = config
            .newrelic
            .as_ref()
            .ok_or_else(|| ConnectError::NoSection {
                section: "newrelic",
                keys: "account_id and api_key_env",
                config: config.path.clone(),
            })?;
        let key = net::secret(
            env,
            &nc.api_key_env,
            "newrelic.api_key_env",
            "New Relic user API key",
        )?;
        let key = Credential::new(&nc.url, "API-Key", &key)?;
        // Set up once here, so that a transport that cannot be made is said now.
        network.transport()?;
        Ok(Self {
            network: network.clone(),
            url: nc.url.clone(),
            key,
            account_id: nc.account_id,
        })
    }

    /// The issues open on `app`'s entity.
    pub fn open_issues(&self, app: &str) -> Result<Vec<Incident>, NewRelicError> {
        let transport = self.transport()?;
        self.network.block_on(issues::open_issues(
            &transport,
            &self.url,
            &self.key,
            self.account_id,
            app,
        ))
    }

    /// One NerdGraph query's answer.
    pub fn query(&self, body: &Value) -> Result<Value, NewRelicError> {
        let transport = self.transport()?;
        self.network
            .block_on(post(&transport, &self.url, &self.key, body))
    }

    /// A transport for one query, held to a deadline of its own from now: the
    /// guard asks after a person's yes and the deploy's steps, then once a sample,
    /// long past any deadline that started earlier.
    fn transport(&self) -> Result<Transport, HttpError> {
        self.network.renewed().transport()
    }

    /// The NerdGraph URL, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }
}
