//! The operator's price overrides and coefficients.

use super::*;

#[async_trait]
impl PriceStore for SqliteStore {
    async fn price_overrides(&self) -> Result<Vec<(String, PriceEntry)>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                            cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                            max_input_tokens, max_output_tokens
                     FROM price_overrides ORDER BY model",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            PriceEntry {
                                provider: r.get(1)?,
                                mode: r.get(2)?,
                                price: Price {
                                    input: r.get(3)?,
                                    cached_input: r.get(4)?,
                                    cache_write_5m: r.get(5)?,
                                    cache_write_1h: r.get(6)?,
                                    output: r.get(7)?,
                                    per_image: r.get(8)?,
                                    per_request: r.get(9)?,
                                },
                                max_input_tokens: r.get::<_, Option<i64>>(10)?.map(|v| v.max(0) as u64),
                                max_output_tokens: r.get::<_, Option<i64>>(11)?.map(|v| v.max(0) as u64),
                            },
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn coefficients(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT model, coefficient_ppm FROM model_coefficients ORDER BY model",
                )?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn upsert_prices(
        &self,
        rows: Vec<(String, PriceEntry)>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                {
                    let mut stmt = tx.prepare(
                        "INSERT OR REPLACE INTO price_overrides
                         (model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                          cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                          max_input_tokens, max_output_tokens, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    )?;
                    for (model, e) in &rows {
                        let p = &e.price;
                        stmt.execute(params![
                            model,
                            e.provider,
                            e.mode,
                            p.input,
                            p.cached_input,
                            p.cache_write_5m,
                            p.cache_write_1h,
                            p.output,
                            p.per_image,
                            p.per_request,
                            e.max_input_tokens.map(|v| v as i64),
                            e.max_output_tokens.map(|v| v as i64),
                            audit.created_at
                        ])?;
                    }
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn delete_price(&self, model: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let model = model.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute("DELETE FROM price_overrides WHERE model = ?1", [&model])?;
                if n > 0 {
                    insert_audit(&tx, &audit)?;
                }
                tx.commit()?;
                Ok(n > 0)
            })
            .await
    }

    async fn set_coefficient(
        &self,
        model: &str,
        ppm: Option<i64>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let model = model.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                match ppm {
                    Some(ppm) => tx.execute(
                        "INSERT OR REPLACE INTO model_coefficients (model, coefficient_ppm, updated_at) VALUES (?1, ?2, ?3)",
                        params![model, ppm, audit.created_at],
                    )?,
                    None => tx.execute("DELETE FROM model_coefficients WHERE model = ?1", [&model])?,
                };
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }
}
