//! Random tokens and their hashes, the CSRF (Origin) check, security headers, in-memory rate limits, the
//! client's address behind trusted proxies.
pub mod audit;
pub mod client_addr;
pub mod gate;
pub mod hashing;
pub mod headers;
pub mod link_opening;
pub mod rate_limit;
pub mod sealed;
pub mod token;
pub mod token_key;
pub mod turn;
