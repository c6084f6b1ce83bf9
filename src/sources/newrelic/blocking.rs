//! New Relic for commands that run outside the collector (`status`, the guard after
//! a deploy): one transport and one runtime, the key from the variable the config
//! names, each query waited for. The secret never leaves the credential.

use serde_json::Value;

use super::{NewRelicError, issues, post};
use crate::config::Config;
use crate::facts::Incident;
use crate::sources::http::{self, Credential, Env, Policy, Transport};

pub struct NewRelic {
    runtime: tokio::runtime::Runtime,
    transport: Transport,
    url: String,
    key: Credential,
    pub account_id: u64,
}

impl NewRelic {
    /// Connects with the `[newrelic]` section of `config`; an error says what to fix.
    pub fn connect(config: &Config, env: Env<'_>) -> Result<Self, String> {
        let nc = config.newrelic.as_ref().ok_or_else(|| {
            format!(
                "no [newrelic] section in config {}: add one with account_id and api_key_env",
                config.path.display()
            )
        })?;
        let key = http::secret(
            env,
            &nc.api_key_env,
            "newrelic.api_key_env",
            "New Relic user API key",
        )
        .map_err(|e| e.to_string())?;
        let key = Credential::new(&nc.url, "API-Key", &key).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let transport = Transport::new(Policy::of(config)).map_err(|e| e.to_string())?;
        Ok(Self {
            runtime,
            transport,
            url: nc.url.clone(),
            key,
            account_id: nc.account_id,
        })
    }

    /// The issues open on `app`'s entity.
    pub fn open_issues(&self, app: &str) -> Result<Vec<Incident>, NewRelicError> {
        self.runtime.block_on(issues::open_issues(
            &self.transport,
            &self.url,
            &self.key,
            self.account_id,
            app,
        ))
    }

    /// One NerdGraph query's answer.
    pub fn query(&self, body: &Value) -> Result<Value, NewRelicError> {
        self.runtime
            .block_on(post(&self.transport, &self.url, &self.key, body))
    }

    /// The NerdGraph URL, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }
}
