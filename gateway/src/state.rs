//! What every handler shares: the store, the configuration and the password hasher.

use std::ops::Deref;
use std::sync::Arc;

use crate::accounts::password::Passwords;
use crate::config::Config;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub passwords: Passwords,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config, passwords: Passwords) -> AppState {
        AppState(Arc::new(Shared {
            store,
            config,
            passwords,
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
