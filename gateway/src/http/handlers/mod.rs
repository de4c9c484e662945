//! Handlers: each extracts its input, calls one service function and maps the result.

pub mod account;
pub mod admin;
pub mod billing;
pub mod codes;
pub mod data;
pub mod health;
pub mod keys;
pub mod orders;
pub mod pages;
pub mod recovery;
pub mod refunds;
pub mod requests;
pub mod security;
pub mod usage;
