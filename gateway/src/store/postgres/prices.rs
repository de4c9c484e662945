//! The operator's price overrides and coefficients.

use codexkey_common::price::Price;

use super::*;

#[async_trait]
impl PriceStore for PgStore {
    async fn price_overrides(&self) -> Result<Vec<(String, PriceEntry)>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                    cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                    max_input_tokens, max_output_tokens
             FROM price_overrides ORDER BY model",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                PriceEntry {
                    provider: r.try_get(1)?,
                    mode: r.try_get(2)?,
                    price: Price {
                        input: r.try_get(3)?,
                        cached_input: r.try_get(4)?,
                        cache_write_5m: r.try_get(5)?,
                        cache_write_1h: r.try_get(6)?,
                        output: r.try_get(7)?,
                        per_image: r.try_get(8)?,
                        per_request: r.try_get(9)?,
                    },
                    max_input_tokens: r.try_get::<_, Option<i64>>(10)?.map(count),
                    max_output_tokens: r.try_get::<_, Option<i64>>(11)?.map(count),
                },
            ))
        })
        .collect()
    }

    async fn coefficients(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT model, coefficient_ppm FROM model_coefficients ORDER BY model",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn upsert_prices(
        &self,
        rows: Vec<(String, PriceEntry)>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // A whole row replaces the model's row, as SQLite's `INSERT OR REPLACE` does.
        let stmt = tx
            .prepare(
                "INSERT INTO price_overrides
                 (model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                  cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                  max_input_tokens, max_output_tokens, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (model) DO UPDATE SET
                     provider = excluded.provider, mode = excluded.mode,
                     input_micros = excluded.input_micros,
                     cached_input_micros = excluded.cached_input_micros,
                     cache_write_5m_micros = excluded.cache_write_5m_micros,
                     cache_write_1h_micros = excluded.cache_write_1h_micros,
                     output_micros = excluded.output_micros,
                     per_image_micros = excluded.per_image_micros,
                     per_request_micros = excluded.per_request_micros,
                     max_input_tokens = excluded.max_input_tokens,
                     max_output_tokens = excluded.max_output_tokens,
                     updated_at = excluded.updated_at",
            )
            .await?;
        for (model, e) in &rows {
            let p = &e.price;
            let limit = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
            tx.execute(
                &stmt,
                &[
                    model,
                    &e.provider,
                    &e.mode,
                    &p.input,
                    &p.cached_input,
                    &p.cache_write_5m,
                    &p.cache_write_1h,
                    &p.output,
                    &p.per_image,
                    &p.per_request,
                    &limit(e.max_input_tokens),
                    &limit(e.max_output_tokens),
                    &audit.created_at,
                ],
            )
            .await?;
        }
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_price(&self, model: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute("DELETE FROM price_overrides WHERE model = $1", &[&model])
            .await?;
        if n > 0 {
            insert_audit(&tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn set_coefficient(
        &self,
        model: &str,
        ppm: Option<i64>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        match ppm {
            Some(ppm) => {
                tx.execute(
                    "INSERT INTO model_coefficients (model, coefficient_ppm, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (model) DO UPDATE SET coefficient_ppm = excluded.coefficient_ppm,
                                                       updated_at = excluded.updated_at",
                    &[&model, &ppm, &audit.created_at],
                )
                .await?
            }
            None => {
                tx.execute("DELETE FROM model_coefficients WHERE model = $1", &[&model])
                    .await?
            }
        };
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
