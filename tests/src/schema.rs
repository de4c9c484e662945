//! [`TestSchema`]: the gateway crate's scratch PostgreSQL schema, created from synchronous
//! code. Dropping it ends the connections a gateway still holds in it (see
//! `codexkey_gateway::store::postgres::scratch`).

use codexkey_gateway::store::postgres::scratch::ScratchSchema;

pub struct TestSchema {
    inner: ScratchSchema,
}

impl TestSchema {
    /// A fresh schema on the test PostgreSQL, created on a thread of its own so that
    /// synchronous code may call it inside or outside a runtime.
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn create() -> TestSchema {
        let created = std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot build a runtime: {e}"));
            rt.block_on(ScratchSchema::create())
        })
        .join();
        match created {
            Ok(inner) => TestSchema { inner },
            Err(_) => panic!("cannot create a scratch PostgreSQL schema (see the panic above)"),
        }
    }

    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The URL a gateway and a [`crate::TestDb`] connect with: this schema first on the
    /// `search_path`, and the connections named after it.
    pub fn url(&self) -> String {
        self.inner.url()
    }
}
