//! The fake's shared state: its configuration and memory, the lock around them, and the
//! per-connection kill switch. A leaf below the server and the dispatcher.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::consts::DEFAULT_MODELS;
use super::recording::RecordedRequest;
use super::script::{Action, Filter, Script};

/// The fake's configuration and memory, shared by the handle and the server.
pub(super) struct State {
    pub(super) script: Script,
    /// `None` accepts any non-empty key.
    pub(super) valid_keys: Option<HashSet<String>>,
    pub(super) require_anthropic_version: bool,
    pub(super) models: Vec<String>,
    pub(super) queue: VecDeque<(Filter, Action)>,
    pub(super) key_rules: HashMap<String, Action>,
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) next_id: u64,
}

impl State {
    pub(super) fn new() -> State {
        State {
            script: Script::default(),
            valid_keys: None,
            require_anthropic_version: true,
            models: DEFAULT_MODELS.iter().map(|m| (*m).to_owned()).collect(),
            queue: VecDeque::new(),
            key_rules: HashMap::new(),
            requests: Vec::new(),
            next_id: 0,
        }
    }

    pub(super) fn pick_action(&mut self, path: &str, key: Option<&str>) -> Action {
        if let Some(i) = self.queue.iter().position(|(f, _)| f.matches(path, key))
            && let Some((_, action)) = self.queue.remove(i)
        {
            return action;
        }
        if let Some(rule) = key.and_then(|k| self.key_rules.get(k)) {
            return rule.clone();
        }
        Action::Respond(Box::new(self.script.clone()))
    }
}

pub(super) type Shared = Arc<Mutex<State>>;

pub(super) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A test that panicked while holding the lock must not hide the fake from the next assertion.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The connection-level kill switch a handler uses for [`Action::CloseConnection`].
#[derive(Clone)]
pub(super) struct ConnKill(pub(super) Arc<Notify>);
