//! The network of one command run: made once, when the config's limits are known,
//! and passed to whoever asks the network (the gate's collection, the deployments
//! record, the runbook's verify step, notice, chatops, rollback). One runtime, one
//! set of limits, one deadline; a stretch of work that starts after a wait no
//! deadline should count (a person's yes, a deploy's steps) takes a deadline of its
//! own from the same object ([`Network::renewed`]), and says why where it does.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{HttpError, Policy, Transport};

/// What every request of a run is held to, as the config sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per request (each try).
    pub timeout_seconds: u64,
    /// For everything asked under one deadline: what is unanswered then fails.
    pub deadline_seconds: u64,
    /// Requests in flight at most, per service.
    pub max_in_flight: usize,
}

/// One command run's network: the runtime, the limits and the deadline. Cheap to
/// clone: the clones share the runtime (a collection may run on a thread of its own).
#[derive(Clone)]
pub struct Network {
    runtime: Arc<tokio::runtime::Runtime>,
    limits: Limits,
    deadline: Instant,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// Starts the run's runtime; its deadline runs from now. One thread is all the
    /// network needs: the requests wait on it together.
    pub fn start(limits: Limits) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Arc::new(runtime),
            limits,
            deadline: Instant::now() + Duration::from_secs(limits.deadline_seconds),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The same runtime and limits, with a deadline of its own that runs from now:
    /// for work that starts after a wait the run's deadline must not count.
    pub fn renewed(&self) -> Self {
        self.with_limits(self.limits)
    }

    /// The same runtime with other limits (a runbook step's own timeout), and a
    /// deadline of its own that runs from now.
    pub fn with_limits(&self, limits: Limits) -> Self {
        Self {
            runtime: Arc::clone(&self.runtime),
            limits,
            deadline: Instant::now() + Duration::from_secs(limits.deadline_seconds),
        }
    }

    /// How requests are timed under this deadline.
    pub fn policy(&self) -> Policy {
        let mut policy = Policy::new(
            self.limits.timeout_seconds,
            self.limits.deadline_seconds,
            self.limits.max_in_flight,
        );
        policy.deadline = self.deadline;
        policy
    }

    /// A transport under this deadline.
    pub fn transport(&self) -> Result<Transport, HttpError> {
        self.transport_with(self.policy())
    }

    /// A transport with `policy` (this network's [`policy`](Self::policy), changed:
    /// a log, no redirects), built inside the runtime (octocrab's client needs it).
    pub fn transport_with(&self, policy: Policy) -> Result<Transport, HttpError> {
        let _inside = self.runtime.enter();
        Transport::new(policy)
    }

    /// Runs `future` to its end on the run's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Call, Service};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn limits(deadline_seconds: u64) -> Limits {
        Limits {
            timeout_seconds: 5,
            deadline_seconds,
            max_in_flight: 4,
        }
    }

    #[test]
    fn one_runtime_serves_sequential_requests_under_one_shared_deadline() {
        // The stand-in server runs on a runtime of its own, as a real service would.
        let servers = tokio::runtime::Runtime::new().unwrap();
        let server = servers.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(200).set_body_string("up"))
                .expect(2)
                .mount(&server)
                .await;
            server
        });
        let network = Network::start(limits(60)).unwrap();
        let first = network.transport().unwrap();
        let second = network.transport().unwrap();
        // Every transport of the run is held to the run's one deadline.
        assert_eq!(first.policy().deadline, network.deadline);
        assert_eq!(second.policy().deadline, network.deadline);
        let url = format!("{}/up", server.uri());
        for transport in [&first, &second] {
            let call = Call::get(Service::Smoke, url.parse().unwrap(), None);
            let answer = network.block_on(transport.send(call, &url)).unwrap();
            assert_eq!((answer.status, answer.body.as_str()), (200, "up"));
        }
        servers.block_on(server.verify());
    }

    #[test]
    fn a_request_past_the_run_deadline_fails_with_the_deadline_message() {
        // Connections are queued by the kernel but never answered.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", silent.local_addr().unwrap());
        let network = Network::start(limits(0)).unwrap();
        let transport = network.transport().unwrap();
        let call = Call::get(Service::Jenkins, url.parse().unwrap(), None);
        let err = network.block_on(transport.send(call, &url)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{url}: no answer within 0 s (deadline_seconds), the deadline for the whole collection: the service is slow or down; raise deadline_seconds if it is only slow"
            )
        );
    }

    #[test]
    fn a_renewed_deadline_runs_from_now_on_the_same_runtime() {
        let network = Network::start(limits(0)).unwrap();
        let renewed = network.with_limits(limits(3600));
        assert!(Arc::ptr_eq(&network.runtime, &renewed.runtime));
        assert!(renewed.deadline > network.deadline);
        assert_eq!(renewed.limits().deadline_seconds, 3600);
        let again = renewed.renewed();
        assert!(Arc::ptr_eq(&network.runtime, &again.runtime));
        assert_eq!(again.limits(), renewed.limits());
        assert!(again.deadline >= renewed.deadline);
    }
}
