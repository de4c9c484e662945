//! The HTTP edge: the router, extractors and the thin handlers that call into the services.

pub mod extract;
pub mod handlers;
pub mod openapi;
pub mod pages;
pub mod request_log;
pub mod router;
pub mod routes;
