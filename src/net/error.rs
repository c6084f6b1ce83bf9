//! What can go wrong with a request, each said with the URL and what to do. No
//! message ever holds a secret.

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "environment variable {var} is not set ({key} in the config names it): export the {what} in it"
    )]
    MissingSecret {
        var: String,
        key: String,
        what: String,
    },
    #[error(
        "environment variable {var} ({key} in the config names it) holds a space, a line break or another character no token has: set it to the {what} alone"
    )]
    MalformedSecret {
        var: String,
        key: String,
        what: String,
    },
    #[error(
        "{url} did not answer within {seconds} s (tried twice): the service is slow or down; raise timeout_seconds if it is only slow"
    )]
    Timeout { url: String, seconds: u64 },
    #[error("cannot reach {url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} answered HTTP {status}{reason}{hint}")]
    Status {
        url: String,
        status: u16,
        reason: String,
        hint: String,
    },
    #[error("{url} is rate-limited (HTTP {status}): {when}")]
    RateLimited {
        url: String,
        status: u16,
        when: String,
    },
    #[error("{url} answered something unreadable: {message}")]
    Body { url: String, message: String },
    #[error(
        "{url} sent an answer larger than {mib} MiB: gatekeeper stops reading there; check that the config points at the right service"
    )]
    TooLarge { url: String, mib: usize },
    #[error(
        "{url}: no answer within {seconds} s (deadline_seconds), the deadline for the whole collection: the service is slow or down; raise deadline_seconds if it is only slow"
    )]
    Deadline { url: String, seconds: u64 },
    #[error(
        "{url} redirects to {location}, another origin: gatekeeper never follows a redirect (nor sends a credential) to another origin; put the final URL in the config"
    )]
    CrossOrigin { url: String, location: String },
    #[error("cannot set up the HTTP client: {message}")]
    Setup { message: String },
}
