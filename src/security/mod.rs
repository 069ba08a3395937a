//! Random tokens and their hashes, the CSRF (Origin) check, security headers, in-memory rate limits.
pub mod audit;
pub mod headers;
pub mod rate_limit;
pub mod token;
