//! One SQLite value as the PostgreSQL column it is copied into wants it.
//!
//! SQLite stores integers, reals, text and blobs whatever a column was declared as; PostgreSQL
//! columns have one type each. The conversion is picked by the target column's type (as
//! `information_schema.columns` names it), and refuses anything that would change a value:
//! a real in an integer column, an integer out of an `integer`'s range, a flag other than 0
//! or 1, text where a number belongs. A refusal names the table, the column and the row, and
//! the whole copy stops with nothing written.

use bytes::BytesMut;
use rusqlite::types::Value;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// The PostgreSQL column types a copy can fill, by their `information_schema` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    BigInt,
    Integer,
    SmallInt,
    Boolean,
    Text,
    Varchar,
    Bytes,
    Double,
    Real,
}

impl Kind {
    /// The kind of a column whose `information_schema.columns.data_type` is `data_type`;
    /// `None` for a type no SQLite value converts to without a rule of its own (a timestamp,
    /// a numeric): a migration that adds one must teach this module first.
    pub(crate) fn of(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::BigInt,
            "integer" => Kind::Integer,
            "smallint" => Kind::SmallInt,
            "boolean" => Kind::Boolean,
            "text" => Kind::Text,
            "character varying" => Kind::Varchar,
            "bytea" => Kind::Bytes,
            "double precision" => Kind::Double,
            "real" => Kind::Real,
            _ => return None,
        })
    }

    /// The type binary `COPY` writes the column as.
    pub(crate) fn pg_type(self) -> Type {
        match self {
            Kind::BigInt => Type::INT8,
            Kind::Integer => Type::INT4,
            Kind::SmallInt => Type::INT2,
            Kind::Boolean => Type::BOOL,
            Kind::Text => Type::TEXT,
            Kind::Varchar => Type::VARCHAR,
            Kind::Bytes => Type::BYTEA,
            Kind::Double => Type::FLOAT8,
            Kind::Real => Type::FLOAT4,
        }
    }
}

/// A value ready for one PostgreSQL column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PgValue {
    Null,
    BigInt(i64),
    Integer(i32),
    SmallInt(i16),
    Boolean(bool),
    Text(String),
    Bytes(Vec<u8>),
    Double(f64),
    Real(f32),
}

/// What SQLite holds, named for messages.
fn stored(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    }
}

/// Converts `v` for a column of `kind`, or says why it cannot be copied unchanged.
pub(crate) fn convert(v: Value, kind: Kind) -> Result<PgValue, String> {
    let refused = |v: &Value| Err(format!("{} cannot go into a {kind:?} column", stored(v)));
    Ok(match (kind, v) {
        (_, Value::Null) => PgValue::Null,
        (Kind::BigInt, Value::Integer(i)) => PgValue::BigInt(i),
        (Kind::Integer, Value::Integer(i)) => PgValue::Integer(
            i32::try_from(i).map_err(|_| format!("{i} is out of an integer column's range"))?,
        ),
        (Kind::SmallInt, Value::Integer(i)) => PgValue::SmallInt(
            i16::try_from(i).map_err(|_| format!("{i} is out of a smallint column's range"))?,
        ),
        // SQLite has no boolean: the schema writes flags as 0 and 1 (and CHECKs that).
        (Kind::Boolean, Value::Integer(0)) => PgValue::Boolean(false),
        (Kind::Boolean, Value::Integer(1)) => PgValue::Boolean(true),
        (Kind::Boolean, Value::Integer(i)) => {
            return Err(format!("{i} is not a flag (0 or 1)"));
        }
        (Kind::Text | Kind::Varchar, Value::Text(s)) => PgValue::Text(s),
        (Kind::Bytes, Value::Blob(b)) => PgValue::Bytes(b),
        (Kind::Double, Value::Real(f)) => PgValue::Double(f),
        (Kind::Double, Value::Integer(i)) => {
            // Exact up to 2^53; beyond, the float would be a different number.
            #[expect(clippy::cast_precision_loss, reason = "checked exact just below")]
            let f = i as f64;
            if f.abs() > 9_007_199_254_740_992.0 {
                return Err(format!("{i} has no exact double precision value"));
            }
            PgValue::Double(f)
        }
        #[expect(clippy::cast_possible_truncation, reason = "checked exact just below")]
        (Kind::Real, Value::Real(f)) => {
            let r = f as f32;
            if f64::from(r) != f {
                return Err(format!("{f} has no exact real value"));
            }
            PgValue::Real(r)
        }
        (_, v) => return refused(&v),
    })
}

impl ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // Each inner value checks that it fits `ty`, so a mismatch is an error, not bad bytes.
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::BigInt(v) => v.to_sql_checked(ty, out),
            PgValue::Integer(v) => v.to_sql_checked(ty, out),
            PgValue::SmallInt(v) => v.to_sql_checked(ty, out),
            PgValue::Boolean(v) => v.to_sql_checked(ty, out),
            PgValue::Text(v) => v.to_sql_checked(ty, out),
            PgValue::Bytes(v) => v.to_sql_checked(ty, out),
            PgValue::Double(v) => v.to_sql_checked(ty, out),
            PgValue::Real(v) => v.to_sql_checked(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_convert_only_when_unchanged() {
        let ok = [
            (Value::Integer(7), Kind::BigInt, PgValue::BigInt(7)),
            (Value::Integer(-3), Kind::Integer, PgValue::Integer(-3)),
            (Value::Integer(1), Kind::Boolean, PgValue::Boolean(true)),
            (Value::Integer(0), Kind::Boolean, PgValue::Boolean(false)),
            (Value::Null, Kind::Boolean, PgValue::Null),
            (
                Value::Text("x".into()),
                Kind::Text,
                PgValue::Text("x".into()),
            ),
            (
                Value::Blob(vec![0, 1]),
                Kind::Bytes,
                PgValue::Bytes(vec![0, 1]),
            ),
            (Value::Integer(2), Kind::Double, PgValue::Double(2.0)),
            (Value::Real(0.5), Kind::Real, PgValue::Real(0.5)),
        ];
        for (v, kind, want) in ok {
            assert_eq!(convert(v, kind).unwrap(), want);
        }
        let refused = [
            (Value::Real(1.5), Kind::BigInt),
            (Value::Text("12".into()), Kind::BigInt),
            (Value::Integer(2), Kind::Boolean),
            (Value::Integer(i64::from(i32::MAX) + 1), Kind::Integer),
            (Value::Integer(5), Kind::Text),
            (Value::Text("k".into()), Kind::Bytes),
            (Value::Real(0.1), Kind::Real),
        ];
        for (v, kind) in refused {
            assert!(convert(v.clone(), kind).is_err(), "{v:?} into {kind:?}");
        }
        assert_eq!(Kind::of("timestamp with time zone"), None);
        assert_eq!(Kind::of("bigint"), Some(Kind::BigInt));
    }
}
